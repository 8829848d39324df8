//! CLIENT LIST/INFO/KILL/SETNAME/REPLY with virtual time.
mod common;
use common::*;

#[test]
fn list_is_ordered_by_id_with_age_and_idle() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    assert_eq!(h.cmd_str(a, &["CLIENT", "SETNAME", "alpha"]), "+OK\r\n");
    assert_eq!(
        h.cmd_str(a, &["CLIENT", "SETNAME", "a b"]),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    h.advance(5_000);
    h.cmd(b, &["PING"]);
    h.advance(2_000);
    let list = bulk_text(&h.cmd(b, &["CLIENT", "LIST"]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("id=1 addr=127.0.0.1:40001 laddr=127.0.0.1:6379 fd=11 name=alpha age=7 idle=7 flags=N db=0 "), "{}", lines[0]);
    assert!(lines[1].starts_with("id=2 "), "{}", lines[1]);
    assert!(
        lines[1].contains(" age=7 idle=0 ")
            && lines[1].contains(" cmd=client|list user=default redir=-1 resp=2"),
        "{}",
        lines[1]
    );
    let info = bulk_text(&h.cmd(a, &["CLIENT", "INFO"]));
    assert!(info.starts_with("id=1 ") && info.ends_with("resp=2\n"));
    assert_eq!(h.cmd_str(a, &["CLIENT", "ID"]), ":1\r\n");
    let only = bulk_text(&h.cmd(a, &["CLIENT", "LIST", "ID", "2"]));
    assert!(only.starts_with("id=2 ") && only.lines().count() == 1);
    assert_eq!(
        bulk_text(&h.cmd(a, &["CLIENT", "LIST", "TYPE", "pubsub"])),
        ""
    );
}

#[test]
fn kill_by_id_and_addr() {
    let mut h = Harness::new();
    let a = h.connect();
    let b = h.connect();
    let c = h.connect();
    let out = h.feed(a, &encode(&["CLIENT", "KILL", "ID", "2"]));
    assert_eq!(sent_to(&out, a), b":1\r\n");
    assert!(closed(&out, b));
    let out = h.feed(a, &encode(&["CLIENT", "KILL", "127.0.0.1:40003"]));
    assert_eq!(sent_to(&out, a), b"+OK\r\n");
    assert!(closed(&out, c));
    assert_eq!(
        h.cmd_str(a, &["CLIENT", "KILL", "127.0.0.1:1"]),
        "-ERR No such client\r\n"
    );
    // Killing itself with SKIPME no: the reply, then Close.
    let out = h.feed(a, &encode(&["CLIENT", "KILL", "ID", "1", "SKIPME", "no"]));
    assert_eq!(sent_to(&out, a), b":1\r\n");
    assert!(closed(&out, a));
}

#[test]
fn reply_off_skip_on() {
    let mut h = Harness::new();
    let a = h.connect();
    assert_eq!(
        h.raw(
            a,
            b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n"
        ),
        b"+OK\r\n+PONG\r\n"
    );
    assert_eq!(
        h.raw(a, b"CLIENT REPLY SKIP\r\nECHO a\r\nECHO b\r\n"),
        b"$1\r\nb\r\n"
    );
}
