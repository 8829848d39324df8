//! A client blocked in BZPOPMIN is served by a later ZADD from another client, keeps its
//! pipelined requests until then, and is served in FIFO order with other waiters (replies
//! checked against redis-server 7.0.15).
mod common;
use common::*;

fn blocked_clients(h: &mut Harness, c: hashslot_types::ConnId) -> String {
    let info = bulk_text(&h.cmd(c, &["INFO", "clients"]));
    info.lines()
        .find(|l| l.starts_with("blocked_clients:"))
        .unwrap()
        .to_owned()
}

#[test]
fn push_serves_the_blocked_client_then_its_pipeline_runs() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    let out = h.feed(
        a,
        &[encode(&["BZPOPMIN", "z", "0"]), encode(&["PING"])].concat(),
    );
    assert!(sent_to(&out, a).is_empty(), "parked: no reply, PING waits");
    assert_eq!(blocked_clients(&mut h, b), "blocked_clients:1");
    let list = h.cmd_str(b, &["CLIENT", "LIST"]);
    assert!(
        list.contains(" flags=b ") && list.contains(" cmd=bzpopmin "),
        "{list}"
    );
    let out = h.feed(b, &encode(&["ZADD", "z", "1", "a"]));
    assert_eq!(sent_to(&out, b), b":1\r\n");
    assert_eq!(
        sent_to(&out, a),
        b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n+PONG\r\n"
    );
    assert_eq!(blocked_clients(&mut h, b), "blocked_clients:0");
    assert_eq!(h.cmd_str(b, &["EXISTS", "z"]), ":0\r\n");
}

#[test]
fn waiters_are_served_in_fifo_order() {
    let mut h = Harness::new();
    let (a, b, c) = (h.connect(), h.connect(), h.connect());
    h.feed(a, &encode(&["BZPOPMIN", "z", "0"]));
    h.feed(b, &encode(&["BZPOPMIN", "z", "z2", "0"]));
    let out = h.feed(c, &encode(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]));
    assert_eq!(sent_to(&out, a), b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(sent_to(&out, b), b"*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert_eq!(h.cmd_str(c, &["ZCARD", "z"]), ":1\r\n");
}

#[test]
fn wrong_type_write_keeps_the_client_blocked() {
    let mut h = Harness::new();
    let (a, c) = (h.connect(), h.connect());
    h.feed(a, &encode(&["BZPOPMIN", "z2", "0"]));
    let out = h.feed(c, &encode(&["SET", "z2", "str"]));
    assert!(sent_to(&out, a).is_empty());
    h.cmd(c, &["DEL", "z2"]);
    let out = h.feed(c, &encode(&["ZADD", "z2", "5", "m"]));
    assert_eq!(
        sent_to(&out, a),
        b"*3\r\n$2\r\nz2\r\n$1\r\nm\r\n$1\r\n5\r\n"
    );
}

#[test]
fn served_inside_the_same_pipeline_before_the_next_command() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.feed(a, &encode(&["BZPOPMIN", "z", "0"]));
    let out = h.feed(
        b,
        &[encode(&["ZADD", "z", "1", "a"]), encode(&["ZCARD", "z"])].concat(),
    );
    assert_eq!(sent_to(&out, b), b":1\r\n:0\r\n");
    assert!(!sent_to(&out, a).is_empty());
}

#[test]
fn exec_serves_after_the_whole_transaction() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.feed(a, &encode(&["BZPOPMIN", "z", "0"]));
    h.cmd(b, &["MULTI"]);
    h.cmd(b, &["ZADD", "z", "1", "a"]);
    h.cmd(b, &["ZCARD", "z"]);
    let out = h.feed(b, &encode(&["EXEC"]));
    assert_eq!(sent_to(&out, b), b"*2\r\n:1\r\n:1\r\n");
    assert_eq!(sent_to(&out, a), b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n");
}

#[test]
fn blocking_inside_multi_does_not_block() {
    let mut h = Harness::new();
    let a = h.connect();
    h.cmd(a, &["MULTI"]);
    h.cmd(a, &["BZPOPMIN", "z", "0"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*1\r\n*-1\r\n");
}

#[test]
fn disconnecting_blocked_client_is_removed() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.feed(a, &encode(&["BZPOPMIN", "z", "0"]));
    h.node.handle_closed(h.now, a);
    assert_eq!(blocked_clients(&mut h, b), "blocked_clients:0");
    h.cmd(b, &["ZADD", "z", "1", "a"]);
    assert_eq!(h.cmd_str(b, &["ZCARD", "z"]), ":1\r\n");
}

#[test]
fn blpop_when_lists_exist() {
    if !hashslot_keyspace::commands()
        .iter()
        .any(|c| c.name == "blpop")
    {
        return; // the list commands have not landed yet
    }
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.feed(a, &encode(&["BLPOP", "l", "0"]));
    let out = h.feed(b, &encode(&["LPUSH", "l", "x"]));
    assert_eq!(sent_to(&out, b), b":1\r\n");
    assert_eq!(sent_to(&out, a), b"*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
}
