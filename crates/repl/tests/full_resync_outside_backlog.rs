//! A replica that missed more than the backlog holds gets a full resync.
mod common;
use common::*;
use hashslot_repl::*;

#[test]
fn long_disconnect_needs_full_resync() {
    let mut net = Net::new(MasterConfig {
        repl_diskless_sync: false,
        repl_backlog_size: 64,
        ..MasterConfig::default()
    });
    let r = net.add_replica(ReplicaConfig::default());
    net.break_link(r);
    for i in 0..10 {
        net.write(0, &["SET", "key", &i.to_string()]);
    }
    net.advance(1_000);
    assert_eq!(net.snapshots, 2);
    assert_eq!(net.reps[r].loads.len(), 2);
    let text = String::from_utf8_lossy(&net.reps[r].received).into_owned();
    assert_eq!(text.matches("+FULLRESYNC").count(), 2);
    assert_eq!(
        net.reps[r].sm.repl_offset(),
        net.master.master_repl_offset()
    );
    net.write(0, &["SET", "x", "y"]);
    assert_eq!(
        net.reps[r].applied.last().unwrap().argv,
        argv(&["SET", "x", "y"])
    );
}
