//! `CLUSTER MIGRATESLOTS` whose target crashes mid-way: the job fails (its connection is
//! reset, the reconnect refused), the slot in progress stays open on both sides, and once the
//! target is back the same command finishes the move: no key lost, none on both nodes.

mod migration_support;

use hashslot_sim::{run_seeds, Failure};
use migration_support::{check_final, cluster, fill, start, wait_job, wait_moved};

#[test]
fn target_crash_mid_migration_then_retry() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2, 3], |seed| {
        let mut sim = cluster(seed, &[])?;
        let keys = fill(&mut sim)?;
        let (src, dst) = (0, 1);
        start(&mut sim, src, dst)?;
        // Somewhere in the middle (the seed varies where the crash lands in a batch).
        wait_moved(&mut sim, src, 20 + seed % 30)?;
        sim.crash(dst);
        let state = wait_job(&mut sim, src, 10_000);
        if state.as_deref() != Some("failed") {
            return Err(Failure::new(
                &sim,
                format!("job state {state:?} after the crash"),
            ));
        }
        sim.run_for(300);
        sim.restart(dst);
        // The target is back (before anyone marked it FAIL): retry.
        let up = sim.run_until(20_000, 50, |s| s.state_ok(src) && s.state_ok(dst));
        if !up {
            return Err(Failure::new(&sim, "the cluster did not recover"));
        }
        start(&mut sim, src, dst)?;
        let state = wait_job(&mut sim, src, 60_000);
        if state.as_deref() != Some("done") {
            let e = migration_support::job_error(&sim, src);
            return Err(Failure::new(&sim, format!("retry ended {state:?}: {e:?}")));
        }
        check_final(&mut sim, src, dst, &keys)
    });
}
