//! Pub/sub in RESP2: confirmations, message delivery in subscription order, the restricted
//! command set of a subscribed client, and PUBSUB introspection (replies checked against
//! redis-server 7.0.15; PUBSUB CHANNELS lists in byte order where Redis uses hash order).
mod common;
use common::*;

#[test]
fn subscribe_publish_unsubscribe() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    assert_eq!(
        h.cmd_str(a, &["UNSUBSCRIBE"]),
        "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(
        h.cmd_str(a, &["SUBSCRIBE", "c1", "c2", "c1"]),
        "*3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nc2\r\n:2\r\n\
         *3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:2\r\n"
    );
    assert_eq!(h.cmd_str(a, &["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(
        h.cmd_str(a, &["PING", "hi"]),
        "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
    );
    assert_eq!(
        h.cmd_str(a, &["GET", "k"]),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET \
         are allowed in this context\r\n"
    );
    assert_eq!(
        h.cmd_str(a, &["PSUBSCRIBE", "c*", "d?"]),
        "*3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:3\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\nd?\r\n:4\r\n"
    );
    assert_eq!(
        h.cmd_str(a, &["SSUBSCRIBE", "s1"]),
        "*3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n"
    );
    let out = h.feed(b, &encode(&["PUBLISH", "c1", "m1"]));
    assert_eq!(sent_to(&out, b), b":2\r\n");
    assert_eq!(
        sent_to(&out, a),
        b"*3\r\n$7\r\nmessage\r\n$2\r\nc1\r\n$2\r\nm1\r\n\
          *4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc1\r\n$2\r\nm1\r\n"
    );
    let out = h.feed(b, &encode(&["SPUBLISH", "s1", "hello"]));
    assert_eq!(sent_to(&out, b), b":1\r\n");
    assert_eq!(
        sent_to(&out, a),
        b"*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$5\r\nhello\r\n"
    );
    let list = h.cmd_str(b, &["CLIENT", "LIST"]);
    assert!(
        list.contains(" flags=P db=0 sub=2 psub=2 ssub=1 "),
        "{list}"
    );
    let stats = bulk_text(&h.cmd(b, &["INFO", "stats"]));
    assert!(
        stats.contains("\r\npubsub_channels:2\r\npubsub_patterns:2\r\npubsubshard_channels:1\r\n")
    );
    assert_eq!(
        h.cmd_str(a, &["UNSUBSCRIBE"]),
        "*3\r\n$11\r\nunsubscribe\r\n$2\r\nc1\r\n:3\r\n*3\r\n$11\r\nunsubscribe\r\n$2\r\nc2\r\n:2\r\n"
    );
    assert_eq!(
        h.cmd_str(a, &["PUNSUBSCRIBE", "d?", "nope"]),
        "*3\r\n$12\r\npunsubscribe\r\n$2\r\nd?\r\n:1\r\n*3\r\n$12\r\npunsubscribe\r\n$4\r\nnope\r\n:1\r\n"
    );
    assert_eq!(
        h.cmd_str(a, &["SUNSUBSCRIBE"]),
        "*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:0\r\n"
    );
    assert_eq!(
        h.cmd_str(a, &["PUNSUBSCRIBE"]),
        "*3\r\n$12\r\npunsubscribe\r\n$2\r\nc*\r\n:0\r\n"
    );
    assert_eq!(h.cmd_str(a, &["PING"]), "+PONG\r\n");
}

#[test]
fn pubsub_introspection() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["SUBSCRIBE", "c2", "c1", "x"]);
    h.cmd(a, &["PSUBSCRIBE", "p*", "q*"]);
    h.cmd(a, &["SSUBSCRIBE", "s1"]);
    assert_eq!(
        h.cmd_str(b, &["PUBSUB", "CHANNELS", "c?"]),
        "*2\r\n$2\r\nc1\r\n$2\r\nc2\r\n"
    );
    assert_eq!(
        h.cmd_str(b, &["PUBSUB", "NUMSUB", "c1", "zz"]),
        "*4\r\n$2\r\nc1\r\n:1\r\n$2\r\nzz\r\n:0\r\n"
    );
    assert_eq!(h.cmd_str(b, &["PUBSUB", "NUMSUB"]), "*0\r\n");
    assert_eq!(h.cmd_str(b, &["PUBSUB", "NUMPAT"]), ":2\r\n");
    assert_eq!(
        h.cmd_str(b, &["PUBSUB", "SHARDCHANNELS"]),
        "*1\r\n$2\r\ns1\r\n"
    );
    assert_eq!(
        h.cmd_str(b, &["PUBSUB", "SHARDNUMSUB", "s1", "x"]),
        "*4\r\n$2\r\ns1\r\n:1\r\n$1\r\nx\r\n:0\r\n"
    );
    assert_eq!(
        h.cmd_str(b, &["PUBSUB", "NOPE"]),
        "-ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        h.cmd_str(b, &["PUBSUB"]),
        "-ERR wrong number of arguments for 'pubsub' command\r\n"
    );
    let help = h.cmd_str(b, &["PUBSUB", "HELP"]);
    assert!(help.starts_with(
        "*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    ));
    assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
}

#[test]
fn reset_and_disconnect_drop_subscriptions() {
    let mut h = Harness::new();
    let (a, b, c) = (h.connect(), h.connect(), h.connect());
    h.cmd(a, &["SUBSCRIBE", "ch"]);
    h.cmd(b, &["SUBSCRIBE", "ch"]);
    assert_eq!(h.cmd_str(a, &["RESET"]), "+RESET\r\n");
    assert_eq!(h.cmd_str(a, &["GET", "k"]), "$-1\r\n");
    h.node.handle_closed(h.now, b);
    assert_eq!(h.cmd_str(c, &["PUBLISH", "ch", "m"]), ":0\r\n");
    assert_eq!(h.cmd_str(c, &["PUBSUB", "CHANNELS"]), "*0\r\n");
}

#[test]
fn subscribed_client_is_type_pubsub() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["SUBSCRIBE", "ch"]);
    let normal = h.cmd_str(b, &["CLIENT", "LIST", "TYPE", "normal"]);
    assert!(!normal.contains(" flags=P "), "{normal}");
    let pubsub = h.cmd_str(b, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert!(pubsub.contains(" flags=P "), "{pubsub}");
}
