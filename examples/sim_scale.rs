//! How the simulator and the gossip scale: a cluster of `masters` masters with one replica
//! each, started pre-formed (`Sim::preformed`: every node boots from a nodes.conf, as a formed
//! cluster restarted); one master is killed; 60 virtual seconds are simulated.
//!
//! Prints, per cluster size: virtual time from the kill until every live node marks the master
//! FAIL and until its replica is promoted, bus messages and (estimated) bus bytes sent per node
//! per second, the simulator's speed (virtual seconds per wall second, the time spent in
//! this program's own probes excluded) and the process's peak memory (Linux `VmHWM`).
//!
//! ```text
//! cargo run --release --example sim_scale                 # 6, 100 and 1,000 nodes
//! cargo run --release --example sim_scale -- 500 15000 7  # 500 masters, node timeout, seed
//! HASHSLOT_SIM_THREADS=1 cargo run --release --example sim_scale -- 500  # on one thread
//! ```
//!
//! `HASHSLOT_SIM_MIN_SHARED=<n>` shares windows of at least `n` node events between the
//! threads (`SimConfig::min_shared_events`).
//!
//! `HASHSLOT_SIM_THREADS=<n>` runs the simulator's nodes on `n` threads (by default one, two
//! from 500 nodes on two cores or more: `hashslot_sim::default_threads`); the outcome is the
//! same whatever the thread count. "Speed by CPU time" adds up every thread's time: with two
//! threads it is
//! the cost of the run, while the wall-clock speed is what parallelism buys.
//!
//! How "marks it FAIL" is observed: every 50 virtual ms, each live node's own entry for the
//! killed master (`Node::cluster_state`, a name lookup) is read until it is flagged FAIL. (CLUSTER INFO's
//! `cluster_slots_fail` is cheaper but misses nodes that see the promotion within the same
//! 50 ms.) Nodes never seen flagging it are reported as "unobserved", not guessed.
//!
//! Bus bytes are measured: the simulator counts what each node hands to its bus links
//! (`Sim::bus_bytes_sent`); messages come from CLUSTER INFO's counters.
// A benchmark program: it reads the wall clock to report the simulator's speed.
#![allow(clippy::disallowed_methods)]

/// The simulator allocates and frees a bus message buffer (about 12 KB at 1,000 nodes) per
/// message, often on another thread than the one that allocated it; glibc's allocator spends
/// a tenth of the run on that, mimalloc far less.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hashslot_bus::NodeFlags;
use hashslot_sim::{Sim, SimConfig, WindowStats};
use hashslot_types::NodeId;

/// Virtual time simulated after the kill.
const AFTER_KILL_MS: u64 = 60_000;
/// Virtual time between two observations.
const STEP_MS: u64 = 50;

/// What one run measured.
struct Outcome {
    nodes: usize,
    /// Threads the simulator ran nodes on (`Sim::threads`).
    threads: usize,
    form_wall: Duration,
    form_virtual_ms: u64,
    fail_first_ms: Option<u64>,
    /// The last of the observed FAIL times (every live node's, when none is unobserved).
    fail_last_ms: Option<u64>,
    unobserved: usize,
    promoted_ms: Option<u64>,
    msgs_per_node_s: f64,
    bytes_per_node_s: f64,
    run_wall: Duration,
    /// CPU time of this process (all its threads) over the 60 s after the kill, probes
    /// included (they are a name lookup per node per step), `None` off Linux: the machine may
    /// be shared, and waiting for a core is not the simulator's cost.
    run_cpu: Option<Duration>,
    /// Peak resident memory of this process so far, in MB (`None` off Linux).
    peak_mb: Option<u64>,
    /// How the simulator's time windows ran over the 60 s after the kill.
    windows: WindowStats,
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .expect("numeric arguments: masters node_timeout_ms seed")
        })
        .collect();
    let timeout = args.get(1).copied().unwrap_or(15_000);
    let seed = args.get(2).copied().unwrap_or(1);
    let sizes: Vec<usize> = match args.first() {
        Some(&m) => vec![m as usize],
        None => vec![3, 50, 500],
    };
    for masters in sizes {
        match run(masters, timeout, seed) {
            Ok(o) => print(&o, timeout),
            Err(e) => eprintln!("{} masters: {e}", masters),
        }
    }
}

fn print(o: &Outcome, timeout: u64) {
    let ms = |t: Option<u64>| t.map_or("never".to_owned(), |t| format!("{t} ms"));
    let speed = AFTER_KILL_MS as f64 / 1000.0 / o.run_wall.as_secs_f64();
    println!(
        "== {} nodes ({} masters + replicas), node timeout {timeout} ms, {} simulator threads",
        o.nodes,
        o.nodes / 2,
        o.threads
    );
    println!(
        "  formation: {:.1} s virtual, {:.1} s wall",
        o.form_virtual_ms as f64 / 1000.0,
        o.form_wall.as_secs_f64()
    );
    let all = if o.unobserved == 0 {
        format!("every live node {}", ms(o.fail_last_ms))
    } else {
        format!(
            "{} nodes by {}, {} unobserved",
            o.nodes - 1 - o.unobserved,
            ms(o.fail_last_ms),
            o.unobserved
        )
    };
    println!(
        "  FAIL: first node {}, {all} (goal <= {} ms)",
        ms(o.fail_first_ms),
        timeout + 2000
    );
    println!("  replica promoted: {}", ms(o.promoted_ms));
    println!(
        "  bus: {:.1} messages and {:.0} bytes sent per node per second",
        o.msgs_per_node_s, o.bytes_per_node_s
    );
    println!(
        "  speed: {AFTER_KILL_MS} ms virtual in {:.2} s wall = {speed:.1}x real time",
        o.run_wall.as_secs_f64()
    );
    if let Some(cpu) = o.run_cpu {
        println!(
            "  speed by CPU time (probes included): {:.2} s = {:.1}x real time",
            cpu.as_secs_f64(),
            AFTER_KILL_MS as f64 / 1000.0 / cpu.as_secs_f64()
        );
    }
    let w = &o.windows;
    println!(
        "  threads: {} windows, {:.1} node events each, {:.0}% shared; busiest thread's \
         events: {:.0}% of all (parallel speedup bound {:.2}x)",
        w.windows,
        w.events as f64 / w.windows.max(1) as f64,
        100.0 * w.shared as f64 / w.windows.max(1) as f64,
        100.0 * w.critical as f64 / w.events.max(1) as f64,
        w.events as f64 / w.critical.max(1) as f64
    );
    match o.peak_mb {
        Some(mb) => println!("  peak memory (process so far): {mb} MB"),
        None => println!("  peak memory: unknown"),
    }
}

/// The process's peak resident set (`VmHWM` in /proc/self/status), in MB.
fn peak_mb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// CPU time this process (every thread, those that ended included) has used so far: utime +
/// stime of /proc/self/stat, in clock ticks of 10 ms (Linux's USER_HZ is 100).
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of the line are the 12th and 13th after the name.
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Sum over live nodes of each CLUSTER INFO `cluster_stats_messages_<type>_sent`.
fn sent_counts(sim: &mut Sim) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for i in 0..sim.len() {
        let Some(info) = sim.cluster_info(i) else {
            continue;
        };
        for (k, v) in info {
            if let Some(t) = k
                .strip_prefix("cluster_stats_messages_")
                .and_then(|k| k.strip_suffix("_sent"))
            {
                *out.entry(t.to_owned()).or_insert(0) += v.parse::<u64>().unwrap_or(0);
            }
        }
    }
    out
}

/// Whether node `i` is up and flags the node `victim` FAIL: one name lookup in its node table
/// (`Node::cluster_state`), not a whole cluster view per probe (that was O(n) per node, so
/// O(n²) per probe round).
fn marks_fail(sim: &Sim, i: usize, victim: &NodeId) -> bool {
    sim.node(i)
        .and_then(|n| n.cluster_state())
        .is_some_and(|c| {
            c.lookup(victim)
                .and_then(|r| c.node(r))
                .is_some_and(|n| n.has(NodeFlags::FAIL))
        })
}

/// Whether node `i` is up and a master.
fn is_master(sim: &Sim, i: usize) -> bool {
    sim.node(i)
        .and_then(|n| n.cluster_state())
        .is_some_and(|c| c.node(c.myself_ref()).is_some_and(|n| n.is_master()))
}

fn run(masters: usize, timeout: u64, seed: u64) -> Result<Outcome, String> {
    let n = masters * 2;
    let started = Instant::now();
    let mut cfg = SimConfig::new(seed, n, timeout);
    // `HASHSLOT_SIM_MIN_SHARED=<n>`: windows of at least `n` node events are shared between
    // threads (`SimConfig::min_shared_events`; 0 or unset: the simulator's default).
    if let Some(m) = std::env::var("HASHSLOT_SIM_MIN_SHARED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        cfg.min_shared_events = m;
    }
    let mut sim = Sim::preformed(cfg, masters, 1, 600_000)
        .map_err(|f| format!("cluster did not form: {}", f.message))?;
    let form_wall = started.elapsed();
    let form_virtual_ms = sim.now_ms();
    // Master 0 and its replica (node `masters`, as `Sim::preformed` places replicas).
    let (victim, replica) = (0, masters);
    if is_master(&sim, replica) {
        return Err("the replica is already a master before the kill".into());
    }

    let before = sent_counts(&mut sim);
    let before_victim = sim
        .cluster_info(victim)
        .map(|info| {
            info.iter()
                .filter(|(k, _)| k.starts_with("cluster_stats_messages_") && k.ends_with("_sent"))
                .filter_map(|(k, v)| Some((k.clone(), v.parse::<u64>().ok()?)))
                .collect::<BTreeMap<_, _>>()
        })
        .unwrap_or_default();
    let bytes_before: Vec<u64> = (0..n).map(|i| sim.bus_bytes_sent(i)).collect();
    let victim_id = sim
        .node(victim)
        .and_then(|n| n.cluster_state())
        .map(|c| c.myself_id())
        .ok_or("the victim is not in cluster mode")?;
    sim.crash(victim);
    let t0 = sim.now_ms();

    let mut failed_at: Vec<Option<u64>> = vec![None; n];
    let mut promoted_ms = None;
    let mut all_failed = false;
    let mut run_wall = Duration::ZERO;
    let cpu_start = cpu_time();
    let windows_start = sim.window_stats();
    while sim.now_ms() < t0 + AFTER_KILL_MS {
        let w = Instant::now();
        sim.run_for(STEP_MS);
        run_wall += w.elapsed();
        let el = sim.now_ms() - t0;
        // Probed from the kill on: a FAIL before the node timeout would be a finding too.
        if !all_failed {
            for (i, at) in failed_at.iter_mut().enumerate() {
                if i == victim || at.is_some() {
                    continue;
                }
                if marks_fail(&sim, i, &victim_id) {
                    *at = Some(el);
                }
            }
            all_failed = (0..n).all(|i| i == victim || failed_at[i].is_some());
        }
        if promoted_ms.is_none() && is_master(&sim, replica) {
            promoted_ms = Some(el);
        }
    }
    let w = sim.window_stats();
    let windows = WindowStats {
        windows: w.windows - windows_start.windows,
        shared: w.shared - windows_start.shared,
        events: w.events - windows_start.events,
        critical: w.critical - windows_start.critical,
    };
    let run_cpu = match (cpu_start, cpu_time()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let unobserved = (0..n)
        .filter(|&i| i != victim && failed_at[i].is_none())
        .count();
    let observed: Vec<u64> = failed_at.iter().flatten().copied().collect();
    let after = sent_counts(&mut sim);
    let mut msgs = 0u64;
    for (kind, &count) in &after {
        // The victim's counters are gone from `after`: take them out of `before` too.
        let victim_part = before_victim
            .get(&format!("cluster_stats_messages_{kind}_sent"))
            .copied()
            .unwrap_or(0);
        let base = before.get(kind).copied().unwrap_or(0) - victim_part;
        let d = count.saturating_sub(base);
        msgs += d;
    }
    let bytes: u64 = (0..n)
        .filter(|&i| i != victim)
        .map(|i| sim.bus_bytes_sent(i) - bytes_before[i])
        .sum();
    let node_s = (n - 1) as f64 * AFTER_KILL_MS as f64 / 1000.0;
    Ok(Outcome {
        nodes: n,
        threads: sim.threads(),
        form_wall,
        form_virtual_ms,
        fail_first_ms: observed.iter().min().copied(),
        fail_last_ms: observed.iter().max().copied(),
        unobserved,
        promoted_ms,
        msgs_per_node_s: msgs as f64 / node_s,
        bytes_per_node_s: bytes as f64 / node_s,
        run_wall,
        run_cpu,
        peak_mb: peak_mb(),
        windows,
    })
}
