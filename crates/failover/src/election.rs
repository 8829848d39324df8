//! The replica's election (`clusterHandleSlaveFailover`, `clusterGetSlaveRank`).
//!
//! Ref: cluster spec §4.1–4.4 "Preconditions", "Data age and scheduling", "Counting votes".

use std::collections::BTreeSet;

use hashslot_types::{Epoch, NodeId, Rng};

use crate::{auth_retry_time, auth_timeout, FailoverConfig, Millis};

/// `CLUSTER_CANT_FAILOVER_RELOG_PERIOD` in ms.
pub const CANT_FAILOVER_RELOG_PERIOD: Millis = 300_000;

/// Why a replica is not failing over right now (`CLUSTER_CANT_FAILOVER_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CantFailoverReason {
    /// Preconditions do not hold (nothing to log).
    None,
    /// The data is too old (`cluster-replica-validity-factor`).
    DataAge,
    /// The election delay has not elapsed.
    WaitingDelay,
    /// The election timed out; a new one starts after the retry time.
    Expired,
    /// The request was sent; not enough votes yet.
    WaitingVotes,
    /// A sibling with at least my offset is running an election; I stand aside until the
    /// retry time (our improvement, see [`ReplicaElection::handle_sibling_request`]).
    YieldedToSibling,
}

impl CantFailoverReason {
    /// The text Redis logs after "Currently unable to failover: ".
    pub fn text(self) -> &'static str {
        match self {
            CantFailoverReason::None => "",
            CantFailoverReason::DataAge => "Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option.",
            CantFailoverReason::WaitingDelay => "Waiting the delay before I can start a new failover.",
            CantFailoverReason::Expired => "Failover attempt expired.",
            CantFailoverReason::WaitingVotes => "Waiting for votes, but majority still not reached.",
            CantFailoverReason::YieldedToSibling => "Another replica of my master with at least my offset is running an election.",
        }
    }
}

/// `500 + random(0..500) + rank × 1000` ms: Redis 7.0's delay before the request. The fixed
/// 500 ms lets the FAIL broadcast reach the masters first (a master refuses to vote for a
/// replica of a master it does not see as FAIL); the random part separates replicas of equal
/// rank.
fn redis_delay(rank: u32, rng: &mut Rng) -> Millis {
    500 + rng.below(500) as Millis + Millis::from(rank) * 1000
}

/// The delay when the caller relays the FAIL with its request (see
/// [`ReplicaElection::set_fail_relayed`]): no fixed part; `rank × 1000 + random(0..500)` ms
/// when other replicas of my master may fail over, and none when none can (the random part
/// only separates siblings).
fn relayed_fail_delay(rank: u32, siblings: usize, rng: &mut Rng) -> Millis {
    let by_rank = Millis::from(rank) * 1000;
    if siblings == 0 {
        by_rank
    } else {
        rng.below(500) as Millis + by_rank
    }
}

/// What the replica knows when it runs one election step (every cron run, and after an ACK).
#[derive(Debug, Clone, Copy)]
pub struct ElectionInput<'a> {
    /// Monotonic ms.
    pub now: Millis,
    /// I am a replica.
    pub i_am_replica: bool,
    /// My master is known.
    pub master_known: bool,
    /// My master is flagged FAIL.
    pub master_failed: bool,
    /// Slots my master owns.
    pub master_slots: usize,
    /// A manual failover is in progress (`mf_end != 0`).
    pub manual_in_progress: bool,
    /// The manual failover may start (`mf_can_start`).
    pub manual_can_start: bool,
    /// Ms since the last interaction with my master (replication link); `Millis::MAX` when
    /// no link was up since I started or became a replica. See
    /// [`ReplicationProgress::data_age`](crate::ReplicationProgress::data_age).
    pub data_age: Millis,
    /// My processed replication offset.
    pub my_offset: i64,
    /// Last known offsets of the other replicas of my master that may fail over (not
    /// NOFAILOVER).
    pub sibling_offsets: &'a [i64],
    /// My `currentEpoch`.
    pub current_epoch: Epoch,
    /// `cluster_size`: masters serving at least one slot.
    pub cluster_size: usize,
}

/// What the caller must do after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ElectionAction {
    /// Nothing to do; `reason` says why (log it when it changes).
    Wait {
        /// Why not now.
        reason: CantFailoverReason,
    },
    /// An election was scheduled: log it and PONG the other replicas of my master (so they
    /// learn my offset and rank themselves).
    Scheduled {
        /// Ms until the request.
        delay: Millis,
        /// My rank.
        rank: u32,
        /// My offset.
        offset: i64,
    },
    /// Set `currentEpoch = epoch`, save it durably, then broadcast FAILOVER_AUTH_REQUEST
    /// (with FORCEACK when `force_ack`).
    RequestVotes {
        /// The election epoch.
        epoch: Epoch,
        /// Manual failover: ask masters to vote although my master is up.
        force_ack: bool,
    },
    /// The election is won: set my configEpoch to `config_epoch` (if larger) and replace my
    /// master (`clusterFailoverReplaceYourMaster`).
    Promote {
        /// The election epoch, my new configEpoch.
        new_config_epoch: Epoch,
    },
}

/// The result of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElectionStep {
    /// What to do.
    pub action: ElectionAction,
    /// Set when my rank got worse before the request: `(new rank, added delay ms)`
    /// ("Replica rank updated to #%d, added %lld milliseconds of delay.").
    pub rank_update: Option<(u32, Millis)>,
}

/// The replica side of an election: Redis's `failover_auth_*` fields and the rules that move
/// them. Pure: time and randomness come in as arguments.
///
/// One winner per epoch does not depend on anything here: it comes from the masters, each
/// granting at most one durable vote per epoch, and the strict majority quorum. This machine
/// only decides *when* to ask, so the improvements below (standing aside for a better or equal
/// sibling, stopping when a winner is known) can delay or cancel an attempt but never add a
/// vote; see [`ReplicaElection::handle_sibling_request`] and [`ReplicaElection::abort`].
#[derive(Debug, Clone, Default)]
pub struct ReplicaElection {
    /// `failover_auth_time`: when the request may go out (None: never scheduled).
    auth_time: Option<Millis>,
    /// Masters that voted for me in `auth_epoch` (Redis counts ACKs; a set also ignores a
    /// duplicated ACK).
    voters: BTreeSet<NodeId>,
    /// `failover_auth_sent`.
    auth_sent: bool,
    /// `failover_auth_rank`.
    auth_rank: u32,
    /// `failover_auth_epoch`.
    auth_epoch: Epoch,
    /// I stood aside for a sibling in this attempt: ACKs are not counted.
    yielded: bool,
    /// The last reason seen, logged or not (`cant_failover_reason`; `None`: none yet or
    /// `CantFailoverReason::None`).
    last_reason: Option<CantFailoverReason>,
    /// When a reason was last actually logged (`lastlog_time`).
    last_logged: Option<Millis>,
    /// The caller sends a FAIL about my master just before each request (see
    /// [`ReplicaElection::set_fail_relayed`]).
    fail_relayed: bool,
}

/// `clusterGetSlaveRank`: how many other replicas have a greater offset than mine. Equal
/// offsets share a rank (Redis's behaviour, also when no replication offsets exist yet).
pub fn slave_rank(my_offset: i64, sibling_offsets: &[i64]) -> u32 {
    sibling_offsets.iter().filter(|&&o| o > my_offset).count() as u32
}

impl ReplicaElection {
    /// A replica that never ran an election.
    pub fn new() -> Self {
        Self::default()
    }

    /// Improvement over Redis, for callers that send a FAIL about my master on every link
    /// just before the FAILOVER_AUTH_REQUEST (same links, so every master processes the FAIL
    /// first) whenever that FAIL is recent (an older one has had time to spread): the fixed
    /// 500 ms that lets the FAIL spread is then not needed, and a replica with no sibling that
    /// may fail over asks at once (rank × 1000 + random(0..500) ms with siblings). Applies to
    /// elections scheduled from now on; off by default (Redis's delay).
    ///
    /// Safety is unchanged: votes alone make one winner per epoch. A sibling I do not know of
    /// could split the vote, which costs a retry, as two Redis replicas of equal rank can.
    pub fn set_fail_relayed(&mut self, relayed: bool) {
        self.fail_relayed = relayed;
    }

    /// Whether [`set_fail_relayed`](Self::set_fail_relayed) is on.
    pub fn is_fail_relayed(&self) -> bool {
        self.fail_relayed
    }

    /// `failover_auth_epoch` (0 before the first request).
    pub fn auth_epoch(&self) -> Epoch {
        self.auth_epoch
    }

    /// Votes counted in the current attempt.
    pub fn votes(&self) -> usize {
        self.voters.len()
    }

    /// `failover_auth_rank`.
    pub fn rank(&self) -> u32 {
        self.auth_rank
    }

    /// Whether the request of the current attempt was sent.
    pub fn request_sent(&self) -> bool {
        self.auth_sent
    }

    /// Whether an attempt is scheduled or running (until it expires).
    pub fn is_active(&self, now: Millis, config: &FailoverConfig) -> bool {
        self.auth_time
            .is_some_and(|t| now - t <= auth_timeout(config.node_timeout))
    }

    /// One step of `clusterHandleSlaveFailover`.
    pub fn step(
        &mut self,
        input: &ElectionInput<'_>,
        config: &FailoverConfig,
        rng: &mut Rng,
    ) -> ElectionStep {
        let now = input.now;
        let wait = |reason| ElectionStep {
            action: ElectionAction::Wait { reason },
            rank_update: None,
        };
        let manual = input.manual_in_progress && input.manual_can_start;
        let auth_timeout = auth_timeout(config.node_timeout);
        let auth_retry_time = auth_retry_time(config.node_timeout);

        // Ref: §4.1: I am a replica of a known master that is FAIL (or a manual failover may
        // start), failover is allowed, and the master serves slots.
        if !input.i_am_replica
            || !input.master_known
            || (!input.master_failed && !manual)
            || (config.replica_no_failover && !manual)
            || input.master_slots == 0
        {
            return wait(CantFailoverReason::None);
        }

        // Ref: §4.2 data age: replicas disconnected too long do not fail over by themselves.
        let mut data_age = input.data_age;
        if data_age > config.node_timeout {
            data_age -= config.node_timeout;
        }
        // Saturating: a replica that never synced has an infinite age (`Millis::MAX`), and the
        // factor is a user setting with no upper bound.
        let max_age = config.repl_ping_replica_period.saturating_add(
            config
                .node_timeout
                .saturating_mul(config.replica_validity_factor),
        );
        // Ref: a manual failover (which waited for my offset to reach the paused master's, or
        // was FORCEd) skips the check.
        if config.replica_validity_factor != 0 && data_age > max_age && !manual {
            return wait(CantFailoverReason::DataAge);
        }

        let auth_age = self.auth_time.map_or(Millis::MAX / 4, |t| now - t);
        if auth_age > auth_retry_time {
            let rank = slave_rank(input.my_offset, input.sibling_offsets);
            let (delay, rank) = if input.manual_in_progress {
                (0, 0)
            } else {
                let delay = if self.fail_relayed {
                    relayed_fail_delay(rank, input.sibling_offsets.len(), rng)
                } else {
                    redis_delay(rank, rng)
                };
                (delay, rank)
            };
            self.auth_time = Some(now + delay);
            self.voters.clear();
            self.auth_sent = false;
            self.yielded = false;
            self.auth_rank = rank;
            return ElectionStep {
                action: ElectionAction::Scheduled {
                    delay,
                    rank,
                    offset: input.my_offset,
                },
                rank_update: None,
            };
        }

        let mut rank_update = None;
        if !self.auth_sent && !input.manual_in_progress {
            let new_rank = slave_rank(input.my_offset, input.sibling_offsets);
            if new_rank > self.auth_rank {
                let added = Millis::from(new_rank - self.auth_rank) * 1000;
                self.auth_time = self.auth_time.map(|t| t + added);
                self.auth_rank = new_rank;
                rank_update = Some((new_rank, added));
            }
        }
        let with = |action| ElectionStep {
            action,
            rank_update,
        };
        let auth_time = self.auth_time.unwrap_or(0);
        if now < auth_time {
            return with(ElectionAction::Wait {
                reason: CantFailoverReason::WaitingDelay,
            });
        }
        if now - auth_time > auth_timeout {
            return with(ElectionAction::Wait {
                reason: CantFailoverReason::Expired,
            });
        }
        if self.yielded {
            return with(ElectionAction::Wait {
                reason: CantFailoverReason::YieldedToSibling,
            });
        }
        if !self.auth_sent {
            self.auth_epoch = Epoch(input.current_epoch.0 + 1);
            self.auth_sent = true;
            return with(ElectionAction::RequestVotes {
                epoch: self.auth_epoch,
                force_ack: input.manual_in_progress,
            });
        }
        let needed_quorum = input.cluster_size / 2 + 1;
        if self.voters.len() >= needed_quorum {
            let epoch = self.auth_epoch;
            self.reset();
            return with(ElectionAction::Promote {
                new_config_epoch: epoch,
            });
        }
        with(ElectionAction::Wait {
            reason: CantFailoverReason::WaitingVotes,
        })
    }

    /// A FAILOVER_AUTH_ACK from `voter`, a master serving `voter_slots` slots, whose header
    /// says `ack_epoch`. Returns whether it counted (then run [`step`](Self::step) soon).
    pub fn handle_ack(&mut self, voter: NodeId, voter_slots: usize, ack_epoch: Epoch) -> bool {
        // Ref: §4.4: only masters with slots, for this epoch or later; never while standing
        // aside and never before a request of ours.
        if voter_slots == 0 || !self.auth_sent || self.yielded || ack_epoch < self.auth_epoch {
            return false;
        }
        self.voters.insert(voter)
    }

    /// Improvement over Redis: a FAILOVER_AUTH_REQUEST of another replica of my master whose
    /// offset is at least mine. If my own request is not out yet, I stand aside for this
    /// attempt (as if mine were sent and expired): a new one is scheduled after the retry time,
    /// so if the sibling fails I still fail over. Fewer simultaneous candidates means fewer
    /// split votes; safety is unchanged because no vote is added. A manual failover never
    /// stands aside. Returns whether I stood aside.
    pub fn handle_sibling_request(
        &mut self,
        now: Millis,
        sibling_offset: i64,
        my_offset: i64,
        manual_in_progress: bool,
    ) -> bool {
        if manual_in_progress || self.auth_sent || self.auth_time.is_none() {
            return false;
        }
        if sibling_offset < my_offset {
            return false;
        }
        self.auth_time = Some(now);
        self.auth_sent = true;
        self.yielded = true;
        self.voters.clear();
        true
    }

    /// Improvement over Redis: stop at once (a winner for my master is known: its slots are
    /// claimed with an epoch above my master's). Votes already counted are dropped so that a
    /// late ACK cannot promote me; a new attempt needs the preconditions again.
    pub fn abort(&mut self) {
        self.reset();
    }

    /// Forget the current attempt (`failover_auth_time = 0`).
    pub fn reset(&mut self) {
        self.auth_time = None;
        self.voters.clear();
        self.auth_sent = false;
        self.yielded = false;
        self.auth_rank = 0;
    }

    /// `clusterLogCantFailover`: whether `reason` should be logged now. Not when it is the
    /// reason already seen and a reason was logged within the relog period; then not when
    /// `master_failed_recently` (my master was flagged FAIL less than `node_timeout + 5 s`
    /// ago: the log is for replicas stalled for a long time). As in Redis, the reason is
    /// remembered even when the second rule holds the line back but the relog clock only
    /// restarts when a line is logged, so a stalled replica logs its reason once the
    /// master's failure stops being recent. `None` is never logged.
    pub fn should_log(
        &mut self,
        reason: CantFailoverReason,
        now: Millis,
        master_failed_recently: bool,
    ) -> bool {
        if reason == CantFailoverReason::None {
            self.last_reason = None;
            return false;
        }
        let relog_due = self
            .last_logged
            .map_or(true, |t| now - t >= CANT_FAILOVER_RELOG_PERIOD);
        if self.last_reason == Some(reason) && !relog_due {
            return false;
        }
        self.last_reason = Some(reason);
        if master_failed_recently {
            return false;
        }
        self.last_logged = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FailoverConfig;

    fn input(now: Millis, siblings: &[i64]) -> ElectionInput<'_> {
        ElectionInput {
            now,
            i_am_replica: true,
            master_known: true,
            master_failed: true,
            master_slots: 100,
            manual_in_progress: false,
            manual_can_start: false,
            data_age: 0,
            my_offset: 10,
            sibling_offsets: siblings,
            current_epoch: Epoch(4),
            cluster_size: 3,
        }
    }

    #[test]
    fn delays_by_policy() {
        let mut rng = Rng::from_seed(9);
        for _ in 0..200 {
            assert!((500..1000).contains(&redis_delay(0, &mut rng)));
            assert!((2500..3000).contains(&redis_delay(2, &mut rng)));
            assert_eq!(relayed_fail_delay(0, 0, &mut rng), 0);
            assert!((0..500).contains(&relayed_fail_delay(0, 1, &mut rng)));
            assert!((1000..1500).contains(&relayed_fail_delay(1, 2, &mut rng)));
        }
    }

    #[test]
    fn relayed_fail_without_siblings_requests_in_the_same_step_run() {
        let config = FailoverConfig::default();
        let mut rng = Rng::from_seed(1);
        let mut e = ReplicaElection::new();
        assert!(!e.is_fail_relayed());
        e.set_fail_relayed(true);
        let step = e.step(&input(1000, &[]), &config, &mut rng);
        assert_eq!(
            step.action,
            ElectionAction::Scheduled {
                delay: 0,
                rank: 0,
                offset: 10
            }
        );
        let step = e.step(&input(1000, &[]), &config, &mut rng);
        assert_eq!(
            step.action,
            ElectionAction::RequestVotes {
                epoch: Epoch(5),
                force_ack: false
            }
        );
    }

    #[test]
    fn relayed_fail_with_siblings_keeps_rank_and_jitter() {
        let config = FailoverConfig::default();
        let mut rng = Rng::from_seed(2);
        let mut e = ReplicaElection::new();
        e.set_fail_relayed(true);
        // One sibling ahead of me: rank 1.
        match e.step(&input(0, &[20, 5]), &config, &mut rng).action {
            ElectionAction::Scheduled { delay, rank: 1, .. } => {
                assert!((1000..1500).contains(&delay), "{delay}")
            }
            a => panic!("{a:?}"),
        }
        // Forgetting an attempt keeps the policy.
        e.reset();
        assert!(e.is_fail_relayed());
    }
}
