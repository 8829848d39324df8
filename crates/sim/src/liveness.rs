//! The failover liveness rule: while a majority of masters can reach each other, a master
//! they cannot reach is replaced by one of its replicas within a bound.
//!
//! # The rule
//!
//! Master `m` (serving slots) is *due for a failover* at an observation when:
//!
//! - the nodes that are up and can reach each other both ways (no cut or held path between
//!   them, [`Sim::reachable`]) split into groups that each talk all-to-all, and one group,
//!   the *majority side*, holds more than half of the masters serving slots;
//! - `m` is not on that side (crashed, or partitioned from it, both ways or one way);
//! - a replica of `m` is on that side and is *eligible*: it was seen replicating from `m`
//!   (`master_link_status:up`) since its last restart or role change, recently enough that Redis's data-age rule cannot stop it
//!   before the bound runs out (`cluster-replica-validity-factor` × node timeout +
//!   `repl-ping-replica-period`, plus the node timeout Redis subtracts).
//!
//! Who the masters and replicas are is read from the most recent view on the majority side
//! (the highest `currentEpoch`, then the lowest index). The rule is *kept* when, within
//! [`FailoverLiveness::bound_ms`] of the first observation of `m` being due (and while it
//! stays due at every observation), every node of the majority side says the same node,
//! itself on that side and not `m`, owns each slot `m` served: a replica was promoted and the
//! reachable nodes agree. When `m` stops being due first (it came back, the majority was
//! lost), nothing is judged.
//!
//! # The bound
//!
//! [`FailoverLiveness::bound_for`]`(node_timeout, replicas)`, with `NT` the node timeout,
//! `auth_timeout = max(2 × NT, 2000)` and `R` replicas per master, from Redis 7.0's rules:
//!
//! | part | ms | why |
//! |---|---|---|
//! | detection | `2 × NT` | a peer pings `m` at most `NT / 2` after its last PONG and flags PFAIL `NT` later; the reports reach a majority within another `NT / 2` (every peer is pinged at least every `NT / 2`) and FAIL is broadcast |
//! | election delay | `1000 × R` | `500 + random(0..500) + rank × 1000`, rank ≤ `R − 1` |
//! | one failed attempt | `2 × auth_timeout` | a split vote or a lost request or ACK: the next attempt starts `2 × auth_timeout` after the first (the masters' `2 × NT` refusal for the same master ends by then) |
//! | second election delay | `1000 × R` | as above |
//! | network | `2000` | retransmissions (0.2–1 s), WAN tails, the promotion's PONG broadcast, the 100 ms cron |
//!
//! So one failed election is allowed, not two: with `NT = 2000` and one replica per master,
//! 16 s. A failover is usually done in about `NT + 1 s`; [`FailoverLiveness::completed`]
//! records how long each took. A cluster configured never to fail over
//! (`cluster-replica-no-failover yes`) breaks the rule by design: the checker reports it.

use std::collections::BTreeMap;

use hashslot_resp::Frame;

use crate::view::View;
use crate::Sim;

/// A failover the checker saw complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverDone {
    /// The master that was replaced (node index).
    pub master: usize,
    /// The node that owns its slots now.
    pub replaced_by: usize,
    /// Virtual time of the first observation where the master was due, in ms.
    pub due_ms: u64,
    /// From then until every reachable node agreed on the new owner, in ms.
    pub took_ms: u64,
}

/// A master due for a failover, not replaced yet.
#[derive(Debug, Clone)]
struct Due {
    node: usize,
    since_ms: u64,
    /// The slots it served when it became due.
    slots: Vec<(u16, u16)>,
}

/// Checks the failover liveness rule (see the module docs) at each observation.
///
/// ```
/// use hashslot_sim::{FailoverLiveness, Sim, SimConfig};
///
/// let mut sim = Sim::new(SimConfig::new(3, 6, 1_000));
/// sim.form_cluster(3, 1, 60_000).unwrap();
/// let mut live = FailoverLiveness::new(&sim, 1);
/// live.observe(&mut sim).unwrap();
/// sim.crash(0);
/// for _ in 0..40 {
///     sim.run_for(250);
///     live.observe(&mut sim).unwrap();
/// }
/// let done = &live.completed()[0];
/// assert_eq!((done.master, done.replaced_by), (0, 3));
/// assert!(done.took_ms <= live.bound_ms);
/// ```
#[derive(Debug, Clone)]
pub struct FailoverLiveness {
    /// How long a master may stay due for a failover without being replaced, in ms.
    pub bound_ms: u64,
    /// Node → (the master it replicated from, last time seen with the link up), in ms.
    linked: BTreeMap<usize, (usize, u64)>,
    /// How many entries of `Sim::crashed_nodes` `linked` has accounted for.
    crashes_seen: usize,
    due: BTreeMap<String, Due>,
    completed: Vec<FailoverDone>,
}

impl FailoverLiveness {
    /// The bound for `node_timeout_ms` and `replicas` per master (see the module docs).
    pub fn bound_for(node_timeout_ms: u64, replicas: usize) -> u64 {
        let nt = node_timeout_ms;
        let auth_timeout = (2 * nt).max(2_000);
        let delay = 1_000 * replicas.max(1) as u64;
        2 * nt + delay + 2 * auth_timeout + delay + 2_000
    }

    /// A checker for `sim`'s node timeout with `replicas` replicas per master.
    pub fn new(sim: &Sim, replicas: usize) -> FailoverLiveness {
        FailoverLiveness::with_bound(Self::bound_for(sim.config().node_timeout_ms, replicas))
    }

    /// A checker with an explicit bound, in ms.
    pub fn with_bound(bound_ms: u64) -> FailoverLiveness {
        FailoverLiveness {
            bound_ms,
            linked: BTreeMap::new(),
            crashes_seen: 0,
            due: BTreeMap::new(),
            completed: Vec::new(),
        }
    }

    /// Failovers seen to complete, in order.
    pub fn completed(&self) -> &[FailoverDone] {
        &self.completed
    }

    /// Masters due for a failover and not replaced yet: `(node, due since ms)`.
    pub fn due(&self) -> Vec<(usize, u64)> {
        self.due.values().map(|d| (d.node, d.since_ms)).collect()
    }

    /// Observe the cluster now: note replication links, start or stop the clock of each
    /// master due for a failover, record completed failovers, and fail when one is overdue.
    pub fn observe(&mut self, sim: &mut Sim) -> Result<(), String> {
        let now = sim.now_ms();
        self.note_links(sim, now);
        let Some((side, reference)) = majority_side(sim) else {
            self.due.clear();
            return Ok(());
        };
        let views: Vec<(usize, View)> = side
            .iter()
            .filter_map(|&i| Some((i, sim.view(i)?)))
            .collect();
        let validity = validity_ms(sim);
        // Masters of the reference view out of reach of the side, newly due.
        let mut due = std::mem::take(&mut self.due);
        for m in reference
            .lines
            .iter()
            .filter(|l| l.is_master() && !l.slots.is_empty() && !l.has("handshake"))
        {
            let Some(mi) = m.index.filter(|mi| !side.contains(mi)) else {
                continue;
            };
            if !due.contains_key(&m.id)
                && self.eligible_replica(&m.id, mi, &side, &reference, validity, now)
            {
                let d = Due {
                    node: mi,
                    since_ms: now,
                    slots: m.slots.clone(),
                };
                due.insert(m.id.clone(), d);
            }
        }
        // Judge each: replaced and agreed on, still due, or no longer due (not judged).
        for (id, d) in due {
            if let Some(by) = replaced(&d, &side, &views) {
                self.completed.push(FailoverDone {
                    master: d.node,
                    replaced_by: by,
                    due_ms: d.since_ms,
                    took_ms: now - d.since_ms,
                });
                continue;
            }
            let under_way = promoted_somewhere(&d, &side, &views);
            let still = !side.contains(&d.node)
                && (under_way
                    || self.eligible_replica(&id, d.node, &side, &reference, validity, d.since_ms));
            if !still {
                continue;
            }
            if now - d.since_ms > self.bound_ms {
                let what = if under_way {
                    "a replica was promoted but the reachable nodes do not agree on it"
                } else {
                    "no replica was promoted"
                };
                return Err(format!(
                    "liveness: n{} ({id}) out of reach of a majority of masters {side:?} with an \
                     eligible replica since {} ms; after {} ms (bound {} ms) {what}",
                    d.node,
                    d.since_ms,
                    now - d.since_ms,
                    self.bound_ms
                ));
            }
            self.due.insert(id, d);
        }
        Ok(())
    }

    /// Whether a replica of master `id` (node `mi`) is on `side` and stays eligible by the
    /// data-age rule until `since + bound`.
    fn eligible_replica(
        &self,
        id: &str,
        mi: usize,
        side: &[usize],
        reference: &View,
        validity: Option<u64>,
        since: u64,
    ) -> bool {
        reference.lines.iter().any(|r| {
            r.master.as_deref() == Some(id)
                && r.index.is_some_and(|ri| {
                    side.contains(&ri)
                        && self.linked.get(&ri).is_some_and(|&(to, at)| {
                            to == mi && validity.map_or(true, |v| at + v >= since + self.bound_ms)
                        })
                })
        })
    }

    /// Which up replica has its replication link up, and to whom (`INFO replication`).
    fn note_links(&mut self, sim: &mut Sim, now: u64) {
        // Redis counts a replica's data as infinitely old until it syncs after a start or a
        // role change: a restarted node is eligible again only once seen linked again.
        let crashed = sim.crashed_nodes();
        for i in crashed.get(self.crashes_seen..).unwrap_or_default() {
            self.linked.remove(i);
        }
        self.crashes_seen = crashed.len();
        for i in 0..sim.len() {
            let replica = sim
                .node(i)
                .and_then(|n| n.cluster_view())
                .is_some_and(|v| !v.is_master);
            if !replica {
                // A master (again) must sync as a replica before it counts as eligible.
                self.linked.remove(&i);
                continue;
            }
            let Some(Frame::Bulk(b)) = sim.probe(i, &[b"INFO", b"replication"]) else {
                continue;
            };
            let text = String::from_utf8_lossy(&b);
            let field = |k: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(k)?.strip_prefix(':'))
                    .map(str::trim)
            };
            let up = field("master_link_status") == Some("up");
            let master = field("master_port")
                .and_then(|p| p.parse::<usize>().ok())
                .and_then(|p| p.checked_sub(7000));
            if let (true, Some(m)) = (up, master) {
                self.linked.insert(i, (m, now));
            }
        }
    }
}

/// Whether every node of `side` says one node of `side` other than the due master owns each
/// slot the master served; that node.
fn replaced(d: &Due, side: &[usize], views: &[(usize, View)]) -> Option<usize> {
    if views.len() != side.len() {
        return None;
    }
    let mut winner = None;
    let owners: Vec<Vec<Option<&str>>> = views.iter().map(|(_, v)| v.owners()).collect();
    let index_of = |id: &str| {
        views
            .iter()
            .find_map(|(_, v)| v.get(id).and_then(|l| l.index))
    };
    for &(a, b) in &d.slots {
        for s in a..=b.min(16383) {
            let first = owners[0][usize::from(s)]?;
            if owners.iter().any(|o| o[usize::from(s)] != Some(first)) {
                return None;
            }
            let at = index_of(first)?;
            if at == d.node || !side.contains(&at) {
                return None;
            }
            winner.get_or_insert(at);
        }
    }
    winner
}

/// Whether some node of `side` already says a node of `side` other than the due master owns
/// the first of its slots (a promotion under way, not yet agreed on).
fn promoted_somewhere(d: &Due, side: &[usize], views: &[(usize, View)]) -> bool {
    let Some(&(first, _)) = d.slots.first() else {
        return false;
    };
    views.iter().any(|(_, v)| {
        v.lines
            .iter()
            .find(|l| l.slots.iter().any(|&(a, b)| (a..=b).contains(&first)))
            .and_then(|l| l.index)
            .is_some_and(|at| at != d.node && side.contains(&at))
    })
}

/// Redis's data-age limit (`cluster-replica-validity-factor` × node timeout +
/// `repl-ping-replica-period` s + the node timeout it subtracts), ms; `None`: no limit.
fn validity_ms(sim: &Sim) -> Option<u64> {
    let node = (0..sim.len()).find_map(|i| sim.node(i))?;
    let num = |k: &str, d: u64| {
        node.config()
            .get(k)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(d)
    };
    let nt = sim.config().node_timeout_ms;
    let factor = num("cluster-replica-validity-factor", 10);
    (factor != 0).then(|| nt * factor + num("repl-ping-replica-period", 10) * 1_000 + nt)
}

/// The group of nodes that can all reach each other and holds a majority of the masters
/// serving slots (per its most recent view), with that view; `None` when there is none.
fn majority_side(sim: &Sim) -> Option<(Vec<usize>, View)> {
    let n = sim.len();
    let mut group = vec![usize::MAX; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in (0..n).filter(|&i| sim.is_up(i)) {
        if group[i] != usize::MAX {
            continue;
        }
        let g: Vec<usize> = (i..n)
            .filter(|&j| group[j] == usize::MAX && (j == i || sim.reachable(i, j)))
            .collect();
        for &j in &g {
            group[j] = groups.len();
        }
        groups.push(g);
    }
    for g in groups {
        // Groups must talk all-to-all; otherwise the sides are not clear: judge nothing.
        let clique = g
            .iter()
            .all(|&a| g.iter().all(|&b| a == b || sim.reachable(a, b)));
        if !clique {
            return None;
        }
        // The most recent view: highest currentEpoch, then lowest index.
        let mut reference: Option<View> = None;
        for v in g.iter().filter_map(|&i| sim.view(i)) {
            if reference
                .as_ref()
                .map_or(true, |r| v.current_epoch > r.current_epoch)
            {
                reference = Some(v);
            }
        }
        let reference = reference?;
        let masters: Vec<Option<usize>> = reference
            .lines
            .iter()
            .filter(|l| l.is_master() && !l.slots.is_empty() && !l.has("handshake"))
            .map(|l| l.index)
            .collect();
        let inside = masters
            .iter()
            .filter(|m| m.is_some_and(|m| g.contains(&m)))
            .count();
        if 2 * inside > masters.len() {
            return Some((g, reference));
        }
    }
    None
}

impl Sim {
    /// Whether nodes `a` and `b` are both up and no cut or held path separates them, either
    /// way ([`Sim::cut`], [`Sim::isolate`], the nemesis).
    pub fn reachable(&self, a: usize, b: usize) -> bool {
        self.is_up(a)
            && self.is_up(b)
            && !self.paths.contains_key(&(a, b))
            && !self.paths.contains_key(&(b, a))
    }
}
