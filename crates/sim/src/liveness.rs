//! The liveness rules judged while the cluster is partitioned (or a master is down): inside
//! the *majority component*, a master out of its reach is replaced by one of its replicas, and
//! every node agrees on who owns the slots that masters inside it claim, each within a bound.
//!
//! # The majority component
//!
//! At each observation, the *majority component* `C` is the set of up nodes such that:
//!
//! - any two nodes of `C` reach each other both ways (no cut or held path between them either
//!   way, [`Sim::reachable`]);
//! - no up node outside `C` has an open path into `C`: whatever an outside node sends to a
//!   node of `C` is dropped or held, so what happens in `C` depends on `C` alone (paths out of
//!   `C` may be open: a node cut off one way, that hears the others but is not heard, is
//!   outside);
//! - `C` holds more than half of the masters serving slots, per the most recent view in `C`
//!   (the highest `currentEpoch`, then the lowest index): the *reference* view.
//!
//! There is at most one such set (two would share a master, and a node of one with a path
//! into that master would be in the other). When there is none — no majority anywhere, or the
//! majority's nodes hear nodes outside it (a bridge node that reaches both halves, random
//! pairs cut, a one-way path into the majority) — nothing is judged: what reaches the
//! majority from outside (gossip relayed by a bridge, vote requests of replicas it cannot
//! answer, stale claims) can delay or change what happens there, and a rule judged there
//! would raise false alarms. Nodes outside `C` (the minority sides) are never judged.
//!
//! # Rule 1: a master out of reach of the majority is replaced
//!
//! Master `m` (serving slots, per the reference view) is *due for a failover* at an
//! observation when:
//!
//! - `m` is not in `C` (crashed, or partitioned from it both ways or one way: nothing it sends
//!   reaches `C`, so every master of `C` flags it PFAIL, and they are a majority: FAIL);
//! - a replica of `m` is in `C` and is *eligible*: it was seen replicating from `m`
//!   (`master_link_status:up`) since its last restart or role change, recently enough that
//!   Redis's data-age rule cannot stop it before the bound runs out
//!   (`cluster-replica-validity-factor` × node timeout + `repl-ping-replica-period`, plus the
//!   node timeout Redis subtracts). It reaches every master of `C` both ways: it can win their
//!   votes, a majority.
//!
//! Who the masters and replicas are is read from the reference view. The rule is *kept* when,
//! within [`FailoverLiveness::bound_ms`] of the first observation of `m` being due (and while
//! it stays due at every observation), every node of `C` says the same node, itself in `C`
//! and not `m`, owns each slot `m` served: a replica was promoted and `C` agrees. When `m`
//! stops being due first (it came back, the majority was lost), nothing is judged.
//!
//! # Rule 2: the majority component agrees on the owners of the slots its masters claim
//!
//! A slot is *claimed in `C`* by node `c` with `configEpoch` `e` when `c` is in `C`, says of
//! itself (its own view's `myself` line) that it is a master serving the slot with
//! `configEpoch` `e`, and no other node of `C` says so of itself. The claim is *judged* when,
//! in every view of `C`, the slot's owner is `c`, or nobody, or a node recorded with a
//! `configEpoch` below `e`: then Redis's rule (a node gives a slot to the sender of a
//! PING/PONG that claims it with a greater `configEpoch` than its owner's) makes every node
//! of `C` adopt `c` from `c`'s own messages, which reach them all. (A view naming an owner
//! with an equal or greater `configEpoch` instead sends `c` an UPDATE and `c` gives the slot
//! up, or it is an epoch collision: not judged.)
//!
//! The rule is *kept* when every node of `C` names `c` within
//! [`FailoverLiveness::agree_bound_ms`] of the later of: the first observation of the claim,
//! and the first observation of `C` as it is (its members, with no crash since: any change
//! of the partition, a crash or a restart starts the clock again). Claims that were seen not
//! yet agreed on and then agreed are recorded ([`FailoverLiveness::agreed`]).
//!
//! # The bounds
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
//!
//! [`FailoverLiveness::agreement_bound_for`]`(node_timeout)` is `2 × NT + 3000`: a node pings
//! every peer whose last PONG is older than `NT / 2` (a PONG carries the sender's claim too);
//! a link that got no PONG for `NT / 2` is dropped and connected again (refused connects are
//! retried every 100 ms); then the network (retransmissions, WAN tails).

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

/// A claim of the majority component seen not yet agreed on, then agreed on (see the module
/// docs, rule 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreed {
    /// The claiming master (node index).
    pub node: usize,
    /// The `configEpoch` it claimed the slots with.
    pub config_epoch: u64,
    /// How many of its slots were agreed on at this observation.
    pub slots: usize,
    /// When the clock of the claim started (see the module docs), in ms.
    pub since_ms: u64,
    /// From then until every node of the component named it, in ms.
    pub took_ms: u64,
}

/// A run of slots a view gives one owner: first slot, last slot, the owner's index (when
/// known) and the `configEpoch` the view records for it.
type Owned = (u16, u16, Option<usize>, u64);

/// One slot's claim in the majority component, as last judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SlotClaim {
    node: usize,
    config_epoch: u64,
    /// First observation of this claim, ms.
    since_ms: u64,
    /// Seen not agreed on since.
    pending: bool,
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
    /// How long a claim of the majority component may go without every node of it agreeing
    /// on it, in ms (rule 2 of the module docs).
    pub agree_bound_ms: u64,
    /// The majority component last seen and since when it is as it is (ms), with the crash
    /// count then.
    component: Option<(Vec<usize>, u64, usize)>,
    /// Per slot, its judged claim.
    claims: Vec<Option<SlotClaim>>,
    agreed: Vec<Agreed>,
    /// Observations where the majority component existed and rule 2 was judged.
    agreement_checks: u64,
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

    /// The agreement bound for `node_timeout_ms` (see the module docs).
    pub fn agreement_bound_for(node_timeout_ms: u64) -> u64 {
        2 * node_timeout_ms + 3_000
    }

    /// A checker for `sim`'s node timeout with `replicas` replicas per master.
    pub fn new(sim: &Sim, replicas: usize) -> FailoverLiveness {
        let nt = sim.config().node_timeout_ms;
        FailoverLiveness {
            agree_bound_ms: Self::agreement_bound_for(nt),
            ..FailoverLiveness::with_bound(Self::bound_for(nt, replicas))
        }
    }

    /// A checker with an explicit failover bound, in ms; the agreement bound is as long
    /// (set [`FailoverLiveness::agree_bound_ms`] to change it).
    pub fn with_bound(bound_ms: u64) -> FailoverLiveness {
        FailoverLiveness {
            bound_ms,
            agree_bound_ms: bound_ms,
            component: None,
            claims: vec![None; hashslot_types::SLOT_COUNT],
            agreed: Vec::new(),
            agreement_checks: 0,
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

    /// Claims of the majority component seen not agreed on, then agreed on within the bound,
    /// in order (rule 2 of the module docs).
    pub fn agreed(&self) -> &[Agreed] {
        &self.agreed
    }

    /// Observations so far where a majority component existed and its slot claims were
    /// judged (rule 2).
    pub fn agreement_checks(&self) -> u64 {
        self.agreement_checks
    }

    /// The majority component at the last observation (node indexes, ascending; empty when
    /// there was none): the nodes the rules were judged on.
    pub fn component(&self) -> &[usize] {
        self.component.as_ref().map_or(&[], |c| &c.0[..])
    }

    /// Masters due for a failover and not replaced yet: `(node, due since ms)`.
    pub fn due(&self) -> Vec<(usize, u64)> {
        self.due.values().map(|d| (d.node, d.since_ms)).collect()
    }

    /// Observe the cluster now: note replication links, find the majority component, start
    /// or stop the clock of each master due for a failover and of each claim not agreed on,
    /// record completed failovers and agreements, and fail when one is overdue.
    pub fn observe(&mut self, sim: &mut Sim) -> Result<(), String> {
        let now = sim.now_ms();
        let crashes = sim.crashed_nodes().len();
        self.note_links(sim, now);
        let Some((side, reference)) = majority_component(sim) else {
            self.due.clear();
            self.component = None;
            self.claims.fill(None);
            return Ok(());
        };
        let views: Vec<(usize, View)> = side
            .iter()
            .filter_map(|&i| Some((i, sim.view(i)?)))
            .collect();
        // The clock of rule 2 starts again whenever the component changes or one of its
        // nodes crashed (and restarted) since the last observation.
        let same = self.component.as_ref().is_some_and(|(c, _, k)| {
            let fresh = sim.crashed_nodes().get(*k..).unwrap_or_default();
            *c == side && !fresh.iter().any(|i| side.contains(i))
        });
        match &mut self.component {
            Some(c) if same => c.2 = crashes,
            _ => self.component = Some((side.clone(), now, crashes)),
        }
        let component_since = self.component.as_ref().map_or(now, |c| c.1);
        self.judge_claims(&side, &views, now, component_since)?;
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

    /// Rule 2 (see the module docs) over the views of the majority component `side`.
    fn judge_claims(
        &mut self,
        side: &[usize],
        views: &[(usize, View)],
        now: u64,
        component_since: u64,
    ) -> Result<(), String> {
        if views.len() != side.len() {
            // A node of the component gave no view: judge nothing now.
            return Ok(());
        }
        self.agreement_checks += 1;
        // Every view's owned ranges, as (first slot, last slot, owner index, its configEpoch
        // in that view), and every claim (a master's own line): the slots split into runs
        // where all of them are constant, judged run by run.
        let ranges: Vec<Vec<Owned>> = views
            .iter()
            .map(|(_, v)| {
                let mut r: Vec<_> = v
                    .lines
                    .iter()
                    .filter(|l| l.is_master())
                    .flat_map(|l| {
                        l.slots
                            .iter()
                            .map(move |&(a, b)| (a, b.min(16383), l.index, l.config_epoch))
                    })
                    .collect();
                r.sort_unstable();
                r
            })
            .collect();
        let claims: Vec<(u16, u16, usize, u64)> = views
            .iter()
            .filter_map(|(i, v)| Some((*i, v.myself().filter(|l| l.is_master())?)))
            .flat_map(|(i, me)| {
                me.slots
                    .iter()
                    .map(move |&(a, b)| (a, b.min(16383), i, me.config_epoch))
            })
            .collect();
        let mut cuts: Vec<usize> = vec![0, hashslot_types::SLOT_COUNT];
        for &(a, b, ..) in ranges.iter().flatten() {
            cuts.extend([usize::from(a), usize::from(b) + 1]);
        }
        for &(a, b, ..) in &claims {
            cuts.extend([usize::from(a), usize::from(b) + 1]);
        }
        cuts.sort_unstable();
        cuts.dedup();
        // Agreements seen at this observation: (node, epoch) → (slots, since).
        let mut done: BTreeMap<(usize, u64), (usize, u64)> = BTreeMap::new();
        for run in cuts.windows(2) {
            let (lo, hi) = (run[0], run[1]);
            let s = lo as u16;
            let inside = |&(a, b, ..): &(u16, u16, usize, u64)| a <= s && s <= b;
            let mut here = claims.iter().filter(|c| inside(c));
            let (Some(&(_, _, c, e)), None) = (here.next(), here.next()) else {
                // No claim, or several: not judged.
                self.claims[lo..hi].fill(None);
                continue;
            };
            // Each view's owner of the run and the configEpoch it records for it.
            let owners: Vec<(Option<usize>, u64)> = ranges
                .iter()
                .map(|r| {
                    r.iter()
                        .find(|&&(a, b, ..)| a <= s && s <= b)
                        .map_or((None, 0), |&(_, _, o, ep)| (o, ep))
                })
                .collect();
            let judged = owners
                .iter()
                .all(|&(o, ep)| o == Some(c) || ep < e || o.is_none() && ep == 0);
            if !judged {
                self.claims[lo..hi].fill(None);
                continue;
            }
            let agree = owners.iter().all(|&(o, _)| o == Some(c));
            for slot in lo..hi {
                let claim = match self.claims[slot] {
                    Some(k) if k.node == c && k.config_epoch == e => k,
                    _ => SlotClaim {
                        node: c,
                        config_epoch: e,
                        since_ms: now,
                        pending: false,
                    },
                };
                let since = claim.since_ms.max(component_since);
                if agree {
                    if claim.pending {
                        let d = done.entry((c, e)).or_insert((0, since));
                        d.0 += 1;
                        d.1 = d.1.min(since);
                    }
                } else if now - since > self.agree_bound_ms {
                    let (y, (o, ep)) = views
                        .iter()
                        .zip(&owners)
                        .find(|(_, o)| o.0 != Some(c))
                        .map_or((usize::MAX, (None, 0)), |((y, _), o)| (*y, *o));
                    let says = match o {
                        None => "no owner".to_owned(),
                        Some(o) => format!("n{o} (configEpoch {ep})"),
                    };
                    return Err(format!(
                        "liveness: the majority component {side:?} does not agree that n{c} \
                         owns slot {slot} (claimed with configEpoch {e}, judged since {since} \
                         ms): after {} ms (bound {} ms) n{y} says {says}",
                        now - since,
                        self.agree_bound_ms
                    ));
                }
                self.claims[slot] = Some(SlotClaim {
                    pending: !agree,
                    ..claim
                });
            }
        }
        for ((node, config_epoch), (slots, since_ms)) in done {
            self.agreed.push(Agreed {
                node,
                config_epoch,
                slots,
                since_ms,
                took_ms: now - since_ms,
            });
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

/// The majority component (see the module docs) and its reference view; `None` when there is
/// none.
fn majority_component(sim: &Sim) -> Option<(Vec<usize>, View)> {
    let n = sim.len();
    let up: Vec<usize> = (0..n).filter(|&i| sim.is_up(i)).collect();
    // Whether what `a` sends reaches `b` (both up).
    let open = |a: usize, b: usize| !sim.paths.contains_key(&(a, b));
    // A node that no cut or held path touches is heard by every node: it belongs to the
    // component if there is one, so it is the only start needed.
    let mut touched = vec![false; n];
    for &(a, b) in sim.paths.keys() {
        touched[a] = true;
        touched[b] = true;
    }
    let starts: Vec<usize> = match up.iter().find(|&&i| !touched[i]) {
        Some(&u) => vec![u],
        None => up.clone(),
    };
    let mut tried = vec![false; n];
    for start in starts {
        if tried[start] {
            continue;
        }
        // Every up node with a path of open hops into `start`: the component holds them all.
        let mut inside = vec![false; n];
        inside[start] = true;
        let mut members = vec![start];
        let mut stack = vec![start];
        while let Some(j) = stack.pop() {
            for &k in &up {
                if !inside[k] && open(k, j) {
                    inside[k] = true;
                    members.push(k);
                    stack.push(k);
                }
            }
        }
        members.sort_unstable();
        let clique = members
            .iter()
            .all(|&a| members.iter().all(|&b| a == b || open(a, b)));
        if !clique {
            continue;
        }
        // From any member of this clique the same set is found: no need to start there.
        for &m in &members {
            tried[m] = true;
        }
        // The most recent view: highest currentEpoch, then lowest index.
        let mut reference: Option<View> = None;
        for v in members.iter().filter_map(|&i| sim.view(i)) {
            if reference
                .as_ref()
                .map_or(true, |r| v.current_epoch > r.current_epoch)
            {
                reference = Some(v);
            }
        }
        let Some(reference) = reference else {
            continue;
        };
        let masters: Vec<Option<usize>> = reference
            .lines
            .iter()
            .filter(|l| l.is_master() && !l.slots.is_empty() && !l.has("handshake"))
            .map(|l| l.index)
            .collect();
        let held = masters
            .iter()
            .filter(|m| m.is_some_and(|m| inside[m]))
            .count();
        if 2 * held > masters.len() {
            return Some((members, reference));
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
