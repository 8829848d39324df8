//! Failover wiring: the `hashslot-failover` decisions applied to the node table. This file holds
//! the state, the durability barrier, the bus messages (FAILOVER_AUTH_REQUEST/ACK, MFSTART,
//! the PAUSED flag) and the public inputs; `failover_cron.rs` drives the election, promotion
//! and replica migration.
//!
//! Durability barrier: Redis writes nodes.conf (with fsync) in `beforeSleep`, before anything
//! queued in that event-loop turn reaches a socket. Where that matters — a vote
//! (`lastVoteEpoch`), the election epoch, a promotion — we set a barrier at the config
//! generation holding the change: every message sent from then on is held (in order) until
//! `handle_persist_done` reports that generation on disk. So no ACK leaves before its vote is
//! durable, and a crash between the write and its completion can never produce a second vote
//! in the same epoch after restart. A failed write drops the held messages (Redis would exit).
//!
//! Ref: cluster spec §1.9 steps 3, 8–10, §4.

use bytes::Bytes;
use hashslot_bus::{Header, Message, MsgType, NodeFlags, Payload};
use hashslot_failover::{
    FailoverConfig, ManualFailover, ManualFailoverError, ManualFailoverMaster, ManualMode,
    ManualStart, ReplicaElection, ReplicaMigration, ReplicationProgress, RequesterMaster,
    VoteDecision, VoteRequest, VoterView,
};
use hashslot_slots::NodeRef;
use hashslot_types::{Epoch, Instant, LinkId, Now, Rng, Slot};

use crate::{Cluster, Event, LogLevel, Output};

/// The tunables that are not in [`ClusterConfig`](crate::ClusterConfig).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailoverTuning {
    /// `cluster-replica-validity-factor` (0: no data-age limit).
    pub replica_validity_factor: u64,
    /// `repl-ping-replica-period` in seconds.
    pub repl_ping_replica_period: u64,
    /// `cluster-migration-barrier`.
    pub migration_barrier: u64,
}

impl Default for FailoverTuning {
    fn default() -> Self {
        FailoverTuning {
            replica_validity_factor: 10,
            repl_ping_replica_period: 10,
            migration_barrier: 1,
        }
    }
}

/// Failover state of one [`Cluster`].
#[derive(Debug)]
pub(crate) struct FailoverState {
    pub tuning: FailoverTuning,
    pub rng: Rng,
    pub election: ReplicaElection,
    pub manual: ManualFailover,
    pub mf_master: ManualFailoverMaster,
    pub migration: ReplicaMigration,
    pub progress: ReplicationProgress,
    /// The config generation that must be on disk before anything more is sent.
    pub barrier: Option<u64>,
    /// Messages held behind the barrier, in send order.
    pub held: Vec<(LinkId, Bytes)>,
    /// `CLUSTER_TODO_HANDLE_FAILOVER` / `HANDLE_MANUALFAILOVER`: run the election before sleep.
    pub handle_asap: bool,
}

impl FailoverState {
    pub(crate) fn new(rng: &Rng) -> Self {
        FailoverState {
            tuning: FailoverTuning::default(),
            rng: rng.child("failover"),
            election: ReplicaElection::new(),
            manual: ManualFailover::new(),
            mf_master: ManualFailoverMaster::new(),
            migration: ReplicaMigration::new(),
            progress: ReplicationProgress::default(),
            barrier: None,
            held: Vec::new(),
            handle_asap: false,
        }
    }
}

/// Monotonic ms as an [`Instant`].
pub(crate) fn instant(ms: i64) -> Instant {
    Instant::from_nanos(u64::try_from(ms).unwrap_or(0) * 1_000_000)
}

impl Cluster {
    /// Set the failover tunables (`cluster-replica-validity-factor`,
    /// `repl-ping-replica-period`, `cluster-migration-barrier`).
    pub fn set_failover_tuning(&mut self, tuning: FailoverTuning) {
        self.fo.tuning = tuning;
    }

    /// Replication's inputs to failover: my processed offset (sent in every header, used for
    /// ranking and the manual failover handshake) and when I last heard from my master, or
    /// that no link with it was up since I started or became a replica (data age, see
    /// [`ReplicationProgress::data_age`]). Never called: offset 0 and a data age of 0.
    pub fn set_replication_progress(&mut self, progress: ReplicationProgress) {
        self.my_repl_offset = progress.offset;
        self.fo.progress = progress;
    }

    /// Whether messages are held until a vote, an election epoch or a promotion is on disk.
    pub fn is_holding_for_durability(&self) -> bool {
        self.fo.barrier.is_some()
    }

    /// The rules' configuration from the cluster's settings.
    pub(crate) fn failover_config(&self) -> FailoverConfig {
        let t = self.fo.tuning;
        let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX / 4);
        FailoverConfig {
            node_timeout: self.config.timeout(),
            replica_validity_factor: i(t.replica_validity_factor),
            repl_ping_replica_period: i(t.repl_ping_replica_period).saturating_mul(1000),
            replica_no_failover: self.config.replica_no_failover,
            migration_barrier: usize::try_from(t.migration_barrier).unwrap_or(usize::MAX),
            allow_replica_migration: self.config.allow_replica_migration,
        }
    }

    /// CLUSTER FAILOVER [FORCE|TAKEOVER]: Redis's checks; on success reply `+OK` (after the
    /// config is saved, for TAKEOVER).
    pub fn manual_failover(
        &mut self,
        now: Now,
        mode: ManualMode,
    ) -> Result<(), ManualFailoverError> {
        self.tick(now);
        let me = self.myself;
        let master = self.nodes[me]
            .slaveof
            .filter(|_| self.nodes[me].is_replica());
        let master_down = master.is_some_and(|m| {
            let n = &self.nodes[m];
            n.has(NodeFlags::FAIL) || n.link.is_none()
        });
        ManualFailover::check_request(
            self.nodes[me].is_replica(),
            master.is_some(),
            master_down,
            mode,
        )?;
        let start = self.fo.manual.start(self.now_ms, mode);
        self.log(LogLevel::Warning, start.log_line().to_owned());
        match start {
            ManualStart::SendMfStart => {
                if let Some(link) = master.and_then(|m| self.nodes[m].link) {
                    let msg = Message {
                        header: self.build_header(),
                        payload: Payload::MfStart,
                    };
                    self.send(link, &msg);
                }
            }
            ManualStart::ElectNow => self.fo.handle_asap = true,
            ManualStart::TakeOver => {
                self.bump_epoch_without_consensus();
                self.failover_replace_my_master(now, true);
            }
        }
        self.before_sleep(now);
        Ok(())
    }

    /// Hold every message sent from now until the pending config change is on disk.
    pub(crate) fn set_durability_barrier(&mut self) {
        self.todo.save = true;
        if self.save.disabled {
            return;
        }
        let gen = self.config_generation();
        self.fo.barrier = Some(self.fo.barrier.map_or(gen, |b| b.max(gen)));
    }

    /// After a nodes.conf write completed: release or drop the held messages.
    pub(crate) fn failover_persist_done(&mut self) {
        let Some(b) = self.fo.barrier else { return };
        if self.save.saved >= b {
            self.fo.barrier = None;
            for (link, data) in std::mem::take(&mut self.fo.held) {
                let Some(l) = self.links.get_mut(&link) else {
                    continue;
                };
                if l.connected {
                    self.outputs.push_back(Output::Send { link, data });
                } else {
                    l.pending.push(data);
                }
            }
        } else if self.save.failed >= b {
            self.fo.barrier = None;
            let n = std::mem::take(&mut self.fo.held).len();
            self.log(
                LogLevel::Warning,
                format!("Dropping {n} cluster bus messages: the config they depend on could not be saved"),
            );
        }
    }

    /// Step 3 of packet processing, for a known sender: a paused master's offset.
    pub(crate) fn failover_on_header(&mut self, sender: NodeRef, hdr: &Header) {
        let me = self.myself;
        if self.nodes[me].is_replica()
            && self.nodes[me].slaveof == Some(sender)
            && hdr.mflags.contains(hashslot_bus::MessageFlags::PAUSED)
            && self.fo.manual.handle_paused_offset(hdr.offset.0)
        {
            self.fo.handle_asap = true;
            self.log(
                LogLevel::Notice,
                format!(
                    "Received replication offset for paused master manual failover: {}",
                    hdr.offset.0
                ),
            );
        }
    }

    /// FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK and MFSTART (steps 8–10).
    pub(crate) fn failover_packet(&mut self, link: LinkId, sender: Option<NodeRef>, msg: &Message) {
        let Some(s) = sender else { return };
        let hdr = &msg.header;
        match msg.payload {
            Payload::FailoverAuthRequest => self.handle_auth_request(s, hdr),
            Payload::FailoverAuthAck => {
                let (name, count) = (self.nodes[s].name, self.slots.count_of(s));
                if self.nodes[s].is_master()
                    && self.fo.election.handle_ack(name, count, hdr.current_epoch)
                {
                    self.fo.handle_asap = true;
                }
            }
            Payload::MfStart => {
                let me = self.myself;
                if self.nodes[s].slaveof != Some(me) || self.nodes[me].is_replica() {
                    return;
                }
                let name = self.nodes[s].name;
                self.fo.manual.reset();
                let until = self.fo.mf_master.handle_mfstart(self.now_ms, name);
                self.emit(Event::ManualFailoverPause {
                    until: instant(until),
                });
                self.log(
                    LogLevel::Notice,
                    format!("Manual failover requested by replica {name}."),
                );
                self.send_ping(link, MsgType::PING);
            }
            _ => {}
        }
    }

    /// `clusterSendFailoverAuthIfNeeded`, and a replica seeing a sibling's request.
    fn handle_auth_request(&mut self, s: NodeRef, hdr: &Header) {
        let me = self.myself;
        let requester = self.nodes[s].name;
        if self.nodes[me].is_replica() {
            let mine = self.nodes[me].slaveof;
            if mine.is_some() && self.nodes[s].slaveof == mine && s != me {
                let manual = self.fo.manual.in_progress();
                if self.fo.election.handle_sibling_request(
                    self.now_ms,
                    hdr.offset.0,
                    self.my_repl_offset,
                    manual,
                ) {
                    self.log(
                        LogLevel::Notice,
                        format!("Replica {requester} of my master asked for votes in epoch {} with offset {} >= mine: standing aside.", hdr.current_epoch.0, hdr.offset.0),
                    );
                }
            }
            return;
        }
        // The test-only injected bug (ClusterConfig::fault_vote_twice_per_epoch) forgets votes.
        let fault = self.config.fault_vote_twice_per_epoch;
        let requester_master = self.nodes[s].slaveof.map(|m| RequesterMaster {
            failed: self.nodes[m].has(NodeFlags::FAIL),
            voted_time: self.nodes[m].voted_time.filter(|_| !fault),
        });
        let owner_epoch = |slot: Slot| -> Option<Epoch> {
            let owner = self.slots.owner(slot)?;
            if self.owner_not_claiming_slot.contains(slot) {
                return None;
            }
            self.nodes.get(owner).map(|n| n.config_epoch)
        };
        let request = VoteRequest {
            requester,
            request_epoch: hdr.current_epoch,
            request_config_epoch: hdr.config_epoch,
            claimed_slots: &hdr.myslots,
            force_ack: hdr.mflags.contains(hashslot_bus::MessageFlags::FORCEACK),
        };
        let view = VoterView {
            now: self.now_ms,
            node_timeout: self.config.timeout(),
            i_am_master: self.nodes[me].is_master(),
            my_slots: self.slots.count_of(me),
            current_epoch: self.current_epoch,
            last_vote_epoch: if fault {
                Epoch(0)
            } else {
                self.last_vote_epoch
            },
            requester_is_master: self.nodes[s].is_master(),
            requester_master,
            slot_owner_epoch: &owner_epoch,
        };
        match VoteDecision::decide(&request, &view) {
            VoteDecision::Vote { epoch } => {
                self.last_vote_epoch = epoch;
                if let Some(m) = self.nodes[s].slaveof {
                    self.nodes[m].voted_time = Some(self.now_ms);
                }
                // The ACK waits behind the barrier until lastVoteEpoch is on disk.
                self.set_durability_barrier();
                if let Some(link) = self.nodes[s].link {
                    let msg = Message {
                        header: self.build_header(),
                        payload: Payload::FailoverAuthAck,
                    };
                    self.send(link, &msg);
                }
                self.log(
                    LogLevel::Warning,
                    VoteDecision::granted_line(&requester, epoch),
                );
            }
            VoteDecision::Refuse(r) => {
                if let Some(line) = r.log_line(&requester) {
                    self.log(LogLevel::Warning, line);
                }
            }
        }
    }

    /// `clusterSetMaster` and `clusterSetNodeAsMaster(myself)` side effects: my manual failover
    /// state and any election are over (`resetManualFailover`).
    pub(crate) fn failover_on_role_change(&mut self) {
        self.fo.election.reset();
        self.fo.manual.reset();
        if self.fo.mf_master.reset() {
            self.emit(Event::ManualFailoverUnpause);
        }
    }
}
