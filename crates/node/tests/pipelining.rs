//! 100 pipelined commands in one read: replies in order, in one Send.
mod common;
use common::*;

#[test]
fn hundred_commands_one_read_one_send_in_order() {
    let mut h = Harness::new();
    let c = h.connect();
    let mut input = Vec::new();
    let mut want = Vec::new();
    for i in 0..100 {
        if i % 2 == 0 {
            input.extend(encode(&["ECHO", &format!("msg-{i}")]));
            let m = format!("msg-{i}");
            want.extend(format!("${}\r\n{m}\r\n", m.len()).into_bytes());
        } else {
            input.extend_from_slice(b"PING\r\n");
            want.extend_from_slice(b"+PONG\r\n");
        }
    }
    let out = h.feed(c, &input);
    assert_eq!(sends_to(&out, c), 1, "one Send for the whole batch");
    assert_eq!(sent_to(&out, c), want);
}

#[test]
fn incomplete_tail_waits_for_the_rest() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.raw(c, b"PING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhel"),
        b"+PONG\r\n"
    );
    assert_eq!(h.raw(c, b"lo\r\n"), b"$5\r\nhello\r\n");
}
