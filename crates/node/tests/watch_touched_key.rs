//! WATCH: EXEC replies a null array when a watched key was modified by anyone, the watching
//! client included; untouched keys, no-op writes and UNWATCH let it run (checked against
//! redis-server 7.0.15).
mod common;
use common::*;

#[test]
fn write_by_another_client_aborts() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    assert_eq!(h.cmd_str(a, &["WATCH", "k"]), "+OK\r\n");
    h.cmd(b, &["SET", "k", "1"]);
    h.cmd(a, &["MULTI"]);
    h.cmd(a, &["GET", "k"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*-1\r\n");
    // The watch is gone after EXEC.
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*0\r\n");
}

#[test]
fn write_by_the_same_client_aborts() {
    let mut h = Harness::new();
    let a = h.connect();
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(a, &["SET", "k", "2"]);
    h.cmd(a, &["MULTI"]);
    h.cmd(a, &["GET", "k"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*-1\r\n");
}

#[test]
fn untouched_and_noop_writes_run() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["WATCH", "k", "j"]);
    h.cmd(b, &["DEL", "k"]); // nothing deleted: dirty 0
    h.cmd(b, &["SET", "other", "1"]);
    h.cmd(a, &["MULTI"]);
    h.cmd(a, &["SET", "k", "x"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*1\r\n+OK\r\n");
}

#[test]
fn unwatch_and_discard_forget() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(b, &["SET", "k", "1"]);
    assert_eq!(h.cmd_str(a, &["UNWATCH"]), "+OK\r\n");
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*0\r\n");
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(a, &["MULTI"]);
    h.cmd(a, &["DISCARD"]);
    h.cmd(b, &["SET", "k", "2"]);
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*0\r\n");
}

#[test]
fn other_database_and_resp3() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["HELLO", "3"]);
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(b, &["SELECT", "1"]);
    h.cmd(b, &["SET", "k", "1"]); // db 1: not the watched key
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*0\r\n");
    h.cmd(a, &["WATCH", "k"]);
    h.cmd(a, &["SELECT", "1"]);
    h.cmd(b, &["SELECT", "0"]);
    h.cmd(b, &["SET", "k", "3"]);
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "_\r\n");
}

#[test]
fn watched_client_disconnecting_is_forgotten() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["WATCH", "k"]);
    h.node.handle_closed(h.now, a);
    assert_eq!(h.cmd_str(b, &["SET", "k", "1"]), "+OK\r\n");
}
