//! The node: sessions and command execution. The node helper fills this in.

use std::net::SocketAddr;

use hashslot_types::{ConnId, Instant, Now};

use crate::{Config, Output};

/// Where a client connection comes from, as CLIENT LIST shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The peer's address (`addr=`).
    pub peer: SocketAddr,
    /// Our local address of the connection (`laddr=`).
    pub local: SocketAddr,
    /// The driver's file descriptor number, shown as `fd=` (-1 when there is none).
    pub fd: i64,
}

/// Facts about the process that only the driver knows, given once at construction (INFO server).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// `process_id`
    pub pid: u32,
    /// `executable`
    pub executable: String,
    /// `config_file`
    pub config_file: String,
    /// `os` (e.g. `Linux 6.1.0 x86_64`)
    pub os: String,
    /// `arch_bits`
    pub arch_bits: u32,
}

/// Resource usage sampled by the driver (INFO memory and cpu).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessStats {
    /// Resident set size in bytes (`used_memory_rss`).
    pub rss_bytes: u64,
    /// User CPU seconds (`used_cpu_user`).
    pub cpu_user: f64,
    /// System CPU seconds (`used_cpu_sys`).
    pub cpu_sys: f64,
}

/// A Redis node as a sans-IO state machine. See the crate docs for the driving contract.
#[derive(Debug)]
pub struct Node {
    config: Config,
}

impl Node {
    /// A node with `config`, its randomness seeded from `seed`, started at `now`.
    pub fn new(config: Config, seed: u64, now: Now, process: ProcessInfo) -> Self {
        let _ = (seed, now, process);
        Node { config }
    }

    /// The configuration in force (CONFIG SET changes it).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A client connected.
    pub fn handle_accept(&mut self, now: Now, conn: ConnId, addr: ClientAddr) {
        let _ = (now, conn, addr);
        todo!()
    }

    /// Bytes arrived from a client.
    pub fn handle_read(&mut self, now: Now, conn: ConnId, data: &[u8]) {
        let _ = (now, conn, data);
        todo!()
    }

    /// A client's connection closed (by the peer, or after `Output::Close`).
    pub fn handle_closed(&mut self, now: Now, conn: ConnId) {
        let _ = (now, conn);
        todo!()
    }

    /// A timer may have expired (active expiry, client timeouts, cron).
    pub fn handle_timeout(&mut self, now: Now) {
        let _ = now;
        todo!()
    }

    /// The driver sampled the process's resources.
    pub fn handle_process_stats(&mut self, now: Now, stats: ProcessStats) {
        let _ = (now, stats);
        todo!()
    }

    /// The next thing for the driver to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        todo!()
    }

    /// When `handle_timeout` must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        todo!()
    }
}
