//! Connections over `maxclients` are refused with Redis's error and closed.
mod common;
use common::*;
use hashslot_node::Output;

#[test]
fn over_maxclients_is_refused() {
    let mut h = Harness::with_config(config(&[("maxclients", "2")]));
    let a = h.connect();
    let _b = h.connect();
    let c = h.connect();
    let out = std::mem::take(&mut h.pending);
    assert_eq!(sent_to(&out, c), b"-ERR max number of clients reached\r\n");
    assert!(out.contains(&Output::Close { conn: c }));
    assert!(h.feed(c, b"PING\r\n").is_empty());
    assert_eq!(h.cmd_str(a, &["PING"]), "+PONG\r\n");
    let info = bulk_text(&h.cmd(a, &["INFO", "stats"]));
    assert!(info.contains("\r\nrejected_connections:1\r\n"));
    assert!(info.contains("\r\ntotal_connections_received:2\r\n"));
}
