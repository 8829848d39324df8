//! Chained replication with our node at every level: master → replica → sub-replica. Writes
//! made at the top arrive at the bottom (both sync kinds: the sub-replica's full sync gets the
//! middle's dataset, then the proxied stream), all three share the top's replication id and
//! offsets, and the middle lists its sub-replica in `INFO replication` while still a replica.
//! Promoted (`REPLICAOF NO ONE`), the middle disconnects its replica, which continues with it
//! through the middle's `replid2`.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod replication_chain_support;
mod support;

use replication_chain_support::{field, start_replica, text, wait_for, wait_synced, QUIET};
use support::{Flavor, Server};

#[test]
fn writes_at_the_top_reach_the_bottom_of_our_chain() {
    let top = Server::start(Flavor::Node, QUIET);
    let mut t = top.connect();
    for i in 0..200 {
        t.cmd(&["SET", &format!("before:{i}"), "v"]);
    }
    t.cmd(&["SELECT", "2"]);
    t.cmd(&["SET", "in-db-2", "x"]);
    let middle = start_replica(Flavor::Node, &top, QUIET);
    let mut m = middle.connect();
    wait_synced(&mut t, &mut m, &[&top, &middle]);
    // The stream is in db 2 when the sub-replica syncs: the middle's snapshot says so, and
    // the proxied stream goes on without a SELECT.
    t.cmd(&["SET", "in-db-2-again", "y"]);
    wait_synced(&mut t, &mut m, &[&top, &middle]);
    let bottom = start_replica(Flavor::Node, &middle, QUIET);
    let mut b = bottom.connect();
    wait_synced(&mut m, &mut b, &[&top, &middle, &bottom]);
    t.cmd(&["SET", "in-db-2-after", "z"]);
    t.cmd(&["SELECT", "0"]);
    for i in 0..200 {
        t.cmd(&["SET", &format!("after:{i}"), "v"]);
    }
    t.cmd(&["MULTI"]);
    t.cmd(&["INCR", "counter"]);
    t.cmd(&["LPUSH", "list", "a", "b"]);
    t.cmd(&["EXEC"]);
    wait_for(
        "the writes at the bottom",
        &[&top, &middle, &bottom],
        || (b.cmd(&["GET", "counter"]) == b"$1\r\n1\r\n").then_some(()),
    );
    wait_synced(&mut m, &mut b, &[&top, &middle, &bottom]);
    assert_eq!(text(b.cmd(&["DBSIZE"])), ":402\r\n");
    b.cmd(&["SELECT", "2"]);
    assert_eq!(text(b.cmd(&["DBSIZE"])), ":3\r\n");
    assert_eq!(text(b.cmd(&["GET", "in-db-2-after"])), "$1\r\nz\r\n");
    b.cmd(&["SELECT", "0"]);

    // One history: the top's id and offset everywhere.
    let id = field(&mut t, "replication", "master_replid");
    assert!(id.is_some());
    assert_eq!(field(&mut m, "replication", "master_replid"), id);
    assert_eq!(field(&mut b, "replication", "master_replid"), id);
    let off = field(&mut t, "replication", "master_repl_offset");
    assert_eq!(field(&mut m, "replication", "master_repl_offset"), off);
    assert_eq!(field(&mut b, "replication", "master_repl_offset"), off);

    // The middle is a replica that lists its own replica.
    assert_eq!(
        field(&mut m, "replication", "role").as_deref(),
        Some("slave")
    );
    assert_eq!(
        field(&mut m, "replication", "connected_slaves").as_deref(),
        Some("1")
    );
    let line = field(&mut m, "replication", "slave0").expect("slave0 line");
    let port = bottom.port();
    assert!(
        line.starts_with(&format!("ip=127.0.0.1,port={port},state=online,offset=")),
        "{line}"
    );
    // The middle served one full sync; the top one too (the middle's).
    assert_eq!(field(&mut m, "stats", "sync_full").as_deref(), Some("1"));
    assert_eq!(field(&mut t, "stats", "sync_full").as_deref(), Some("1"));
    // The sub-replica is read-only like any replica.
    assert!(text(b.cmd(&["SET", "x", "1"])).starts_with("-READONLY"));

    // The middle is promoted: it disconnects its replica to tell it the new id, and the
    // replica continues with it through replid2 (no second full sync).
    assert_eq!(text(m.cmd(&["REPLICAOF", "NO", "ONE"])), "+OK\r\n");
    assert_eq!(field(&mut m, "replication", "master_replid2"), id);
    let new_id = field(&mut m, "replication", "master_replid");
    wait_for(
        "the sub-replica to follow the new id",
        &[&middle, &bottom],
        || {
            let up = field(&mut b, "replication", "master_link_status").as_deref() == Some("up");
            (up && field(&mut b, "replication", "master_replid") == new_id).then_some(())
        },
    );
    assert_eq!(field(&mut m, "stats", "sync_full").as_deref(), Some("1"));
    assert_eq!(
        field(&mut m, "stats", "sync_partial_ok").as_deref(),
        Some("1")
    );
    assert_eq!(text(m.cmd(&["SET", "from-middle", "1"])), "+OK\r\n");
    wait_for("the promoted middle's write", &[&middle, &bottom], || {
        (b.cmd(&["GET", "from-middle"]) == b"$1\r\n1\r\n").then_some(())
    });
}
