//! Every set command against a real redis-server, RESP2 and RESP3: replies byte for byte where
//! Redis's order is defined (intsets are sorted), sorted where it is not (hashtable).

mod common;
mod hash_set_support;

use hash_set_support::check;
use hashslot_resp::Proto;

const SCRIPT: &str = r#"
sadd s 3 1 2 -5 70000 9223372036854775807
sadd s 1 2
object encoding s
smembers s
scard s
sismember s 70000
sismember s 070000
sismember s x
smismember s 1 x 3 +1
srem s 1 nope 2
srem nokey a
smembers s
sadd t a b c 3
object encoding t
sort: smembers t
sadd mixed 1 x
object encoding mixed
sadd neg -0 1
object encoding neg
smembers nokey
scard nokey
sismember nokey a
smismember nokey a b
# --- algebra over intsets (sorted results) and hashtables (sorted compare)
sadd i1 1 2 3 4 5
sadd i2 4 5 6
sadd i3 5 6 7
sinter i1 i2
sinter i1 i2 i3
sinter i1 nokey
sinter nokey i1
sunion i1 i2 i3
sunion i1 nokey
sdiff i1 i2
sdiff i1 i2 i3
sdiff nokey i1
sdiff i1 nokey
sdiff i1 i1
sort: sinter t s
sort: sunion t s i1
sort: sdiff t s
sintercard 2 i1 i2
sintercard 2 i1 i2 limit 1
sintercard 2 i1 i2 limit 0
sintercard 1 i1 limit 3
sintercard 2 i1 nokey
sintercard 0 i1
sintercard 3 i1 i2
sintercard x i1
sintercard -1 i1
sintercard 1 i1 limit -1
sintercard 1 i1 limit x
sintercard 1 i1 limit
sintercard 1 i1 foo
sintercard 2 i1 i2 limit 1 limit 5
sinterstore d i1 i2
object encoding d
smembers d
sinterstore d i1 nokey
exists d
sunionstore d i1 i2
smembers d
sunionstore d t i1
object encoding d
sort: smembers d
sdiffstore d i1 i2
smembers d
sdiffstore d i1 i1
exists d
set plain v
expire plain 100
sunionstore plain i1
ttl plain
type plain
sinterstore plain nokey
exists plain
# --- SMOVE
smove i1 i2 1
smembers i1
smembers i2
smove i1 i2 nope
smove nokey i2 1
smove i1 fresh 2
object encoding fresh
smembers fresh
smove i2 fresh2 x
sadd src x
smove src fresh3 x
object encoding fresh3
exists src
smove i1 i1 3
smove i1 i1 99
# --- SPOP / SRANDMEMBER: shapes (contents random) and the deterministic cases
sadd p 1 2 3 4 5
shape: spop p
shape: spop p 2
spop p 0
scard p
shape: spop p 10
exists p
spop nokey
spop nokey 3
spop p -1
spop p x
spop p 1 2
sadd q 10 20 30
shape: srandmember q
shape: srandmember q 2
shape: srandmember q -5
srandmember q 3
srandmember q 10
srandmember q 0
srandmember nokey
srandmember nokey 5
srandmember nokey -5
srandmember q -9223372036854775808
srandmember q x
srandmember q 1 2
# --- SSCAN on an intset
sscan q 0
sscan q 0 match 2*
sscan q 0 count 1
sscan q 0 count 0
sscan q 0 foo bar
sscan q x
sscan nokey 0 count 0
# --- WRONGTYPE against a string key
set str v
sadd str a
srem str a
smembers str
sismember str a
smismember str a
scard str
spop str
spop str 2
srandmember str
srandmember str 2
smove str q a
smove q str 10
sinter q str
sinter nokey str
sintercard 2 q str
sinterstore d q str
sunion q str
sunionstore d q str
sdiff nokey str
sdiffstore d q str
sscan str 0
"#;

/// SADD past 512 integers, or one non-integer, converts to hashtable; the STORE forms give the
/// destination the encoding Redis gives it.
fn conversion_script() -> String {
    let mut s = String::new();
    for i in 0..512 {
        s += &format!("sadd big {i}\n");
    }
    s += "object encoding big\nscard big\nsmembers big\n";
    s += "sadd big 512\nobject encoding big\nscard big\nsort: smembers big\nsismember big 77\n";
    s += "sunionstore u big\nobject encoding u\nsdiffstore dd big big\nexists dd\n";
    s += "sadd small 1 2 3\nsinterstore in big small\nobject encoding in\nsmembers in\n";
    s += "sdiffstore df small big\nexists df\nsort: sunion big small\nsintercard 2 big small\n";
    s += "shape: spop big 3\nscard big\nshape: srandmember big 5\nshape: srandmember big 1000\n";
    s += "shape: spop big 400\nobject encoding big\nsrem big x\n";
    let args: Vec<String> = (0..600).map(|i| i.to_string()).collect();
    s += &format!(
        "sadd bulk {}\nobject encoding bulk\nscard bulk\n",
        args.join(" ")
    );
    s += "sadd w 1 2 3\nsadd w x\nobject encoding w\nsrem w x\nobject encoding w\nsort: smembers w\n";
    s
}

#[test]
fn set_commands_match_redis_resp2() {
    check(SCRIPT, Proto::Resp2);
}

#[test]
fn set_commands_match_redis_resp3() {
    check(SCRIPT, Proto::Resp3);
}

#[test]
fn set_encoding_conversion_matches_redis() {
    check(&conversion_script(), Proto::Resp2);
    check(&conversion_script(), Proto::Resp3);
}
