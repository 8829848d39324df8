//! The failover liveness checker fires when the rule is broken, and only then.
//!
//! A master crashes in a 3 × 1 cluster. With `cluster-replica-no-failover yes` on every node
//! (failover made impossible by configuration) the checker reports the master not replaced,
//! after its bound and not before. With a bound shorter than a failover can take (half the
//! node timeout: detection alone needs the node timeout) it reports the failover as too slow.
//! The same seed with failover allowed and the documented bound stays green and records the
//! failover, replica `n3` replacing `n0`, within the bound.

use hashslot_sim::{run_seeds, FailoverLiveness, Failure, Sim, SimConfig};

const NT: u64 = 1_000;

/// The crash time, the checker, and its verdict (an error with its time).
type Watched = (u64, FailoverLiveness, Result<(), (u64, String)>);

/// Form, crash n0, observe every 250 ms until the checker fails or `run_ms` passed; returns
/// the crash time and the checker's verdict (with its time).
fn crash_and_watch(
    seed: u64,
    no_failover: bool,
    bound_ms: Option<u64>,
    run_ms: u64,
) -> Result<Watched, Failure> {
    let mut cfg = SimConfig::new(seed, 6, NT);
    if no_failover {
        cfg.node_config
            .push(("cluster-replica-no-failover".into(), "yes".into()));
    }
    let mut sim = Sim::new(cfg);
    sim.form_cluster(3, 1, 60_000)?;
    let mut live = match bound_ms {
        Some(b) => FailoverLiveness::with_bound(b),
        None => FailoverLiveness::new(&sim, 1),
    };
    live.observe(&mut sim).map_err(|e| Failure::new(&sim, e))?;
    sim.crash(0);
    let crashed = sim.now_ms();
    while sim.now_ms() < crashed + run_ms {
        sim.run_for(250);
        if let Err(e) = live.observe(&mut sim) {
            return Ok((crashed, live, Err((sim.now_ms(), e))));
        }
    }
    Ok((crashed, live, Ok(())))
}

#[test]
fn fires_when_no_replica_can_take_over_or_too_slowly() {
    let bound = FailoverLiveness::bound_for(NT, 1);
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let fail = |m: String| Failure {
            seed,
            message: m,
            at_ms: 0,
        };
        // Impossible: fires once the bound has passed, and not before.
        let (crashed, live, verdict) = crash_and_watch(seed, true, None, bound + 2_000)?;
        let Err((at, e)) = verdict else {
            return Err(fail("no failover, yet the checker stayed green".into()));
        };
        if !e.starts_with("liveness: n0 ") || !e.contains("no replica was promoted") {
            return Err(fail(format!("unexpected report: {e}")));
        }
        let late = at - crashed;
        if late <= bound || late > bound + 1_000 {
            return Err(fail(format!(
                "fired {late} ms after the crash; the bound is {bound} ms"
            )));
        }
        if !live.completed().is_empty() {
            return Err(fail("a failover recorded without one".into()));
        }
        eprintln!("seed {seed}: impossible failover reported {late} ms after the crash: {e}");

        // Too slow for a bound of half the node timeout.
        let (_, _, verdict) = crash_and_watch(seed, false, Some(NT / 2), 3 * NT)?;
        if verdict.is_ok() {
            return Err(fail("a failover faster than detection allows?".into()));
        }

        // Allowed, documented bound: green, replica n3 replaces n0 within it.
        let (_, live, verdict) = crash_and_watch(seed, false, None, bound + 2_000)?;
        if let Err((_, e)) = verdict {
            return Err(fail(format!("healthy failover reported: {e}")));
        }
        let done = live.completed();
        if done.len() != 1 || done[0].master != 0 || done[0].replaced_by != 3 {
            return Err(fail(format!("expected n3 to replace n0, saw {done:?}")));
        }
        if done[0].took_ms > bound {
            return Err(fail(format!("took {} ms", done[0].took_ms)));
        }
        eprintln!(
            "seed {seed}: n3 replaced n0, agreed {} ms after due",
            done[0].took_ms
        );
        Ok(())
    });
}
