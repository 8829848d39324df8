//! The partition rules of the liveness checker (crates/sim/src/liveness.rs) fire when broken,
//! while master n0 of a 3 × 1 cluster is cut off one way (what it sends is dropped) and the
//! other five nodes form the majority component:
//!
//! - rule 1, failover: with `cluster-replica-no-failover yes` (no replica may take over: the
//!   rule broken by configuration) it reports n0 not replaced, after its bound and not before;
//! - rule 2, agreement: with an agreement bound of 0 ms, it reports the component not yet
//!   agreeing on n3's fresh claim (the claim takes 40–80 ms to reach the others), naming the
//!   slot, the claim and the node that disagrees. (No test-only switch in the nodes stops a
//!   claim from spreading; a bound shorter than the network allows is what breaks the rule.)

use hashslot_sim::{run_seeds, FailoverLiveness, Failure, PathState, Sim, SimConfig};

const NT: u64 = 1_000;

/// A formed 3 × 1 cluster with 40–80 ms latencies, n0 then cut off one way; observes every
/// 250 ms (`fine`: every 10 ms from half a node timeout after the cut until a failover is
/// recorded, then stops a second later) until the checker fails or `run_ms` passed. Returns
/// the cut's time and the checker's report with its time.
fn cut_and_watch(
    seed: u64,
    no_failover: bool,
    agree_bound_ms: Option<u64>,
    fine: bool,
    run_ms: u64,
) -> Result<(u64, Option<(u64, String)>), Failure> {
    let mut cfg = SimConfig::new(seed, 6, NT);
    cfg.faults.latency_us = (40_000, 80_000);
    if no_failover {
        cfg.node_config
            .push(("cluster-replica-no-failover".into(), "yes".into()));
    }
    let mut sim = Sim::new(cfg);
    sim.form_cluster(3, 1, 60_000)?;
    let mut live = FailoverLiveness::new(&sim, 1);
    if let Some(b) = agree_bound_ms {
        live.agree_bound_ms = b;
    }
    live.observe(&mut sim).map_err(|e| Failure::new(&sim, e))?;
    for j in 1..6 {
        sim.cut(0, j, PathState::Drop);
    }
    let cut_at = sim.now_ms();
    let mut until = cut_at + run_ms;
    while sim.now_ms() < until {
        let step = fine && live.completed().is_empty() && sim.now_ms() >= cut_at + NT / 2;
        sim.run_for(if step { 10 } else { 250 });
        if let Err(e) = live.observe(&mut sim) {
            return Ok((cut_at, Some((sim.now_ms(), e))));
        }
        if fine && !live.completed().is_empty() {
            until = until.min(sim.now_ms() + 1_000);
        }
    }
    Ok((cut_at, None))
}

#[test]
fn failover_rule_fires_when_no_replica_may_take_over() {
    let bound = FailoverLiveness::bound_for(NT, 1);
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let fail = |m: String| Failure {
            seed,
            message: m,
            at_ms: 0,
        };
        let (cut_at, report) = cut_and_watch(seed, true, None, false, bound + 2_000)?;
        let Some((at, e)) = report else {
            return Err(fail("no failover, yet the checker stayed green".into()));
        };
        if !e.starts_with("liveness: n0 ") || !e.contains("no replica was promoted") {
            return Err(fail(format!("unexpected report: {e}")));
        }
        let late = at - cut_at;
        if late <= bound || late > bound + 1_000 {
            return Err(fail(format!(
                "fired {late} ms after the cut; the bound is {bound} ms"
            )));
        }
        eprintln!("seed {seed}: reported {late} ms after the cut: {e}");
        Ok(())
    });
}

#[test]
fn agreement_rule_fires_when_the_component_disagrees_past_its_bound() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let fail = |m: String| Failure {
            seed,
            message: m,
            at_ms: 0,
        };
        let run = FailoverLiveness::bound_for(NT, 1);
        let (_, report) = cut_and_watch(seed, false, Some(0), true, run)?;
        let Some((_, e)) = report else {
            return Err(fail("a 0 ms agreement bound never fired".into()));
        };
        let head = "liveness: the majority component [1, 2, 3, 4, 5] does not agree that n3 owns \
                    slot ";
        if !e.starts_with(head) || !e.contains(" says n0 (configEpoch 1)") {
            return Err(fail(format!("unexpected report: {e}")));
        }
        eprintln!("seed {seed}: {e}");
        // The documented bound: the same run stays green.
        let (_, report) = cut_and_watch(seed, false, None, true, run)?;
        if let Some((_, e)) = report {
            return Err(fail(format!("reported with the documented bound: {e}")));
        }
        Ok(())
    });
}
