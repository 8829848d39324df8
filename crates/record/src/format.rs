//! What a log holds: a [`Header`] (how to rebuild the node), then [`Frame`]s — each input the
//! driver gave the node, with its timestamps, followed by the digest of the outputs it took
//! after it — and an end marker.
//!
//! Byte payloads are `Cow`s: the recorder borrows the driver's read buffer (no copy), the
//! reader borrows from its frame buffer.

use std::borrow::Cow;
use std::net::SocketAddr;

use hashslot_node::{ClientAddr, ProcessInfo, ProcessStats};
use hashslot_types::{Instant, Now, UnixMillis};
use serde::{Deserialize, Serialize};

use crate::digest::OutputDigest;

/// A [`Now`] as stored: both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Monotonic nanoseconds since the driver's origin.
    pub mono_ns: u64,
    /// Wall-clock milliseconds since the Unix epoch.
    pub wall_ms: i64,
    /// Microseconds within the wall-clock millisecond.
    pub wall_us: u16,
}

impl From<Now> for Stamp {
    fn from(n: Now) -> Self {
        Stamp {
            mono_ns: n.mono.as_nanos(),
            wall_ms: n.wall.0,
            wall_us: n.wall_micros,
        }
    }
}

impl From<Stamp> for Now {
    fn from(s: Stamp) -> Self {
        Now {
            mono: Instant::from_nanos(s.mono_ns),
            wall: UnixMillis(s.wall_ms),
            wall_micros: s.wall_us,
        }
    }
}

/// [`ProcessInfo`] as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// `process_id`
    pub pid: u32,
    /// `executable`
    pub executable: String,
    /// `config_file`
    pub config_file: String,
    /// `os`
    pub os: String,
    /// `arch_bits`
    pub arch_bits: u32,
}

impl From<&ProcessInfo> for Process {
    fn from(p: &ProcessInfo) -> Self {
        Process {
            pid: p.pid,
            executable: p.executable.clone(),
            config_file: p.config_file.clone(),
            os: p.os.clone(),
            arch_bits: p.arch_bits,
        }
    }
}

impl From<&Process> for ProcessInfo {
    fn from(p: &Process) -> Self {
        ProcessInfo {
            pid: p.pid,
            executable: p.executable.clone(),
            config_file: p.config_file.clone(),
            os: p.os.clone(),
            arch_bits: p.arch_bits,
        }
    }
}

/// Everything `Node::new` was given, so the same node can be built again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The hashslot version that recorded the log (a replay by another version may diverge:
    /// that is how a fix is checked against an incident).
    pub hashslot_version: String,
    /// The seed of the node's randomness (the driver draws it from the OS).
    pub seed: u64,
    /// The `now` the node was built at.
    pub now: Stamp,
    /// Every configuration parameter whose value differs from the default, as CONFIG GET
    /// prints it (see [`crate::config_snapshot`]).
    pub config: Vec<(String, String)>,
    /// The process facts the node was given.
    pub process: Process,
    /// The size cap the log was written under.
    pub max_bytes: u64,
}

/// What a file read at startup returned (`Node::load_data`'s reader).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadOutcome<'a> {
    /// The file does not exist.
    Missing,
    /// The whole file.
    Found(#[serde(with = "serde_bytes", borrow)] Cow<'a, [u8]>),
    /// The OS error text.
    Failed(String),
}

impl ReadOutcome<'_> {
    /// The same outcome, owning its bytes.
    pub fn into_owned(self) -> ReadOutcome<'static> {
        match self {
            ReadOutcome::Found(b) => ReadOutcome::Found(Cow::Owned(b.into_owned())),
            ReadOutcome::Missing => ReadOutcome::Missing,
            ReadOutcome::Failed(e) => ReadOutcome::Failed(e),
        }
    }
}

/// One file read at startup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRead<'a> {
    /// The path the node asked for.
    pub path: String,
    /// What it got.
    #[serde(borrow)]
    pub outcome: ReadOutcome<'a>,
}

impl FileRead<'_> {
    /// The same read, owning its bytes.
    pub fn into_owned(self) -> FileRead<'static> {
        FileRead {
            path: self.path,
            outcome: self.outcome.into_owned(),
        }
    }
}

/// One call the driver made into the node (a `handle_*` or a startup load), with its `now`.
/// Ids are the raw numbers of `ConnId`, `LinkId`, `PersistToken`, `MigrateId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Input<'a> {
    /// `Node::load_cluster_config`, with the file's contents and what the call returned
    /// (`Err`: the error's text).
    LoadClusterConfig {
        /// When.
        now: Stamp,
        /// `cluster-config-file`, `None` when missing or empty.
        #[serde(with = "serde_bytes", borrow)]
        contents: Option<Cow<'a, [u8]>>,
        /// The call's result.
        result: Result<(), String>,
    },
    /// `Node::load_data`, with every file it read, in order, and what it returned (`Ok`: the
    /// `LoadReport` in `Debug` form; `Err`: the error's text).
    LoadData {
        /// When.
        now: Stamp,
        /// The reads, in the order the node made them.
        #[serde(borrow)]
        reads: Vec<FileRead<'a>>,
        /// The call's result.
        result: Result<String, String>,
    },
    /// `handle_accept`.
    Accept {
        /// When.
        now: Stamp,
        /// The connection.
        conn: u64,
        /// Its peer address.
        peer: SocketAddr,
        /// Our address on it.
        local: SocketAddr,
        /// The descriptor number shown as `fd=`.
        fd: i64,
    },
    /// `handle_read`.
    Read {
        /// When.
        now: Stamp,
        /// The connection.
        conn: u64,
        /// The bytes read.
        #[serde(with = "serde_bytes", borrow)]
        data: Cow<'a, [u8]>,
    },
    /// `handle_closed`.
    Closed {
        /// When.
        now: Stamp,
        /// The connection.
        conn: u64,
    },
    /// `handle_timeout`.
    Timeout {
        /// When.
        now: Stamp,
    },
    /// `handle_shutdown_signal` (SIGTERM/SIGINT).
    ShutdownSignal {
        /// When.
        now: Stamp,
    },
    /// `handle_process_stats`.
    ProcessStats {
        /// When.
        now: Stamp,
        /// RSS bytes.
        rss_bytes: u64,
        /// User CPU seconds.
        cpu_user: f64,
        /// System CPU seconds.
        cpu_sys: f64,
    },
    /// `handle_config_rewritten`, after the driver rewrote the config file.
    ConfigRewritten {
        /// When.
        now: Stamp,
        /// The client that asked.
        conn: u64,
        /// The rewrite's result.
        result: Result<(), String>,
    },
    /// `handle_bus_accept`.
    BusAccept {
        /// When.
        now: Stamp,
        /// The link.
        link: u64,
        /// The peer's address.
        peer: SocketAddr,
        /// Our address on it.
        local: SocketAddr,
    },
    /// `handle_bus_connected`.
    BusConnected {
        /// When.
        now: Stamp,
        /// The link.
        link: u64,
        /// Our address on it.
        local: SocketAddr,
    },
    /// `handle_bus_read`.
    BusRead {
        /// When.
        now: Stamp,
        /// The link.
        link: u64,
        /// The bytes read.
        #[serde(with = "serde_bytes", borrow)]
        data: Cow<'a, [u8]>,
    },
    /// `handle_bus_closed`.
    BusClosed {
        /// When.
        now: Stamp,
        /// The link.
        link: u64,
    },
    /// `handle_persist_done`.
    PersistDone {
        /// When.
        now: Stamp,
        /// The token.
        token: u64,
        /// The write's result.
        result: Result<(), String>,
    },
    /// `handle_migrate_connected`.
    MigrateConnected {
        /// When.
        now: Stamp,
        /// The connection.
        id: u64,
    },
    /// `handle_migrate_read`.
    MigrateRead {
        /// When.
        now: Stamp,
        /// The connection.
        id: u64,
        /// The bytes read.
        #[serde(with = "serde_bytes", borrow)]
        data: Cow<'a, [u8]>,
    },
    /// `handle_migrate_closed`.
    MigrateClosed {
        /// When.
        now: Stamp,
        /// The connection.
        id: u64,
    },
    /// `handle_repl_connected`.
    ReplConnected {
        /// When.
        now: Stamp,
        /// The link.
        link: u64,
    },
    /// `handle_repl_read`.
    ReplRead {
        /// When.
        now: Stamp,
        /// The link.
        link: u64,
        /// The bytes read.
        #[serde(with = "serde_bytes", borrow)]
        data: Cow<'a, [u8]>,
    },
    /// `handle_repl_closed`.
    ReplClosed {
        /// When.
        now: Stamp,
        /// The link.
        link: u64,
    },
    /// `handle_dir_changed`, after the driver changed directory for CONFIG SET dir. (Last, so
    /// logs recorded before it existed still decode.)
    DirChanged {
        /// When.
        now: Stamp,
        /// The client that asked.
        conn: u64,
        /// The new absolute directory, or the OS error text.
        result: Result<String, String>,
    },
    /// `Node::load_acl_file_at_startup` (`aclfile` read before serving), with the file it read
    /// (none without `aclfile`) and what it returned (`Err`: the line logged before exiting).
    /// (After `DirChanged`, so older logs still decode.)
    AclFileAtStartup {
        /// The reads, in the order the node made them (at most one).
        #[serde(borrow)]
        reads: Vec<FileRead<'a>>,
        /// The call's result.
        result: Result<(), String>,
    },
    /// `handle_acl_file_read`, after the driver read the ACL file for ACL LOAD.
    AclFileRead {
        /// When.
        now: Stamp,
        /// The client that asked.
        conn: u64,
        /// The file's bytes, or the OS error text (`Missing` is not used: the driver reports
        /// a missing file by its error text, as Redis's `fopen` does).
        #[serde(borrow)]
        outcome: ReadOutcome<'a>,
    },
    /// `handle_acl_file_saved`, after the driver wrote the ACL file for ACL SAVE.
    AclFileSaved {
        /// When.
        now: Stamp,
        /// The client that asked.
        conn: u64,
        /// The save's result (`Err`: the log line naming the failed step).
        result: Result<(), String>,
    },
    /// `handle_rdb_file_read`, after the driver read the RDB file for DEBUG RELOAD NOSAVE.
    /// (Last, so older logs still decode.)
    RdbFileRead {
        /// When.
        now: Stamp,
        /// The client that asked.
        conn: u64,
        /// The file's bytes, `Missing` when it does not exist, or the OS error text.
        #[serde(borrow)]
        outcome: ReadOutcome<'a>,
    },
}

impl Input<'_> {
    /// A short description for reports: the kind, the time and the ids, byte counts rather than
    /// bytes.
    pub fn describe(&self) -> String {
        match self {
            Input::LoadClusterConfig { now, contents, .. } => format!(
                "load_cluster_config at {} ({} bytes)",
                t(now),
                contents.as_ref().map_or(0, |c| c.len())
            ),
            Input::LoadData { now, reads, .. } => {
                format!("load_data at {} ({} files read)", t(now), reads.len())
            }
            Input::Accept {
                now, conn, peer, ..
            } => {
                format!("accept conn {conn} from {peer} at {}", t(now))
            }
            Input::Read { now, conn, data } => format!(
                "read conn {conn} at {}: {} bytes {}",
                t(now),
                data.len(),
                preview(data)
            ),
            Input::Closed { now, conn } => format!("closed conn {conn} at {}", t(now)),
            Input::Timeout { now } => format!("timeout at {}", t(now)),
            Input::ShutdownSignal { now } => format!("shutdown signal at {}", t(now)),
            Input::ProcessStats { now, .. } => format!("process stats at {}", t(now)),
            Input::ConfigRewritten { now, conn, .. } => {
                format!("config rewritten for conn {conn} at {}", t(now))
            }
            Input::BusAccept {
                now, link, peer, ..
            } => {
                format!("bus accept link {link} from {peer} at {}", t(now))
            }
            Input::BusConnected { now, link, .. } => {
                format!("bus connected link {link} at {}", t(now))
            }
            Input::BusRead { now, link, data } => {
                format!("bus read link {link} at {}: {} bytes", t(now), data.len())
            }
            Input::BusClosed { now, link } => format!("bus closed link {link} at {}", t(now)),
            Input::PersistDone { now, token, result } => {
                format!("persist done token {token} at {}: {result:?}", t(now))
            }
            Input::MigrateConnected { now, id } => {
                format!("migrate connected {id} at {}", t(now))
            }
            Input::MigrateRead { now, id, data } => {
                format!("migrate read {id} at {}: {} bytes", t(now), data.len())
            }
            Input::MigrateClosed { now, id } => format!("migrate closed {id} at {}", t(now)),
            Input::ReplConnected { now, link } => {
                format!("repl connected link {link} at {}", t(now))
            }
            Input::ReplRead { now, link, data } => {
                format!("repl read link {link} at {}: {} bytes", t(now), data.len())
            }
            Input::ReplClosed { now, link } => format!("repl closed link {link} at {}", t(now)),
            Input::DirChanged { now, conn, .. } => {
                format!("dir changed for conn {conn} at {}", t(now))
            }
            Input::AclFileAtStartup { reads, result } => format!(
                "acl file at startup ({} files read): {}",
                reads.len(),
                if result.is_ok() { "ok" } else { "error" }
            ),
            Input::AclFileRead { now, conn, outcome } => {
                let what = match outcome {
                    ReadOutcome::Found(b) => format!("{} bytes", b.len()),
                    ReadOutcome::Missing => "missing".to_owned(),
                    ReadOutcome::Failed(e) => format!("error {e:?}"),
                };
                format!("acl file read for conn {conn} at {}: {what}", t(now))
            }
            Input::AclFileSaved { now, conn, result } => {
                format!("acl file saved for conn {conn} at {}: {result:?}", t(now))
            }
            Input::RdbFileRead { now, conn, outcome } => {
                let what = match outcome {
                    ReadOutcome::Found(b) => format!("{} bytes", b.len()),
                    ReadOutcome::Missing => "missing".to_owned(),
                    ReadOutcome::Failed(e) => format!("error {e:?}"),
                };
                format!("rdb file read for conn {conn} at {}: {what}", t(now))
            }
        }
    }
}

fn t(s: &Stamp) -> String {
    format!("mono {} ms / wall {}", s.mono_ns / 1_000_000, s.wall_ms)
}

/// The first bytes of a client read, escaped, so a report shows which command it was.
fn preview(data: &[u8]) -> String {
    let shown: String = data
        .iter()
        .take(48)
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect();
    if data.len() > 48 {
        format!("\"{shown}…\"")
    } else {
        format!("\"{shown}\"")
    }
}

impl<'a> Input<'a> {
    /// The same input, owning its bytes.
    pub fn into_owned(self) -> Input<'static> {
        fn own(c: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
            Cow::Owned(c.into_owned())
        }
        match self {
            Input::LoadClusterConfig {
                now,
                contents,
                result,
            } => Input::LoadClusterConfig {
                now,
                contents: contents.map(own),
                result,
            },
            Input::LoadData { now, reads, result } => Input::LoadData {
                now,
                reads: reads.into_iter().map(FileRead::into_owned).collect(),
                result,
            },
            Input::Read { now, conn, data } => Input::Read {
                now,
                conn,
                data: own(data),
            },
            Input::BusRead { now, link, data } => Input::BusRead {
                now,
                link,
                data: own(data),
            },
            Input::MigrateRead { now, id, data } => Input::MigrateRead {
                now,
                id,
                data: own(data),
            },
            Input::ReplRead { now, link, data } => Input::ReplRead {
                now,
                link,
                data: own(data),
            },
            Input::Accept {
                now,
                conn,
                peer,
                local,
                fd,
            } => Input::Accept {
                now,
                conn,
                peer,
                local,
                fd,
            },
            Input::Closed { now, conn } => Input::Closed { now, conn },
            Input::Timeout { now } => Input::Timeout { now },
            Input::ShutdownSignal { now } => Input::ShutdownSignal { now },
            Input::ProcessStats {
                now,
                rss_bytes,
                cpu_user,
                cpu_sys,
            } => Input::ProcessStats {
                now,
                rss_bytes,
                cpu_user,
                cpu_sys,
            },
            Input::ConfigRewritten { now, conn, result } => {
                Input::ConfigRewritten { now, conn, result }
            }
            Input::BusAccept {
                now,
                link,
                peer,
                local,
            } => Input::BusAccept {
                now,
                link,
                peer,
                local,
            },
            Input::BusConnected { now, link, local } => Input::BusConnected { now, link, local },
            Input::BusClosed { now, link } => Input::BusClosed { now, link },
            Input::PersistDone { now, token, result } => Input::PersistDone { now, token, result },
            Input::MigrateConnected { now, id } => Input::MigrateConnected { now, id },
            Input::MigrateClosed { now, id } => Input::MigrateClosed { now, id },
            Input::ReplConnected { now, link } => Input::ReplConnected { now, link },
            Input::ReplClosed { now, link } => Input::ReplClosed { now, link },
            Input::DirChanged { now, conn, result } => Input::DirChanged { now, conn, result },
            Input::AclFileAtStartup { reads, result } => Input::AclFileAtStartup {
                reads: reads.into_iter().map(FileRead::into_owned).collect(),
                result,
            },
            Input::AclFileRead { now, conn, outcome } => Input::AclFileRead {
                now,
                conn,
                outcome: outcome.into_owned(),
            },
            Input::AclFileSaved { now, conn, result } => Input::AclFileSaved { now, conn, result },
            Input::RdbFileRead { now, conn, outcome } => Input::RdbFileRead {
                now,
                conn,
                outcome: outcome.into_owned(),
            },
        }
    }
}

/// Helpers to build inputs from the node's own types.
impl Input<'_> {
    /// An [`Input::Accept`].
    pub fn accept(now: Now, conn: u64, addr: ClientAddr) -> Input<'static> {
        Input::Accept {
            now: now.into(),
            conn,
            peer: addr.peer,
            local: addr.local,
            fd: addr.fd,
        }
    }

    /// An [`Input::ProcessStats`].
    pub fn process_stats(now: Now, s: ProcessStats) -> Input<'static> {
        Input::ProcessStats {
            now: now.into(),
            rss_bytes: s.rss_bytes,
            cpu_user: s.cpu_user,
            cpu_sys: s.cpu_sys,
        }
    }
}

/// Why a log ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum EndReason {
    /// The process closed the log (it shut down, or the driver was dropped).
    Closed,
    /// `hashslot-record-max-bytes` was reached; the node ran on unrecorded.
    CapReached,
    /// Writing the log failed; the node ran on unrecorded.
    WriteFailed,
}

/// One unit of the log after the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Frame<'a> {
    /// An input, in call order.
    #[serde(borrow)]
    Input(Input<'a>),
    /// The outputs taken after the input before it (written when the next input arrives or
    /// the log ends).
    Outputs(OutputDigest),
    /// The log ends here.
    End(EndReason),
}

/// [`Frame`] by reference, for writing without a copy: the same variants in the same order,
/// so bincode encodes both identically.
#[derive(Serialize)]
pub(crate) enum FrameRef<'b, 'a> {
    Input(&'b Input<'a>),
    Outputs(OutputDigest),
    End(EndReason),
}
