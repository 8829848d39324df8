//! Automatic failover: a master stops, one of its replicas is elected and takes its slots with
//! the highest configEpoch; everyone agrees; the old master comes back as a replica.
mod failover_support;

use failover_support::*;

const AUTH_REQUEST: u16 = 5;

#[test]
fn one_replica_promoted_after_master_stops() {
    let mut net = cluster_with_replicas(&[0, 1, 2], 2000, 21);
    let epochs_before: Vec<_> = (0..6).map(|i| my_epoch(&net, i)).collect();
    net.crash(0);
    net.run_until(30_000, "replica 3 promoted", |n| is_master(n, 3));
    net.run_until(
        10_000,
        "every live node sees node 3 own master 0's slots",
        |n| all_agree_owner(n, 0, 3) && all_agree_owner(n, 5460, 3),
    );
    // Exactly one promotion: the other replicas still follow their masters.
    assert!(!is_master(&net, 4) && !is_master(&net, 5));
    assert_eq!(master_seen(&net, 4, 4), Some(1));
    assert_eq!(master_seen(&net, 5, 5), Some(2));
    // Its configEpoch is the highest in the cluster.
    let e3 = my_epoch(&net, 3);
    assert!(
        epochs_before.iter().all(|e| *e < e3),
        "{e3:?} vs {epochs_before:?}"
    );
    for i in 1..6 {
        assert!(net.nodes[i].is_state_ok(), "node {i} state");
        for (a, b) in RANGES {
            let want = if a == 0 {
                3
            } else {
                owner_seen(&net, 1, a).unwrap()
            };
            assert_eq!(owner_seen(&net, i, a), Some(want));
            assert_eq!(owner_seen(&net, i, b), Some(want));
        }
    }

    // The old master restarts from its nodes.conf, learns it was replaced (UPDATE), and
    // becomes a replica of the winner.
    restart(&mut net, 0, 999);
    net.run_until(20_000, "old master follows the winner", |n| {
        master_seen(n, 0, 0) == Some(3)
    });
    net.run_until(20_000, "everyone sees node 0 as replica of 3", |n| {
        (0..6).all(|v| master_seen(n, v, 0) == Some(3))
    });
    assert!(all_agree_owner(&net, 0, 3));
    assert_eq!(net.nodes[0].slot_map().assigned_count(), 16384);
}

#[test]
fn two_replicas_of_one_master_one_winner() {
    for seed in [31, 32, 33, 34] {
        let mut net = cluster_with_replicas(&[0, 0, 1], 2000, seed);
        let since = net.delivered.len();
        net.crash(0);
        net.run_until(30_000, "a replica of 0 promoted", |n| {
            is_master(n, 3) || is_master(n, 4)
        });
        net.run(6_000);
        let winners: Vec<usize> = [3, 4].into_iter().filter(|&i| is_master(&net, i)).collect();
        assert_eq!(winners.len(), 1, "seed {seed}");
        let (w, l) = (winners[0], 7 - winners[0]);
        net.run_until(20_000, "the other replica follows the winner", |n| {
            master_seen(n, l, l) == Some(w) && all_agree_owner(n, 0, w)
        });
        // With the improvement (stand aside for a sibling), usually one request only.
        let requests = delivered_from(&net, since, 3, AUTH_REQUEST)
            + delivered_from(&net, since, 4, AUTH_REQUEST);
        assert!(requests >= 1, "seed {seed}");
    }
}
