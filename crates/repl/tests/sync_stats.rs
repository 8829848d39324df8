//! `INFO stats` `sync_full` / `sync_partial_ok` / `sync_partial_err`, counted as Redis 7.0's
//! `syncCommand` counts them: a first sync is full; a reconnect within the backlog is a
//! partial success; a reconnect beyond it is a partial failure *and* a full sync.
mod common;
use common::*;
use hashslot_repl::*;

fn stats(net: &Net) -> (u64, u64, u64) {
    let s = net.master.sync_stats();
    (s.sync_full, s.sync_partial_ok, s.sync_partial_err)
}

#[test]
fn psync_outcomes_are_counted_as_redis_counts_them() {
    let mut net = Net::new(MasterConfig {
        repl_diskless_sync: false,
        repl_backlog_size: 64,
        ..MasterConfig::default()
    });
    assert_eq!(stats(&net), (0, 0, 0));
    // First contact: `PSYNC ? -1` is a full sync, not a failed partial one.
    let r = net.add_replica(ReplicaConfig::default());
    assert_eq!(stats(&net), (1, 0, 0));

    // Back within the backlog: continued.
    net.break_link(r);
    net.write(0, &["SET", "a", "1"]);
    net.advance(1_000);
    assert_eq!(stats(&net), (1, 1, 0));

    // Back after the backlog moved past it: a failed partial, then a full sync.
    net.break_link(r);
    for i in 0..10 {
        net.write(0, &["SET", "key", &i.to_string()]);
    }
    net.advance(1_000);
    assert_eq!(stats(&net), (2, 1, 1));
    assert_eq!(
        net.reps[r].sm.repl_offset(),
        net.master.master_repl_offset()
    );

    // CONFIG RESETSTAT.
    net.master.reset_sync_stats();
    assert_eq!(stats(&net), (0, 0, 0));
}
