//! Failure detection outcomes and node-table maintenance: PFAIL→FAIL, clearing FAIL, roles,
//! deleting nodes, the FORGET blacklist, and the cluster state (`clusterUpdateState`).
//!
//! Ref: cluster spec §3.3, §3.4, §6.

use hashslot_bus::NodeFlags;
use hashslot_slots::NodeRef;
use hashslot_types::{NodeId, Now};

use crate::{Cluster, Event, LogLevel};

/// `CLUSTER_FAIL_UNDO_TIME_MULT`.
const FAIL_UNDO_TIME_MULT: i64 = 2;
/// `CLUSTER_WRITABLE_DELAY` in ms.
const WRITABLE_DELAY: i64 = 2000;

impl Cluster {
    /// `markNodeAsFailingIfNeeded`: PFAIL becomes FAIL when a majority of slot-owning masters
    /// (myself included, if a master) report it; the FAIL is then broadcast.
    pub(crate) fn mark_node_as_failing_if_needed(&mut self, r: NodeRef) {
        let needed_quorum = self.size / 2 + 1;
        let n = &self.nodes[r];
        if !n.has(NodeFlags::PFAIL) || n.has(NodeFlags::FAIL) {
            return;
        }
        let mut failures = self.failure_reports_count(r);
        if self.nodes[self.myself].is_master() {
            failures += 1;
        }
        if failures < needed_quorum {
            return;
        }
        let name = self.nodes[r].name;
        self.log(
            LogLevel::Notice,
            format!("Marking node {name} as failing (quorum reached)."),
        );
        let n = &mut self.nodes[r];
        n.clear(NodeFlags::PFAIL);
        n.set(NodeFlags::FAIL);
        n.fail_time = Some(self.now_ms);
        self.send_fail(r);
        self.todo.update_state = true;
        self.todo.save = true;
        // My own master failed: run the election before sleeping rather than at the next cron
        // run (Redis waits for the cron).
        if self.nodes[self.myself].slaveof == Some(r) {
            self.fo.handle_asap = true;
        }
    }

    /// `clearNodeFailureIfNeeded`, on a PONG from a FAIL node.
    pub(crate) fn clear_node_failure_if_needed(&mut self, r: NodeRef) {
        let slots = self.slots.count_of(r);
        let n = &self.nodes[r];
        let name = n.name;
        if n.is_replica() || slots == 0 {
            let what = if n.is_replica() {
                "replica"
            } else {
                "master without slots"
            };
            self.log(
                LogLevel::Notice,
                format!("Clear FAIL state for node {name}: {what} is reachable again."),
            );
            self.nodes[r].clear(NodeFlags::FAIL);
            self.todo.update_state = true;
            self.todo.save = true;
            return;
        }
        if n.is_master() && self.since(n.fail_time) > self.config.timeout() * FAIL_UNDO_TIME_MULT {
            self.log(
                LogLevel::Notice,
                format!("Clear FAIL state for node {name}: is reachable again and nobody is serving its slots after some time."),
            );
            self.nodes[r].clear(NodeFlags::FAIL);
            self.todo.update_state = true;
            self.todo.save = true;
        }
    }

    /// `clusterSetNodeAsMaster`.
    pub(crate) fn set_node_as_master(&mut self, r: NodeRef) {
        if self.nodes[r].is_master() {
            return;
        }
        if let Some(m) = self.nodes[r].slaveof {
            self.remove_slave(m, r);
            if r != self.myself {
                self.nodes[r].set(NodeFlags::MIGRATE_TO);
            }
        }
        let n = &mut self.nodes[r];
        n.clear(NodeFlags::SLAVE);
        n.set(NodeFlags::MASTER);
        n.slaveof = None;
        self.todo.save = true;
        self.todo.update_state = true;
        if r == self.myself {
            self.emit(Event::RoleChanged { master: None });
        }
    }

    /// `clusterNodeAddSlave`.
    pub(crate) fn add_slave(&mut self, master: NodeRef, slave: NodeRef) {
        let m = &mut self.nodes[master];
        if !m.slaves.contains(&slave) {
            m.slaves.push(slave);
            m.set(NodeFlags::MIGRATE_TO);
        }
    }

    /// `clusterNodeRemoveSlave`.
    pub(crate) fn remove_slave(&mut self, master: NodeRef, slave: NodeRef) {
        if let Some(m) = self.nodes.get_mut(master) {
            m.slaves.retain(|s| *s != slave);
            if m.slaves.is_empty() {
                m.clear(NodeFlags::MIGRATE_TO);
            }
        }
    }

    /// `clusterDelNodeSlots`: unassign every slot of `r`; returns how many.
    pub(crate) fn del_node_slots(&mut self, r: NodeRef) -> usize {
        let owned = self.slots.slots_of(r);
        for s in owned.iter() {
            self.slots.unassign(s);
            self.owner_not_claiming_slot.remove(s);
        }
        if !owned.is_empty() {
            self.emit(Event::SlotsChanged);
        }
        owned.len()
    }

    /// `clusterDelNode`: forget a node, its slots, its links and its failure reports.
    pub(crate) fn del_node(&mut self, r: NodeRef) {
        let had_slots = self.slots.count_of(r) > 0;
        for s in self.slots.slots_of(r).iter() {
            self.owner_not_claiming_slot.remove(s);
        }
        let open = self.slots.migrating().any(|(_, n)| n == r)
            || self.slots.importing().any(|(_, n)| n == r);
        self.slots.remove_node(r);
        if had_slots || open {
            self.emit(Event::SlotsChanged);
        }
        for other in self.nodes.refs() {
            if other != r {
                self.nodes[other].fail_reports.retain(|f| f.node != r);
            }
        }
        if let Some(m) = self.nodes[r].slaveof {
            self.remove_slave(m, r);
        }
        for s in self.nodes[r].slaves.clone() {
            if let Some(n) = self.nodes.get_mut(s) {
                n.slaveof = None;
            }
        }
        let (link, inbound) = (self.nodes[r].link, self.nodes[r].inbound_link);
        for l in [link, inbound].into_iter().flatten() {
            self.free_link(l);
        }
        self.nodes.remove(r);
    }

    /// Ban `name` from being re-added by gossip for 60 s.
    pub(crate) fn blacklist_add(&mut self, name: NodeId) {
        self.blacklist_cleanup();
        self.blacklist
            .insert(name, self.now_ms + crate::cluster::BLACKLIST_TTL);
    }

    pub(crate) fn blacklisted(&mut self, name: &NodeId) -> bool {
        self.blacklist_cleanup();
        self.blacklist.contains_key(name)
    }

    fn blacklist_cleanup(&mut self) {
        let now = self.now_ms;
        self.blacklist.retain(|_, exp| *exp > now);
    }

    /// `clusterUpdateState`: OK needs every slot served by a non-FAIL node (with
    /// `cluster-require-full-coverage`) and a majority of slot-owning masters reachable.
    pub(crate) fn update_state(&mut self, now: Now) {
        let _ = now;
        let me = self.myself;
        let first = *self.first_call_time.get_or_insert(self.now_ms);
        if self.nodes[me].is_master() && !self.state_ok && self.now_ms - first < WRITABLE_DELAY {
            return;
        }
        let mut new_ok = true;
        if self.config.require_full_coverage {
            if !self.slots.is_fully_covered() {
                new_ok = false;
            } else {
                for (owner, _) in self.slots.owners() {
                    if self.nodes.get(owner).is_none_or_fail() {
                        new_ok = false;
                        break;
                    }
                }
            }
        }
        let mut size = 0;
        let mut reachable = 0;
        for (r, n) in self.nodes.iter() {
            if n.is_master() && self.slots.count_of(r) > 0 {
                size += 1;
                if !n.is_failing() {
                    reachable += 1;
                }
            }
        }
        self.size = size;
        if reachable < size / 2 + 1 {
            new_ok = false;
            self.among_minority_time = Some(self.now_ms);
        }
        if new_ok != self.state_ok {
            let rejoin_delay = self.config.timeout().clamp(500, 5000);
            if new_ok
                && self.nodes[me].is_master()
                && self.since(self.among_minority_time) < rejoin_delay
            {
                return;
            }
            let word = if new_ok { "ok" } else { "fail" };
            self.log(LogLevel::Notice, format!("Cluster state changed: {word}"));
            self.state_ok = new_ok;
            self.emit(Event::StateChanged { ok: new_ok });
        }
    }
}

trait FailOrMissing {
    fn is_none_or_fail(&self) -> bool;
}

impl FailOrMissing for Option<&crate::ClusterNode> {
    fn is_none_or_fail(&self) -> bool {
        match self {
            None => true,
            Some(n) => n.has(NodeFlags::FAIL),
        }
    }
}
