//! What a node asks its driver to do.

use bytes::Bytes;
use std::net::SocketAddr;

use hashslot_types::{ConnId, LinkId};

/// Severity of a log line, as Redis's `loglevel` (`debug`, `verbose`, `notice`, `warning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// `debug`
    Debug,
    /// `verbose`
    Verbose,
    /// `notice`
    Notice,
    /// `warning`
    Warning,
}

/// One thing for the driver to do, drained with `Node::poll_output`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// Write `data` to the client connection `conn`, after everything sent to it before.
    Send {
        /// The connection.
        conn: ConnId,
        /// The bytes, in order.
        data: Bytes,
    },
    /// Close `conn` once everything sent to it before is written (QUIT, protocol errors,
    /// CLIENT KILL).
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// Stop the process (SHUTDOWN), after flushing what was sent.
    Shutdown,
    /// Exit the process at once with `status` after a fatal error (a failed nodes.conf save,
    /// an AOF that can no longer be written safely): Redis's `exit(1)`, with no final save, no
    /// flush and no goodbye line. Nothing the node emitted depends on the failed step.
    Exit {
        /// The process exit status (1, as Redis).
        status: i32,
    },
    /// CONFIG REWRITE: read the config file at `path`, write back
    /// `node.config().rewrite(&original)` in its place, then report with
    /// `Node::handle_config_rewritten(now, conn, result)`. The client's later requests wait.
    RewriteConfig {
        /// The client that asked.
        conn: ConnId,
        /// The config file (`ProcessInfo::config_file`).
        path: String,
    },
    /// ACL LOAD: read the whole ACL file at `path` (`aclfile` as configured: relative to the
    /// working directory), then report its bytes, or the OS error text from opening it, with
    /// `Node::handle_acl_file_read(now, conn, result)`. The client's later requests wait.
    LoadAclFile {
        /// The client that asked.
        conn: ConnId,
        /// The ACL file.
        path: String,
    },
    /// ACL SAVE: replace the ACL file at `path` with `data` as Redis does (write a temporary
    /// file `<path>.tmp-<pid>-<ms>` beside it, rename it over `path`; no fsync), then report
    /// with `Node::handle_acl_file_saved(now, conn, result)`, `Err` carrying the log line that
    /// names the failed step and the OS error. The client's later requests wait.
    SaveAclFile {
        /// The client that asked.
        conn: ConnId,
        /// The ACL file.
        path: String,
        /// The whole new content.
        data: Bytes,
    },
    /// DEBUG RELOAD NOSAVE: read the whole RDB file at `path` (`dbfilename`, relative to the
    /// working directory) now, inside the event-loop turn as Redis's `rdbLoad` runs inside the
    /// command, then report its bytes (`Ok(None)` when it does not exist, `Err` with the OS
    /// error text) with `Node::handle_rdb_file_read(now, conn, result)`. The client's later
    /// requests wait.
    LoadRdbFile {
        /// The client that asked.
        conn: ConnId,
        /// The RDB file.
        path: String,
    },
    /// CONFIG SET dir: change the process's working directory to `path` (as given: relative
    /// to the current one), as Redis's `chdir()`; then report the new absolute directory (or
    /// the OS error text) with `Node::handle_dir_changed(now, conn, result)`. The client's later
    /// requests wait. Every path in later outputs is relative to the new directory; outputs
    /// emitted before this one keep meaning the old one (a file already open stays open there).
    ChangeDir {
        /// The client that asked.
        conn: ConnId,
        /// The directory, as the client gave it.
        path: String,
    },
    /// Open an outbound cluster-bus connection to `addr` and call it `link` (an id the node chose:
    /// node-chosen link ids have the top bit set, driver-chosen ones for accepted links never
    /// do). Report success with `Node::handle_bus_connected`, failure with
    /// `Node::handle_bus_closed`.
    BusConnect {
        /// The node's name for the new link.
        link: LinkId,
        /// The peer's cluster-bus address.
        addr: SocketAddr,
    },
    /// Write `data` to the bus link `link`, after everything sent to it before.
    BusSend {
        /// The link.
        link: LinkId,
        /// The bytes, in order.
        data: Bytes,
    },
    /// Close the bus link `link` now; unsent bytes may be dropped (Redis frees links at once).
    /// The driver does not call `handle_bus_closed` for a link the node closed.
    BusClose {
        /// The link.
        link: LinkId,
    },
    /// Durably replace the file `path` (relative to the working directory `dir`) with `data`:
    /// write a temporary file, fsync it, rename it over `path`, fsync the directory; then report
    /// with `Node::handle_persist_done(now, token, result)`. What depends on the write (a reply
    /// to CLUSTER SAVECONFIG, a vote) is held by the node until then.
    Persist {
        /// Names this write in the completion.
        token: PersistToken,
        /// The file, as configured (e.g. `cluster-config-file`).
        path: String,
        /// The whole new content.
        data: Bytes,
        /// Whether the file and its directory must be fsynced before the completion. Without,
        /// the temporary-file-and-rename still leaves old or new content, never a mix.
        sync: bool,
    },
    /// Streamed files (RDB saves, the AOF). The five `File*` outputs act on one file named by
    /// `file`, in the order the node emits them; the driver performs them in that order on one
    /// writer (never in the event loop), and completes each token-carrying step with
    /// `Node::handle_persist_done(now, token, result)`. An error in any step of a file (open,
    /// write) is sticky: later writes to it are skipped and its next `FileSync`/`FileCommit`
    /// completes with that error. Paths are relative to the working directory (`dir`).
    ///
    /// `FileOpen`: open `path` for writing (`append: false`: create or truncate; `append: true`:
    /// create or append), creating its parent directory if missing.
    FileOpen {
        /// The node's name for the open file (never reused).
        file: FileId,
        /// The path to open.
        path: String,
        /// Append to an existing file instead of truncating it.
        append: bool,
    },
    /// Write `data` at the end of `file` (after everything written to it before).
    FileWrite {
        /// The file.
        file: FileId,
        /// The bytes.
        data: Bytes,
    },
    /// fsync (fdatasync) `file`, then complete `token`: everything written to it before is
    /// durable when the completion is `Ok` (`appendfsync always` holds replies until then).
    FileSync {
        /// The file.
        file: FileId,
        /// Completed when the data is durable.
        token: PersistToken,
    },
    /// Finish `file`: fsync, close, rename it over `final_path` (atomically replacing it), fsync
    /// the directory, then complete `token`. On any failure the file is removed and
    /// `final_path` is untouched.
    FileCommit {
        /// The file.
        file: FileId,
        /// Completed when the new file is durable under `final_path`.
        token: PersistToken,
        /// The name it takes.
        final_path: String,
    },
    /// Close `file`. `remove: true`: also delete it (an abandoned temporary file); `false`:
    /// keep it (an AOF file that is complete). No completion.
    FileClose {
        /// The file.
        file: FileId,
        /// Delete the file after closing it.
        remove: bool,
    },
    /// Delete the file `path` if it exists (old AOF files after a rewrite), after every file
    /// output emitted before it was performed. Best effort, no completion.
    FileRemove {
        /// The file to delete.
        path: String,
    },
    /// MIGRATE: open a TCP connection to `host:port` (resolving `host`) and call it `id`.
    /// Report `Node::handle_migrate_connected(now, id)` when it is up, or
    /// `Node::handle_migrate_closed(now, id)` when it fails. The node enforces `timeout` itself
    /// (it sends `MigrateClose` when it expires); the driver may use it as a connect timeout.
    MigrateConnect {
        /// The node's name for the connection (never reused).
        id: crate::MigrateId,
        /// Host name or address, as the client gave it.
        host: String,
        /// TCP port.
        port: u16,
        /// The MIGRATE timeout.
        timeout: std::time::Duration,
    },
    /// MIGRATE: write `data` to connection `id`, after everything sent to it before (bytes sent
    /// while it is connecting wait for the connect). Everything read from it goes to
    /// `Node::handle_migrate_read(now, id, bytes)`; EOF or an error to
    /// `Node::handle_migrate_closed(now, id)`.
    MigrateSend {
        /// The connection.
        id: crate::MigrateId,
        /// The bytes, in order.
        data: Bytes,
    },
    /// MIGRATE: close connection `id` now (unsent bytes may be dropped). The driver does not
    /// call `handle_migrate_closed` for a connection the node closed.
    MigrateClose {
        /// The connection.
        id: crate::MigrateId,
    },
    /// Replication (this node is a replica): open a TCP connection to the master's client
    /// port `host:port` (resolving `host`) and call it `link`. Report
    /// `Node::handle_repl_connected(now, link)` when it is up, `Node::handle_repl_closed(now,
    /// link)` when it fails; everything read from it goes to `Node::handle_repl_read`, EOF or
    /// an error to `handle_repl_closed`. At most one link is open at a time.
    ReplConnect {
        /// The node's name for the link (never reused).
        link: u64,
        /// The master's host.
        host: String,
        /// The master's client port.
        port: u16,
    },
    /// Replication: write `data` to the master link, after everything sent to it before
    /// (bytes sent while it connects wait for the connect).
    ReplSend {
        /// The link.
        link: u64,
        /// The bytes, in order.
        data: Bytes,
    },
    /// Replication: close the master link now. No `handle_repl_closed` follows.
    ReplClose {
        /// The link.
        link: u64,
    },
    /// A log line, for the driver to write where `logfile` says.
    Log {
        /// Severity.
        level: LogLevel,
        /// The message, without a trailing newline.
        message: String,
    },
}

/// Names one `Output::Persist` so its completion can be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersistToken(pub u64);

/// Names one streamed file of `Output::FileOpen`… (chosen by the node, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u64);
