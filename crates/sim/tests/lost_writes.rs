//! Acknowledged writes across a failover, counted with and without `WAIT`.
//!
//! Redis Cluster may lose acknowledged writes when a master dies (replication is
//! asynchronous): the run without `WAIT` only reports how many. With one replica per master
//! and a crash (no partition), a write that `WAIT 1` confirmed is on the replica that gets
//! promoted, so none of those may be lost. A run without any fault loses nothing.

use hashslot_sim::{converged, run_seeds, Checker, Failure, Sim, SimConfig, WriteLoss};

/// Write under load, crash master 0 (unless `crash` is false), let its replica take over,
/// restart it, heal, and count.
fn run(seed: u64, wait_ms: Option<u64>, crash: bool) -> Result<(WriteLoss, Sim), Failure> {
    let nt = 2_000;
    let mut sim = Sim::new(SimConfig::new(seed, 6, nt));
    sim.form_cluster(3, 1, 60_000)?;
    let mut checker = Checker::new(&mut sim);
    sim.set_client_wait(wait_ms);
    sim.add_clients(4, 8);
    sim.run_for(1_500);
    if crash {
        sim.crash(0);
        let promoted = sim.run_until(nt + 10_000, 50, |s| {
            s.view(3)
                .is_some_and(|v| v.myself().is_some_and(|m| m.is_master()))
        });
        if !promoted {
            return Err(Failure::new(&sim, "replica 3 not promoted"));
        }
        sim.run_for(1_000);
        sim.restart(0);
    } else {
        sim.run_for(nt + 2_000);
    }
    sim.stop_clients();
    let live = sim.run_until(60_000, 250, |s| converged(s).is_ok() && s.clients_idle());
    if !live {
        let why = converged(&mut sim).err().unwrap_or_default();
        return Err(Failure::new(&sim, format!("not converged: {why}")));
    }
    checker
        .observe(&mut sim)
        .map_err(|e| Failure::new(&sim, e))?;
    checker
        .check_writes(&mut sim)
        .map_err(|e| Failure::new(&sim, e))?;
    let loss = checker
        .write_loss(&mut sim)
        .map_err(|e| Failure::new(&sim, e))?;
    Ok((loss, sim))
}

#[test]
fn acknowledged_writes_across_a_failover_with_and_without_wait() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1], |seed| {
        let (quiet, _) = run(seed, None, false)?;
        let (plain, _) = run(seed, None, true)?;
        let (waited, sim) = run(seed, Some(200), true)?;
        eprintln!("seed {seed}: no fault {quiet:?}");
        eprintln!("seed {seed}: failover, no WAIT {plain:?}");
        eprintln!("seed {seed}: failover, WAIT 1 200 {waited:?}");
        if quiet.lost != 0 || quiet.acked == 0 {
            return Err(Failure::new(&sim, format!("no fault, yet {quiet:?}")));
        }
        if plain.acked == 0 || waited.acked_waited == 0 {
            return Err(Failure::new(&sim, "the workload wrote nothing"));
        }
        if waited.lost_waited != 0 {
            return Err(Failure::new(
                &sim,
                format!("writes confirmed by WAIT 1 were lost: {waited:?}"),
            ));
        }
        Ok(())
    });
}
