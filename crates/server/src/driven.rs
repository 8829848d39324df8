//! What the event loop drives (the [`Driven`] trait, implemented by [`Node`]) and the clocks it
//! reads.

use std::hash::Hasher;
use std::time::{SystemTime, UNIX_EPOCH};

use std::net::SocketAddr;

use hashslot_node::{ClientAddr, LogLevel, MigrateId, Node, Output, PersistToken, ProcessStats};
use hashslot_types::{ConnId, Instant, LinkId, Now, UnixMillis};

use crate::files;

/// What the loop drives: a [`Node`], or a stand-in in tests.
///
/// The process drives a `record::Recording` (the node plus its input recorder). A new input
/// method added here must be overridden there too, recorded and passed on: the defaults below
/// are no-ops, so a method `Recording` does not override never reaches the node.
pub trait Driven {
    /// See [`Node::handle_accept`].
    fn handle_accept(&mut self, now: Now, conn: ConnId, addr: ClientAddr);
    /// See [`Node::handle_read`].
    fn handle_read(&mut self, now: Now, conn: ConnId, data: &[u8]);
    /// See [`Node::handle_closed`].
    fn handle_closed(&mut self, now: Now, conn: ConnId);
    /// See [`Node::handle_timeout`].
    fn handle_timeout(&mut self, now: Now);
    /// SIGTERM or SIGINT arrived: shut down as SHUTDOWN does (ends in `Output::Shutdown`).
    fn handle_shutdown_signal(&mut self, now: Now);
    /// See [`Node::handle_process_stats`].
    fn handle_process_stats(&mut self, now: Now, stats: ProcessStats);
    /// See [`Node::poll_output`].
    fn poll_output(&mut self) -> Option<Output>;
    /// See [`Node::poll_timeout`].
    fn poll_timeout(&self) -> Option<Instant>;
    /// The `loglevel` in force (CONFIG SET can change it).
    fn log_level(&self) -> LogLevel;
    /// `tcp-keepalive` seconds in force (0: off).
    fn tcp_keepalive(&self) -> u32;
    /// Carry out `Output::RewriteConfig` for `conn`: rewrite the file at `path`, then report.
    fn rewrite_config(&mut self, now: Now, conn: ConnId, path: &str);
    /// Carry out `Output::ChangeDir` for `conn`: `chdir` to `path`, then report. Returns the new
    /// absolute directory when it changed.
    fn change_dir(&mut self, now: Now, conn: ConnId, path: &str) -> Option<String>;

    /// Carry out `Output::LoadAclFile` for `conn`: read the file at `path`, then report.
    /// Default (a stand-in without ACLs): nothing.
    fn load_acl_file(&mut self, _now: Now, _conn: ConnId, _path: &str) {}
    /// Carry out `Output::SaveAclFile` for `conn`: replace the file at `path`, then report.
    /// Default (a stand-in without ACLs): nothing.
    fn save_acl_file(&mut self, _now: Now, _conn: ConnId, _path: &str, _data: &[u8]) {}
    /// Carry out `Output::LoadRdbFile` for `conn`: read the RDB file at `path`, then report.
    /// Default (a stand-in without persistence): nothing.
    fn load_rdb_file(&mut self, _now: Now, _conn: ConnId, _path: &str) {}

    // The cluster bus. Defaults: what a stand-in without a bus needs.
    /// `bind-source-addr`: the local address outbound bus links are bound to, if any.
    fn bind_source_addr(&self) -> Option<std::net::IpAddr> {
        None
    }
    /// `cluster-node-timeout` in milliseconds (sets bus keepalive, as Redis does).
    fn cluster_node_timeout(&self) -> u64 {
        15000
    }
    /// See [`Node::handle_bus_accept`].
    fn handle_bus_accept(
        &mut self,
        _now: Now,
        _link: LinkId,
        _peer: SocketAddr,
        _local: SocketAddr,
    ) {
    }
    /// See [`Node::handle_bus_connected`].
    fn handle_bus_connected(&mut self, _now: Now, _link: LinkId, _local: SocketAddr) {}
    /// See [`Node::handle_bus_read`].
    fn handle_bus_read(&mut self, _now: Now, _link: LinkId, _data: &[u8]) {}
    /// See [`Node::handle_bus_closed`].
    fn handle_bus_closed(&mut self, _now: Now, _link: LinkId) {}
    /// See [`Node::handle_persist_done`].
    fn handle_persist_done(
        &mut self,
        _now: Now,
        _token: PersistToken,
        _result: Result<(), String>,
    ) {
    }
    /// See [`Node::handle_migrate_connected`].
    fn handle_migrate_connected(&mut self, _now: Now, _id: MigrateId) {}
    /// See [`Node::handle_migrate_read`].
    fn handle_migrate_read(&mut self, _now: Now, _id: MigrateId, _data: &[u8]) {}
    /// See [`Node::handle_migrate_closed`].
    fn handle_migrate_closed(&mut self, _now: Now, _id: MigrateId) {}
    /// See [`Node::handle_repl_connected`].
    fn handle_repl_connected(&mut self, _now: Now, _link: u64) {}
    /// See [`Node::handle_repl_link_addr`].
    fn handle_repl_link_addr(&mut self, _link: u64, _local: std::net::SocketAddr, _fd: i64) {}
    /// See [`Node::handle_repl_read`].
    fn handle_repl_read(&mut self, _now: Now, _link: u64, _data: &[u8]) {}
    /// See [`Node::handle_repl_closed`].
    fn handle_repl_closed(&mut self, _now: Now, _link: u64) {}
}

impl Driven for Node {
    fn handle_accept(&mut self, now: Now, conn: ConnId, addr: ClientAddr) {
        Node::handle_accept(self, now, conn, addr)
    }
    fn handle_read(&mut self, now: Now, conn: ConnId, data: &[u8]) {
        Node::handle_read(self, now, conn, data)
    }
    fn handle_closed(&mut self, now: Now, conn: ConnId) {
        Node::handle_closed(self, now, conn)
    }
    fn handle_timeout(&mut self, now: Now) {
        Node::handle_timeout(self, now)
    }
    fn handle_shutdown_signal(&mut self, now: Now) {
        Node::handle_shutdown_signal(self, now);
    }
    fn handle_process_stats(&mut self, now: Now, stats: ProcessStats) {
        Node::handle_process_stats(self, now, stats)
    }
    fn poll_output(&mut self) -> Option<Output> {
        Node::poll_output(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Node::poll_timeout(self)
    }
    fn log_level(&self) -> LogLevel {
        self.config().loglevel
    }
    fn tcp_keepalive(&self) -> u32 {
        // Redis's default is 300 s; read per accept since CONFIG SET can change it.
        self.config()
            .get("tcp-keepalive")
            .and_then(|v| v.parse().ok())
            .unwrap_or(300)
    }
    fn rewrite_config(&mut self, now: Now, conn: ConnId, path: &str) {
        let result = files::rewrite_config(path, |original| self.config().rewrite(original));
        self.handle_config_rewritten(now, conn, result);
    }
    fn change_dir(&mut self, now: Now, conn: ConnId, path: &str) -> Option<String> {
        let result = files::change_dir(path);
        let dir = result.as_ref().ok().cloned();
        self.handle_dir_changed(now, conn, result);
        dir
    }
    fn load_acl_file(&mut self, now: Now, conn: ConnId, path: &str) {
        let result = crate::acl_file::read(path);
        self.handle_acl_file_read(now, conn, result);
    }
    fn save_acl_file(&mut self, now: Now, conn: ConnId, path: &str, data: &[u8]) {
        let result = crate::acl_file::save(path, data);
        self.handle_acl_file_saved(now, conn, result);
    }
    fn load_rdb_file(&mut self, now: Now, conn: ConnId, path: &str) {
        let result = crate::files::read_optional(path);
        self.handle_rdb_file_read(now, conn, result);
    }
    fn cluster_node_timeout(&self) -> u64 {
        self.config().cluster_node_timeout
    }
    fn bind_source_addr(&self) -> Option<std::net::IpAddr> {
        // Read per connect since CONFIG SET can change it; empty (the default) means unbound.
        self.config()
            .get("bind-source-addr")
            .and_then(|a| a.parse().ok())
    }
    fn handle_bus_accept(&mut self, now: Now, link: LinkId, peer: SocketAddr, local: SocketAddr) {
        Node::handle_bus_accept(self, now, link, peer, local)
    }
    fn handle_bus_connected(&mut self, now: Now, link: LinkId, local: SocketAddr) {
        Node::handle_bus_connected(self, now, link, local)
    }
    fn handle_bus_read(&mut self, now: Now, link: LinkId, data: &[u8]) {
        Node::handle_bus_read(self, now, link, data)
    }
    fn handle_bus_closed(&mut self, now: Now, link: LinkId) {
        Node::handle_bus_closed(self, now, link)
    }
    fn handle_persist_done(&mut self, now: Now, token: PersistToken, result: Result<(), String>) {
        Node::handle_persist_done(self, now, token, result)
    }
    fn handle_migrate_connected(&mut self, now: Now, id: MigrateId) {
        Node::handle_migrate_connected(self, now, id)
    }
    fn handle_migrate_read(&mut self, now: Now, id: MigrateId, data: &[u8]) {
        Node::handle_migrate_read(self, now, id, data)
    }
    fn handle_migrate_closed(&mut self, now: Now, id: MigrateId) {
        Node::handle_migrate_closed(self, now, id)
    }
    fn handle_repl_connected(&mut self, now: Now, link: u64) {
        Node::handle_repl_connected(self, now, link)
    }
    fn handle_repl_link_addr(&mut self, link: u64, local: std::net::SocketAddr, fd: i64) {
        Node::handle_repl_link_addr(self, link, local, fd)
    }
    fn handle_repl_read(&mut self, now: Now, link: u64, data: &[u8]) {
        Node::handle_repl_read(self, now, link, data)
    }
    fn handle_repl_closed(&mut self, now: Now, link: u64) {
        Node::handle_repl_closed(self, now, link)
    }
}

/// The driver's clocks: monotonic time from a process-start origin, wall time from the system.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: std::time::Instant,
}

impl Clock {
    /// A clock whose monotonic origin is now.
    pub fn new() -> Self {
        Clock {
            origin: std::time::Instant::now(),
        }
    }

    /// The node's command stopwatch (see `hashslot_node::Stopwatch`): monotonic microseconds
    /// from this clock's origin, read around each command Redis's `call()` times.
    pub fn stopwatch(&self) -> hashslot_node::Stopwatch {
        let origin = self.origin;
        hashslot_node::Stopwatch::new(move || origin.elapsed().as_micros() as u64)
    }

    /// Both clocks, read once.
    pub fn now(&self) -> Now {
        let mono = Instant::from_nanos(self.origin.elapsed().as_nanos() as u64);
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Now {
            mono,
            wall: UnixMillis(wall.as_millis() as i64),
            wall_micros: (wall.subsec_micros() % 1000) as u16,
        }
    }
}

/// Hashes our own sequential connection ids (not client-chosen, so no DoS concern) with one
/// multiply, spreading them over the table's high bits.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}
