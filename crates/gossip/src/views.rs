//! Read-only views for the CLUSTER subcommands: NODES, INFO, SLOTS, SHARDS, LINKS, and the
//! getters the node routes with.
//!
//! Ref: cluster spec §8.4–8.8.

use std::fmt::Write as _;

use hashslot_bus::NodeFlags;
use hashslot_slots::{ClusterView, NodeRef, SlotMap};
use hashslot_types::{Epoch, LinkId, NodeId};

use crate::node::ClusterNode;
use crate::stats::TYPE_NAMES;
use crate::Cluster;

/// One node as CLUSTER SLOTS / SHARDS show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// Node id.
    pub id: NodeId,
    /// Ip text (may be empty).
    pub ip: String,
    /// Client port.
    pub port: u16,
    /// Hostname, empty if none.
    pub hostname: String,
    /// Master or replica.
    pub is_master: bool,
    /// Replication offset (own offset for myself).
    pub repl_offset: i64,
    /// FAIL flag.
    pub failed: bool,
}

/// One CLUSTER SLOTS entry: a run of slots, its master and available replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotsEntry {
    /// First slot.
    pub start: u16,
    /// Last slot.
    pub end: u16,
    /// The owner, then replicas.
    pub nodes: Vec<NodeInfo>,
}

/// One CLUSTER SHARDS entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardEntry {
    /// Slot ranges `(start, end)`.
    pub slots: Vec<(u16, u16)>,
    /// The master, then its replicas.
    pub nodes: Vec<NodeInfo>,
}

/// One CLUSTER LINKS entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// `to` (outbound) or `from` (inbound).
    pub direction: &'static str,
    /// The peer.
    pub node: NodeId,
    /// Creation time, wall ms.
    pub create_time: i64,
    /// Bytes sent on it so far (we keep no send buffer: the driver does).
    pub send_bytes: u64,
}

impl Cluster {
    /// My id.
    pub fn myself_id(&self) -> NodeId {
        self.nodes[self.myself].name
    }

    /// My handle.
    pub fn myself_ref(&self) -> NodeRef {
        self.myself
    }

    /// A node by handle.
    pub fn node(&self, r: NodeRef) -> Option<&ClusterNode> {
        self.nodes.get(r)
    }

    /// A node by id (`clusterLookupNode`).
    pub fn lookup(&self, id: &NodeId) -> Option<NodeRef> {
        self.nodes.lookup(id)
    }

    /// Every node, in table order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeRef, &ClusterNode)> + '_ {
        self.nodes.iter()
    }

    /// Number of known nodes (`cluster_known_nodes`).
    pub fn known_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// The slot map (owners and open slots).
    pub fn slot_map(&self) -> &SlotMap {
        &self.slots
    }

    /// `currentEpoch`.
    pub fn current_epoch(&self) -> Epoch {
        self.current_epoch
    }

    /// `lastVoteEpoch`.
    pub fn last_vote_epoch(&self) -> Epoch {
        self.last_vote_epoch
    }

    /// Whether `cluster_state` is ok.
    pub fn is_state_ok(&self) -> bool {
        self.state_ok
    }

    /// Whether I am a replica.
    pub fn is_replica(&self) -> bool {
        self.nodes[self.myself].is_replica()
    }

    /// Whether a bus link is one of ours (known to the cluster).
    pub fn has_link(&self, link: LinkId) -> bool {
        self.links.contains_key(&link)
    }

    /// Number of open bus links (INFO `cluster_connections`).
    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// Message counters.
    pub fn stats(&self) -> &crate::Stats {
        &self.stats
    }

    /// What routing needs to know about myself and the state.
    pub fn route_view(
        &self,
        allow_reads_when_down: bool,
        allow_pubsubshard_when_down: bool,
    ) -> ClusterView {
        let me = &self.nodes[self.myself];
        ClusterView {
            myself: self.myself,
            my_master: if me.is_replica() { me.slaveof } else { None },
            state_ok: self.state_ok,
            allow_reads_when_down,
            allow_pubsubshard_when_down,
        }
    }

    /// `(ip, port)` clients are redirected to for `r`.
    pub fn endpoint(&self, r: NodeRef) -> (&str, u16) {
        match self.nodes.get(r) {
            Some(n) => (n.ip(), n.port),
            None => ("", 0),
        }
    }

    /// CLUSTER NODES: every node (handshake ones included), one line each with `\n`.
    pub fn nodes_text(&self) -> String {
        self.nodes_description(false)
    }

    /// CLUSTER INFO, `field:value\r\n` lines in Redis's order.
    pub fn info_text(&self) -> String {
        let mut ok = 0;
        let mut pfail = 0;
        let mut fail = 0;
        for (owner, count) in self.slots.owners() {
            match self.nodes.get(owner) {
                Some(n) if n.has(NodeFlags::FAIL) => fail += count,
                Some(n) if n.has(NodeFlags::PFAIL) => pfail += count,
                _ => ok += count,
            }
        }
        let me = &self.nodes[self.myself];
        let my_epoch = match (me.is_replica(), me.slaveof) {
            (true, Some(m)) => self.nodes[m].config_epoch,
            _ => me.config_epoch,
        };
        let mut s = String::with_capacity(512);
        let _ = write!(
            s,
            "cluster_state:{}\r\ncluster_slots_assigned:{}\r\ncluster_slots_ok:{ok}\r\n\
             cluster_slots_pfail:{pfail}\r\ncluster_slots_fail:{fail}\r\ncluster_known_nodes:{}\r\n\
             cluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\n",
            if self.state_ok { "ok" } else { "fail" },
            self.slots.assigned_count(),
            self.nodes.len(),
            self.size,
            self.current_epoch.0,
            my_epoch.0,
        );
        let mut total = 0;
        for (i, n) in self.stats.sent.iter().enumerate() {
            if *n > 0 {
                let _ = write!(s, "cluster_stats_messages_{}_sent:{n}\r\n", TYPE_NAMES[i]);
                total += n;
            }
        }
        let _ = write!(s, "cluster_stats_messages_sent:{total}\r\n");
        let mut total = 0;
        for (i, n) in self.stats.received.iter().enumerate() {
            if *n > 0 {
                let _ = write!(
                    s,
                    "cluster_stats_messages_{}_received:{n}\r\n",
                    TYPE_NAMES[i]
                );
                total += n;
            }
        }
        let _ = write!(s, "cluster_stats_messages_received:{total}\r\n");
        s.push_str("total_cluster_links_buffer_limit_exceeded:0\r\n");
        s
    }

    fn node_info(&self, r: NodeRef) -> NodeInfo {
        let n = &self.nodes[r];
        NodeInfo {
            id: n.name,
            ip: n.ip().to_owned(),
            port: n.port,
            hostname: n.hostname.clone(),
            is_master: !n.is_replica(),
            repl_offset: if r == self.myself {
                self.my_repl_offset
            } else {
                n.repl_offset.0
            },
            failed: n.has(NodeFlags::FAIL),
        }
    }

    /// CLUSTER SLOTS: runs of slots with one owner, the owner then its available replicas
    /// (not FAIL, known offset non-zero: `isReplicaAvailable`).
    pub fn slots_view(&self) -> Vec<SlotsEntry> {
        let mut out = Vec::new();
        for range in self.slots.assigned_ranges() {
            let Some(owner) = range.owner else { continue };
            let mut nodes = vec![self.node_info(owner)];
            for &s in &self.nodes[owner].slaves {
                let info = self.node_info(s);
                if !info.failed && info.repl_offset != 0 {
                    nodes.push(info);
                }
            }
            out.push(SlotsEntry {
                start: range.start.get(),
                end: range.end.get(),
                nodes,
            });
        }
        out
    }

    /// CLUSTER SHARDS: one entry per master (with or without slots).
    pub fn shards_view(&self) -> Vec<ShardEntry> {
        let mut out = Vec::new();
        for (r, n) in self.nodes.iter() {
            if !n.is_master() {
                continue;
            }
            let slots = self
                .slots
                .ranges_of(r)
                .map(|x| (x.start.get(), x.end.get()))
                .collect();
            let mut nodes = vec![self.node_info(r)];
            nodes.extend(n.slaves.iter().map(|s| self.node_info(*s)));
            out.push(ShardEntry { slots, nodes });
        }
        out
    }

    /// CLUSTER LINKS: per node, outbound then inbound.
    pub fn links_view(&self) -> Vec<LinkInfo> {
        let mut out = Vec::new();
        for (_, n) in self.nodes.iter() {
            for (dir, link) in [("to", n.link), ("from", n.inbound_link)] {
                let Some(l) = link.and_then(|l| self.links.get(&l)) else {
                    continue;
                };
                out.push(LinkInfo {
                    direction: dir,
                    node: n.name,
                    create_time: l.ctime + self.wall_offset,
                    send_bytes: l.send_bytes,
                });
            }
        }
        out
    }

    /// CLUSTER REPLICAS: the lines of `master`'s replicas.
    pub fn replica_lines(&self, master: NodeRef) -> Vec<String> {
        self.nodes[master]
            .slaves
            .iter()
            .map(|s| self.node_description(*s))
            .collect()
    }

    /// Valid failure reports about `r` (COUNT-FAILURE-REPORTS).
    pub fn failure_report_count(&self, r: NodeRef) -> usize {
        let maxtime = self.config.timeout() * 2;
        self.nodes[r]
            .fail_reports
            .iter()
            .filter(|f| self.now_ms - f.time <= maxtime)
            .count()
    }
}
