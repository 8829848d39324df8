//! A blocked client times out at its deadline with a null array (RESP3 `_`), and CLIENT
//! UNBLOCK ends the wait early with the timeout reply or an -UNBLOCKED error (replies checked
//! against redis-server 7.0.15).
mod common;
use common::*;

#[test]
fn timeout_replies_null_at_the_deadline() {
    let mut h = Harness::new();
    let a = h.connect();
    let out = h.feed(
        a,
        &[encode(&["BZPOPMIN", "z", "0.5"]), encode(&["PING"])].concat(),
    );
    assert!(sent_to(&out, a).is_empty());
    let out = h.advance(499);
    assert!(sent_to(&out, a).is_empty(), "not yet");
    let out = h.advance(1);
    assert_eq!(sent_to(&out, a), b"*-1\r\n+PONG\r\n");
}

#[test]
fn resp3_timeout_is_null() {
    let mut h = Harness::new();
    let a = h.connect();
    h.cmd(a, &["HELLO", "3"]);
    h.feed(a, &encode(&["BZPOPMIN", "z", "0.1"]));
    let out = h.advance(200);
    assert_eq!(sent_to(&out, a), b"_\r\n");
}

#[test]
fn earlier_deadline_fires_first() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.feed(a, &encode(&["BZPOPMIN", "z", "2"]));
    h.feed(b, &encode(&["BZPOPMIN", "z", "1"]));
    let out = h.advance(1000);
    assert_eq!(sent_to(&out, b), b"*-1\r\n");
    assert!(sent_to(&out, a).is_empty());
    let out = h.advance(1000);
    assert_eq!(sent_to(&out, a), b"*-1\r\n");
}

#[test]
fn client_unblock() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    let id = String::from_utf8(h.cmd(a, &["CLIENT", "ID"])).unwrap();
    let id = id.trim_start_matches(':').trim_end().to_owned();
    h.feed(a, &encode(&["BZPOPMIN", "z", "0"]));
    assert_eq!(
        h.cmd_str(b, &["CLIENT", "UNBLOCK", &id, "bogus"]),
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    );
    assert_eq!(
        h.cmd_str(b, &["CLIENT", "UNBLOCK", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    let out = h.feed(b, &encode(&["CLIENT", "UNBLOCK", &id, "ERROR"]));
    assert_eq!(sent_to(&out, b), b":1\r\n");
    assert_eq!(
        sent_to(&out, a),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(h.cmd_str(b, &["CLIENT", "UNBLOCK", &id]), ":0\r\n");
    h.feed(a, &encode(&["BZPOPMIN", "z", "0"]));
    let out = h.feed(b, &encode(&["CLIENT", "UNBLOCK", &id]));
    assert_eq!(sent_to(&out, b), b":1\r\n");
    assert_eq!(sent_to(&out, a), b"*-1\r\n");
    assert_eq!(h.cmd_str(b, &["CLIENT", "UNBLOCK", "99999"]), ":0\r\n");
}
