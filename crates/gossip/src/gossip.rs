//! Building headers and PING/PONG/MEET (`clusterBuildMessageHdr`, `clusterSendPing`), the other
//! messages we send, and reading a gossip section (`clusterProcessGossipSection`).
//!
//! Ref: cluster spec §1.2, §1.10, §3.2.

use hashslot_bus::{
    ClusterState, GossipEntry, GossipSection, Header, Message, MessageFlags, MsgType, NetIp,
    NodeFlags, Payload, PingExt,
};
use hashslot_slots::NodeRef;
use hashslot_types::{LinkId, ReplOffset};
use smallvec::SmallVec;

use crate::node::{ClusterNode, FailReport, Hot};
use crate::{Cluster, LogLevel};

impl Cluster {
    /// The header every message carries: a replica advertises its master's slots and epoch.
    pub(crate) fn build_header(&self) -> Header {
        let me = &self.nodes[self.myself];
        let master = match (me.is_replica(), me.slaveof) {
            (true, Some(m)) => m,
            _ => self.myself,
        };
        let mut h = Header::new(me.name);
        h.port = self.config.announced_port();
        h.cport = self.config.announced_cport();
        h.current_epoch = self.current_epoch;
        h.config_epoch = self.nodes[master].config_epoch;
        h.offset = ReplOffset(self.my_repl_offset);
        h.myslots = self.slots.slots_of(master);
        h.slaveof = me.slaveof.map(|m| self.nodes[m].name);
        if let Some(ip) = &self.config.announce_ip {
            let ip = &ip.as_bytes()[..ip.len().min(hashslot_bus::NET_IP_MAX_LEN)];
            h.myip = NetIp::new(ip).unwrap_or_default();
        }
        h.flags = me.flags;
        if me.is_master() && self.fo.mf_master.is_active() {
            h.mflags = h.mflags.union(MessageFlags::PAUSED);
        }
        h.state = if self.state_ok {
            ClusterState::OK
        } else {
            ClusterState::FAIL
        };
        h
    }

    /// The gossip entry about a node, from its hot record.
    fn gossip_entry(&self, h: &Hot) -> GossipEntry {
        let secs = |t: Option<i64>| -> u32 {
            t.map_or(0, |t| {
                ((t + self.wall_offset) / 1000).clamp(0, i64::from(u32::MAX)) as u32
            })
        };
        GossipEntry {
            nodename: h.name,
            ping_sent: secs(h.ping_sent()),
            pong_received: secs(h.pong_received()),
            ip: h.wire_ip,
            port: h.port,
            cport: h.cport,
            flags: h.flags,
            pport: h.pport,
        }
    }

    /// `clusterSendPing`: a PING, PONG or MEET with `max(3, n/10)` random healthy nodes plus
    /// every PFAIL node in the gossip section.
    pub(crate) fn send_ping(&mut self, link: LinkId, t: MsgType) {
        let total = self.nodes.len();
        let mut freshnodes = total.saturating_sub(2);
        let wanted = (total / 10).max(3).min(freshnodes);
        let mut pfail_wanted = self.stats_pfail_nodes;

        if t == MsgType::PING {
            if let Some(r) = self.links.get(&link).and_then(|l| l.node) {
                self.nodes.set_ping_sent(r, Some(self.now_ms));
            }
        }
        self.nodes.sync();

        // Redis's `dictGetRandomKey` tries, at most `wanted * 3`: each an O(1) index into the
        // table's list of live nodes (never a walk of every node per ping). Each pick reads
        // only the node's hot record; a bitmap of the picked slab indexes answers "already
        // in the section?" (Redis scans the section).
        let tries = if freshnodes > 0 && wanted > 0 {
            wanted * 3
        } else {
            0
        };
        let mut gossip: Vec<GossipEntry> = Vec::with_capacity(wanted + pfail_wanted);
        let mut picked = Picked::with_capacity(self.nodes.slab_len());
        // The picks are drawn ahead on a copy of the rng and their records loaded together
        // (independent loads the processor overlaps); the loop below draws the same numbers
        // again from the real rng, so what is picked and what the rng consumes are unchanged.
        // As many as the loop usually draws: `wanted`, plus the repeats of drawing with
        // replacement (about wanted² / 2n, at most wanted / 20 as wanted is n / 10), plus a
        // few skipped nodes; a record loaded for nothing costs as much as a needed one.
        let mut ahead = self.rng.clone();
        let live = self.nodes.live();
        self.nodes.touch_records(
            (0..tries.min(wanted + wanted / 16 + 4))
                .filter_map(|_| live.get(ahead.below(total as u64) as usize).copied()),
        );
        for _ in 0..tries {
            if freshnodes == 0 || gossip.len() >= wanted {
                break;
            }
            let k = self.rng.below(total as u64) as usize;
            let Some(&r) = self.nodes.live().get(k) else {
                continue;
            };
            let Some(h) = self.nodes.hot(r) else { continue };
            if r == self.myself || h.has(NodeFlags::PFAIL) {
                continue;
            }
            if h.flags.intersects(NodeFlags::HANDSHAKE | NodeFlags::NOADDR)
                || (!h.has_link() && self.slots.count_of(r) == 0)
            {
                freshnodes -= 1;
                continue;
            }
            if !picked.insert(r) {
                continue;
            }
            gossip.push(self.gossip_entry(&h));
            freshnodes -= 1;
        }
        if pfail_wanted > 0 {
            for (_, h) in self.nodes.iter_hot() {
                if h.flags.intersects(NodeFlags::HANDSHAKE | NodeFlags::NOADDR)
                    || !h.has(NodeFlags::PFAIL)
                {
                    continue;
                }
                gossip.push(self.gossip_entry(&h));
                pfail_wanted -= 1;
                if pfail_wanted == 0 {
                    break;
                }
            }
        }
        let mut header = self.build_header();
        let mut extensions = Vec::new();
        let hostname = &self.nodes[self.myself].hostname;
        if !hostname.is_empty() {
            extensions.push(PingExt::Hostname(hostname.as_bytes().to_vec()));
            header.mflags = header.mflags.union(MessageFlags::EXT_DATA);
        }
        let Some(payload) = Payload::ping_like(t, gossip, extensions) else {
            return;
        };
        self.send(link, &Message { header, payload });
    }

    /// `clusterBroadcastPong` to every linked node.
    pub(crate) fn broadcast_pong(&mut self) {
        let targets: Vec<LinkId> = self
            .nodes
            .iter()
            .filter(|(_, n)| !n.flags.intersects(NodeFlags::MYSELF | NodeFlags::HANDSHAKE))
            .filter_map(|(_, n)| n.link)
            .collect();
        for link in targets {
            self.send_ping(link, MsgType::PONG);
        }
    }

    /// `clusterSendUpdate`: tell the peer on `link` the slots `owner` holds, with its epoch.
    pub(crate) fn send_update(&mut self, link: LinkId, owner: NodeRef) {
        let mut slots = self.slots.slots_of(owner);
        for s in self.owner_not_claiming_slot.iter() {
            slots.remove(s);
        }
        let n = &self.nodes[owner];
        let msg = Message {
            header: self.build_header(),
            payload: Payload::Update {
                config_epoch: n.config_epoch,
                nodename: n.name,
                slots: Box::new(slots),
            },
        };
        self.send(link, &msg);
    }

    /// `clusterSendFail`.
    pub(crate) fn send_fail(&mut self, about: NodeRef) {
        let msg = Message {
            header: self.build_header(),
            payload: Payload::Fail {
                nodename: self.nodes[about].name,
            },
        };
        self.broadcast(&msg);
    }

    /// `clusterPropagatePublish`: send a PUBLISH to every linked node.
    pub fn publish(&mut self, channel: &[u8], message: &[u8]) {
        let msg = Message {
            header: self.build_header(),
            payload: Payload::Publish {
                channel: channel.to_vec(),
                message: message.to_vec(),
            },
        };
        self.broadcast(&msg);
    }

    /// `clusterPropagatePublish` for SPUBLISH: a PUBLISHSHARD to the nodes of my shard (my
    /// master or myself, and its replicas).
    pub fn publish_shard(&mut self, channel: &[u8], message: &[u8]) {
        let me = self.myself;
        let master = match (self.nodes[me].is_replica(), self.nodes[me].slaveof) {
            (true, Some(m)) => m,
            _ => me,
        };
        let mut shard = vec![master];
        shard.extend(self.nodes[master].slaves.iter().copied());
        let msg = Message {
            header: self.build_header(),
            payload: Payload::PublishShard {
                channel: channel.to_vec(),
                message: message.to_vec(),
            },
        };
        for r in shard {
            if r == me {
                continue;
            }
            if let Some(link) = self.nodes.get(r).and_then(|n| n.link) {
                self.send(link, &msg);
            }
        }
    }

    /// `clusterProcessGossipSection`. `sender` is the known sender, `None` for a MEET from an
    /// unknown node (then only known nodes are updated).
    ///
    /// An entry about a known, healthy node (the common case) is decided from the node's hot
    /// record alone: its flags, whether it holds failure reports, and its ping and pong times.
    pub(crate) fn process_gossip(&mut self, sender: Option<NodeRef>, gossip: GossipSection<'_>) {
        let sender_is_master = sender.is_some_and(|s| self.nodes[s].is_master());
        self.nodes.sync();
        // Every name is looked up first, after its index line and record were loaded in loops
        // of independent loads (`touch_lookups`): the processor overlaps those cache misses
        // instead of taking two in a row per entry. Processing never removes or renames a
        // node, so a found handle stays right; a name not found is looked up again (an
        // earlier entry of the same section may have added it).
        self.nodes
            .touch_lookups(gossip.iter().map(|g| g.nodename()));
        let found: SmallVec<[Option<NodeRef>; 128]> = gossip
            .iter()
            .map(|g| self.nodes.lookup(&g.nodename()))
            .collect();
        for (g, found) in gossip.iter().zip(found) {
            let flags = g.flags();
            let nodename = g.nodename();
            let reported_failing = flags.intersects(NodeFlags::FAIL | NodeFlags::PFAIL);
            match found.or_else(|| self.nodes.lookup(&nodename)) {
                Some(r) => {
                    let Some(mut h) = self.nodes.hot(r) else {
                        continue;
                    };
                    if let (Some(s), true) = (sender, sender_is_master) {
                        if r != self.myself {
                            if reported_failing {
                                if self.add_failure_report(r, s) {
                                    self.log(
                                        LogLevel::Verbose,
                                        format!(
                                            "Node {} reported node {} as not reachable.",
                                            self.nodes[s].name, nodename
                                        ),
                                    );
                                }
                                self.mark_node_as_failing_if_needed(r);
                                h = self.nodes.hot(r).unwrap_or(h);
                            } else if h.has_fail_reports() {
                                // (No report held: nothing to delete, none to expire.)
                                if self.del_failure_report(r, s) {
                                    self.log(
                                        LogLevel::Verbose,
                                        format!(
                                            "Node {} reported node {} is back online.",
                                            self.nodes[s].name, nodename
                                        ),
                                    );
                                }
                                h = self.nodes.hot(r).unwrap_or(h);
                            }
                        }
                    }
                    // Adopt a newer pong time from a healthy report.
                    if !reported_failing
                        && h.ping_sent().is_none()
                        && (!h.has_fail_reports() || self.failure_reports_count(r) == 0)
                    {
                        let wall = i64::from(g.pong_received()) * 1000;
                        let mono = wall - self.wall_offset;
                        if wall <= self.now_ms + self.wall_offset + 500
                            && h.pong_received().is_none_or_less(mono)
                        {
                            self.nodes.set_pong_received(r, Some(mono));
                        }
                    }
                    // A failing node seen healthy elsewhere at another address: adopt it.
                    // The ip's text only for a failing node: most entries are healthy ones.
                    if !h.is_failing()
                        || flags.intersects(NodeFlags::NOADDR | NodeFlags::FAIL | NodeFlags::PFAIL)
                        || r == self.myself
                    {
                        continue;
                    }
                    let n = &self.nodes[r];
                    let gip = g.ip().to_string();
                    if !n.ip().eq_ignore_ascii_case(&gip)
                        || n.port != g.port()
                        || n.cport != g.cport()
                    {
                        if let Some(l) = n.link {
                            self.free_link(l);
                        }
                        let n = &mut self.nodes[r];
                        n.set_ip(gip);
                        n.port = g.port();
                        n.pport = g.pport();
                        n.cport = g.cport();
                        n.clear(NodeFlags::NOADDR);
                    }
                }
                None => {
                    // Ref: only a known sender introduces new nodes, never a banned one.
                    if sender.is_some()
                        && !flags.contains(NodeFlags::NOADDR)
                        && !self.blacklisted(&nodename)
                    {
                        let mut n = ClusterNode::new(nodename, flags, self.now_ms);
                        n.set_ip(g.ip().to_string());
                        n.port = g.port();
                        n.pport = g.pport();
                        n.cport = g.cport();
                        // Our own view starts clean: MYSELF never comes from another node.
                        n.clear(NodeFlags::MYSELF);
                        self.nodes.insert(n);
                        self.todo.save = true;
                    }
                }
            }
        }
    }

    /// `clusterNodeAddFailureReport`: `true` if the report is new.
    pub(crate) fn add_failure_report(&mut self, failing: NodeRef, sender: NodeRef) -> bool {
        let now = self.now_ms;
        let n = &mut self.nodes[failing];
        if let Some(fr) = n.fail_reports.iter_mut().find(|f| f.node == sender) {
            fr.time = now;
            return false;
        }
        n.fail_reports.push(FailReport {
            node: sender,
            time: now,
        });
        true
    }

    /// `clusterNodeDelFailureReport`: `true` if there was one.
    pub(crate) fn del_failure_report(&mut self, failing: NodeRef, sender: NodeRef) -> bool {
        self.cleanup_failure_reports(failing);
        let n = &mut self.nodes[failing];
        let before = n.fail_reports.len();
        n.fail_reports.retain(|f| f.node != sender);
        n.fail_reports.len() != before
    }

    /// Drop reports older than `2 × node_timeout`.
    pub(crate) fn cleanup_failure_reports(&mut self, r: NodeRef) {
        let maxtime = self.config.timeout() * 2;
        let now = self.now_ms;
        self.nodes[r]
            .fail_reports
            .retain(|f| now - f.time <= maxtime);
    }

    /// `clusterNodeFailureReportsCount`, after dropping stale reports.
    pub(crate) fn failure_reports_count(&mut self, r: NodeRef) -> usize {
        self.cleanup_failure_reports(r);
        self.nodes[r].fail_reports.len()
    }
}

/// `Option<i64>` compared as Redis compares a 0-means-never time.
trait NoneOrLess {
    fn is_none_or_less(&self, v: i64) -> bool;
}

impl NoneOrLess for Option<i64> {
    fn is_none_or_less(&self, v: i64) -> bool {
        match *self {
            None => true,
            Some(t) => t < v,
        }
    }
}

/// The slab indexes already in a gossip section: a bitmap grown as needed (a cluster of 1,000
/// nodes needs 16 words), so "already picked?" is one bit test, not a scan of the section.
#[derive(Debug, Default)]
struct Picked(Vec<u64>);

impl Picked {
    /// Room for slab indexes below `n` without growing.
    fn with_capacity(n: usize) -> Self {
        Picked(vec![0; n.div_ceil(64)])
    }

    /// Record `r`; `false` if it was already recorded.
    fn insert(&mut self, r: NodeRef) -> bool {
        let i = r.index() as usize;
        let (w, bit) = (i / 64, 1u64 << (i % 64));
        if w >= self.0.len() {
            self.0.resize(w + 1, 0);
        }
        let new = self.0[w] & bit == 0;
        self.0[w] |= bit;
        new
    }
}
