//! A bounded swarm sweep: each seed draws its own faults (LAN or WAN latency, retransmits,
//! segmentation, resets, refused connects, disk delays, clock skew, partitions, crashes aimed
//! at masters half the time) and its persistence (no AOF, or the AOF with each fsync policy),
//! runs a workload with safety checks every 500 ms (one master per slot per configEpoch, one
//! vote per master per epoch), heals, and must converge and keep acknowledged writes when no
//! failover happened; lost acknowledged writes are counted in each seed's report.
//!
//! Time-boxed so CI stays fast: seeds 0, 1, 2… run until a small wall-clock budget is spent
//! (at least two seeds). Each seed is deterministic on its own; a failure prints its seed and
//! the replay command. `HASHSLOT_SEEDS=<count>` sweeps exactly `0..count`, with no budget.
// The budget reads the wall clock; the simulation never does.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use hashslot_sim::{replay_command, Swarm};

const BUDGET: Duration = Duration::from_secs(4);

#[test]
fn swarm_seeds_keep_the_rules() {
    let swarm = Swarm {
        fault_ms: 8_000,
        ..Swarm::default()
    };
    let env = std::env::var("HASHSLOT_SEED").is_ok() || std::env::var("HASHSLOT_SEEDS").is_ok();
    let seeds = hashslot_sim::seeds(&(0..1000).collect::<Vec<_>>());
    let start = Instant::now();
    let mut ran = 0;
    for seed in seeds {
        if !env && ran >= 2 && start.elapsed() > BUDGET {
            break;
        }
        match swarm.run(seed) {
            Ok((r, _)) => eprintln!("{r:?}"),
            Err(e) => panic!(
                "{e}\nreplay with: {}",
                replay_command(env!("CARGO_CRATE_NAME"), seed)
            ),
        }
        ran += 1;
    }
    eprintln!("{ran} seeds in {:?}", start.elapsed());
}
