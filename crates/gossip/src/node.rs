//! The node table: one [`ClusterNode`] per known node (Redis's `clusterNode`), addressed by the
//! [`NodeRef`] handles the [`SlotMap`](hashslot_slots::SlotMap) stores.
//!
//! Handles index a slab that never reuses an index, so a stale handle can only miss, never
//! point at another node. Iteration is in slab order (node creation order), which makes every
//! output that walks the table (CLUSTER NODES, nodes.conf, gossip picks) reproducible.

use std::collections::BTreeMap;

use hashslot_bus::NodeFlags;
use hashslot_slots::NodeRef;
use hashslot_types::{Epoch, LinkId, NodeId, ReplOffset};

/// A failure report: `node` (a master) said, at `time`, that the subject is PFAIL or FAIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailReport {
    /// The reporting master.
    pub node: NodeRef,
    /// When the report was last refreshed (monotonic ms).
    pub time: i64,
}

/// One known node. Times are monotonic milliseconds (`None` where Redis stores 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    /// Node id.
    pub name: NodeId,
    /// `CLUSTER_NODE_*` bits.
    pub flags: NodeFlags,
    /// The version of this node's slot claims.
    pub config_epoch: Epoch,
    /// Address text as CLUSTER NODES prints it (may be empty).
    pub ip: String,
    /// Client port.
    pub port: u16,
    /// Bus port.
    pub cport: u16,
    /// Plaintext port of TLS clusters (0 otherwise).
    pub pport: u16,
    /// `cluster-announce-hostname` of the node, empty if none.
    pub hostname: String,
    /// The master, for replicas.
    pub slaveof: Option<NodeRef>,
    /// The replicas, for masters.
    pub slaves: Vec<NodeRef>,
    /// When the node entry was created.
    pub ctime: i64,
    /// When the pending PING was sent.
    pub ping_sent: Option<i64>,
    /// When the last PONG arrived.
    pub pong_received: Option<i64>,
    /// When any packet from the node last arrived.
    pub data_received: Option<i64>,
    /// When the node was flagged FAIL.
    pub fail_time: Option<i64>,
    /// When I last voted for a replica of this master.
    pub voted_time: Option<i64>,
    /// Replication offset from the node's last header.
    pub repl_offset: ReplOffset,
    /// Failure reports from other masters.
    pub fail_reports: Vec<FailReport>,
    /// My outbound link to it.
    pub link: Option<LinkId>,
    /// The link it opened to me.
    pub inbound_link: Option<LinkId>,
}

impl ClusterNode {
    /// A node named `name` with `flags`, created at `ctime`.
    pub fn new(name: NodeId, flags: NodeFlags, ctime: i64) -> Self {
        ClusterNode {
            name,
            flags,
            config_epoch: Epoch(0),
            ip: String::new(),
            port: 0,
            cport: 0,
            pport: 0,
            hostname: String::new(),
            slaveof: None,
            slaves: Vec::new(),
            ctime,
            ping_sent: None,
            pong_received: None,
            data_received: None,
            fail_time: None,
            voted_time: None,
            repl_offset: ReplOffset(0),
            fail_reports: Vec::new(),
            link: None,
            inbound_link: None,
        }
    }

    /// Whether a flag bit is set.
    pub fn has(&self, f: NodeFlags) -> bool {
        self.flags.contains(f)
    }

    /// `nodeIsMaster`.
    pub fn is_master(&self) -> bool {
        self.has(NodeFlags::MASTER)
    }

    /// `nodeIsSlave`.
    pub fn is_replica(&self) -> bool {
        self.has(NodeFlags::SLAVE)
    }

    /// `nodeInHandshake`.
    pub fn in_handshake(&self) -> bool {
        self.has(NodeFlags::HANDSHAKE)
    }

    /// PFAIL or FAIL.
    pub fn is_failing(&self) -> bool {
        self.flags.intersects(NodeFlags::PFAIL | NodeFlags::FAIL)
    }

    pub(crate) fn set(&mut self, f: NodeFlags) {
        self.flags = self.flags | f;
    }

    pub(crate) fn clear(&mut self, f: NodeFlags) {
        self.flags = self.flags.difference(f);
    }
}

/// The slab of nodes and the name index.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeTable {
    slab: Vec<Option<ClusterNode>>,
    by_name: BTreeMap<NodeId, NodeRef>,
}

impl NodeTable {
    pub(crate) fn insert(&mut self, node: ClusterNode) -> NodeRef {
        let r = NodeRef::new(self.slab.len() as u32);
        self.by_name.insert(node.name, r);
        self.slab.push(Some(node));
        r
    }

    pub(crate) fn remove(&mut self, r: NodeRef) -> Option<ClusterNode> {
        let n = self.slab.get_mut(r.index() as usize)?.take()?;
        if self.by_name.get(&n.name) == Some(&r) {
            self.by_name.remove(&n.name);
        }
        Some(n)
    }

    pub(crate) fn rename(&mut self, r: NodeRef, name: NodeId) {
        if let Some(n) = self
            .slab
            .get_mut(r.index() as usize)
            .and_then(Option::as_mut)
        {
            if self.by_name.get(&n.name) == Some(&r) {
                self.by_name.remove(&n.name);
            }
            n.name = name;
            self.by_name.insert(name, r);
        }
    }

    pub(crate) fn get(&self, r: NodeRef) -> Option<&ClusterNode> {
        self.slab.get(r.index() as usize)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, r: NodeRef) -> Option<&mut ClusterNode> {
        self.slab.get_mut(r.index() as usize)?.as_mut()
    }

    pub(crate) fn lookup(&self, name: &NodeId) -> Option<NodeRef> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Handles of every node, in table order.
    pub(crate) fn refs(&self) -> Vec<NodeRef> {
        self.iter().map(|(r, _)| r).collect()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (NodeRef, &ClusterNode)> + '_ {
        self.slab
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|n| (NodeRef::new(i as u32), n)))
    }
}

impl std::ops::Index<NodeRef> for NodeTable {
    type Output = ClusterNode;
    fn index(&self, r: NodeRef) -> &ClusterNode {
        self.get(r).expect("live node handle")
    }
}

impl std::ops::IndexMut<NodeRef> for NodeTable {
    fn index_mut(&mut self, r: NodeRef) -> &mut ClusterNode {
        self.get_mut(r).expect("live node handle")
    }
}
