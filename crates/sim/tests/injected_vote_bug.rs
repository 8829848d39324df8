//! The sweep catches a deliberately injected bug: with the hidden
//! `fault_vote_twice_per_epoch` switch on, masters forget their votes and may grant two in
//! one epoch (it shows when two replicas of a failed master start their elections in one
//! epoch, which happens when the election's random delays are closer than the network's
//! latency). A bounded sweep over swarm fault settings must find a seed that breaks "at most
//! one vote per epoch" (or "one master per slot per epoch"), print it with its replay command,
//! and running that seed again must fail the same way at the same virtual instant.

use hashslot_sim::{replay_command, Swarm};

fn buggy() -> Swarm {
    // Two replicas per master so that siblings can run elections in one epoch; no workload, so
    // that siblings have equal offsets (equal rank) and the runs are cheap.
    Swarm {
        replicas: 2,
        clients: 0,
        node_timeout_ms: 1_000,
        fault_ms: 8_000,
        inject_vote_twice_bug: true,
        ..Swarm::default()
    }
}

#[test]
fn sweep_catches_double_vote_and_its_seed_replays() {
    let swarm = buggy();
    // About one seed in nine catches it (measured over seeds 0..71: 8 catches, the first at
    // 27); the default range starts at 20 so the test stays short in debug builds.
    // `HASHSLOT_SEEDS=<n>` sweeps 0..n instead.
    let seeds = hashslot_sim::seeds(&(20..120).collect::<Vec<_>>());
    let mut caught = None;
    for &seed in &seeds {
        match swarm.run(seed) {
            Ok((r, _)) => eprintln!("seed {seed}: ok, {} votes", r.votes),
            Err(e) => {
                eprintln!(
                    "{e}\nreplay with: {}",
                    replay_command(env!("CARGO_CRATE_NAME"), seed)
                );
                caught = Some(e);
                break;
            }
        }
    }
    let first = caught.expect("the sweep did not catch the injected double-vote bug");
    assert!(
        first.message.starts_with("safety:"),
        "caught by a safety checker, not: {first}"
    );
    // The printed seed reproduces it: same failure, same virtual instant.
    let again = swarm.run(first.seed).expect_err("the seed fails again");
    assert_eq!(again, first);
    // And the same seed without the bug keeps the rules.
    let clean = Swarm {
        inject_vote_twice_bug: false,
        ..buggy()
    };
    if let Err(e) = clean.run(first.seed) {
        panic!("seed {} fails without the bug too: {e}", first.seed);
    }
}
