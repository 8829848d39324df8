//! A sub-replica survives a restart of the replica in the middle of its chain. The middle comes
//! back empty, syncs fully with the top (taking the top's id and offset), and the sub-replica,
//! reconnecting, continues with a partial resync when nothing was written meanwhile (its
//! offset is exactly where the middle's new backlog starts), or syncs fully when writes moved
//! the top on. The middle's sync counters and the sub-replica's data are compared with a
//! `redis-server` in the middle of the same chain.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod replication_chain_support;
mod support;

use replication_chain_support::{field, start_replica, text, wait_for, wait_synced, OnPort, QUIET};
use support::{require_tool, Flavor, Server};

/// The middle's (`sync_full`, `sync_partial_ok`) after its restart, with `middle` as the
/// middle's flavor and Redis at both ends.
fn restart_middle(middle: Flavor, writes_while_down: bool) -> (Option<String>, Option<String>) {
    let label = format!(
        "{} in the middle, writes {writes_while_down}",
        middle.label()
    );
    let top = Server::start(Flavor::Redis, QUIET);
    let mut t = top.connect();
    for i in 0..50 {
        t.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    let mid = start_replica(middle, &top, QUIET);
    let mut m = mid.connect();
    wait_synced(&mut t, &mut m, &[&top, &mid]);
    let bottom = start_replica(Flavor::Redis, &mid, QUIET);
    let mut b = bottom.connect();
    wait_synced(&mut m, &mut b, &[&top, &mid, &bottom]);
    t.cmd(&["SET", "k50", "v"]);
    wait_synced(&mut t, &mut m, &[&top, &mid, &bottom]);
    wait_synced(&mut m, &mut b, &[&top, &mid, &bottom]);

    let port = mid.port();
    drop(m);
    drop(mid); // SIGKILL
    wait_for(
        &format!("{label}: the bottom's link down"),
        &[&top, &bottom],
        || {
            (field(&mut b, "replication", "master_link_status").as_deref() == Some("down"))
                .then_some(())
        },
    );
    if writes_while_down {
        t.cmd(&["SET", "while-down", "v"]);
    }
    let tport = top.port().to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", tport.as_str()];
    args.extend_from_slice(QUIET);
    let mid = OnPort::start(middle, port, &args);
    let mut m = mid.connect();
    wait_synced(&mut t, &mut m, &[&top]);
    wait_synced(&mut m, &mut b, &[&top, &bottom]);
    t.cmd(&["SET", "after", "v"]);
    wait_for(
        &format!("{label}: the write after"),
        &[&top, &bottom],
        || (b.cmd(&["GET", "after"]) == b"$1\r\nv\r\n").then_some(()),
    );
    let keys = if writes_while_down {
        ":53\r\n"
    } else {
        ":52\r\n"
    };
    assert_eq!(text(b.cmd(&["DBSIZE"])), keys, "{label}");
    (
        field(&mut m, "stats", "sync_full"),
        field(&mut m, "stats", "sync_partial_ok"),
    )
}

#[test]
fn sub_replica_continues_after_the_middle_restarts() {
    if require_tool("redis-server").is_none() {
        return;
    }
    for writes_while_down in [false, true] {
        let redis = restart_middle(Flavor::Redis, writes_while_down);
        let ours = restart_middle(Flavor::Node, writes_while_down);
        assert_eq!(ours, redis, "writes while down: {writes_while_down}");
        let expected_partial = if writes_while_down { "0" } else { "1" };
        assert_eq!(redis.1.as_deref(), Some(expected_partial));
    }
}
