//! `clusterCron`, every 100 ms: reconnects, handshake timeouts, the ping schedule, PFAIL.
//!
//! Ref: cluster spec §1.11 "Who sends what, and when", §3.1.

use hashslot_bus::{MsgType, NodeFlags};
use hashslot_slots::NodeRef;
use hashslot_types::Now;

use crate::{Cluster, LogLevel};

impl Cluster {
    pub(crate) fn cron(&mut self, now: Now) {
        self.iteration += 1;
        let timeout = self.config.timeout();
        let handshake_timeout = timeout.max(1000);
        let me = self.myself;

        // Reconnects and handshake timeouts.
        self.stats_pfail_nodes = 0;
        for r in self.nodes.refs() {
            let Some(n) = self.nodes.get(r) else { continue };
            if n.flags.intersects(NodeFlags::MYSELF | NodeFlags::NOADDR) {
                continue;
            }
            if n.has(NodeFlags::PFAIL) {
                self.stats_pfail_nodes += 1;
            }
            if n.in_handshake() && self.now_ms - n.ctime > handshake_timeout {
                let name = n.name;
                self.log(
                    LogLevel::Verbose,
                    format!("Handshake with node {name} timed out"),
                );
                self.del_node(r);
                continue;
            }
            if n.link.is_none() && !self.connect_node(r) {
                // Not connectable (no ip): failure detection still needs a pending ping.
                let n = &mut self.nodes[r];
                if n.ping_sent.is_none() {
                    n.ping_sent = Some(self.now_ms);
                }
            }
        }

        // Every 10th run: ping the node with the oldest pong among 5 random ones.
        if self.iteration % 10 == 0 {
            let refs = self.nodes.refs();
            let mut min: Option<(NodeRef, Option<i64>)> = None;
            for _ in 0..5 {
                let r = refs[self.rng.below(refs.len() as u64) as usize];
                let n = &self.nodes[r];
                if n.link.is_none()
                    || n.ping_sent.is_some()
                    || n.flags.intersects(NodeFlags::MYSELF | NodeFlags::HANDSHAKE)
                {
                    continue;
                }
                if min.is_none_or_older(n.pong_received) {
                    min = Some((r, n.pong_received));
                }
            }
            if let Some((r, _)) = min {
                if let Some(link) = self.nodes[r].link {
                    self.send_ping(link, MsgType::PING);
                }
            }
        }

        let mut update_state = false;
        for r in self.nodes.refs() {
            let Some(n) = self.nodes.get(r) else { continue };
            if n.flags
                .intersects(NodeFlags::MYSELF | NodeFlags::NOADDR | NodeFlags::HANDSHAKE)
            {
                continue;
            }
            let ping_delay = self.since(n.ping_sent);
            let data_delay = self.since(n.data_received);
            // A link that got no answer for half the timeout is closed and reopened.
            if let Some(link) = n.link {
                let link_age = self.links.get(&link).map_or(0, |l| self.now_ms - l.ctime);
                if link_age > timeout
                    && n.ping_sent.is_some()
                    && ping_delay > timeout / 2
                    && data_delay > timeout / 2
                {
                    self.free_link(link);
                }
            }
            let n = &self.nodes[r];
            if let (Some(link), None) = (n.link, n.ping_sent) {
                if self.since(n.pong_received) > timeout / 2 {
                    self.send_ping(link, MsgType::PING);
                    continue;
                }
            }
            if n.ping_sent.is_none() {
                continue;
            }
            let node_delay = ping_delay.min(data_delay);
            if node_delay > timeout && !n.is_failing() {
                let name = n.name;
                self.nodes[r].set(NodeFlags::PFAIL);
                self.log(LogLevel::Debug, format!("*** NODE {name} possibly failing"));
                update_state = true;
            }
        }
        let _ = me;
        if update_state || !self.state_ok {
            self.update_state(now);
        }
        self.failover_cron(now);
    }
}

trait OlderPong {
    fn is_none_or_older(&self, pong: Option<i64>) -> bool;
}

impl OlderPong for Option<(NodeRef, Option<i64>)> {
    /// Whether `pong` is older than the current minimum (never is oldest).
    fn is_none_or_older(&self, pong: Option<i64>) -> bool {
        match self {
            None => true,
            Some((_, cur)) => pong.unwrap_or(i64::MIN) < cur.unwrap_or(i64::MIN),
        }
    }
}
