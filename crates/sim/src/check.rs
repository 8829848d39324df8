//! Checkers: only what Redis Cluster guarantees.
//!
//! - Safety, after every observation: for one `configEpoch`, at most one master claims a slot
//!   (claims are read from each master's own view)
//!   (Ref: cluster spec, "Replica election and promotion": one vote per master per epoch, so
//!   one winner per epoch); and no master grants two votes in one epoch, across crashes
//!   included (a vote counts once its `lastVoteEpoch` is on disk, see [`Sim::grants`]).
//! - After a quiet period (the liveness phase): every node reports `cluster_state:ok`, all
//!   agree on the owner of every slot, and the masters' `configEpoch`s are unique
//!   (Ref: cluster spec, "configEpoch conflicts resolution algorithm").
//! - Acknowledged writes survive, and reads see the last acknowledged write (or a write whose
//!   outcome is unknown), as long as no failover happened and no master crashed (a crash is
//!   allowed under `appendonly yes` + `appendfsync always`, which fsyncs before replying): Redis Cluster
//!   promises nothing about writes beyond that (asynchronous replication). Beyond it, lost
//!   acknowledged writes are counted ([`WriteLoss`]), apart for writes that `WAIT 1` said a
//!   replica had.

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
    /// Grants already checked (a prefix of `Sim::grants`).
    grants_checked: usize,
    /// (voter, epoch) → requester, over the grants checked.
    votes: BTreeMap<(usize, u64), String>,
}

/// Acknowledged writes that did not survive, counted over a run's history.
///
/// A write is lost when it was acknowledged (`+OK`) but, at the end, its key holds an older
/// value (or none): the state rolled back past it. Redis Cluster allows this across failovers
/// (asynchronous replication); `WAIT` narrows the window but promises nothing either.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteLoss {
    /// Writes acknowledged.
    pub acked: u64,
    /// Of them, lost.
    pub lost: u64,
    /// Writes acknowledged whose `WAIT 1` then reported at least one replica.
    pub acked_waited: u64,
    /// Of them, lost.
    pub lost_waited: u64,
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

    /// Read every live node's view and the votes granted since the last observation, and
    /// check the safety rules.
    pub fn observe(&mut self, sim: &mut Sim) -> Result<(), String> {
        self.observations += 1;
        for g in &sim.grants()[self.grants_checked..] {
            if let Some(first) = self.votes.insert((g.node, g.epoch), g.requester.clone()) {
                return Err(format!(
                    "safety: n{} granted two votes in epoch {} ({first}, then {} at {} ms)",
                    g.node, g.epoch, g.requester, g.at_ms
                ));
            }
        }
        self.grants_checked = sim.grants().len();
        for i in 0..sim.len() {
            let Some(v) = sim.view(i) else { continue };
            for l in &v.lines {
                if !l.is_master() || l.slots.is_empty() || l.has("handshake") {
                    continue;
                }
                if !self.initial_masters.is_empty() && !self.initial_masters.contains(&l.id) {
                    self.failover_seen = true;
                }
                // A claim is what a master says of itself. Another node's view may pair a
                // stale owner with a newer configEpoch for a while: a replica's messages
                // carry its master's configEpoch, and Redis takes a sender's configEpoch
                // from any message's header before (and, for FAIL, UPDATE or PUBLISH,
                // without) learning that the sender became a replica.
                if !l.has("myself") {
                    continue;
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

    /// Whether data may have been lost legitimately: a failover, or a master crashed while
    /// its writes were not all fsynced before their replies (anything but `appendonly yes`
    /// with `appendfsync always`).
    pub fn data_may_be_lost(&self, sim: &Sim) -> bool {
        let setting = |k: &str| {
            sim.config()
                .node_config
                .iter()
                .rev()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.as_str())
        };
        let durable =
            setting("appendonly") == Some("yes") && setting("appendfsync") == Some("always");
        self.failover_seen
            || (!durable
                && sim
                    .crashed_nodes()
                    .iter()
                    .any(|n| self.initial_master_nodes.contains(n)))
    }

    /// The value every key of the workload holds at the end, read from the owner node 0
    /// names (`None`: nil).
    fn final_values(sim: &mut Sim) -> Result<BTreeMap<String, Option<String>>, String> {
        let keys: BTreeSet<String> = sim.history().ops.iter().map(|o| o.key.clone()).collect();
        let v = sim.view(0).ok_or("final read: node 0 is down")?;
        let ix: BTreeMap<&str, usize> = v
            .lines
            .iter()
            .filter_map(|l| Some((l.id.as_str(), l.index?)))
            .collect();
        let owners: Vec<Option<usize>> = v
            .owners()
            .iter()
            .map(|o| o.and_then(|id| ix.get(id).copied()))
            .collect();
        let mut out = BTreeMap::new();
        for key in keys {
            let slot = hashslot_slots::key_slot(key.as_bytes()).index();
            let node = owners[slot].ok_or(format!("final read: no owner for slot {slot}"))?;
            let got = match sim.probe(node, &[b"GET", key.as_bytes()]) {
                Some(hashslot_resp::Frame::Bulk(b)) => {
                    Some(String::from_utf8_lossy(&b).into_owned())
                }
                Some(hashslot_resp::Frame::NullBulk) => None,
                other => return Err(format!("final read of {key} on n{node}: {other:?}")),
            };
            out.insert(key, got);
        }
        Ok(out)
    }

    /// Count the acknowledged writes lost by the end of the run (see [`WriteLoss`]).
    pub fn write_loss(&self, sim: &mut Sim) -> Result<WriteLoss, String> {
        let finals = Self::final_values(sim)?;
        Ok(count_loss(&sim.history().ops, &finals))
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
        let finals = Self::final_values(sim)?;
        for (key, (acked, unknown)) in &keys {
            let got = finals.get(key).cloned().flatten();
            if !allowed(&got, acked, unknown) {
                return Err(format!(
                    "acknowledged write lost: {key} = {got:?} at the end; last acknowledged {acked:?}"
                ));
            }
        }
        Ok(true)
    }
}

/// Lost acknowledged writes of `ops` given each key's final value.
fn count_loss(
    ops: &[crate::client::OpRecord],
    finals: &BTreeMap<String, Option<String>>,
) -> WriteLoss {
    let mut loss = WriteLoss::default();
    // Per key, the writes in invocation order (each key has one client, one op at a time).
    let mut by_key: BTreeMap<&str, Vec<&crate::client::OpRecord>> = BTreeMap::new();
    for op in ops.iter().filter(|o| o.write.is_some()) {
        by_key.entry(op.key.as_str()).or_default().push(op);
    }
    for (key, writes) in by_key {
        let fin = finals.get(key).cloned().flatten();
        // The write the final value comes from; everything acknowledged after it was lost.
        let from = fin
            .as_ref()
            .and_then(|f| writes.iter().rposition(|w| w.write.as_ref() == Some(f)));
        for (k, w) in writes.iter().enumerate() {
            if !matches!(w.outcome, Outcome::Ok(_)) {
                continue;
            }
            let waited = w.replicas_acked.is_some_and(|n| n >= 1);
            let lost = from.map_or(true, |f| k > f);
            loss.acked += 1;
            loss.lost += u64::from(lost);
            loss.acked_waited += u64::from(waited);
            loss.lost_waited += u64::from(waited && lost);
        }
    }
    loss
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
