//! Checkers: only what Redis Cluster guarantees.
//!
//! - Safety, after every observation: for one `configEpoch`, at most one master claims a slot
//!   (Ref: cluster spec, "Replica election and promotion": one vote per master per epoch, so
//!   one winner per epoch).
//! - After a quiet period (the liveness phase): every node reports `cluster_state:ok`, all
//!   agree on the owner of every slot, and the masters' `configEpoch`s are unique
//!   (Ref: cluster spec, "configEpoch conflicts resolution algorithm").
//! - Acknowledged writes survive, and reads see the last acknowledged write (or a write whose
//!   outcome is unknown), as long as no failover happened and no master crashed: Redis Cluster
//!   promises nothing about writes beyond that (asynchronous replication, no persistence here).

use std::collections::{BTreeMap, BTreeSet};

use crate::client::Outcome;
use crate::Sim;

/// Observations of one run, checked as they come.
#[derive(Debug, Default)]
pub struct Checker {
    /// Ids of the masters that owned slots when the checker started.
    initial_masters: BTreeSet<String>,
    /// Their node indexes.
    initial_master_nodes: BTreeSet<usize>,
    ids: Vec<String>,
    /// configEpoch → per slot, 1 + index into `ids` of the claimer (0: none seen).
    claims: BTreeMap<u64, Vec<u16>>,
    /// Some node ever showed a slot owned by a master that was not an initial one.
    pub failover_seen: bool,
    /// Observations made.
    pub observations: u64,
}

impl Checker {
    /// A checker that takes the current slot owners as the initial masters.
    pub fn new(sim: &mut Sim) -> Checker {
        let mut c = Checker::default();
        for i in 0..sim.len() {
            if let Some(v) = sim.view(i) {
                for l in v
                    .lines
                    .iter()
                    .filter(|l| l.is_master() && !l.slots.is_empty())
                {
                    c.initial_masters.insert(l.id.clone());
                    c.initial_master_nodes.extend(l.index);
                }
            }
        }
        c
    }

    fn intern(&mut self, id: &str) -> u16 {
        match self.ids.iter().position(|x| x == id) {
            Some(p) => p as u16 + 1,
            None => {
                self.ids.push(id.to_owned());
                self.ids.len() as u16
            }
        }
    }

    /// Read every live node's view and check the safety rule.
    pub fn observe(&mut self, sim: &mut Sim) -> Result<(), String> {
        self.observations += 1;
        for i in 0..sim.len() {
            let Some(v) = sim.view(i) else { continue };
            for l in &v.lines {
                if !l.is_master() || l.slots.is_empty() || l.has("handshake") {
                    continue;
                }
                if !self.initial_masters.is_empty() && !self.initial_masters.contains(&l.id) {
                    self.failover_seen = true;
                }
                let me = self.intern(&l.id);
                let table = self
                    .claims
                    .entry(l.config_epoch)
                    .or_insert_with(|| vec![0; hashslot_types::SLOT_COUNT]);
                for &(a, b) in &l.slots {
                    for s in a..=b.min(16383) {
                        let o = &mut table[usize::from(s)];
                        if *o == 0 {
                            *o = me;
                        } else if *o != me {
                            return Err(format!(
                                "safety: slot {s} claimed by two masters with configEpoch {} \
                                 ({} and {}; seen by n{i} at {} ms)",
                                l.config_epoch,
                                self.ids[usize::from(*o) - 1],
                                l.id,
                                sim.now_ms()
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether data may have been lost legitimately (a failover, or a master crashed).
    pub fn data_may_be_lost(&self, sim: &Sim) -> bool {
        self.failover_seen
            || sim
                .crashed_nodes()
                .iter()
                .any(|n| self.initial_master_nodes.contains(n))
    }

    /// Check the workload history: reads during the run, then a final read of every key.
    /// Skipped (returns `Ok(false)`) when data may legitimately have been lost.
    pub fn check_writes(&self, sim: &mut Sim) -> Result<bool, String> {
        if self.data_may_be_lost(sim) {
            return Ok(false);
        }
        let mut keys: BTreeMap<String, (Option<String>, Vec<String>)> = BTreeMap::new();
        for op in &sim.history().ops {
            let (acked, unknown) = keys.entry(op.key.clone()).or_default();
            match (&op.write, &op.outcome) {
                (Some(v), Outcome::Ok(_)) => *acked = Some(v.clone()),
                (Some(v), Outcome::Unknown | Outcome::Pending) => unknown.push(v.clone()),
                (None, Outcome::Ok(got)) if !allowed(got, acked, unknown) => {
                    return Err(format!(
                        "read of {} at {} ms saw {got:?}; last acknowledged write {acked:?}",
                        op.key, op.invoked_ms
                    ));
                }
                _ => {}
            }
        }
        let owners = sim.view(0).map(|v| {
            let ix: BTreeMap<&str, usize> = v
                .lines
                .iter()
                .filter_map(|l| Some((l.id.as_str(), l.index?)))
                .collect();
            v.owners()
                .iter()
                .map(|o| o.and_then(|id| ix.get(id).copied()))
                .collect::<Vec<_>>()
        });
        let owners = owners.ok_or("final read: node 0 is down")?;
        for (key, (acked, unknown)) in &keys {
            let slot = hashslot_slots::key_slot(key.as_bytes()).index();
            let node = owners[slot].ok_or(format!("final read: no owner for slot {slot}"))?;
            let got = match sim.probe(node, &[b"GET", key.as_bytes()]) {
                Some(hashslot_resp::Frame::Bulk(b)) => {
                    Some(String::from_utf8_lossy(&b).into_owned())
                }
                Some(hashslot_resp::Frame::NullBulk) => None,
                other => return Err(format!("final read of {key} on n{node}: {other:?}")),
            };
            if !allowed(&got, acked, unknown) {
                return Err(format!(
                    "acknowledged write lost: {key} = {got:?} at the end; last acknowledged {acked:?}"
                ));
            }
        }
        Ok(true)
    }
}

fn allowed(got: &Option<String>, acked: &Option<String>, unknown: &[String]) -> bool {
    match got {
        None => acked.is_none(),
        Some(v) => acked.as_ref() == Some(v) || unknown.contains(v),
    }
}

/// The liveness condition after healing: every node up and `cluster_state:ok`, all agree on
/// every slot's owner, and the masters' configEpochs are unique in every view.
pub fn converged(sim: &mut Sim) -> Result<(), String> {
    let mut first: Option<Vec<(u16, u16, String)>> = None;
    for i in 0..sim.len() {
        if !sim.state_ok(i) {
            return Err(format!("n{i} is down or not cluster_state:ok"));
        }
        let v = sim.view(i).ok_or(format!("n{i} gave no view"))?;
        let owners = v.owner_ranges();
        let mut next = 0u32;
        for &(a, b, _) in &owners {
            if u32::from(a) != next {
                return Err(format!("n{i} sees slot {next} unassigned"));
            }
            next = u32::from(b) + 1;
        }
        if next != 16384 {
            return Err(format!("n{i} sees slot {next} unassigned"));
        }
        match &first {
            None => first = Some(owners),
            Some(f) if *f != owners => {
                return Err(format!("n0 and n{i} disagree on slot owners"));
            }
            Some(_) => {}
        }
        let mut epochs = BTreeMap::new();
        for l in v.lines.iter().filter(|l| l.is_master() && !l.is_failing()) {
            if let Some(other) = epochs.insert(l.config_epoch, &l.id) {
                return Err(format!(
                    "n{i} sees masters {other} and {} with one configEpoch {}",
                    l.id, l.config_epoch
                ));
            }
        }
    }
    Ok(())
}
