//! The network: TCP links as two in-order byte streams, with latency, retransmission delays,
//! segmentation, resets, refused connects, and cut or held paths between nodes.
//!
//! TCP is modelled faithfully: bytes of a live direction arrive in order, exactly once. A cut
//! path (`Drop`) turns every link direction that tries to cross it into a zombie that delivers
//! nothing more, and TCP gives up on that link after a drawn delay (both ends see the close).
//! A held path (`Hold`) queues bytes and delivers them, in order, when released (TCP
//! retransmission after a transient outage).

use std::net::SocketAddr;

use bytes::Bytes;
use hashslot_node::ClientAddr;
use hashslot_types::{ConnId, LinkId};

use crate::faults::{between, unit};
use crate::host::node_addr;
use crate::sim::{Ev, Sim, Time, MS};

/// What happens to bytes on a directed path between two nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathState {
    /// Bytes are queued and delivered when the path is released.
    Hold,
    /// Bytes are dropped; links crossing the path die after TCP gives up.
    Drop,
}

/// One end of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Bus {
        node: usize,
        link: LinkId,
    },
    Conn {
        node: usize,
        conn: ConnId,
    },
    Admin {
        node: usize,
    },
    Client {
        client: usize,
    },
    /// A node's outbound client-protocol connection (replication, MIGRATE).
    Out {
        node: usize,
        kind: crate::outbound::OutKind,
        id: u64,
    },
}

impl End {
    pub(crate) fn node(self) -> Option<usize> {
        match self {
            End::Bus { node, .. } | End::Conn { node, .. } | End::Out { node, .. } => Some(node),
            _ => None,
        }
    }
}

/// A TCP connection: side 0 connected to side 1.
#[derive(Debug)]
pub(crate) struct Link {
    pub ends: [End; 2],
    pub open: [bool; 2],
    /// The arrival time of the last bytes sent by each side (arrivals stay in order).
    pub last: [Time; 2],
    /// Directions whose bytes are dropped from now on.
    pub dead: [bool; 2],
    pub held: [Vec<Bytes>; 2],
    /// TCP's give-up is already scheduled.
    pub doomed: bool,
}

impl Link {
    pub fn side_of_node(&self, i: usize) -> usize {
        usize::from(self.ends[0].node() != Some(i))
    }
}

/// A link id as the trace prints it: `Lo<n>` for node-chosen (outbound) ids, `L<n>` for
/// the simulator's accepted ones.
pub(crate) struct Lid(pub LinkId);

impl std::fmt::Display for Lid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const TOP: u64 = 1 << 63;
        match self.0 .0 {
            id if id & TOP != 0 => write!(f, "Lo{}", id & !TOP),
            id => write!(f, "L{id}"),
        }
    }
}

fn ephemeral(id: u64) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 20000 + (id % 40000) as u16))
}

impl Sim {
    pub(crate) fn latency(&mut self) -> Time {
        let f = &self.cfg.faults;
        let (range, tail, rtx) = (f.latency_us, f.latency_tail, f.retransmit);
        let mut us = between(&mut self.rng, range);
        if tail > 0.0 && unit(&mut self.rng) < tail {
            us *= 10;
        }
        if rtx > 0.0 && unit(&mut self.rng) < rtx {
            us += between(&mut self.rng, (200_000, 1_000_000));
        }
        us * 1_000
    }

    fn give_up(&mut self) -> Time {
        self.draw_ms(self.cfg.faults.tcp_give_up_ms)
    }

    /// The state of the directed path `a → b` (both nodes), `None` when open.
    pub(crate) fn path(&self, a: Option<usize>, b: Option<usize>) -> Option<PathState> {
        self.paths.get(&(a?, b?)).copied()
    }

    fn link_cut(&self, l: usize) -> bool {
        let [a, b] = self.links[l].ends.map(End::node);
        self.path(a, b) == Some(PathState::Drop) || self.path(b, a) == Some(PathState::Drop)
    }

    pub(crate) fn new_link(&mut self, ends: [End; 2], t1: Time) -> usize {
        self.links.push(Link {
            ends,
            open: [true; 2],
            last: [t1; 2],
            dead: [false; 2],
            held: [Vec::new(), Vec::new()],
            doomed: false,
        });
        self.links.len() - 1
    }

    /// Node `i` asked to connect its bus link `link` to `addr`.
    pub(crate) fn net_connect(&mut self, i: usize, inc: u32, link: LinkId, addr: SocketAddr) {
        let j = usize::from(addr.port().wrapping_sub(17000));
        let lat = self.latency();
        let refused = j >= self.hosts.len() || j == i || !self.is_up(j);
        let p = self.cfg.faults.connect_fail;
        if refused || (p > 0.0 && unit(&mut self.rng) < p) {
            self.push(self.now + 2 * lat, Ev::ConnectFailed { node: i, inc, link });
            return;
        }
        if self.path(Some(i), Some(j)).is_some() || self.path(Some(j), Some(i)).is_some() {
            let t = self.now + self.give_up();
            self.push(t, Ev::ConnectFailed { node: i, inc, link });
            return;
        }
        let acc = LinkId(self.fresh_id());
        let l = self.new_link(
            [End::Bus { node: i, link }, End::Bus { node: j, link: acc }],
            self.now + lat,
        );
        self.bus_map.insert((i, link), l);
        self.push(self.now + lat, Ev::Accept { link: l });
    }

    /// A client (side 0) connects to node `node`'s client port; `None` when refused.
    pub(crate) fn client_connect(&mut self, end: End, node: usize) -> Option<usize> {
        if !self.is_up(node) {
            return None;
        }
        let conn = ConnId(self.fresh_id());
        let lat = self.latency();
        let l = self.new_link([end, End::Conn { node, conn }], self.now + lat);
        self.push(self.now + lat, Ev::Accept { link: l });
        Some(l)
    }

    pub(crate) fn accept(&mut self, l: usize) {
        if !self.links[l].open[0] {
            self.links[l].open[1] = false;
            return;
        }
        let end = self.links[l].ends[1];
        let j = end.node().expect("accepting side is a node");
        if !self.is_up(j) {
            self.links[l].open[1] = false;
            let t = self.now + self.latency();
            self.push(t, Ev::Closed { link: l, side: 0 });
            return;
        }
        let now = self.hosts[j].now(self.now);
        let peer = ephemeral(l as u64);
        let node = self.hosts[j].node.as_mut().expect("up");
        match end {
            End::Bus { link, .. } => {
                let from = self.links[l].ends[0].node().unwrap_or(usize::MAX);
                self.trace.record(
                    self.now,
                    format_args!("n{j}"),
                    format_args!("acc {} n{from}", Lid(link)),
                );
                node.handle_bus_accept(now, link, peer, node_addr(j, true));
                self.bus_map.insert((j, link), l);
                let t = self.now + self.latency();
                self.push(t, Ev::Connected { link: l });
            }
            End::Conn { conn, .. } => {
                let addr = ClientAddr {
                    peer,
                    local: node_addr(j, false),
                    fd: -1,
                };
                node.handle_accept(now, conn, addr);
                self.conn_map.insert((j, conn), l);
                if matches!(self.links[l].ends[0], End::Out { .. }) {
                    let t = self.now + self.latency();
                    self.push(t, Ev::Connected { link: l });
                }
            }
            _ => unreachable!("side 1 is a node"),
        }
        self.drain(j);
    }

    pub(crate) fn connected(&mut self, l: usize) {
        if !self.links[l].open[0] {
            return;
        }
        let (i, link) = match self.links[l].ends[0] {
            End::Bus { node, link } => (node, link),
            End::Out { node, kind, id } => return self.out_connected(node, kind, id),
            _ => return,
        };
        let now = self.hosts[i].now(self.now);
        self.trace.record(
            self.now,
            format_args!("n{i}"),
            format_args!("con {}", Lid(link)),
        );
        if let Some(n) = self.hosts[i].node.as_mut() {
            n.handle_bus_connected(now, link, ephemeral(l as u64));
        }
        self.drain(i);
    }

    /// Side `side` writes `data`.
    pub(crate) fn net_send(&mut self, l: usize, side: usize, data: Bytes) {
        if !self.links[l].open[side] || data.is_empty() {
            return;
        }
        if let End::Bus { node, .. } = self.links[l].ends[side] {
            self.hosts[node].bus_sent += data.len() as u64;
        }
        let f = &self.cfg.faults;
        let (reset, split) = (f.reset, f.split);
        let bus = matches!(self.links[l].ends[0], End::Bus { .. } | End::Out { .. });
        if bus && reset > 0.0 && unit(&mut self.rng) < reset {
            self.trace
                .record(self.now, format_args!("net"), format_args!("rst L{l}"));
            self.net_reset(l);
            return;
        }
        let at = (self.now + self.latency()).max(self.links[l].last[side]);
        self.links[l].last[side] = at;
        if split > 0.0 && data.len() > 1 && unit(&mut self.rng) < split {
            let k = 1 + self.rng.below(data.len() as u64 - 1) as usize;
            self.push(
                at,
                Ev::Deliver {
                    link: l,
                    dir: side,
                    data: data.slice(..k),
                },
            );
            self.push(
                at,
                Ev::Deliver {
                    link: l,
                    dir: side,
                    data: data.slice(k..),
                },
            );
        } else {
            self.push(
                at,
                Ev::Deliver {
                    link: l,
                    dir: side,
                    data,
                },
            );
        }
    }

    /// Side `side` closes (or its process died): the other side learns it after the bytes
    /// already sent, or when TCP gives up if the path is cut.
    pub(crate) fn net_close(&mut self, l: usize, side: usize) {
        self.links[l].open[side] = false;
        let other = 1 - side;
        if !self.links[l].open[other] {
            return;
        }
        let at = if self.link_cut(l) || self.links[l].dead[side] {
            self.now + self.give_up()
        } else {
            (self.now + self.latency()).max(self.links[l].last[side])
        };
        self.push(
            at,
            Ev::Closed {
                link: l,
                side: other,
            },
        );
    }

    /// The link breaks: both ends see a close.
    pub(crate) fn net_reset(&mut self, l: usize) {
        for s in 0..2 {
            if self.links[l].open[s] {
                let t = self.now + self.latency();
                self.push(t, Ev::Closed { link: l, side: s });
            }
        }
    }

    pub(crate) fn deliver(&mut self, l: usize, dir: usize, data: Bytes) {
        let r = 1 - dir;
        let link = &self.links[l];
        if !link.open[r] || link.dead[dir] {
            return;
        }
        let (a, b) = (link.ends[dir].node(), link.ends[r].node());
        match self.path(a, b) {
            Some(PathState::Drop) => {
                self.links[l].dead[dir] = true;
                self.trace
                    .record(self.now, format_args!("net"), format_args!("zombie L{l}"));
                if !self.links[l].doomed {
                    self.links[l].doomed = true;
                    let t = self.now + self.give_up();
                    self.push(t, Ev::Closed { link: l, side: 0 });
                    self.push(t, Ev::Closed { link: l, side: 1 });
                }
            }
            Some(PathState::Hold) => self.links[l].held[dir].push(data),
            None if !self.links[l].held[dir].is_empty() => self.links[l].held[dir].push(data),
            None => self.hand(l, r, &data),
        }
    }

    /// Release held bytes of every direction whose path is no longer held.
    pub(crate) fn release_held(&mut self) {
        for l in 0..self.links.len() {
            for dir in 0..2 {
                let link = &self.links[l];
                if !link.held[dir].is_empty()
                    && self.path(link.ends[dir].node(), link.ends[1 - dir].node())
                        != Some(PathState::Hold)
                {
                    self.push(self.now, Ev::Flush { link: l, dir });
                }
            }
        }
    }

    pub(crate) fn flush(&mut self, l: usize, dir: usize) {
        let held = std::mem::take(&mut self.links[l].held[dir]);
        for data in held {
            if self.links[l].open[1 - dir] && !self.links[l].dead[dir] {
                self.hand(l, 1 - dir, &data);
            }
        }
    }

    /// Give `data` to side `r` of link `l`.
    fn hand(&mut self, l: usize, r: usize, data: &[u8]) {
        match self.links[l].ends[r] {
            end @ (End::Bus { node, .. } | End::Conn { node, .. } | End::Out { node, .. }) => {
                self.local(node, |n| n.read(end, data))
            }
            End::Admin { node } => self.admins[node].buf.extend_from_slice(data),
            End::Client { client } => self.client_data(client, l, data),
        }
    }

    pub(crate) fn closed(&mut self, l: usize, side: usize) {
        if !self.links[l].open[side] {
            return;
        }
        self.links[l].open[side] = false;
        match self.links[l].ends[side] {
            End::Bus { node, link } => {
                if self.bus_map.remove(&(node, link)).is_none() {
                    return;
                }
                let now = self.hosts[node].now(self.now);
                self.trace.record(
                    self.now,
                    format_args!("n{node}"),
                    format_args!("cls {}", Lid(link)),
                );
                if let Some(n) = self.hosts[node].node.as_mut() {
                    n.handle_bus_closed(now, link);
                }
                self.drain(node);
            }
            End::Conn { node, conn } => {
                if self.conn_map.remove(&(node, conn)).is_none() {
                    return;
                }
                let now = self.hosts[node].now(self.now);
                self.trace.record(
                    self.now,
                    format_args!("n{node}"),
                    format_args!("ccl C{}", conn.0),
                );
                if let Some(n) = self.hosts[node].node.as_mut() {
                    n.handle_closed(now, conn);
                }
                self.drain(node);
            }
            End::Admin { node } => {
                if self.admins[node].link == Some(l) {
                    self.admins[node].link = None;
                }
            }
            End::Client { client } => self.client_closed(client, l),
            End::Out { node, kind, id } => {
                if self.out_map.get(&(node, kind, id)) == Some(&l) {
                    self.local(node, |n| n.out_lost(kind, id));
                }
            }
        }
        let _ = MS;
    }
}
