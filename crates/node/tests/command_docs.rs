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
    assert!(h
        .cmd_str(c, &["COMMAND", "DOCS", "ping"])
        .starts_with("%1\r\n$4\r\nping\r\n%4\r\n"));
}
