//! Every hash command against a real redis-server, RESP2 and RESP3: replies byte for byte where
//! Redis's order is defined (listpack is insertion order), sorted where it is not.

mod common;
mod hash_set_support;

use hash_set_support::check;
use hashslot_resp::Proto;

const SCRIPT: &str = r#"
hset h a 1 b 2 c 3
hset h a 10 d 4
hset h
hset h a
hset h a 1 b
hmset h a 1 b
hmset h e 5
hsetnx h a 99
hsetnx h z 26
hget h a
hget h nope
hget nokey a
hmget h a nope b
hmget nokey a b
hdel h nope
hdel h a b nope
hexists h c
hexists h a
hexists nokey a
hlen h
hlen nokey
hkeys h
hvals h
hgetall h
hkeys nokey
hvals nokey
hgetall nokey
hstrlen h c
hstrlen h nope
hstrlen nokey a
hdel h c d e z
exists h
hgetall h
# --- HINCRBY / HINCRBYFLOAT
hincrby n f 5
hincrby n f -7
hincrby n f x
hincrby n f 1.5
hincrby n f 9223372036854775807
hset n big 9223372036854775807 s abc sp " 1" z 007
hincrby n big 1
hincrby n s 1
hincrby n sp 1
hincrby n z 1
hincrbyfloat n f 1.5
hincrbyfloat n f 0.1
hincrbyfloat n g 10.5e3
hincrbyfloat n g -1
hincrbyfloat n s 1
hincrbyfloat n f abc
hincrbyfloat n f nan
hincrbyfloat n f inf
hincrbyfloat n f -inf
hset n i inf
hincrbyfloat n i 1
hincrbyfloat n h 5.0e3
hincrbyfloat n h 3.0000000000000000001
hincrbyfloat n k 0x10
hincrbyfloat n l " 1"
hincrbyfloat n big 1
hgetall n
object encoding n
hincrbyfloat n huge 1e100
object encoding n
hget n huge
# --- long fields or values convert to hashtable, even on HSETNX and HINCRBY
hset lf 0123456789012345678901234567890123456789012345678901234567890123 v
object encoding lf
hset lf 01234567890123456789012345678901234567890123456789012345678901234 v
object encoding lf
hsetnx lf2 a 01234567890123456789012345678901234567890123456789012345678901234
object encoding lf2
hsetnx lf3 a 1
hsetnx lf3 a 01234567890123456789012345678901234567890123456789012345678901234
object encoding lf3
hincrby lf4 01234567890123456789012345678901234567890123456789012345678901234 1
object encoding lf4
hset lf5 a 1
hset lf5 a 01234567890123456789012345678901234567890123456789012345678901234
object encoding lf5
# --- HRANDFIELD (shapes; contents are random)
hset r a 1 b 2 c 3
shape: hrandfield r
hrandfield nokey
shape: hrandfield r 2
shape: hrandfield r 2 withvalues
shape: hrandfield r -5
shape: hrandfield r -5 withvalues
hrandfield r 3
hrandfield r 10 withvalues
hrandfield r 0
hrandfield r 0 withvalues
hrandfield nokey 3
hrandfield nokey 3 withvalues
hrandfield r -9223372036854775808
hrandfield r -9223372036854775807 withvalues
hrandfield nokey -4611686018427387904 withvalues
hrandfield r x
hrandfield r 1 withvalue
hrandfield r 1 withvalues x
# --- HSCAN on a listpack
hscan r 0
hscan r 0 match a*
hscan r 0 match b count 1
hscan r 0 count 0
hscan r 0 count x
hscan r 0 foo bar
hscan r 0 match
hscan r x
hscan r -1
hscan nokey 0 count 0
hscan nokey x
# --- WRONGTYPE against a string key
set str v
hset str a 1
hmset str a 1
hsetnx str a 1
hget str a
hmget str a
hdel str a
hexists str a
hlen str
hkeys str
hvals str
hgetall str
hincrby str a 1
hincrbyfloat str a 1
hstrlen str a
hrandfield str
hrandfield str 1
hscan str 0
hincrby str a x
hincrbyfloat str a x
"#;

/// HSET past 512 fields (`hash-max-listpack-entries`) converts to hashtable; hashtable replies compared sorted.
fn conversion_script() -> String {
    let mut s = String::new();
    for i in 0..512 {
        s += &format!("hset big f{i} v{i}\n");
    }
    s += "object encoding big\nhlen big\nhgetall big\n";
    s += "hset big f512 v512\nobject encoding big\nhlen big\n";
    s += "sort: hkeys big\nsort: hvals big\npairs: hgetall big\nhget big f77\nhmget big f1 nope f512\n";
    s += "hstrlen big f100\nhexists big f512\nhincrby big f0 1\nhincrby big cnt 3\nhincrbyfloat big cnt 0.5\n";
    s += "shape: hrandfield big -3 withvalues\nshape: hrandfield big 5\nsort: hrandfield big 600\nshape: hrandfield big 500\n";
    for i in 0..513 {
        s += &format!("hdel big f{i}\n");
    }
    s += "object encoding big\nhgetall big\nhdel big cnt\nexists big\n";
    s
}

#[test]
fn hash_commands_match_redis_resp2() {
    check(SCRIPT, Proto::Resp2);
}

#[test]
fn hash_commands_match_redis_resp3() {
    check(SCRIPT, Proto::Resp3);
}

#[test]
fn hash_encoding_conversion_matches_redis() {
    check(&conversion_script(), Proto::Resp2);
    check(&conversion_script(), Proto::Resp3);
}
