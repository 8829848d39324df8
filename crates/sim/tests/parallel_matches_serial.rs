//! The simulator runs nodes on several threads without changing anything: one seed run on one
//! thread and on two (or three) gives the same trace hash, the same event count, the same
//! workload history and the same checker outcomes — with faults, a nemesis and clients, on a
//! slow (WAN) network, and on a bigger cluster where windows are large.
//!
//! Windows are handed to the other threads only when they hold enough events; these runs set
//! `min_shared_events` to 1 so that small clusters exercise the threads too, and check that
//! some windows were indeed shared.

use hashslot_sim::{run_seeds, Failure, Sim, SimConfig, Swarm};

/// The swarm with `threads` threads, every window of two nodes or more shared.
fn with_threads(swarm: &Swarm, threads: usize) -> Swarm {
    Swarm {
        threads,
        min_shared_events: 1,
        keep_trace: true,
        ..swarm.clone()
    }
}

/// Runs `swarm` for `seed` on one thread and on `threads`, and compares everything.
fn compare(swarm: &Swarm, seed: u64, threads: usize) -> Result<(), Failure> {
    let (sim_one, one) = with_threads(swarm, 1).run_keep(seed);
    let (sim_many, many) = with_threads(swarm, threads).run_keep(seed);
    if sim_one.shared_windows() != 0 {
        return Err(Failure::new(&sim_one, "one thread shared a window"));
    }
    if sim_many.shared_windows() == 0 {
        return Err(Failure::new(
            &sim_many,
            format!("{threads} threads never shared a window: the test proves nothing"),
        ));
    }
    let (one, many) = (one.map_err(|f| f.message), many.map_err(|f| f.message));
    if one != many {
        return Err(Failure::new(
            &sim_many,
            format!("1 thread: {one:?}\n{threads} threads: {many:?}"),
        ));
    }
    if sim_one.history().ops != sim_many.history().ops {
        return Err(Failure::new(&sim_many, "the workload histories differ"));
    }
    if sim_one.grants() != sim_many.grants() {
        return Err(Failure::new(&sim_many, "the granted votes differ"));
    }
    let (a, b) = (sim_one.trace().lines(), sim_many.trace().lines());
    if let (Some(a), Some(b)) = (a, b) {
        if let Some(k) = (0..a.len().min(b.len())).find(|&k| a[k] != b[k]) {
            return Err(Failure::new(
                &sim_many,
                format!("trace line {k} differs: {:?} vs {:?}", a[k], b[k]),
            ));
        }
    }
    if sim_one.trace().hash() != sim_many.trace().hash() {
        return Err(Failure::new(&sim_many, "the trace hashes differ"));
    }
    Ok(())
}

/// Faults drawn from the seed (latency, loss, resets, refused connects, disks, skew,
/// partitions, crashes), persistence, three workload clients, a cluster formed through
/// redis-cli's steps.
#[test]
fn swarm_with_faults_and_clients() {
    let swarm = Swarm {
        fault_ms: 4_000,
        ..Swarm::default()
    };
    run_seeds(env!("CARGO_CRATE_NAME"), &[3, 11], |seed| {
        compare(&swarm, seed, 2)
    });
}

/// Competing elections on a WAN (long windows), preformed, crashes and partitions.
#[test]
fn competing_elections_on_a_wan() {
    let swarm = Swarm {
        fault_ms: 4_000,
        ..Swarm::competing_elections()
    };
    run_seeds(env!("CARGO_CRATE_NAME"), &[5], |seed| {
        compare(&swarm, seed, 3)
    });
}

/// A bigger preformed cluster (windows of many events): a master is killed and replaced; the
/// trace, the events and who is master are the same on 1 and 2 threads.
#[test]
fn bigger_cluster_with_a_failover() {
    let run = |threads: usize| -> Result<(Sim, Vec<bool>), Failure> {
        let mut cfg = SimConfig::new(9, 60, 1_000);
        cfg.threads = threads;
        cfg.min_shared_events = 2;
        let mut sim = Sim::preformed(cfg, 30, 1, 60_000)?;
        sim.crash(0);
        sim.run_for(3_500);
        let masters = (0..sim.len())
            .map(|i| {
                sim.view(i)
                    .and_then(|v| v.myself().cloned())
                    .is_some_and(|m| m.is_master())
            })
            .collect();
        Ok((sim, masters))
    };
    let (one, masters_one) = run(1).unwrap_or_else(|f| panic!("{f}"));
    let (two, masters_two) = run(2).unwrap_or_else(|f| panic!("{f}"));
    assert!(two.shared_windows() > 0, "no window was shared");
    assert!(
        masters_one[30],
        "the replica of the killed master was not promoted"
    );
    assert_eq!(masters_one, masters_two);
    assert_eq!(one.steps(), two.steps());
    assert_eq!(one.trace().len(), two.trace().len());
    assert_eq!(one.trace().hash(), two.trace().hash());
    assert_eq!(one.violations(), two.violations());
}
