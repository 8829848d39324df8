//! A replica restarted while its master is down never completes a sync with it, so it cannot
//! know how old the data it loaded from disk is. Redis 7.0 counts such data as infinitely old
//! (`repl_down_since` starts at 0 and only a lost *connected* link sets it; the data age is
//! `now - repl_down_since`), so with a non-zero `cluster-replica-validity-factor` the replica
//! does not start an election when the cluster flags its master FAIL: it logs
//! "Currently unable to failover: Disconnected from master for longer than allowed. …" and
//! the master's slots stay unserved. With the factor at 0 there is no data-age limit and it
//! fails over.

mod data_age_support;

use data_age_support::*;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

/// Form the cluster, let the replica sync once, then: the replica dies, its master dies, the
/// replica starts again from its disk (its master refuses every connection from now on).
fn restart_replica_while_master_is_down(seed: u64, factor: &str) -> Result<Sim, Failure> {
    let mut cfg = SimConfig::new(seed, 6, NT);
    cfg.keep_trace = true;
    cfg.node_config
        .push(("cluster-replica-validity-factor".into(), factor.into()));
    let mut sim = Sim::new(cfg);
    sim.form_cluster(3, 1, 60_000)?;
    let start = sim.now_ms();
    while repl_field(&mut sim, REPLICA, "master_link_status").as_deref() != Some("up") {
        if sim.now_ms() > start + 10_000 {
            return Err(Failure::new(
                &sim,
                "the replica never synced before the test",
            ));
        }
        sim.run_for(100);
    }
    sim.crash(REPLICA);
    sim.run_for(200);
    sim.crash(MASTER);
    sim.restart(REPLICA);
    sim.run_for(100);
    let role = repl_field(&mut sim, REPLICA, "role");
    if role.as_deref() != Some("slave") {
        return Err(Failure::new(&sim, format!("restarted as {role:?}")));
    }
    Ok(sim)
}

#[test]
fn restarted_replica_that_never_synced_does_not_fail_over() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut sim = restart_replica_while_master_is_down(seed, "10")?;
        let restarted = sim.now_ms();
        // FAIL (about 2 × NT), the no-log window after it (NT + 5 s), and plenty of time for
        // an election and a retry.
        while sim.now_ms() < restarted + 20_000 {
            sim.run_for(100);
            if serves_slots(&sim, REPLICA) {
                return Err(Failure::new(&sim, "the never-synced replica was promoted"));
            }
        }
        let failed = sim
            .view(1)
            .and_then(|v| v.lines.iter().find(|l| l.index == Some(MASTER)).cloned())
            .is_some_and(|l| l.has("fail"));
        if !failed {
            return Err(Failure::new(&sim, "the master was never flagged FAIL"));
        }
        if logged(&sim, REPLICA, "Starting a failover election") > 0 {
            return Err(Failure::new(
                &sim,
                "the never-synced replica asked for votes",
            ));
        }
        if logged(&sim, REPLICA, DATA_AGE_LOG) != 1 {
            return Err(Failure::new(&sim, "Redis's data-age line not logged once"));
        }
        // As Redis: the link is down and was never up in this process.
        let down = repl_field(&mut sim, REPLICA, "master_link_down_since_seconds");
        if down.as_deref() != Some("-1") {
            return Err(Failure::new(&sim, format!("link down since {down:?}")));
        }
        Ok(())
    });
}

#[test]
fn with_validity_factor_zero_it_fails_over() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut sim = restart_replica_while_master_is_down(seed, "0")?;
        let restarted = sim.now_ms();
        while !serves_slots(&sim, REPLICA) {
            if sim.now_ms() > restarted + 20_000 {
                return Err(Failure::new(&sim, "the replica was not promoted"));
            }
            sim.run_for(100);
        }
        if logged(&sim, REPLICA, DATA_AGE_LOG) != 0 {
            return Err(Failure::new(&sim, "data-age line logged with factor 0"));
        }
        Ok(())
    });
}
