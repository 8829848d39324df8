//! Lists: BLMOVE served by LPUSH pushes into its destination, which serves a BLPOP waiting
//! there in the same round; BRPOPLPUSH times out with a null array (checked against
//! redis-server 7.0.15).
mod common;
use common::*;

fn lists_available() -> bool {
    hashslot_keyspace::commands()
        .iter()
        .any(|c| c.name == "blmove")
}

#[test]
fn blmove_then_blpop_chain() {
    if !lists_available() {
        return;
    }
    let mut h = Harness::new();
    let (a, b, c) = (h.connect(), h.connect(), h.connect());
    h.feed(a, &encode(&["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]));
    h.feed(b, &encode(&["BLPOP", "dst", "0"]));
    let out = h.feed(c, &encode(&["LPUSH", "src", "x"]));
    assert_eq!(sent_to(&out, c), b":1\r\n");
    assert_eq!(sent_to(&out, a), b"$1\r\nx\r\n");
    assert_eq!(sent_to(&out, b), b"*2\r\n$3\r\ndst\r\n$1\r\nx\r\n");
    assert_eq!(h.cmd_str(c, &["EXISTS", "dst", "src"]), ":0\r\n");
}

#[test]
fn brpoplpush_timeout_is_a_null_array() {
    if !lists_available() {
        return;
    }
    let mut h = Harness::new();
    let a = h.connect();
    h.feed(a, &encode(&["BRPOPLPUSH", "src", "dst", "0.1"]));
    let out = h.advance(100);
    assert_eq!(sent_to(&out, a), b"*-1\r\n");
}
