//! One replica as the master sees it (Redis keeps this on the replica's `client`).

use hashslot_types::{ConnId, Instant};

/// Where a replica stands (Redis's `SLAVE_STATE_*`), plus the handshake before `PSYNC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplicaState {
    /// The connection has only sent `REPLCONF` options so far: not a replica yet.
    Handshake,
    /// `SLAVE_STATE_WAIT_BGSAVE_START`: a full resync waits for a snapshot to start.
    WaitBgsaveStart,
    /// `SLAVE_STATE_WAIT_BGSAVE_END`: its snapshot is being produced (and, diskless,
    /// streamed); the stream since the snapshot point is buffered.
    WaitBgsaveEnd,
    /// `SLAVE_STATE_SEND_BULK`: a disk-style payload is being sent. This crate hands the whole
    /// payload to the driver in one output, so a replica passes through it at once.
    SendBulk,
    /// `SLAVE_STATE_ONLINE`: receiving the stream (after a diskless sync, once it first ACKs).
    Online,
}

impl ReplicaState {
    /// The word INFO shows (`state=` of a `slaveN:` line), `None` for a non-replica.
    pub fn info_name(self) -> Option<&'static str> {
        match self {
            ReplicaState::Handshake => None,
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => Some("wait_bgsave"),
            ReplicaState::SendBulk => Some("send_bulk"),
            ReplicaState::Online => Some("online"),
        }
    }
}

/// A replica connection's replication fields.
#[derive(Debug, Clone)]
pub struct ReplicaSession {
    /// The connection.
    pub conn: ConnId,
    /// Peer address as the driver saw it.
    pub peer_ip: String,
    /// `REPLCONF listening-port`.
    pub listening_port: u16,
    /// `REPLCONF ip-address`, preferred over the peer address in INFO.
    pub announced_ip: Option<String>,
    /// `REPLCONF capa eof`.
    pub capa_eof: bool,
    /// `REPLCONF capa psync2`.
    pub capa_psync2: bool,
    /// State.
    pub state: ReplicaState,
    /// `repl_ack_off`: the highest offset the replica acknowledged.
    pub ack_offset: i64,
    /// `repl_ack_time`: when it last acknowledged (or became a replica).
    pub ack_time: Instant,
    /// When it became a replica (for the diskless start delay).
    pub since: Instant,
    /// Came with old `SYNC`: no `+FULLRESYNC`, no ACKs (`CLIENT_PRE_PSYNC`).
    pub pre_psync: bool,
    /// Diskless: online, but the stream waits for the first ACK (`repl_start_cmd_stream_on_ack`).
    pub start_on_ack: bool,
    /// Stream bytes held until it can be sent (snapshot in progress, or waiting for the ACK).
    pub pending: Vec<u8>,
}

impl ReplicaSession {
    pub(crate) fn new(conn: ConnId, peer_ip: &str, now: Instant) -> Self {
        ReplicaSession {
            conn,
            peer_ip: peer_ip.to_owned(),
            listening_port: 0,
            announced_ip: None,
            capa_eof: false,
            capa_psync2: false,
            state: ReplicaState::Handshake,
            ack_offset: 0,
            ack_time: now,
            since: now,
            pre_psync: false,
            start_on_ack: false,
            pending: Vec::new(),
        }
    }

    /// Whether it is a replica (listed in `server.slaves`).
    pub fn is_replica(&self) -> bool {
        self.state != ReplicaState::Handshake
    }

    /// Whether stream bytes go straight to it.
    pub(crate) fn streams_now(&self) -> bool {
        self.state == ReplicaState::Online && !self.start_on_ack
    }

    /// Whether stream bytes are held for it.
    pub(crate) fn buffers(&self) -> bool {
        matches!(
            self.state,
            ReplicaState::WaitBgsaveEnd | ReplicaState::SendBulk
        ) || (self.state == ReplicaState::Online && self.start_on_ack)
    }

    /// The `slaveN:` INFO value: `ip=…,port=…,state=…,offset=…,lag=…`.
    pub fn info_line(&self, now: Instant) -> Option<String> {
        let state = self.state.info_name()?;
        let ip = self.announced_ip.as_deref().unwrap_or(&self.peer_ip);
        let lag = now.saturating_duration_since(self.ack_time).as_secs();
        Some(format!(
            "ip={ip},port={},state={state},offset={},lag={lag}",
            self.listening_port, self.ack_offset
        ))
    }
}
