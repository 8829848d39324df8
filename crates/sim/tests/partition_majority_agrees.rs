//! During a partition, the majority component is judged (crates/sim/src/liveness.rs): master
//! n0 of a 3 × 1 cluster is cut off one way (what it sends is dropped; it still hears the
//! others), so the other five nodes form the majority component. Within the bounds, its
//! replica n3 there is promoted (rule 1) and every node of the component names n3 as the
//! owner of n0's slots (rule 2): the checker sees n3's claim not yet agreed on (40–80 ms
//! latencies, observations every 10 ms around the failover) and then agreed on, and records
//! it; rule 2 is judged at every observation of the partition. n0, alone on the
//! minority side, is never judged, and nothing is reported while the partition lasts.

use hashslot_sim::{run_seeds, FailoverLiveness, Failure, PathState, Sim, SimConfig};

const NT: u64 = 1_000;

#[test]
fn majority_component_converges_during_a_one_way_partition() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut cfg = SimConfig::new(seed, 6, NT);
        cfg.faults.latency_us = (40_000, 80_000);
        let mut sim = Sim::new(cfg);
        sim.form_cluster(3, 1, 60_000)?;
        let mut live = FailoverLiveness::new(&sim, 1);
        let err = |sim: &Sim, e: String| Failure::new(sim, e);
        live.observe(&mut sim).map_err(|e| err(&sim, e))?;
        if live.component() != [0, 1, 2, 3, 4, 5] {
            return Err(err(
                &sim,
                format!("healthy component {:?}", live.component()),
            ));
        }
        // n0's messages are dropped; the others' still reach it.
        for j in 1..6 {
            sim.cut(0, j, PathState::Drop);
        }
        let cut_at = sim.now_ms();
        // Finely (every 10 ms) from half a node timeout after the cut until the failover is
        // done (detection alone takes a node timeout), then every 250 ms for two bounds of
        // agreement more.
        let mut until = cut_at + live.bound_ms + 3 * NT;
        let mut observed = 0;
        while sim.now_ms() < until {
            let fine = live.completed().is_empty() && sim.now_ms() >= cut_at + NT / 2;
            sim.run_for(if fine { 10 } else { 250 });
            live.observe(&mut sim).map_err(|e| err(&sim, e))?;
            observed += 1;
            if let Some(d) = live.completed().first() {
                until = until.min(d.due_ms + d.took_ms + 2 * live.agree_bound_ms);
            }
            if live.component() != [1, 2, 3, 4, 5] {
                return Err(err(
                    &sim,
                    format!("component during the partition: {:?}", live.component()),
                ));
            }
        }
        match live.completed() {
            [d] if d.master == 0 && d.replaced_by == 3 => {}
            other => return Err(err(&sim, format!("expected n3 to replace n0: {other:?}"))),
        }
        let promoted = live.agreed().iter().find(|a| a.node == 3).ok_or_else(|| {
            err(
                &sim,
                format!("n3's claim not recorded: {:?}", live.agreed()),
            )
        })?;
        if promoted.slots != 5461 || promoted.took_ms == 0 || promoted.took_ms > live.agree_bound_ms
        {
            return Err(err(&sim, format!("n3's claim: {promoted:?}")));
        }
        // Judged at every observation of the partition (and the one before it).
        if live.agreement_checks() != observed + 1 {
            return Err(err(
                &sim,
                format!("judged only {} times", live.agreement_checks()),
            ));
        }
        eprintln!(
            "seed {seed}: n3 replaced n0 after {} ms; the component agreed on its claim {} ms \
             after first seeing it",
            live.completed()[0].took_ms,
            promoted.took_ms
        );
        Ok(())
    });
}
