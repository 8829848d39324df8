//! repl-timeout on both sides.
mod common;
use common::*;

#[test]
fn master_drops_silent_replica_and_replica_drops_silent_master() {
    let mut net = Net::disk();
    let r = net.add_replica(Default::default());
    let conn = net.reps[r].conn;
    net.reps[r].cut = true; // nothing passes either way, nobody is told
    net.advance(60_000);
    assert!(
        net.closed_by_master.is_empty(),
        "exactly 60 s is not over the timeout"
    );
    assert_eq!(field(&net.replica_info(r), "master_link_status"), "up");
    net.advance(1_000);
    assert_eq!(net.closed_by_master, vec![conn]);
    let info = net.replica_info(r);
    assert_eq!(field(&info, "master_link_status"), "down");
    assert_eq!(field(&info, "master_last_io_seconds_ago"), "-1");
    // The replica keeps trying, and continues once the network heals.
    net.reps[r].cut = false;
    net.advance(2_000);
    assert_eq!(field(&net.replica_info(r), "master_link_status"), "up");
    assert_eq!(net.snapshots, 1, "partial resync after the timeout");
}

#[test]
fn handshake_timeout_retries() {
    let mut net = Net::disk();
    let r = net.add_replica(Default::default());
    net.break_link(r);
    net.reps[r].cut = true; // connects fail now
    net.advance(5_000);
    assert_eq!(field(&net.replica_info(r), "master_link_status"), "down");
    assert!(
        field(&net.replica_info(r), "master_link_down_since_seconds")
            .parse::<i64>()
            .unwrap()
            >= 5
    );
}
