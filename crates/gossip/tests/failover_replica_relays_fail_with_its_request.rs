//! A replica whose master just failed asks for votes at once, sending a FAIL about its master on
//! each link just before its FAILOVER_AUTH_REQUEST, so every master processes the FAIL first and
//! can vote; Redis waits a fixed 500 ms (plus up to 500 ms at random) for the FAIL broadcast to
//! spread instead. The FAIL is only relayed when it is live news: learned within the node
//! timeout, with the master silent to the replica too; never a stale one, nor one loaded from
//! nodes.conf at a restart.
mod failover_support;

use failover_support::*;
use hashslot_bus::MsgType;

const FAIL: u16 = MsgType::FAIL.0;
const AUTH_REQUEST: u16 = MsgType::FAILOVER_AUTH_REQUEST.0;
const AUTH_ACK: u16 = MsgType::FAILOVER_AUTH_ACK.0;

#[test]
fn replica_is_promoted_as_soon_as_the_masters_agree_on_fail() {
    for seed in 51..=56u64 {
        let mut net = cluster_with_replicas(&[0, 1, 2], 2000, seed);
        net.run(seed * 70);
        let since = net.delivered.len();
        net.crash(0);
        let mut fail_at = None;
        let mut promoted_at = None;
        for t in (100..=20_000u64).step_by(100) {
            net.run(100);
            if fail_at.is_none() && (1..3).all(|m| net.flags_seen(m, 0) == "master,fail") {
                fail_at = Some(t);
            }
            if is_master(&net, 3) {
                promoted_at = Some(t);
                break;
            }
        }
        let (fail_at, promoted_at) = (fail_at.unwrap(), promoted_at.expect("promoted"));
        // The replica hears the FAIL in the same step and, with no sibling, asks at its next
        // cron run at the latest; the votes come back at once here.
        assert!(
            promoted_at <= fail_at + 100,
            "seed {seed}: FAIL at {fail_at} ms, promoted at {promoted_at} ms"
        );
        // Each master got the replica's FAIL before its request, and voted.
        for m in 1..3 {
            let from_replica: Vec<u16> = net.delivered[since..]
                .iter()
                .filter(|&&(f, to, _)| f == 3 && to == m)
                .map(|&(_, _, ty)| ty)
                .collect();
            let req = from_replica.iter().position(|&t| t == AUTH_REQUEST);
            let fail = from_replica.iter().position(|&t| t == FAIL);
            assert!(
                matches!((fail, req), (Some(f), Some(r)) if f < r),
                "seed {seed}: to master {m}: {from_replica:?}"
            );
            assert!(
                net.delivered[since..].contains(&(m, 3, AUTH_ACK)),
                "seed {seed}: master {m} voted"
            );
        }
    }
}

#[test]
fn a_retry_long_after_the_fail_does_not_relay_it() {
    let mut net = cluster_with_replicas(&[0, 1, 2], 2000, 61);
    // The replica's first request waits behind its nodes.conf write (the election epoch)...
    net.hold_persist[3] = true;
    net.crash(0);
    net.run_until(10_000, "replica 3 sees its master FAIL", |n| {
        n.flags_seen(3, 0) == "master,fail"
    });
    // ...and is lost: the replica is cut off when the write completes.
    net.group = vec![0, 0, 0, 1, 0, 0];
    net.hold_persist[3] = false;
    net.complete_persists(3);
    net.run(3_000);
    net.group = vec![0; 6];
    let since = net.delivered.len();
    net.run_until(20_000, "replica 3 promoted on its retry", |n| {
        is_master(n, 3)
    });
    assert!(delivered_from(&net, since, 3, AUTH_REQUEST) >= 1);
    assert_eq!(
        delivered_from(&net, since, 3, FAIL),
        0,
        "the FAIL is seconds old: not relayed with the retry"
    );
    net.run_until(10_000, "every live node sees 3 own master 0's slots", |n| {
        all_agree_owner(n, 0, 3)
    });
}

#[test]
fn a_fail_loaded_from_nodes_conf_is_not_relayed() {
    let mut net = cluster_with_replicas(&[0, 1, 2], 2000, 71);
    // Replica 3 may not fail over while master 0 is cut off and marked FAIL everywhere...
    let now = net.now;
    let mut cfg = net.nodes[3].config().clone();
    cfg.replica_no_failover = true;
    net.nodes[3].set_config(now, cfg.clone());
    net.group = vec![1, 0, 0, 0, 0, 0];
    net.run_until(10_000, "everyone sees master 0 FAIL", |n| {
        (1..6).all(|v| n.flags_seen(v, 0) == "master,fail")
    });
    // ...and keeps that FAIL in its nodes.conf when it crashes.
    net.crash(3);
    assert!(net.persisted[3].as_deref().unwrap().contains("master,fail"));
    // Master 0 comes back; nobody took its slots, so the others clear its FAIL.
    net.group = vec![0; 6];
    net.run_until(10_000, "the live nodes clear master 0's FAIL", |n| {
        [1, 2, 4, 5].iter().all(|&v| n.flags_seen(v, 0) == "master")
    });
    // Replica 3 restarts, now allowed to fail over, with its master FAIL from the file.
    let conf = net.persisted[3].clone().unwrap();
    cfg.replica_no_failover = false;
    net.nodes[3] = hashslot_gossip::Cluster::load(
        cfg,
        hashslot_types::Rng::from_seed(7),
        net.now,
        conf.as_bytes(),
    )
    .unwrap();
    net.down[3] = false;
    let since = net.delivered.len();
    net.settle();
    net.run(10_000);
    // It did not relay that FAIL; the masters judged by their own view and refused, so the
    // healthy master keeps its slots.
    assert!(
        delivered_from(&net, since, 3, AUTH_REQUEST) >= 1,
        "it asked"
    );
    assert_eq!(delivered_from(&net, since, 3, FAIL), 0);
    assert_eq!(delivered_from(&net, since, 1, AUTH_ACK), 0);
    assert!(is_master(&net, 0) && !is_master(&net, 3));
    assert!(all_agree_owner(&net, 0, 0));
    assert_eq!(master_seen(&net, 1, 3), Some(0));
}
