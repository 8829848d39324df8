//! COMMAND, COUNT, INFO, DOCS, LIST: Redis 7.0's reply shapes, well-formed in RESP2 and RESP3.
mod common;
use common::*;

#[test]
fn shapes() {
    let mut h = Harness::new();
    let c = h.connect();
    let count: usize = h
        .cmd_str(c, &["COMMAND", "COUNT"])
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    assert!(count >= 18);
    let all = h.cmd(c, &["COMMAND"]);
    assert!(all.starts_with(format!("*{count}\r\n").as_bytes()));
    assert_eq!(split_values(&all).len(), 1);
    assert_eq!(
        h.cmd_str(c, &["COMMAND", "INFO", "echo", "nosuch"]),
        "*2\r\n*10\r\n$4\r\necho\r\n:2\r\n*3\r\n+loading\r\n+stale\r\n+fast\r\n:0\r\n:0\r\n:0\r\n\
         *2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n$-1\r\n"
    );
    let docs = h.cmd(c, &["COMMAND", "DOCS"]);
    assert_eq!(split_values(&docs).len(), 1);
    let one = h.cmd_str(c, &["COMMAND", "DOCS", "client"]);
    assert!(
        one.starts_with("*2\r\n$6\r\nclient\r\n*10\r\n$7\r\nsummary\r\n"),
        "{one}"
    );
    assert!(one.contains("$11\r\nsubcommands\r\n") && one.contains("$11\r\nclient|list\r\n"));
    let list = h.cmd_str(c, &["COMMAND", "LIST", "FILTERBY", "PATTERN", "client|*"]);
    assert!(list.contains("client|kill") && !list.contains("$4\r\nping"));
    assert_eq!(
        h.cmd_str(c, &["COMMAND", "LIST", "FILTERBY", "x", "y"]),
        "-ERR syntax error\r\n"
    );
    h.cmd(c, &["HELLO", "3"]);
    for req in [
        &["COMMAND"][..],
        &["COMMAND", "DOCS"],
        &["COMMAND", "INFO", "client"],
    ] {
        let r = h.cmd(c, req);
        assert_eq!(split_values(&r).len(), 1, "{req:?}");
    }
    // Redis 7.0.15's own documentation: PING's optional `message` argument.
    let ping = h.cmd_str(c, &["COMMAND", "DOCS", "ping"]);
    assert!(ping.starts_with("%1\r\n$4\r\nping\r\n%5\r\n"), "{ping}");
    assert!(
        ping.ends_with(
            "$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$7\r\nmessage\r\n\
             $4\r\ntype\r\n$6\r\nstring\r\n$5\r\nflags\r\n~1\r\n+optional\r\n"
        ),
        "{ping}"
    );
}

/// Key specs and tips are Redis's own (not derived from first/last/step): MSET's keys are
/// `OW update` every second argument, DEL carries its cluster routing tips.
#[test]
fn key_specs_and_tips_are_redis_own() {
    let mut h = Harness::new();
    let c = h.connect();
    let mset = h.cmd_str(c, &["COMMAND", "INFO", "mset"]);
    assert!(mset.contains("*2\r\n+OW\r\n+update\r\n"), "{mset}");
    assert!(mset.contains("$7\r\nkeystep\r\n:2\r\n"), "{mset}");
    let del = h.cmd_str(c, &["COMMAND", "INFO", "del"]);
    assert!(
        del.contains("$26\r\nrequest_policy:multi_shard\r\n$23\r\nresponse_policy:agg_sum"),
        "{del}"
    );
    // Shard channels hash like keys but are not keys for COMMAND GETKEYS.
    assert_eq!(
        h.cmd_str(c, &["COMMAND", "GETKEYS", "SPUBLISH", "ch", "m"]),
        "-ERR The command has no key arguments\r\n"
    );
    // Keys in key-spec order: the destination first.
    assert_eq!(
        h.cmd_str(c, &["COMMAND", "GETKEYS", "ZDIFFSTORE", "d", "1", "a"]),
        "*2\r\n$1\r\nd\r\n$1\r\na\r\n"
    );
    // MAY_REPLICATE is never shown (Redis hides it).
    let publish = h.cmd_str(c, &["COMMAND", "INFO", "publish"]);
    assert!(!publish.contains("may_replicate"), "{publish}");
}
