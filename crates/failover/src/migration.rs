//! Replica migration (`clusterCron`'s orphan count and `clusterHandleSlaveMigration`).
//!
//! Ref: cluster spec §4.7.

use std::collections::BTreeMap;

use hashslot_types::NodeId;

use crate::Millis;

/// `CLUSTER_SLAVE_MIGRATION_DELAY` in ms: a master must stay orphaned this long.
pub const SLAVE_MIGRATION_DELAY: Millis = 5000;

/// A replica as the migration rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaSummary {
    /// Its id.
    pub name: NodeId,
    /// FAIL.
    pub failed: bool,
    /// PFAIL (`nodeTimedOut`).
    pub pfail: bool,
}

/// A master as the migration rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterSummary {
    /// Its id.
    pub name: NodeId,
    /// FAIL.
    pub failed: bool,
    /// Slots it serves.
    pub slots: usize,
    /// `CLUSTER_NODE_MIGRATE_TO`: it had replicas once (or took over from a master that had).
    pub migrate_to: bool,
    /// Its replicas.
    pub replicas: Vec<ReplicaSummary>,
}

impl MasterSummary {
    /// `clusterCountNonFailingSlaves`.
    pub fn ok_replicas(&self) -> usize {
        self.replicas.iter().filter(|r| !r.failed).count()
    }

    fn is_orphaned(&self) -> bool {
        !self.failed && self.migrate_to && self.ok_replicas() == 0
    }
}

/// What the migration step needs.
#[derive(Debug, Clone, Copy)]
pub struct MigrationInput<'a> {
    /// Monotonic ms.
    pub now: Millis,
    /// My id.
    pub myself: NodeId,
    /// My master, if I am a replica.
    pub my_master: Option<NodeId>,
    /// Every master, in node-table order.
    pub masters: &'a [MasterSummary],
    /// `cluster_state:ok`.
    pub state_ok: bool,
    /// `cluster-migration-barrier`.
    pub barrier: usize,
    /// `cluster-allow-replica-migration`.
    pub allow_replica_migration: bool,
}

/// Per-master `orphaned_time` and the rules that move a replica to an orphaned master.
#[derive(Debug, Clone, Default)]
pub struct ReplicaMigration {
    orphaned_since: BTreeMap<NodeId, Millis>,
}

impl ReplicaMigration {
    /// Nothing orphaned yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// One cron run on a replica: `Some(target)` when I must become a replica of `target`
    /// ("Migrating to orphaned master %s").
    pub fn step(&mut self, input: &MigrationInput<'_>) -> Option<NodeId> {
        let my_master_name = input.my_master?;
        // The cron's precondition: some orphaned master with slots, the largest healthy replica
        // count is ≥ 2, my master has that many, and migration is allowed.
        let healthy = |m: &&MasterSummary| !m.failed;
        let orphaned = input
            .masters
            .iter()
            .filter(healthy)
            .any(|m| m.ok_replicas() == 0 && m.slots > 0 && m.migrate_to);
        let max_slaves = input
            .masters
            .iter()
            .filter(healthy)
            .map(MasterSummary::ok_replicas)
            .max()
            .unwrap_or(0);
        let my_master = input.masters.iter().find(|m| m.name == my_master_name)?;
        let this_slaves = if my_master.failed {
            0
        } else {
            my_master.ok_replicas()
        };
        if !orphaned || max_slaves < 2 || this_slaves != max_slaves {
            return None;
        }
        if !input.allow_replica_migration {
            return None;
        }
        self.handle_slave_migration(input, my_master, max_slaves)
    }

    /// `clusterHandleSlaveMigration`.
    fn handle_slave_migration(
        &mut self,
        input: &MigrationInput<'_>,
        my_master: &MasterSummary,
        max_slaves: usize,
    ) -> Option<NodeId> {
        // Step 1: the cluster must be ok.
        if !input.state_ok {
            return None;
        }
        // Step 2: my master keeps more than the barrier of replicas neither FAIL nor PFAIL.
        let ok_after = my_master
            .replicas
            .iter()
            .filter(|r| !r.failed && !r.pfail)
            .count();
        if ok_after <= input.barrier {
            return None;
        }
        // Step 3: the target is the first orphaned master with slots; the candidate is the
        // smallest id among the replicas of the masters with the most healthy replicas.
        let mut target = None;
        let mut candidate = input.myself;
        for m in input.masters {
            if m.is_orphaned() {
                if target.is_none() && m.slots > 0 {
                    target = Some(m.name);
                }
                self.orphaned_since.entry(m.name).or_insert(input.now);
            } else {
                self.orphaned_since.remove(&m.name);
            }
            // Redis counts failed masters' replicas here too.
            if m.ok_replicas() == max_slaves {
                for r in &m.replicas {
                    if r.name.as_bytes() < candidate.as_bytes() {
                        candidate = r.name;
                    }
                }
            }
        }
        // Step 4: only the candidate moves, and only to a master orphaned for a while (so that
        // its own replicas, mid-failover, can advertise their new master first).
        let target = target?;
        let since = *self.orphaned_since.get(&target)?;
        (candidate == input.myself && input.now - since > SLAVE_MIGRATION_DELAY).then_some(target)
    }
}
