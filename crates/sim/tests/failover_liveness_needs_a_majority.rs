//! The failover liveness checker judges only while a majority of masters can reach each
//! other with an eligible replica of the lost master among them: with two of three masters
//! cut off (no majority anywhere) for four node timeouts (detection needs one) nothing is due
//! and nothing is reported; once one of them is back, the other is due, replaced within the
//! bound, and recorded. (Longer, and the replica's data would be too old for Redis's
//! data-age rule: the checker would rightly never call it due.)

use hashslot_sim::{run_seeds, FailoverLiveness, Failure, PathState, Sim, SimConfig};

const NT: u64 = 1_000;

#[test]
fn nothing_is_due_without_a_majority() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut sim = Sim::new(SimConfig::new(seed, 6, NT));
        sim.form_cluster(3, 1, 60_000)?;
        let mut live = FailoverLiveness::new(&sim, 1);
        let bound = live.bound_ms;
        let err = |sim: &Sim, e: String| Failure::new(sim, e);
        live.observe(&mut sim).map_err(|e| err(&sim, e))?;
        // Masters 0 and 1 each alone: the side with n2 has one master of three.
        sim.isolate(0, PathState::Drop);
        sim.isolate(1, PathState::Drop);
        let until = sim.now_ms() + 4 * NT;
        while sim.now_ms() < until {
            sim.run_for(250);
            live.observe(&mut sim).map_err(|e| err(&sim, e))?;
            if !live.due().is_empty() {
                return Err(err(
                    &sim,
                    format!("due without a majority: {:?}", live.due()),
                ));
            }
        }
        // n1 back: n0 is due now, and replaced by its replica n3.
        sim.heal();
        sim.isolate(0, PathState::Drop);
        let until = sim.now_ms() + bound + 1_000;
        while sim.now_ms() < until && live.completed().is_empty() {
            sim.run_for(250);
            live.observe(&mut sim).map_err(|e| err(&sim, e))?;
        }
        match live.completed() {
            [d] if d.master == 0 && d.replaced_by == 3 && d.took_ms <= bound => {
                eprintln!(
                    "seed {seed}: n3 replaced n0 {} ms after it was due",
                    d.took_ms
                );
                Ok(())
            }
            other => Err(err(&sim, format!("expected n3 to replace n0: {other:?}"))),
        }
    });
}
