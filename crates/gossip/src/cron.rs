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

        // Reconnects and handshake timeouts (`links_visit`), then, after the random ping of
        // every 10th run, the ping schedule and PFAIL (`liveness_visit`), as Redis's two walks.
        // Redis visits every node; a node whose visit would do nothing (a link, no pending
        // ping, a pong younger than half the timeout: nearly all of them in a big cluster) is
        // skipped here, since the node table schedules when each node may next need one
        // (`cron_due`, see `cron_schedule`): the nodes visited, and their order, are those
        // whose visits do something in Redis's walks. A visit changes only the node visited,
        // so the set does not change during a walk. On the other 9 runs of 10 nothing runs
        // between the walks, so one walk does both. A node's first visit decides nothing
        // about another node; the only difference from two walks is what a ping sent during
        // the walk may pick for its gossip section while a later node's reconnect or
        // handshake timeout has not run yet. The PFAIL count the first walk took is kept by
        // the table (`pfail_count`).
        self.nodes.set_cron_half_timeout(timeout / 2);
        self.nodes.sync();
        self.stats_pfail_nodes = self.nodes.pfail_count();
        let mut update_state = false;
        let mut newly_pfail = Vec::new();
        let ctx = CronCtx {
            timeout,
            handshake_timeout,
        };
        if self.iteration % 10 != 0 {
            for r in self.nodes.cron_due(self.now_ms) {
                if self.links_visit(r, &ctx) {
                    self.liveness_visit(r, &ctx, &mut update_state, &mut newly_pfail);
                }
            }
        } else {
            for r in self.nodes.cron_due(self.now_ms) {
                self.links_visit(r, &ctx);
            }
            self.ping_oldest_of_five();
            for r in self.nodes.cron_due(self.now_ms) {
                self.liveness_visit(r, &ctx, &mut update_state, &mut newly_pfail);
            }
        }
        for r in newly_pfail {
            self.spread_pfail(r);
        }
        if update_state || !self.state_ok {
            self.update_state(now);
        }
        self.failover_cron(now);
    }

    /// The first walk's visit of `r`: handshake timeout, reconnect. `false` when `r` was
    /// deleted.
    fn links_visit(&mut self, r: NodeRef, ctx: &CronCtx) -> bool {
        let Some(h) = self.nodes.hot(r) else {
            return false;
        };
        if h.flags.intersects(NodeFlags::MYSELF | NodeFlags::NOADDR) {
            return true;
        }
        if h.has(NodeFlags::HANDSHAKE) && self.now_ms - self.nodes[r].ctime > ctx.handshake_timeout
        {
            let name = h.name;
            self.log(
                LogLevel::Verbose,
                format!("Handshake with node {name} timed out"),
            );
            self.del_node(r);
            return false;
        }
        if !h.has_link() && !self.connect_node(r) && h.ping_sent().is_none() {
            // Not connectable (no ip): failure detection still needs a pending ping.
            self.nodes.set_ping_sent(r, Some(self.now_ms));
        }
        true
    }

    /// Every 10th run: ping the node with the oldest pong among 5 random ones.
    fn ping_oldest_of_five(&mut self) {
        let mut min: Option<(NodeRef, Option<i64>)> = None;
        for _ in 0..5 {
            let live = self.nodes.live();
            let r = live[self.rng.below(live.len() as u64) as usize];
            let Some(h) = self.nodes.hot(r) else { continue };
            if !h.has_link()
                || h.ping_sent().is_some()
                || h.flags.intersects(NodeFlags::MYSELF | NodeFlags::HANDSHAKE)
            {
                continue;
            }
            if min.is_none_or_older(h.pong_received()) {
                min = Some((r, h.pong_received()));
            }
        }
        if let Some((r, _)) = min {
            if let Some(link) = self.nodes[r].link {
                self.send_ping(link, MsgType::PING);
            }
        }
    }

    /// The second walk's visit of `r`: ping a node whose pong is old, drop a link that does
    /// not answer, flag PFAIL.
    fn liveness_visit(
        &mut self,
        r: NodeRef,
        ctx: &CronCtx,
        update_state: &mut bool,
        newly_pfail: &mut Vec<NodeRef>,
    ) {
        let timeout = ctx.timeout;
        let Some(h) = self.nodes.hot(r) else { return };
        if h.flags
            .intersects(NodeFlags::MYSELF | NodeFlags::NOADDR | NodeFlags::HANDSHAKE)
        {
            return;
        }
        // A healthy node with a recent pong and no pending ping: nothing to do (the
        // common case, decided from the hot record alone).
        let ping_sent = h.ping_sent();
        if ping_sent.is_none() && (!h.has_link() || self.since(h.pong_received()) <= timeout / 2) {
            return;
        }
        // A link that got no answer for half the timeout is closed and reopened.
        if let (Some(link), true) = (self.nodes[r].link, ping_sent.is_some()) {
            if self.since(ping_sent) > timeout / 2
                && self.since(self.nodes[r].data_received) > timeout / 2
                && self.links.get(&link).map_or(0, |l| self.now_ms - l.ctime) > timeout
            {
                self.free_link(link);
            }
        }
        let n = &self.nodes[r];
        if let (Some(link), None) = (n.link, ping_sent) {
            if self.since(h.pong_received()) > timeout / 2 {
                self.send_ping(link, MsgType::PING);
                return;
            }
        }
        let Some(ping_sent) = ping_sent else {
            return;
        };
        if is_unreachable(self.now_ms, timeout, ping_sent, n.data_received) && !n.is_failing() {
            let name = n.name;
            self.nodes[r].set(NodeFlags::PFAIL);
            // Counted now (not at the next run) so the gossip sent below carries it.
            self.stats_pfail_nodes += 1;
            self.log(LogLevel::Debug, format!("*** NODE {name} possibly failing"));
            *update_state = true;
            newly_pfail.push(r);
        }
    }

    /// A node just became PFAIL here. Improvement over Redis, which waits for the next gossip
    /// to mention it: (1) the failure reports other masters already sent are counted at once
    /// (`markNodeAsFailingIfNeeded`, so the last master to notice reaches the quorum in the
    /// same cron run); (2) if I am a master, my report goes at once to every other node in a
    /// PONG (PFAIL nodes are always in the gossip section), so the other masters hold it when
    /// they notice, and the failing master's replicas can count it. A PONG, not a PING: a PING
    /// would restart my failure-detection clock (`ping_sent`) of each receiver. Safety is
    /// unchanged: FAIL still needs the same majority of masters, each having seen the node
    /// unreachable for a node timeout; only the delay between noticing and agreeing shrinks.
    fn spread_pfail(&mut self, r: NodeRef) {
        self.mark_node_as_failing_if_needed(r);
        let me = self.myself;
        if !self.nodes[me].is_master() || self.nodes[r].has(NodeFlags::FAIL) {
            // A FAIL was just broadcast instead, or my report would not count.
            return;
        }
        let targets: Vec<_> = self
            .nodes
            .iter()
            .filter(|&(o, n)| {
                o != r && !n.flags.intersects(NodeFlags::MYSELF | NodeFlags::HANDSHAKE)
            })
            .filter_map(|(_, n)| n.link)
            .collect();
        for link in targets {
            self.send_ping(link, MsgType::PONG);
        }
    }
}

/// The cron's timeouts, for the walks' visits.
struct CronCtx {
    timeout: i64,
    handshake_timeout: i64,
}

/// Whether `n` has been unreachable for more than the node timeout: the pending ping (or the
/// failed reconnect, which counts as one) and the last packet of any kind are both older than
/// the timeout (Redis 7.0 `clusterCron`).
///
/// Counting only the silence since the last packet would flag a killed node up to
/// `timeout / 2` sooner, but it breaks the meaning of `cluster-node-timeout` ("the maximum
/// amount of time a node can be unavailable without being considered failing"): a healthy
/// node talks only every `timeout / 2`, so a network blip starting just before its next packet
/// would be flagged after `timeout / 2` of real unreachability. In the in-test network that
/// rule flagged a quarter of 0.7 × timeout partitions; this one flags none (see
/// `tests/pfail_needs_a_node_timeout_of_unreachability.rs`). After a kill -9 the links reset
/// and the reconnect is refused at once, which starts the clock without waiting for the ping
/// schedule.
fn is_unreachable(now: i64, timeout: i64, ping_sent: i64, data_received: Option<i64>) -> bool {
    let ping_delay = now - ping_sent;
    let data_delay = data_received.map_or(i64::MAX, |t| now - t);
    ping_delay.min(data_delay) > timeout
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
