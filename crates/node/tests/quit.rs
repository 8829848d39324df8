//! QUIT replies +OK, closes, and runs nothing pipelined after it.
mod common;
use common::*;

#[test]
fn quit_closes_after_ok() {
    let mut h = Harness::new();
    let c = h.connect();
    let out = h.feed(c, b"PING\r\nQUIT\r\nPING\r\n");
    assert_eq!(sent_to(&out, c), b"+PONG\r\n+OK\r\n");
    assert!(closed(&out, c));
    // The Close comes after the Send.
    let send_at = out
        .iter()
        .position(|o| matches!(o, hashslot_node::Output::Send { .. }))
        .unwrap();
    let close_at = out
        .iter()
        .position(|o| matches!(o, hashslot_node::Output::Close { .. }))
        .unwrap();
    assert!(send_at < close_at);
    h.node.handle_closed(h.now, c);
    assert_eq!(h.node.connected_clients(), 0);
}
