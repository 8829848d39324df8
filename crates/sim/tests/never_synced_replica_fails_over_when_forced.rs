//! A manual failover skips the data-age rule (Redis 7.0's `clusterHandleSlaveFailover`
//! checks `cluster-replica-validity-factor` only for automatic failovers): a replica restarted
//! while its master is down, which never synced and so does not fail over by itself, is
//! promoted by `CLUSTER FAILOVER FORCE`.

mod data_age_support;

use data_age_support::*;
use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

#[test]
fn force_promotes_a_replica_that_never_synced() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut cfg = SimConfig::new(seed, 6, NT);
        cfg.keep_trace = true;
        let mut sim = Sim::new(cfg);
        sim.form_cluster(3, 1, 60_000)?;
        sim.run_for(2_000);
        sim.crash(REPLICA);
        sim.run_for(200);
        sim.crash(MASTER);
        sim.restart(REPLICA);
        // Long enough for FAIL and the no-log window: the automatic failover is refused.
        sim.run_for(10_000);
        if serves_slots(&sim, REPLICA) {
            return Err(Failure::new(&sim, "promoted without being asked"));
        }
        if logged(
            &sim,
            REPLICA,
            "Disconnected from master for longer than allowed",
        ) == 0
        {
            return Err(Failure::new(
                &sim,
                "no data-age line before the manual failover",
            ));
        }
        let reply = sim
            .command(REPLICA, &["CLUSTER", "FAILOVER", "FORCE"], 5_000)
            .map_err(|e| Failure::new(&sim, e))?;
        if reply != Frame::Simple("OK".into()) {
            return Err(Failure::new(
                &sim,
                format!("CLUSTER FAILOVER FORCE: {reply:?}"),
            ));
        }
        let asked = sim.now_ms();
        while !serves_slots(&sim, REPLICA) {
            if sim.now_ms() > asked + 5_000 {
                return Err(Failure::new(&sim, "FORCE did not promote the replica"));
            }
            sim.run_for(100);
        }
        Ok(())
    });
}
