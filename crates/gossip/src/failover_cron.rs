//! Failover work of `clusterCron` and `clusterBeforeSleep`: manual failover timeouts and
//! progress, the replica's election, promotion (`clusterFailoverReplaceYourMaster`) and
//! replica migration.
//!
//! Ref: cluster spec §4.2–4.7.

use hashslot_bus::{Message, MessageFlags, MsgType, NodeFlags, Payload};
use hashslot_failover::{
    ElectionAction, ElectionInput, MasterSummary, MigrationInput, ReplicaSummary,
};
use hashslot_slots::NodeRef;
use hashslot_types::{LinkId, Now};

use crate::{Cluster, Event, LogLevel};

impl Cluster {
    /// The failover part of the 100 ms cron.
    pub(crate) fn failover_cron(&mut self, now: Now) {
        let me = self.myself;
        if self.fo.manual.check_timeout(self.now_ms) {
            self.log(LogLevel::Warning, "Manual failover timed out.".into());
        }
        if self.fo.mf_master.check_timeout(self.now_ms) {
            self.log(LogLevel::Warning, "Manual failover timed out.".into());
            self.emit(Event::ManualFailoverUnpause);
        }
        // A paused master pings the replica every cron run, so it learns the offset soon.
        if self.nodes[me].is_master() {
            let link = self
                .fo
                .mf_master
                .replica()
                .and_then(|r| self.nodes.lookup(&r))
                .and_then(|r| self.nodes[r].link);
            if let Some(link) = link {
                self.send_ping(link, MsgType::PING);
            }
            return;
        }
        self.failover_handle(now);
        self.migration_step();
    }

    /// `clusterHandleManualFailover` then `clusterHandleSlaveFailover`, once per cron run and
    /// before sleeping when an ACK or the paused offset arrived.
    pub(crate) fn failover_handle(&mut self, now: Now) {
        let me = self.myself;
        if !self.nodes[me].is_replica() {
            return;
        }
        if self.fo.manual.handle_progress(self.my_repl_offset) {
            self.log(
                LogLevel::Warning,
                "All master replication stream processed, manual failover can start.".into(),
            );
        }
        // A manual election is scheduled with no delay: run the next step at once.
        for _ in 0..3 {
            if !self.election_step(now) {
                break;
            }
        }
    }

    /// One election step; `true` when another should follow immediately.
    fn election_step(&mut self, now: Now) -> bool {
        let me = self.myself;
        let master = self.nodes[me].slaveof;
        let (master_failed, master_slots, fail_time) = match master {
            Some(m) => (
                self.nodes[m].has(NodeFlags::FAIL),
                self.slots.count_of(m),
                self.nodes[m].fail_time,
            ),
            None => (false, 0, None),
        };
        let siblings: Vec<i64> = master
            .map(|m| {
                self.nodes[m]
                    .slaves
                    .iter()
                    .filter(|&&s| s != me)
                    .filter_map(|&s| self.nodes.get(s))
                    .filter(|n| !n.has(NodeFlags::NOFAILOVER))
                    .map(|n| n.repl_offset.0)
                    .collect()
            })
            .unwrap_or_default();
        let input = ElectionInput {
            now: self.now_ms,
            i_am_replica: self.nodes[me].is_replica(),
            master_known: master.is_some(),
            master_failed,
            master_slots,
            manual_in_progress: self.fo.manual.in_progress(),
            manual_can_start: self.fo.manual.can_start(),
            data_age: self.fo.progress.data_age(self.now_ms),
            my_offset: self.my_repl_offset,
            sibling_offsets: &siblings,
            current_epoch: self.current_epoch,
            cluster_size: self.size,
        };
        let config = self.failover_config();
        // When the request will be preceded by a FAIL about my master, the election needs no
        // fixed delay for the FAIL to spread.
        let relay = master.is_some_and(|m| self.fail_relay_wanted(m));
        self.fo.election.set_fail_relayed(relay);
        let step = self.fo.election.step(&input, &config, &mut self.fo.rng);
        if let Some((rank, added)) = step.rank_update {
            self.log(
                LogLevel::Warning,
                format!("Replica rank updated to #{rank}, added {added} milliseconds of delay."),
            );
        }
        match step.action {
            ElectionAction::Wait { reason } => {
                // Ref: no log while the master failed only recently (`clusterLogCantFailover`);
                // the line comes once that stops being so.
                let recent = master_failed && self.since(fail_time) < self.config.timeout() + 5000;
                if self.fo.election.should_log(reason, self.now_ms, recent) {
                    // Redis logs these at LL_WARNING.
                    self.log(
                        LogLevel::Warning,
                        format!("Currently unable to failover: {}", reason.text()),
                    );
                }
                false
            }
            ElectionAction::Scheduled {
                delay,
                rank,
                offset,
            } => {
                self.log(
                    LogLevel::Warning,
                    format!("Start of election delayed for {delay} milliseconds (rank #{rank}, offset {offset})."),
                );
                // Tell the other replicas of my master my offset.
                let targets: Vec<LinkId> = master
                    .map(|m| self.nodes[m].slaves.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|&s| s != me)
                    .filter_map(|s| self.nodes.get(s).and_then(|n| n.link))
                    .collect();
                for link in targets {
                    self.send_ping(link, MsgType::PONG);
                }
                delay == 0
            }
            ElectionAction::RequestVotes { epoch, force_ack } => {
                self.current_epoch = epoch;
                self.log(
                    LogLevel::Warning,
                    format!("Starting a failover election for epoch {}.", epoch.0),
                );
                self.todo.update_state = true;
                // Improvement over Redis: repeat the FAIL about my master on every link just
                // before the request, so each master processes it first (same link, in order)
                // and does not refuse because the quorum's FAIL broadcast has not reached it
                // yet; Redis waits a fixed 500 ms for that instead. Real Redis masters accept
                // a FAIL from any known node. See `fail_relay_wanted` for when.
                if let (Some(m), true) = (master, relay) {
                    self.send_fail(m);
                }
                self.set_durability_barrier();
                let mut header = self.build_header();
                if force_ack {
                    header.mflags = header.mflags.union(MessageFlags::FORCEACK);
                }
                let msg = Message {
                    header,
                    payload: Payload::FailoverAuthRequest,
                };
                self.broadcast(&msg);
                false
            }
            ElectionAction::Promote { new_config_epoch } => {
                self.log(
                    LogLevel::Warning,
                    "Failover election won: I'm the new master.".into(),
                );
                if self.nodes[me].config_epoch < new_config_epoch {
                    self.nodes[me].config_epoch = new_config_epoch;
                    self.log(
                        LogLevel::Warning,
                        format!(
                            "configEpoch set to {} after successful failover",
                            new_config_epoch.0
                        ),
                    );
                }
                let manual = self.fo.manual.in_progress();
                self.failover_replace_my_master(now, manual);
                false
            }
            _ => false,
        }
    }

    /// Whether my FAILOVER_AUTH_REQUEST should be preceded by a FAIL about my master `m`:
    /// only when that FAIL is live news, so that relaying it can never fail a healthy master.
    /// (1) It is fresh: I learned it within the node timeout (a master's FAIL is only cleared
    /// 2 × node timeout after it was set, so it is the FAIL the quorum just agreed, not one
    /// the others already dropped). (2) I heard nothing from my master on the bus for more than
    /// the node timeout myself. (2) matters because a FAIL loaded from nodes.conf at a restart
    /// also looks fresh (`fail_time` is the load time, as in Redis) while the master may have
    /// recovered long ago; after a restart nothing has been heard yet, so nothing is relayed
    /// and the masters judge by their own view, as with Redis.
    fn fail_relay_wanted(&self, m: NodeRef) -> bool {
        let n = &self.nodes[m];
        let timeout = self.config.timeout();
        n.has(NodeFlags::FAIL)
            && self.since(n.fail_time) <= timeout
            && n.data_received.is_some_and(|t| self.now_ms - t > timeout)
    }

    /// `clusterFailoverReplaceYourMaster`: become a master, take my master's slots, save
    /// durably, then tell everyone with a PONG.
    pub(crate) fn failover_replace_my_master(&mut self, now: Now, manual: bool) {
        let me = self.myself;
        let Some(old) = self.nodes[me].slaveof else {
            return;
        };
        if self.nodes[me].is_master() {
            return;
        }
        let old_name = self.nodes[old].name;
        self.set_node_as_master(me);
        for slot in self.slots.slots_of(old).iter() {
            self.slots.unassign(slot);
            self.owner_not_claiming_slot.remove(slot);
            self.slots.assign(slot, me);
        }
        self.emit(Event::SlotsChanged);
        self.update_state(now);
        self.set_durability_barrier();
        self.broadcast_pong();
        self.failover_on_role_change();
        self.emit(Event::FailoverPromoted {
            old_master: old_name,
            config_epoch: self.nodes[me].config_epoch,
            manual,
        });
    }

    /// The precondition of [`ReplicaMigration::step`](hashslot_failover::ReplicaMigration),
    /// computed without building the summary of every master (which allocated a list per
    /// master on every cron run of every replica): some healthy master with slots and
    /// `MIGRATE_TO` has no healthy replica, and my master has the most healthy replicas, at
    /// least 2. When it is false the step would return at once, changing nothing.
    fn migration_may_act(&self) -> bool {
        let Some(my_master) = self.nodes[self.myself].slaveof else {
            return false;
        };
        let ok_replicas = |n: &crate::ClusterNode| {
            n.slaves
                .iter()
                .filter_map(|&s| self.nodes.get(s))
                .filter(|s| !s.has(NodeFlags::FAIL))
                .count()
        };
        // My master's count first: below 2 nothing can happen, whatever the others have (the
        // usual shape, one replica per master, ends here without a walk of the table).
        let Some(m) = self.nodes.get(my_master) else {
            return false;
        };
        if !m.is_master() || m.in_handshake() || m.has(NodeFlags::FAIL) {
            return false;
        }
        let this_slaves = ok_replicas(m);
        if this_slaves < 2 {
            return false;
        }
        let mut orphaned = false;
        let mut max_slaves = 0;
        for (r, n) in self.nodes.iter() {
            if !n.is_master() || n.in_handshake() || n.has(NodeFlags::FAIL) {
                continue;
            }
            let ok = ok_replicas(n);
            if ok == 0 && self.slots.count_of(r) > 0 && n.has(NodeFlags::MIGRATE_TO) {
                orphaned = true;
            }
            max_slaves = max_slaves.max(ok);
        }
        orphaned && this_slaves == max_slaves
    }

    /// Replica migration: the cron's orphan count and `clusterHandleSlaveMigration`.
    fn migration_step(&mut self) {
        let me = self.myself;
        if !self.nodes[me].is_replica() || !self.migration_may_act() {
            return;
        }
        let masters: Vec<MasterSummary> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.is_master() && !n.in_handshake())
            .map(|(r, n)| MasterSummary {
                name: n.name,
                failed: n.has(NodeFlags::FAIL),
                slots: self.slots.count_of(r),
                migrate_to: n.has(NodeFlags::MIGRATE_TO),
                replicas: n
                    .slaves
                    .iter()
                    .filter_map(|&s| self.nodes.get(s))
                    .map(|s| ReplicaSummary {
                        name: s.name,
                        failed: s.has(NodeFlags::FAIL),
                        pfail: s.has(NodeFlags::PFAIL),
                    })
                    .collect(),
            })
            .collect();
        let config = self.failover_config();
        let input = MigrationInput {
            now: self.now_ms,
            myself: self.nodes[me].name,
            my_master: self.nodes[me].slaveof.map(|m| self.nodes[m].name),
            masters: &masters,
            state_ok: self.state_ok,
            barrier: config.migration_barrier,
            allow_replica_migration: config.allow_replica_migration,
        };
        if let Some(target) = self.fo.migration.step(&input) {
            if let Some(t) = self.nodes.lookup(&target) {
                self.log(
                    LogLevel::Notice,
                    format!("Migrating to orphaned master {target}"),
                );
                self.set_myself_replica_of(t);
            }
        }
    }
}
