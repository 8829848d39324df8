//! Once a restarted replica completed a sync with its master, its data age counts from when
//! that link went down (Redis 7.0's `repl_down_since`, set when a connected master link is
//! lost), not from the restart: it fails over when its master dies right after, and does not
//! when the link had been down for longer than `cluster-replica-validity-factor` allows
//! (`10 × node timeout + repl-ping-replica-period`, after subtracting the node timeout).

mod data_age_support;

use data_age_support::*;
use hashslot_sim::{run_seeds, Failure, PathState, Sim, SimConfig};

/// A cluster whose replica was restarted and synced again with its master.
fn restarted_and_synced(seed: u64) -> Result<Sim, Failure> {
    let mut cfg = SimConfig::new(seed, 6, NT);
    cfg.keep_trace = true;
    // Notice a silent master link within seconds instead of the default minute.
    cfg.node_config.push(("repl-timeout".into(), "3".into()));
    let mut sim = Sim::new(cfg);
    sim.form_cluster(3, 1, 60_000)?;
    until_link(&mut sim, "up", 10_000)?;
    sim.crash(REPLICA);
    sim.run_for(500);
    sim.restart(REPLICA);
    until_link(&mut sim, "up", 10_000)?;
    Ok(sim)
}

#[test]
fn synced_after_restart_then_master_dies_fails_over() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut sim = restarted_and_synced(seed)?;
        sim.crash(MASTER);
        let crashed = sim.now_ms();
        while !serves_slots(&sim, REPLICA) {
            if sim.now_ms() > crashed + 15_000 {
                return Err(Failure::new(&sim, "the synced replica was not promoted"));
            }
            sim.run_for(100);
        }
        Ok(())
    });
}

#[test]
fn link_lost_longer_than_the_validity_limit_does_not_fail_over() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut sim = restarted_and_synced(seed)?;
        // The replica loses its master (bus and replication), the others do not.
        sim.cut(REPLICA, MASTER, PathState::Drop);
        sim.cut(MASTER, REPLICA, PathState::Drop);
        until_link(&mut sim, "down", 10_000)?;
        let down_at = sim.now_ms();
        sim.run_for(LIMIT_MS + 2_000);
        let down = repl_field(&mut sim, REPLICA, "master_link_down_since_seconds");
        let secs = down.as_deref().and_then(|d| d.parse::<u64>().ok());
        if secs.is_none_or(|s| s * 1000 + 1000 < LIMIT_MS) {
            return Err(Failure::new(&sim, format!("link down since {down:?} s")));
        }
        sim.crash(MASTER);
        while sim.now_ms() < down_at + LIMIT_MS + 20_000 {
            sim.run_for(100);
            if serves_slots(&sim, REPLICA) {
                return Err(Failure::new(&sim, "promoted with data older than allowed"));
            }
        }
        if logged(&sim, REPLICA, "Starting a failover election") > 0 {
            return Err(Failure::new(&sim, "asked for votes with data too old"));
        }
        if logged(&sim, REPLICA, DATA_AGE_LOG) != 1 {
            return Err(Failure::new(&sim, "Redis's data-age line not logged once"));
        }
        Ok(())
    });
}
