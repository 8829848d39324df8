//! `CLUSTER MIGRATESLOTS` while workload clients run, cut mid-way by a partition between the
//! source and the target (bytes dropped on odd seeds; held and delivered late on even ones,
//! so the target executes RESTOREs the source already gave up on). The job fails on its
//! timeout, the slot stays open; after healing the same command finishes. No key lost or
//! duplicated, and the clients' reads and acknowledged writes check out.

mod migration_support;

use hashslot_sim::{run_seeds, Checker, Failure, PathState};
use migration_support::{check_final, cluster, fill, job_error, start, wait_job, wait_moved};

#[test]
fn partition_mid_migration_then_retry() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2, 3, 4], |seed| {
        let mut sim = cluster(seed, &[])?;
        let keys = fill(&mut sim)?;
        let mut checker = Checker::new(&mut sim);
        sim.add_clients(3, 30);
        let (src, dst) = (0, 1);
        sim.run_for(200);
        start(&mut sim, src, dst)?;
        wait_moved(&mut sim, src, 20 + seed % 30)?;
        let how = if seed % 2 == 0 {
            PathState::Hold
        } else {
            PathState::Drop
        };
        sim.cut(src, dst, how);
        let state = wait_job(&mut sim, src, 10_000);
        if state.as_deref() != Some("failed") {
            return Err(Failure::new(&sim, format!("job state {state:?} while cut")));
        }
        checker
            .observe(&mut sim)
            .map_err(|e| Failure::new(&sim, e))?;
        sim.heal();
        let up = sim.run_until(20_000, 50, |s| s.state_ok(src) && s.state_ok(dst));
        if !up {
            return Err(Failure::new(&sim, "the cluster did not recover"));
        }
        start(&mut sim, src, dst)?;
        let state = wait_job(&mut sim, src, 60_000);
        if state.as_deref() != Some("done") {
            let e = job_error(&sim, src);
            return Err(Failure::new(&sim, format!("retry ended {state:?}: {e:?}")));
        }
        sim.stop_clients();
        sim.run_until(5_000, 50, |s| s.clients_idle());
        check_final(&mut sim, src, dst, &keys)?;
        checker
            .observe(&mut sim)
            .map_err(|e| Failure::new(&sim, e))?;
        match checker.check_writes(&mut sim) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Failure::new(&sim, "writes not checked (data may be lost?)")),
            Err(e) => Err(Failure::new(&sim, e)),
        }
    });
}
