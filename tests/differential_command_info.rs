//! COMMAND INFO / COMMAND GETKEYS / COMMAND DOCS for the collection, transaction and pub/sub
//! commands, byte for byte against redis-server 7.0 (see `support/diff.rs`). Cluster-aware
//! clients route by these key specifications, so they are part of the node's contract.
//! COMMAND COUNT is not compared: the node does not have every command of redis-server 7.0.15
//! yet (scripting, streams, geo, bitmaps, HyperLogLog, ACL… are missing). Containers are asked
//! for by subcommand: Redis lists a container's subcommands in its dict's seeded hash order,
//! which changes from one redis-server run to the next.
//! `HASHSLOT_NODE_BIN=redis-server` checks the battery against Redis itself.
mod support;

use support::diff::{assert_no_mismatches, Case};

const COMMANDS: &str = "lpush rpush lpushx rpushx llen lrange lindex lset linsert lrem ltrim lpop \
rpop lpos rpoplpush lmove lmpop blpop brpop blmove brpoplpush blmpop hset hsetnx hget hmset hmget \
hgetall hkeys hvals hlen hdel hexists hstrlen hincrby hincrbyfloat hrandfield hscan sadd srem \
smembers sismember smismember scard spop srandmember smove sinter sinterstore sunion sunionstore \
sdiff sdiffstore sintercard sscan zadd zcard zscore zmscore zincrby zrank zrevrank zrange \
zrangestore zrevrange zrangebyscore zrevrangebyscore zrangebylex zrevrangebylex zcount zlexcount \
zrem zremrangebyrank zremrangebyscore zremrangebylex zpopmin zpopmax zmpop bzpopmin bzpopmax \
bzmpop zrandmember zunion zinter zdiff zunionstore zinterstore zdiffstore zintercard zscan multi \
exec discard watch unwatch subscribe unsubscribe psubscribe punsubscribe ssubscribe sunsubscribe \
publish spublish sort sort_ro";

const GETKEYS: &[&str] = &[
    "COMMAND GETKEYS LMOVE a b LEFT RIGHT",
    "COMMAND GETKEYS LMPOP 2 a b LEFT",
    "COMMAND GETKEYS BLMPOP 0 2 a b LEFT COUNT 2",
    "COMMAND GETKEYS BLPOP a b 0",
    "COMMAND GETKEYS SMOVE a b m",
    "COMMAND GETKEYS SINTERSTORE d a b",
    "COMMAND GETKEYS SINTERCARD 2 a b LIMIT 1",
    "COMMAND GETKEYS ZUNIONSTORE d 2 a b WEIGHTS 1 2",
    "COMMAND GETKEYS ZINTER 2 a b",
    "COMMAND GETKEYS ZDIFFSTORE d 2 a b",
    "COMMAND GETKEYS ZRANGESTORE d s 0 -1",
    "COMMAND GETKEYS ZMPOP 2 a b MIN",
    "COMMAND GETKEYS BZMPOP 0 2 a b MAX",
    "COMMAND GETKEYS BZPOPMIN a b 0",
    "COMMAND GETKEYS WATCH a b",
    "COMMAND GETKEYS SORT l STORE x",
    "COMMAND GETKEYS SPUBLISH ch m",
    "COMMAND GETKEYS SSUBSCRIBE a b",
    "COMMAND GETKEYS PUBLISH ch m",
    "COMMAND GETKEYS ZUNIONSTORE d x a",
    "COMMAND GETKEYS ZUNIONSTORE d -1 a",
    "COMMAND GETKEYS ZUNIONSTORE d 3 a",
    "COMMAND GETKEYS LMPOP 0 a LEFT",
    "COMMAND GETKEYS MSET a 1 b 2",
    "COMMAND GETKEYS GET",
    "COMMAND GETKEYS PING",
    "COMMAND GETKEYS NOSUCH a",
    "COMMAND GETKEYS SORT_RO l BY x",
    "COMMAND GETKEYS SORT l LIMIT 0 1 STORE d GET x",
    "COMMAND GETKEYS XINFO",
    "COMMAND GETKEYS EXPIRE k 10",
    "COMMAND GETKEYS MIGRATE h 1 \"\" 0 5 KEYS a b",
    "COMMAND GETKEYS OBJECT ENCODING k",
    "COMMAND INFO client|list get set del mset migrate object|encoding nosuch",
    "COMMAND DOCS zadd",
    "COMMAND DOCS set lpush blpop sort",
    "COMMAND DOCS getset",
];

fn cases() -> Vec<Case> {
    let mut lines: Vec<String> = COMMANDS
        .split_whitespace()
        .map(|c| format!("COMMAND INFO {c}"))
        .collect();
    lines.extend(GETKEYS.iter().map(|s| s.to_string()));
    let resp3: Vec<String> = std::iter::once("@hello HELLO 3".to_string())
        .chain(
            ["blpop", "zadd", "hset", "sintercard", "publish", "sort"]
                .iter()
                .map(|c| format!("COMMAND INFO {c}")),
        )
        .chain(std::iter::once("COMMAND DOCS zadd sort".to_string()))
        .collect();
    let leak = |v: Vec<String>| -> &'static [&'static str] {
        Box::leak(
            v.into_iter()
                .map(|s| &*Box::leak(s.into_boxed_str()))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )
    };
    vec![
        Case {
            name: "command info and getkeys",
            config: &[],
            lines: leak(lines),
        },
        Case {
            name: "command info resp3",
            config: &[],
            lines: leak(resp3),
        },
    ]
}

#[test]
fn command_metadata_matches_redis() {
    assert_no_mismatches(&cases());
}
