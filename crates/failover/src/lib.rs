//! Redis Cluster failover as pure decisions: the replica's election ([`ReplicaElection`]),
//! master-side voting ([`VoteDecision`]), manual failover ([`ManualFailover`],
//! [`ManualFailoverMaster`]) and replica migration ([`ReplicaMigration`]).
//!
//! Nothing here sends bytes, reads a clock or draws from a global RNG: the membership state
//! machine (`hashslot-gossip`) passes monotonic milliseconds, a seeded [`Rng`] and a view of its
//! node table in, and turns the returned actions into bus messages, nodes.conf writes and
//! events. Rules follow Redis 7.0 `cluster.c` (`clusterHandleSlaveFailover`,
//! `clusterSendFailoverAuthIfNeeded`, `clusterHandleManualFailover`,
//! `clusterHandleSlaveMigration`); see the cluster spec §4.
//!
//! # Inputs from replication
//!
//! Two inputs belong to data replication, which fills [`ReplicationProgress`]: the replica's
//! processed offset (ranking, and the manual failover's offset handshake) and the time of the
//! last interaction with the master (data age), or that no link with the master was up since
//! the replica started (data infinitely old, as in Redis). Without replication every offset is
//! 0 and the last interaction is unknown (data age 0): equal offsets share a rank, as in Redis,
//! and the manual failover's handshake completes as soon as the master's paused offset (0)
//! arrives.
//!
//! # One winner per epoch
//!
//! Safety rests on the voters: a master grants at most one vote per epoch, makes that vote
//! durable (`lastVoteEpoch` in nodes.conf) before the ACK leaves, refuses replicas of a master
//! it voted for within `2 × node_timeout`, and refuses requests for slots that moved on; a
//! winner needs a strict majority of the masters serving slots. Everything the replica decides
//! (delays, ranks, standing aside, stopping) only changes *when* it asks.
//!
//! ```
//! use hashslot_failover::{ElectionAction, ElectionInput, FailoverConfig, ReplicaElection};
//! use hashslot_types::{Epoch, NodeId, Rng};
//!
//! let config = FailoverConfig::default();
//! let mut rng = Rng::from_seed(7);
//! let mut election = ReplicaElection::new();
//! let mut input = ElectionInput {
//!     now: 100_000,
//!     i_am_replica: true,
//!     master_known: true,
//!     master_failed: true,
//!     master_slots: 5461,
//!     manual_in_progress: false,
//!     manual_can_start: false,
//!     data_age: 0,
//!     my_offset: 0,
//!     sibling_offsets: &[],
//!     current_epoch: Epoch(6),
//!     cluster_size: 3,
//! };
//! // The 100 ms cron runs the step; the first one schedules the election.
//! let mut requested = None;
//! for _ in 0..20 {
//!     match election.step(&input, &config, &mut rng).action {
//!         ElectionAction::RequestVotes { epoch, .. } => requested = Some(epoch),
//!         ElectionAction::Promote { new_config_epoch } => {
//!             assert_eq!(new_config_epoch, Epoch(7));
//!             return;
//!         }
//!         _ => {}
//!     }
//!     if let Some(epoch) = requested {
//!         // Two of the three masters answer.
//!         input.current_epoch = epoch;
//!         election.handle_ack(NodeId::from_raw([b'a'; 40]), 5461, epoch);
//!         election.handle_ack(NodeId::from_raw([b'b'; 40]), 5461, epoch);
//!     }
//!     input.now += 100;
//! }
//! panic!("no promotion");
//! ```
#![warn(missing_docs)]

mod election;
mod manual;
mod migration;
mod vote;

pub use election::{
    slave_rank, CantFailoverReason, ElectionAction, ElectionInput, ElectionStep, ReplicaElection,
    CANT_FAILOVER_RELOG_PERIOD,
};
pub use hashslot_types::Rng;
pub use manual::{
    ManualFailover, ManualFailoverError, ManualFailoverMaster, ManualMode, ManualStart,
    MF_PAUSE_MULT, MF_TIMEOUT,
};
pub use migration::{
    MasterSummary, MigrationInput, ReplicaMigration, ReplicaSummary, SLAVE_MIGRATION_DELAY,
};
pub use vote::{RefuseReason, RequesterMaster, VoteDecision, VoteRequest, VoterView};

/// Monotonic milliseconds (the clock the gossip state machine keeps its node times in).
pub type Millis = i64;

/// The settings the failover rules read (Redis config names in the field docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailoverConfig {
    /// `cluster-node-timeout` in ms.
    pub node_timeout: Millis,
    /// `cluster-replica-validity-factor` (0: no data-age limit).
    pub replica_validity_factor: Millis,
    /// `repl-ping-replica-period` in ms.
    pub repl_ping_replica_period: Millis,
    /// `cluster-replica-no-failover`.
    pub replica_no_failover: bool,
    /// `cluster-migration-barrier`.
    pub migration_barrier: usize,
    /// `cluster-allow-replica-migration`.
    pub allow_replica_migration: bool,
}

impl Default for FailoverConfig {
    fn default() -> Self {
        FailoverConfig {
            node_timeout: 15_000,
            replica_validity_factor: 10,
            repl_ping_replica_period: 10_000,
            replica_no_failover: false,
            migration_barrier: 1,
            allow_replica_migration: true,
        }
    }
}

/// What replication tells the failover rules; the node refreshes it (with
/// `Cluster::set_replication_progress` in `hashslot-gossip`) once replication exists.
///
/// The default (offset 0, nothing known about the master link) gives a data age of 0: the
/// state of a cluster without replication, as in the membership crate's own tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicationProgress {
    /// My processed replication offset (`replicationGetSlaveOffset`); a master's
    /// `master_repl_offset`.
    pub offset: i64,
    /// When the replica last heard from its master (`master->lastinteraction` while the link
    /// is up, `repl_down_since` when down), monotonic ms; `None` when unknown (no replication
    /// yet): the data age is then 0, unless [`never_synced`](Self::never_synced) is set.
    pub master_last_interaction: Option<Millis>,
    /// No link with the master has been up since this process started or last became a
    /// replica (Redis's `repl_down_since == 0` while the link is not connected: it starts at
    /// 0, is reset to 0 when the node becomes a master, and only a lost *connected* link sets
    /// it). Redis then computes the data age as `now - 0` in Unix seconds, i.e. the data is
    /// infinitely old: with a non-zero `cluster-replica-validity-factor` such a replica never
    /// starts an election by itself (a restarted replica whose master is gone cannot know how
    /// stale its RDB/AOF is). Takes precedence over `master_last_interaction`.
    pub never_synced: bool,
}

impl ReplicationProgress {
    /// The data age at `now` (ms); [`Millis::MAX`] when [`never_synced`](Self::never_synced).
    pub fn data_age(&self, now: Millis) -> Millis {
        if self.never_synced {
            return Millis::MAX;
        }
        self.master_last_interaction
            .map_or(0, |t| now.saturating_sub(t).max(0))
    }
}

/// `auth_timeout = max(2 × node_timeout, 2000)`: how long an election waits for votes.
pub fn auth_timeout(node_timeout: Millis) -> Millis {
    (node_timeout * 2).max(2000)
}

/// `auth_retry_time = 2 × auth_timeout`: when a new election may start after the last one.
pub fn auth_retry_time(node_timeout: Millis) -> Millis {
    auth_timeout(node_timeout) * 2
}
