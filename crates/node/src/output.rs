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
    /// CONFIG REWRITE: read the config file at `path`, write back
    /// `node.config().rewrite(&original)` in its place, then report with
    /// `Node::handle_config_rewritten(now, conn, result)`. The client's later requests wait.
    RewriteConfig {
        /// The client that asked.
        conn: ConnId,
        /// The config file (`ProcessInfo::config_file`).
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
