//! The administrative inputs behind the CLUSTER subcommands that change the configuration
//! (`clusterCommand`). Arguments are parsed by the node; each method validates against the
//! cluster state with Redis's checks and error texts ([`ClusterError`]).
//!
//! Ref: cluster spec §2.3, §8.4.

use std::net::IpAddr;

use hashslot_bus::NodeFlags;
use hashslot_slots::NodeRef;
use hashslot_types::{Epoch, NodeId, Now, Slot, SLOT_COUNT};

use crate::links::ip_text;
use crate::node::ClusterNode;
use crate::{Cluster, LogLevel};

/// A CLUSTER subcommand refused by the cluster state. `Display` is Redis's error text without
/// the `ERR ` prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// `Unknown node %s`
    #[error("Unknown node {0}")]
    UnknownNode(String),
    /// `I don't know about node %s`
    #[error("I don't know about node {0}")]
    DontKnowNode(String),
    /// FORGET of myself.
    #[error("I tried hard but I can't forget myself...")]
    ForgetMyself,
    /// FORGET of my master.
    #[error("Can't forget my master!")]
    ForgetMaster,
    /// ADDSLOTS of an assigned slot.
    #[error("Slot {0} is already busy")]
    SlotBusy(u16),
    /// DELSLOTS of an unassigned slot.
    #[error("Slot {0} is already unassigned")]
    SlotUnassigned(u16),
    /// A slot given twice.
    #[error("Slot {0} specified multiple times")]
    SlotMultiple(u16),
    /// SETSLOT on a replica.
    #[error("Please use SETSLOT only with masters.")]
    SetSlotOnReplica,
    /// SETSLOT MIGRATING of a slot not mine.
    #[error("I'm not the owner of hash slot {0}")]
    NotOwner(u16),
    /// SETSLOT IMPORTING of a slot already mine.
    #[error("I'm already the owner of hash slot {0}")]
    AlreadyOwner(u16),
    /// SETSLOT target is a replica.
    #[error("Target node is not a master")]
    TargetNotMaster,
    /// SETSLOT NODE away from me while keys remain.
    #[error(
        "Can't assign hashslot {0} to a different node while I still hold keys for this hash slot."
    )]
    SlotHasKeys(u16),
    /// REPLICATE myself.
    #[error("Can't replicate myself")]
    ReplicateMyself,
    /// REPLICATE a replica.
    #[error("I can only replicate a master, not a replica.")]
    ReplicateReplica,
    /// REPLICATE while owning slots or keys.
    #[error("To set a master the node must be empty and without assigned slots.")]
    ReplicateNotEmpty,
    /// SET-CONFIG-EPOCH below 0.
    #[error("Invalid config epoch specified: {0}")]
    InvalidConfigEpoch(i64),
    /// SET-CONFIG-EPOCH after meeting others.
    #[error("The user can assign a config epoch only when the node does not know any other node.")]
    ConfigEpochKnowsOthers,
    /// SET-CONFIG-EPOCH twice.
    #[error("Node config epoch is already non-zero")]
    ConfigEpochNonZero,
    /// MEET with a bad address.
    #[error("Invalid node address specified: {0}")]
    InvalidAddress(String),
}

impl Cluster {
    /// A node by the id text a user typed (`clusterLookupNode`: exact, case-sensitive).
    pub fn lookup_str(&self, id: &[u8]) -> Option<NodeRef> {
        let id = std::str::from_utf8(id).ok()?;
        let id = crate::nodes_conf::parse_id(id)?;
        self.nodes.lookup(&id)
    }

    fn lookup_or(&self, id: &[u8], e: fn(String) -> ClusterError) -> Result<NodeRef, ClusterError> {
        self.lookup_str(id)
            .ok_or_else(|| e(String::from_utf8_lossy(id).into_owned()))
    }

    /// CLUSTER MEET (`clusterStartHandshake`): add a handshake node; a handshake already in
    /// progress with that address is not repeated. `addr_text` is the `ip:port` the user gave,
    /// for the error.
    pub fn meet(
        &mut self,
        now: Now,
        ip: &str,
        port: i64,
        cport: i64,
        addr_text: &str,
    ) -> Result<(), ClusterError> {
        self.tick(now);
        let parsed: Option<IpAddr> = ip.parse().ok();
        let valid_port = |p: i64| (1..=65535).contains(&p);
        let (Some(ipaddr), true, true) = (parsed, valid_port(port), valid_port(cport)) else {
            return Err(ClusterError::InvalidAddress(addr_text.to_owned()));
        };
        let norm = ip_text(ipaddr);
        let (port, cport) = (port as u16, cport as u16);
        let in_progress = self.nodes.iter().any(|(_, n)| {
            n.in_handshake()
                && n.ip().eq_ignore_ascii_case(&norm)
                && n.port == port
                && n.cport == cport
        });
        if !in_progress {
            let name = NodeId::random(&mut self.rng);
            let mut n = ClusterNode::new(name, NodeFlags::HANDSHAKE | NodeFlags::MEET, self.now_ms);
            n.set_ip(norm);
            n.port = port;
            n.cport = cport;
            self.nodes.insert(n);
        }
        self.before_sleep(now);
        Ok(())
    }

    /// CLUSTER FORGET.
    pub fn forget(&mut self, now: Now, id: &[u8]) -> Result<(), ClusterError> {
        self.tick(now);
        let r = self.lookup_or(id, ClusterError::UnknownNode)?;
        let me = self.myself;
        if r == me {
            return Err(ClusterError::ForgetMyself);
        }
        if self.nodes[me].is_replica() && self.nodes[me].slaveof == Some(r) {
            return Err(ClusterError::ForgetMaster);
        }
        let name = self.nodes[r].name;
        self.blacklist_add(name);
        self.del_node(r);
        self.todo.save = true;
        self.todo.update_state = true;
        self.before_sleep(now);
        Ok(())
    }

    /// Redis's `checkSlotAssignmentsOrReply` over a whole request.
    fn check_slots(&self, slots: &[Slot], del: bool) -> Result<(), ClusterError> {
        let mut seen = vec![false; SLOT_COUNT];
        for &s in slots {
            let owned = self.slots.owner(s).is_some();
            if del && !owned {
                return Err(ClusterError::SlotUnassigned(s.get()));
            } else if !del && owned {
                return Err(ClusterError::SlotBusy(s.get()));
            }
            if std::mem::replace(&mut seen[s.index()], true) {
                return Err(ClusterError::SlotMultiple(s.get()));
            }
        }
        Ok(())
    }

    /// CLUSTER ADDSLOTS / ADDSLOTSRANGE (ranges expanded by the caller): all or nothing.
    pub fn add_slots(&mut self, now: Now, slots: &[Slot]) -> Result<(), ClusterError> {
        self.tick(now);
        self.check_slots(slots, false)?;
        let me = self.myself;
        for &s in slots {
            self.slots.set_importing(s, None);
            self.slots.assign(s, me);
        }
        self.slots_changed_by_admin(now);
        Ok(())
    }

    /// CLUSTER DELSLOTS / DELSLOTSRANGE: all or nothing.
    pub fn del_slots(&mut self, now: Now, slots: &[Slot]) -> Result<(), ClusterError> {
        self.tick(now);
        self.check_slots(slots, true)?;
        for &s in slots {
            self.slots.unassign(s);
            self.slots.set_stable(s);
            self.owner_not_claiming_slot.remove(s);
        }
        self.slots_changed_by_admin(now);
        Ok(())
    }

    /// CLUSTER FLUSHSLOTS (the node checked that the DB is empty).
    pub fn flush_slots(&mut self, now: Now) {
        self.tick(now);
        let me = self.myself;
        self.del_node_slots(me);
        self.slots_changed_by_admin(now);
    }

    fn slots_changed_by_admin(&mut self, now: Now) {
        self.emit(crate::Event::SlotsChanged);
        self.todo.save = true;
        self.todo.update_state = true;
        self.before_sleep(now);
    }

    fn setslot_target(
        &self,
        id: &[u8],
        unknown: fn(String) -> ClusterError,
    ) -> Result<NodeRef, ClusterError> {
        let n = self.lookup_or(id, unknown)?;
        if self.nodes[n].is_replica() {
            return Err(ClusterError::TargetNotMaster);
        }
        Ok(n)
    }

    fn setslot_check_master(&self) -> Result<(), ClusterError> {
        if self.nodes[self.myself].is_replica() {
            return Err(ClusterError::SetSlotOnReplica);
        }
        Ok(())
    }

    /// CLUSTER SETSLOT `slot` MIGRATING `id`.
    pub fn set_slot_migrating(
        &mut self,
        now: Now,
        slot: Slot,
        id: &[u8],
    ) -> Result<(), ClusterError> {
        self.tick(now);
        self.setslot_check_master()?;
        if self.slots.owner(slot) != Some(self.myself) {
            return Err(ClusterError::NotOwner(slot.get()));
        }
        let n = self.setslot_target(id, ClusterError::DontKnowNode)?;
        self.slots.set_migrating(slot, Some(n));
        self.slots_changed_by_admin(now);
        Ok(())
    }

    /// CLUSTER SETSLOT `slot` IMPORTING `id`.
    pub fn set_slot_importing(
        &mut self,
        now: Now,
        slot: Slot,
        id: &[u8],
    ) -> Result<(), ClusterError> {
        self.tick(now);
        self.setslot_check_master()?;
        if self.slots.owner(slot) == Some(self.myself) {
            return Err(ClusterError::AlreadyOwner(slot.get()));
        }
        let n = self.setslot_target(id, ClusterError::DontKnowNode)?;
        self.slots.set_importing(slot, Some(n));
        self.slots_changed_by_admin(now);
        Ok(())
    }

    /// CLUSTER SETSLOT `slot` STABLE.
    pub fn set_slot_stable(&mut self, now: Now, slot: Slot) -> Result<(), ClusterError> {
        self.tick(now);
        self.setslot_check_master()?;
        self.slots.set_stable(slot);
        self.slots_changed_by_admin(now);
        Ok(())
    }

    /// CLUSTER SETSLOT `slot` NODE `id`; `keys_in_slot` is how many keys I hold in it.
    pub fn set_slot_node(
        &mut self,
        now: Now,
        slot: Slot,
        id: &[u8],
        keys_in_slot: usize,
    ) -> Result<(), ClusterError> {
        self.tick(now);
        self.setslot_check_master()?;
        let n = self.setslot_target(id, ClusterError::UnknownNode)?;
        let me = self.myself;
        if self.slots.owner(slot) == Some(me) && n != me && keys_in_slot != 0 {
            return Err(ClusterError::SlotHasKeys(slot.get()));
        }
        if keys_in_slot == 0 && self.slots.migrating_slots_to(slot).is_some() {
            self.slots.set_migrating(slot, None);
        }
        let was_mine = self.slots.owner(slot) == Some(me);
        self.slots.unassign(slot);
        self.owner_not_claiming_slot.remove(slot);
        self.slots.assign(slot, n);
        if was_mine
            && n != me
            && self.slots.count_of(me) == 0
            && self.config.allow_replica_migration
        {
            let name = self.nodes[n].name;
            self.log(
                LogLevel::Warning,
                format!(
                    "Configuration change detected. Reconfiguring myself as a replica of {name}"
                ),
            );
            self.set_myself_replica_of(n);
        }
        if n == me && self.slots.importing_slots_from(slot).is_some() {
            if self.bump_epoch_without_consensus() {
                self.log(
                    LogLevel::Warning,
                    format!("configEpoch updated after importing slot {}", slot.get()),
                );
            }
            self.slots.set_importing(slot, None);
            self.broadcast_pong();
        }
        self.slots_changed_by_admin(now);
        Ok(())
    }

    /// CLUSTER REPLICATE; `i_am_empty` says my DB 0 has no keys.
    pub fn replicate(&mut self, now: Now, id: &[u8], i_am_empty: bool) -> Result<(), ClusterError> {
        self.tick(now);
        let n = self.lookup_or(id, ClusterError::UnknownNode)?;
        let me = self.myself;
        if n == me {
            return Err(ClusterError::ReplicateMyself);
        }
        if self.nodes[n].is_replica() {
            return Err(ClusterError::ReplicateReplica);
        }
        if self.nodes[me].is_master() && (self.slots.count_of(me) != 0 || !i_am_empty) {
            return Err(ClusterError::ReplicateNotEmpty);
        }
        self.set_myself_replica_of(n);
        self.todo.save = true;
        self.todo.update_state = true;
        self.before_sleep(now);
        Ok(())
    }

    /// CLUSTER SET-CONFIG-EPOCH.
    pub fn set_config_epoch(&mut self, now: Now, epoch: i64) -> Result<(), ClusterError> {
        self.tick(now);
        if epoch < 0 {
            return Err(ClusterError::InvalidConfigEpoch(epoch));
        }
        if self.nodes.len() > 1 {
            return Err(ClusterError::ConfigEpochKnowsOthers);
        }
        let me = self.myself;
        if self.nodes[me].config_epoch != Epoch(0) {
            return Err(ClusterError::ConfigEpochNonZero);
        }
        let epoch = Epoch(epoch as u64);
        self.nodes[me].config_epoch = epoch;
        self.log(
            LogLevel::Warning,
            format!(
                "configEpoch set to {} via CLUSTER SET-CONFIG-EPOCH",
                epoch.0
            ),
        );
        if self.current_epoch < epoch {
            self.current_epoch = epoch;
        }
        self.todo.save = true;
        self.todo.update_state = true;
        self.before_sleep(now);
        Ok(())
    }

    /// CLUSTER BUMPEPOCH: `(bumped, my configEpoch)`.
    pub fn bump_epoch(&mut self, now: Now) -> (bool, Epoch) {
        self.tick(now);
        let bumped = self.bump_epoch_without_consensus();
        self.before_sleep(now);
        (bumped, self.nodes[self.myself].config_epoch)
    }

    /// CLUSTER RESET (the node checked that a master holds no keys, and flushes a replica's
    /// data): forget every node and slot; HARD also zeroes the epochs and takes a new id.
    pub fn reset(&mut self, now: Now, hard: bool) {
        self.tick(now);
        let me = self.myself;
        if self.nodes[me].is_replica() {
            self.set_node_as_master(me);
        }
        self.close_all_slots();
        for j in 0..SLOT_COUNT as u16 {
            let s = Slot::from_masked(j);
            self.slots.unassign(s);
        }
        self.owner_not_claiming_slot = Default::default();
        for r in self.nodes.refs() {
            if r != me {
                self.del_node(r);
            }
        }
        if hard {
            self.current_epoch = Epoch(0);
            self.last_vote_epoch = Epoch(0);
            self.nodes[me].config_epoch = Epoch(0);
            self.log(
                LogLevel::Warning,
                "configEpoch set to 0 via CLUSTER RESET HARD".into(),
            );
            let new = NodeId::random(&mut self.rng);
            self.nodes.rename(me, new);
            self.log(LogLevel::Notice, format!("Node hard reset, now I'm {new}"));
        }
        self.emit(crate::Event::SlotsChanged);
        self.todo.save = true;
        self.todo.update_state = true;
        self.before_sleep(now);
    }
}
