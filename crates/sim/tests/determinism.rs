//! A seed run twice gives the same trace hash (faults, nemesis and workload included); another
//! seed gives another trace.

use hashslot_sim::{run_seeds, Failure, Swarm};

#[test]
fn same_seed_same_trace_hash() {
    let swarm = Swarm {
        fault_ms: 3_000,
        ..Swarm::default()
    };
    run_seeds(env!("CARGO_CRATE_NAME"), &[7, 8], |seed| {
        let (a, sim) = swarm.run(seed)?;
        let (b, _) = swarm.run(seed)?;
        if a != b {
            return Err(Failure::new(
                &sim,
                format!("two runs differ: {a:?} vs {b:?}"),
            ));
        }
        let (c, _) = swarm.run(seed + 1000)?;
        if c.trace_hash == a.trace_hash {
            return Err(Failure::new(&sim, "two seeds gave one trace hash"));
        }
        Ok(())
    });
}
