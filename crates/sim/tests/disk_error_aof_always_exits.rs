//! A failed AOF fsync under `appendfsync always` (an I/O error on the simulated disk,
//! `Sim::fail_disk`) makes the node exit, as Redis does ("Can't recover from AOF write error
//! when the AOF fsync policy is 'always'. Exiting..."): the write is never acknowledged, and
//! after the disk is repaired and the node restarted, the key is not there; writes acknowledged
//! before the error are.

use hashslot_resp::Frame;
use hashslot_sim::{run_seeds, Failure, Sim, SimConfig};

#[test]
fn aof_fsync_error_under_always_exits_without_acknowledging() {
    run_seeds(env!("CARGO_CRATE_NAME"), &[1, 2], |seed| {
        let mut cfg = SimConfig::new(seed, 3, 2_000);
        cfg.node_config = vec![
            ("appendonly".into(), "yes".into()),
            ("appendfsync".into(), "always".into()),
        ];
        let mut sim = Sim::new(cfg);
        sim.form_cluster(3, 0, 60_000)?;
        let fail = |sim: &Sim, m: String| Err(Failure::new(sim, m));
        // Two keys of node 1's slots (5461..=10922).
        let mut keys = (0..)
            .map(|k| format!("key{k}"))
            .filter(|k| (5461..=10922).contains(&hashslot_slots::key_slot(k.as_bytes()).get()));
        let (x, k) = (keys.next().expect("a key"), keys.next().expect("a key"));
        let r = sim.command(1, &["SET", &x, "before"], 5_000);
        if r != Ok(Frame::Simple("OK".into())) {
            return fail(&sim, format!("SET before the error: {r:?}"));
        }
        sim.fail_disk(1, "");
        let r = sim.command(1, &["SET", &k, "v"], 5_000);
        if r == Ok(Frame::Simple("OK".into())) {
            return fail(
                &sim,
                "a write acknowledged although its fsync failed".into(),
            );
        }
        if sim.is_up(1)
            || !sim
                .violations()
                .iter()
                .any(|v| v == "n1 exited with status 1")
        {
            return fail(&sim, format!("n1 did not exit: {:?}", sim.violations()));
        }
        sim.repair_disk(1);
        sim.restart(1);
        if !sim.run_until(10_000, 100, |s| s.state_ok(1)) {
            return fail(&sim, "n1 not back in the cluster".into());
        }
        let get = |sim: &mut Sim, k: &str| sim.probe(1, &[b"GET", k.as_bytes()]);
        let (x, k) = (get(&mut sim, &x), get(&mut sim, &k));
        if x != Some(Frame::Bulk("before".into())) || k != Some(Frame::NullBulk) {
            return fail(&sim, format!("after restart: x = {x:?}, k = {k:?}"));
        }
        eprintln!("seed {seed}: n1 exited on the failed fsync; {r:?}");
        Ok(())
    });
}
