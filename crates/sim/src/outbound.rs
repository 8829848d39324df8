//! A node's outbound client-protocol connections, carried over the simulated network: a
//! replica's link to its master (`Output::ReplConnect`/`ReplSend`/`ReplClose`) and MIGRATE's
//! connections to a target (`Output::MigrateConnect`/`MigrateSend`/`MigrateClose`).
//!
//! They are links like the bus's (same latency, loss, resets and partitions): the connecting
//! side is an [`End::Out`], the other side an ordinary client connection of the target node.
//! As the real server does (crates/server's `event_loop/outbound.rs`), a connection the node
//! closes is dropped without telling it; one that fails or is closed by the peer is reported
//! with `handle_repl_closed` / `handle_migrate_closed`. Bytes the node sends while the connect
//! is in flight follow the connect, in order.
//!
//! Addresses: node `j` is `127.0.0.1:7000+j` (or `localhost`); anything else is refused.

use hashslot_node::MigrateId;

use crate::faults::unit;
use crate::net::End;
use crate::sim::{Ev, Sim};

/// What an outbound connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum OutKind {
    /// A replica's link to its master.
    Repl,
    /// MIGRATE to a target node.
    Migrate,
}

impl OutKind {
    pub(crate) fn tag(self) -> &'static str {
        match self {
            OutKind::Repl => "R",
            OutKind::Migrate => "M",
        }
    }
}

/// The node a `host:port` names, if it is one of the simulation's client ports.
fn target(sim: &Sim, host: &str, port: u16) -> Option<usize> {
    let local = matches!(host, "127.0.0.1" | "localhost" | "::1");
    let j = usize::from(port.checked_sub(7000)?);
    (local && j < sim.hosts.len()).then_some(j)
}

impl Sim {
    /// Node `i` asked for outbound connection `id` of `kind` to `host:port`.
    pub(crate) fn out_connect(
        &mut self,
        i: usize,
        inc: u32,
        kind: OutKind,
        id: u64,
        host: &str,
        port: u16,
    ) {
        let lat = self.latency();
        self.trace.record(
            self.now,
            format_args!("n{i}"),
            format_args!("ocon {}{id} {host}:{port}", kind.tag()),
        );
        let j = target(self, host, port).filter(|&j| self.is_up(j));
        let p = self.cfg.faults.connect_fail;
        let Some(j) = j.filter(|_| !(p > 0.0 && unit(&mut self.rng) < p)) else {
            self.push(
                self.now + 2 * lat,
                Ev::OutFailed {
                    node: i,
                    inc,
                    kind,
                    id,
                },
            );
            return;
        };
        if self.path(Some(i), Some(j)).is_some() || self.path(Some(j), Some(i)).is_some() {
            let t = self.now + self.draw_ms(self.cfg.faults.tcp_give_up_ms);
            self.push(
                t,
                Ev::OutFailed {
                    node: i,
                    inc,
                    kind,
                    id,
                },
            );
            return;
        }
        let conn = hashslot_types::ConnId(self.fresh_id());
        let l = self.new_link(
            [End::Out { node: i, kind, id }, End::Conn { node: j, conn }],
            self.now + lat,
        );
        if let Some(old) = self.out_map.insert((i, kind, id), l) {
            // The node reused a live id (it promises not to): drop the old link quietly.
            self.net_close(old, 0);
        }
        self.push(self.now + lat, Ev::Accept { link: l });
    }

    /// `ReplSend` / `MigrateSend`.
    pub(crate) fn out_send(&mut self, i: usize, kind: OutKind, id: u64, data: bytes::Bytes) {
        if let Some(&l) = self.out_map.get(&(i, kind, id)) {
            self.net_send(l, 0, data);
        }
    }

    /// `ReplClose` / `MigrateClose`: closed by the node, which is not told.
    pub(crate) fn out_close(&mut self, i: usize, kind: OutKind, id: u64) {
        if let Some(l) = self.out_map.remove(&(i, kind, id)) {
            self.net_close(l, 0);
        }
    }

    /// The connect of an outbound link completed on the connecting side.
    pub(crate) fn out_connected(&mut self, i: usize, kind: OutKind, id: u64) {
        let now = self.hosts[i].now(self.now);
        self.trace.record(
            self.now,
            format_args!("n{i}"),
            format_args!("ocon {}{id} up", kind.tag()),
        );
        if let Some(n) = self.hosts[i].node.as_mut() {
            match kind {
                OutKind::Repl => n.handle_repl_connected(now, id),
                OutKind::Migrate => n.handle_migrate_connected(now, MigrateId(id)),
            }
        }
        self.drain(i);
    }

    /// Node `i` crashed: its outbound connections reset.
    pub(crate) fn out_crash(&mut self, i: usize) {
        let mine: Vec<((usize, OutKind, u64), usize)> = self
            .out_map
            .range((i, OutKind::Repl, 0)..=(i, OutKind::Migrate, u64::MAX))
            .map(|(&k, &l)| (k, l))
            .collect();
        for (k, l) in mine {
            self.out_map.remove(&k);
            self.net_close(l, 0);
        }
    }
}
