//! Bus links (Redis's `clusterLink`): the driver inputs for connections, the read loop, and
//! freeing links.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use hashslot_bus::{decode_lazy_with, Disposition, Limits, MsgType, NodeFlags};
use hashslot_slots::NodeRef;
use hashslot_types::{IntHasher, LinkId, Now};

use crate::{Cluster, LogLevel, Output};

/// Outbound link ids chosen by the cluster have the top bit set; accepted ones never do.
pub const OUTBOUND_LINK_BIT: u64 = 1 << 63;

/// Receive buffers above this are a peer misbehaving: the link is closed.
const MAX_RCVBUF: usize = 64 << 20;

/// The bus links by id. Each received message looks its link up (a big cluster's node has
/// thousands of links, where a search tree costs a dozen scattered compares). Never iterated,
/// so its order cannot leak into outputs.
pub(crate) type LinkMap = HashMap<LinkId, Link, BuildHasherDefault<IntHasher>>;

/// One bus connection.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    /// The node this link belongs to: set at creation for outbound links, once the sender is
    /// known for inbound ones.
    pub node: Option<NodeRef>,
    /// Accepted (the peer opened it).
    pub inbound: bool,
    /// Connected (always true for inbound links).
    pub connected: bool,
    /// Creation time (monotonic ms).
    pub ctime: i64,
    /// Bytes received, not yet a whole message.
    pub rcvbuf: Vec<u8>,
    /// Messages queued before the connection completed.
    pub pending: Vec<Bytes>,
    /// The peer's address: the accepted connection's, or the one an outbound link connects to.
    pub peer: Option<SocketAddr>,
    /// Our address on this connection.
    pub local: Option<SocketAddr>,
    /// Bytes queued in total, for CLUSTER LINKS.
    pub send_bytes: u64,
}

impl Link {
    fn new(node: Option<NodeRef>, inbound: bool, ctime: i64) -> Self {
        Link {
            node,
            inbound,
            connected: inbound,
            ctime,
            rcvbuf: Vec::new(),
            pending: Vec::new(),
            peer: None,
            local: None,
            send_bytes: 0,
        }
    }
}

/// An ip as Redis prints it: IPv4-mapped IPv6 addresses as plain IPv4.
pub(crate) fn ip_text(ip: IpAddr) -> String {
    let mut t = IpText::default();
    t.write_ip(ip);
    t.as_str().to_owned()
}

/// [`ip_text`] written into a buffer on the stack (an IPv6 text is at most 45 bytes).
#[derive(Debug)]
pub(crate) struct IpText {
    buf: [u8; 64],
    len: usize,
}

impl Default for IpText {
    fn default() -> Self {
        IpText {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl IpText {
    /// Write `ip` as [`ip_text`] does.
    pub(crate) fn write_ip(&mut self, ip: IpAddr) {
        use std::fmt::Write;
        self.len = 0;
        let _ = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => write!(self, "{v4}"),
                None => write!(self, "{v6}"),
            },
            IpAddr::V4(v4) => write!(self, "{v4}"),
        };
    }

    /// The text written.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for IpText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Cluster {
    /// The driver accepted a bus connection and named it `link`; `local` is our address on it.
    pub fn handle_link_accepted(
        &mut self,
        now: Now,
        link: LinkId,
        peer: SocketAddr,
        local: SocketAddr,
    ) {
        self.tick(now);
        let mut l = Link::new(None, true, self.now_ms);
        l.peer = Some(peer);
        l.local = Some(local);
        self.links.insert(link, l);
        self.log(
            LogLevel::Verbose,
            format!(
                "Accepting cluster node connection from {}:{}",
                ip_text(peer.ip()),
                peer.port()
            ),
        );
        self.before_sleep(now);
    }

    /// An outbound link asked for with [`Output::Connect`] is connected
    /// (`clusterLinkConnectHandler`): send MEET or PING, keeping an older pending ping time.
    pub fn handle_link_connected(&mut self, now: Now, link: LinkId, local: SocketAddr) {
        self.tick(now);
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        l.connected = true;
        l.local = Some(local);
        let pending = std::mem::take(&mut l.pending);
        let node = l.node;
        if let Some(r) = node {
            let meet = self.nodes[r].has(NodeFlags::MEET);
            let old_ping_sent = self.nodes.ping_sent(r);
            let t = if meet { MsgType::MEET } else { MsgType::PING };
            self.send_ping(link, t);
            if old_ping_sent.is_some() {
                self.nodes.set_ping_sent(r, old_ping_sent);
            }
            self.nodes[r].clear(NodeFlags::MEET);
            let (ip, cport) = (self.nodes[r].ip().to_owned(), self.nodes[r].cport);
            self.log(
                LogLevel::Debug,
                format!(
                    "Connecting with Node {} at {ip}:{cport}",
                    self.nodes[r].name
                ),
            );
        }
        for data in pending {
            self.outputs.push_back(Output::Send { link, data });
        }
        self.before_sleep(now);
    }

    /// Bytes arrived on a link: process every whole message; a stream that is not a bus stream
    /// closes the link, a message that does not validate is skipped (both counted).
    pub fn handle_link_data(&mut self, now: Now, link: LinkId, data: &[u8]) {
        self.tick(now);
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        // Decode straight from `data` when nothing is buffered (the common case): no copy,
        // and an idle link keeps no buffer (a big cluster has thousands of links per node).
        let owned: Option<Vec<u8>> = if l.rcvbuf.is_empty() {
            None
        } else {
            l.rcvbuf.extend_from_slice(data);
            Some(std::mem::take(&mut l.rcvbuf))
        };
        let buf: &[u8] = owned.as_deref().unwrap_or(data);
        let mut pos = 0;
        let mut alive = true;
        while alive {
            // The gossip entries stay in `buf`, read in place by `process_gossip`.
            match decode_lazy_with(&buf[pos..], &Limits::default()) {
                Ok(Some((msg, gossip, used))) => {
                    pos += used;
                    alive = self.process_packet(now, link, msg, gossip);
                }
                Ok(None) => break,
                Err(e) => {
                    match e.disposition() {
                        Disposition::Skip { len } => {
                            self.stats.bad_messages_skipped += 1;
                            if let hashslot_bus::BusError::LengthMismatch { msg_type, .. } = e {
                                self.count_received(msg_type);
                            }
                            self.log(
                                LogLevel::Warning,
                                format!("Dropping cluster bus message: {e}"),
                            );
                            if buf.len() - pos < len {
                                // Not all of it arrived yet: wait for the rest, then skip it.
                                break;
                            }
                            pos += len;
                        }
                        Disposition::CloseLink => {
                            self.stats.bad_links_closed += 1;
                            self.log(
                            LogLevel::Warning,
                            format!("Bad message length or signature received from Cluster bus. ({e})"),
                        );
                            self.free_link(link);
                            alive = false;
                        }
                    }
                }
            }
        }
        if alive {
            if let Some(l) = self.links.get_mut(&link) {
                let rest = buf.len() - pos;
                if rest > MAX_RCVBUF {
                    self.free_link(link);
                } else if rest == 0 {
                    l.rcvbuf = Vec::new();
                } else {
                    l.rcvbuf = match owned {
                        // Nothing consumed: keep the buffer as it is (no copy per segment).
                        Some(v) if pos == 0 => v,
                        _ => buf[pos..].to_vec(),
                    };
                }
            }
        }
        self.before_sleep(now);
    }

    /// A link closed, failed, or could not connect.
    pub fn handle_link_closed(&mut self, now: Now, link: LinkId) {
        self.tick(now);
        if let Some(l) = self.links.get(&link) {
            if !l.inbound && !l.connected {
                // Connect failed: claim a ping was sent so failure detection runs
                // (`clusterNodeCronHandleReconnect` does so on a synchronous connect error).
                if let Some(r) = l.node {
                    if self.nodes.get(r).is_some() && self.nodes.ping_sent(r).is_none() {
                        self.nodes.set_ping_sent(r, Some(self.now_ms));
                    }
                }
            }
            self.drop_link(link);
        }
        self.before_sleep(now);
    }

    /// Forget `link` and detach it from its node, without telling the driver.
    fn drop_link(&mut self, link: LinkId) {
        if let Some(l) = self.links.remove(&link) {
            if let Some(n) = l.node.and_then(|r| self.nodes.get_mut(r)) {
                if n.link == Some(link) {
                    n.link = None;
                } else if n.inbound_link == Some(link) {
                    n.inbound_link = None;
                }
            }
        }
    }

    /// `freeClusterLink`: close it and detach it from its node.
    pub(crate) fn free_link(&mut self, link: LinkId) {
        if self.links.contains_key(&link) {
            self.drop_link(link);
            self.outputs.push_back(Output::Close { link });
        }
    }

    /// Open an outbound link to node `r` (at its ip and bus port); `false` if its address is
    /// not connectable.
    pub(crate) fn connect_node(&mut self, r: NodeRef) -> bool {
        let n = &self.nodes[r];
        let Ok(ip) = n.ip().parse::<IpAddr>() else {
            return false;
        };
        let addr = SocketAddr::new(ip, n.cport);
        self.next_link += 1;
        let link = LinkId(OUTBOUND_LINK_BIT | self.next_link);
        // The address we connect to is the link's peer, as the connection's own address is
        // in Redis: a PONG without `myip` on this link must not blank the node's ip.
        let mut l = Link::new(Some(r), false, self.now_ms);
        l.peer = Some(addr);
        self.links.insert(link, l);
        self.nodes[r].link = Some(link);
        self.outputs.push_back(Output::Connect { link, addr });
        true
    }

    /// `setClusterNodeToInboundClusterLink`.
    pub(crate) fn bind_inbound(&mut self, r: NodeRef, link: LinkId) {
        let old = self.nodes[r].inbound_link;
        if old == Some(link) {
            return;
        }
        if let Some(old) = old {
            self.log(
                LogLevel::Debug,
                format!("Replacing the inbound link of node {}", self.nodes[r].name),
            );
            self.free_link(old);
        }
        self.nodes[r].inbound_link = Some(link);
        if let Some(l) = self.links.get_mut(&link) {
            l.node = Some(r);
        }
    }
}
