//! A manual `CLUSTER FAILOVER` (no FORCE, no TAKEOVER) is not stopped by the data-age rule:
//! Redis 7.0's `clusterHandleSlaveFailover` checks `cluster-replica-validity-factor` only for
//! automatic failovers. The replica's replication link has been down for longer than the
//! validity limit (its master refuses the resync: `requirepass` without the replica's
//! `masterauth`), while the bus is fine; the replica's offset still equals its master's (no
//! writes since), so the manual failover's offset handshake completes and it is promoted.

mod data_age_support;

use data_age_support::*;
use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

/// A field of `INFO replication` on node `i`, asked on the admin connection (which stays
/// authenticated once `requirepass` is set).
fn repl_field(sim: &mut Sim, i: usize, name: &str) -> Result<String, Failure> {
    let reply = sim
        .command(i, &["INFO", "replication"], 1_000)
        .map_err(|e| Failure::new(sim, e))?;
    let Frame::Bulk(b) = reply else {
        return Err(Failure::new(sim, format!("INFO replication: {reply:?}")));
    };
    String::from_utf8_lossy(&b)
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::to_owned))
        .ok_or_else(|| Failure::new(sim, format!("n{i}: no {name}")))
}

/// Run `args` on node `i`; its reply must be `expect`.
fn expect(sim: &mut Sim, i: usize, args: &[&str], expect: Frame) -> Result<(), Failure> {
    let reply = sim
        .command(i, args, 2_000)
        .map_err(|e| Failure::new(sim, e))?;
    if reply != expect {
        return Err(Failure::new(sim, format!("{args:?}: {reply:?}")));
    }
    Ok(())
}

#[test]
fn manual_failover_promotes_a_replica_with_old_data() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut cfg = SimConfig::new(seed, 6, NT);
        cfg.keep_trace = true;
        let mut sim = Sim::new(cfg);
        sim.form_cluster(3, 1, 60_000)?;
        let start = sim.now_ms();
        while repl_field(&mut sim, REPLICA, "master_link_status")? != "up" {
            if sim.now_ms() > start + 10_000 {
                return Err(Failure::new(&sim, "the replica never synced"));
            }
            sim.run_for(100);
        }
        // The master refuses new replication links; the current one is killed.
        let ok = Frame::Simple("OK".into());
        expect(
            &mut sim,
            MASTER,
            &["CONFIG", "SET", "requirepass", "s3"],
            ok.clone(),
        )?;
        expect(
            &mut sim,
            REPLICA,
            &["CLIENT", "KILL", "TYPE", "master"],
            Frame::Integer(1),
        )?;
        sim.run_for(LIMIT_MS + 3_000);
        if repl_field(&mut sim, REPLICA, "master_link_status")? != "down" {
            return Err(Failure::new(&sim, "the replica resynced"));
        }
        let down: u64 = repl_field(&mut sim, REPLICA, "master_link_down_since_seconds")?
            .parse()
            .map_err(|_| Failure::new(&sim, "master_link_down_since_seconds"))?;
        if down * 1000 <= LIMIT_MS {
            return Err(Failure::new(&sim, format!("link down for only {down} s")));
        }
        let mine = repl_field(&mut sim, REPLICA, "slave_repl_offset")?;
        let masters = repl_field(&mut sim, MASTER, "master_repl_offset")?;
        if mine != masters {
            return Err(Failure::new(&sim, format!("offsets {mine} vs {masters}")));
        }

        expect(&mut sim, REPLICA, &["CLUSTER", "FAILOVER"], ok)?;
        let asked = sim.now_ms();
        while !serves_slots(&sim, REPLICA) {
            if sim.now_ms() > asked + 5_000 {
                return Err(Failure::new(&sim, "the manual failover did not promote"));
            }
            sim.run_for(100);
        }
        let refused = sim
            .trace()
            .lines()
            .unwrap_or_default()
            .iter()
            .any(|l| l.contains("Disconnected from master for longer than allowed"));
        if refused {
            return Err(Failure::new(&sim, "the data-age rule was applied"));
        }
        Ok(())
    });
}
