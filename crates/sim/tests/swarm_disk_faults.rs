//! The swarm with broken disks ([`Faults::disk_errors`]) keeps the rules: the nemesis breaks a
//! node's disk now and then (everything, nodes.conf, the AOF directory or the RDB file; `EIO`
//! or `ENOSPC`), half the time a master's, and repairs it after a drawn time, restarting the
//! node if it exited meanwhile. Nodes do what Redis does (exit when nodes.conf, or the AOF
//! under `appendfsync always`, cannot be written; `-MISCONF` under `everysec`); the safety
//! checkers, the failover liveness checker, convergence after healing and the
//! acknowledged-writes check (which, under `appendfsync always`, holds across crashes and
//! exits: an acknowledged write was fsynced) all hold, and nothing panics.
//!
//! Every seed here may break disks (crashes and partitions as drawn), and the trace shows it:
//! `nem disk n<i> fail <prefix>[ ENOSPC]`, then `pst <token> err` for a step that failed on
//! it (the trace legend, crates/sim/src/trace.rs). Seeds 0.. run within a small wall-clock
//! budget (1.5 s, at least three seeds); `HASHSLOT_SEEDS=<n>` sweeps `0..n`, `HASHSLOT_SEED=<n>` one seed.
// The budget reads the wall clock; the simulation never does.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use hashslot_sim::{replay_command, Faults, Swarm};

fn swarm() -> Swarm {
    Swarm {
        fault_ms: 8_000,
        keep_trace: true,
        adjust_faults: Some(|f: &mut Faults| {
            f.disk_errors = true;
            // Often enough that a few seeds see several broken disks.
            f.nemesis_mean_ms = f.nemesis_mean_ms.clamp(500, 1_500);
        }),
        ..Swarm::default()
    }
}

#[test]
fn swarm_with_broken_disks_keeps_the_rules() {
    let env = std::env::var("HASHSLOT_SEED").is_ok() || std::env::var("HASHSLOT_SEEDS").is_ok();
    let swarm = swarm();
    let start = Instant::now();
    let (mut ran, mut broken, mut failed_steps, mut refused, mut exits) = (0, 0, 0, 0, 0);
    let mut writes_checked = 0;
    for seed in hashslot_sim::seeds(&(0..100).collect::<Vec<_>>()) {
        if !env && ran >= 3 && start.elapsed() > Duration::from_millis(1_500) {
            break;
        }
        let (sim, r) = swarm.run_keep(seed);
        let report = r.unwrap_or_else(|e| {
            panic!(
                "{e}\nreplay with: {}",
                replay_command(env!("CARGO_CRATE_NAME"), seed)
            )
        });
        writes_checked += usize::from(report.writes_checked);
        let lines = sim.trace().lines().expect("kept");
        let count = |p: &dyn Fn(&str) -> bool| lines.iter().filter(|l| p(l)).count();
        let b = count(&|l| l.contains(" nem disk n") && l.contains(" fail"));
        let f = count(&|l| l.ends_with(" err") && l.contains(" pst "));
        let m = count(&|l| l.contains(" err MISCONF"));
        let x = count(&|l| l.contains("Exiting") || l.contains("can't update cluster config"));
        eprintln!(
            "seed {seed}: {b} disks broken, {f} disk steps failed, {m} writes refused (MISCONF), \
             {x} exits; acknowledged writes checked: {}; {:?}",
            report.writes_checked,
            sim.config().node_config
        );
        (broken, failed_steps, refused, exits) =
            (broken + b, failed_steps + f, refused + m, exits + x);
        ran += 1;
    }
    eprintln!(
        "{ran} seeds in {:?}: {broken} disks broken, {failed_steps} failed steps, {refused} \
         MISCONF refusals, {exits} exits; acknowledged writes checked on {writes_checked}",
        start.elapsed()
    );
    // The nemesis broke disks (a seed may break none: each of its turns picks a partition,
    // a crash or a disk), and the faults reached the nodes: some step failed on a broken
    // disk, in the trace.
    assert!(broken > 0, "the nemesis broke no disk although asked to");
    assert!(
        env || failed_steps > 0,
        "no disk step failed on a broken disk"
    );
}
