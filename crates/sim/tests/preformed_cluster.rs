//! A pre-formed cluster (nodes booted from simulator-written nodes.conf files) is a working
//! cluster: state ok everywhere, one agreed slot table, replicas synced and serving as
//! replicas, and the same seed gives the same run.

use hashslot_sim::{Sim, SimConfig};

fn owners(sim: &Sim, i: usize) -> Vec<(String, Vec<(u16, u16)>)> {
    let v = sim.view(i).expect("node up");
    let mut out: Vec<_> = v
        .lines
        .iter()
        .filter(|l| !l.slots.is_empty())
        .map(|l| (l.id.clone(), l.slots.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn preformed_three_plus_three_is_ok_and_agrees() {
    let sim = Sim::preformed(SimConfig::new(11, 6, 2_000), 3, 1, 30_000).expect("ready");
    let first = owners(&sim, 0);
    assert_eq!(first.len(), 3, "three masters own slots: {first:?}");
    let covered: usize = first
        .iter()
        .flat_map(|(_, r)| r.iter().map(|&(a, b)| usize::from(b - a) + 1))
        .sum();
    assert_eq!(covered, 16384);
    for i in 1..6 {
        assert_eq!(owners(&sim, i), first, "n{i} disagrees on slot owners");
    }
    for r in 3..6 {
        let v = sim.view(r).expect("up");
        let me = v.myself().expect("myself");
        assert!(!me.is_master(), "n{r} should be a replica");
    }
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert!(
        (0..6).all(|i| sim.bus_bytes_sent(i) > 0),
        "bus bytes counted"
    );
}

#[test]
fn preformed_is_deterministic() {
    let run = || {
        let mut sim = Sim::preformed(SimConfig::new(5, 6, 1_000), 3, 1, 30_000).expect("ready");
        sim.crash(1);
        sim.run_for(5_000);
        (
            sim.trace().hash(),
            (0..6).map(|i| sim.bus_bytes_sent(i)).collect::<Vec<_>>(),
        )
    };
    assert_eq!(run(), run());
}
