//! The simulated disk keeps what was fsynced and loses the rest in a crash: a master with
//! `appendfsync always` restarts with every acknowledged write from its AOF; with
//! `appendfsync no` (nothing fsynced since the AOF was created) a crash right after the writes
//! leaves it empty.

use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

/// Write `n` keys of master 0's slots, crash it at once, restart it; its key count after.
fn keys_after_crash(seed: u64, fsync: &str, n: usize) -> Result<i64, Failure> {
    let mut cfg = SimConfig::new(seed, 3, 2_000);
    cfg.node_config = vec![
        ("appendonly".into(), "yes".into()),
        ("appendfsync".into(), fsync.into()),
    ];
    let mut sim = Sim::new(cfg);
    sim.form_cluster(3, 0, 60_000)?;
    let keys = (0..)
        .map(|k| format!("key{k}"))
        .filter(|k| hashslot_slots::key_slot(k.as_bytes()).get() < 5461)
        .take(n);
    for key in keys {
        let r = sim.command(0, &["SET", &key, "v"], 5_000);
        if r != Ok(Frame::Simple("OK".into())) {
            return Err(Failure::new(&sim, format!("SET {key}: {r:?}")));
        }
    }
    if sim.disk_written(0) == 0 {
        return Err(Failure::new(&sim, "the AOF was never written"));
    }
    sim.crash(0);
    sim.restart(0);
    match sim.probe(0, &[b"DBSIZE"]) {
        Some(Frame::Integer(k)) => Ok(k),
        other => Err(Failure::new(&sim, format!("DBSIZE: {other:?}"))),
    }
}

#[test]
fn fsynced_writes_survive_a_crash_and_unsynced_ones_do_not() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let always = keys_after_crash(seed, "always", 20)?;
        let never = keys_after_crash(seed, "no", 20)?;
        eprintln!("seed {seed}: after a crash, always kept {always} keys, no kept {never}");
        if always != 20 || never != 0 {
            return Err(Failure {
                seed,
                message: format!("always kept {always} of 20, no kept {never} of 20"),
                at_ms: 0,
            });
        }
        Ok(())
    });
}
