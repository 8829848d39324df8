//! Replica migration: an orphaned master gets a replica from the master with the most.
mod failover_support;

use failover_support::*;

#[test]
fn a_replica_migrates_to_an_orphaned_master() {
    // Master 0 has replicas 3 and 4; master 2 has replica 5.
    let mut net = cluster_with_replicas(&[0, 0, 2], 2000, 61);
    net.crash(5);
    net.run_until(30_000, "a replica of 0 moved to master 2", |n| {
        master_seen(n, 3, 3) == Some(2) || master_seen(n, 4, 4) == Some(2)
    });
    // The candidate is the smallest id of the two, and only it moved.
    let (a, b) = (net.nodes[3].myself_id(), net.nodes[4].myself_id());
    let (mover, stayer) = if a < b { (3, 4) } else { (4, 3) };
    assert_eq!(master_seen(&net, mover, mover), Some(2));
    assert_eq!(master_seen(&net, stayer, stayer), Some(0));
    net.run_until(5_000, "everyone knows", |n| {
        (0..5).all(|v| master_seen(n, v, mover) == Some(2))
    });
}

#[test]
fn no_migration_below_the_barrier() {
    // Master 0 has one replica only: it never gives it away (barrier 1).
    let mut net = cluster_with_replicas(&[0, 2], 2000, 62);
    net.crash(4);
    net.run(15_000);
    assert_eq!(master_seen(&net, 3, 3), Some(0));
}
