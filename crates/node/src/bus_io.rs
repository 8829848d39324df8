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
    /// A corrupt file is an error; the driver must stop and must not overwrite the file.
    pub fn load_cluster_config(
        &mut self,
        now: Now,
        contents: Option<&[u8]>,
    ) -> Result<(), ClusterConfigError> {
        let _ = (now, contents);
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
        let _ = (now, link, peer, local);
    }

    /// An outbound link asked for with `Output::BusConnect` is connected.
    pub fn handle_bus_connected(&mut self, now: Now, link: LinkId, local: SocketAddr) {
        let _ = (now, link, local);
    }

    /// Bytes arrived on a bus link.
    pub fn handle_bus_read(&mut self, now: Now, link: LinkId, data: &[u8]) {
        let _ = (now, link, data);
    }

    /// A bus link closed by the peer, failed, or could not connect.
    pub fn handle_bus_closed(&mut self, now: Now, link: LinkId) {
        let _ = (now, link);
    }

    /// An `Output::Persist` write finished (`Err` with the OS error text when it failed).
    pub fn handle_persist_done(
        &mut self,
        now: Now,
        token: PersistToken,
        result: Result<(), String>,
    ) {
        let _ = (now, token, result);
    }
}
