//! The `timeout` directive closes idle clients from the cron.
mod common;
use common::*;

#[test]
fn idle_client_is_closed() {
    let mut h = Harness::with_config(config(&[("timeout", "2")]));
    let idle = h.connect();
    let busy = h.connect();
    for _ in 0..5 {
        let out = h.advance(1_000);
        assert!(!closed(&out, busy));
        h.cmd(busy, &["PING"]);
        if closed(&out, idle) {
            return;
        }
    }
    panic!("idle client was not closed");
}

#[test]
fn poll_timeout_and_early_timeout() {
    let mut h = Harness::new();
    let first = h.node.poll_timeout().expect("cron armed");
    h.node.handle_timeout(h.now); // early: no-op
    assert_eq!(h.node.poll_timeout(), Some(first));
    h.advance(100);
    assert!(h.node.poll_timeout().unwrap() > first);
}
