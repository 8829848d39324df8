//! The node table: one [`ClusterNode`] per known node (Redis's `clusterNode`), addressed by the
//! [`NodeRef`] handles the [`SlotMap`](hashslot_slots::SlotMap) stores.
//!
//! Handles index a slab that never reuses an index, so a stale handle can only miss, never
//! point at another node. Iteration is in slab order (node creation order), which makes every
//! output that walks the table (CLUSTER NODES, nodes.conf, gossip picks) reproducible.

use hashslot_bus::{NetIp, NodeFlags};
use hashslot_slots::NodeRef;
use hashslot_types::{Epoch, LinkId, NodeId, ReplOffset};

use crate::cron_schedule::{wake_at, CronSchedule};
use crate::name_index::{name_hash, NameIndex};

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
/// The table keeps what the gossip and cron loops read of every node in a dense record
/// beside this struct (`Hot`: the name, flags, ports, wire ip, whether a link exists, whether
/// failure reports are held, and the ping and pong times, which live only there). This struct
/// is what the rarer paths read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    /// `CLUSTER_NODE_*` bits.
    pub flags: NodeFlags,
    /// Client port.
    pub port: u16,
    /// Bus port.
    pub cport: u16,
    /// Plaintext port of TLS clusters (0 otherwise).
    pub pport: u16,
    /// `ip` as a gossip entry carries it, kept beside the ports so that building an entry
    /// does not follow the text's heap pointer (one more miss per entry). Set with `ip`.
    wire_ip: NetIp,
    /// The master, for replicas.
    pub slaveof: Option<NodeRef>,
    /// My outbound link to it.
    pub link: Option<LinkId>,
    /// Node id.
    pub name: NodeId,
    /// Failure reports from other masters.
    pub fail_reports: Vec<FailReport>,
    /// When any packet from the node last arrived.
    pub data_received: Option<i64>,
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

/// What the gossip and cron loops read of one node: two cache lines (one 128-byte pair, which
/// the hardware fetches together), dense in slab order.
///
/// In a big cluster the node tables do not fit in the caches (1,000 nodes each knowing 1,000),
/// and each gossip entry received or sent visits a random node: this record is all that a
/// healthy node's visit touches, instead of several lines of a [`ClusterNode`] (which holds
/// what rarer paths read), and the cron reads it for the nodes it visits (see `cron_schedule`).
/// - Line 0: the times, the name, the flags and the state bits: all that a name lookup, a
///   received entry about a healthy node, a gossip pick and a cron visit read.
/// - Line 1: the rest of what a gossip entry about the node carries (plaintext port, ip).
///
/// `name` changes only with the index (insert, rename); the flags, the state bits, the ports
/// and the ip mirror the node (see `NodeTable`'s staleness rule); the ping and pong times live
/// only here. The `hot_record_layout` test holds this layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(128))]
pub(crate) struct Hot {
    /// When the pending PING was sent, [`NEVER`] for none.
    ping_sent: i64,
    /// When the last PONG arrived, [`NEVER`] for never.
    pong_received: i64,
    /// The node's id (what a name lookup compares).
    pub name: NodeId,
    /// The node's flags.
    pub flags: NodeFlags,
    /// [`LINK`], [`REPORTS`], [`STALE`], [`LIVE`].
    bits: u8,
    /// Client port.
    pub port: u16,
    /// Bus port.
    pub cport: u16,
    /// Plaintext port.
    pub pport: u16,
    /// The ip as a gossip entry carries it.
    pub wire_ip: NetIp,
}

/// "None" of the times in [`Hot`].
const NEVER: i64 = i64::MIN;
/// The node has an outbound link.
const LINK: u8 = 1;
/// The node has failure reports (maybe expired ones).
const REPORTS: u8 = 2;
/// The node was borrowed mutably since the mirrored fields were last copied.
const STALE: u8 = 4;
/// The slab entry holds a node.
const LIVE: u8 = 8;

fn time(t: i64) -> Option<i64> {
    (t != NEVER).then_some(t)
}

impl Hot {
    fn new(n: &ClusterNode) -> Self {
        Hot {
            name: n.name,
            ping_sent: NEVER,
            pong_received: NEVER,
            flags: NodeFlags(0),
            bits: LIVE,
            port: 0,
            cport: 0,
            pport: 0,
            wire_ip: NetIp::empty(),
        }
        .mirrored_from(n)
    }

    /// This record with the fields it mirrors copied from `n` (and not stale).
    fn mirrored_from(mut self, n: &ClusterNode) -> Self {
        self.flags = n.flags;
        self.port = n.port;
        self.cport = n.cport;
        self.pport = n.pport;
        self.wire_ip = n.wire_ip;
        self.bits = LIVE;
        if n.link.is_some() {
            self.bits |= LINK;
        }
        if !n.fail_reports.is_empty() {
            self.bits |= REPORTS;
        }
        self
    }

    /// When the pending PING was sent.
    pub(crate) fn ping_sent(&self) -> Option<i64> {
        time(self.ping_sent)
    }

    /// When the last PONG arrived.
    pub(crate) fn pong_received(&self) -> Option<i64> {
        time(self.pong_received)
    }

    /// Whether the node has an outbound link.
    pub(crate) fn has_link(&self) -> bool {
        self.bits & LINK != 0
    }

    /// Whether the node holds failure reports (expired ones included): `false` means the
    /// report count is 0 without reading the node.
    pub(crate) fn has_fail_reports(&self) -> bool {
        self.bits & REPORTS != 0
    }

    /// Whether a flag bit is set.
    pub(crate) fn has(&self, f: NodeFlags) -> bool {
        self.flags.contains(f)
    }

    /// PFAIL or FAIL.
    pub(crate) fn is_failing(&self) -> bool {
        self.flags.intersects(NodeFlags::PFAIL | NodeFlags::FAIL)
    }
}

/// The slab of nodes, their [`Hot`] records, the handles of the live ones in slab order, and
/// the name index.
///
/// `live` makes "the k-th node" O(1) (random gossip picks) without stepping over
/// the slab's holes; it stays in slab order (removals shift it, which is rare), so every walk
/// and every pick is the same as a walk of the slab.
///
/// Staleness rule: every mutable borrow of a node (`get_mut`, `IndexMut`) marks its record
/// stale, and [`NodeTable::hot`] answers a stale record's mirrored fields from the node itself,
/// so a read is never out of date; [`NodeTable::sync`] copies them back (at the start of the
/// hot loops) so later reads need not visit the node. The times are not mirrored: they are
/// read and written only through the table.
///
/// Index invariant: every entry points to a live node whose name is the entry's name, and a
/// node has at most one entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeTable {
    slab: Vec<Option<ClusterNode>>,
    hot: Vec<Hot>,
    live: Vec<NodeRef>,
    index: NameIndex,
    /// Slab indexes marked stale since the last `sync`.
    stale: Vec<u32>,
    /// Live nodes whose mirrored flags (as of the last `sync` of each) are PFAIL without
    /// MYSELF or NOADDR: the cron's `stats_pfail_nodes` without a walk (see `pfail_count`).
    pfail: usize,
    /// When each record may next need a cron visit (see `cron_schedule`).
    schedule: CronSchedule,
}

/// When the node of record `h` may next need a cron visit (`cron_schedule::wake_at`).
fn record_wake(h: &Hot, half_timeout: i64) -> i64 {
    if h.bits & LIVE == 0 {
        return i64::MAX;
    }
    wake_at(
        h.flags,
        h.has_link(),
        h.ping_sent(),
        h.pong_received(),
        half_timeout,
    )
}

/// Whether a node with these flags counts in `NodeTable::pfail`.
fn counts_as_pfail(f: NodeFlags) -> bool {
    f.contains(NodeFlags::PFAIL) && !f.intersects(NodeFlags::MYSELF | NodeFlags::NOADDR)
}

impl NodeTable {
    pub(crate) fn insert(&mut self, node: ClusterNode) -> NodeRef {
        let at = self.slab.len() as u32;
        let r = NodeRef::new(at);
        let name = node.name;
        let hot = Hot::new(&node);
        self.pfail += usize::from(counts_as_pfail(hot.flags));
        self.schedule.add(at, self.wake(&hot));
        self.hot.push(hot);
        self.slab.push(Some(node));
        self.live.push(r);
        self.map(name, at);
        r
    }

    pub(crate) fn remove(&mut self, r: NodeRef) -> Option<ClusterNode> {
        let at = r.index();
        let name = self.get(r)?.name;
        self.index.remove(name_hash(&name), at);
        let n = self.slab.get_mut(at as usize)?.take()?;
        // The count follows the record's flags (those of the last sync), stale or not.
        self.pfail -= usize::from(counts_as_pfail(self.hot[at as usize].flags));
        self.hot[at as usize].bits = 0;
        self.schedule.drop_record(at);
        if let Ok(pos) = self.live.binary_search_by_key(&at, |l| l.index()) {
            self.live.remove(pos);
        }
        Some(n)
    }

    pub(crate) fn rename(&mut self, r: NodeRef, name: NodeId) {
        let at = r.index();
        let Some(old) = self.get(r).map(|n| n.name) else {
            return;
        };
        self.index.remove(name_hash(&old), at);
        if let Some(n) = self.get_mut(r) {
            n.name = name;
        }
        self.hot[at as usize].name = name;
        self.map(name, at);
    }

    pub(crate) fn get(&self, r: NodeRef) -> Option<&ClusterNode> {
        self.slab.get(r.index() as usize)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, r: NodeRef) -> Option<&mut ClusterNode> {
        let at = r.index() as usize;
        let n = self.slab.get_mut(at)?.as_mut()?;
        let h = &mut self.hot[at];
        if h.bits & STALE == 0 {
            h.bits |= STALE;
            self.stale.push(at as u32);
        }
        Some(n)
    }

    /// The hot record of `r` (its mirrored fields read from the node if it is stale).
    #[inline]
    pub(crate) fn hot(&self, r: NodeRef) -> Option<Hot> {
        let at = r.index() as usize;
        let h = *self.hot.get(at)?;
        if h.bits & LIVE == 0 {
            return None;
        }
        if h.bits & STALE != 0 {
            return Some(h.mirrored_from(self.slab[at].as_ref()?));
        }
        Some(h)
    }

    /// After [`NodeTable::sync`]: how many live nodes are PFAIL, not counting myself or nodes
    /// without an address (what the first walk of Redis's `clusterCron` counts).
    pub(crate) fn pfail_count(&self) -> usize {
        debug_assert!(self.stale.is_empty(), "pfail_count after sync only");
        self.pfail
    }

    /// Copy the mirrored fields of every stale record from its node.
    pub(crate) fn sync(&mut self) {
        for at in self.stale.drain(..) {
            let at = at as usize;
            if let Some(n) = self.slab[at].as_ref() {
                debug_assert_eq!(n.name, self.hot[at].name, "names change only by rename");
                self.pfail -= usize::from(counts_as_pfail(self.hot[at].flags));
                self.pfail += usize::from(counts_as_pfail(n.flags));
                self.hot[at] = self.hot[at].mirrored_from(n);
                let wake = record_wake(&self.hot[at], self.schedule.half_timeout());
                self.schedule.earlier(at as u32, wake);
            }
        }
    }

    /// When the pending PING to `r` was sent.
    pub(crate) fn ping_sent(&self, r: NodeRef) -> Option<i64> {
        self.hot.get(r.index() as usize).and_then(Hot::ping_sent)
    }

    /// When the last PONG from `r` arrived.
    pub(crate) fn pong_received(&self, r: NodeRef) -> Option<i64> {
        self.hot
            .get(r.index() as usize)
            .and_then(Hot::pong_received)
    }

    /// Set (or clear) the pending PING time of `r`.
    pub(crate) fn set_ping_sent(&mut self, r: NodeRef, t: Option<i64>) {
        if let Some(h) = self.live_hot_mut(r) {
            h.ping_sent = t.unwrap_or(NEVER);
            // A pending ping makes the node wake at every cron run; clearing one can only
            // make it wake later (its old entry then comes early and is put back).
            if t.is_some() {
                let h = *h;
                self.schedule.earlier(r.index(), self.wake(&h));
            }
        }
    }

    /// Set (or clear) the last PONG time of `r`.
    pub(crate) fn set_pong_received(&mut self, r: NodeRef, t: Option<i64>) {
        if let Some(h) = self.live_hot_mut(r) {
            let newer = t.is_some_and(|t| h.pong_received != NEVER && t >= h.pong_received);
            h.pong_received = t.unwrap_or(NEVER);
            // A newer pong (the common case, on the gossip path) only makes the node wake
            // later: its schedule entry is left alone (see `cron_schedule`).
            if !newer {
                let h = *h;
                self.schedule.earlier(r.index(), self.wake(&h));
            }
        }
    }

    /// When the record `h` may next need a cron visit.
    fn wake(&self, h: &Hot) -> i64 {
        record_wake(h, self.schedule.half_timeout())
    }

    /// Set half the node timeout that decides when a healthy node needs a cron visit (its
    /// PONG is older than that); a change schedules every node again.
    pub(crate) fn set_cron_half_timeout(&mut self, half: i64) {
        if !self.schedule.set_half_timeout(half) {
            return;
        }
        self.schedule.reset();
        for i in 0..self.live.len() {
            let at = self.live[i].index();
            let h = self.hot[at as usize];
            self.schedule.earlier(at, self.wake(&h));
        }
    }

    /// After a [`NodeTable::sync`] (done here): the nodes the cron must visit at `now`, in
    /// table order: exactly those whose visit would not be empty (see `cron_schedule`). Each
    /// returned node stays scheduled for the next run until a change says otherwise.
    pub(crate) fn cron_due(&mut self, now: i64) -> Vec<NodeRef> {
        self.sync();
        let mut due = self.schedule.take_due(now);
        due.retain(|&at| {
            let w = self.wake(&self.hot[at as usize]);
            self.schedule.earlier(at, w);
            w <= now
        });
        #[cfg(debug_assertions)]
        {
            let walk: Vec<u32> = self
                .live
                .iter()
                .map(|r| r.index())
                .filter(|&at| self.wake(&self.hot[at as usize]) <= now)
                .collect();
            debug_assert_eq!(due, walk, "the cron schedule missed or added a node");
        }
        due.into_iter().map(NodeRef::new).collect()
    }

    fn live_hot_mut(&mut self, r: NodeRef) -> Option<&mut Hot> {
        self.hot
            .get_mut(r.index() as usize)
            .filter(|h| h.bits & LIVE != 0)
    }

    /// Bring into the caches what looking up each of `names` will read, without answering.
    ///
    /// In a big cluster each lookup takes two dependent cache misses (the index line, then the
    /// record whose name is compared). Done one after the other, a gossip section of 100
    /// entries waits for 200 misses in a row. Here every index line is loaded first, in a loop
    /// of independent loads the processor overlaps, then every candidate record the same way;
    /// the real lookups that follow hit the caches. Answers are unchanged: this only reads.
    pub(crate) fn touch_lookups(&self, names: impl Iterator<Item = NodeId>) {
        let mut homes: smallvec::SmallVec<[u32; 128]> = smallvec::SmallVec::new();
        homes.extend(names.filter_map(|n| self.index.home(name_hash(&n))));
        let mut acc = 0u8;
        for &at in &homes {
            if let Some(h) = self.hot.get(at as usize) {
                acc ^= h.name.as_bytes()[0] ^ h.wire_ip.as_bytes().first().copied().unwrap_or(0);
            }
        }
        std::hint::black_box(acc);
    }

    /// Bring into the caches the hot records of `refs` (see [`NodeTable::touch_lookups`]).
    pub(crate) fn touch_records(&self, refs: impl Iterator<Item = NodeRef>) {
        let mut acc = 0u8;
        for r in refs {
            if let Some(h) = self.hot.get(r.index() as usize) {
                acc ^= h.bits ^ h.wire_ip.as_bytes().first().copied().unwrap_or(0);
            }
        }
        std::hint::black_box(acc);
    }

    pub(crate) fn lookup(&self, name: &NodeId) -> Option<NodeRef> {
        let hot = &self.hot;
        self.index
            .get(name_hash(name), |at| hot[at as usize].name == *name)
            .map(NodeRef::new)
    }

    /// Number of slab entries (live or not): slab indexes are below it.
    pub(crate) fn slab_len(&self) -> usize {
        self.slab.len()
    }

    /// Number of names in the index.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Index `name` (the current name of slab index `at`) to `at`, replacing what it pointed
    /// to.
    fn map(&mut self, name: NodeId, at: u32) {
        let hot = &self.hot;
        self.index
            .insert(name_hash(&name), at, |i| hot[i as usize].name == name);
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

    /// Every node's handle and hot record, in table order.
    pub(crate) fn iter_hot(&self) -> impl Iterator<Item = (NodeRef, Hot)> + '_ {
        self.live
            .iter()
            .filter_map(|&r| self.hot(r).map(|h| (r, h)))
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
    use std::collections::BTreeMap;

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
    fn hot_record_layout() {
        use std::mem::{align_of, offset_of, size_of};
        assert_eq!((size_of::<Hot>(), align_of::<Hot>()), (128, 128));
        // Line 0: what lookups, received entries, picks and cron visits read.
        for end in [
            offset_of!(Hot, ping_sent) + 8,
            offset_of!(Hot, pong_received) + 8,
            offset_of!(Hot, name) + size_of::<NodeId>(),
            offset_of!(Hot, flags) + size_of::<NodeFlags>(),
            offset_of!(Hot, bits) + 1,
        ] {
            assert!(end <= 64, "line-0 field ends at {end}");
        }
    }

    /// What a hot record must say about a node.
    fn check_mirror(t: &NodeTable, r: NodeRef) {
        let (n, h) = (t.get(r).unwrap(), t.hot(r).unwrap());
        assert_eq!(h.name, n.name);
        assert_eq!(h.flags, n.flags);
        assert_eq!(h.has_link(), n.link.is_some());
        assert_eq!(h.has_fail_reports(), !n.fail_reports.is_empty());
        assert_eq!((h.port, h.cport, h.pport), (n.port, n.cport, n.pport));
        assert_eq!(h.wire_ip, n.wire_ip());
    }

    /// The table against a map of names and a map of times under random inserts, renames
    /// (onto fresh names and onto names other nodes hold), removes, mutations of mirrored
    /// fields and time updates; names collide in the unit-test hash (first byte only).
    #[test]
    fn table_matches_a_model_under_random_operations() {
        let mut rng = hashslot_types::Rng::from_seed(11);
        let mut t = NodeTable::default();
        let mut names: BTreeMap<NodeId, NodeRef> = BTreeMap::new();
        let mut times: BTreeMap<NodeRef, (Option<i64>, Option<i64>)> = BTreeMap::new();
        let pick_name = |rng: &mut hashslot_types::Rng| {
            let first = b"0123"[rng.below(4) as usize];
            colliding(first, b"abcdef"[rng.below(6) as usize])
        };
        let mut now = 0i64;
        for step in 0..5_000 {
            let live: Vec<NodeRef> = t.live().to_vec();
            let any = |rng: &mut hashslot_types::Rng| live[rng.below(live.len() as u64) as usize];
            match rng.below(9) {
                0 | 1 => {
                    let name = pick_name(&mut rng);
                    let r = t.insert(ClusterNode::new(name, NodeFlags::MASTER, 0));
                    names.insert(name, r);
                    times.insert(r, (None, None));
                }
                2 if !live.is_empty() => {
                    let r = any(&mut rng);
                    let old = t[r].name;
                    if names.get(&old) == Some(&r) {
                        names.remove(&old);
                    }
                    let name = pick_name(&mut rng);
                    t.rename(r, name);
                    names.insert(name, r);
                }
                3 if !live.is_empty() => {
                    let r = any(&mut rng);
                    let name = t[r].name;
                    assert!(t.remove(r).is_some());
                    if names.get(&name) == Some(&r) {
                        names.remove(&name);
                    }
                    times.remove(&r);
                    assert_eq!(t.hot(r), None);
                    assert_eq!(t.get(r), None);
                }
                4 if !live.is_empty() => {
                    let r = any(&mut rng);
                    let n = &mut t[r];
                    n.flags = NodeFlags(rng.below(1 << 10) as u16);
                    n.link = (rng.below(2) == 0).then_some(LinkId(rng.below(100)));
                    n.port = rng.below(1 << 16) as u16;
                    n.pport = rng.below(1 << 16) as u16;
                    n.set_ip(format!("10.0.0.{}", rng.below(256)));
                    if rng.below(2) == 0 {
                        n.fail_reports.clear();
                    } else {
                        n.fail_reports.push(FailReport { node: r, time: 0 });
                    }
                }
                5 if !live.is_empty() => {
                    let r = any(&mut rng);
                    let ping = (rng.below(2) == 0).then_some(rng.below(1000) as i64);
                    let pong = (rng.below(2) == 0).then_some(rng.below(1000) as i64 - 500);
                    t.set_ping_sent(r, ping);
                    t.set_pong_received(r, pong);
                    times.insert(r, (ping, pong));
                }
                7 => {
                    // The cron's schedule against a walk of every record; sometimes with a
                    // new timeout (everything rescheduled).
                    if rng.below(8) == 0 {
                        t.set_cron_half_timeout(rng.below(400) as i64);
                    }
                    now += rng.below(200) as i64;
                    t.sync();
                    let half = t.schedule.half_timeout();
                    let walk: Vec<NodeRef> = t
                        .live()
                        .iter()
                        .copied()
                        .filter(|&r| record_wake(&t.hot[r.index() as usize], half) <= now)
                        .collect();
                    assert_eq!(t.cron_due(now), walk, "step {step}");
                }
                6 => {
                    t.sync();
                    let pfail = t.iter().filter(|(_, n)| counts_as_pfail(n.flags)).count();
                    assert_eq!(t.pfail_count(), pfail, "step {step}");
                }
                _ => {}
            }
            assert_eq!(t.len(), names.len(), "step {step}");
            for (name, &r) in &names {
                assert_eq!(t.lookup(name), Some(r), "step {step}");
            }
            for first in b"0123" {
                for c in b"abcdef" {
                    let name = colliding(*first, *c);
                    assert_eq!(t.lookup(&name), names.get(&name).copied(), "step {step}");
                }
            }
            for (&r, &(ping, pong)) in &times {
                check_mirror(&t, r);
                assert_eq!((t.ping_sent(r), t.pong_received(r)), (ping, pong));
                let h = t.hot(r).unwrap();
                assert_eq!((h.ping_sent(), h.pong_received()), (ping, pong));
            }
            assert_eq!(t.live().len(), times.len());
        }
    }
}
