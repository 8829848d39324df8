//! Cluster setup as redis-cli does it, the swarm scenario, seeds from the environment, and
//! failures that say how to replay themselves.

use std::fmt;

use hashslot_resp::Frame;

use crate::check::{converged, Checker, WriteLoss};
use crate::{Sim, SimConfig};

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
    /// Turn on the injected voting bug in every node ([`Sim::inject_vote_twice_bug`]): for the
    /// test that proves the sweep catches it.
    #[doc(hidden)]
    pub inject_vote_twice_bug: bool,
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
            inject_vote_twice_bug: false,
        }
    }
}

impl Swarm {
    /// The simulator for `seed`, before setup.
    pub fn sim(&self, seed: u64) -> Sim {
        let n = self.masters * (1 + self.replicas);
        let mut cfg = if self.faults {
            SimConfig::swarm(seed, n, self.node_timeout_ms)
        } else {
            SimConfig::new(seed, n, self.node_timeout_ms)
        };
        cfg.keep_trace = self.keep_trace;
        let mut sim = Sim::new(cfg);
        sim.set_client_wait(self.wait_ms);
        if self.inject_vote_twice_bug {
            sim.inject_vote_twice_bug();
        }
        sim
    }

    /// Form the cluster, run the workload under the seed's faults with safety checks, heal,
    /// then check liveness and the workload history. On failure the simulation is dropped;
    /// [`Swarm::run_keep`] keeps it (for its trace).
    pub fn run(&self, seed: u64) -> Result<(Report, Sim), Failure> {
        let (sim, r) = self.run_keep(seed);
        r.map(|report| (report, sim))
    }

    /// [`Swarm::run`], returning the simulation whatever the outcome.
    pub fn run_keep(&self, seed: u64) -> (Sim, Result<Report, Failure>) {
        let mut sim = self.sim(seed);
        let r = self.drive(&mut sim);
        (sim, r)
    }

    fn drive(&self, sim: &mut Sim) -> Result<Report, Failure> {
        let seed = sim.config().seed;
        sim.form_cluster(self.masters, self.replicas, 60_000)?;
        let mut checker = Checker::new(sim);
        sim.add_clients(self.clients, 4);
        sim.start_nemesis();
        let end = sim.now_ms() + self.fault_ms;
        while sim.now_ms() < end {
            sim.run_for(self.check_every_ms);
            checker.observe(sim).map_err(|e| Failure::new(sim, e))?;
            if let Some(v) = sim.violations().first() {
                return Err(Failure::new(sim, v.clone()));
            }
        }
        sim.stop_clients();
        sim.heal();
        let live = sim.run_until(self.liveness_ms, 250, |s| {
            converged(s).is_ok() && s.clients_idle()
        });
        checker.observe(sim).map_err(|e| Failure::new(sim, e))?;
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
        })
    }
}
