//! FAIL is agreed as soon as enough masters have noticed: a master that flags a node PFAIL
//! sends its report to every node at once, and the master that completes the quorum marks FAIL
//! (and broadcasts it) in the same cron run, without waiting for more gossip.
mod failover_support;

use failover_support::*;

/// The first time (ms from the crash, 100 ms steps) each viewer sees `about` as PFAIL or FAIL,
/// and the first time all of them see FAIL.
fn timeline(net: &mut Net, viewers: &[usize], about: usize) -> (Vec<u64>, u64) {
    let mut noticed = vec![None; viewers.len()];
    for t in (100..=20_000).step_by(100) {
        net.run(100);
        for (k, &v) in viewers.iter().enumerate() {
            if noticed[k].is_none() && net.flags_seen(v, about).contains("fail") {
                noticed[k] = Some(t);
            }
        }
        if viewers
            .iter()
            .all(|&v| net.flags_seen(v, about) == "master,fail")
        {
            return (noticed.into_iter().map(Option::unwrap).collect(), t);
        }
    }
    panic!("no FAIL agreement: {noticed:?}");
}

#[test]
fn fail_follows_the_quorum_masters_pfail_without_delay() {
    for seed in 41..=46u64 {
        let mut net = cluster_with_replicas(&[0, 1, 2], 2000, seed);
        net.run(seed * 90);
        net.crash(0);
        // Masters 1 and 2 are the quorum (2 of 3); replicas 3, 4, 5 must learn it too.
        let (noticed, all_fail) = timeline(&mut net, &[1, 2, 3, 4, 5], 0);
        let quorum_noticed = noticed[0].max(noticed[1]);
        assert_eq!(
            all_fail,
            quorum_noticed,
            "seed {seed}: masters noticed at {:?}, everyone saw FAIL at {all_fail}",
            &noticed[..2]
        );
        // Noticing takes the node timeout (2 s) from the refused reconnect at the first cron
        // run after the crash, plus at most a cron period.
        assert!(
            (2100..=2200).contains(&quorum_noticed),
            "seed {seed}: {quorum_noticed}"
        );
    }
}
