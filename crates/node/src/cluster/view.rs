//! A typed snapshot of the node's cluster view ([`Node::cluster_view`]): who I am, my role and
//! master, the epochs, and every known node with its flags and slots. It carries what CLUSTER
//! NODES prints, as values, so tools (the simulator's checkers above all) need not parse text.
//!
//! It also holds the test-only fault switch of the simulator's injected-bug test
//! ([`Node::set_fault_vote_twice_per_epoch`]).

use hashslot_gossip::ClusterNode;
use hashslot_types::{Epoch, NodeId, Now};

use crate::Node;

// Redis's `CLUSTER_NODE_*` bits (the wire values of the bus header's flags field).
const MASTER: u16 = 1;
const SLAVE: u16 = 2;
const PFAIL: u16 = 4;
const FAIL: u16 = 8;
const HANDSHAKE: u16 = 32;
const NOADDR: u16 = 64;
const NOFAILOVER: u16 = 512;

/// One known node, as this node sees it (a line of CLUSTER NODES).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    /// The node id.
    pub id: NodeId,
    /// Its address as announced (may be empty while unknown).
    pub ip: String,
    /// Its client port.
    pub port: u16,
    /// Its bus port.
    pub cport: u16,
    /// This is the viewing node itself.
    pub myself: bool,
    /// Flagged master.
    pub master: bool,
    /// Flagged replica.
    pub replica: bool,
    /// Flagged `fail?` (PFAIL: this node suspects it).
    pub pfail: bool,
    /// Flagged `fail` (FAIL: agreed by a majority of masters).
    pub fail: bool,
    /// Still in the handshake (its first PING/PONG not yet exchanged).
    pub handshake: bool,
    /// Its address is not known.
    pub noaddr: bool,
    /// A replica that will not fail over (`cluster-replica-no-failover`).
    pub nofailover: bool,
    /// Its master's id, for a replica whose master is known.
    pub master_id: Option<NodeId>,
    /// Its `configEpoch`.
    pub config_epoch: Epoch,
    /// The outbound bus link to it is up (`connected` in CLUSTER NODES; always true for
    /// myself).
    pub connected: bool,
    /// Slots this view says it owns, as sorted inclusive ranges.
    pub slots: Vec<(u16, u16)>,
}

impl NodeView {
    /// The flag words of CLUSTER NODES, in Redis's order (`myself`, `master`, `slave`,
    /// `fail?`, `fail`, `handshake`, `noaddr`, `nofailover`).
    pub fn flag_words(&self) -> Vec<&'static str> {
        [
            (self.myself, "myself"),
            (self.master, "master"),
            (self.replica, "slave"),
            (self.pfail, "fail?"),
            (self.fail, "fail"),
            (self.handshake, "handshake"),
            (self.noaddr, "noaddr"),
            (self.nofailover, "nofailover"),
        ]
        .into_iter()
        .filter_map(|(on, w)| on.then_some(w))
        .collect()
    }

    /// Number of slots owned.
    pub fn slot_count(&self) -> usize {
        self.slots
            .iter()
            .map(|&(a, b)| usize::from(b) - usize::from(a) + 1)
            .sum()
    }
}

/// The node's cluster view at one instant ([`Node::cluster_view`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterView {
    /// My node id.
    pub myself: NodeId,
    /// I am a master (else a replica).
    pub is_master: bool,
    /// My master's id, when I am a replica of a known master.
    pub master: Option<NodeId>,
    /// `currentEpoch`.
    pub current_epoch: Epoch,
    /// `lastVoteEpoch`: the last epoch I granted a vote in.
    pub last_vote_epoch: Epoch,
    /// My `configEpoch`.
    pub config_epoch: Epoch,
    /// `cluster_state:ok`.
    pub state_ok: bool,
    /// Slots I own, as sorted inclusive ranges.
    pub my_slots: Vec<(u16, u16)>,
    /// Every known node (myself and handshake nodes included), in table order.
    pub nodes: Vec<NodeView>,
}

impl ClusterView {
    /// The entry of node `id`.
    pub fn node(&self, id: &NodeId) -> Option<&NodeView> {
        self.nodes.iter().find(|n| n.id == *id)
    }

    /// My own entry.
    pub fn me(&self) -> Option<&NodeView> {
        self.nodes.iter().find(|n| n.myself)
    }
}

impl Node {
    /// A snapshot of the cluster as this node sees it; `None` when cluster mode is off.
    /// Cost: one pass over the known nodes and their slot runs.
    pub fn cluster_view(&self) -> Option<ClusterView> {
        let cm = self.cluster.as_ref()?;
        let c = &cm.cluster;
        let me_ref = c.myself_ref();
        let map = c.slot_map();
        let mut nodes = Vec::with_capacity(c.known_nodes());
        for (r, n) in c.nodes() {
            // Each owner's runs as the slot map keeps them: no walk over the 16384 slots.
            let slots = map
                .ranges_of(r)
                .map(|g| (g.start.get(), g.end.get()))
                .collect();
            nodes.push(node_view(c, r == me_ref, n, slots));
        }
        let me = c.node(me_ref).expect("myself is in the table");
        let master = if me.is_replica() {
            me.slaveof.and_then(|m| c.node(m)).map(|m| m.name)
        } else {
            None
        };
        let my_slots = nodes
            .iter()
            .find(|n| n.myself)
            .map(|n| n.slots.clone())
            .unwrap_or_default();
        Some(ClusterView {
            myself: me.name,
            is_master: me.is_master(),
            master,
            current_epoch: c.current_epoch(),
            last_vote_epoch: c.last_vote_epoch(),
            config_epoch: me.config_epoch,
            state_ok: c.is_state_ok(),
            my_slots,
            nodes,
        })
    }

    /// The node's cluster state machine, read-only (`None` when cluster mode is off): one
    /// fact about one node (`lookup` then `node`) without building a whole [`ClusterView`].
    pub fn cluster_state(&self) -> Option<&hashslot_gossip::Cluster> {
        Some(&self.cluster.as_ref()?.cluster)
    }

    /// Whether the node reports `cluster_state:ok` (`None` when cluster mode is off): the
    /// cheap part of [`Node::cluster_view`].
    pub fn cluster_state_ok(&self) -> Option<bool> {
        Some(self.cluster.as_ref()?.cluster.is_state_ok())
    }

    /// Test-only fault injection for the simulator: when on, this node, as a master, grants a
    /// vote even if it already voted in the epoch (and ignores when it last voted for a replica
    /// of the same master), breaking Redis Cluster's one-vote-per-epoch rule. Off by default;
    /// never turn it on outside a test that proves a checker catches it.
    #[doc(hidden)]
    pub fn set_fault_vote_twice_per_epoch(&mut self, now: Now, on: bool) {
        if let Some(cm) = self.cluster.as_mut() {
            let mut cfg = cm.cluster.config().clone();
            cfg.fault_vote_twice_per_epoch = on;
            cm.cluster.set_config(now, cfg);
        }
        self.cluster_drain(now);
    }
}

fn node_view(
    c: &hashslot_gossip::Cluster,
    myself: bool,
    n: &ClusterNode,
    slots: Vec<(u16, u16)>,
) -> NodeView {
    let has = |bit: u16| n.flags.0 & bit != 0;
    NodeView {
        id: n.name,
        ip: n.ip().to_owned(),
        port: n.port,
        cport: n.cport,
        myself,
        master: has(MASTER),
        replica: has(SLAVE),
        pfail: has(PFAIL),
        fail: has(FAIL),
        handshake: has(HANDSHAKE),
        noaddr: has(NOADDR),
        nofailover: has(NOFAILOVER),
        master_id: n.slaveof.and_then(|m| c.node(m)).map(|m| m.name),
        config_epoch: n.config_epoch,
        connected: myself || n.link.is_some(),
        slots,
    }
}
