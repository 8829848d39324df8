//! MIGRATE's client side (`migrateCommand`, `migrateGetSocket` in Redis 7.0's cluster.c), as a
//! sans-IO state machine inside the node.
//!
//! Redis runs MIGRATE synchronously: it blocks its whole event loop on a (cached) socket to the
//! target while it writes `AUTH`/`SELECT`/`RESTORE-ASKING …` and reads one reply line each. We
//! cannot block, so the node asks the driver for the socket work and waits for completions:
//!
//! - `Output::MigrateConnect { id, host, port, timeout }`: open a TCP connection; the driver
//!   reports `Node::handle_migrate_connected(now, id)` or `Node::handle_migrate_closed(now, id)`.
//! - `Output::MigrateSend { id, data }`: write bytes, in order.
//! - `Node::handle_migrate_read(now, id, bytes)`: bytes the target replied.
//! - `Output::MigrateClose { id }`: drop the connection (timeout, idle, cache full); the driver
//!   reports nothing back. The peer closing or an I/O error is `handle_migrate_closed`.
//!
//! The node enforces every timeout itself (connect and each read wait `timeout` ms, as Redis's
//! `syncReadLine`), so the driver needs no timers.
//!
//! Atomicity: while a MIGRATE is in flight, no client command runs (their input is kept in
//! their query buffers), exactly as Redis's blocking MIGRATE stops its event loop. So between
//! the target's `+OK` for a key and its local deletion nothing else can touch the key: the
//! replies are processed and the keys deleted in the one `handle_migrate_read` call that
//! completes them. The cluster bus and timers keep running.
//!
//! Sockets are cached per `host:port` (at most 64; closed after 10 s unused), with the last
//! database SELECTed on them, as `migrate_cached_sockets`.
//!
//! One transport, two owners. An op (one request written, one reply line read per command in
//! it) belongs either to a client's MIGRATE or to the node's whole-slot migration job
//! ([`job`], `CLUSTER MIGRATESLOTS`). Both move keys the same way (`RESTORE-ASKING key ttl
//! payload`, then one local `DEL` of what the target acknowledged, while no client command
//! runs) and both change slot states only through the cluster's SETSLOT transitions, so a slot
//! left open by either can be finished by the other (or by `redis-cli --cluster fix`). A job's
//! op may also carry plain commands before its keys (the `CLUSTER SETSLOT`s it sends to the
//! target); their reply lines go back to the job.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use hashslot_resp::ErrorReply;
use hashslot_types::{ConnId, Instant, Now};

use crate::session::Client;
use crate::{ClientAddr, Node, Output};

pub(crate) mod job;

/// Names one MIGRATE connection (chosen by the node, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MigrateId(pub u64);

/// Redis's `MIGRATE_SOCKET_CACHE_ITEMS`.
const CACHE_ITEMS: usize = 64;
/// Redis's `MIGRATE_SOCKET_CACHE_TTL`: cached sockets unused this long are closed.
const CACHE_TTL: Duration = Duration::from_secs(10);
/// A reply line longer than this is a broken target (Redis reads lines into 1 KB buffers).
const MAX_LINE: usize = 64 * 1024;

const IOERR_CONNECT: &str = "IOERR error or timeout connecting to the client";
const IOERR_READ: &str = "IOERR error or timeout reading to target instance";

/// A parsed MIGRATE, ready to run.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub host: String,
    pub port: u16,
    /// `destination-db`.
    pub dbid: i64,
    /// Milliseconds (already defaulted to 1000 when ≤ 0).
    pub timeout_ms: u64,
    pub copy: bool,
    pub replace: bool,
    /// `AUTH pw` (`None` user) or `AUTH2 user pw`.
    pub auth: Option<(Option<Vec<u8>>, Vec<u8>)>,
    /// Keys to move (present when the command ran; expired ones are re-checked at send time).
    pub keys: Vec<Vec<u8>>,
}

/// One cached connection.
#[derive(Debug)]
struct Socket {
    id: MigrateId,
    connected: bool,
    /// The database last SELECTed successfully (`last_dbid`; `None` forces SELECT).
    last_dbid: Option<i64>,
    last_use: Instant,
    /// Reply bytes not yet consumed as lines.
    inbuf: Vec<u8>,
}

/// Who waits for an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A client's MIGRATE (the client is blocked until the reply).
    Client(ConnId),
    /// The slot migration job.
    Job,
}

/// How an op ended, for its owner.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The reply lines of the op's plain commands (without CRLF), as many as arrived.
    pub cmd_lines: Vec<Vec<u8>>,
    /// Keys the target acknowledged (and, without COPY, deleted here).
    pub moved: usize,
    /// MIGRATE's reply: `OK`, `NOKEY` or the error.
    pub result: Result<&'static [u8], ErrorReply>,
}

/// The op in flight.
#[derive(Debug)]
struct Op {
    owner: Owner,
    /// The source database (the client's).
    db: usize,
    name: String,
    req: Request,
    /// Plain commands written before the keys (one reply line each).
    cmds: Vec<Vec<Vec<u8>>>,
    /// Stop adding keys once the request is this long (job batches; keys left out stay for the
    /// next batch). `usize::MAX` for MIGRATE, which sends every key.
    max_bytes: usize,
    /// The keys actually sent, in order.
    sent: Vec<Vec<u8>>,
    /// Whether AUTH / SELECT were sent (each gets one reply line before the keys').
    auth: bool,
    select: bool,
    lines: Vec<Vec<u8>>,
    /// The request bytes are written (else: waiting for the connect).
    sent_payload: bool,
    deadline: Instant,
    /// Redis retries once on a fresh socket when nothing was read and it was no timeout.
    may_retry: bool,
}

/// All MIGRATE state of a node.
#[derive(Debug, Default)]
pub(crate) struct Migrations {
    next_id: u64,
    /// By `host:port`; ordered so that eviction and idle closing are deterministic.
    sockets: BTreeMap<String, Socket>,
    op: Option<Op>,
    /// The slot migration job (kept after it ends, for its status).
    pub(crate) job: Option<job::SlotJob>,
}

impl Migrations {
    /// Whether a MIGRATE is in flight (client commands wait meanwhile).
    pub(crate) fn busy(&self) -> bool {
        self.op.is_some()
    }

    /// `migrate_cached_sockets` of INFO.
    pub(crate) fn cached_sockets(&self) -> usize {
        self.sockets.len()
    }

    /// The in-flight op's deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.op.as_ref().map(|o| o.deadline)
    }

    fn name_of(&self, id: MigrateId) -> Option<String> {
        self.sockets
            .iter()
            .find(|(_, s)| s.id == id)
            .map(|(n, _)| n.clone())
    }
}

impl Outcome {
    /// Nothing (more) was read: the op failed with `text`.
    fn failed(text: impl Into<String>) -> Outcome {
        Outcome {
            cmd_lines: Vec::new(),
            moved: 0,
            result: Err(ErrorReply::msg(text.into())),
        }
    }
}

/// How an op ends when the target did not answer every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The connection never came up.
    Connect,
    /// Lost or timed out after the request was sent.
    Read,
}

impl Node {
    /// Start a MIGRATE for `client`, who waits (`blocked`) until it completes.
    pub(crate) fn migrate_start(&mut self, now: Now, client: &mut Client, req: Request) {
        client.blocked = true;
        let (owner, db) = (Owner::Client(client.conn), client.db);
        self.migrate_begin(now, owner, db, req, Vec::new(), usize::MAX);
    }

    /// Start an op: `cmds` then RESTOREs of `req.keys` (up to `max_bytes` of request).
    pub(crate) fn migrate_begin(
        &mut self,
        now: Now,
        owner: Owner,
        db: usize,
        req: Request,
        cmds: Vec<Vec<Vec<u8>>>,
        max_bytes: usize,
    ) {
        debug_assert!(self.migrate.op.is_none(), "one op at a time");
        let name = format!("{}:{}", req.host, req.port);
        let timeout = Duration::from_millis(req.timeout_ms);
        self.migrate.op = Some(Op {
            owner,
            db,
            name: name.clone(),
            req,
            cmds,
            max_bytes,
            sent: Vec::new(),
            auth: false,
            select: false,
            lines: Vec::new(),
            sent_payload: false,
            deadline: now.mono + timeout,
            may_retry: true,
        });
        self.migrate_get_socket(now, &name);
    }

    /// Redis's `migrateGetSocket`: reuse the cached socket or open one; send once connected.
    fn migrate_get_socket(&mut self, now: Now, name: &str) {
        let connected = match self.migrate.sockets.get_mut(name) {
            Some(s) => {
                s.last_use = now.mono;
                s.connected
            }
            None => {
                if self.migrate.sockets.len() >= CACHE_ITEMS {
                    // Redis drops a random entry; we drop the least recently used idle one.
                    let victim = self
                        .migrate
                        .sockets
                        .iter()
                        .min_by_key(|(_, s)| s.last_use)
                        .map(|(n, _)| n.clone());
                    if let Some(v) = victim {
                        self.migrate_drop_socket(&v);
                    }
                }
                self.migrate.next_id += 1;
                let id = MigrateId(self.migrate.next_id);
                self.migrate.sockets.insert(
                    name.to_owned(),
                    Socket {
                        id,
                        connected: false,
                        last_dbid: None,
                        last_use: now.mono,
                        inbuf: Vec::new(),
                    },
                );
                let op = self.migrate.op.as_ref().expect("op");
                self.outputs.push_back(Output::MigrateConnect {
                    id,
                    host: op.req.host.clone(),
                    port: op.req.port,
                    timeout: Duration::from_millis(op.req.timeout_ms),
                });
                false
            }
        };
        if connected {
            self.migrate_send(now);
        }
    }

    /// Close and forget the cached socket `name`.
    fn migrate_drop_socket(&mut self, name: &str) {
        if let Some(s) = self.migrate.sockets.remove(name) {
            self.outputs.push_back(Output::MigrateClose { id: s.id });
        }
    }

    /// Build and write the request of the op on its (connected) socket.
    fn migrate_send(&mut self, now: Now) {
        let Some(mut op) = self.migrate.op.take() else {
            return;
        };
        let sock = self.migrate.sockets.get_mut(&op.name).expect("socket");
        let cluster = self.config.cluster_enabled;
        let mut buf = Vec::new();
        op.auth = op.req.auth.is_some();
        if let Some((user, pass)) = &op.req.auth {
            let mut args: Vec<&[u8]> = vec![b"AUTH"];
            if let Some(u) = user {
                args.push(u);
            }
            args.push(pass);
            write_command(&mut buf, &args);
        }
        op.select = sock.last_dbid != Some(op.req.dbid);
        if op.select {
            write_command(&mut buf, &[b"SELECT", op.req.dbid.to_string().as_bytes()]);
        }
        for cmd in &op.cmds {
            let args: Vec<&[u8]> = cmd.iter().map(Vec::as_slice).collect();
            write_command(&mut buf, &args);
        }
        // Ref: migrateCommand: keys expired meanwhile are skipped; the remaining TTL is sent
        // relative, at least 1 ms.
        let db = &self.dbs[op.db];
        op.sent.clear();
        let mut failed = None;
        for key in &op.req.keys {
            if buf.len() >= op.max_bytes && !op.sent.is_empty() {
                break;
            }
            let Some(value) = db.peek(key) else { continue };
            let ttl = match db.expire_time(key) {
                Some(at) => {
                    let left = at - now.wall.0;
                    if left < 0 {
                        continue;
                    }
                    left.max(1)
                }
                None => 0,
            };
            let payload = match hashslot_persist::dump_payload(value) {
                Ok(p) => p,
                Err(e) => {
                    failed = Some(e.to_string());
                    break;
                }
            };
            let name: &[u8] = if cluster {
                b"RESTORE-ASKING"
            } else {
                b"RESTORE"
            };
            let ttl = ttl.to_string();
            let mut args: Vec<&[u8]> = vec![name, key, ttl.as_bytes(), &payload];
            if op.req.replace {
                args.push(b"REPLACE");
            }
            write_command(&mut buf, &args);
            op.sent.push(key.clone());
        }
        sock.inbuf.clear();
        let id = sock.id;
        if let Some(e) = failed {
            let err = format!("ERR MIGRATE cannot serialize a key: {e}");
            return self.migrate_reply(now, op, Outcome::failed(err));
        }
        if op.sent.is_empty() && op.cmds.is_empty() {
            // Everything expired meanwhile.
            let nokey = Outcome {
                cmd_lines: Vec::new(),
                moved: 0,
                result: Ok(b"NOKEY"),
            };
            return self.migrate_reply(now, op, nokey);
        }
        op.sent_payload = true;
        op.deadline = now.mono + Duration::from_millis(op.req.timeout_ms);
        self.outputs.push_back(Output::MigrateSend {
            id,
            data: Bytes::from(buf),
        });
        self.migrate.op = Some(op);
    }

    /// The driver connected MIGRATE socket `id`.
    pub fn handle_migrate_connected(&mut self, now: Now, id: MigrateId) {
        if self.hold(now, || crate::node::Held::MigrateConnected(id)) {
            return;
        }
        let Some(name) = self.migrate.name_of(id) else {
            return;
        };
        if let Some(s) = self.migrate.sockets.get_mut(&name) {
            s.connected = true;
            s.last_use = now.mono;
        }
        let waiting = self
            .migrate
            .op
            .as_ref()
            .is_some_and(|o| o.name == name && !o.sent_payload);
        if waiting {
            self.migrate_send(now);
            self.migrate_resume_if_idle(now);
        }
    }

    /// Bytes from the target on MIGRATE socket `id`.
    pub fn handle_migrate_read(&mut self, now: Now, id: MigrateId, data: &[u8]) {
        if self.hold(now, || crate::node::Held::MigrateRead(id, data.to_vec())) {
            return;
        }
        let Some(name) = self.migrate.name_of(id) else {
            return;
        };
        let ours = self
            .migrate
            .op
            .as_ref()
            .is_some_and(|o| o.name == name && o.sent_payload);
        if !ours {
            // Nobody asked: a broken or confused target. Forget the socket.
            self.migrate_drop_socket(&name);
            return;
        }
        let sock = self.migrate.sockets.get_mut(&name).expect("socket");
        sock.inbuf.extend_from_slice(data);
        sock.last_use = now.mono;
        let mut op = self.migrate.op.take().expect("op");
        op.may_retry = false;
        op.deadline = now.mono + Duration::from_millis(op.req.timeout_ms);
        while let Some(nl) = sock.inbuf.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = sock.inbuf.drain(..=nl).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            op.lines.push(line);
        }
        let too_long = sock.inbuf.len() > MAX_LINE;
        let expected = op.auth as usize + op.select as usize + op.cmds.len() + op.sent.len();
        if op.lines.len() >= expected {
            self.migrate_finish(now, op, None);
        } else if too_long {
            self.migrate_drop_socket(&name);
            self.migrate_finish(now, op, Some(Failure::Read));
        } else {
            self.migrate.op = Some(op);
            return;
        }
        self.migrate_resume_if_idle(now);
    }

    /// MIGRATE socket `id` failed to connect, or was closed by the peer or an error.
    pub fn handle_migrate_closed(&mut self, now: Now, id: MigrateId) {
        if self.hold(now, || crate::node::Held::MigrateClosed(id)) {
            return;
        }
        let Some(name) = self.migrate.name_of(id) else {
            return;
        };
        self.migrate.sockets.remove(&name);
        let Some(mut op) = self.migrate.op.take_if(|o| o.name == name) else {
            return;
        };
        if op.sent_payload && op.may_retry {
            // Ref: migrateCommand: one retry on a fresh socket when nothing was read (a stale
            // cached socket: the target restarted or closed it as idle).
            op.may_retry = false;
            op.sent_payload = false;
            op.lines.clear();
            op.deadline = now.mono + Duration::from_millis(op.req.timeout_ms);
            self.migrate.op = Some(op);
            self.migrate_get_socket(now, &name);
        } else {
            let why = if op.sent_payload {
                Failure::Read
            } else {
                Failure::Connect
            };
            self.migrate_finish(now, op, Some(why));
        }
        self.migrate_resume_if_idle(now);
    }

    /// Timers: the in-flight op's deadline, and closing cached sockets idle for 10 s.
    pub(crate) fn migrate_timeout(&mut self, now: Now) {
        if self
            .migrate
            .op
            .as_ref()
            .is_some_and(|o| o.deadline <= now.mono)
        {
            let op = self.migrate.op.take().expect("op");
            let name = op.name.clone();
            let why = if op.sent_payload {
                Failure::Read
            } else {
                Failure::Connect
            };
            self.migrate_drop_socket(&name);
            self.migrate_finish(now, op, Some(why));
            self.migrate_resume_if_idle(now);
        }
        let busy = self.migrate.op.as_ref().map(|o| o.name.clone());
        let idle: Vec<String> = self
            .migrate
            .sockets
            .iter()
            .filter(|(n, s)| {
                Some(*n) != busy.as_ref()
                    && now.mono.saturating_duration_since(s.last_use) > CACHE_TTL
            })
            .map(|(n, _)| n.clone())
            .collect();
        for n in idle {
            self.migrate_drop_socket(&n);
        }
        self.migrate_job_step(now);
    }

    /// Process the replies (all of them, or those before `failure`), delete what the target
    /// acknowledged, and hand the outcome to the op's owner. Ref: migrateCommand after the
    /// writes.
    fn migrate_finish(&mut self, now: Now, op: Op, failure: Option<Failure>) {
        if failure == Some(Failure::Connect) {
            return self.migrate_reply(now, op, Outcome::failed(IOERR_CONNECT));
        }
        let hdr = op.auth as usize + op.select as usize;
        if op.lines.len() < hdr {
            self.migrate_drop_socket(&op.name);
            return self.migrate_reply(now, op, Outcome::failed(IOERR_READ));
        }
        let auth_err = op.auth && op.lines[0].first() == Some(&b'-');
        let select_idx = op.auth as usize;
        let select_err = op.select && op.lines[select_idx].first() == Some(&b'-');
        let ncmds = op.cmds.len();
        let cmd_lines: Vec<Vec<u8>> = op.lines.iter().skip(hdr).take(ncmds).cloned().collect();
        let mut socket_error = cmd_lines.len() < ncmds;
        let mut target_err: Option<Vec<u8>> = None;
        let mut deleted: Vec<Vec<u8>> = Vec::new();
        let mut moved = 0;
        for (j, key) in op.sent.iter().enumerate() {
            let Some(line) = op.lines.get(hdr + ncmds + j) else {
                socket_error = true;
                break;
            };
            if auth_err || select_err || line.first() == Some(&b'-') {
                if target_err.is_none() {
                    let src = if auth_err {
                        &op.lines[0]
                    } else if select_err {
                        &op.lines[select_idx]
                    } else {
                        line
                    };
                    target_err = Some(src[1..].to_vec());
                }
            } else {
                moved += 1;
                if !op.req.copy {
                    deleted.push(key.clone());
                }
            }
        }
        if !deleted.is_empty() {
            self.migrate_delete(now, op.db, &deleted);
        }
        if socket_error {
            self.migrate_drop_socket(&op.name);
        }
        if let Some(s) = self.migrate.sockets.get_mut(&op.name) {
            s.last_dbid = if target_err.is_none() && !socket_error && !select_err {
                Some(op.req.dbid)
            } else {
                None
            };
        }
        let result = match target_err {
            Some(text) => Err(ErrorReply::msg(format!(
                "ERR Target instance replied with error: {}",
                String::from_utf8_lossy(&text)
            ))),
            None if socket_error => Err(ErrorReply::msg(IOERR_READ)),
            None => Ok(&b"OK"[..]),
        };
        let outcome = Outcome {
            cmd_lines,
            moved,
            result,
        };
        self.migrate_reply(now, op, outcome);
    }

    /// Delete the migrated keys as one `DEL k…` through the keyspace, so WATCH, keyspace
    /// bookkeeping and propagation see what Redis propagates (`DEL` of the acknowledged keys).
    fn migrate_delete(&mut self, now: Now, db: usize, keys: &[Vec<u8>]) {
        let Some(del) = self.table.find(b"del") else {
            for k in keys {
                self.dbs[db].remove(k);
            }
            return;
        };
        let any: std::net::SocketAddr = ([0, 0, 0, 0], 0).into();
        let addr = ClientAddr {
            peer: any,
            local: any,
            fd: -1,
        };
        let mut internal = Client::new(ConnId(u64::MAX), 0, addr, now.mono, true);
        internal.db = db;
        let mut args: Vec<&[u8]> = Vec::with_capacity(keys.len() + 1);
        args.push(b"DEL");
        args.extend(keys.iter().map(|k| k.as_slice()));
        self.run_keyspace(now, &mut internal, del, &args, false);
        self.serve_ready_keys(now);
    }

    /// Hand the outcome to the op's owner: answer the waiting client (if still connected) and
    /// let it read on, or tell the slot job.
    fn migrate_reply(&mut self, now: Now, op: Op, outcome: Outcome) {
        let conn = match op.owner {
            Owner::Client(conn) => conn,
            Owner::Job => return self.migrate_job_done(now, outcome),
        };
        let Some(mut sess) = self.sessions.remove(&conn) else {
            return;
        };
        if sess.client.blocked && !sess.closing {
            sess.client.blocked = false;
            let start = sess.client.out.len();
            match outcome.result {
                Ok(s) => sess.client.reply().simple(s),
                Err(e) => sess.client.reply().error(&e),
            }
            self.after_reply(&mut sess.client, start);
            self.consume(now, &mut sess, &[]);
        }
        self.sessions.insert(conn, sess);
    }

    /// After an op ends: every client whose input waited runs it now (unless another MIGRATE
    /// started meanwhile; then they wait for that one).
    pub(crate) fn migrate_resume_if_idle(&mut self, now: Now) {
        if self.migrate.busy() {
            return;
        }
        self.rerun_waiting_input(now);
        // Then the slot job's next step (clients got their turn first).
        self.migrate_job_step(now);
    }
}

/// One RESP multibulk request.
fn write_command(buf: &mut Vec<u8>, args: &[&[u8]]) {
    buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::write_command;

    #[test]
    fn multibulk() {
        let mut b = Vec::new();
        write_command(&mut b, &[b"SELECT", b"0"]);
        assert_eq!(b, b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n");
    }
}
