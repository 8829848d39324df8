//! Replication, composed into the node: the role (`hashslot-repl`'s master or replica machine),
//! the replica→master link as node outputs (`Output::ReplConnect` / `ReplSend` / `ReplClose`
//! and `Node::handle_repl_*`), snapshots and loads through `hashslot-persist`, the master
//! client that applies the stream, WAIT, and role changes (REPLICAOF, cluster failover).
//!
//! Propagation: every write command that changed the dataset goes through
//! [`Node::propagate`] once (called from `dispatch::run_keyspace`), rewritten as Redis 7.0
//! propagates it (relative expiries to absolute, SPOP to SREM), then fed to the master machine.
//! Writes made outside `run_keyspace` must call it too (RESTORE in `commands/dump.rs` and the
//! DEL of migrated keys in `migrate` do not yet: they only feed the AOF).
//!
//! Chained replication: a replica serves replicas of its own with the stream it reads from its
//! master (`Replication::server` is the machine serving this node's replicas, whatever the
//! role); a master that becomes a replica keeps its replicas as sub-replicas.
//!
//! Restart: the RDB a replica saves carries its `repl-id`/`repl-offset` (persistence), and the
//! first master link after start offers them as a cached master (`repl_offer_rdb_position`),
//! so a restarted replica continues with a partial resync when its master's backlog allows.

mod apply;
pub(crate) mod failover;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use hashslot_repl::{
    pump_snapshot, BytesSnapshot, LinkState, MasterConfig, MasterOutput, ReplHistory, ReplId,
    ReplicaConfig, ReplicaOutput, ReplicationMaster, ReplicationReplica, SyncStats,
};
use hashslot_types::{ConnId, Instant, Now, Rng};

use crate::session::Client;
use crate::{Config, LogLevel, Node, Output};

/// The conn id of the (virtual) master client that applies the replication stream.
pub(crate) const MASTER_CLIENT_CONN: ConnId = ConnId(u64::MAX - 7);

/// Snapshots are handed to the master machine in pieces of this size.
const SNAPSHOT_CHUNK: usize = 64 * 1024;

/// This node's role in replication.
#[derive(Debug)]
pub(crate) enum Role {
    /// A master (possibly with replicas).
    Master(Box<ReplicationMaster>),
    /// A replica of one master.
    Replica(Box<ReplicationReplica>),
    /// Only while switching roles (never observed between calls).
    Switching,
}

/// The replication state of a node.
#[derive(Debug)]
pub(crate) struct Replication {
    pub(crate) role: Role,
    rng: Rng,
    /// The master link in use (ids are never reused); 0 when none.
    link: u64,
    next_link: u64,
    /// Each client's stream offset after its last write (`client->woff`), for WAIT.
    client_offsets: BTreeMap<ConnId, i64>,
    /// Clients blocked in WAIT.
    waiting: BTreeSet<ConnId>,
    /// The client the master's stream runs as (Redis's `server.master`): made when the link
    /// comes up after a full sync, kept across a partial resync (as Redis resurrects its cached
    /// master: same id), listed by CLIENT LIST while the link is up.
    master_client: Option<Client>,
    /// The local address and descriptor of the driver's socket to the master, when the driver
    /// told them ([`Node::handle_repl_link_addr`]); CLIENT LIST shows them for the master client.
    link_local: Option<(SocketAddr, i64)>,
    /// Client pauses: `CLIENT PAUSE`, and a manual failover's write pause so the replica can
    /// reach this master's offset (see `crate::pause`).
    pub(crate) pauses: crate::pause::Pauses,
    /// Clients in MONITOR mode (Redis keeps `server.monitors` beside its replicas).
    pub(crate) monitors: BTreeSet<ConnId>,
    /// PSYNC/SYNC counts of master machines this node dropped on becoming a replica: Redis's
    /// `stat_sync_*` are server-wide and survive role changes.
    sync_stats_before: SyncStats,
    /// The replication position of the RDB file loaded at start may still be offered to a
    /// master: nothing was written since the load and no master link was made yet.
    rdb_position_usable: bool,
    /// The standalone FAILOVER round (see `failover`).
    pub(crate) failover: failover::Failover,
}

fn get<T: std::str::FromStr>(config: &Config, name: &str) -> Option<T> {
    config.get(name).and_then(|v| v.parse().ok())
}

fn yes(config: &Config, name: &str, default: bool) -> bool {
    config.get(name).map_or(default, |v| v == "yes")
}

/// `repl-*` settings of the master side, from the node's config.
pub(crate) fn master_config(config: &Config) -> MasterConfig {
    let d = MasterConfig::default();
    MasterConfig {
        repl_backlog_size: get(config, "repl-backlog-size").unwrap_or(d.repl_backlog_size),
        repl_diskless_sync: yes(config, "repl-diskless-sync", d.repl_diskless_sync),
        repl_diskless_sync_delay: get(config, "repl-diskless-sync-delay")
            .map_or(d.repl_diskless_sync_delay, Duration::from_secs),
        repl_ping_replica_period: get(config, "repl-ping-replica-period")
            .map_or(d.repl_ping_replica_period, Duration::from_secs),
        repl_timeout: get(config, "repl-timeout").map_or(d.repl_timeout, Duration::from_secs),
        replica_output_limit: d.replica_output_limit,
    }
}

/// The replica side's settings, from the node's config.
pub(crate) fn replica_config(config: &Config) -> ReplicaConfig {
    let d = ReplicaConfig::default();
    let nonempty = |n: &str| config.get(n).filter(|v| !v.is_empty());
    let announce_port: u16 = get(config, "replica-announce-port").unwrap_or(0);
    ReplicaConfig {
        masterauth: nonempty("masterauth").map(Bytes::from),
        masteruser: nonempty("masteruser").map(Bytes::from),
        listening_port: if announce_port != 0 {
            announce_port
        } else {
            config.port
        },
        announce_ip: nonempty("replica-announce-ip"),
        repl_timeout: get(config, "repl-timeout").map_or(d.repl_timeout, Duration::from_secs),
        replica_priority: get(config, "replica-priority").unwrap_or(d.replica_priority),
        replica_read_only: yes(config, "replica-read-only", d.replica_read_only),
        replica_announced: yes(config, "replica-announced", d.replica_announced),
        max_rdb_payload: d.max_rdb_payload,
        repl_backlog_size: get(config, "repl-backlog-size").unwrap_or(d.repl_backlog_size),
    }
}

impl Replication {
    /// A master, or a replica of `replicaof` when configured (standalone only).
    pub(crate) fn new(config: &Config, mut rng: Rng, now: Now) -> Self {
        let role = match &config.replicaof {
            Some((host, port)) if !config.cluster_enabled => {
                let history = ReplHistory::new(&mut rng);
                let mut r =
                    ReplicationReplica::new(now, replica_config(config), history, host, *port);
                r.set_downstream_rng(Rng::from_seed(rng.next_u64()));
                r.set_master_config(master_config(config));
                Role::Replica(Box::new(r))
            }
            _ => {
                let seed = rng.next_u64();
                Role::Master(Box::new(ReplicationMaster::new(
                    now,
                    master_config(config),
                    Rng::from_seed(seed),
                )))
            }
        };
        Replication {
            role,
            rng,
            link: 0,
            next_link: 0,
            client_offsets: BTreeMap::new(),
            waiting: BTreeSet::new(),
            master_client: None,
            link_local: None,
            pauses: crate::pause::Pauses::default(),
            monitors: BTreeSet::new(),
            sync_stats_before: SyncStats::default(),
            rdb_position_usable: true,
            failover: failover::Failover::default(),
        }
    }

    /// The master machine, when this node is a master.
    pub(crate) fn master(&mut self) -> Option<&mut ReplicationMaster> {
        match &mut self.role {
            Role::Master(m) => Some(m),
            _ => None,
        }
    }

    /// The machine serving this node's replicas: a master's, or a replica's sub-replicas
    /// (chained replication, see `hashslot_repl::ReplicationReplica::downstream`).
    pub(crate) fn server(&mut self) -> Option<&mut ReplicationMaster> {
        match &mut self.role {
            Role::Master(m) => Some(m),
            Role::Replica(r) => Some(r.downstream()),
            Role::Switching => None,
        }
    }

    /// Whether this node is a replica.
    pub(crate) fn is_replica(&self) -> bool {
        matches!(self.role, Role::Replica(_))
    }

    /// The processed offset: `master_repl_offset` of a master, `slave_repl_offset` of a replica.
    pub(crate) fn offset(&self) -> i64 {
        match &self.role {
            Role::Master(m) => m.master_repl_offset(),
            Role::Replica(r) => r.repl_offset(),
            Role::Switching => 0,
        }
    }

    /// The master this node follows, when a replica.
    /// Whether this node replicates from `ip:port` (no allocation: asked after every cluster
    /// input).
    pub(crate) fn follows(&self, ip: &str, port: u16) -> bool {
        matches!(&self.role, Role::Replica(r) if r.master_addr() == (ip, port))
    }

    pub(crate) fn master_addr(&self) -> Option<(String, u16)> {
        match &self.role {
            Role::Replica(r) => {
                let (h, p) = r.master_addr();
                Some((h.to_owned(), p))
            }
            _ => None,
        }
    }

    /// Whether the link to the master is up (a replica's `master_link_status:up`).
    pub(crate) fn link_up(&self) -> bool {
        matches!(&self.role, Role::Replica(r) if r.state() == LinkState::Connected)
    }

    /// The master client as CLIENT LIST shows it (flag `M`): only while the link is up, as
    /// Redis's `server.master` is in the client list only then (a cached master is unlinked).
    pub(crate) fn listed_master_client(&self) -> Option<&Client> {
        self.master_client.as_ref().filter(|_| self.link_up())
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let machine = match &self.role {
            Role::Master(m) => m.poll_timeout(),
            Role::Replica(r) => r.poll_timeout(),
            Role::Switching => None,
        };
        machine.into_iter().chain(self.pauses.next_end()).min()
    }

    /// The `# Replication` section body (the machines' text, without its title line, which
    /// INFO writes for every section).
    pub(crate) fn info(&self, now: Now) -> String {
        let text = match &self.role {
            Role::Master(m) => m.info(now),
            Role::Replica(r) => r.info(now),
            Role::Switching => String::new(),
        };
        let text = self.failover.patch_info(text);
        match text.strip_prefix("# Replication\r\n") {
            Some(body) => body.to_owned(),
            None => text,
        }
    }

    /// INFO stats `sync_full`, `sync_partial_ok`, `sync_partial_err` (server-wide, across
    /// role changes).
    pub(crate) fn sync_stats(&self) -> SyncStats {
        match &self.role {
            Role::Master(m) => self.sync_stats_before + m.sync_stats(),
            // A replica's sub-replicas count too (Redis's counters are server-wide).
            Role::Replica(r) => self.sync_stats_before + r.downstream_ref().sync_stats(),
            Role::Switching => self.sync_stats_before,
        }
    }

    /// CONFIG RESETSTAT: the sync counters start again from 0.
    pub(crate) fn reset_sync_stats(&mut self) {
        self.sync_stats_before = SyncStats::default();
        if let Some(m) = self.server() {
            m.reset_sync_stats();
        }
    }

    /// Whether `conn` is a replica of this master (past its PSYNC/SYNC): CLIENT LIST's `S`
    /// flag and the `replica` type of CLIENT LIST/KILL.
    pub(crate) fn is_replica_conn(&self, conn: ConnId) -> bool {
        match &self.role {
            Role::Master(m) => m.is_replica(conn),
            Role::Replica(r) => r.downstream_ref().is_replica(conn),
            Role::Switching => false,
        }
    }

    fn next_rng(&mut self) -> Rng {
        Rng::from_seed(self.rng.next_u64())
    }
}

impl Node {
    /// `DEBUG CHANGE-REPL-ID`: a new replication id and no secondary one (Redis's
    /// `changeReplicationId` + `clearReplicationId2`), for a master or a replica.
    pub(crate) fn repl_change_replication_id(&mut self) {
        let mut rng = self.repl.next_rng();
        match &mut self.repl.role {
            Role::Master(m) => m.change_replication_id(),
            Role::Replica(r) => r.change_replication_id(&mut rng),
            // Only inside a role change, never between commands.
            Role::Switching => {}
        }
    }

    /// Whether propagated writes go to a replication stream: a master's (its replicas and
    /// backlog). Replicas propagate nothing: their history advances with the stream they apply.
    pub(crate) fn repl_accepts_feed(&self) -> bool {
        matches!(self.repl.role, Role::Master(_))
    }

    /// Feed already-rewritten commands (see `crate::propagation`) to the replication stream.
    pub(crate) fn repl_feed(&mut self, now: Now, db: usize, cmds: &[Vec<Vec<u8>>]) {
        if !cmds.is_empty() {
            // The dataset moved away from the loaded file's replication position.
            self.repl.rdb_position_usable = false;
        }
        if let Some(m) = self.repl.master() {
            for argv in cmds {
                m.feed(db as i64, argv);
            }
        }
        self.repl_drain(now, None);
    }

    /// A client's write completed: WAIT measures from the stream offset after it.
    pub(crate) fn repl_note_write(&mut self, conn: ConnId) {
        if let Role::Master(m) = &self.repl.role {
            let off = m.master_repl_offset();
            self.repl.client_offsets.insert(conn, off);
        }
    }

    /// The WAIT offset of `conn` (0 when it never wrote).
    pub(crate) fn repl_client_offset(&self, conn: ConnId) -> i64 {
        self.repl.client_offsets.get(&conn).copied().unwrap_or(0)
    }

    /// A client connection closed.
    pub(crate) fn repl_conn_closed(&mut self, now: Now, conn: ConnId) {
        self.repl.client_offsets.remove(&conn);
        self.forget_monitor(conn);
        self.repl.waiting.remove(&conn);
        if let Some(m) = self.repl.server() {
            m.handle_conn_closed(now, conn);
        }
        self.repl_drain(now, None);
    }

    /// The replication machine's timers (and the end of a client pause).
    pub(crate) fn repl_timeout(&mut self, now: Now) {
        if self.repl.pauses.next_end().is_some_and(|t| t <= now.mono) {
            self.pause_timeout(now);
        }
        if self.repl.poll_timeout().is_some_and(|t| t <= now.mono) {
            match &mut self.repl.role {
                Role::Master(m) => m.handle_timeout(now),
                Role::Replica(r) => r.handle_timeout(now),
                Role::Switching => {}
            }
            self.repl_drain(now, None);
        }
    }

    /// CONFIG SET of a `repl-*`/`replica-*` parameter: hand the new settings to the machine.
    pub(crate) fn repl_config_changed(&mut self) {
        let cfg = master_config(&self.config);
        match &mut self.repl.role {
            Role::Master(m) => m.set_config(cfg),
            Role::Replica(r) => r.set_master_config(cfg),
            Role::Switching => {}
        }
    }

    /// The driver's socket to the master `link` has this local address and descriptor (optional:
    /// only CLIENT LIST's `laddr` and `fd` of the master client use them).
    pub fn handle_repl_link_addr(&mut self, link: u64, local: SocketAddr, fd: i64) {
        if self.hold_small(|| crate::node::Held::ReplLinkAddr(link, local, fd)) {
            return;
        }
        if link != self.repl.link || link == 0 {
            return;
        }
        self.repl.link_local = Some((local, fd));
        self.repl_master_client_addr();
    }

    /// The master client (Redis's `server.master`), made with a fresh client id when there is
    /// none (`replicationCreateMasterClient`); the caller puts it back.
    pub(crate) fn repl_take_master_client(&mut self, now: Now) -> Client {
        if let Some(c) = self.repl.master_client.take() {
            return c;
        }
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut c = Client::new(
            MASTER_CLIENT_CONN,
            id,
            Node::master_client_addr(),
            now.mono,
            true,
        );
        // Never park a master-stream command.
        c.in_exec = true;
        c
    }

    /// Once the link is up, the master client exists (Redis makes it when the sync completes,
    /// before any command of the stream), with the link's addresses.
    fn repl_keep_master_client(&mut self, now: Now) {
        if !self.repl.link_up() {
            return;
        }
        if self.repl.master_client.is_none() {
            let c = self.repl_take_master_client(now);
            self.repl.master_client = Some(c);
        }
        self.repl_master_client_addr();
    }

    /// The master client's addresses: the master's (`addr`) and the link's local end (`laddr`,
    /// `fd`), as Redis's client of the replication socket shows them.
    fn repl_master_client_addr(&mut self) {
        let master = self.repl.master_addr();
        let local = self.repl.link_local;
        let Some(c) = self.repl.master_client.as_mut() else {
            return;
        };
        let mut addr = Node::master_client_addr();
        if let Some((host, port)) = master {
            if let Ok(ip) = host.parse::<std::net::IpAddr>() {
                addr.peer = SocketAddr::new(ip, port);
            }
        }
        if let Some((l, fd)) = local {
            addr.local = l;
            addr.fd = fd;
        }
        c.addr = addr;
    }

    /// The driver's connection to the master is up.
    pub fn handle_repl_connected(&mut self, now: Now, link: u64) {
        if self.hold(now, || crate::node::Held::ReplConnected(link)) {
            return;
        }
        if link != self.repl.link {
            return;
        }
        if std::mem::take(&mut self.repl.rdb_position_usable) {
            self.repl_offer_rdb_position();
        }
        if let Role::Replica(r) = &mut self.repl.role {
            r.handle_connected(now);
        }
        self.repl_drain(now, None);
    }

    /// The first master link since start: a replica whose dataset is still the RDB file it
    /// loaded offers that file's replication position (`repl-id`, `repl-offset`,
    /// `repl-stream-db`) as its cached master, so its first PSYNC can continue instead of a
    /// full resync. Ref: server.c loadDataFromDisk, `replicationCacheMasterUsingMyself`.
    ///
    /// Redis 7.0 does this only for a node that is a replica when it loads; here a restarted
    /// master told to follow its replacement (a failover happened while it was down) offers
    /// its position too. That is as safe: the new master continues only when its own history
    /// (`replid2` up to the promotion offset) covers that position, else it answers
    /// FULLRESYNC.
    fn repl_offer_rdb_position(&mut self) {
        if self.dirty != 0 {
            return;
        }
        let Some(aux) = self.loaded_repl_info() else {
            return;
        };
        let Some(replid) = ReplId::from_wire(aux.repl_id.as_bytes()) else {
            return;
        };
        let (offset, db) = (aux.repl_offset, aux.stream_db);
        let history = ReplHistory::restored(replid, offset);
        let taken = match &mut self.repl.role {
            Role::Replica(r) => r.restore_cached(history, db),
            _ => false,
        };
        if taken {
            self.log(
                LogLevel::Notice,
                format!(
                    "Using the replication ID/offset of the RDB file to try a partial resync: {replid}:{offset}"
                ),
            );
        }
    }

    /// Bytes arrived on the master connection.
    pub fn handle_repl_read(&mut self, now: Now, link: u64, data: &[u8]) {
        if self.hold(now, || crate::node::Held::ReplRead(link, data.to_vec())) {
            return;
        }
        if link != self.repl.link {
            return;
        }
        let mut accepted = None;
        if let Role::Replica(r) = &mut self.repl.role {
            let was = r.state();
            r.handle_read(now, data);
            if was == LinkState::ReceivePsyncReply && r.state() != was {
                accepted = Some(r.state() == LinkState::Connected);
            }
        }
        match accepted {
            Some(true) => self.log(
                LogLevel::Notice,
                "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.".to_owned(),
            ),
            Some(false) => self.log(
                LogLevel::Notice,
                "Full resync from master (partial resynchronization not possible)".to_owned(),
            ),
            None => {}
        }
        self.repl_drain(now, None);
    }

    /// The master connection failed to open, or closed (EOF, error).
    pub fn handle_repl_closed(&mut self, now: Now, link: u64) {
        if self.hold(now, || crate::node::Held::ReplClosed(link)) {
            return;
        }
        if link != self.repl.link {
            return;
        }
        self.repl.link = 0;
        if let Role::Replica(r) = &mut self.repl.role {
            if r.state() == LinkState::Connecting {
                r.handle_connect_failed(now);
            } else {
                r.handle_disconnected(now);
            }
        }
        self.repl_drain(now, None);
    }

    /// `CLIENT KILL TYPE master` on a replica: drop an established master link as if it had
    /// closed; the replica reconnects from its cron and asks to continue where it stopped.
    /// Returns whether there was such a link (Redis's master client exists only then).
    pub(crate) fn repl_kill_master_link(&mut self, now: Now) -> bool {
        if self.repl.link == 0 || !self.repl.link_up() {
            return false;
        }
        let link = self.repl.link;
        self.outputs.push_back(Output::ReplClose { link });
        self.handle_repl_closed(now, link);
        true
    }

    /// Follow `host:port` (REPLICAOF, a cluster role change). Returns false when already
    /// following it.
    pub(crate) fn repl_become_replica(&mut self, now: Now, host: &str, port: u16) -> bool {
        let cfg = replica_config(&self.config);
        match std::mem::replace(&mut self.repl.role, Role::Switching) {
            Role::Replica(mut r) => {
                let same = r.master_addr() == (host, port);
                if !same {
                    r.set_master(now, host, port);
                }
                self.repl.role = Role::Replica(r);
                if same {
                    return false;
                }
            }
            Role::Master(m) => {
                // The machine's counters go on counting the sub-replicas' syncs; they are
                // taken here and the machine starts again from 0.
                let mut m = m;
                self.repl.sync_stats_before = self.repl.sync_stats_before + m.sync_stats();
                m.reset_sync_stats();
                self.answer_all_waits(now);
                self.log(
                    LogLevel::Notice,
                    format!("Connecting to MASTER {host}:{port}"),
                );
                // Our replicas stay, as sub-replicas (Ref: replicationSetMaster: "we don't
                // disconnect with replicas, since they may hopefully be able to partially
                // resync with us").
                let mut r = ReplicationReplica::from_master_machine(now, cfg, *m, host, port);
                r.set_master_config(master_config(&self.config));
                self.repl.role = Role::Replica(Box::new(r));
            }
            Role::Switching => unreachable!("role switch in progress"),
        }
        self.repl_drain(now, None);
        true
    }

    /// Stop following (REPLICAOF NO ONE, a won election): become a master continuing the
    /// history. Returns false when already a master.
    pub(crate) fn repl_become_master(&mut self, now: Now) -> bool {
        let cfg = master_config(&self.config);
        match std::mem::replace(&mut self.repl.role, Role::Switching) {
            Role::Replica(r) => {
                let rng = self.repl.next_rng();
                let m = r.promote(now, cfg, rng);
                // Its first outputs close our sub-replicas (they reconnect and continue with
                // replid2); the caller drains them.
                self.repl.role = Role::Master(Box::new(m));
                if self.repl.link != 0 {
                    let link = std::mem::take(&mut self.repl.link);
                    self.outputs.push_back(Output::ReplClose { link });
                }
                self.repl.master_client = None;
                self.log(LogLevel::Notice, "MASTER MODE enabled".to_owned());
                true
            }
            other => {
                self.repl.role = other;
                false
            }
        }
    }

    /// Answer every blocked WAIT with 0 (the node stopped being a master).
    fn answer_all_waits(&mut self, now: Now) {
        let waiting: Vec<ConnId> = std::mem::take(&mut self.repl.waiting).into_iter().collect();
        for conn in waiting {
            self.repl_wait_reply(now, conn, 0);
        }
    }

    /// Deliver a WAIT reply to a blocked client and let its later requests run.
    fn repl_wait_reply(&mut self, now: Now, conn: ConnId, replicas: i64) {
        self.repl.waiting.remove(&conn);
        let Some(mut sess) = self.sessions.remove(&conn) else {
            return;
        };
        if sess.client.blocked && !sess.closing {
            sess.client.blocked = false;
            let start = sess.client.out.len();
            sess.client.reply().int(replicas);
            self.after_reply(&mut sess.client, start);
            self.consume(now, &mut sess, &[]);
            self.flush(&mut sess);
        }
        self.sessions.insert(conn, sess);
    }

    /// Mark `client` blocked in WAIT (the reply comes as a `WaitReply`).
    pub(crate) fn repl_block_wait(&mut self, client: &mut Client) {
        client.blocked = true;
        self.repl.waiting.insert(client.conn);
    }

    /// Carry out what the replication machines asked for. Bytes for `cur` (the client whose
    /// command runs now) go into its reply buffer, so they keep their place among its replies;
    /// returns whether `cur` got its WAIT reply.
    pub(crate) fn repl_drain(&mut self, now: Now, mut cur: Option<&mut Client>) -> bool {
        let mut answered = false;
        loop {
            let mut progressed = false;
            while let Some(out) = self.repl.server().and_then(|m| m.poll_output()) {
                progressed = true;
                match out {
                    MasterOutput::Send { conn, bytes } => match cur.as_deref_mut() {
                        Some(c) if c.conn == conn => c.out.extend_from_slice(&bytes),
                        _ => {
                            self.stats.total_net_output_bytes += bytes.len() as u64;
                            self.outputs.push_back(Output::Send { conn, data: bytes })
                        }
                    },
                    MasterOutput::Close { conn } => match cur.as_deref_mut() {
                        Some(c) if c.conn == conn => c.close_after_reply = true,
                        _ => self.outputs.push_back(Output::Close { conn }),
                    },
                    MasterOutput::StartSnapshot {
                        id, replid, offset, ..
                    } => {
                        let mut aux = self.rdb_aux(false);
                        // A replica's sub-replicas go on with the proxied stream in the db it
                        // is in (a master's stream starts with a SELECT after a snapshot).
                        let stream_db = match &self.repl.role {
                            Role::Replica(r) => r.stream_db(),
                            _ => 0,
                        };
                        aux.repl = Some(hashslot_persist::ReplAux {
                            stream_db,
                            repl_id: replid.to_string(),
                            repl_offset: offset,
                        });
                        let image = self.rdb_image(now, &aux);
                        let Some(m) = self.repl.server() else {
                            continue;
                        };
                        match image {
                            Ok(image) => {
                                let mut snap = BytesSnapshot::new(image, SNAPSHOT_CHUNK);
                                let _ = pump_snapshot(m, now, id, &mut snap);
                            }
                            Err(e) => {
                                m.handle_snapshot_failed(now, id);
                                self.log(
                                    LogLevel::Warning,
                                    format!("Can't produce the snapshot for replicas: {e}"),
                                );
                            }
                        }
                    }
                    MasterOutput::WaitReply { client, replicas } => match cur.as_deref_mut() {
                        Some(c) if c.conn == client => {
                            c.reply().int(replicas);
                            answered = true;
                        }
                        _ => self.repl_wait_reply(now, client, replicas),
                    },
                    _ => {}
                }
            }
            let outs: Vec<ReplicaOutput> = match &mut self.repl.role {
                Role::Replica(r) => std::iter::from_fn(|| r.poll_output()).collect(),
                _ => Vec::new(),
            };
            for out in outs {
                progressed = true;
                self.repl_replica_output(now, out);
            }
            if !progressed {
                self.failover_after_drain(now);
                self.repl_keep_master_client(now);
                self.repl_report_progress();
                return answered;
            }
        }
    }

    fn repl_replica_output(&mut self, now: Now, out: ReplicaOutput) {
        // A FAILOVER round in progress adds its argument to PSYNC (see `failover`).
        let Some(out) = self.failover_filter_output(out) else {
            return;
        };
        match out {
            ReplicaOutput::ConnectToMaster { host, port } => {
                if self.repl.link != 0 {
                    let link = self.repl.link;
                    self.outputs.push_back(Output::ReplClose { link });
                }
                self.repl.next_link += 1;
                self.repl.link = self.repl.next_link;
                self.repl.link_local = None;
                self.log(
                    LogLevel::Notice,
                    format!("Connecting to MASTER {host}:{port}"),
                );
                self.outputs.push_back(Output::ReplConnect {
                    link: self.repl.link,
                    host,
                    port,
                });
            }
            ReplicaOutput::SendToMaster(data) if self.repl.link != 0 => {
                let link = self.repl.link;
                self.outputs.push_back(Output::ReplSend { link, data });
            }
            ReplicaOutput::CloseMasterLink if self.repl.link != 0 => {
                let link = std::mem::take(&mut self.repl.link);
                self.outputs.push_back(Output::ReplClose { link });
            }
            ReplicaOutput::LoadRdb { payload } => {
                self.log(
                    LogLevel::Notice,
                    "MASTER <-> REPLICA sync: Loading DB in memory".to_owned(),
                );
                // Ref: readSyncBulkPayload: emptyData signals the flush to tracking clients.
                self.tracking_flushed();
                let mut stream_db = 0;
                let ok = match self.load_rdb_bytes(now, &payload) {
                    Ok(info) => {
                        stream_db = repl_stream_db(&info.aux);
                        true
                    }
                    Err(e) => {
                        self.log(
                            LogLevel::Warning,
                            format!("Failed trying to load the MASTER synchronization DB: {e}"),
                        );
                        false
                    }
                };
                if ok {
                    self.log(
                        LogLevel::Notice,
                        "MASTER <-> REPLICA sync: Finished with success".to_owned(),
                    );
                }
                self.repl.master_client = None;
                if let Role::Replica(r) = &mut self.repl.role {
                    r.handle_rdb_loaded_in_db(now, ok, stream_db);
                }
            }
            ReplicaOutput::ApplyCommand { db, argv, .. } => self.repl_apply(now, db, &argv),
            _ => {}
        }
    }

    /// The master client's fixed address (it has no socket of its own here).
    pub(crate) fn master_client_addr() -> crate::ClientAddr {
        let unspecified: SocketAddr = ([0, 0, 0, 0], 0).into();
        crate::ClientAddr {
            peer: unspecified,
            local: unspecified,
            fd: -1,
        }
    }

    /// Cluster mode: make the replication role follow the cluster's view of myself (called
    /// after the cluster's outputs are drained, so every `RoleChanged` / `FailoverPromoted` and
    /// a nodes.conf loaded at start are covered), and tell the cluster my offset.
    pub(crate) fn repl_follow_cluster(&mut self, now: Now) {
        let Some(cm) = self.cluster.as_ref() else {
            return;
        };
        let me = cm.cluster.myself_ref();
        let master = cm
            .cluster
            .node(me)
            .and_then(|n| n.slaveof)
            .map(|m| cm.cluster.endpoint(m));
        match master {
            Some((ip, port)) if !ip.is_empty() && port != 0 => {
                if !self.repl.follows(ip, port) {
                    let ip = ip.to_owned();
                    self.repl_become_replica(now, &ip, port);
                }
            }
            Some(_) => {}
            None => {
                if self.repl.is_replica() {
                    self.repl_become_master(now);
                    self.repl_drain(now, None);
                }
            }
        }
        self.repl_report_progress();
    }

    /// Tell the cluster my replication offset (sent in every bus header; the manual failover
    /// compares it exactly, so it must be current when the cluster reads it) and data age.
    ///
    /// The data age follows Redis 7.0: from the master's last byte while the link is up, from
    /// when it went down otherwise, and infinite when no link has been up since the process
    /// started or the node became a replica (`repl_down_since` is 0 at start and after
    /// `replicationUnsetMaster`; only a lost connected link sets it). So a replica restarted
    /// from its RDB/AOF whose master is gone does not fail over by itself while
    /// `cluster-replica-validity-factor` is non-zero: it cannot know how old its data is.
    pub(crate) fn repl_report_progress(&mut self) {
        if self.cluster.is_none() {
            return;
        }
        let ms = |t: Instant| (t.as_nanos() / 1_000_000) as i64;
        let progress = match &self.repl.role {
            Role::Replica(r) => {
                let origin = r.data_age_origin();
                hashslot_gossip::ReplicationProgress {
                    offset: r.repl_offset(),
                    master_last_interaction: origin.map(ms),
                    never_synced: origin.is_none(),
                }
            }
            // A master that the cluster still calls a replica (its master's address unknown):
            // Redis's `repl_down_since` is 0 there too. The election ignores masters.
            _ => hashslot_gossip::ReplicationProgress {
                offset: self.repl.offset(),
                master_last_interaction: None,
                never_synced: true,
            },
        };
        if let Some(cm) = self.cluster.as_mut() {
            cm.cluster.set_replication_progress(progress);
        }
    }
}

/// The `repl-stream-db` aux field of a loaded RDB (0 when absent or not a db number): the db
/// a master's stream is in right after the snapshot.
fn repl_stream_db(aux: &[(Vec<u8>, Vec<u8>)]) -> i64 {
    aux.iter()
        .find(|(k, _)| k == b"repl-stream-db")
        .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse().ok())
        .filter(|db: &i64| *db >= 0)
        .unwrap_or(0)
}

impl Node {
    /// `-READONLY` for a write command sent to a read-only replica by a normal client.
    pub(crate) fn repl_refuse_write(&self, idx: usize) -> Option<hashslot_resp::ErrorReply> {
        let entry = &self.table.entries[idx];
        if entry.flags & hashslot_keyspace::flags::WRITE == 0 || !self.repl.is_replica() {
            return None;
        }
        if !yes(&self.config, "replica-read-only", true) {
            return None;
        }
        Some(hashslot_resp::ErrorReply::msg(
            "READONLY You can't write against a read only replica.",
        ))
    }
}

impl Node {
    /// A manual failover asks this master to pause client writes until `until`.
    pub(crate) fn repl_pause_writes(&mut self, until: Instant) {
        use crate::pause::{PausePurpose, PauseType};
        self.pause_clients(PausePurpose::Failover, until, PauseType::Write);
    }

    /// The failover's pause ends (timed out, the failover finished, or this node became a
    /// replica): the requests it held run now, unless another pause still holds them.
    pub(crate) fn repl_unpause_writes(&mut self, now: Now) {
        self.unpause_clients(now, crate::pause::PausePurpose::Failover);
    }
}
