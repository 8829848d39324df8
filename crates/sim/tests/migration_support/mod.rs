//! Shared by the migration scenarios: a three-master cluster with `appendonly yes` /
//! `appendfsync always` (a crash loses nothing acknowledged), keys in the first slots of node
//! 0, `CLUSTER MIGRATESLOTS` driven and watched through the simulated network and probes, and
//! the end check: once the slots are stable, every key is on the target exactly once with
//! its value, nothing is left on the source, and no node shows an open slot.
#![allow(dead_code)]

use hashslot_resp::Frame;
use hashslot_sim::{converged, Failure, Sim, SimConfig};

/// Slots moved (node 0 owns 0..5461).
pub const SLOTS: u16 = 12;
/// Keys per slot.
pub const PER_SLOT: usize = 10;
/// cluster-node-timeout of the scenarios (ms).
pub const NODE_TIMEOUT: u64 = 2_000;

/// A formed cluster of three masters with durable data (and `extra` directives).
pub fn cluster(seed: u64, extra: &[(&str, &str)]) -> Result<Sim, Failure> {
    let mut cfg = SimConfig::new(seed, 3, NODE_TIMEOUT);
    cfg.node_config = [("appendonly", "yes"), ("appendfsync", "always")]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut sim = Sim::new(cfg);
    sim.form_cluster(3, 0, 60_000)?;
    Ok(sim)
}

/// `PER_SLOT` keys in each of slots `0..SLOTS`, written to node 0; returns (key, value)s.
pub fn fill(sim: &mut Sim) -> Result<Vec<(String, String)>, Failure> {
    let mut per_slot = vec![0usize; SLOTS as usize];
    let mut out = Vec::new();
    let mut i = 0u64;
    while out.len() < SLOTS as usize * PER_SLOT {
        let key = format!("key:{i}");
        i += 1;
        let slot = hashslot_slots::key_slot(key.as_bytes()).get();
        if slot >= SLOTS || per_slot[slot as usize] == PER_SLOT {
            continue;
        }
        per_slot[slot as usize] += 1;
        // Values of a few hundred bytes: batches of several TCP segments.
        let value = format!("{key}:{}", "x".repeat(300 + (i % 7) as usize * 40));
        match sim.command(0, &["SET", &key, &value], 5_000) {
            Ok(Frame::Simple(_)) => out.push((key, value)),
            other => return Err(Failure::new(sim, format!("SET {key}: {other:?}"))),
        }
    }
    Ok(out)
}

/// Node `i`'s id.
pub fn id(sim: &Sim, i: usize) -> String {
    sim.view(i)
        .and_then(|v| v.myself().map(|m| m.id.clone()))
        .expect("node up")
}

fn text(f: Result<Frame, String>) -> Option<String> {
    match f.ok()? {
        Frame::Bulk(b) | Frame::Simple(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    }
}

/// Node `i`'s slot migration job: (state, keys moved, last error); `None`: none, or down.
/// Read with a getter: a probe would wait behind the job's ops like any client.
pub fn job(sim: &Sim, i: usize) -> Option<(String, u64, Option<String>)> {
    let st = sim.node(i)?.slot_migration()?;
    Some((st.state.name().to_owned(), st.keys_moved, st.last_error))
}

/// The job's state on node `i` (`"none"` if it has none, `None` if down).
pub fn job_state(sim: &Sim, i: usize) -> Option<String> {
    sim.node(i)?;
    Some(job(sim, i).map_or_else(|| "none".to_owned(), |j| j.0))
}

/// The job's last error on node `i`.
pub fn job_error(sim: &Sim, i: usize) -> Option<String> {
    job(sim, i)?.2
}

/// The job's `keys_moved` on node `i` (0 when unknown).
pub fn keys_moved(sim: &Sim, i: usize) -> u64 {
    job(sim, i).map_or(0, |j| j.1)
}

/// Start `CLUSTER MIGRATESLOTS` of `0..SLOTS` from `src` to `dst` (small batches, so the job
/// is still under way when a fault strikes).
pub fn start(sim: &mut Sim, src: usize, dst: usize) -> Result<(), Failure> {
    let target = id(sim, dst);
    let end = (SLOTS - 1).to_string();
    let args = [
        "CLUSTER",
        "MIGRATESLOTS",
        "SLOTSRANGE",
        "0",
        &end,
        "NODE",
        &target,
        "BATCH",
        "3",
        "TIMEOUT",
        "1000",
    ];
    match sim.command(src, &args, 10_000) {
        Ok(Frame::Simple(_)) => Ok(()),
        other => Err(Failure::new(sim, format!("MIGRATESLOTS: {other:?}"))),
    }
}

/// Run until the job on `src` is no longer running (at most `max_ms`); its final state.
pub fn wait_job(sim: &mut Sim, src: usize, max_ms: u64) -> Option<String> {
    let mut state = None;
    sim.run_until(max_ms, 20, |s| {
        state = job_state(s, src);
        state.as_deref().is_some_and(|st| st != "running")
    });
    state
}

/// Run until the job on `src` moved at least `n` keys.
pub fn wait_moved(sim: &mut Sim, src: usize, n: u64) -> Result<(), Failure> {
    if sim.run_until(30_000, 5, |s| keys_moved(s, src) >= n) {
        Ok(())
    } else {
        Err(Failure::new(sim, format!("the job did not move {n} keys")))
    }
}

/// Open-slot markers (`[…]`) in node `i`'s CLUSTER NODES.
pub fn open_marks(sim: &mut Sim, i: usize) -> Vec<String> {
    let t = text(sim.command(i, &["CLUSTER", "NODES"], 5_000)).unwrap_or_default();
    t.split_whitespace()
        .filter(|w| w.starts_with('['))
        .map(str::to_owned)
        .collect()
}

fn int(f: Result<Frame, String>) -> Option<i64> {
    match f.ok()? {
        Frame::Integer(n) => Some(n),
        _ => None,
    }
}

/// After the migration is over: the cluster converges, `dst` owns `0..SLOTS` in every view,
/// no node shows an open slot, `src` holds none of the keys, and `dst` holds each key once
/// with its value.
pub fn check_final(
    sim: &mut Sim,
    src: usize,
    dst: usize,
    keys: &[(String, String)],
) -> Result<(), Failure> {
    let dst_id = id(sim, dst);
    let ok = sim.run_until(30_000, 100, |s| {
        converged(s).is_ok()
            && (0..s.len()).all(|i| {
                s.view(i).is_some_and(|v| {
                    v.get(&dst_id)
                        .is_some_and(|l| l.slots.iter().any(|&(a, b)| a == 0 && b + 1 >= SLOTS))
                })
            })
    });
    if !ok {
        let why = converged(sim)
            .err()
            .unwrap_or_else(|| "the target does not own the slots everywhere".into());
        return Err(Failure::new(sim, format!("not stable: {why}")));
    }
    for i in 0..sim.len() {
        let marks = open_marks(sim, i);
        if !marks.is_empty() {
            return Err(Failure::new(sim, format!("n{i} still shows {marks:?}")));
        }
    }
    for slot in 0..SLOTS {
        let s = slot.to_string();
        let at = |sim: &mut Sim, i: usize| {
            int(sim.command(i, &["CLUSTER", "COUNTKEYSINSLOT", &s], 5_000))
        };
        let (on_src, on_dst) = (at(sim, src), at(sim, dst));
        if on_src != Some(0) || on_dst != Some(PER_SLOT as i64) {
            return Err(Failure::new(
                sim,
                format!("slot {slot}: {on_src:?} keys on the source, {on_dst:?} on the target"),
            ));
        }
    }
    for (k, v) in keys {
        match sim.command(dst, &["GET", k], 5_000) {
            Ok(Frame::Bulk(b)) if b == v.as_bytes() => {}
            other => {
                return Err(Failure::new(
                    sim,
                    format!("GET {k} on the target: {other:?}"),
                ));
            }
        }
    }
    Ok(())
}
