//! Cluster setup as redis-cli does it, the swarm scenario, seeds from the environment, and
//! failures that say how to replay themselves.

use std::fmt;

use hashslot_resp::Frame;

use crate::check::{converged, Checker, WriteLoss};
use crate::{FailoverLiveness, Faults, Sim, SimConfig};

/// A run that broke a rule: the seed and how to replay it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// What went wrong.
    pub message: String,
    /// Virtual time of the failure, in ms.
    pub at_ms: u64,
}

impl Failure {
    /// A failure of `sim`'s seed, now.
    pub fn new(sim: &Sim, message: impl Into<String>) -> Failure {
        Failure {
            seed: sim.config().seed,
            message: message.into(),
            at_ms: sim.now_ms(),
        }
    }

    /// The command that replays this seed in integration test `test`.
    pub fn replay(&self, test: &str) -> String {
        replay_command(test, self.seed)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {} failed at {} ms: {}",
            self.seed, self.at_ms, self.message
        )
    }
}

/// `HASHSLOT_SEED=<seed> cargo test -p hashslot-sim --test <test>`.
pub fn replay_command(test: &str, seed: u64) -> String {
    format!("HASHSLOT_SEED={seed} cargo test -p hashslot-sim --test {test}")
}

/// The seeds to run: `HASHSLOT_SEED=<n>` gives that one seed, `HASHSLOT_SEEDS=<count>` gives
/// seeds `0..count`; otherwise `default`.
pub fn seeds(default: &[u64]) -> Vec<u64> {
    let var = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(s) = var("HASHSLOT_SEED") {
        return vec![s];
    }
    if let Some(n) = var("HASHSLOT_SEEDS") {
        return (0..n).collect();
    }
    default.to_vec()
}

/// Run `f` over [`seeds`]`(default)`; on the first failure, panic with the seed and the exact
/// command to replay it (`test` is the integration test's name, `env!("CARGO_CRATE_NAME")`).
pub fn run_seeds(test: &str, default: &[u64], mut f: impl FnMut(u64) -> Result<(), Failure>) {
    for seed in seeds(default) {
        if let Err(e) = f(seed) {
            panic!("{e}\nreplay with: {}", e.replay(test));
        }
    }
}

impl Sim {
    /// Build a cluster of `masters` masters with `replicas` replicas each (nodes
    /// `0..masters` are the masters; replica `r` of master `m` is node
    /// `masters + m * replicas + r`), the way `redis-cli --cluster create` does: ADDSLOTSRANGE,
    /// SET-CONFIG-EPOCH, MEET everyone with node 0, wait for agreement, REPLICATE; then run
    /// until every node reports `cluster_state:ok`, they agree on the slots and every view shows
    /// every replica as a replica, and every replica finished its first sync with its master
    /// (at most `max_ms` for each phase).
    pub fn form_cluster(
        &mut self,
        masters: usize,
        replicas: usize,
        max_ms: u64,
    ) -> Result<(), Failure> {
        let n = masters * (1 + replicas);
        assert!(
            n <= self.len() && masters > 0,
            "not enough nodes for the shape"
        );
        let t = 5_000;
        let fail = |sim: &Sim, e: String| Failure::new(sim, format!("setup: {e}"));
        let ok = |sim: &Sim, r: Result<Frame, String>| match r {
            Ok(Frame::Simple(_)) => Ok(()),
            Ok(other) => Err(fail(sim, format!("unexpected reply {other:?}"))),
            Err(e) => Err(fail(sim, e)),
        };
        for m in 0..masters {
            let a = m * 16384 / masters;
            let b = (m + 1) * 16384 / masters - 1;
            let r = self.command(
                m,
                &["CLUSTER", "ADDSLOTSRANGE", &a.to_string(), &b.to_string()],
                t,
            );
            ok(self, r)?;
        }
        for i in 0..n {
            let r = self.command(i, &["CLUSTER", "SET-CONFIG-EPOCH", &(i + 1).to_string()], t);
            ok(self, r)?;
        }
        for i in 1..n {
            let port = (7000 + i).to_string();
            let r = self.command(0, &["CLUSTER", "MEET", "127.0.0.1", &port], t);
            ok(self, r)?;
        }
        let all_met = |s: &mut Sim| {
            (0..n).all(|i| {
                s.view(i).is_some_and(|v| {
                    v.lines.len() == n && v.lines.iter().all(|l| !l.has("handshake"))
                })
            })
        };
        // A handshake that does not complete within the node timeout is dropped (lost
        // connects, resets, a WAN): MEET again, every few seconds, the nodes node 0 does not
        // know yet or that do not know everyone, as an operator would.
        let deadline = self.now_ms() + max_ms;
        let mut joined = false;
        while self.now_ms() < deadline {
            joined = self.run_until(3_000.min(deadline - self.now_ms()), 100, all_met);
            if joined {
                break;
            }
            let full = |v: Option<crate::View>| {
                v.is_some_and(|v| v.lines.iter().filter(|l| !l.has("handshake")).count() >= n)
            };
            let known: Vec<usize> = self
                .view(0)
                .map(|v| {
                    v.lines
                        .iter()
                        .filter(|l| !l.has("handshake"))
                        .filter_map(|l| l.index)
                        .collect()
                })
                .unwrap_or_default();
            // Also a node that node 0 knows but that knows too few: its end of the handshake
            // was dropped, and PINGs from senders it does not know never add them.
            let known: Vec<usize> = known.into_iter().filter(|&i| full(self.view(i))).collect();
            for i in (1..n).filter(|i| !known.contains(i)) {
                let port = (7000 + i).to_string();
                // A refused or lost MEET is retried on the next round.
                let _ = self.command(0, &["CLUSTER", "MEET", "127.0.0.1", &port], t);
            }
        }
        if !joined {
            return Err(fail(self, "nodes did not all meet".into()));
        }
        for m in 0..masters {
            let id = match self.command(m, &["CLUSTER", "MYID"], t) {
                Ok(Frame::Bulk(b)) => String::from_utf8_lossy(&b).into_owned(),
                other => return Err(fail(self, format!("CLUSTER MYID: {other:?}"))),
            };
            for r in 0..replicas {
                let node = masters + m * replicas + r;
                let res = self.command(node, &["CLUSTER", "REPLICATE", &id], t);
                ok(self, res)?;
            }
        }
        let roles = |s: &mut Sim| {
            (0..n).all(|i| {
                s.view(i).is_some_and(|v| {
                    v.lines.iter().filter(|l| l.master.is_some()).count() == masters * replicas
                })
            })
        };
        // As a careful operator does before using the cluster: every replica finished its
        // first sync (with Redis's defaults, a diskless sync that starts after 5 s).
        let synced = |s: &mut Sim| {
            (masters..n).all(|i| {
                s.probe(i, &[b"INFO", b"replication"])
                    .and_then(|f| match f {
                        Frame::Bulk(b) => Some(b),
                        _ => None,
                    })
                    .is_some_and(|b| String::from_utf8_lossy(&b).contains("master_link_status:up"))
            })
        };
        if !self.run_until(max_ms, 100, |s| {
            converged(s).is_ok() && roles(s) && synced(s)
        }) {
            let why = converged(self).err().unwrap_or_default();
            return Err(fail(self, format!("cluster did not converge: {why}")));
        }
        Ok(())
    }
}

/// What a swarm run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The trace hash.
    pub trace_hash: u64,
    /// Events processed.
    pub steps: u64,
    /// Virtual time at the end, in ms.
    pub virtual_ms: u64,
    /// Workload operations invoked.
    pub ops: usize,
    /// Whether the acknowledged-writes check ran (no failover, no master crash).
    pub writes_checked: bool,
    /// Whether a failover was seen.
    pub failover_seen: bool,
    /// Acknowledged writes lost by the end (Redis Cluster allows some across failovers).
    pub loss: WriteLoss,
    /// Votes granted (durably) by masters during the run.
    pub votes: usize,
    /// Failovers the liveness checker saw due and complete ([`FailoverLiveness`]).
    pub failovers_judged: usize,
    /// The longest of them, from due to agreed, in ms (0: none).
    pub failover_max_ms: u64,
    /// Observations where a majority component existed and its slot claims were judged
    /// ([`FailoverLiveness::agreement_checks`]).
    pub agreement_checks: u64,
    /// Claims of the majority component seen not agreed on and then agreed on within the
    /// bound ([`FailoverLiveness::agreed`]).
    pub claims_agreed: usize,
}

/// How long after a broken disk is repaired a node's exit is still put down to it (see
/// [`Breaches`]).
const EXIT_GRACE_MS: u64 = 2_000;

/// The [`Sim::violations`] a swarm run fails on, read as they come: all of them but a node's
/// exit (`n<i> exited with status 1`) while its disk was broken, which is what Redis does when
/// it cannot write nodes.conf, or the AOF under `appendfsync always` ([`Faults::disk_errors`]).
/// An exit counts as excused when the node's disk was broken at some instant since the
/// previous look, or within [`EXIT_GRACE_MS`] before it (observations are `check_every_ms`
/// apart; a node exits on the failed step itself, while its disk is broken, or on a step
/// that follows while its error state lasts: until its next fsync succeeds, which it retries
/// once a second).
#[derive(Debug, Default)]
struct Breaches {
    /// Violations already read.
    seen: usize,
    /// Virtual time of the previous look, ms.
    since_ms: u64,
}

impl Breaches {
    /// The first violation since the last look that is not an excused exit.
    fn next(&mut self, sim: &Sim) -> Option<String> {
        let now = sim.now_ms();
        let fresh = sim.violations().get(self.seen..).unwrap_or_default();
        let breach = fresh.iter().find(|v| {
            let node = v
                .strip_prefix('n')
                .and_then(|r| r.strip_suffix(" exited with status 1"))
                .and_then(|i| i.parse::<usize>().ok());
            !node.is_some_and(|i| {
                i < sim.len()
                    && sim.disk_failed_during(i, self.since_ms.saturating_sub(EXIT_GRACE_MS), now)
            })
        });
        self.seen = sim.violations().len();
        self.since_ms = now;
        breach.cloned()
    }
}

/// A swarm run's shape.
#[derive(Debug, Clone)]
pub struct Swarm {
    /// Masters.
    pub masters: usize,
    /// Replicas per master.
    pub replicas: usize,
    /// `cluster-node-timeout`, ms.
    pub node_timeout_ms: u64,
    /// Length of the fault phase, ms of virtual time.
    pub fault_ms: u64,
    /// Safety observations every this many ms.
    pub check_every_ms: u64,
    /// Workload clients.
    pub clients: usize,
    /// Liveness bound after healing, ms.
    pub liveness_ms: u64,
    /// Draw faults from the seed (else none).
    pub faults: bool,
    /// Keep the trace lines.
    pub keep_trace: bool,
    /// Clients follow each acknowledged write with `WAIT 1 <ms>` ([`Sim::set_client_wait`]).
    pub wait_ms: Option<u64>,
    /// Boot the cluster formed ([`Sim::preformed`]: from nodes.conf files, ids drawn from
    /// the seed) instead of forming it through redis-cli's steps ([`Sim::form_cluster`]):
    /// much cheaper on slow networks; the formation itself is then not under test.
    pub preformed: bool,
    /// Applied to each seed's drawn faults (when `faults` is set), to bias a sweep toward
    /// some situations; see [`Swarm::competing_elections`].
    pub adjust_faults: Option<fn(&mut Faults)>,
    /// Turn on the injected voting bug in every node ([`Sim::inject_vote_twice_bug`]): for the
    /// test that proves the sweep catches it.
    #[doc(hidden)]
    pub inject_vote_twice_bug: bool,
    /// [`SimConfig::threads`] (0: automatic). The outcome does not depend on it.
    pub threads: usize,
    /// [`SimConfig::min_shared_events`] (0: the default).
    pub min_shared_events: usize,
}

impl Default for Swarm {
    fn default() -> Swarm {
        Swarm {
            masters: 3,
            replicas: 1,
            node_timeout_ms: 2_000,
            fault_ms: 20_000,
            check_every_ms: 500,
            clients: 3,
            liveness_ms: 60_000,
            faults: true,
            keep_trace: false,
            wait_ms: None,
            preformed: false,
            adjust_faults: None,
            inject_vote_twice_bug: false,
            threads: 0,
            min_shared_events: 0,
        }
    }
}

impl Swarm {
    /// A sweep biased toward competing elections, where the one-vote-per-epoch rule is what
    /// keeps one winner: two replicas per master and no workload (siblings keep equal offsets,
    /// so equal ranks and election delays within 500 ms of each other), master crashes on
    /// every seed, partitions on every seed (partial ones cut siblings apart, so neither hears
    /// the other's request), and WAN latencies of 30–250 ms (the order of the delays' spread)
    /// without the slow tail; faults of 1.5–5 node timeouts (a crash outlasts a failover); a
    /// cluster booted formed ([`Swarm::preformed`]), 1 s node timeout. The rest (loss, resets,
    /// refused connects, disk delays, skew, persistence) is drawn as usual; no broken disks.
    pub fn competing_elections() -> Swarm {
        Swarm {
            replicas: 2,
            clients: 0,
            node_timeout_ms: 1_000,
            fault_ms: 8_000,
            preformed: true,
            adjust_faults: Some(|f: &mut Faults| {
                f.fault_len_pct = (150, 500);
                f.crashes = true;
                f.partitions = true;
                f.nemesis_mean_ms = f.nemesis_mean_ms.clamp(500, 2_000);
                let lo = f.latency_us.0.clamp(30_000, 100_000);
                f.latency_us = (lo, lo + 150_000);
                // No ×10 tail: seconds-long stalls with a 1 s node timeout would fail nodes
                // all the time, before any fault.
                f.latency_tail = 0.0;
                // Broken disks would take the nemesis's turns from crashes and partitions.
                f.disk_errors = false;
            }),
            ..Swarm::default()
        }
    }

    /// The simulator for `seed`, before setup (a [`Swarm::preformed`] run boots its own from
    /// [`Swarm::config`] instead).
    pub fn sim(&self, seed: u64) -> Sim {
        let mut sim = Sim::new(self.config(seed));
        self.prepare(&mut sim);
        sim
    }

    /// The simulator configuration for `seed`: faults drawn from it (and adjusted), or none.
    pub fn config(&self, seed: u64) -> SimConfig {
        let n = self.masters * (1 + self.replicas);
        let mut cfg = if self.faults {
            SimConfig::swarm(seed, n, self.node_timeout_ms)
        } else {
            SimConfig::new(seed, n, self.node_timeout_ms)
        };
        cfg.keep_trace = self.keep_trace;
        cfg.threads = self.threads;
        cfg.min_shared_events = self.min_shared_events;
        if let (true, Some(adjust)) = (self.faults, self.adjust_faults) {
            adjust(&mut cfg.faults);
        }
        if cfg.faults.crashes {
            // Some master crashes outlast the failover bound, so that it gets judged.
            cfg.faults.long_crash_ms = self.failover_bound_ms() + self.node_timeout_ms;
        }
        cfg
    }

    fn prepare(&self, sim: &mut Sim) {
        sim.set_client_wait(self.wait_ms);
        if self.inject_vote_twice_bug {
            sim.inject_vote_twice_bug();
        }
    }

    /// The failover liveness bound of this shape ([`FailoverLiveness::bound_for`]).
    pub fn failover_bound_ms(&self) -> u64 {
        FailoverLiveness::bound_for(self.node_timeout_ms, self.replicas)
    }

    /// Form the cluster, run the workload under the seed's faults with safety checks and the
    /// failover liveness checker ([`FailoverLiveness`]: a master out of reach of a majority is
    /// replaced within the bound, and during partitions the majority component agrees on the
    /// owners of the slots its masters claim), stop the faults and wait for due failovers to
    /// be judged, heal (a disk the nemesis broke is repaired), then check liveness and the
    /// workload history. [`Sim::violations`] fail the run, except a node's exit while its
    /// disk was broken ([`Faults::disk_errors`]), which is what Redis does. On failure the simulation is dropped;
    /// [`Swarm::run_keep`] keeps it (for its trace).
    pub fn run(&self, seed: u64) -> Result<(Report, Sim), Failure> {
        let (sim, r) = self.run_keep(seed);
        r.map(|report| (report, sim))
    }

    /// [`Swarm::run`], returning the simulation whatever the outcome.
    /// When a pre-formed setup ([`Swarm::preformed`]) fails, the simulation returned is a
    /// fresh one of the seed (the failed one is not kept).
    pub fn run_keep(&self, seed: u64) -> (Sim, Result<Report, Failure>) {
        if self.preformed {
            let cfg = self.config(seed);
            return match Sim::preformed(cfg, self.masters, self.replicas, 60_000) {
                Ok(mut sim) => {
                    self.prepare(&mut sim);
                    let r = self.drive(&mut sim, false);
                    (sim, r)
                }
                Err(f) => (self.sim(seed), Err(f)),
            };
        }
        let mut sim = self.sim(seed);
        let r = self.drive(&mut sim, true);
        (sim, r)
    }

    fn drive(&self, sim: &mut Sim, form: bool) -> Result<Report, Failure> {
        let seed = sim.config().seed;
        if form {
            sim.form_cluster(self.masters, self.replicas, 60_000)?;
        }
        let mut checker = Checker::new(sim);
        let mut failover = FailoverLiveness::new(sim, self.replicas);
        sim.add_clients(self.clients, 4);
        sim.start_nemesis();
        let mut breaches = Breaches::default();
        let mut observe = |sim: &mut Sim, c: &mut Checker, f: &mut FailoverLiveness| {
            c.observe(sim).map_err(|e| Failure::new(sim, e))?;
            f.observe(sim).map_err(|e| Failure::new(sim, e))?;
            match breaches.next(sim) {
                Some(v) => Err(Failure::new(sim, v)),
                None => Ok(()),
            }
        };
        observe(sim, &mut checker, &mut failover)?;
        let end = sim.now_ms() + self.fault_ms;
        while sim.now_ms() < end {
            sim.run_for(self.check_every_ms);
            observe(sim, &mut checker, &mut failover)?;
        }
        // No new faults; a failover due now is judged before the faults under way are healed.
        sim.stop_nemesis();
        let end = sim.now_ms() + failover.bound_ms + self.check_every_ms;
        while !failover.due().is_empty() && sim.now_ms() < end {
            sim.run_for(self.check_every_ms);
            observe(sim, &mut checker, &mut failover)?;
        }
        sim.stop_clients();
        sim.heal();
        if let Some(v) = breaches.next(sim) {
            return Err(Failure::new(sim, v));
        }
        let live = sim.run_until(self.liveness_ms, 250, |s| {
            converged(s).is_ok() && s.clients_idle()
        });
        checker.observe(sim).map_err(|e| Failure::new(sim, e))?;
        if let Some(v) = breaches.next(sim) {
            return Err(Failure::new(sim, v));
        }
        if !live {
            let why = converged(sim).err().unwrap_or("clients still busy".into());
            return Err(Failure::new(
                sim,
                format!(
                    "liveness: not converged {} ms after healing: {why}",
                    self.liveness_ms
                ),
            ));
        }
        let writes_checked = checker
            .check_writes(sim)
            .map_err(|e| Failure::new(sim, e))?;
        let loss = checker.write_loss(sim).map_err(|e| Failure::new(sim, e))?;
        Ok(Report {
            seed,
            trace_hash: sim.trace().hash(),
            steps: sim.steps(),
            virtual_ms: sim.now_ms(),
            ops: sim.history().ops.len(),
            writes_checked,
            failover_seen: checker.failover_seen,
            loss,
            votes: sim.grants().len(),
            failovers_judged: failover.completed().len(),
            failover_max_ms: failover
                .completed()
                .iter()
                .map(|d| d.took_ms)
                .max()
                .unwrap_or(0),
            agreement_checks: failover.agreement_checks(),
            claims_agreed: failover.agreed().len(),
        })
    }
}
