//! What a [`Cluster`](crate::Cluster) asks its driver to do, and the events its owner reacts to.

use std::net::SocketAddr;

use bytes::Bytes;
use hashslot_types::{Epoch, Instant, LinkId, NodeId, Slot};

/// Severity of a log line, as Redis's `loglevel`.
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

/// Names one [`Output::Persist`] so that its completion can be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SaveToken(pub u64);

/// One thing for the driver to do, drained with [`Cluster::poll_output`](crate::Cluster::poll_output).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Open an outbound bus connection to `addr`, named `link` (top bit set). Report with
    /// `handle_link_connected` or `handle_link_closed`.
    Connect {
        /// The cluster's name for the link.
        link: LinkId,
        /// The peer's bus address.
        addr: SocketAddr,
    },
    /// Write `data` on `link` after what was sent before.
    Send {
        /// The link.
        link: LinkId,
        /// One or more whole bus messages.
        data: Bytes,
    },
    /// Close `link` now (the driver does not report it back as closed).
    Close {
        /// The link.
        link: LinkId,
    },
    /// Replace the cluster config file with `data` (temporary file, rename), then call
    /// `handle_persist_done`.
    Persist {
        /// Names the write.
        token: SaveToken,
        /// The whole nodes.conf text.
        data: Bytes,
        /// Whether the write must be fsynced (file and directory) before it completes. As in
        /// Redis 7.0, only changes of an epoch or of the vote, and CLUSTER SAVECONFIG, need it
        /// (`CLUSTER_TODO_FSYNC_CONFIG`); slot and membership changes are written without.
        sync: bool,
    },
    /// A log line.
    Log {
        /// Severity.
        level: LogLevel,
        /// Text without newline.
        message: String,
    },
    /// Something the owner of the cluster (the node) reacts to.
    Event(Event),
}

/// Changes the node reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Slot ownership or migration state changed.
    SlotsChanged,
    /// These slots were mine and another node took them with a higher epoch: their keys are
    /// stale and must be deleted (`delKeysInSlot` of `clusterUpdateSlotsConfigWith`).
    DirtySlots(Vec<Slot>),
    /// My role changed: `Some(master)` when I am now a replica of it, `None` when a master.
    RoleChanged {
        /// The master I replicate.
        master: Option<NodeId>,
    },
    /// I replaced my master, by election or TAKEOVER (`clusterFailoverReplaceYourMaster`); it
    /// follows [`Event::RoleChanged`] `{ master: None }`. Replication stops following the old
    /// master and shifts its replication id (`replicationUnsetMaster`).
    FailoverPromoted {
        /// The master I replaced.
        old_master: NodeId,
        /// My configEpoch now.
        config_epoch: Epoch,
        /// A manual failover (CLUSTER FAILOVER) rather than an automatic one.
        manual: bool,
    },
    /// A replica asked me (a master) for a manual failover: pause client writes until `until`
    /// (monotonic) so that its offset can catch up with mine.
    ManualFailoverPause {
        /// End of the pause.
        until: Instant,
    },
    /// The manual failover pause ends early (timed out, or I became a replica).
    ManualFailoverUnpause,
    /// The cluster state (`cluster_state`) changed.
    StateChanged {
        /// `true` for ok.
        ok: bool,
    },
    /// A PUBLISH arrived over the bus from another node: deliver it to local subscribers.
    Publish {
        /// Channel.
        channel: Vec<u8>,
        /// Message.
        message: Vec<u8>,
    },
    /// A PUBLISHSHARD (SPUBLISH) arrived over the bus.
    PublishShard {
        /// Channel.
        channel: Vec<u8>,
        /// Message.
        message: Vec<u8>,
    },
    /// Every config change up to `generation` (see `Cluster::config_generation`) is on disk,
    /// or the write failed with the OS error text.
    ConfigSaved {
        /// The newest generation the completed write holds.
        generation: u64,
        /// `Err(strerror)` when the write failed.
        result: Result<(), String>,
    },
}
