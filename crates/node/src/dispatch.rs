//! Reading requests and running commands: pipelining, protocol errors, lookup, arity, auth,
//! the reply of each command, and the statistics Redis's `call()` keeps.

use std::mem;

use bytes::Bytes;
use hashslot_keyspace::{flags, Ctx};
use hashslot_resp::{ErrorReply, Proto, Reply, RequestParser};
use hashslot_types::{ConnId, Now};
use smallvec::SmallVec;

use crate::session::{Client, Session};
use crate::table::{Exec, Lookup};
use crate::{LogLevel, Node, Output};

/// At most this much buffer is reserved ahead of a large bulk's bytes, whatever length the
/// client announced: a client cannot make us allocate memory it has not sent.
const RESERVE_CAP: usize = 1 << 20;

/// Redis truncates command names and arguments quoted in errors to this many bytes.
const QUOTE_MAX: usize = 128;

impl Node {
    /// `handle_read`'s body. The session is taken out of the map while its requests run, so
    /// that commands can borrow the node mutably beside their own client.
    pub(crate) fn process_read(&mut self, now: Now, conn: ConnId, data: &[u8]) {
        let Some(mut sess) = self.sessions.remove(&conn) else {
            return;
        };
        if !sess.closing && !self.shutting_down {
            self.read_into(now, &mut sess, data);
        }
        self.sessions.insert(conn, sess);
        self.process_unblocked(now);
    }

    fn read_into(&mut self, now: Now, sess: &mut Session, data: &[u8]) {
        self.stats.total_reads_processed += 1;
        self.stats.total_net_input_bytes += data.len() as u64;
        sess.client.last_interaction = now.mono;
        self.consume(now, sess, data);
    }

    /// Run what `data` (after the buffered bytes) completes, unless the client waits.
    pub(crate) fn consume(&mut self, now: Now, sess: &mut Session, data: &[u8]) {
        let Session {
            client,
            parser,
            qbuf,
            ..
        } = sess;
        // A MIGRATE in flight holds every client's input, as Redis's blocking MIGRATE does.
        if client.is_waiting() || self.migrate.busy() {
            qbuf.extend_from_slice(data);
        } else if qbuf.is_empty() {
            // Common case: parse straight from the driver's slice, keep only the unparsed tail.
            let used = self.run_requests(now, client, parser, data);
            if !client.close_after_reply {
                qbuf.extend_from_slice(&data[used..]);
            }
        } else {
            qbuf.extend_from_slice(data);
            let buf = mem::take(qbuf);
            let used = self.run_requests(now, client, parser, &buf);
            *qbuf = buf;
            if client.close_after_reply {
                qbuf.clear();
            } else {
                qbuf.drain(..used);
            }
        }
        if qbuf.len() > self.config.client_query_buffer_limit as usize {
            // Ref: networking.c readQueryFromClient: closed without a reply, and logged.
            self.log(
                LogLevel::Warning,
                format!(
                    "Closing client that reached max query buffer length: id={}",
                    client.id
                ),
            );
            client.out.clear();
            client.close_after_reply = true;
            qbuf.clear();
        } else if let Some(wanted) = parser.wanted() {
            qbuf.reserve(wanted.min(RESERVE_CAP));
        }
        if qbuf.is_empty() && qbuf.capacity() > RESERVE_CAP {
            qbuf.shrink_to(0);
        }
        client.qbuf_len = qbuf.len();
        client.qbuf_cap = qbuf.capacity();
        self.flush(sess);
    }

    /// Run every complete request at the front of `buf`; returns the bytes consumed.
    fn run_requests(
        &mut self,
        now: Now,
        client: &mut Client,
        parser: &mut RequestParser,
        buf: &[u8],
    ) -> usize {
        let mut pos = 0;
        while pos < buf.len()
            && !client.close_after_reply
            && !client.is_waiting()
            && !self.migrate.busy()
            && !self.shutting_down
        {
            let rest = &buf[pos..];
            match parser.parse(rest) {
                Ok(Some(n)) => {
                    let held = {
                        let args: SmallVec<[&[u8]; 8]> = parser.args(rest).collect();
                        // A client pause (CLIENT PAUSE, a manual failover's) keeps the request
                        // in the query buffer until it ends (see `pause`).
                        let held = self.pause_holds_request(now, client, &args);
                        // Empty requests (`*0`, a blank inline line) are skipped, as Redis does.
                        if !held && !args.is_empty() {
                            self.execute(now, client, &args);
                        }
                        held
                    };
                    parser.reset();
                    if held {
                        break;
                    }
                    pos += n;
                    let limits = self.limits_for(client);
                    if *parser.limits() != limits {
                        parser.set_limits(limits);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    // Ref: networking.c setProtocolError: reply, then close after the reply.
                    let err = ErrorReply::Protocol(e);
                    let mut text = Vec::new();
                    err.write_text(&mut text);
                    self.stats.count_error(&text);
                    client.reply().error(&err);
                    client.close_after_reply = true;
                    parser.reset();
                    return buf.len();
                }
            }
        }
        pos
    }

    /// Send what the client's commands replied, and close if one asked to.
    pub(crate) fn flush(&mut self, sess: &mut Session) {
        let conn = sess.client.conn;
        if !sess.client.out.is_empty() {
            let hint = sess.client.out.len().min(RESERVE_CAP);
            let data = mem::replace(
                &mut sess.client.out,
                Vec::with_capacity(hint.min(16 * 1024)),
            );
            self.stats.total_net_output_bytes += data.len() as u64;
            self.stats.total_writes_processed += 1;
            // Behind the AOF fsync under `appendfsync always` (see persistence::aof).
            self.push_send(conn, Bytes::from(data));
        } else {
            self.aof_write_buffer();
        }
        if sess.client.close_after_reply && !sess.closing {
            sess.closing = true;
            sess.qbuf = Vec::new();
            self.push_held(Output::Close { conn });
        }
        if mem::take(&mut self.shutdown_pending) {
            self.outputs.push_back(Output::Shutdown);
        }
    }

    /// Run one request, as Redis 7.0's `processCommand`; then serve the clients parked on keys
    /// it wrote (Redis does so after each top-level command, so after EXEC as a whole).
    pub(crate) fn execute(&mut self, now: Now, client: &mut Client, args: &[&[u8]]) {
        let start = client.out.len();
        client.argv_mem = args.iter().map(|a| a.len()).sum();
        self.tracking_before_command(client);
        self.propagation_unit_begin(args);
        self.process_command(now, client, args);
        self.propagation_unit_end(now, client.conn);
        client.argv_mem = 0;
        apply_reply_mode(client, start);
        self.tracking_after_command(client, args);
        self.serve_ready_keys(now);
    }

    /// Bookkeeping for a reply written outside `execute` (a completion from the driver).
    pub(crate) fn after_reply(&mut self, client: &mut Client, start: usize) {
        self.count_reply_error(client, start);
        apply_reply_mode(client, start);
    }

    /// Count the reply written from `start` in errorstats if it is an error; returns whether.
    fn count_reply_error(&mut self, client: &Client, start: usize) -> bool {
        if client.out.get(start) != Some(&b'-') {
            return false;
        }
        let line = &client.out[start + 1..];
        let end = line.iter().position(|&b| b == b'\r').unwrap_or(line.len());
        self.stats.count_error(&line[..end]);
        true
    }

    /// Resolve, check, then queue (inside MULTI) or run. Ref: server.c processCommand.
    fn process_command(&mut self, now: Now, client: &mut Client, args: &[&[u8]]) {
        let idx = match self.table.lookup(args) {
            Lookup::Found(idx) => idx,
            Lookup::UnknownCommand => {
                return self.reject(client, None, &unknown_command(args));
            }
            Lookup::UnknownSubcommand(c) => {
                let err = unknown_subcommand(args[1], self.table.entries[c].name);
                return self.reject(client, None, &err);
            }
        };
        let entry = &self.table.entries[idx];
        let reject = if !self.table.arity_ok(idx, args.len()) {
            Some(ErrorReply::WrongArity(entry.name.to_owned()))
        } else if self.auth_required(client) && entry.flags & flags::NO_AUTH == 0 {
            Some(ErrorReply::NoAuth)
        } else if client.multi.is_some() && entry.flags & flags::NO_MULTI != 0 {
            Some(ErrorReply::msg(
                "ERR Command not allowed inside a transaction",
            ))
        } else if let Some(err) = self.acl_refusal(now, client, idx, args) {
            // Ref: processCommand: ACL permissions, before cluster redirection.
            Some(err)
        } else if client.subs.any()
            && client.proto == Proto::Resp2
            && !ALLOWED_SUBSCRIBED.contains(&entry.name)
        {
            Some(ErrorReply::msg(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
                 RESET are allowed in this context",
                entry.name
            )))
        } else {
            None
        };
        if let Some(err) = reject {
            return self.reject(client, Some(idx), &err);
        }
        // Ref: processCommand: cluster redirection (MOVED/ASK/CROSSSLOT/…), see `cluster::route`.
        if let Some(err) = self.cluster_route(client, idx, args) {
            return self.reject(client, Some(idx), &err);
        }
        // Ref: processCommand: writes are refused while the AOF cannot be written.
        if let Some(err) = self.aof_refuse_write(client, idx) {
            return self.reject(client, Some(idx), &err);
        }
        // Ref: processCommand: a read-only replica refuses writes from its normal clients.
        if let Some(err) = self.repl_refuse_write(idx) {
            return self.reject(client, Some(idx), &err);
        }
        if let Some(m) = client.multi.as_mut() {
            if !RUN_INSIDE_MULTI.contains(&entry.name) {
                let dirty = self.watches.is_dirty(client.conn);
                m.queue(idx, args, dirty);
                client.reply().simple(b"QUEUED");
                return;
            }
        }
        self.call(now, client, idx, args);
    }

    /// Refuse a command (Redis's `rejectCommand`): it flags an open transaction, and a refused
    /// EXEC aborts it with `-EXECABORT Transaction discarded because of: <error>`.
    pub(crate) fn reject(&mut self, client: &mut Client, idx: Option<usize>, err: &ErrorReply) {
        if let Some(m) = client.multi.as_mut() {
            m.flagged = true;
        }
        let start = client.out.len();
        let is_exec = idx.is_some_and(|i| self.table.entries[i].name == "exec");
        if let Some(i) = idx {
            self.cmd_stats[i].rejected_calls += 1;
        }
        if is_exec {
            self.discard_transaction(client);
            let text = err.to_string();
            let reason = text.strip_prefix("ERR ").unwrap_or(&text);
            let abort = format!("EXECABORT Transaction discarded because of: {reason}");
            client.reply().error(&ErrorReply::msg(abort));
        } else {
            client.reply().error(err);
        }
        self.count_reply_error(client, start);
    }

    /// Run table entry `idx` and keep its statistics (Redis's `call`). EXEC runs each queued
    /// command through here.
    pub(crate) fn call(&mut self, now: Now, client: &mut Client, idx: usize, args: &[&[u8]]) {
        // Ref: multi.c execCommand: each queued command is checked against the ACL again.
        if client.in_exec && self.acl_exec_refused(now, client, idx, args) {
            return;
        }
        let start = client.out.len();
        let entry = &self.table.entries[idx];
        if !client.in_exec {
            // Inside EXEC the client keeps showing `cmd=exec`, as in Redis.
            client.last_cmd = entry.name;
        }
        let (name, exec) = (entry.name, entry.exec);
        let (timer, was_sleeping) = (self.call_started(), self.sleep.is_some());
        // Ref: replicaofCommand, syncCommand: what a standalone FAILOVER round refuses. Here,
        // not before the call, so that a refusal counts as a failed call (as Redis's error
        // reply does) and a REPLICAOF queued in MULTI is refused at EXEC too.
        match (self.failover_refusal(now, client, name, args), exec) {
            (Some(err), _) => client.reply().error(&err),
            (None, Exec::Node(h)) => h(self, now, client, args),
            (None, Exec::Keyspace(_)) => {
                self.run_keyspace(now, client, idx, args, false);
            }
            // Unreachable with a sane table (a container needs a subcommand), but not a panic.
            (None, Exec::Container) => {
                client.reply().error(&unknown_subcommand(
                    args.get(1).copied().unwrap_or(b""),
                    name,
                ));
            }
        }
        let failed = self.count_reply_error(client, start);
        self.tracking_after_call(client, idx, args);
        self.feed_monitors(now, client, idx, args);
        self.stats.total_commands_processed += 1;
        self.cmd_stats[idx].calls += 1;
        if failed {
            self.cmd_stats[idx].failed_calls += 1;
        }
        self.after_call(now, client, idx, args, timer, was_sleeping);
        if self.table.entries[idx].name != "asking" {
            client.asking = false;
        }
    }

    /// Run keyspace command `idx`, then what follows a write: WATCH touches, keys made ready
    /// for parked clients, keys deleted by expiry. A command that asks to block parks the
    /// client, unless this is the retry of a parked command (`retrying`): the caller keeps it
    /// parked then.
    pub(crate) fn run_keyspace(
        &mut self,
        now: Now,
        client: &mut Client,
        idx: usize,
        args: &[&[u8]],
        retrying: bool,
    ) -> KsOutcome {
        let Exec::Keyspace(h) = self.table.entries[idx].exec else {
            unreachable!("run_keyspace on a node command");
        };
        let start = client.out.len();
        let serve_timer = retrying.then(|| self.call_started());
        if self.table.entries[idx].flags & flags::WRITE != 0 {
            self.before_write(now, client.db, idx, args);
            self.tracking_before_write(now, client.db, idx, args);
        }
        let pre = self.watched_before_flush(client.db, idx);
        let reply = Reply::new(&mut client.out, client.proto);
        let mut ctx = Ctx::new(
            &mut self.dbs,
            client.db,
            now,
            reply,
            &mut self.ks_rng,
            &mut self.ks_stats,
        );
        ctx.cluster_enabled = self.config.cluster_enabled;
        ctx.may_block = !client.in_exec;
        ctx.retrying_blocked = retrying;
        ctx.limits = self.encoding_limits;
        ctx.keep_expired = self.repl.pauses.keep_dataset(now, client.conn);
        crate::keyspace_ext::set_replica_expiry(&mut ctx, self.repl.is_replica(), client.conn);
        h(&mut ctx, args);
        let dirty = ctx.dirty;
        let block = ctx.block.take();
        drop(ctx);
        // Keyspace notifications the command recorded (see `pubsub::deliver_keyspace_events`).
        self.deliver_keyspace_events(Some(&mut *client), start);
        self.dirty += dirty;
        self.drain_expired(now);
        if dirty > 0 {
            self.after_write(now, client.db, idx, args, pre);
            // The one place a write that changed the dataset goes to the AOF and replicas.
            self.propagate(now, client.db, args, &client.out[start..]);
            self.repl_note_write(client.conn);
        }
        let mut outcome = KsOutcome {
            blocked: false,
            failed: client.out.get(start) == Some(&b'-'),
        };
        if let Some(b) = block {
            if retrying {
                outcome.blocked = true;
            } else if client.in_exec {
                // A handler that ignores `may_block`: answer as a timeout, never park in EXEC.
                client.out.truncate(start);
                crate::blocking::timeout_reply(args[0], &mut client.reply());
            } else {
                self.park_client(now, client, idx, args, b);
                outcome.blocked = true;
            }
        }
        if let (Some(t), false) = (serve_timer, outcome.blocked) {
            self.blocked_served(now, client, t);
        }
        outcome
    }

    /// Queue a log line for the driver.
    pub(crate) fn log(&mut self, level: LogLevel, message: String) {
        self.outputs.push_back(Output::Log { level, message });
    }
}

/// What running a keyspace command came to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KsOutcome {
    /// The client is (still) parked.
    pub blocked: bool,
    /// The reply is an error.
    pub failed: bool,
}

/// Commands a RESP2 client in pub/sub mode may run. Ref: server.c processCommand.
const ALLOWED_SUBSCRIBED: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// Commands that run at once inside MULTI instead of being queued.
const RUN_INSIDE_MULTI: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

/// Drop the reply written from `start` under CLIENT REPLY OFF/SKIP, and move SKIP along.
/// Ref: networking.c commandProcessed / prepareClientToWrite.
fn apply_reply_mode(client: &mut Client, start: usize) {
    let mode = &mut client.reply_mode;
    if mode.off || mode.skip {
        client.out.truncate(start);
    }
    mode.skip = mem::take(&mut mode.skip_next);
}

/// The bytes of `s` as C's `%.*s` prints them: up to `max` bytes, stopping at a NUL.
fn c_str(s: &[u8], max: usize) -> Vec<u8> {
    let s = &s[..s.len().min(max)];
    s.iter()
        .position(|&b| b == 0)
        .map_or(s, |n| &s[..n])
        .to_vec()
}

/// `ERR unknown command '…', with args beginning with: '…' ` as Redis 7.0 builds it: the name
/// and the quoted arguments are each cut at 128 bytes, and arguments are added only while the
/// quoted list is shorter than 128 bytes.
pub(crate) fn unknown_command(args: &[&[u8]]) -> ErrorReply {
    let name = c_str(args[0], QUOTE_MAX);
    let mut quoted = Vec::new();
    let mut len = 0;
    for a in &args[1..] {
        if len >= QUOTE_MAX {
            break;
        }
        let s = c_str(a, QUOTE_MAX - len);
        len += s.len() + 3;
        quoted.push(s);
    }
    ErrorReply::UnknownCommand { name, args: quoted }
}

/// `ERR unknown subcommand '<sub>'. Try <CONTAINER> HELP.`
pub(crate) fn unknown_subcommand(sub: &[u8], container: &str) -> ErrorReply {
    ErrorReply::UnknownSubcommand {
        sub: c_str(sub, QUOTE_MAX),
        cmd: container.to_ascii_uppercase(),
    }
}
