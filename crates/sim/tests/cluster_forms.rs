//! A 3+3 cluster forms (redis-cli's steps through simulated clients) and reaches
//! `cluster_state:ok` with every node agreeing on the slot owners, under each seed's faults
//! minus the nemesis.

use hashslot_sim::{converged, run_seeds, Failure, Sim, SimConfig};

#[test]
fn three_masters_three_replicas_form() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2, 3, 4], |seed| {
        let mut cfg = SimConfig::swarm(seed, 6, 2_000);
        cfg.faults.nemesis_mean_ms = 0;
        let mut sim = Sim::new(cfg);
        sim.form_cluster(3, 1, 60_000)?;
        converged(&mut sim).map_err(|e| Failure::new(&sim, e))?;
        // Three masters and three replicas, each replica following one master.
        let v = sim.view(0).ok_or_else(|| Failure::new(&sim, "n0 down"))?;
        let masters = v.lines.iter().filter(|l| l.is_master()).count();
        let replicas = v.lines.iter().filter(|l| l.master.is_some()).count();
        if (masters, replicas) != (3, 3) {
            return Err(Failure::new(
                &sim,
                format!("{masters} masters, {replicas} replicas"),
            ));
        }
        eprintln!(
            "seed {seed}: formed at {} ms, {} events",
            sim.now_ms(),
            sim.steps()
        );
        Ok(())
    });
}
