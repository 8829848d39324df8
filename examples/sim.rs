//! Replay one simulator seed and print its trace (the legend is in `hashslot_sim::Trace`'s
//! module docs).
//!
//! ```sh
//! cargo run --release --example sim -- --seed 42 [--nodes 6] [--seconds 60] [--no-faults] [--quiet]
//! ```
//!
//! `--nodes N` builds `ceil(N/2)` masters with one replica each when `N` is even (otherwise
//! `N` masters); `--seconds` is the length of the fault phase in virtual seconds. The last
//! lines give the trace hash, the rule checks' outcome and the speed in virtual seconds per
//! wall second.
// The example measures its own wall-clock speed; the simulation itself never reads a clock.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use hashslot::sim::Swarm;

fn main() {
    let mut seed = 42u64;
    let mut nodes = 6usize;
    let mut seconds = 60u64;
    let (mut faults, mut quiet) = (true, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |what: &str| -> u64 {
            let v = args.next().and_then(|v| v.parse().ok());
            v.unwrap_or_else(|| panic!("{what} needs a number"))
        };
        match a.as_str() {
            "--seed" => seed = num("--seed"),
            "--nodes" => nodes = num("--nodes") as usize,
            "--seconds" => seconds = num("--seconds"),
            "--no-faults" => faults = false,
            "--quiet" => quiet = true,
            _ => {
                eprintln!(
                    "usage: sim [--seed N] [--nodes N] [--seconds S] [--no-faults] [--quiet]"
                );
                std::process::exit(2);
            }
        }
    }
    let (masters, replicas) = if nodes % 2 == 0 {
        (nodes / 2, 1)
    } else {
        (nodes, 0)
    };
    let swarm = Swarm {
        masters,
        replicas,
        fault_ms: seconds * 1000,
        faults,
        keep_trace: !quiet,
        ..Swarm::default()
    };
    eprintln!("seed {seed}: faults {:#?}", swarm.sim(seed).config().faults);
    let start = Instant::now();
    let result = swarm.run(seed);
    let wall = start.elapsed().as_secs_f64();
    let (outcome, sim) = match result {
        Ok((report, sim)) => (format!("ok {report:?}"), Some(sim)),
        Err(e) => (format!("FAILED {e}\nreplay: cargo run --example sim -- --seed {seed} --nodes {nodes} --seconds {seconds}"), None),
    };
    if let Some(sim) = &sim {
        for line in sim.trace().lines().unwrap_or_default() {
            println!("{line}");
        }
        let v = sim.now_ms() as f64 / 1000.0;
        eprintln!(
            "trace hash {:016x}, {} events, {v:.1} virtual s in {wall:.2} wall s: {:.1} virtual s per wall s",
            sim.trace().hash(),
            sim.steps(),
            v / wall
        );
    }
    eprintln!("{outcome}");
    if sim.is_none() {
        std::process::exit(1);
    }
}
