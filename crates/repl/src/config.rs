//! Configuration of both roles, with Redis 7.0's defaults and names.

use std::time::Duration;

use bytes::Bytes;

/// Master-side settings (`redis.conf` names in the field docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterConfig {
    /// `repl-backlog-size` (1 MiB).
    pub repl_backlog_size: usize,
    /// `repl-diskless-sync` (yes since 7.0): stream the RDB with the `$EOF:` framing to replicas
    /// that sent `capa eof`.
    pub repl_diskless_sync: bool,
    /// `repl-diskless-sync-delay` (5 s): wait this long for more replicas before a diskless
    /// snapshot starts.
    pub repl_diskless_sync_delay: Duration,
    /// `repl-ping-replica-period` (10 s): PING into the stream this often.
    pub repl_ping_replica_period: Duration,
    /// `repl-timeout` (60 s): drop an online replica that has not ACKed for this long.
    pub repl_timeout: Duration,
    /// `client-output-buffer-limit replica` hard limit (256 MiB): a replica whose buffered
    /// stream (while it waits for its snapshot or first ACK) grows past this is dropped.
    pub replica_output_limit: usize,
}

impl Default for MasterConfig {
    fn default() -> Self {
        MasterConfig {
            repl_backlog_size: 1024 * 1024,
            repl_diskless_sync: true,
            repl_diskless_sync_delay: Duration::from_secs(5),
            repl_ping_replica_period: Duration::from_secs(10),
            repl_timeout: Duration::from_secs(60),
            replica_output_limit: 256 * 1024 * 1024,
        }
    }
}

/// Replica-side settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaConfig {
    /// `masterauth`: when set, the handshake sends `AUTH`.
    pub masterauth: Option<Bytes>,
    /// `masteruser`: the ACL user for `AUTH <user> <pass>`.
    pub masteruser: Option<Bytes>,
    /// The port sent as `REPLCONF listening-port` (`replica-announce-port`, else the client
    /// port).
    pub listening_port: u16,
    /// `replica-announce-ip`: sent as `REPLCONF ip-address` when set.
    pub announce_ip: Option<String>,
    /// `repl-timeout` (60 s): drop a master silent for this long.
    pub repl_timeout: Duration,
    /// `replica-priority` (100), shown in INFO as `slave_priority`.
    pub replica_priority: u32,
    /// `replica-read-only` (yes).
    pub replica_read_only: bool,
    /// `replica-announced` (yes).
    pub replica_announced: bool,
    /// The largest RDB payload accepted (the whole payload is held until it is loaded); a
    /// larger one aborts the sync. Default 4 GiB.
    pub max_rdb_payload: u64,
    /// The backlog size used once this node has a history to keep (`repl-backlog-size`).
    pub repl_backlog_size: usize,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        ReplicaConfig {
            masterauth: None,
            masteruser: None,
            listening_port: 6379,
            announce_ip: None,
            repl_timeout: Duration::from_secs(60),
            replica_priority: 100,
            replica_read_only: true,
            replica_announced: true,
            max_rdb_payload: 4 * 1024 * 1024 * 1024,
            repl_backlog_size: 1024 * 1024,
        }
    }
}
