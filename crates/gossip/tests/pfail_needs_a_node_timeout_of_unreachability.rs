//! A node is flagged PFAIL only after it has been unreachable for more than the node timeout
//! (`cluster-node-timeout`: "the maximum amount of time a node can be unavailable without being
//! considered failing"): never for a shorter network cut, whatever the phase of the ping
//! schedule, never in a healthy cluster; and promptly after a kill, whose reset links and
//! refused reconnects start the clock at once.
mod common;

use common::Net;
use hashslot_types::Now;

const TIMEOUT: u64 = 2000;

fn ms(now: Now) -> u64 {
    now.mono.as_nanos() / 1_000_000
}

fn flagged(net: &Net, viewer: usize, about: usize) -> bool {
    net.flags_seen(viewer, about).contains("fail")
}

#[test]
fn cut_shorter_than_the_node_timeout_is_never_flagged() {
    // 0.85 × timeout, at every phase of the ping schedule (100 ms steps over one period).
    // Counting silence since the last packet instead would flag some of these: a healthy node
    // talks only every timeout / 2.
    for seed in 1..=4u64 {
        for phase in 0..10u64 {
            let mut net = Net::three_masters(TIMEOUT, seed);
            net.run(phase * 100);
            net.group = vec![0, 0, 1];
            for _ in 0..17 {
                net.run(100);
                for v in 0..2 {
                    assert!(
                        !flagged(&net, v, 2),
                        "seed {seed} phase {phase}: node {v} flagged node 2 during a 1.7 s cut"
                    );
                }
            }
            net.group = vec![0, 0, 0];
            net.run(3000);
            assert!(!flagged(&net, 0, 2) && !flagged(&net, 1, 2));
        }
    }
}

#[test]
fn killed_node_is_flagged_one_timeout_after_the_kill() {
    for seed in 1..=6u64 {
        let mut net = Net::three_masters(TIMEOUT, seed);
        net.run(seed * 170);
        let kill = ms(net.now);
        net.crash(2);
        let mut first = [None, None];
        while first.iter().any(Option::is_none) {
            net.run(100);
            let t = ms(net.now) - kill;
            assert!(
                t <= TIMEOUT + 200,
                "seed {seed}: not flagged {t} ms after the kill"
            );
            for (v, f) in first.iter_mut().enumerate() {
                if flagged(&net, v, 2) && f.is_none() {
                    *f = Some(t);
                }
            }
        }
        for (v, f) in first.iter().enumerate() {
            let t = f.unwrap();
            // The reconnect is refused at the next cron run, which counts as the ping.
            assert!(t > TIMEOUT, "seed {seed}: node {v} flagged after {t} ms");
        }
    }
}

#[test]
fn healthy_cluster_never_flags_anyone() {
    for seed in 21..=23u64 {
        let mut net = Net::three_masters(TIMEOUT, seed);
        for _ in 0..600 {
            net.run(100);
            for v in 0..3 {
                for about in 0..3 {
                    if v != about {
                        let f = net.flags_seen(v, about);
                        assert!(!f.contains("fail"), "seed {seed}: {v} sees {about} as {f}");
                    }
                }
            }
        }
    }
}
