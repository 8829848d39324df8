//! The node: sessions, the command table, timers and counters, behind the driver API.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use hashslot_keyspace::{Db, EncodingLimits, KeyspaceStats};
use hashslot_resp::Limits;
use hashslot_types::{ConnId, Instant, Now, Rng};

use crate::blocking::Blocking;
use crate::multi::Watches;
use crate::pubsub::PubSub;
use crate::session::{Client, Session};
use crate::stats::{CmdStat, Stats};
use crate::table::Table;
use crate::timers::{cron_period, Timer, Timers};
use crate::{Config, LogLevel, Output};

/// Ref: networking.c clientAcceptHandler: the reply of a node in protected mode to a client that
/// is not on the loopback interface, sent before the connection is closed.
const PROTECTED_MODE_DENIED: &[u8] =
    b"-DENIED Redis is running in protected mode because protected \
mode is enabled and no password is set for the default user. In this mode connections are only \
accepted from the loopback interface. If you want to connect from external computers to Redis you \
may adopt one of the following solutions: 1) Just disable protected mode sending the command \
'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same \
host the server is running, however MAKE SURE Redis is not publicly accessible from internet if \
you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable \
the protected mode by editing the Redis configuration file, and setting the protected mode option \
to 'no', and then restarting the server. 3) If you started the server manually just for testing, \
restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the \
default user. NOTE: You only need to do one of the above things in order for the server to start \
accepting connections from the outside.\r\n";

/// Redis's `islocalClient` for TCP: the peer's address text is exactly `127.0.0.1` or `::1`.
fn is_loopback(peer: &SocketAddr) -> bool {
    match peer.ip() {
        std::net::IpAddr::V4(ip) => ip == std::net::Ipv4Addr::LOCALHOST,
        std::net::IpAddr::V6(ip) => ip == std::net::Ipv6Addr::LOCALHOST,
    }
}

/// Where a client connection comes from, as CLIENT LIST shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The peer's address (`addr=`).
    pub peer: SocketAddr,
    /// Our local address of the connection (`laddr=`).
    pub local: SocketAddr,
    /// The driver's file descriptor number, shown as `fd=` (-1 when there is none).
    pub fd: i64,
}

/// Facts about the process that only the driver knows, given once at construction (INFO server).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// `process_id`
    pub pid: u32,
    /// `executable`
    pub executable: String,
    /// `config_file`
    pub config_file: String,
    /// `os` (e.g. `Linux 6.1.0 x86_64`)
    pub os: String,
    /// `arch_bits`
    pub arch_bits: u32,
}

/// Resource usage sampled by the driver (INFO memory and cpu).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessStats {
    /// Resident set size in bytes (`used_memory_rss`).
    pub rss_bytes: u64,
    /// User CPU seconds (`used_cpu_user`).
    pub cpu_user: f64,
    /// System CPU seconds (`used_cpu_sys`).
    pub cpu_sys: f64,
}

/// A Redis node as a sans-IO state machine. See the crate docs for the driving contract.
///
/// Sessions live in a `BTreeMap` by connection id so that every walk over them (the cron's idle
/// check, CLIENT KILL filters, INFO clients) has a fixed order: two runs of one seed behave the
/// same. CLIENT LIST sorts by client id, as Redis lists clients in creation order.
#[derive(Debug)]
pub struct Node {
    pub(crate) config: Config,
    pub(crate) process: ProcessInfo,
    pub(crate) proc_stats: ProcessStats,
    pub(crate) sessions: BTreeMap<ConnId, Session>,
    pub(crate) next_client_id: u64,
    pub(crate) dbs: Vec<Db>,
    /// Randomness handed to data commands (RANDOMKEY, SPOP…) and active expiry.
    pub(crate) ks_rng: Rng,
    pub(crate) ks_stats: KeyspaceStats,
    /// The collection encoding thresholds from `config`, copied into each command's `Ctx`;
    /// refreshed at startup and by [`Node::config_changed`].
    pub(crate) encoding_limits: EncodingLimits,
    pub(crate) stats: Stats,
    /// Per table entry (`cmdstat_*`).
    pub(crate) cmd_stats: Vec<CmdStat>,
    pub(crate) table: &'static Table,
    pub(crate) timers: Timers,
    pub(crate) outputs: VecDeque<Output>,
    pub(crate) started: Now,
    /// `run_id`: 40 hex characters from the seeded rng.
    pub(crate) run_id: String,
    /// `LASTSAVE` / `rdb_last_save_time` (the start time until something saves).
    pub(crate) lastsave: i64,
    /// Changes since the last save (`rdb_changes_since_last_save`).
    pub(crate) dirty: u64,
    pub(crate) used_memory_peak: u64,
    /// The database active expiry visits first on the next tick.
    pub(crate) expire_db_cursor: usize,
    /// `DEBUG SET-ACTIVE-EXPIRE` (Redis's `active_expire_enabled`): when `false` the cron
    /// deletes no expired key; lookups still expire lazily.
    pub(crate) active_expire_enabled: bool,
    /// Keys a writable replica's own clients gave a TTL, which its cron expires itself.
    pub(crate) replica_keys_with_expire: crate::keyspace_ext::ReplicaKeysWithExpire,
    /// SHUTDOWN was accepted: no more commands run.
    pub(crate) shutting_down: bool,
    /// `Output::Shutdown` is still to be emitted, after the replies of the current batch.
    pub(crate) shutdown_pending: bool,
    /// WATCHed keys of every client.
    pub(crate) watches: Watches,
    /// Clients parked by blocking commands.
    pub(crate) blocking: Blocking,
    /// Pub/sub subscriptions.
    pub(crate) pubsub: PubSub,
    /// Cluster mode (`cluster-enabled yes`): membership, slots, the bus (see `cluster`).
    pub(crate) cluster: Option<Box<crate::cluster::ClusterMode>>,
    /// MIGRATE's cached target sockets and the MIGRATE in flight (see `migrate`).
    pub(crate) migrate: crate::migrate::Migrations,
    /// RDB saves, the AOF, loading (see `persistence`).
    pub(crate) persistence: crate::persistence::Persistence,
    /// The replication role and its machine (see `replication`).
    pub(crate) repl: crate::replication::Replication,
    /// ACL users and the ACL log (see `acl`).
    pub(crate) acl: crate::acl::Acl,
    /// A DEBUG SLEEP in progress (see [`Sleep`]).
    pub(crate) sleep: Option<Box<Sleep>>,
    /// Client-side caching: key and prefix tables, tracking clients (see `tracking`).
    pub(crate) tracking: crate::tracking::Tracking,
    /// Command durations: SLOWLOG, LATENCY, commandstats `usec` (see `latency`).
    pub(crate) timing: crate::latency::Timing,
    /// Lua scripting: the interpreter, the EVAL script cache, FUNCTION libraries.
    pub(crate) scripting: Box<crate::scripting::Scripting>,
}

/// Most input bytes a DEBUG SLEEP holds. Redis holds nothing itself: unread bytes wait in the
/// kernel's socket buffers, which fill and stop the senders. Here the driver keeps reading, so
/// past this the sleep ends early (logged) rather than growing without bound.
const SLEEP_HELD_MAX: usize = 64 * 1024 * 1024;

/// DEBUG SLEEP: Redis stops its whole process for the time asked, answering nobody, running no
/// timer and no cluster bus (a sleeping master is failed over, which is what tests use it for).
/// A sans-IO node cannot stop its driver, so it stops itself: until `until`, every input is
/// held in arrival order and no timer runs; then the sleeping client gets its `+OK` and the
/// held inputs are handled in order, as Redis handles what its sockets buffered after waking.
#[derive(Debug)]
pub(crate) struct Sleep {
    until: Instant,
    /// The client that asked; its reply waits for the end (none when it ran inside EXEC,
    /// whose reply array cannot wait alone).
    conn: Option<ConnId>,
    held: VecDeque<Held>,
    held_bytes: usize,
}

/// An input that arrived during a DEBUG SLEEP, kept to be handled after it.
#[derive(Debug)]
pub(crate) enum Held {
    Accept(ConnId, ClientAddr),
    Read(ConnId, Vec<u8>),
    Closed(ConnId),
    ShutdownSignal,
    ConfigRewritten(ConnId, Result<(), String>),
    BusAccept(hashslot_types::LinkId, SocketAddr, SocketAddr),
    BusConnected(hashslot_types::LinkId, SocketAddr),
    BusRead(hashslot_types::LinkId, Vec<u8>),
    BusClosed(hashslot_types::LinkId),
    PersistDone(crate::PersistToken, Result<(), String>),
    MigrateConnected(crate::MigrateId),
    MigrateRead(crate::MigrateId, Vec<u8>),
    MigrateClosed(crate::MigrateId),
    ReplLinkAddr(u64, SocketAddr, i64),
    ReplConnected(u64),
    ReplRead(u64, Vec<u8>),
    ReplClosed(u64),
}

/// The earlier of two optional deadlines (`None`: none).
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// 40 random lowercase hex characters (Redis's `getRandomHexChars`).
fn random_hex(rng: &mut Rng) -> String {
    hashslot_types::NodeId::random(rng).as_str().to_owned()
}

impl Node {
    /// A node with `config`, its randomness seeded from `seed`, started at `now`.
    pub fn new(config: Config, seed: u64, now: Now, process: ProcessInfo) -> Self {
        let root = Rng::from_seed(seed);
        let mut ids = root.child("ids");
        // Keyed hashing of client-chosen keys, seeded from the node seed (DoS resistance and
        // reproducible runs).
        let db_seed = root.child("db").next_u64();
        // Ref: Redis keeps `databases` dbs even in cluster mode, but only db 0 is reachable there.
        let ndb = if config.cluster_enabled {
            1
        } else {
            config.databases.max(1) as usize
        };
        let encoding_limits = EncodingLimits::from_config(|n| config.get(n));
        let table = Table::get();
        let mut timers = Timers::default();
        timers.set(Timer::Cron, now.mono + cron_period(config.hz));
        let cluster = crate::cluster::ClusterMode::new(&config, root.child("cluster"), now);
        let repl = crate::replication::Replication::new(&config, root.child("repl"), now);
        let acl = crate::acl::Acl::new(config.requirepass.as_deref(), root.child("acl"));
        let mut node = Node {
            run_id: random_hex(&mut ids),
            ks_rng: root.child("keyspace"),
            timing: crate::latency::Timing::new(&config),
            scripting: Box::default(),
            config,
            process,
            proc_stats: ProcessStats::default(),
            sessions: BTreeMap::new(),
            next_client_id: 1,
            dbs: (0..ndb).map(|_| Db::with_seed(db_seed)).collect(),
            ks_stats: KeyspaceStats::default(),
            encoding_limits,
            stats: Stats::default(),
            cmd_stats: vec![CmdStat::default(); table.entries.len()],
            table,
            timers,
            outputs: VecDeque::new(),
            started: now,
            lastsave: now.wall.as_secs(),
            dirty: 0,
            used_memory_peak: 0,
            expire_db_cursor: 0,
            active_expire_enabled: true,
            replica_keys_with_expire: Default::default(),
            shutting_down: false,
            shutdown_pending: false,
            watches: Watches::default(),
            blocking: Blocking::default(),
            pubsub: PubSub::default(),
            cluster,
            migrate: Default::default(),
            persistence: crate::persistence::Persistence::new(now),
            repl,
            acl,
            sleep: None,
            tracking: crate::tracking::Tracking::new(root.child("tracking")),
        };
        node.repl_drain(now, None);
        // The configuration's `user` lines, after `requirepass` (see `acl::startup`).
        node.acl_load_config_users();
        // Keys deleted by expiry touch WATCHes (see `Node::drain_expired`).
        for db in &mut node.dbs {
            db.set_track_expired(true);
        }
        node
    }

    /// The configuration in force (CONFIG SET changes it).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Number of client connections open (`connected_clients`).
    pub fn connected_clients(&self) -> usize {
        self.sessions.len()
    }

    /// A client connected.
    pub fn handle_accept(&mut self, now: Now, conn: ConnId, addr: ClientAddr) {
        if self.hold(now, || Held::Accept(conn, addr)) {
            return;
        }
        if self.sessions.len() >= self.config.maxclients as usize {
            // Ref: networking.c acceptCommonHandler: refused before a client exists.
            self.stats.rejected_connections += 1;
            let data = bytes::Bytes::from_static(b"-ERR max number of clients reached\r\n");
            self.outputs.push_back(Output::Send { conn, data });
            self.outputs.push_back(Output::Close { conn });
            return;
        }
        if self.config.protected_mode && self.acl.default_user().nopass && !is_loopback(&addr.peer)
        {
            // Ref: networking.c clientAcceptHandler (7.0.15): whatever `bind` says, a node in
            // protected mode without a password refuses non-loopback peers.
            self.stats.rejected_connections += 1;
            let data = bytes::Bytes::from_static(PROTECTED_MODE_DENIED);
            self.outputs.push_back(Output::Send { conn, data });
            self.outputs.push_back(Output::Close { conn });
            return;
        }
        self.stats.total_connections_received += 1;
        let id = self.next_client_id;
        self.next_client_id += 1;
        let auth = !self.acl.default_needs_auth();
        let client = Client::new(conn, id, addr, now.mono, auth);
        let limits = self.limits_for(&client);
        self.sessions.insert(conn, Session::new(client, limits));
    }

    /// Bytes arrived from a client: every complete request in them runs, in order, and the
    /// replies leave as one `Output::Send`.
    pub fn handle_read(&mut self, now: Now, conn: ConnId, data: &[u8]) {
        if self.hold(now, || Held::Read(conn, data.to_vec())) {
            return;
        }
        self.process_read(now, conn, data);
    }

    /// A client's connection closed (by the peer, or after `Output::Close`).
    pub fn handle_closed(&mut self, now: Now, conn: ConnId) {
        if self.hold(now, || Held::Closed(conn)) {
            return;
        }
        if let Some(mut sess) = self.sessions.remove(&conn) {
            // Ref: networking.c freeClient: unwatch, unblock, unsubscribe.
            self.watches.unwatch_all(conn);
            self.forget_blocked(conn);
            self.forget_subscriptions(&mut sess.client);
            self.tracking_closed(&mut sess.client);
        }
        self.repl_conn_closed(now, conn);
    }

    /// The process got SIGTERM or SIGINT: shut down as SHUTDOWN does (the driver logs
    /// `Received SIGTERM scheduling shutdown...` itself). Ends in `Output::Shutdown`.
    pub fn handle_shutdown_signal(&mut self, now: Now) {
        if self.shutting_down || self.hold(now, || Held::ShutdownSignal) {
            return;
        }
        if self.aof_refuses_shutdown(false) {
            return; // As Redis: the server goes on serving.
        }
        if self.shutdown_save(now, None, false) {
            return; // Output::Shutdown follows the final save's commit.
        }
        self.begin_shutdown();
        self.shutdown_pending = false;
        self.outputs.push_back(Output::Shutdown);
    }

    /// Redis's `prepareForShutdown` with nothing to persist: log, and run no further commands.
    /// `Output::Shutdown` follows (after the current batch's replies for SHUTDOWN). The final
    /// `Redis is now ready to exit, bye bye...` is the driver's, after it removes the pidfile.
    pub(crate) fn begin_shutdown(&mut self) {
        self.log(LogLevel::Warning, "User requested shutdown...".to_owned());
        self.shutting_down = true;
        self.shutdown_pending = true;
    }

    /// A timer may have expired (active expiry, client timeouts, cron). Early calls do nothing.
    pub fn handle_timeout(&mut self, now: Now) {
        if let Some(s) = &self.sleep {
            if now.mono < s.until {
                return;
            }
            self.wake(now);
        }
        self.cluster_handle_timeout(now);
        self.migrate_timeout(now);
        if self.timers.take_expired(Timer::Cron, now.mono) {
            self.cron(now);
            self.timers
                .set(Timer::Cron, now.mono + cron_period(self.config.hz));
        }
        if self.timers.take_expired(Timer::Blocked, now.mono) {
            self.blocked_timeouts(now);
        }
        self.persistence_timeout(now);
        self.repl_timeout(now);
        self.process_unblocked(now);
    }

    /// The driver sampled the process's resources.
    pub fn handle_process_stats(&mut self, now: Now, stats: ProcessStats) {
        let _ = now;
        self.proc_stats = stats;
    }

    /// The driver finished an `Output::RewriteConfig` for `conn`: `Err` carries the OS error
    /// text. The client gets its reply and its waiting requests run.
    pub fn handle_config_rewritten(&mut self, now: Now, conn: ConnId, result: Result<(), String>) {
        let result = match self.sleep.as_mut() {
            Some(s) => {
                s.held.push_back(Held::ConfigRewritten(conn, result));
                return;
            }
            None => result,
        };
        let Some(mut sess) = self.sessions.remove(&conn) else {
            return;
        };
        if sess.client.blocked && !sess.closing {
            sess.client.blocked = false;
            let start = sess.client.out.len();
            match result {
                Ok(()) => sess.client.reply().ok(),
                Err(e) => {
                    let text = format!("ERR Rewriting config file: {e}");
                    sess.client
                        .reply()
                        .error(&hashslot_resp::ErrorReply::msg(text));
                }
            }
            self.after_reply(&mut sess.client, start);
            self.consume(now, &mut sess, &[]);
        }
        self.sessions.insert(conn, sess);
        self.process_unblocked(now);
    }

    /// The next thing for the driver to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        // Redis's beforeSleep: BCAST invalidations, tracking table limit (see `tracking`).
        self.tracking_before_sleep();
        self.outputs.pop_front()
    }

    /// When `handle_timeout` must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if let Some(s) = &self.sleep {
            return Some(s.until);
        }
        // Folded pairwise rather than through a flattening iterator: this runs after every
        // input the driver gives, and the iterator chain compiled to far more work.
        let mut next = self.timers.next();
        for t in [
            self.cluster_poll_timeout(),
            self.migrate.next_deadline(),
            self.persistence_poll_timeout(),
            self.repl.poll_timeout(),
        ] {
            next = earliest(next, t);
        }
        next
    }

    /// The request-parser limits for `client`: `proto-max-bulk-len`, and Redis's tighter caps
    /// until a client of a password-protected node authenticates.
    pub(crate) fn limits_for(&self, client: &Client) -> Limits {
        Limits {
            max_bulk_len: self.config.proto_max_bulk_len,
            auth_required: self.auth_required(client),
            ..Limits::default()
        }
    }

    /// Redis's `authRequired`: the default user needs a password (or is off) and the client
    /// has not authenticated.
    pub(crate) fn auth_required(&self, client: &Client) -> bool {
        self.acl.default_needs_auth() && !client.authenticated
    }

    /// Apply a CONFIG SET to live state (the cron period, every client's parser limits).
    pub(crate) fn config_changed(&mut self, now: Now, old_hz: u32) {
        self.encoding_limits = EncodingLimits::from_config(|n| self.config.get(n));
        self.acl_config_changed();
        self.repl_config_changed();
        self.aof_config_changed(now);
        self.timing_config_changed();
        if self.config.hz != old_hz {
            self.timers
                .set(Timer::Cron, now.mono + cron_period(self.config.hz));
        }
        let limits: Vec<(ConnId, Limits)> = self
            .sessions
            .iter()
            .map(|(c, s)| (*c, self.limits_for(&s.client)))
            .collect();
        for (conn, l) in limits {
            if let Some(s) = self.sessions.get_mut(&conn) {
                s.parser.set_limits(l);
            }
        }
    }
}

impl Node {
    /// DEBUG SLEEP for `d` (see [`Sleep`]); `c` gets its reply when it ends.
    pub(crate) fn start_sleep(&mut self, now: Now, c: &mut Client, d: std::time::Duration) {
        let conn = if c.in_exec {
            c.reply().ok();
            None
        } else {
            c.blocked = true;
            Some(c.conn)
        };
        self.sleep = Some(Box::new(Sleep {
            until: now.mono.saturating_add(d),
            conn,
            held: VecDeque::new(),
            held_bytes: 0,
        }));
    }

    /// During a DEBUG SLEEP, keep the input `held` for later and return true.
    pub(crate) fn hold(&mut self, now: Now, held: impl FnOnce() -> Held) -> bool {
        let Some(s) = self.sleep.as_mut() else {
            return false;
        };
        let h = held();
        s.held_bytes += match &h {
            Held::Read(_, d)
            | Held::BusRead(_, d)
            | Held::MigrateRead(_, d)
            | Held::ReplRead(_, d) => d.len(),
            _ => 0,
        };
        s.held.push_back(h);
        if s.held_bytes > SLEEP_HELD_MAX {
            self.log(
                LogLevel::Warning,
                format!(
                    "DEBUG SLEEP ended early: more than {SLEEP_HELD_MAX} bytes of input arrived"
                ),
            );
            self.wake(now);
        }
        true
    }

    /// [`Node::hold`] for an input that carries no bytes and no time.
    pub(crate) fn hold_small(&mut self, held: impl FnOnce() -> Held) -> bool {
        match self.sleep.as_mut() {
            Some(s) => {
                s.held.push_back(held());
                true
            }
            None => false,
        }
    }

    /// The DEBUG SLEEP is over: reply to its client, then handle what was held, in order. A
    /// held request may start another sleep; what is left is then held again, in front.
    fn wake(&mut self, now: Now) {
        let Some(s) = self.sleep.take() else {
            return;
        };
        if let Some(conn) = s.conn {
            if let Some(mut sess) = self.sessions.remove(&conn) {
                if sess.client.blocked && !sess.closing {
                    sess.client.blocked = false;
                    let start = sess.client.out.len();
                    sess.client.reply().ok();
                    self.after_reply(&mut sess.client, start);
                    self.consume(now, &mut sess, &[]);
                }
                self.sessions.insert(conn, sess);
                self.process_unblocked(now);
            }
        }
        let mut held = s.held;
        while let Some(h) = held.pop_front() {
            if let Some(again) = self.sleep.as_mut() {
                held.push_front(h);
                held.append(&mut again.held);
                again.held_bytes = s.held_bytes;
                again.held = held;
                return;
            }
            self.handle_held(now, h);
        }
    }

    fn handle_held(&mut self, now: Now, h: Held) {
        match h {
            Held::Accept(conn, addr) => self.handle_accept(now, conn, addr),
            Held::Read(conn, data) => self.handle_read(now, conn, &data),
            Held::Closed(conn) => self.handle_closed(now, conn),
            Held::ShutdownSignal => self.handle_shutdown_signal(now),
            Held::ConfigRewritten(conn, r) => self.handle_config_rewritten(now, conn, r),
            Held::BusAccept(link, peer, local) => self.handle_bus_accept(now, link, peer, local),
            Held::BusConnected(link, local) => self.handle_bus_connected(now, link, local),
            Held::BusRead(link, data) => self.handle_bus_read(now, link, &data),
            Held::BusClosed(link) => self.handle_bus_closed(now, link),
            Held::PersistDone(token, r) => self.handle_persist_done(now, token, r),
            Held::MigrateConnected(id) => self.handle_migrate_connected(now, id),
            Held::MigrateRead(id, data) => self.handle_migrate_read(now, id, &data),
            Held::MigrateClosed(id) => self.handle_migrate_closed(now, id),
            Held::ReplLinkAddr(link, local, fd) => self.handle_repl_link_addr(link, local, fd),
            Held::ReplConnected(link) => self.handle_repl_connected(now, link),
            Held::ReplRead(link, data) => self.handle_repl_read(now, link, &data),
            Held::ReplClosed(link) => self.handle_repl_closed(now, link),
        }
    }
}
