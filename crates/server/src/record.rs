//! Recording the node's inputs (`hashslot-record-file`, off by default) for replay in
//! `hashslot-sim`: [`Recording`] is what the event loop drives — the [`Node`] plus, when
//! recording, a [`LogWriter`] that sees every input before the node does and every output the
//! loop takes after.
//!
//! The log file (relative paths are relative to `dir`, like every file the node writes) is
//! written through a 64 KB buffer, flushed on every timer tick (at least every 100 ms) and at
//! exit, so a crash loses at most the last tick's inputs (the reader reports the torn tail).
//! It is bounded by `hashslot-record-max-bytes` (256 MB by default): at the cap the log is
//! ended with a marker, recording stops for the rest of the run and a warning is logged once;
//! the node itself runs on. A log already at the path is renamed to `<path>.prev` at startup,
//! so the log of a run that crashed survives one restart.

use std::borrow::Cow;
use std::fs::File;
use std::io::BufWriter;
use std::net::SocketAddr;

use hashslot_node::{
    ClientAddr, Config, LoadError, LoadReport, LogLevel, MigrateId, Node, Output, PersistToken,
    ProcessInfo, ProcessStats,
};
use hashslot_record::{
    config_snapshot, EndReason, FileRead, Header, Input, LogWriter, ReadOutcome, Written,
};
use hashslot_types::{ConnId, Instant, LinkId, Now};

use crate::driven::Driven;
use crate::files;
use crate::log::Logger;

/// `Node::load_data`'s file reader: the whole file, `None` when missing, or the OS error text.
pub type ReadFile<'a> = dyn FnMut(&str) -> Result<Option<Vec<u8>>, String> + 'a;

/// The write buffer: large enough that a busy node makes few `write` calls for its log.
const BUF: usize = 64 * 1024;

/// The node and, when `hashslot-record-file` is set, its recorder.
#[derive(Debug)]
pub struct Recording {
    node: Node,
    rec: Option<Recorder>,
    /// Outputs taken early by [`Recording::take_startup_logs`] (already recorded), given to
    /// the loop before the node's next ones.
    held: std::collections::VecDeque<Output>,
}

#[derive(Debug)]
struct Recorder {
    log: LogWriter<BufWriter<File>>,
    path: String,
    logger: Logger,
}

impl Recording {
    /// Build the node as `Node::new` does and, if the configuration asks for it, start
    /// recording. A log that cannot be started is reported and the node runs unrecorded: a
    /// diagnostic aid must not keep a node from starting.
    pub fn start(
        config: Config,
        seed: u64,
        now: Now,
        process: ProcessInfo,
        logger: &Logger,
    ) -> Recording {
        let path = config.get("hashslot-record-file").unwrap_or_default();
        let rec = if path.is_empty() {
            None
        } else {
            let max_bytes = config
                .get("hashslot-record-max-bytes")
                .and_then(|v| v.parse().ok())
                .unwrap_or(256 << 20);
            let header = Header {
                hashslot_version: env!("CARGO_PKG_VERSION").to_string(),
                seed,
                now: now.into(),
                config: config_snapshot(&config),
                process: (&process).into(),
                max_bytes,
            };
            match open_log(&path, &header) {
                Ok(log) => {
                    logger.log(
                        LogLevel::Notice,
                        &format!(
                            "Recording the node's inputs to {path} (at most {max_bytes} bytes)"
                        ),
                    );
                    Some(Recorder {
                        log,
                        path,
                        logger: logger.clone(),
                    })
                }
                Err(e) => {
                    logger.log(
                        LogLevel::Warning,
                        &format!(
                            "Can't record the node's inputs to {path}: {e}; running unrecorded"
                        ),
                    );
                    None
                }
            }
        };
        let mut node = Node::new(config, seed, now, process);
        // Commands are timed with the real monotonic clock (SLOWLOG, LATENCY, commandstats),
        // except in a recorded run: its replay runs with the simulator's frozen stopwatch, so
        // the recorded node times commands the same way (0 µs) and replies showing durations
        // replay byte for byte.
        if rec.is_none() {
            node.set_stopwatch(crate::driven::Clock::new().stopwatch());
        }
        Recording {
            node,
            rec,
            held: Default::default(),
        }
    }

    /// During startup, before the event loop runs: take the node's outputs so far and return
    /// the lines it logged, for the caller to write now (Redis logs them before "Ready to
    /// accept connections"), and, if the node asked to exit (Redis's `ACLLoadConfiguredUsers`
    /// failing: "Critical error while loading ACLs. Exiting."), the exit status, so the process
    /// exits before it serves anyone. The other outputs are kept, in order, for the event
    /// loop. After an exit, lines logged after it are not returned (the process is gone).
    ///
    /// Call it after a recorded startup input (so the outputs taken count in that input's
    /// digest, as the replay takes them).
    pub fn take_startup_logs(&mut self) -> (Vec<(LogLevel, String)>, Option<i32>) {
        let mut lines = Vec::new();
        while let Some(out) = self.node.poll_output() {
            if let Some(r) = &mut self.rec {
                r.log.output(&out);
            }
            match out {
                Output::Log { level, message } => lines.push((level, message)),
                Output::Exit { status } => return (lines, Some(status)),
                other => self.held.push_back(other),
            }
        }
        (lines, None)
    }

    /// The node.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// See [`Node::load_cluster_config`]; recorded with the file's contents and the result.
    pub fn load_cluster_config(
        &mut self,
        now: Now,
        contents: Option<&[u8]>,
    ) -> Result<(), hashslot_node::ClusterConfigError> {
        let result = self.node.load_cluster_config(now, contents);
        self.record(|| Input::LoadClusterConfig {
            now: now.into(),
            contents: contents.map(Cow::Borrowed),
            result: result.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        });
        result
    }

    /// See [`Node::load_data`]; recorded with every file the node read and the result.
    pub fn load_data(
        &mut self,
        now: Now,
        read: &mut ReadFile<'_>,
    ) -> Result<LoadReport, LoadError> {
        let recording = self.rec.is_some();
        let mut reads = Vec::new();
        let mut recorded_read = |path: &str| {
            let r = read(path);
            if recording {
                reads.push(FileRead {
                    path: path.to_string(),
                    outcome: read_outcome(&r),
                });
            }
            r
        };
        let result = self.node.load_data(now, &mut recorded_read);
        self.record(|| Input::LoadData {
            now: now.into(),
            reads,
            result: match &result {
                Ok(r) => Ok(format!("{r:?}")),
                Err(e) => Err(e.to_string()),
            },
        });
        result
    }

    /// See [`Node::load_acl_file_at_startup`]; recorded with the file it read and the result.
    pub fn load_acl_file_at_startup(&mut self, read: &mut ReadFile<'_>) -> Result<(), String> {
        let recording = self.rec.is_some();
        let mut reads = Vec::new();
        let mut recorded_read = |path: &str| {
            let r = read(path);
            if recording {
                reads.push(FileRead {
                    path: path.to_string(),
                    outcome: read_outcome(&r),
                });
            }
            r
        };
        let result = self.node.load_acl_file_at_startup(&mut recorded_read);
        self.record(|| Input::AclFileAtStartup {
            reads,
            result: result.clone(),
        });
        result
    }

    /// Record `input` (built only when recording) before the node is given it.
    #[inline]
    fn record<'a>(&mut self, input: impl FnOnce() -> Input<'a>) {
        if let Some(r) = &mut self.rec {
            r.input(&input());
        }
    }
}

impl Recorder {
    fn input(&mut self, input: &Input<'_>) {
        if let Written::Stopped {
            reason,
            newly: true,
        } = self.log.input(input)
        {
            let why = match reason {
                EndReason::CapReached => "hashslot-record-max-bytes reached",
                _ => "writing the log failed",
            };
            let msg = format!(
                "Recording stopped ({why}) after {} inputs, {} bytes in {}; the node runs on \
                 unrecorded",
                self.log.inputs(),
                self.log.written(),
                self.path
            );
            self.logger.log(LogLevel::Warning, &msg);
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if let Some(r) = &mut self.rec {
            if let Err(e) = r.log.close() {
                let msg = format!("Closing the record log {}: {e}", r.path);
                r.logger.log(LogLevel::Warning, &msg);
            }
        }
    }
}

/// A startup read's result as the log stores it.
fn read_outcome(r: &Result<Option<Vec<u8>>, String>) -> ReadOutcome<'static> {
    match r {
        Ok(Some(b)) => ReadOutcome::Found(Cow::Owned(b.clone())),
        Ok(None) => ReadOutcome::Missing,
        Err(e) => ReadOutcome::Failed(e.clone()),
    }
}

/// Create the log at `path`, keeping a previous one as `<path>.prev`.
fn open_log(path: &str, header: &Header) -> std::io::Result<LogWriter<BufWriter<File>>> {
    if std::fs::metadata(path).is_ok() {
        std::fs::rename(path, format!("{path}.prev"))?;
    }
    let file = File::create(path)?;
    LogWriter::new(BufWriter::with_capacity(BUF, file), header)
}

impl Driven for Recording {
    fn handle_accept(&mut self, now: Now, conn: ConnId, addr: ClientAddr) {
        self.record(|| Input::accept(now, conn.0, addr));
        self.node.handle_accept(now, conn, addr)
    }
    fn handle_read(&mut self, now: Now, conn: ConnId, data: &[u8]) {
        self.record(|| Input::Read {
            now: now.into(),
            conn: conn.0,
            data: Cow::Borrowed(data),
        });
        self.node.handle_read(now, conn, data)
    }
    fn handle_closed(&mut self, now: Now, conn: ConnId) {
        self.record(|| Input::Closed {
            now: now.into(),
            conn: conn.0,
        });
        self.node.handle_closed(now, conn)
    }
    fn handle_timeout(&mut self, now: Now) {
        self.record(|| Input::Timeout { now: now.into() });
        if let Some(r) = &mut self.rec {
            // The timer tick bounds what a crash can lose of the log.
            let _ = r.log.flush();
        }
        self.node.handle_timeout(now)
    }
    fn handle_shutdown_signal(&mut self, now: Now) {
        self.record(|| Input::ShutdownSignal { now: now.into() });
        self.node.handle_shutdown_signal(now)
    }
    fn handle_process_stats(&mut self, now: Now, stats: ProcessStats) {
        self.record(|| Input::process_stats(now, stats));
        self.node.handle_process_stats(now, stats)
    }
    fn poll_output(&mut self) -> Option<Output> {
        if let Some(out) = self.held.pop_front() {
            return Some(out);
        }
        let out = self.node.poll_output();
        if let (Some(o), Some(r)) = (&out, &mut self.rec) {
            r.log.output(o);
        }
        out
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.node.poll_timeout()
    }
    fn log_level(&self) -> LogLevel {
        Driven::log_level(&self.node)
    }
    fn tcp_keepalive(&self) -> u32 {
        Driven::tcp_keepalive(&self.node)
    }
    fn rewrite_config(&mut self, now: Now, conn: ConnId, path: &str) {
        // The file work is the driver's; the node only sees its result, which is recorded.
        let result = files::rewrite_config(path, |original| self.node.config().rewrite(original));
        self.record(|| Input::ConfigRewritten {
            now: now.into(),
            conn: conn.0,
            result: result.clone(),
        });
        self.node.handle_config_rewritten(now, conn, result);
    }
    fn change_dir(&mut self, now: Now, conn: ConnId, path: &str) -> Option<String> {
        // The chdir is the driver's; the node only sees its result, which is recorded.
        let result = files::change_dir(path);
        self.record(|| Input::DirChanged {
            now: now.into(),
            conn: conn.0,
            result: result.clone(),
        });
        let dir = result.as_ref().ok().cloned();
        self.node.handle_dir_changed(now, conn, result);
        dir
    }
    fn load_acl_file(&mut self, now: Now, conn: ConnId, path: &str) {
        // The file work is the driver's; the node only sees the bytes (or the error), which
        // are recorded.
        let result = crate::acl_file::read(path);
        self.record(|| Input::AclFileRead {
            now: now.into(),
            conn: conn.0,
            outcome: match &result {
                Ok(b) => ReadOutcome::Found(Cow::Borrowed(b)),
                Err(e) => ReadOutcome::Failed(e.clone()),
            },
        });
        self.node.handle_acl_file_read(now, conn, result);
    }
    fn load_rdb_file(&mut self, now: Now, conn: ConnId, path: &str) {
        // The file work is the driver's; the node only sees the bytes (or the error), which
        // are recorded.
        let result = crate::files::read_optional(path);
        self.record(|| Input::RdbFileRead {
            now: now.into(),
            conn: conn.0,
            outcome: match &result {
                Ok(Some(b)) => ReadOutcome::Found(Cow::Borrowed(b)),
                Ok(None) => ReadOutcome::Missing,
                Err(e) => ReadOutcome::Failed(e.clone()),
            },
        });
        self.node.handle_rdb_file_read(now, conn, result);
    }
    fn save_acl_file(&mut self, now: Now, conn: ConnId, path: &str, data: &[u8]) {
        // The written bytes are an output (in the digest); only the result is an input.
        let result = crate::acl_file::save(path, data);
        self.record(|| Input::AclFileSaved {
            now: now.into(),
            conn: conn.0,
            result: result.clone(),
        });
        self.node.handle_acl_file_saved(now, conn, result);
    }
    fn bind_source_addr(&self) -> Option<std::net::IpAddr> {
        Driven::bind_source_addr(&self.node)
    }
    fn cluster_node_timeout(&self) -> u64 {
        Driven::cluster_node_timeout(&self.node)
    }
    fn handle_bus_accept(&mut self, now: Now, link: LinkId, peer: SocketAddr, local: SocketAddr) {
        self.record(|| Input::BusAccept {
            now: now.into(),
            link: link.0,
            peer,
            local,
        });
        self.node.handle_bus_accept(now, link, peer, local)
    }
    fn handle_bus_connected(&mut self, now: Now, link: LinkId, local: SocketAddr) {
        self.record(|| Input::BusConnected {
            now: now.into(),
            link: link.0,
            local,
        });
        self.node.handle_bus_connected(now, link, local)
    }
    fn handle_bus_read(&mut self, now: Now, link: LinkId, data: &[u8]) {
        self.record(|| Input::BusRead {
            now: now.into(),
            link: link.0,
            data: Cow::Borrowed(data),
        });
        self.node.handle_bus_read(now, link, data)
    }
    fn handle_bus_closed(&mut self, now: Now, link: LinkId) {
        self.record(|| Input::BusClosed {
            now: now.into(),
            link: link.0,
        });
        self.node.handle_bus_closed(now, link)
    }
    fn handle_persist_done(&mut self, now: Now, token: PersistToken, result: Result<(), String>) {
        self.record(|| Input::PersistDone {
            now: now.into(),
            token: token.0,
            result: result.clone(),
        });
        self.node.handle_persist_done(now, token, result)
    }
    fn handle_migrate_connected(&mut self, now: Now, id: MigrateId) {
        self.record(|| Input::MigrateConnected {
            now: now.into(),
            id: id.0,
        });
        self.node.handle_migrate_connected(now, id)
    }
    fn handle_migrate_read(&mut self, now: Now, id: MigrateId, data: &[u8]) {
        self.record(|| Input::MigrateRead {
            now: now.into(),
            id: id.0,
            data: Cow::Borrowed(data),
        });
        self.node.handle_migrate_read(now, id, data)
    }
    fn handle_migrate_closed(&mut self, now: Now, id: MigrateId) {
        self.record(|| Input::MigrateClosed {
            now: now.into(),
            id: id.0,
        });
        self.node.handle_migrate_closed(now, id)
    }
    fn handle_repl_connected(&mut self, now: Now, link: u64) {
        self.record(|| Input::ReplConnected {
            now: now.into(),
            link,
        });
        self.node.handle_repl_connected(now, link)
    }
    /// Passed on only while not recording: the recording format has no input for it, and a
    /// replay must see what the recorded node saw (a recorded node's master client shows no
    /// `laddr`/`fd` in CLIENT LIST).
    fn handle_repl_link_addr(&mut self, link: u64, local: std::net::SocketAddr, fd: i64) {
        if self.rec.is_none() {
            self.node.handle_repl_link_addr(link, local, fd)
        }
    }
    fn handle_repl_read(&mut self, now: Now, link: u64, data: &[u8]) {
        self.record(|| Input::ReplRead {
            now: now.into(),
            link,
            data: Cow::Borrowed(data),
        });
        self.node.handle_repl_read(now, link, data)
    }
    fn handle_repl_closed(&mut self, now: Now, link: u64) {
        self.record(|| Input::ReplClosed {
            now: now.into(),
            link,
        });
        self.node.handle_repl_closed(now, link)
    }
}
