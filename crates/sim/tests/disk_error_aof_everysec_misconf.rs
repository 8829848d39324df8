//! A failed AOF fsync under `appendfsync everysec` makes the node refuse writes with
//! `-MISCONF Errors writing to the AOF file: Input/output error` while it keeps serving reads,
//! as Redis 7.0 does (`writeCommandsDeniedByDiskError` on `aof_bio_fsync_status`), and accept
//! writes again once an fsync succeeds after the disk is repaired.
//!
//! The node does it in crates/node/src/persistence/aof.rs `aof_sync_failed`.

use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

#[test]
fn aof_fsync_error_under_everysec_refuses_writes() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut cfg = SimConfig::new(seed, 3, 2_000);
        cfg.node_config = vec![
            ("appendonly".into(), "yes".into()),
            ("appendfsync".into(), "everysec".into()),
        ];
        let mut sim = Sim::new(cfg);
        sim.form_cluster(3, 0, 60_000)?;
        let mut keys = (0..)
            .map(|k| format!("key{k}"))
            .filter(|k| (5461..=10922).contains(&hashslot_slots::key_slot(k.as_bytes()).get()));
        let (a, b) = (keys.next().expect("a key"), keys.next().expect("a key"));
        sim.fail_disk(1, "appendonly");
        let ok = Ok(Frame::Simple("OK".into()));
        // Reaches the page cache; the fsync a second later fails.
        let r = sim.command(1, &["SET", &a, "v"], 5_000);
        if r != ok {
            return Err(Failure::new(&sim, format!("first SET: {r:?}")));
        }
        sim.run_for(2_000);
        let misconf = Ok(Frame::Error(
            "MISCONF Errors writing to the AOF file: Input/output error".into(),
        ));
        let r = sim.command(1, &["SET", &b, "v"], 5_000);
        if r != misconf || !sim.is_up(1) {
            return Err(Failure::new(&sim, format!("SET after the error: {r:?}")));
        }
        let r = sim.command(1, &["GET", &a], 5_000);
        if r != Ok(Frame::Bulk("v".into())) {
            return Err(Failure::new(&sim, format!("GET after the error: {r:?}")));
        }
        sim.repair_disk(1);
        let healed = sim.run_until(5_000, 100, |s| {
            s.probe(1, &[b"SET", b.as_bytes(), b"v"]) == Some(Frame::Simple("OK".into()))
        });
        if !healed {
            return Err(Failure::new(&sim, "writes still refused after the repair"));
        }
        Ok(())
    });
}
