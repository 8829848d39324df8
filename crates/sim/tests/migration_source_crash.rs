//! `CLUSTER MIGRATESLOTS` whose source crashes mid-way: the job dies with it, but the slot
//! states it set are in nodes.conf and the keys in the AOF, so after the restart the same
//! command finishes the move: no key lost, none on both nodes (a key whose local delete was
//! lost in the crash is sent again with REPLACE).

mod migration_support;

use hashslot_sim::{run_seeds, Failure};
use migration_support::{
    check_final, cluster, fill, job_error, job_state, start, wait_job, wait_moved,
};

#[test]
fn source_crash_mid_migration_then_retry() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2, 3], |seed| {
        let mut sim = cluster(seed, &[])?;
        let keys = fill(&mut sim)?;
        let (src, dst) = (0, 1);
        start(&mut sim, src, dst)?;
        wait_moved(&mut sim, src, 20 + seed % 30)?;
        sim.crash(src);
        sim.run_for(300);
        sim.restart(src);
        let up = sim.run_until(20_000, 50, |s| s.state_ok(src) && s.state_ok(dst));
        if !up {
            return Err(Failure::new(&sim, "the cluster did not recover"));
        }
        // A new process: no job, but its slot states survived.
        let state = job_state(&sim, src);
        if state.as_deref() != Some("none") {
            return Err(Failure::new(
                &sim,
                format!("job state {state:?} after a restart"),
            ));
        }
        start(&mut sim, src, dst)?;
        let state = wait_job(&mut sim, src, 60_000);
        if state.as_deref() != Some("done") {
            let e = job_error(&sim, src);
            return Err(Failure::new(&sim, format!("retry ended {state:?}: {e:?}")));
        }
        check_final(&mut sim, src, dst, &keys)
    });
}
