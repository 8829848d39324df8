//! Replay one simulator seed and print its trace (the legend is in `hashslot_sim::Trace`'s
//! module docs).
//!
//! ```sh
//! cargo run --release --example sim -- --seed 42 [--nodes 6] [--replicas R] [--seconds 60] [--no-faults] [--wait MS] [--quiet]
//! ```
//!
//! `--nodes N` builds `N/2` masters with one replica each when `N` is even (otherwise `N`
//! masters); `--replicas R` gives `N/(R+1)` masters with `R` replicas each instead; `--seconds` is the length of the fault phase in virtual seconds; `--wait MS`
//! makes the workload clients follow each acknowledged write with `WAIT 1 MS`. The trace is
//! printed whether the seed passes or fails (a failing seed's trace ends where the checker
//! stopped it). The last lines, on stderr, give the trace hash, the speed in virtual seconds per
//! wall second, and the outcome: the report (lost acknowledged writes included) or the failure
//! with its replay command; the exit code is 1 on failure.
// The example measures its own wall-clock speed; the simulation itself never reads a clock.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use hashslot::sim::Swarm;

fn main() {
    let mut seed = 42u64;
    let mut nodes = 6usize;
    let mut seconds = 60u64;
    let (mut faults, mut quiet) = (true, false);
    let mut wait_ms = None;
    let mut replicas_arg = None;
    let mut bug = false;
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
            "--wait" => wait_ms = Some(num("--wait")),
            "--replicas" => replicas_arg = Some(num("--replicas") as usize),
            // Hidden: the injected voting bug of tests/injected_vote_bug.rs, to see a failing
            // seed's trace.
            "--inject-vote-twice-bug" => bug = true,
            "--quiet" => quiet = true,
            _ => {
                eprintln!(
                    "usage: sim [--seed N] [--nodes N] [--replicas R] [--seconds S] [--no-faults] [--wait MS] [--quiet]"
                );
                std::process::exit(2);
            }
        }
    }
    let (masters, replicas) = if let Some(r) = replicas_arg {
        ((nodes / (r + 1)).max(1), r)
    } else if nodes % 2 == 0 {
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
        wait_ms,
        inject_vote_twice_bug: bug,
        ..Swarm::default()
    };
    eprintln!("seed {seed}: faults {:#?}", swarm.sim(seed).config().faults);
    let start = Instant::now();
    let (sim, result) = swarm.run_keep(seed);
    let wall = start.elapsed().as_secs_f64();
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
    match result {
        Ok(report) => eprintln!("ok {report:?}"),
        Err(e) => {
            let wait = wait_ms.map(|w| format!(" --wait {w}")).unwrap_or_default();
            let nf = if faults { "" } else { " --no-faults" };
            let nf = match (replicas_arg, bug) {
                (Some(r), true) => format!("{nf} --replicas {r} --inject-vote-twice-bug"),
                (Some(r), false) => format!("{nf} --replicas {r}"),
                (None, true) => format!("{nf} --inject-vote-twice-bug"),
                (None, false) => nf.to_owned(),
            };
            eprintln!(
                "FAILED {e}\nreplay: cargo run --example sim -- --seed {seed} --nodes {nodes} --seconds {seconds}{nf}{wait}"
            );
            std::process::exit(1);
        }
    }
}
