//! After a failover the promoted replica keeps the old id as replid2, so its former sibling
//! continues with `PSYNC <old id> <offset+1>` → `+CONTINUE <new id>`, even when it is behind.
mod common;
use common::*;
use hashslot_repl::*;
use hashslot_types::Rng;

#[test]
fn sibling_continues_with_promoted_replica() {
    let mut net = Net::disk();
    let r1 = net.add_replica(ReplicaConfig::default());
    let r2 = net.add_replica(ReplicaConfig::default());
    net.write(0, &["SET", "a", "1"]);
    net.reps[r2].cut = true; // r2 misses the next write
    net.write(0, &["SET", "b", "2"]);
    let old_id = net.master.history().replid;
    let old_offset = net.master.master_repl_offset();
    assert_eq!(net.reps[r1].sm.repl_offset(), old_offset);
    assert!(net.reps[r2].sm.repl_offset() < old_offset);

    // The master dies; r1 wins the election.
    net.break_link(r1);
    net.reps[r2].cut = false;
    net.break_link(r2);
    let now = net.now;
    let mut reps = std::mem::take(&mut net.reps);
    let sibling = reps.pop().unwrap().sm;
    let promoted = reps.pop().unwrap().sm.promote(
        now,
        MasterConfig {
            repl_diskless_sync: false,
            ..Default::default()
        },
        Rng::from_seed(9),
    );
    let new_id = promoted.history().replid;
    assert_ne!(new_id, old_id);
    assert_eq!(promoted.history().replid2, old_id);
    assert_eq!(promoted.history().second_replid_offset, old_offset + 1);
    let info = promoted.info(now);
    assert_eq!(field(&info, "master_replid2"), old_id.to_string());
    assert_eq!(
        field(&info, "second_repl_offset"),
        (old_offset + 1).to_string()
    );

    let mut net2 = Net::with_master(now, promoted);
    let mut sibling = sibling;
    sibling.set_master(now, "10.0.0.1", 7000);
    let s = net2.push(sibling);
    let text = String::from_utf8_lossy(&net2.reps[s].received).into_owned();
    assert!(text.contains(&format!("+CONTINUE {new_id}\r\n")), "{text}");
    assert_eq!(net2.snapshots, 0);
    // The write it missed came from the promoted replica's backlog.
    assert_eq!(
        net2.reps[s].applied.last().unwrap().argv,
        argv(&["SET", "b", "2"])
    );
    assert_eq!(net2.reps[s].sm.history().replid, new_id);
    assert_eq!(net2.reps[s].sm.history().replid2, old_id);
    net2.write(0, &["SET", "c", "3"]);
    assert_eq!(
        net2.reps[s].applied.last().unwrap().argv,
        argv(&["SET", "c", "3"])
    );
    assert_eq!(
        net2.reps[s].sm.repl_offset(),
        net2.master.master_repl_offset()
    );

    // An id from the future of replid2 (offset past second_repl_offset) is refused.
    assert!(!net2
        .master
        .history()
        .can_continue(old_id.as_bytes(), old_offset + 2));
}
