//! What a node asks its driver to do.

use bytes::Bytes;
use hashslot_types::ConnId;

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
    /// A log line, for the driver to write where `logfile` says.
    Log {
        /// Severity.
        level: LogLevel,
        /// The message, without a trailing newline.
        message: String,
    },
}
