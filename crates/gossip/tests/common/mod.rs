//! A tiny deterministic in-process network for `Cluster`s: byte queues between links, virtual
//! time, crashes and partitions. Node `i` listens on bus port `17000 + i` (client port `7000 + i`).
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use hashslot_gossip::{Cluster, ClusterConfig, Output};
use hashslot_types::{Instant, LinkId, Now, Rng, UnixMillis};

pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

pub fn config(i: usize, node_timeout: u64) -> ClusterConfig {
    ClusterConfig {
        port: 7000 + i as u16,
        bus_port: 17000 + i as u16,
        node_timeout,
        ..ClusterConfig::default()
    }
}

/// The network and its nodes.
pub struct Net {
    pub now: Now,
    pub nodes: Vec<Cluster>,
    /// (node, its link) → (peer node, the peer's link).
    routes: BTreeMap<(usize, LinkId), (usize, LinkId)>,
    next_accept: u64,
    next_peer_port: u16,
    /// Crashed nodes: no input, no output, connections refused.
    pub down: Vec<bool>,
    /// Partition group per node: traffic only flows within a group.
    pub group: Vec<u8>,
    /// The last nodes.conf each node wrote.
    pub persisted: Vec<Option<String>>,
    /// Every message (decoded type) delivered, for transcript checks: (from, to, type).
    pub delivered: Vec<(usize, usize, u16)>,
}

impl Net {
    pub fn new(n: usize, node_timeout: u64, seed: u64) -> Net {
        let now = Now::new(
            Instant::from_nanos(1_000_000_000),
            UnixMillis(1_700_000_000_000),
        );
        let nodes = (0..n)
            .map(|i| {
                Cluster::new(
                    config(i, node_timeout),
                    Rng::from_seed(seed * 100 + i as u64),
                    now,
                )
            })
            .collect();
        let mut net = Net {
            now,
            nodes,
            routes: BTreeMap::new(),
            next_accept: 1,
            next_peer_port: 40000,
            down: vec![false; n],
            group: vec![0; n],
            persisted: vec![None; n],
            delivered: Vec::new(),
        };
        net.settle();
        net
    }

    fn reachable(&self, a: usize, b: usize) -> bool {
        !self.down[a] && !self.down[b] && self.group[a] == self.group[b]
    }

    /// Deliver outputs until every node is quiet.
    pub fn settle(&mut self) {
        let mut queue: VecDeque<(usize, Output)> = VecDeque::new();
        loop {
            for i in 0..self.nodes.len() {
                while let Some(o) = self.nodes[i].poll_output() {
                    if !self.down[i] {
                        queue.push_back((i, o));
                    }
                }
            }
            let Some((i, out)) = queue.pop_front() else {
                break;
            };
            let now = self.now;
            match out {
                Output::Connect { link, addr: a } => {
                    let j = (a.port() - 17000) as usize;
                    if j < self.nodes.len() && self.reachable(i, j) {
                        let acc = LinkId(self.next_accept);
                        self.next_accept += 1;
                        self.next_peer_port += 1;
                        let (peer, local) = (addr(self.next_peer_port), addr(a.port()));
                        self.nodes[j].handle_link_accepted(now, acc, peer, local);
                        self.routes.insert((i, link), (j, acc));
                        self.routes.insert((j, acc), (i, link));
                        self.nodes[i].handle_link_connected(now, link, peer);
                    } else {
                        self.nodes[i].handle_link_closed(now, link);
                    }
                }
                Output::Send { link, data } => {
                    if let Some(&(j, pl)) = self.routes.get(&(i, link)) {
                        if self.reachable(i, j) {
                            if let Ok(Some((m, _))) = hashslot_bus::decode(&data) {
                                self.delivered.push((i, j, m.msg_type().0));
                            }
                            self.nodes[j].handle_link_data(now, pl, &data);
                        }
                    }
                }
                Output::Close { link } => {
                    if let Some((j, pl)) = self.routes.remove(&(i, link)) {
                        self.routes.remove(&(j, pl));
                        if !self.down[j] {
                            self.nodes[j].handle_link_closed(now, pl);
                        }
                    }
                }
                Output::Persist { token, data, .. } => {
                    self.persisted[i] = Some(String::from_utf8(data.to_vec()).unwrap());
                    self.nodes[i].handle_persist_done(now, token, Ok(()));
                }
                _ => {}
            }
        }
    }

    /// Advance virtual time by `ms`, in cron-sized steps, delivering everything.
    pub fn run(&mut self, ms: u64) {
        let end = self.now.advance_millis(ms);
        while self.now.mono < end.mono {
            self.now = self.now.advance_millis(100);
            for i in 0..self.nodes.len() {
                if !self.down[i] {
                    self.nodes[i].handle_timeout(self.now);
                }
            }
            self.settle();
        }
    }

    /// Run until `f` holds (checked every 100 ms), at most `max_ms`; panics otherwise.
    pub fn run_until(&mut self, max_ms: u64, what: &str, f: impl Fn(&Net) -> bool) {
        let mut waited = 0;
        while !f(self) {
            assert!(
                waited < max_ms,
                "timed out after {max_ms} ms waiting for: {what}"
            );
            self.run(100);
            waited += 100;
        }
    }

    /// Kill node `i` (kill -9): its connections reset.
    pub fn crash(&mut self, i: usize) {
        self.down[i] = true;
        let now = self.now;
        let dead: Vec<_> = self
            .routes
            .keys()
            .filter(|(n, _)| *n == i)
            .copied()
            .collect();
        for k in dead {
            if let Some((j, pl)) = self.routes.remove(&k) {
                self.routes.remove(&(j, pl));
                self.nodes[j].handle_link_closed(now, pl);
            }
        }
        self.settle();
    }

    /// Node `i` MEETs node `j`.
    pub fn meet(&mut self, i: usize, j: usize) {
        let now = self.now;
        let p = 7000 + j as i64;
        self.nodes[i]
            .meet(now, "127.0.0.1", p, p + 10000, "127.0.0.1")
            .unwrap();
        self.settle();
    }

    /// Give node `i` the slots `a..=b`.
    pub fn add_slots(&mut self, i: usize, a: u16, b: u16) {
        let slots: Vec<_> = (a..=b)
            .map(|s| hashslot_types::Slot::new(s).unwrap())
            .collect();
        let now = self.now;
        self.nodes[i].add_slots(now, &slots).unwrap();
        self.settle();
    }

    /// Whether every live node knows every other live node, with no handshake in progress.
    pub fn converged(&self) -> bool {
        let live: Vec<usize> = (0..self.nodes.len()).filter(|i| !self.down[*i]).collect();
        live.iter().all(|&i| {
            let c = &self.nodes[i];
            c.known_nodes() == self.nodes.len()
                && c.nodes().all(|(_, n)| {
                    !n.in_handshake()
                        && (n.link.is_some() || n.has(hashslot_bus::NodeFlags::MYSELF))
                })
        })
    }

    /// The flags word of node `about` as node `viewer` prints it.
    pub fn flags_seen(&self, viewer: usize, about: usize) -> String {
        let id = self.nodes[about].myself_id();
        let c = &self.nodes[viewer];
        c.lookup(&id)
            .and_then(|r| c.node(r))
            .map(|n| n.flags.to_string())
            .unwrap_or_default()
    }

    /// A standard 3-master cluster: slots split in three, epochs 1..3, MEETs to node 0.
    pub fn three_masters(node_timeout: u64, seed: u64) -> Net {
        let mut net = Net::new(3, node_timeout, seed);
        let now = net.now;
        for (i, (a, b)) in [(0u16, 5460u16), (5461, 10922), (10923, 16383)]
            .into_iter()
            .enumerate()
        {
            net.add_slots(i, a, b);
            net.nodes[i].set_config_epoch(now, i as i64 + 1).unwrap();
        }
        net.meet(1, 0);
        net.meet(2, 0);
        net.run_until(20_000, "three nodes converge", |n| n.converged());
        net.run_until(20_000, "cluster state ok", |n| {
            n.nodes.iter().all(|c| c.is_state_ok())
        });
        net
    }
}
