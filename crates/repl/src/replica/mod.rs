//! The replica side: handshake, PSYNC, the full-sync payload, the command stream, ACKs.

mod payload;
mod read;

use std::collections::VecDeque;
use std::fmt::Write;
use std::time::Duration;

use bytes::Bytes;
use hashslot_resp::{Limits, RequestParser};
use hashslot_types::{ConnId, Instant, Now, Rng};

use crate::wire;
use crate::{MasterConfig, ReplHistory, ReplId, ReplicaConfig, ReplicationMaster};
use payload::PayloadReader;
use read::HeldMulti;

/// What the replica asks its driver to do. Drained with [`ReplicationReplica::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplicaOutput {
    /// Open a TCP connection to the master, then call
    /// [`handle_connected`](ReplicationReplica::handle_connected) or
    /// [`handle_connect_failed`](ReplicationReplica::handle_connect_failed).
    ConnectToMaster {
        /// Master host.
        host: String,
        /// Master client port.
        port: u16,
    },
    /// Write these bytes to the master connection.
    SendToMaster(Bytes),
    /// Close the master connection (no `handle_disconnected` needed for it afterwards).
    CloseMasterLink,
    /// Replace the whole dataset with this RDB file (flush, then load), then call
    /// [`handle_rdb_loaded`](ReplicationReplica::handle_rdb_loaded). Bytes read meanwhile are
    /// held and applied after it.
    LoadRdb {
        /// The RDB file, exactly as the master sent it (no framing).
        payload: Bytes,
    },
    /// Execute this write command from the master (no reply is sent; the master client may
    /// write even when the replica is read-only).
    ApplyCommand {
        /// The db the master stream selected (its `SELECT`s are handled here).
        db: i64,
        /// The command and its arguments.
        argv: Vec<Bytes>,
        /// `slave_repl_offset` once this command is processed.
        offset: i64,
    },
}

/// Redis's `repl_state` for a replica (`REPL_STATE_*`), plus `Loading` while the driver loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkState {
    /// Must connect (at the next cron).
    Connect,
    /// Waiting for the TCP connection.
    Connecting,
    /// `PING` sent.
    ReceivePingReply,
    /// `AUTH`/`REPLCONF` sent back-to-back; reading their replies.
    Handshake,
    /// `PSYNC` sent.
    ReceivePsyncReply,
    /// Reading the RDB payload.
    Transfer,
    /// The payload was handed out with `LoadRdb`; waiting for `handle_rdb_loaded`.
    Loading,
    /// Streaming (`master_link_status:up`).
    Connected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Auth,
    Port,
    Ip,
    Capa,
}

/// The replica side of Redis 7.0 replication, for one master.
///
/// Driver contract: the same four kinds of methods as [`ReplicationMaster`]. Inputs are the
/// master connection's life ([`handle_connected`](Self::handle_connected),
/// [`handle_connect_failed`](Self::handle_connect_failed),
/// [`handle_disconnected`](Self::handle_disconnected)), the bytes read from it
/// ([`handle_read`](Self::handle_read)), the load result
/// ([`handle_rdb_loaded`](Self::handle_rdb_loaded)) and [`handle_timeout`](Self::handle_timeout).
/// After each, drain [`poll_output`](Self::poll_output) and the sub-replicas' machine's
/// outputs ([`downstream`](Self::downstream), whose inputs are this node's replicas'
/// `REPLCONF`s, their `PSYNC`s through [`handle_psync`](Self::handle_psync), snapshots and
/// closed connections), then re-arm [`poll_timeout`](Self::poll_timeout) (it covers both).
///
/// Memory: the full-sync payload is held whole until `LoadRdb` (at most
/// [`ReplicaConfig::max_rdb_payload`] plus the 40-byte mark); bytes that arrive while the
/// driver loads are held too; in the stream an incomplete command is held, and a transaction
/// until its `EXEC`.
#[derive(Debug)]
pub struct ReplicationReplica {
    config: ReplicaConfig,
    /// The sub-replicas' side (chained replication), which also holds this replica's history
    /// (ids, offset, backlog): Redis keeps one history per server whatever its role, and a
    /// replica's sub-replicas are served from exactly that history.
    down: ReplicationMaster,
    /// A transaction of the master's stream being read (`MULTI` seen, `EXEC` not yet): its
    /// bytes and commands are held, then applied and proxied together at `EXEC`, as Redis's
    /// master client queues it and proxies it (and advances its offset) only once it ran.
    multi: Option<HeldMulti>,
    master_host: String,
    master_port: u16,
    state: LinkState,
    /// A cached master (`server.cached_master`): PSYNC with `history.replid` and
    /// `history.master_repl_offset + 1`.
    cached: bool,
    /// The master's id when it differs from ours (`server.cached_master->replid` /
    /// `server.master->replid` apart from `server.replid`): only after `DEBUG CHANGE-REPL-ID`,
    /// which changes our id but not the one `PSYNC` offers the master. `None`: the same.
    master_replid: Option<ReplId>,
    expect: VecDeque<Expect>,
    /// `+FULLRESYNC` id and offset, applied once the payload is loaded.
    full: Option<(ReplId, i64)>,
    /// The payload came with the EOF mark: ACK right after loading.
    usemark: bool,
    /// Old `SYNC` fallback: no offsets, no ACKs.
    pre_psync: bool,
    db: i64,
    inbuf: Vec<u8>,
    parser: RequestParser,
    payload: Option<PayloadReader>,
    /// `repl_transfer_lastio` / the master client's `lastinteraction`.
    last_io: Instant,
    down_since: Option<Instant>,
    cron_at: Instant,
    out: VecDeque<ReplicaOutput>,
}

const CRON_PERIOD: Duration = Duration::from_secs(1);

impl ReplicationReplica {
    /// The generator the sub-replicas' side draws its diskless EOF marks from (Redis draws
    /// them at random; the default seed is derived from the replication id, which clients
    /// can read).
    pub fn set_downstream_rng(&mut self, rng: Rng) {
        self.down.set_rng(rng);
    }

    /// Replicate `host:port` with no cached master (`PSYNC ? -1`): a node that starts empty.
    pub fn new(
        now: Now,
        config: ReplicaConfig,
        history: ReplHistory,
        host: &str,
        port: u16,
    ) -> Self {
        // The sub-replicas' side draws only diskless EOF marks from its generator: seeded
        // from the history so the machine stays deterministic without a generator argument.
        // A driver should give it an unguessable one (`set_downstream_rng`): the id is
        // public (INFO), and a client that knows a mark can cut a sub-replica's sync short.
        let seed = history
            .replid
            .as_bytes()
            .iter()
            .fold(0u64, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        let down_config = MasterConfig {
            repl_backlog_size: config.repl_backlog_size,
            ..MasterConfig::default()
        };
        let mut down =
            ReplicationMaster::with_history(now, down_config, Rng::from_seed(seed), history);
        down.set_chained(true);
        let mut r = ReplicationReplica {
            config,
            down,
            multi: None,
            master_host: host.to_owned(),
            master_port: port,
            state: LinkState::Connect,
            cached: false,
            master_replid: None,
            expect: VecDeque::new(),
            full: None,
            usemark: false,
            pre_psync: false,
            db: 0,
            inbuf: Vec::new(),
            parser: RequestParser::new(master_limits()),
            payload: None,
            last_io: now.mono,
            down_since: None,
            cron_at: now.mono + CRON_PERIOD,
            out: VecDeque::new(),
        };
        r.connect(now);
        r
    }

    /// A master machine becoming a replica of `host:port` (Redis's `replicationSetMaster` on a
    /// master): its history becomes the cached master (`replicationCacheMasterUsingMyself`),
    /// so it can `PSYNC` and continue, and its replicas stay connected as sub-replicas (Redis
    /// disconnects them only when this node's history changes: a full resync, or a
    /// `+CONTINUE` with a new id). Its blocked WAITs are dropped: the driver answers them.
    pub fn from_master_machine(
        now: Now,
        config: ReplicaConfig,
        master: ReplicationMaster,
        host: &str,
        port: u16,
    ) -> Self {
        let mut down = master;
        down.set_chained(true);
        // The machine made here is replaced at once by the master's (history and replicas).
        let placeholder = ReplHistory::restored(down.history.replid, 0);
        let mut r = Self::new(now, config, placeholder, host, port);
        r.down = down;
        r.cached = true;
        r
    }

    /// A master becoming a replica of `host:port` keeps its history as a cached master
    /// (Redis's `replicationCacheMasterUsingMyself`), so it can `PSYNC` and continue.
    pub fn from_master(
        now: Now,
        config: ReplicaConfig,
        history: ReplHistory,
        host: &str,
        port: u16,
    ) -> Self {
        let mut r = Self::new(now, config, history, host, port);
        r.cached = true;
        r
    }

    /// A node restarted from an RDB file holding a replication position (`repl-id`,
    /// `repl-offset`, `repl-stream-db`) offers it as its cached master, as Redis does when it
    /// loads such a file as a replica (`replicationCacheMasterUsingMyself`): the first PSYNC
    /// asks to continue from `offset + 1` instead of a full resync. Taken only before that
    /// first PSYNC and while the history is still the empty one this replica started with;
    /// returns whether it was taken.
    pub fn restore_cached(&mut self, history: ReplHistory, stream_db: i64) -> bool {
        let before_psync = matches!(
            self.state,
            LinkState::Connect
                | LinkState::Connecting
                | LinkState::ReceivePingReply
                | LinkState::Handshake
        );
        let empty =
            self.down.history.master_repl_offset == 0 && self.down.history.backlog.is_none();
        if !before_psync || !empty || history.master_repl_offset < 0 {
            return false;
        }
        self.down.history = history;
        self.master_replid = None;
        self.db = stream_db;
        self.cached = true;
        true
    }

    /// `DEBUG CHANGE-REPL-ID` (Redis's `changeReplicationId` then `clearReplicationId2`): our
    /// id (INFO's `master_replid`, what we would offer after a promotion) becomes a new random
    /// one and the secondary id is cleared. As in Redis, the id offered to our master in
    /// `PSYNC` is the master's own (its client keeps it), so the link still continues.
    pub fn change_replication_id(&mut self, rng: &mut Rng) {
        if self.master_replid.is_none() {
            self.master_replid = Some(self.down.history.replid);
        }
        self.down.history.change_replication_id(rng);
        self.down.history.clear_replication_id2();
    }

    /// The id `PSYNC` offers the master (see `master_replid`).
    pub(crate) fn psync_replid(&self) -> ReplId {
        self.master_replid.unwrap_or(self.down.history.replid)
    }

    /// Follow another master (`REPLICAOF`, `CLUSTER REPLICATE`, a failover elsewhere): the
    /// current link is closed and its history cached, then the new master is connected.
    pub fn set_master(&mut self, now: Now, host: &str, port: u16) {
        self.drop_link(now, true);
        self.master_host = host.to_owned();
        self.master_port = port;
        self.connect(now);
    }

    /// Stop replicating and become a master (`REPLICAOF NO ONE`, a won election). The
    /// history's id moves to `replid2` (valid up to offset + 1) and a new id starts, so the old
    /// master's other replicas can partially resync with us (Redis's `shiftReplicationId`).
    /// The driver closes the master connection if it has one open.
    ///
    /// Sub-replicas are disconnected (`disconnectSlaves` in `replicationUnsetMaster`): they
    /// must learn the new id, and reconnect to continue with `replid2`. The returned machine's
    /// first outputs are their `Close`s.
    pub fn promote(self, _now: Now, config: MasterConfig, mut rng: Rng) -> ReplicationMaster {
        let mut m = self.down;
        m.history.shift_replication_id(&mut rng);
        m.history.ensure_backlog(config.repl_backlog_size);
        m.set_chained(false);
        m.set_config(config);
        m.set_rng(rng);
        m.disconnect_replicas();
        m
    }

    /// The sub-replicas' side: `REPLCONF`, `PSYNC`/`SYNC`, snapshots and closed connections
    /// of this replica's own replicas go to it, and its outputs are drained like a master's.
    /// Its stream is what this replica reads from its master (see the crate docs).
    pub fn downstream(&mut self) -> &mut ReplicationMaster {
        &mut self.down
    }

    /// The sub-replicas' side, read-only (INFO, ROLE, CLIENT LIST flags).
    pub fn downstream_ref(&self) -> &ReplicationMaster {
        &self.down
    }

    /// Settings of the sub-replicas' side (`CONFIG SET repl-*`).
    pub fn set_master_config(&mut self, config: MasterConfig) {
        self.down.set_config(config);
    }

    /// `PSYNC`/`SYNC` from a would-be sub-replica on `conn`. Redis serves them only while the
    /// link with its own master is up (else `-NOMASTERLINK`, see `syncCommand`); the answer
    /// and the stream come out of [`downstream`](Self::downstream).
    pub fn handle_psync(&mut self, now: Now, conn: ConnId, peer_ip: &str, argv: &[&[u8]]) {
        if self.state != LinkState::Connected || self.down.history.backlog.is_none() {
            if !self.down.is_replica(conn) {
                self.down.reply_error(
                    conn,
                    "NOMASTERLINK Can't SYNC while not connected with my master",
                );
            }
            return;
        }
        self.down.handle_psync(now, conn, peer_ip, argv);
    }

    /// The TCP connection to the master is up: start the handshake with `PING`.
    pub fn handle_connected(&mut self, now: Now) {
        if self.state != LinkState::Connecting {
            return;
        }
        self.last_io = now.mono;
        self.state = LinkState::ReceivePingReply;
        self.send(wire::command(&["PING"]));
    }

    /// The connection attempt failed; another one follows at the next cron.
    pub fn handle_connect_failed(&mut self, _now: Now) {
        if self.state == LinkState::Connecting {
            self.state = LinkState::Connect;
        }
    }

    /// The master connection closed (by the peer or an error).
    pub fn handle_disconnected(&mut self, now: Now) {
        self.drop_link(now, false);
    }

    /// The driver loaded (or failed to load) the payload of the last `LoadRdb`; the stream
    /// starts in db 0 (see [`handle_rdb_loaded_in_db`](Self::handle_rdb_loaded_in_db)).
    pub fn handle_rdb_loaded(&mut self, now: Now, ok: bool) {
        self.handle_rdb_loaded_in_db(now, ok, 0);
    }

    /// The driver loaded (or failed to load) the payload of the last `LoadRdb`, whose aux
    /// field `repl-stream-db` was `stream_db`: the db the stream is in until its first
    /// `SELECT` (a replica serving sub-replicas proxies its master's stream, which need not
    /// start with one).
    pub fn handle_rdb_loaded_in_db(&mut self, now: Now, ok: bool, stream_db: i64) {
        if self.state != LinkState::Loading {
            return;
        }
        let Some((replid, offset)) = self.full.take() else {
            return;
        };
        if !ok {
            return self.abort(now);
        }
        // Ref: readSyncBulkPayload: the master's id and offset become ours, with a fresh
        // backlog and no previous history.
        self.down.history.replid = replid;
        self.master_replid = None;
        self.down.history.master_repl_offset = offset;
        self.down.history.clear_replication_id2();
        self.down.history.backlog = None;
        self.down
            .history
            .ensure_backlog(self.config.repl_backlog_size);
        self.state = LinkState::Connected;
        self.down_since = None;
        self.last_io = now.mono;
        // Ref: replicationCreateMasterClient(…, rsi.repl_stream_db): a chained master's stream
        // goes on in the db its RDB names, without a SELECT first.
        self.db = stream_db;
        if self.usemark && !self.pre_psync {
            self.send_ack();
        }
        self.process(now);
    }

    /// Run what is due: connect when needed, `repl-timeout`, the once-a-second ACK, and the
    /// sub-replicas' cron.
    pub fn handle_timeout(&mut self, now: Now) {
        if self.down.poll_timeout().is_some_and(|t| now.mono >= t) {
            self.down.handle_timeout(now);
        }
        if now.mono < self.cron_at {
            return;
        }
        self.cron_at = now.mono + CRON_PERIOD;
        let silent = now.mono.saturating_duration_since(self.last_io) > self.config.repl_timeout;
        match self.state {
            LinkState::Connect => self.connect(now),
            LinkState::Connecting
            | LinkState::ReceivePingReply
            | LinkState::Handshake
            | LinkState::ReceivePsyncReply
            | LinkState::Transfer
                if silent =>
            {
                self.abort(now)
            }
            LinkState::Connected if silent => self.abort(now),
            LinkState::Connected if !self.pre_psync => self.send_ack(),
            _ => {}
        }
    }

    /// The next output for the driver.
    pub fn poll_output(&mut self) -> Option<ReplicaOutput> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) wants to run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let down = self.down.poll_timeout();
        Some(down.map_or(self.cron_at, |d| d.min(self.cron_at)))
    }

    /// The stream's db now (Redis's `server.master->db->id`): a snapshot for sub-replicas
    /// saves it as `repl-stream-db`.
    pub fn stream_db(&self) -> i64 {
        self.db
    }

    /// The replication history (ids, offset, backlog).
    pub fn history(&self) -> &ReplHistory {
        &self.down.history
    }

    /// The link state.
    pub fn state(&self) -> LinkState {
        self.state
    }

    /// `slave_repl_offset`: the stream processed (what ACKs report).
    pub fn repl_offset(&self) -> i64 {
        self.down.history.master_repl_offset
    }

    /// When the link went down (`repl_down_since`), for the failover's data age.
    pub fn down_since(&self) -> Option<Instant> {
        self.down_since
    }

    /// What the failover's data age counts from (Redis's `clusterHandleSlaveFailover`): the
    /// last byte from the master while the link is up (`master->lastinteraction`), else when
    /// the link went down (`repl_down_since`). `None` when no link has been up since this
    /// replica was created, i.e. since the process started or the node became a replica
    /// (Redis's `repl_down_since` is still 0 then, and the data counts as infinitely old):
    /// loading an RDB/AOF or offering it as a cached master for `PSYNC` does not count, only a
    /// completed sync (`+FULLRESYNC` loaded, or `+CONTINUE`).
    pub fn data_age_origin(&self) -> Option<Instant> {
        if self.state == LinkState::Connected {
            Some(self.last_io)
        } else {
            self.down_since
        }
    }

    /// The master this replica follows.
    pub fn master_addr(&self) -> (&str, u16) {
        (&self.master_host, self.master_port)
    }

    /// The `# Replication` section of INFO for a replica, CRLF-terminated lines.
    pub fn info(&self, now: Now) -> String {
        let secs = |since: Instant| now.mono.saturating_duration_since(since).as_secs();
        let connected = self.state == LinkState::Connected;
        let in_transfer = matches!(self.state, LinkState::Transfer | LinkState::Loading);
        let (read_off, off) = if connected {
            let off = self.down.history.master_repl_offset;
            let held = self.multi.as_ref().map_or(0, HeldMulti::len);
            (off + (held + self.inbuf.len()) as i64, off)
        } else if self.cached {
            (
                self.down.history.master_repl_offset,
                self.down.history.master_repl_offset,
            )
        } else {
            (1, 1)
        };
        let mut s = String::from("# Replication\r\nrole:slave\r\n");
        let _ = write!(
            s,
            "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\n\
             master_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\n\
             slave_read_repl_offset:{read_off}\r\nslave_repl_offset:{off}\r\n",
            self.master_host,
            self.master_port,
            if connected { "up" } else { "down" },
            if connected {
                secs(self.last_io) as i64
            } else {
                -1
            },
            u8::from(in_transfer),
        );
        if let (true, Some(p)) = (in_transfer, &self.payload) {
            let (total, read) = (p.total(), p.read as i64);
            let perc = if total > 0 {
                read as f64 * 100.0 / total as f64
            } else {
                0.0
            };
            let _ = write!(
                s,
                "master_sync_total_bytes:{total}\r\nmaster_sync_read_bytes:{read}\r\n\
                 master_sync_left_bytes:{}\r\nmaster_sync_perc:{perc:.2}\r\n\
                 master_sync_last_io_seconds_ago:{}\r\n",
                total - read,
                secs(self.last_io),
            );
        }
        if !connected {
            let down = self.down_since.map_or(-1, |d| secs(d) as i64);
            let _ = write!(s, "master_link_down_since_seconds:{down}\r\n");
        }
        let _ = write!(
            s,
            "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
            self.config.replica_priority,
            u8::from(self.config.replica_read_only),
            u8::from(self.config.replica_announced),
        );
        self.down.info_replicas(now, &mut s);
        self.down
            .history
            .info_tail(self.config.repl_backlog_size, &mut s);
        s
    }

    fn connect(&mut self, now: Now) {
        self.state = LinkState::Connecting;
        self.last_io = now.mono;
        self.out.push_back(ReplicaOutput::ConnectToMaster {
            host: self.master_host.clone(),
            port: self.master_port,
        });
    }

    /// Forget the link; a streaming master is cached for a later PSYNC
    /// (`replicationCacheMaster`). `close`: we close it (else the peer did).
    fn drop_link(&mut self, now: Now, close: bool) {
        if self.state == LinkState::Connected {
            self.cached = !self.pre_psync;
            self.down_since = Some(now.mono);
        }
        if close && self.state != LinkState::Connect {
            self.out.push_back(ReplicaOutput::CloseMasterLink);
        }
        self.state = LinkState::Connect;
        // A transaction cut by the link is discarded (`replicationCacheMaster` discards the
        // master client's MULTI): the PSYNC offset is before its MULTI, so it comes again.
        self.multi = None;
        self.inbuf.clear();
        self.parser.reset();
        self.payload = None;
        self.full = None;
        self.expect.clear();
    }

    /// Give up on this connection and retry at the next cron.
    fn abort(&mut self, now: Now) {
        self.drop_link(now, true);
    }

    fn send(&mut self, bytes: Vec<u8>) {
        self.out
            .push_back(ReplicaOutput::SendToMaster(bytes.into()));
    }

    fn send_ack(&mut self) {
        let off = self.down.history.master_repl_offset.to_string();
        self.send(wire::command(&["REPLCONF", "ACK", off.as_str()]));
    }
}

/// Redis applies no bulk-length limit to its master link.
fn master_limits() -> Limits {
    Limits {
        max_bulk_len: u64::MAX,
        ..Limits::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashslot_types::UnixMillis;

    fn at(ms: u64) -> Now {
        Now::new(
            Instant::from_nanos(ms * 1_000_000),
            UnixMillis(1_700_000_000_000 + ms as i64),
        )
    }

    /// A replica restarted from an RDB position: no data-age origin while it only offers its
    /// cached position, the last byte from the master once `+CONTINUE` made the link up, the
    /// time the link was lost after that, and a later reconnection attempt keeps that time.
    #[test]
    fn data_age_origin_follows_repl_down_since() {
        let mut rng = Rng::from_seed(5);
        let history = ReplHistory::new(&mut rng);
        let mut r = ReplicationReplica::new(
            at(1_000),
            ReplicaConfig::default(),
            history.clone(),
            "127.0.0.1",
            7000,
        );
        assert!(r.restore_cached(ReplHistory::restored(history.replid, 500), 0));
        assert_eq!(r.data_age_origin(), None, "a loaded RDB is not a sync");
        r.handle_connected(at(1_100));
        r.handle_read(at(1_200), b"+PONG\r\n+OK\r\n+OK\r\n");
        assert_eq!(r.data_age_origin(), None, "a handshake is not a sync");
        r.handle_read(at(1_300), b"+CONTINUE\r\n");
        assert_eq!(r.state(), LinkState::Connected);
        assert_eq!(r.data_age_origin(), Some(at(1_300).mono));
        r.handle_read(at(1_400), b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(r.data_age_origin(), Some(at(1_400).mono));
        r.handle_disconnected(at(2_000));
        assert_eq!(r.data_age_origin(), Some(at(2_000).mono));
        assert_eq!(r.down_since(), Some(at(2_000).mono));
        r.handle_timeout(at(3_100));
        r.handle_connected(at(3_200));
        assert_eq!(r.data_age_origin(), Some(at(2_000).mono));
    }

    /// A master turned replica has no data-age origin until its first sync (Redis resets
    /// `repl_down_since` to 0 when a node becomes a master).
    #[test]
    fn a_former_master_has_no_origin_until_it_syncs() {
        let mut rng = Rng::from_seed(6);
        let r = ReplicationReplica::from_master(
            at(10),
            ReplicaConfig::default(),
            ReplHistory::new(&mut rng),
            "127.0.0.1",
            7000,
        );
        assert_eq!(r.data_age_origin(), None);
    }
}
