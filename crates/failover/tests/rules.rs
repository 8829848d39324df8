//! The failover rules as pure functions: election timing and retries, votes, manual failover.
use hashslot_failover::*;
use hashslot_types::{Epoch, NodeId, Slot, SlotSet};

fn id(c: u8) -> NodeId {
    NodeId::from_raw([c; 40])
}

fn input(now: Millis, epoch: u64) -> ElectionInput<'static> {
    ElectionInput {
        now,
        i_am_replica: true,
        master_known: true,
        master_failed: true,
        master_slots: 100,
        manual_in_progress: false,
        manual_can_start: false,
        data_age: 0,
        my_offset: 0,
        sibling_offsets: &[],
        current_epoch: Epoch(epoch),
        cluster_size: 3,
    }
}

/// Step every 100 ms until a request; returns (time, epoch).
fn until_request(
    e: &mut ReplicaElection,
    mut now: Millis,
    epoch: u64,
    cfg: &FailoverConfig,
    rng: &mut Rng,
) -> (Millis, Epoch) {
    for _ in 0..1000 {
        if let ElectionAction::RequestVotes { epoch, .. } =
            e.step(&input(now, epoch), cfg, rng).action
        {
            return (now, epoch);
        }
        now += 100;
    }
    panic!("no request");
}

#[test]
fn split_vote_expires_and_retries_in_a_later_epoch() {
    let cfg = FailoverConfig {
        node_timeout: 2000,
        ..FailoverConfig::default()
    };
    let mut rng = Rng::from_seed(1);
    let mut e = ReplicaElection::new();
    let (t1, e1) = until_request(&mut e, 10_000, 5, &cfg, &mut rng);
    assert_eq!(e1, Epoch(6));
    assert!(
        (10_500..=11_000).contains(&t1),
        "delay 500..1000 at rank 0: {t1}"
    );
    // One vote of the two needed: the other master voted for a sibling.
    assert!(e.handle_ack(id(b'a'), 10, e1));
    assert!(
        !e.handle_ack(id(b'a'), 10, e1),
        "a duplicate does not count"
    );
    assert!(
        !e.handle_ack(id(b'b'), 0, e1),
        "a master without slots does not count"
    );
    assert!(
        !e.handle_ack(id(b'c'), 10, Epoch(5)),
        "an old epoch does not count"
    );
    let mut now = t1 + 100;
    let mut expired_at = None;
    while now < t1 + 20_000 {
        match e.step(&input(now, 6), &cfg, &mut rng).action {
            ElectionAction::Wait {
                reason: CantFailoverReason::Expired,
            } if expired_at.is_none() => expired_at = Some(now),
            ElectionAction::Scheduled { .. } => break,
            ElectionAction::Promote { .. } => panic!("no quorum"),
            _ => {}
        }
        now += 100;
    }
    // Expired after auth_timeout (4 s), rescheduled after auth_retry_time (8 s).
    assert!(expired_at.unwrap() - t1 > auth_timeout(2000) - 100);
    assert!(now - t1 > auth_retry_time(2000) - 100);
    let (t2, e2) = until_request(&mut e, now, 6, &cfg, &mut rng);
    assert_eq!(e2, Epoch(7), "a later epoch");
    assert_eq!(e.votes(), 0);
    e.handle_ack(id(b'a'), 10, e2);
    e.handle_ack(id(b'b'), 10, e2);
    let step = e.step(&input(t2 + 100, 7), &cfg, &mut rng);
    assert_eq!(
        step.action,
        ElectionAction::Promote {
            new_config_epoch: e2
        }
    );
}

#[test]
fn rank_delays_and_rank_updates() {
    assert_eq!(slave_rank(100, &[50, 100, 150, 200]), 2);
    assert_eq!(slave_rank(0, &[0, 0]), 0, "equal offsets share a rank");
    let cfg = FailoverConfig::default();
    let mut rng = Rng::from_seed(2);
    let mut e = ReplicaElection::new();
    let mut inp = input(0, 1);
    inp.sibling_offsets = &[10, 20];
    match e.step(&inp, &cfg, &mut rng).action {
        ElectionAction::Scheduled { delay, rank: 2, .. } => assert!((2500..3000).contains(&delay)),
        a => panic!("{a:?}"),
    }
    inp.now = 100;
    inp.sibling_offsets = &[10, 20, 30];
    let step = e.step(&inp, &cfg, &mut rng);
    assert_eq!(step.rank_update, Some((3, 1000)));
}

#[test]
fn preconditions_and_data_age() {
    let cfg = FailoverConfig::default();
    let mut rng = Rng::from_seed(3);
    let mut e = ReplicaElection::new();
    let none = ElectionAction::Wait {
        reason: CantFailoverReason::None,
    };
    let mut i = input(0, 1);
    i.master_failed = false;
    assert_eq!(e.step(&i, &cfg, &mut rng).action, none);
    let mut i = input(0, 1);
    i.master_slots = 0;
    assert_eq!(e.step(&i, &cfg, &mut rng).action, none);
    let no_fo = FailoverConfig {
        replica_no_failover: true,
        ..cfg
    };
    assert_eq!(e.step(&input(0, 1), &no_fo, &mut rng).action, none);
    // 10 000 + 15 000 × 10 after subtracting the node timeout.
    let mut i = input(0, 1);
    i.data_age = 15_000 + 160_001;
    assert_eq!(
        e.step(&i, &cfg, &mut rng).action,
        ElectionAction::Wait {
            reason: CantFailoverReason::DataAge
        }
    );
    i.data_age = 15_000 + 160_000;
    assert!(matches!(
        e.step(&i, &cfg, &mut rng).action,
        ElectionAction::Scheduled { .. }
    ));
    assert!(e.should_log(CantFailoverReason::WaitingDelay, 0, false));
    assert!(!e.should_log(CantFailoverReason::WaitingDelay, 1000, false));
    assert!(e.should_log(
        CantFailoverReason::WaitingDelay,
        1000 + CANT_FAILOVER_RELOG_PERIOD,
        false
    ));
}

/// A replica with no link up since it started (Redis's `repl_down_since == 0`) has data of
/// infinite age: it waits with the data-age reason unless the factor is 0 or the failover is
/// manual (which skips the check, as in Redis).
#[test]
fn never_synced_replica_data_is_infinitely_old() {
    let progress = ReplicationProgress {
        offset: 0,
        master_last_interaction: None,
        never_synced: true,
    };
    assert_eq!(progress.data_age(1_000_000), Millis::MAX);
    assert_eq!(ReplicationProgress::default().data_age(1_000_000), 0);
    let lost_link = ReplicationProgress {
        master_last_interaction: Some(400_000),
        ..ReplicationProgress::default()
    };
    assert_eq!(lost_link.data_age(1_000_000), 600_000);

    let data_age = CantFailoverReason::DataAge;
    let mut rng = Rng::from_seed(11);
    let mut i = input(0, 1);
    i.data_age = progress.data_age(0);
    let cfg = FailoverConfig::default();
    let mut e = ReplicaElection::new();
    assert_eq!(
        e.step(&i, &cfg, &mut rng).action,
        ElectionAction::Wait { reason: data_age }
    );
    // A huge factor saturates the limit instead of overflowing into a negative one (which
    // would refuse every replica). Redis's own "infinite" age is the Unix time in ms, so a
    // factor that large lets its never-synced replica run too.
    let huge = FailoverConfig {
        replica_validity_factor: Millis::MAX,
        ..cfg
    };
    let mut fresh = input(0, 1);
    fresh.data_age = 1_000_000;
    assert!(matches!(
        ReplicaElection::new().step(&fresh, &huge, &mut rng).action,
        ElectionAction::Scheduled { .. }
    ));
    let no_limit = FailoverConfig {
        replica_validity_factor: 0,
        ..cfg
    };
    assert!(matches!(
        e.step(&i, &no_limit, &mut rng).action,
        ElectionAction::Scheduled { .. }
    ));

    // A manual failover that may start skips the check; one still waiting for the offset
    // does not (and its master is not FAIL, so nothing happens).
    let mut e = ReplicaElection::new();
    let mut m = input(0, 1);
    m.data_age = Millis::MAX;
    m.master_failed = false;
    m.manual_in_progress = true;
    assert_eq!(
        e.step(&m, &cfg, &mut rng).action,
        ElectionAction::Wait {
            reason: CantFailoverReason::None
        }
    );
    m.manual_can_start = true;
    assert_eq!(
        e.step(&m, &cfg, &mut rng).action,
        ElectionAction::Scheduled {
            delay: 0,
            rank: 0,
            offset: 0
        }
    );
    // The same with the master FAIL (CLUSTER FAILOVER FORCE after a failure).
    let mut e = ReplicaElection::new();
    m.master_failed = true;
    assert!(matches!(
        e.step(&m, &cfg, &mut rng).action,
        ElectionAction::Scheduled { delay: 0, .. }
    ));
}

/// `clusterLogCantFailover`: a reason held back while the master's failure is recent is
/// logged as soon as it is not (the relog clock only runs from lines actually logged), then
/// not again within the relog period.
#[test]
fn cant_failover_log_waits_for_the_failure_to_age() {
    let r = CantFailoverReason::DataAge;
    let mut e = ReplicaElection::new();
    assert!(!e.should_log(r, 0, true));
    assert!(!e.should_log(r, 100, true));
    assert!(
        e.should_log(r, 6_000, false),
        "logged once no longer recent"
    );
    assert!(!e.should_log(r, 6_100, false));
    assert!(e.should_log(r, 6_000 + CANT_FAILOVER_RELOG_PERIOD, false));
    // Another reason logs at once; back to the first one logs again (it changed).
    assert!(e.should_log(CantFailoverReason::WaitingVotes, 400_000, false));
    assert!(e.should_log(r, 400_100, false));
    // `None` resets the reason and is never logged.
    assert!(!e.should_log(CantFailoverReason::None, 400_200, false));
    assert!(e.should_log(r, 400_300, false));
}

#[test]
fn standing_aside_and_abort() {
    let cfg = FailoverConfig::default();
    let mut rng = Rng::from_seed(4);
    let mut e = ReplicaElection::new();
    assert!(matches!(
        e.step(&input(0, 1), &cfg, &mut rng).action,
        ElectionAction::Scheduled { .. }
    ));
    assert!(
        !e.handle_sibling_request(100, -1, 0, false),
        "a worse sibling is not followed"
    );
    assert!(e.handle_sibling_request(100, 0, 0, false));
    // No request of mine in this attempt, and ACKs do not count.
    for t in (200..2000).step_by(100) {
        assert!(!matches!(
            e.step(&input(t, 2), &cfg, &mut rng).action,
            ElectionAction::RequestVotes { .. }
        ));
    }
    assert!(!e.handle_ack(id(b'a'), 10, Epoch(2)));
    // After the retry time I try again myself.
    let (_, ep) = until_request(&mut e, 2000, 2, &cfg, &mut rng);
    assert_eq!(ep, Epoch(3));
    assert!(e.handle_ack(id(b'a'), 10, ep));
    e.abort();
    assert_eq!(e.votes(), 0);
    assert!(
        !e.handle_ack(id(b'b'), 10, ep),
        "late ACKs after an abort do not count"
    );
}

fn slots(a: u16, b: u16) -> SlotSet {
    let mut s = SlotSet::new();
    for i in a..=b {
        s.insert(Slot::new(i).unwrap());
    }
    s
}

#[test]
fn vote_decisions_follow_redis_order() {
    let claimed = slots(0, 10);
    let owner = |s: Slot| (s.get() <= 10).then_some(Epoch(3));
    let req = VoteRequest {
        requester: id(b'r'),
        request_epoch: Epoch(8),
        request_config_epoch: Epoch(3),
        claimed_slots: &claimed,
        force_ack: false,
    };
    let me = VoterView {
        now: 100_000,
        node_timeout: 15_000,
        i_am_master: true,
        my_slots: 10,
        current_epoch: Epoch(8),
        last_vote_epoch: Epoch(7),
        requester_is_master: false,
        requester_master: Some(RequesterMaster {
            failed: true,
            voted_time: None,
        }),
        slot_owner_epoch: &owner,
    };
    assert_eq!(
        VoteDecision::decide(&req, &me),
        VoteDecision::Vote { epoch: Epoch(8) }
    );
    let refuse = |req: &VoteRequest, me: &VoterView| match VoteDecision::decide(req, me) {
        VoteDecision::Refuse(r) => r,
        v => panic!("{v:?}"),
    };
    assert_eq!(
        refuse(&req, &VoterView { my_slots: 0, ..me }),
        RefuseReason::NotAVoter
    );
    assert_eq!(
        refuse(
            &req,
            &VoterView {
                i_am_master: false,
                ..me
            }
        )
        .log_line(&id(b'r')),
        None
    );
    let r = refuse(
        &VoteRequest {
            request_epoch: Epoch(7),
            ..req
        },
        &me,
    );
    assert_eq!(
        r.log_line(&id(b'r')).unwrap(),
        format!(
            "Failover auth denied to {}: reqEpoch (7) < curEpoch(8)",
            id(b'r')
        )
    );
    assert_eq!(
        refuse(
            &req,
            &VoterView {
                last_vote_epoch: Epoch(8),
                ..me
            }
        ),
        RefuseReason::AlreadyVoted { epoch: Epoch(8) }
    );
    assert_eq!(
        refuse(
            &req,
            &VoterView {
                requester_is_master: true,
                ..me
            }
        ),
        RefuseReason::RequesterIsMaster
    );
    assert_eq!(
        refuse(
            &req,
            &VoterView {
                requester_master: None,
                ..me
            }
        ),
        RefuseReason::UnknownMaster
    );
    let up = VoterView {
        requester_master: Some(RequesterMaster {
            failed: false,
            voted_time: None,
        }),
        ..me
    };
    assert_eq!(refuse(&req, &up), RefuseReason::MasterUp);
    assert!(matches!(
        VoteDecision::decide(
            &VoteRequest {
                force_ack: true,
                ..req
            },
            &up
        ),
        VoteDecision::Vote { .. }
    ));
    let recent = VoterView {
        requester_master: Some(RequesterMaster {
            failed: true,
            voted_time: Some(90_000),
        }),
        ..me
    };
    assert_eq!(
        refuse(&req, &recent),
        RefuseReason::TooSoon { remaining: 20_000 }
    );
    let newer = |s: Slot| (s.get() == 5).then_some(Epoch(4));
    let r = refuse(
        &req,
        &VoterView {
            slot_owner_epoch: &newer,
            ..me
        },
    );
    assert_eq!(
        r.log_line(&id(b'r')).unwrap(),
        format!(
            "Failover auth denied to {}: slot 5 epoch (4) > reqEpoch (3)",
            id(b'r')
        )
    );
}

#[test]
fn manual_failover_replica_and_master_sides() {
    use ManualFailover as M;
    assert_eq!(
        M::check_request(false, true, false, ManualMode::Default),
        Err(ManualFailoverError::NotReplica)
    );
    assert_eq!(
        M::check_request(true, false, false, ManualMode::Force),
        Err(ManualFailoverError::MasterUnknown)
    );
    assert_eq!(
        M::check_request(true, true, true, ManualMode::Default),
        Err(ManualFailoverError::MasterDown)
    );
    assert_eq!(
        M::check_request(true, true, true, ManualMode::Takeover),
        Ok(())
    );
    let mut m = M::new();
    assert_eq!(m.start(1000, ManualMode::Default), ManualStart::SendMfStart);
    assert!(!m.handle_progress(0), "no paused offset yet");
    assert!(m.handle_paused_offset(42));
    assert!(!m.handle_paused_offset(43), "first one only");
    assert!(!m.handle_progress(41));
    assert!(m.handle_progress(42) && m.can_start());
    assert!(!m.check_timeout(6000));
    assert!(m.check_timeout(6001) && !m.in_progress());
    assert_eq!(m.start(0, ManualMode::Force), ManualStart::ElectNow);
    assert!(m.can_start());
    let mut master = ManualFailoverMaster::new();
    assert_eq!(master.handle_mfstart(1000, id(b'r')), 11_000);
    assert!(master.is_active());
    assert!(master.check_timeout(6001) && !master.is_active());
}

#[test]
fn migration_waits_for_the_orphan_delay() {
    let r = |c: u8, failed: bool| ReplicaSummary {
        name: id(c),
        failed,
        pfail: false,
    };
    let masters = vec![
        MasterSummary {
            name: id(b'A'),
            failed: false,
            slots: 10,
            migrate_to: true,
            replicas: vec![r(b'x', false), r(b'y', false)],
        },
        MasterSummary {
            name: id(b'B'),
            failed: false,
            slots: 10,
            migrate_to: true,
            replicas: vec![r(b'z', true)],
        },
    ];
    let mut m = ReplicaMigration::new();
    let mut inp = MigrationInput {
        now: 0,
        myself: id(b'x'),
        my_master: Some(id(b'A')),
        masters: &masters,
        state_ok: true,
        barrier: 1,
        allow_replica_migration: true,
    };
    assert_eq!(m.step(&inp), None, "orphaned just now");
    inp.now = 5001;
    assert_eq!(m.step(&inp), Some(id(b'B')));
    inp.myself = id(b'y');
    assert_eq!(m.step(&inp), None, "not the smallest id");
    inp.myself = id(b'x');
    inp.barrier = 2;
    assert_eq!(m.step(&inp), None, "barrier");
    inp.barrier = 1;
    inp.allow_replica_migration = false;
    assert_eq!(m.step(&inp), None);
}
