//! Clusters that start formed: each node boots from a nodes.conf the simulator wrote on its
//! disk, as a formed cluster restarted, so no MEET or handshake phase is simulated.
//!
//! `form_cluster` goes through redis-cli's steps, every MEET through node 0: fine for a
//! handful of nodes, far too slow for hundreds (gossip needs many rounds to spread every
//! node). Booting from nodes.conf is a real path of the node (`load_cluster_config`), the
//! one Redis takes after a restart.

use bytes::Bytes;
use hashslot_types::Rng;

use crate::host::node_addr;
use crate::scenario::Failure;
use crate::sim::{Sim, SimConfig};

impl Sim {
    /// A cluster of `masters` masters with `replicas_per_master` replicas each, started as if
    /// restarted from a formed cluster, then run until it is ready (at most `max_ms` virtual).
    ///
    /// Layout as in [`Sim::form_cluster`]: masters are nodes `0..masters`, replica `r` of
    /// master `m` is node `masters + m * replicas_per_master + r`; the slots are split evenly
    /// over the masters in order; master `m` has configEpoch `m + 1`; node ids are drawn from
    /// the seed. Each node's disk holds that nodes.conf (every node, its address in the
    /// simulated network, `myself` on its own line) before its first boot; node `i` boots
    /// at `i` ms. Nodes of
    /// `cfg.nodes` beyond the shape start empty, outside the cluster.
    ///
    /// Ready means: every node of the shape reports `cluster_state:ok` and every replica
    /// finished its first sync with its master (cheap: the dataset is empty). Every node
    /// agrees on the slot owners from its first instant, since they all load one table.
    pub fn preformed(
        cfg: SimConfig,
        masters: usize,
        replicas_per_master: usize,
        max_ms: u64,
    ) -> Result<Sim, Failure> {
        let n = masters * (1 + replicas_per_master);
        assert!(
            masters > 0 && n <= cfg.nodes,
            "not enough nodes for the shape"
        );
        let mut sim = Sim::unbooted(cfg);
        let mut rng = Rng::from_seed(sim.cfg.seed).child("preformed");
        let ids: Vec<String> = (0..n)
            .map(|_| {
                format!(
                    "{:016x}{:016x}{:08x}",
                    rng.next_u64(),
                    rng.next_u64(),
                    rng.next_u64() as u32
                )
            })
            .collect();
        let master_of = |i: usize| (i >= masters).then(|| (i - masters) / replicas_per_master);
        // Every line but the flags' `myself`, which differs per node.
        let lines: Vec<(String, String)> = (0..n)
            .map(|i| {
                let a = node_addr(i, false);
                let head = format!("{} {}:{}@{}", ids[i], a.ip(), a.port(), 10000 + a.port());
                let tail = match master_of(i) {
                    None => {
                        let lo = i * 16384 / masters;
                        let hi = (i + 1) * 16384 / masters - 1;
                        format!("master - 0 0 {} connected {lo}-{hi}", i + 1)
                    }
                    Some(m) => format!("slave {} 0 0 {} connected", ids[m], m + 1),
                };
                (head, tail)
            })
            .collect();
        let vars = format!("vars currentEpoch {masters} lastVoteEpoch 0\n");
        let path = sim.hosts[0].config.cluster_config_file.clone();
        for i in 0..n {
            let mut text = String::with_capacity(n * 100 + vars.len());
            for (j, (head, tail)) in lines.iter().enumerate() {
                text.push_str(head);
                text.push(' ');
                if i == j {
                    text.push_str("myself,");
                }
                text.push_str(tail);
                text.push('\n');
            }
            text.push_str(&vars);
            let h = &mut sim.hosts[i];
            h.cache.insert(path.clone(), text.clone().into_bytes());
            h.files.insert(path.clone(), Bytes::from(text));
        }
        // Boots a millisecond apart, as machines never start at one instant: every node opens
        // a link to every other at its first cron and sends a PING (≈12 KB at 1,000 nodes) on
        // each; at one instant that would be a million messages queued at once.
        for i in 0..sim.hosts.len() {
            sim.boot(i);
            sim.run_for(1);
        }
        let ready = sim.run_until(max_ms, 100, |s| {
            (0..n).all(|i| {
                s.probe(i, &[b"CLUSTER", b"INFO"])
                    .and_then(crate::view::text)
                    .is_some_and(|t| t.contains("cluster_state:ok"))
                    && (master_of(i).is_none() || replica_synced(s, i))
            })
        });
        if !ready {
            return Err(Failure::new(
                &sim,
                format!("pre-formed cluster not ready within {max_ms} ms"),
            ));
        }
        Ok(sim)
    }
}

/// Whether replica `i` finished its first sync (`master_link_status:up`).
fn replica_synced(sim: &mut Sim, i: usize) -> bool {
    sim.probe(i, &[b"INFO", b"replication"])
        .and_then(crate::view::text)
        .is_some_and(|t| t.contains("master_link_status:up"))
}
