//! A bounded swarm sweep: each seed draws its own faults (LAN or WAN latency, retransmits,
//! segmentation, resets, refused connects, disk delays, clock skew, partitions — one node,
//! one way, held, random halves, halves with a bridge node, random pairs — and crashes aimed
//! at masters half the time, some outlasting the failover bound) and its persistence (no AOF,
//! or the AOF with each fsync policy), runs a workload with safety checks every 500 ms (one
//! master per slot per configEpoch, one vote per master per epoch) and the failover liveness
//! checker (a master out of reach of a majority is replaced within the bound), heals, and
//! must converge and keep acknowledged writes when no failover happened; lost acknowledged
//! writes are counted in each seed's report.
//!
//! Two sweeps: the default swarm, and [`Swarm::competing_elections`] (siblings of equal
//! rank, crashes and partitions on every seed, WAN latencies: elections that compete in one
//! epoch, where the voting rules matter; `injected_vote_bug.rs` shows it catches a broken
//! one).
//!
//! Time-boxed so CI stays fast: seeds 0, 1, 2… of each sweep run until its wall-clock budget
//! is spent (at least two seeds; the competing sweep goes on until the liveness checker judged
//! a failover). Each seed is deterministic on its own; a failure prints its
//! seed and the replay command. `HASHSLOT_SEEDS=<count>` sweeps exactly `0..count`, with no
//! budget.
// The budget reads the wall clock; the simulation never does.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use hashslot_sim::{replay_command, Swarm};

/// Run the sweep; returns how many failovers the liveness checker judged. Past the budget,
/// seeds go on while fewer than `want_judged` failovers were judged (at most 24 seeds), so
/// that whether the liveness checker is exercised does not depend on the machine's speed.
fn sweep(name: &str, swarm: &Swarm, budget: Duration, want_judged: usize) -> usize {
    let env = std::env::var("HASHSLOT_SEED").is_ok() || std::env::var("HASHSLOT_SEEDS").is_ok();
    let seeds = hashslot_sim::seeds(&(0..1000).collect::<Vec<_>>());
    let start = Instant::now();
    let (mut ran, mut judged) = (0, 0);
    for seed in seeds {
        if !env && ran >= 2 && start.elapsed() > budget && (judged >= want_judged || ran >= 24) {
            break;
        }
        match swarm.run(seed) {
            Ok((r, _)) => {
                judged += r.failovers_judged;
                eprintln!("{name}: {r:?}");
            }
            Err(e) => panic!(
                "{name}: {e}\nreplay with: {}",
                replay_command(env!("CARGO_CRATE_NAME"), seed)
            ),
        }
        ran += 1;
    }
    eprintln!(
        "{name}: {ran} seeds in {:?}, {judged} failovers judged by the liveness checker",
        start.elapsed()
    );
    judged
}

#[test]
fn swarm_seeds_keep_the_rules() {
    let swarm = Swarm {
        fault_ms: 8_000,
        ..Swarm::default()
    };
    sweep("default", &swarm, Duration::from_secs(4), 0);
}

#[test]
fn competing_elections_keep_the_rules() {
    let judged = sweep(
        "competing",
        &Swarm::competing_elections(),
        Duration::from_secs(3),
        1,
    );
    // Seeds run until one had a master replaced while the checker watched (seed 4 today):
    // the liveness checker is exercised, not only wired in.
    let env = std::env::var("HASHSLOT_SEED").is_ok() || std::env::var("HASHSLOT_SEEDS").is_ok();
    assert!(
        env || judged > 0,
        "no failover judged by the liveness checker"
    );
}
