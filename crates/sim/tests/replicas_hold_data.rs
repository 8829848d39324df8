//! Replication runs over the simulated network: keys written to a master through a client
//! reach its replica (PSYNC, the RDB transfer and the command stream), and a replica
//! promoted by a failover serves them.

use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

fn dbsize(sim: &mut Sim, i: usize) -> Option<i64> {
    match sim.probe(i, &[b"DBSIZE"])? {
        Frame::Integer(n) => Some(n),
        _ => None,
    }
}

#[test]
fn replica_receives_writes_and_serves_them_after_failover() {
    let nt = 2_000;
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        // Three masters (a failover needs a majority of them); node 3 replicates node 0.
        let mut sim = Sim::new(SimConfig::new(seed, 6, nt));
        sim.form_cluster(3, 1, 60_000)?;
        let keys: Vec<String> = (0..)
            .map(|k| format!("key{k}"))
            .filter(|k| hashslot_slots::key_slot(k.as_bytes()).get() < 5461)
            .take(20)
            .collect();
        for key in &keys {
            let r = sim.command(0, &["SET", key, "v"], 5_000);
            if r != Ok(Frame::Simple("OK".into())) {
                return Err(Failure::new(&sim, format!("SET {key}: {r:?}")));
            }
        }
        let synced = sim.run_until(10_000, 50, |s| dbsize(s, 3) == Some(20));
        if !synced {
            let n = dbsize(&mut sim, 3);
            return Err(Failure::new(
                &sim,
                format!("replica holds {n:?} keys, not 20"),
            ));
        }
        // The master dies; its replica takes over with the data.
        sim.crash(0);
        let promoted = sim.run_until(nt + 10_000, 50, |s| {
            s.view(3)
                .is_some_and(|v| v.myself().is_some_and(|m| m.is_master()))
        });
        if !promoted {
            return Err(Failure::new(&sim, "replica not promoted"));
        }
        match sim.command(3, &["GET", &keys[7]], 5_000) {
            Ok(Frame::Bulk(b)) if &b[..] == b"v" => Ok(()),
            other => Err(Failure::new(
                &sim,
                format!("GET {} on the new master: {other:?}", keys[7]),
            )),
        }
    });
}
