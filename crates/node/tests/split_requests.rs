//! A request stream split at every byte boundary gives the same replies.
mod common;
use common::*;

fn stream() -> Vec<u8> {
    let mut s = Vec::new();
    s.extend(encode(&["PING"]));
    s.extend(encode(&["ECHO", "hello world"]));
    s.extend_from_slice(b"ECHO inline\r\n");
    s.extend(encode(&["CLIENT", "SETNAME", "abc"]));
    s.extend(encode(&["CLIENT", "GETNAME"]));
    s.extend(encode(&["ECHO", ""]));
    s.extend(encode(&["NOSUCH", "a"]));
    s
}

#[test]
fn every_split_point_same_replies() {
    let input = stream();
    let mut h = Harness::new();
    let c = h.connect();
    let want = h.raw(c, &input);
    assert!(want.starts_with(b"+PONG\r\n$11\r\nhello world\r\n$6\r\ninline\r\n+OK\r\n$3\r\nabc\r\n$0\r\n\r\n-ERR unknown command"));
    for cut in 0..=input.len() {
        let mut h = Harness::new();
        let c = h.connect();
        let mut got = h.raw(c, &input[..cut]);
        got.extend(h.raw(c, &input[cut..]));
        assert_eq!(got, want, "split at {cut}");
    }
}

#[test]
fn byte_by_byte_same_replies() {
    let input = stream();
    let mut h = Harness::new();
    let c = h.connect();
    let want = h.raw(c, &input);
    let mut h = Harness::new();
    let c = h.connect();
    let mut got = Vec::new();
    for b in &input {
        got.extend(h.raw(c, std::slice::from_ref(b)));
    }
    assert_eq!(got, want);
}
