//! `maxclients` counts the clients connected now: once one disconnects, a new one is accepted.
mod common;
use common::*;

#[test]
fn slot_freed_by_disconnect() {
    let mut h = Harness::with_config(config(&[("maxclients", "1")]));
    let a = h.connect();
    let b = h.connect();
    let out = std::mem::take(&mut h.pending);
    assert_eq!(sent_to(&out, b), b"-ERR max number of clients reached\r\n");
    h.node.handle_closed(h.now, a);
    let c = h.connect();
    assert!(h.pending.is_empty());
    assert_eq!(h.cmd_str(c, &["PING"]), "+PONG\r\n");
}
