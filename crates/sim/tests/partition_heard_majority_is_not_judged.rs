//! No false alarms where the outcome depends on what reaches the majority from outside
//! (crates/sim/src/liveness.rs): when the nodes holding a majority of masters hear a node
//! outside them, there is no majority component and nothing is judged. In a 3 × 1 cluster
//! where no replica may take over (`cluster-replica-no-failover yes`: any failover judged due
//! would be reported, since none can happen):
//!
//! - a bridge: master n0 is cut both ways from {1, 2, 3, 4} (masters n1 and n2, and n3, n0's
//!   replica), but n5 reaches both sides: the majority hears n5, which hears n0;
//! - one way into the majority: n0 hears nobody, but what it sends reaches everyone (its
//!   stale claims and requests arrive where it cannot be answered).
//!
//! For five node timeouts (failure detection needs one) no component is found, nothing is
//! due and nothing is reported. (Longer, and n3's data would be too old for Redis's data-age
//! rule by the time the split is clean: the checker would rightly never call n0 due.) Then n0
//! is cut off cleanly (both ways from everyone): {1, 2, 3, 4, 5} is the majority component,
//! n0 is due, and the checker reports it not replaced, as it must.

use hashslot_sim::{run_seeds, FailoverLiveness, Failure, PathState, Sim, SimConfig};

const NT: u64 = 1_000;

/// Form, cut with `cut`, observe for five node timeouts (nothing may be judged), then cut n0
/// off cleanly and expect n0's failover reported missing within its bound.
fn heard_then_clean(seed: u64, cut: fn(&mut Sim)) -> Result<(), Failure> {
    let mut cfg = SimConfig::new(seed, 6, NT);
    cfg.node_config
        .push(("cluster-replica-no-failover".into(), "yes".into()));
    let mut sim = Sim::new(cfg);
    sim.form_cluster(3, 1, 60_000)?;
    let mut live = FailoverLiveness::new(&sim, 1);
    let err = |sim: &Sim, e: String| Failure::new(sim, e);
    live.observe(&mut sim).map_err(|e| err(&sim, e))?;
    cut(&mut sim);
    let until = sim.now_ms() + 5 * NT;
    while sim.now_ms() < until {
        sim.run_for(250);
        live.observe(&mut sim).map_err(|e| err(&sim, e))?;
        if !live.component().is_empty() || !live.due().is_empty() {
            return Err(err(
                &sim,
                format!(
                    "judged: component {:?}, due {:?}",
                    live.component(),
                    live.due()
                ),
            ));
        }
    }
    sim.isolate(0, PathState::Drop);
    let start = sim.now_ms();
    while sim.now_ms() < start + live.bound_ms + 2_000 {
        sim.run_for(250);
        if let Err(e) = live.observe(&mut sim) {
            if live.component() != [1, 2, 3, 4, 5] || !e.starts_with("liveness: n0 ") {
                return Err(err(&sim, format!("unexpected report: {e}")));
            }
            eprintln!("seed {seed}: after the clean cut: {e}");
            return Ok(());
        }
    }
    Err(err(&sim, "the clean cut was not judged".into()))
}

#[test]
fn bridged_majority_is_not_judged() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        heard_then_clean(seed, |sim| {
            for b in 1..5 {
                sim.cut(0, b, PathState::Drop);
                sim.cut(b, 0, PathState::Drop);
            }
        })
    });
}

#[test]
fn majority_reached_one_way_is_not_judged() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        heard_then_clean(seed, |sim| {
            for b in 1..6 {
                sim.cut(b, 0, PathState::Drop);
            }
        })
    });
}
