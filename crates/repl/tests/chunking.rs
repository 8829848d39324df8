//! The replica's outputs do not depend on how its input is split.
mod common;
use common::*;
use hashslot_repl::*;
use hashslot_types::{ConnId, Rng};
use proptest::prelude::*;

/// A transcript of everything the master sent one replica: handshake replies, a diskless
/// payload, commands, SELECTs, PING and GETACK.
fn transcript() -> Vec<u8> {
    let mut net = Net::new(MasterConfig {
        repl_diskless_sync_delay: std::time::Duration::ZERO,
        ..MasterConfig::default()
    });
    let r = net.add_replica(ReplicaConfig::default());
    net.write(0, &["SET", "k", "v"]);
    net.write(2, &["RPUSH", "l", "a", "b\r\nc"]);
    let off = net.master.master_repl_offset();
    let now = net.now;
    net.master.handle_wait(now, ConnId(1), 1, None, off);
    net.pump();
    net.advance(10_000);
    net.write(0, &["DEL", "k"]);
    net.reps[r].received.clone()
}

fn run(input: &[u8], cuts: &[usize]) -> Vec<ReplicaOutput> {
    let now = t0();
    let history = ReplHistory::new(&mut Rng::from_seed(100));
    let mut sm = ReplicationReplica::new(now, ReplicaConfig::default(), history, "m", 1);
    let mut outs = Vec::new();
    sm.handle_connected(now);
    let mut last = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.push(input.len());
    points.sort_unstable();
    for p in points {
        sm.handle_read(now, &input[last..p]);
        last = p;
        while let Some(o) = sm.poll_output() {
            if matches!(o, ReplicaOutput::LoadRdb { .. }) {
                sm.handle_rdb_loaded(now, true);
            }
            outs.push(o);
        }
    }
    outs
}

proptest! {
    #[test]
    fn any_split_same_outputs(cuts in proptest::collection::vec(any::<usize>(), 0..12)) {
        let input = transcript();
        let whole = run(&input, &[]);
        let loads = whole.iter().filter(|o| matches!(o, ReplicaOutput::LoadRdb { .. })).count();
        let applies = whole.iter().filter(|o| matches!(o, ReplicaOutput::ApplyCommand { .. })).count();
        prop_assert_eq!((loads, applies), (1, 3));
        prop_assert_eq!(run(&input, &cuts), whole);
    }
}

#[test]
fn byte_by_byte_same_outputs() {
    let input = transcript();
    let cuts: Vec<usize> = (0..input.len()).collect();
    assert_eq!(run(&input, &cuts), run(&input, &[]));
}
