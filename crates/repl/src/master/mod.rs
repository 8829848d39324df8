//! The master side: replica sessions, PSYNC decisions, the stream and its backlog, WAIT.

mod chain;
mod cron;
mod session;
mod sync;

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use hashslot_types::{ConnId, Instant, Now, Rng};

pub use session::{ReplicaSession, ReplicaState};

use crate::wire::{self, parse_i64};
use crate::{MasterConfig, ReplHistory, ReplId};

/// A snapshot the master asked the driver for, named so late pieces of an old one are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotId(pub u64);

/// How a snapshot reaches its replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotTarget {
    /// Disk-style: held until complete, then sent as `$<len>\r\n<bytes>`.
    Disk,
    /// Diskless: streamed as produced, framed `$EOF:<mark>\r\n<bytes><mark>`.
    Socket,
}

/// What the master asks its driver to do. Drained with [`ReplicationMaster::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MasterOutput {
    /// Write these bytes to the connection (a reply, payload or stream bytes), in order.
    Send {
        /// The replica (or would-be replica) connection.
        conn: ConnId,
        /// The bytes.
        bytes: Bytes,
    },
    /// Close the connection (timeout, output limit, failed snapshot). No
    /// [`ReplicationMaster::handle_conn_closed`] is needed for it afterwards.
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// Produce an RDB snapshot of the dataset as it is now, and feed it with
    /// [`ReplicationMaster::handle_snapshot_chunk`] / [`ReplicationMaster::handle_snapshot_end`]
    /// (see [`pump_snapshot`](crate::pump_snapshot)). Writes done after this output belong to
    /// the stream, not the snapshot.
    StartSnapshot {
        /// The snapshot's name.
        id: SnapshotId,
        /// How it will be framed (informational: the framing is done here).
        target: SnapshotTarget,
        /// For the RDB aux field `repl-id`.
        replid: ReplId,
        /// For the RDB aux field `repl-offset`: the stream offset the snapshot stands at.
        offset: i64,
    },
    /// Answer the blocked `WAIT` of `client` with this integer.
    WaitReply {
        /// The client that called WAIT.
        client: ConnId,
        /// Replicas that acknowledged its offset.
        replicas: i64,
    },
}

/// The `INFO stats` counters of PSYNC/SYNC outcomes (`server.stat_sync_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// `sync_full`: full resynchronizations served (SYNC, or a PSYNC that could not continue).
    pub sync_full: u64,
    /// `sync_partial_ok`: PSYNCs answered `+CONTINUE`.
    pub sync_partial_ok: u64,
    /// `sync_partial_err`: PSYNCs naming a history (`replid` not `?`) that could not continue.
    pub sync_partial_err: u64,
}

impl std::ops::Add for SyncStats {
    type Output = SyncStats;
    fn add(self, o: SyncStats) -> SyncStats {
        SyncStats {
            sync_full: self.sync_full + o.sync_full,
            sync_partial_ok: self.sync_partial_ok + o.sync_partial_ok,
            sync_partial_err: self.sync_partial_err + o.sync_partial_err,
        }
    }
}

#[derive(Debug)]
struct Snapshot {
    id: SnapshotId,
    target: SnapshotTarget,
    eof_mark: [u8; 40],
    members: Vec<ConnId>,
    buf: Vec<u8>,
}

#[derive(Debug)]
struct Wait {
    client: ConnId,
    numreplicas: i64,
    offset: i64,
    deadline: Option<Instant>,
}

/// The master side of Redis 7.0 replication.
///
/// Driver contract (the workspace's four kinds of methods):
/// - inputs: [`handle_replconf`](Self::handle_replconf) and [`handle_psync`](Self::handle_psync)
///   for those commands from any client connection, [`feed`](Self::feed) for every write
///   command after it ran (already rewritten for propagation), [`handle_wait`](Self::handle_wait),
///   the snapshot handlers, [`handle_conn_closed`](Self::handle_conn_closed) for every closed
///   client, and [`handle_timeout`](Self::handle_timeout);
/// - after each, drain [`poll_output`](Self::poll_output) until `None`, then arm a timer for
///   [`poll_timeout`](Self::poll_timeout). An early or repeated `handle_timeout` is a no-op;
/// - getters (`info`, `history`, `replicas`…) never change anything.
///
/// A peer that breaks the protocol gets an error reply (or is dropped); nothing here returns
/// `Err` for the peer's mistakes.
#[derive(Debug)]
pub struct ReplicationMaster {
    config: MasterConfig,
    rng: Rng,
    pub(crate) history: ReplHistory,
    /// This machine serves the sub-replicas of a replica (chained replication): the stream is
    /// the upstream master's, proxied byte for byte by the replica machine that owns this one
    /// ([`feed_raw`](Self::feed_raw)), so it never makes commands or PINGs of its own.
    /// Ref: replication.c `replicationFeedSlaves` returns at once on a replica;
    /// `replicationFeedStreamFromMasterStream` proxies instead.
    pub(crate) chained: bool,
    /// `server.slaveseldb`: the db the stream last selected, -1 for "emit SELECT next".
    slaveseldb: i64,
    /// In the order they became replicas (INFO's order); handshake-only connections too.
    sessions: Vec<ReplicaSession>,
    snapshot: Option<Snapshot>,
    next_snapshot: u64,
    waits: Vec<Wait>,
    cron_at: Instant,
    next_ping: Instant,
    out: VecDeque<MasterOutput>,
    stats: SyncStats,
}

/// `replicationCron` runs once a second.
const CRON_PERIOD: Duration = Duration::from_secs(1);

impl ReplicationMaster {
    /// A master with a fresh history (random replid, offset 0, no backlog yet).
    pub fn new(now: Now, config: MasterConfig, mut rng: Rng) -> Self {
        let history = ReplHistory::new(&mut rng);
        Self::with_history(now, config, rng, history)
    }

    /// A master continuing `history` (restored from an RDB, or a promoted replica's).
    pub fn with_history(now: Now, config: MasterConfig, rng: Rng, history: ReplHistory) -> Self {
        ReplicationMaster {
            next_ping: now.mono + config.repl_ping_replica_period,
            config,
            rng,
            history,
            chained: false,
            slaveseldb: -1,
            sessions: Vec::new(),
            snapshot: None,
            next_snapshot: 1,
            waits: Vec::new(),
            cron_at: now.mono + CRON_PERIOD,
            out: VecDeque::new(),
            stats: SyncStats::default(),
        }
    }

    /// Change the configuration (`CONFIG SET`); a new backlog size applies at once.
    pub fn set_config(&mut self, config: MasterConfig) {
        if let Some(b) = &mut self.history.backlog {
            b.resize(config.repl_backlog_size);
        }
        self.config = config;
    }

    /// PSYNC/SYNC outcomes since this machine started (or since
    /// [`reset_sync_stats`](Self::reset_sync_stats)).
    pub fn sync_stats(&self) -> SyncStats {
        self.stats
    }

    /// `CONFIG RESETSTAT`: the counters start again from 0.
    pub fn reset_sync_stats(&mut self) {
        self.stats = SyncStats::default();
    }

    /// `DEBUG CHANGE-REPL-ID` (Redis's `changeReplicationId` then `clearReplicationId2`): a
    /// new random id and no secondary one, so a replica that asks `PSYNC` with either old id
    /// is fully resynchronized. Connected replicas are not told; the offset and backlog stay.
    pub fn change_replication_id(&mut self) {
        self.history.change_replication_id(&mut self.rng);
        self.history.clear_replication_id2();
    }

    /// The replication history (ids, offset, backlog).
    pub fn history(&self) -> &ReplHistory {
        &self.history
    }

    /// `master_repl_offset`: a client's WAIT offset is this value right after its write.
    pub fn master_repl_offset(&self) -> i64 {
        self.history.master_repl_offset
    }

    /// The db the stream last selected (0 before any): what an RDB saved now records as
    /// `repl-stream-db` (Ref: rdb.c `rdbPopulateSaveInfo`, `slaveseldb == -1 ? 0 : slaveseldb`).
    pub fn stream_db(&self) -> i64 {
        self.slaveseldb.max(0)
    }

    /// The sessions, in INFO order (including connections still in the handshake).
    pub fn replicas(&self) -> impl Iterator<Item = &ReplicaSession> {
        self.sessions.iter()
    }

    /// Whether `conn` is a replica (its commands are not replies to send back, and it must not
    /// be treated as a normal client any more).
    pub fn is_replica(&self, conn: ConnId) -> bool {
        self.session(conn).is_some_and(ReplicaSession::is_replica)
    }

    /// The next output for the driver.
    pub fn poll_output(&mut self) -> Option<MasterOutput> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) wants to run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let wait = self.waits.iter().filter_map(|w| w.deadline).min();
        Some(wait.map_or(self.cron_at, |w| w.min(self.cron_at)))
    }

    /// The `# Replication` section of INFO for a master, CRLF-terminated lines.
    pub fn info(&self, now: Now) -> String {
        let mut s = String::from("# Replication\r\nrole:master\r\n");
        self.info_replicas(now, &mut s);
        self.history
            .info_tail(self.config.repl_backlog_size, &mut s);
        s
    }

    /// INFO's `connected_slaves:` and `slaveN:` lines (a replica with sub-replicas writes
    /// them too).
    pub(crate) fn info_replicas(&self, now: Now, s: &mut String) {
        let replicas: Vec<_> = self.sessions.iter().filter(|r| r.is_replica()).collect();
        s.push_str(&format!("connected_slaves:{}\r\n", replicas.len()));
        for (i, line) in replicas
            .iter()
            .filter_map(|r| r.info_line(now.mono))
            .enumerate()
        {
            s.push_str(&format!("slave{i}:{line}\r\n"));
        }
    }

    /// Append a write command to the stream (Redis's `replicationFeedSlaves`): `SELECT db`
    /// first when the stream's db differs, then `argv` as RESP, to the backlog and to every
    /// replica. Without a backlog and replicas nothing is kept and the offset does not move.
    ///
    /// A chained machine (serving a replica's sub-replicas) ignores this: its stream is the
    /// upstream's.
    pub fn feed<A: AsRef<[u8]>>(&mut self, db: i64, argv: &[A]) {
        if self.chained {
            return;
        }
        if self.history.backlog.is_none() && !self.sessions.iter().any(|s| s.is_replica()) {
            return;
        }
        let mut bytes = Vec::new();
        if self.slaveseldb != db {
            wire::encode_command(
                &[b"SELECT".as_slice(), db.to_string().as_bytes()],
                &mut bytes,
            );
            self.slaveseldb = db;
        }
        wire::encode_command(argv, &mut bytes);
        self.feed_stream(bytes);
    }

    /// Bytes into the stream without touching the selected db (PING, GETACK, and the bytes a
    /// replica proxies from its master to its sub-replicas).
    pub(crate) fn feed_stream(&mut self, bytes: Vec<u8>) {
        self.history.append(&bytes);
        let bytes = Bytes::from(bytes);
        let limit = self.config.replica_output_limit;
        let mut drop = Vec::new();
        for s in &mut self.sessions {
            if s.streams_now() {
                self.out.push_back(MasterOutput::Send {
                    conn: s.conn,
                    bytes: bytes.clone(),
                });
            } else if s.buffers() {
                s.pending.extend_from_slice(&bytes);
                if s.pending.len() > limit {
                    drop.push(s.conn);
                }
            }
        }
        for conn in drop {
            self.close(conn);
        }
    }

    /// `REPLCONF <option> <value> …` from `conn` (whose peer address is `peer_ip`).
    pub fn handle_replconf(&mut self, now: Now, conn: ConnId, peer_ip: &str, argv: &[&[u8]]) {
        if argv.len() % 2 == 0 {
            return self.reply(conn, b"-ERR syntax error\r\n");
        }
        let mut settings = Vec::new();
        for pair in argv[1..].chunks(2) {
            let (opt, val) = (pair[0].to_ascii_lowercase(), pair[1]);
            match opt.as_slice() {
                b"listening-port" => match parse_i64(val).and_then(|p| u16::try_from(p).ok()) {
                    Some(p) => settings.push(Setting::Port(p)),
                    None => {
                        return self
                            .reply(conn, b"-ERR value is not an integer or out of range\r\n")
                    }
                },
                b"ip-address" if val.len() >= 256 => {
                    let msg = format!(
                        "-ERR REPLCONF ip-address provided by replica instance is too long: {} bytes\r\n",
                        val.len()
                    );
                    return self.reply(conn, msg.as_bytes());
                }
                b"ip-address" => {
                    settings.push(Setting::Ip(String::from_utf8_lossy(val).into_owned()))
                }
                b"capa" if val.eq_ignore_ascii_case(b"eof") => settings.push(Setting::CapaEof),
                b"capa" if val.eq_ignore_ascii_case(b"psync2") => settings.push(Setting::Psync2),
                b"capa" => {} // unknown capabilities are ignored
                b"ack" => {
                    // No reply, ever; only replicas' ACKs count.
                    if let Some(offset) = parse_i64(val) {
                        self.handle_ack(now, conn, offset);
                    }
                    return;
                }
                // GETACK asks a replica for an ACK; a master has nothing to answer.
                b"getack" => return,
                b"rdb-only" => match val {
                    b"0" | b"1" => {}
                    _ => {
                        return self
                            .reply(conn, b"-ERR value is not an integer or out of range\r\n")
                    }
                },
                b"rdb-filter-only" => {}
                _ => {
                    let msg = format!(
                        "-ERR Unrecognized REPLCONF option: {}\r\n",
                        String::from_utf8_lossy(pair[0])
                    );
                    return self.reply(conn, msg.as_bytes());
                }
            }
        }
        let s = self.session_or_insert(now, conn, peer_ip);
        for setting in settings {
            match setting {
                Setting::Port(p) => s.listening_port = p,
                Setting::Ip(ip) => s.announced_ip = Some(ip),
                Setting::CapaEof => s.capa_eof = true,
                Setting::Psync2 => s.capa_psync2 = true,
            }
        }
        self.reply(conn, b"+OK\r\n");
    }

    fn handle_ack(&mut self, now: Now, conn: ConnId, offset: i64) {
        let Some(s) = self
            .sessions
            .iter_mut()
            .find(|s| s.conn == conn && s.is_replica())
        else {
            return;
        };
        s.ack_offset = s.ack_offset.max(offset);
        s.ack_time = now.mono;
        if s.state == ReplicaState::Online && s.start_on_ack {
            // Diskless: the replica loaded the RDB; now the buffered stream may flow.
            s.start_on_ack = false;
            let pending = std::mem::take(&mut s.pending);
            if !pending.is_empty() {
                self.out.push_back(MasterOutput::Send {
                    conn,
                    bytes: pending.into(),
                });
            }
        }
        self.process_waits();
    }

    /// The connection `conn` closed: forget its session and any WAIT it blocked in.
    pub fn handle_conn_closed(&mut self, _now: Now, conn: ConnId) {
        self.sessions.retain(|s| s.conn != conn);
        self.waits.retain(|w| w.client != conn);
        if let Some(snap) = &mut self.snapshot {
            snap.members.retain(|&c| c != conn);
        }
    }

    fn close(&mut self, conn: ConnId) {
        self.sessions.retain(|s| s.conn != conn);
        if let Some(snap) = &mut self.snapshot {
            snap.members.retain(|&c| c != conn);
        }
        self.out.push_back(MasterOutput::Close { conn });
    }

    fn reply(&mut self, conn: ConnId, bytes: &[u8]) {
        self.out.push_back(MasterOutput::Send {
            conn,
            bytes: Bytes::copy_from_slice(bytes),
        });
    }

    fn session(&self, conn: ConnId) -> Option<&ReplicaSession> {
        self.sessions.iter().find(|s| s.conn == conn)
    }

    fn session_or_insert(&mut self, now: Now, conn: ConnId, peer_ip: &str) -> &mut ReplicaSession {
        let i = match self.sessions.iter().position(|s| s.conn == conn) {
            Some(i) => i,
            None => {
                self.sessions
                    .push(ReplicaSession::new(conn, peer_ip, now.mono));
                self.sessions.len() - 1
            }
        };
        &mut self.sessions[i]
    }

    /// Give up the master role (this node becomes a replica): the history, for
    /// [`ReplicationReplica::from_master`](crate::ReplicationReplica::from_master), and the
    /// replica connections the driver should close.
    pub fn into_parts(self) -> (ReplHistory, Vec<ConnId>) {
        let conns = self
            .sessions
            .iter()
            .filter(|s| s.is_replica())
            .map(|s| s.conn)
            .collect();
        (self.history, conns)
    }
}

enum Setting {
    Port(u16),
    Ip(String),
    CapaEof,
    Psync2,
}
