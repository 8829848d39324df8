//! The node table: one [`ClusterNode`] per known node (Redis's `clusterNode`), addressed by the
//! [`NodeRef`] handles the [`SlotMap`](hashslot_slots::SlotMap) stores.
//!
//! Handles index a slab that never reuses an index, so a stale handle can only miss, never
//! point at another node. Iteration is in slab order (node creation order), which makes every
//! output that walks the table (CLUSTER NODES, nodes.conf, gossip picks) reproducible.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use hashslot_bus::{NetIp, NodeFlags};
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
///
/// `repr(C, align(64))` fixes the layout so that what the hot paths read shares cache lines:
/// a big cluster's node tables do not fit in the caches (1,000 nodes each knowing 1,000) and
/// each node is visited at random, so every extra line touched is a trip to memory.
/// - Line 0 (bytes 0..64): flags, ports, master, links, ping and pong times: all a gossip pick
///   and a healthy node's cron visit read.
/// - Line 1 (64..128): the name and the failure reports: with line 0, all that receiving a
///   gossip entry about a known node reads, and (with the wire ip, next) all that building one
///   reads.
///
/// The `node_layout_keeps_hot_fields_in_two_cache_lines` test holds this layout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct ClusterNode {
    /// `CLUSTER_NODE_*` bits.
    pub flags: NodeFlags,
    /// Client port.
    pub port: u16,
    /// Bus port.
    pub cport: u16,
    /// Plaintext port of TLS clusters (0 otherwise).
    pub pport: u16,
    /// The master, for replicas.
    pub slaveof: Option<NodeRef>,
    /// My outbound link to it.
    pub link: Option<LinkId>,
    /// When the pending PING was sent.
    pub ping_sent: Option<i64>,
    /// When the last PONG arrived.
    pub pong_received: Option<i64>,
    /// Node id.
    pub name: NodeId,
    /// Failure reports from other masters.
    pub fail_reports: Vec<FailReport>,
    /// When any packet from the node last arrived.
    pub data_received: Option<i64>,
    /// `ip` as a gossip entry carries it, kept beside the hot lines so that building an entry
    /// does not follow the text's heap pointer (one more miss per entry). Set with `ip`.
    wire_ip: NetIp,
    /// Address text as CLUSTER NODES prints it (may be empty). Private so that every change
    /// goes through [`ClusterNode::set_ip`], which keeps `wire_ip` equal to it.
    ip: String,
    /// The version of this node's slot claims.
    pub config_epoch: Epoch,
    /// When the node entry was created.
    pub ctime: i64,
    /// When the node was flagged FAIL.
    pub fail_time: Option<i64>,
    /// When I last voted for a replica of this master.
    pub voted_time: Option<i64>,
    /// Replication offset from the node's last header.
    pub repl_offset: ReplOffset,
    /// The link it opened to me.
    pub inbound_link: Option<LinkId>,
    /// `cluster-announce-hostname` of the node, empty if none.
    pub hostname: String,
    /// The replicas, for masters.
    pub slaves: Vec<NodeRef>,
}

impl ClusterNode {
    /// A node named `name` with `flags`, created at `ctime`.
    pub fn new(name: NodeId, flags: NodeFlags, ctime: i64) -> Self {
        ClusterNode {
            name,
            flags,
            config_epoch: Epoch(0),
            wire_ip: NetIp::empty(),
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

    /// Address text as CLUSTER NODES prints it (may be empty).
    pub fn ip(&self) -> &str {
        &self.ip
    }

    /// The address as a gossip entry about this node carries it: the text, or empty if it
    /// does not fit the 45-byte field or holds a NUL.
    pub fn wire_ip(&self) -> NetIp {
        self.wire_ip
    }

    /// Set the address text (and its wire form).
    pub fn set_ip(&mut self, ip: String) {
        self.wire_ip = NetIp::new(ip.as_bytes()).unwrap_or_default();
        self.ip = ip;
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

/// The slab of nodes, the handles of the live ones in slab order, and the name index.
///
/// `live` makes "the k-th node" O(1) (random gossip picks, cron walks) without stepping over
/// the slab's holes; it stays in slab order (removals shift it, which is rare), so every walk
/// and every pick is the same as a walk of the slab.
///
/// The name index maps a 64-bit hash of the name to the handle, and a lookup confirms the name
/// on the node itself (which the caller reads next anyway): 16 bytes per entry instead of a
/// 40-byte key, so a big cluster's indexes stay in the caches. Invariant: every entry, in
/// `by_hash` or `overflow`, points to a live node whose name is the entry's name. A name whose
/// hash is already held by another name goes to `overflow` (practically never used).
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeTable {
    slab: Vec<Option<ClusterNode>>,
    live: Vec<NodeRef>,
    by_hash: HashMap<u64, NodeRef, BuildHasherDefault<MixedKey>>,
    overflow: BTreeMap<NodeId, NodeRef>,
}

impl NodeTable {
    pub(crate) fn insert(&mut self, node: ClusterNode) -> NodeRef {
        let r = NodeRef::new(self.slab.len() as u32);
        let name = node.name;
        self.slab.push(Some(node));
        self.live.push(r);
        self.map(name, r);
        r
    }

    pub(crate) fn remove(&mut self, r: NodeRef) -> Option<ClusterNode> {
        let name = self.get(r)?.name;
        self.unmap(name, r);
        let n = self.slab.get_mut(r.index() as usize)?.take()?;
        if let Ok(at) = self.live.binary_search_by_key(&r.index(), |l| l.index()) {
            self.live.remove(at);
        }
        Some(n)
    }

    pub(crate) fn rename(&mut self, r: NodeRef, name: NodeId) {
        let Some(old) = self.get(r).map(|n| n.name) else {
            return;
        };
        self.unmap(old, r);
        if let Some(n) = self.get_mut(r) {
            n.name = name;
        }
        self.map(name, r);
    }

    pub(crate) fn get(&self, r: NodeRef) -> Option<&ClusterNode> {
        self.slab.get(r.index() as usize)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, r: NodeRef) -> Option<&mut ClusterNode> {
        self.slab.get_mut(r.index() as usize)?.as_mut()
    }

    pub(crate) fn lookup(&self, name: &NodeId) -> Option<NodeRef> {
        if let Some(&r) = self.by_hash.get(&name_hash(name)) {
            if self.get(r).is_some_and(|n| n.name == *name) {
                return Some(r);
            }
        }
        if self.overflow.is_empty() {
            return None;
        }
        self.overflow.get(name).copied()
    }

    /// Number of names in the index.
    pub(crate) fn len(&self) -> usize {
        self.by_hash.len() + self.overflow.len()
    }

    /// Index `name` (the current name of node `r`) to `r`, replacing what it pointed to.
    fn map(&mut self, name: NodeId, r: NodeRef) {
        let h = name_hash(&name);
        match self.by_hash.get(&h) {
            Some(&o) if o != r && self.get(o).is_some_and(|n| n.name != name) => {
                self.overflow.insert(name, r);
            }
            _ => {
                self.by_hash.insert(h, r);
            }
        }
    }

    /// Drop the index entry of `name` if it points to `r` (whose name it still is).
    fn unmap(&mut self, name: NodeId, r: NodeRef) {
        let h = name_hash(&name);
        if self.by_hash.get(&h) == Some(&r) {
            self.by_hash.remove(&h);
            // Another name with this hash waits in `overflow`: it takes the freed entry.
            let waiting = self
                .overflow
                .iter()
                .find(|(n, _)| name_hash(n) == h)
                .map(|(&n, &o)| (n, o));
            if let Some((n, o)) = waiting {
                self.overflow.remove(&n);
                self.by_hash.insert(h, o);
            }
        } else if self.overflow.get(&name) == Some(&r) {
            self.overflow.remove(&name);
        }
    }

    /// Handles of every node, in table order.
    pub(crate) fn refs(&self) -> Vec<NodeRef> {
        self.live.clone()
    }

    /// Handles of every node, in table order, without copying them.
    pub(crate) fn live(&self) -> &[NodeRef] {
        &self.live
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (NodeRef, &ClusterNode)> + '_ {
        self.live
            .iter()
            .filter_map(|&r| self.get(r).map(|n| (r, n)))
    }
}

/// The name hash of the index. Node ids are 40 random hex characters, so mixing their 8-byte
/// words is enough to spread them; SipHash over 40 bytes cost more than the rest of a gossip
/// entry. The index is only looked up, never iterated, so its order cannot leak into outputs.
/// Names come from cluster bus peers, which Redis Cluster trusts (the bus carries no
/// authentication); colliding names are still told apart (`overflow`), so crafted collisions
/// could only slow lookups down, never change their answers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        // A final avalanche so that the low bits the table uses depend on every input bit.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.mix(w);
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        if !rest.is_empty() {
            tail[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(tail));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
}

impl NameHasher {
    fn mix(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// The name index's key: the name's [`NameHasher`] hash.
#[cfg(not(test))]
fn name_hash(name: &NodeId) -> u64 {
    let mut h = NameHasher::default();
    h.write(name.as_bytes());
    h.finish()
}

/// In unit tests the key is the first byte only, so that names collide and the `overflow`
/// path is exercised.
#[cfg(test)]
fn name_hash(name: &NodeId) -> u64 {
    u64::from(name.as_bytes()[0])
}

/// The hasher of the index's keys, which are already well mixed hashes: used as they are.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MixedKey(u64);

impl Hasher for MixedKey {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `u64` keys; anything else is folded in, not dropped.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: u8) -> NodeId {
        NodeId::from_bytes(&[c; 40]).expect("40 hex characters")
    }

    fn node(c: u8) -> ClusterNode {
        ClusterNode::new(id(c), NodeFlags::MASTER, 0)
    }

    #[test]
    fn live_handles_stay_in_slab_order_and_follow_removes_and_renames() {
        let mut t = NodeTable::default();
        let refs: Vec<NodeRef> = b"abcdef".iter().map(|&c| t.insert(node(c))).collect();
        assert_eq!(t.live(), &refs[..]);
        assert!(t.remove(refs[1]).is_some());
        assert!(t.remove(refs[4]).is_some());
        assert!(t.remove(refs[4]).is_none(), "a stale handle only misses");
        let left = [refs[0], refs[2], refs[3], refs[5]];
        assert_eq!(t.live(), &left[..]);
        assert_eq!(t.iter().map(|(r, _)| r).collect::<Vec<_>>(), left);
        assert_eq!(t.lookup(&id(b'b')), None);
        assert_eq!(t.lookup(&id(b'd')), Some(refs[3]));
        t.rename(refs[3], id(b'9'));
        assert_eq!(t.lookup(&id(b'd')), None);
        assert_eq!(t.lookup(&id(b'9')), Some(refs[3]));
        assert_eq!(t.len(), 4);
        let g = t.insert(node(b'b'));
        assert_eq!(t.live().last(), Some(&g));
        assert_eq!(t.lookup(&id(b'b')), Some(g));
    }

    #[test]
    fn wire_ip_follows_the_ip_text() {
        let mut n = node(b'a');
        assert_eq!(n.wire_ip(), NetIp::empty());
        n.set_ip("10.0.0.7".to_owned());
        assert_eq!(n.ip(), "10.0.0.7");
        assert_eq!(n.wire_ip().as_bytes(), b"10.0.0.7");
        // Text the 45-byte field cannot hold goes on the wire as empty, as it always did.
        n.set_ip("x".repeat(46));
        assert_eq!(n.ip().len(), 46);
        assert_eq!(n.wire_ip(), NetIp::empty());
        n.set_ip(String::new());
        assert_eq!(n.wire_ip(), NetIp::empty());
    }

    /// Names sharing a first byte share the unit-test key: the `overflow` path.
    fn colliding(first: u8, c: u8) -> NodeId {
        let mut b = [c; 40];
        b[0] = first;
        NodeId::from_bytes(&b).expect("40 hex characters")
    }

    #[test]
    fn colliding_names_are_told_apart_through_removes_and_renames() {
        let mut t = NodeTable::default();
        let names: Vec<NodeId> = b"123".iter().map(|&c| colliding(b'a', c)).collect();
        let refs: Vec<NodeRef> = names
            .iter()
            .map(|&n| t.insert(ClusterNode::new(n, NodeFlags::MASTER, 0)))
            .collect();
        for (n, r) in names.iter().zip(&refs) {
            assert_eq!(t.lookup(n), Some(*r));
        }
        assert_eq!(t.len(), 3);
        assert_eq!(t.lookup(&colliding(b'a', b'4')), None);
        // The name holding the shared key goes: a waiting one takes its place.
        t.remove(refs[0]);
        assert_eq!(t.lookup(&names[0]), None);
        assert_eq!(t.lookup(&names[1]), Some(refs[1]));
        assert_eq!(t.lookup(&names[2]), Some(refs[2]));
        assert_eq!(t.len(), 2);
        // A rename onto a colliding name, and onto a name another node holds (that node
        // loses its entry, as a map keyed by name would do).
        t.rename(refs[2], colliding(b'a', b'5'));
        assert_eq!(t.lookup(&names[2]), None);
        assert_eq!(t.lookup(&colliding(b'a', b'5')), Some(refs[2]));
        t.rename(refs[1], colliding(b'a', b'5'));
        assert_eq!(t.lookup(&colliding(b'a', b'5')), Some(refs[1]));
        assert_eq!(t.lookup(&names[1]), None);
        assert_eq!(t.len(), 1);
        // The node that lost its entry is removed: the entry of the other stays.
        t.remove(refs[2]);
        assert_eq!(t.lookup(&colliding(b'a', b'5')), Some(refs[1]));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn name_hasher_depends_on_every_word_of_the_name() {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let b = BuildHasherDefault::<NameHasher>::default();
        let base = *b"0123456789abcdef0123456789abcdef01234567";
        let h0 = b.hash_one(NodeId::from_bytes(&base).unwrap());
        for i in [0, 8, 17, 31, 39] {
            let mut other = base;
            other[i] = if other[i] == b'f' { b'e' } else { b'f' };
            assert_ne!(
                b.hash_one(NodeId::from_bytes(&other).unwrap()),
                h0,
                "byte {i}"
            );
        }
    }

    #[test]
    fn node_layout_keeps_hot_fields_in_two_cache_lines() {
        use std::mem::{align_of, offset_of, size_of};
        assert_eq!(align_of::<ClusterNode>(), 64);
        // Line 0: what a gossip pick and a cron visit of a healthy node read.
        for end in [
            offset_of!(ClusterNode, flags) + size_of::<NodeFlags>(),
            offset_of!(ClusterNode, port) + 2,
            offset_of!(ClusterNode, cport) + 2,
            offset_of!(ClusterNode, link) + size_of::<Option<LinkId>>(),
            offset_of!(ClusterNode, ping_sent) + size_of::<Option<i64>>(),
            offset_of!(ClusterNode, pong_received) + size_of::<Option<i64>>(),
        ] {
            assert!(end <= 64, "hot field ends at {end}");
        }
        // Line 1: the name and the failure reports.
        assert!(offset_of!(ClusterNode, name) >= 64);
        assert!(offset_of!(ClusterNode, fail_reports) + size_of::<Vec<FailReport>>() <= 128);
        // Line 2: the wire ip, which building a gossip entry reads.
        assert!(offset_of!(ClusterNode, wire_ip) + size_of::<NetIp>() <= 192);
        // The slab's `Option` takes no extra room (a niche), so every entry starts a line.
        assert_eq!(size_of::<Option<ClusterNode>>(), size_of::<ClusterNode>());
    }
}
