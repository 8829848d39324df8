//! A replica restarted from an RDB file that holds its replication position (`repl-id`,
//! `repl-offset`) offers it in its first PSYNC and continues with `+CONTINUE`, receiving only
//! what it missed, as Redis does (`replicationCacheMasterUsingMyself` at load). The position
//! is only taken before that first PSYNC, on a replica that has not synced yet.
mod common;
use common::*;
use hashslot_repl::*;
use hashslot_types::Rng;

fn fresh_replica(net: &Net) -> ReplicationReplica {
    let history = ReplHistory::new(&mut Rng::from_seed(9));
    ReplicationReplica::new(
        net.now,
        ReplicaConfig::default(),
        history,
        "127.0.0.1",
        6379,
    )
}

#[test]
fn restarted_replica_continues_from_the_saved_position() {
    let mut net = Net::disk();
    let r = net.add_replica(ReplicaConfig::default());
    net.write(0, &["SET", "a", "1"]);
    // What its RDB would hold (rdbPopulateSaveInfo): the id and offset it reached.
    let saved = net.reps[r].sm.history().clone();
    assert_eq!(saved.master_repl_offset, net.master.master_repl_offset());

    // It dies; the master moves on; it restarts from its RDB.
    net.break_link(r);
    net.write(0, &["SET", "b", "2"]);
    let mut restarted = fresh_replica(&net);
    assert!(restarted.restore_cached(
        ReplHistory::restored(saved.replid, saved.master_repl_offset),
        0
    ));
    net.reps[r].sm = restarted;
    net.reps[r].applied.clear();
    let before = net.reps[r].received.len();
    net.advance(1_000);

    let after = String::from_utf8_lossy(&net.reps[r].received[before..]).into_owned();
    let replid = net.master.history().replid;
    assert!(
        after.contains(&format!("+CONTINUE {replid}\r\n")),
        "{after}"
    );
    assert_eq!(net.snapshots, 1, "no second snapshot");
    let got: Vec<_> = net.reps[r].applied.iter().map(|a| a.argv.clone()).collect();
    assert_eq!(got, vec![argv(&["SET", "b", "2"])]);
    assert_eq!(
        net.reps[r].sm.repl_offset(),
        net.master.master_repl_offset()
    );
    assert_eq!(net.master.sync_stats().sync_partial_ok, 1);
}

#[test]
fn the_saved_position_is_refused_once_the_replica_has_synced() {
    let mut net = Net::disk();
    let r = net.add_replica(ReplicaConfig::default());
    net.write(0, &["SET", "a", "1"]);
    let other = ReplHistory::restored(net.master.history().replid, 1);
    assert!(!net.reps[r].sm.restore_cached(other, 0));
    assert_eq!(
        net.reps[r].sm.repl_offset(),
        net.master.master_repl_offset()
    );
}
