//! Pub/sub in RESP3: confirmations and messages are push frames, a subscribed client may run
//! any command, and it receives its own PUBLISH before the reply (checked against
//! redis-server 7.0.15).
mod common;
use common::*;

#[test]
fn push_frames_and_self_delivery() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["HELLO", "3"]);
    assert_eq!(
        h.cmd_str(a, &["UNSUBSCRIBE"]),
        ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"
    );
    assert_eq!(
        h.cmd_str(a, &["SUBSCRIBE", "c1"]),
        ">3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:1\r\n"
    );
    assert_eq!(
        h.cmd_str(a, &["PSUBSCRIBE", "c*"]),
        ">3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:2\r\n"
    );
    assert_eq!(h.cmd_str(a, &["PING"]), "+PONG\r\n");
    assert_eq!(h.cmd_str(a, &["GET", "k"]), "_\r\n");
    assert_eq!(
        h.cmd_str(a, &["PUBLISH", "c1", "x"]),
        ">3\r\n$7\r\nmessage\r\n$2\r\nc1\r\n$1\r\nx\r\n>4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc1\r\n$1\r\nx\r\n:2\r\n"
    );
    let out = h.feed(b, &encode(&["PUBLISH", "c1", "y"]));
    assert_eq!(sent_to(&out, b), b":2\r\n");
    assert_eq!(
        sent_to(&out, a),
        b">3\r\n$7\r\nmessage\r\n$2\r\nc1\r\n$1\r\ny\r\n>4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc1\r\n$1\r\ny\r\n"
    );
}

#[test]
fn publish_inside_exec() {
    let mut h = Harness::new();
    let a = h.connect();
    h.cmd(a, &["HELLO", "3"]);
    h.cmd(a, &["SUBSCRIBE", "c1"]);
    h.cmd(a, &["MULTI"]);
    h.cmd(a, &["PUBLISH", "c1", "q"]);
    assert_eq!(
        h.cmd_str(a, &["EXEC"]),
        "*1\r\n>3\r\n$7\r\nmessage\r\n$2\r\nc1\r\n$1\r\nq\r\n:1\r\n"
    );
}

#[test]
fn subscribe_inside_multi_is_allowed_but_ssubscribe_is_not() {
    let mut h = Harness::new();
    let a = h.connect();
    h.cmd(a, &["MULTI"]);
    h.cmd(a, &["SUBSCRIBE", "c"]);
    h.cmd(a, &["SSUBSCRIBE", "s"]);
    assert_eq!(
        h.cmd_str(a, &["EXEC"]),
        "*2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n\
         -ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"
    );
}
