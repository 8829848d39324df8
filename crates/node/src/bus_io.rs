//! The cluster-bus side of the driver API: links, nodes.conf loading, durable writes.
//!
//! The driver (crates/server) listens on [`Node::bus_port`], hands accepted links and their bytes
//! to the node, opens the outbound links the node asks for (`Output::BusConnect`), and performs
//! `Output::Persist` writes, reporting each completion. Link ids: the driver names accepted
//! links with ids whose top bit is clear; the node names outbound links with the top bit set.

use std::net::SocketAddr;

use hashslot_types::{LinkId, Now};

use crate::{Node, PersistToken};

/// Why the cluster configuration file could not be loaded; `Display` names the line and what is
/// wrong with it, for the driver to print with the file's path before exiting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ClusterConfigError {
    /// 1-based line number, when the problem is on one line.
    pub line: Option<usize>,
    /// What is wrong, in Redis's words where Redis has some.
    pub message: String,
}

impl Node {
    /// The cluster-bus port the driver must listen on (`cluster-port`, or `port + 10000`), or
    /// `None` when cluster mode is off.
    pub fn bus_port(&self) -> Option<u16> {
        if !self.config.cluster_enabled {
            return None;
        }
        if self.config.cluster_port != 0 {
            return Some(self.config.cluster_port);
        }
        self.config.port.checked_add(10000)
    }

    /// Load the cluster configuration at startup, before any other input: `contents` is the
    /// whole `cluster-config-file`, or `None` when it does not exist (a new node: the node
    /// creates its id and asks for the file to be written with an `Output::Persist`).
    /// A corrupt file is an error; the driver must stop and must not overwrite the file (the
    /// node will not ask to write it).
    pub fn load_cluster_config(
        &mut self,
        now: Now,
        contents: Option<&[u8]>,
    ) -> Result<(), ClusterConfigError> {
        let Some(cm) = self.cluster.as_mut() else {
            return Ok(());
        };
        match contents {
            Some(bytes) => {
                let cfg = crate::cluster::cluster_config(&self.config);
                let rng = cm.load_rng.clone();
                match hashslot_gossip::Cluster::load(cfg, rng, now, bytes) {
                    Ok(c) => {
                        cm.cluster = c;
                        // The loaded cluster has its own settings: push them again.
                        cm.settings_generation = None;
                    }
                    Err(e) => {
                        cm.load_failed = true;
                        cm.cluster.disable_saves();
                        return Err(ClusterConfigError {
                            line: e.line,
                            message: format!(
                                "Unrecoverable error: corrupted cluster config file: {e}"
                            ),
                        });
                    }
                }
            }
            None => {
                cm.cluster.save_config(now);
            }
        }
        self.cluster_drain(now);
        Ok(())
    }

    /// The driver accepted a connection on the bus port and named it `link`; `local` is our
    /// address on it (Redis learns its own ip from the first MEET it receives this way).
    pub fn handle_bus_accept(
        &mut self,
        now: Now,
        link: LinkId,
        peer: SocketAddr,
        local: SocketAddr,
    ) {
        if self.hold(now, || crate::node::Held::BusAccept(link, peer, local)) {
            return;
        }
        match self.cluster.as_mut() {
            Some(cm) => cm.cluster.handle_link_accepted(now, link, peer, local),
            None => self.outputs.push_back(crate::Output::BusClose { link }),
        }
        self.cluster_drain(now);
    }

    /// An outbound link asked for with `Output::BusConnect` is connected.
    pub fn handle_bus_connected(&mut self, now: Now, link: LinkId, local: SocketAddr) {
        if self.hold(now, || crate::node::Held::BusConnected(link, local)) {
            return;
        }
        if let Some(cm) = self.cluster.as_mut() {
            cm.cluster.handle_link_connected(now, link, local);
        }
        self.cluster_drain(now);
    }

    /// Bytes arrived on a bus link.
    pub fn handle_bus_read(&mut self, now: Now, link: LinkId, data: &[u8]) {
        if self.hold(now, || crate::node::Held::BusRead(link, data.to_vec())) {
            return;
        }
        if let Some(cm) = self.cluster.as_mut() {
            cm.cluster.handle_link_data(now, link, data);
        }
        self.cluster_drain(now);
    }

    /// A bus link closed by the peer, failed, or could not connect.
    pub fn handle_bus_closed(&mut self, now: Now, link: LinkId) {
        if self.hold(now, || crate::node::Held::BusClosed(link)) {
            return;
        }
        if let Some(cm) = self.cluster.as_mut() {
            cm.cluster.handle_link_closed(now, link);
        }
        self.cluster_drain(now);
    }

    /// An `Output::Persist` write finished (`Err` with the OS error text when it failed).
    /// Tokens with bit 62 set are nodes.conf writes of the cluster.
    pub fn handle_persist_done(
        &mut self,
        now: Now,
        token: PersistToken,
        result: Result<(), String>,
    ) {
        let result = match self.sleep.as_mut() {
            Some(_) => {
                self.hold(now, || crate::node::Held::PersistDone(token, result));
                return;
            }
            None => result,
        };
        if self.persistence_done(now, token, result.clone()) {
            return;
        }
        if let Some(t) = Node::cluster_token(token) {
            if let Some(cm) = self.cluster.as_mut() {
                cm.cluster.handle_persist_done(now, t, result);
            }
            self.cluster_drain(now);
        }
    }
}
