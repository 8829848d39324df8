//! The mio event loop: accept, read, hand bytes to the node, write its replies, run its timers.
//!
//! System calls per request are kept at Redis's count. mio is edge-triggered, so:
//! - one `read` per readable event into a 16 KB buffer (`PROTO_IOBUF_LEN`); only a read that
//!   filled the buffer may have left data behind, and then the connection is queued to be read
//!   again on the next iteration (after the others: the fairness of Redis's level-triggered
//!   loop) instead of reading until `EAGAIN`;
//! - replies are queued while events are processed and written afterwards, one `writev` per
//!   connection per iteration (Redis's `beforeSleep` → `handleClientsWithPendingWrites`);
//!   WRITABLE interest is registered only while a write is left partial.
//!
//! The cluster bus (listeners, links, durable writes) is in [`bus`].

mod bus;
mod files_stream;
mod outbound;
mod persist;
mod write_retry;

pub use bus::ConfigLock;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::time::Duration;

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};

use bytes::Bytes;
use hashslot_node::{ClientAddr, LogLevel, Output, PersistToken, ProcessStats};
use hashslot_types::{ConnId, Instant, Now};
use outbound::Kind;

use crate::conn::{Conn, Flushed};
use crate::driven::{Clock, Driven, IdHasher};
use crate::log::Logger;
use crate::{files, sys};

/// Redis's `PROTO_IOBUF_LEN`: the most one `read` takes.
const READ_BUF: usize = 16 * 1024;
/// The loop wakes at least this often (Redis's `hz 10` cron), to see signals and sample stats.
const MAX_SLEEP: Duration = Duration::from_millis(100);
/// How often resource usage is sampled for INFO.
const STATS_EVERY: Duration = Duration::from_secs(1);
/// Connections accepted per listener event before others get a turn (Redis `MAX_ACCEPTS_PER_CALL`).
const MAX_ACCEPTS: usize = 1000;

/// Why the loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The node asked for it: `SHUTDOWN`, or SIGTERM/SIGINT passed on to the node.
    Shutdown,
    /// The node hit a fatal error (`Output::Exit`): exit at once with this status.
    Exit(i32),
}

/// The event loop and everything it owns. Connection tokens are their ids; bus link tokens
/// start at `bus::BUS_TOKEN_BASE`; listener tokens count down from `usize::MAX`.
#[derive(Debug)]
pub struct EventLoop<N> {
    node: N,
    clock: Clock,
    logger: Logger,
    poll: Poll,
    listeners: Vec<TcpListener>,
    /// Per listener: a cluster-bus listener (else a client one).
    listener_is_bus: Vec<bool>,
    conns: HashMap<u64, Conn, BuildHasherDefault<IdHasher>>,
    next_conn: u64,
    buf: Box<[u8]>,
    /// Sources to service again next iteration without waiting for an event, with whether the
    /// peer already shut its side down (that edge will not come again: keep reading to EOF).
    again: Vec<(Token, bool)>,
    /// Connections with queued output or a pending close.
    dirty: Vec<u64>,
    shutdown: bool,
    /// `Output::Exit`'s status, once the node asked for it.
    exit: Option<i32>,
    next_stats: Instant,
    /// When to retry accepting after an accept error.
    accept_retry_at: Option<Instant>,
    page_size: u64,
    /// Cluster-bus links by driver sequence number (their token is `BUS_TOKEN_BASE + seq`).
    bus: HashMap<u64, bus::BusLink, BuildHasherDefault<IdHasher>>,
    /// Link id (`LinkId.0`) to sequence number, for the node's outputs.
    bus_ids: HashMap<u64, u64, BuildHasherDefault<IdHasher>>,
    next_link: u64,
    /// Links with queued bytes.
    bus_dirty: Vec<u64>,
    /// The writer of the node's streamed files (RDB, AOF), started on first use.
    files: Option<files_stream::FileWriter>,
    /// The one waker of the poll (shared by the writer threads).
    waker: Option<std::sync::Arc<mio::Waker>>,
    /// `Output::Persist` writes asked for this iteration, for the writer.
    persists: Vec<(PersistToken, String, Bytes, bool)>,
    /// The writer thread, started with the first write.
    writer: Option<persist::Writer>,
    /// The writer could not be started: write in the loop instead.
    writer_failed: bool,
    /// The cluster config file's lock, until the writer takes it.
    config_lock: Option<ConfigLock>,
    /// The working directory, read at start and after each CONFIG SET dir (empty if it could
    /// not be read). File paths in the node's outputs are relative to the directory in force
    /// when they were emitted, but the writer threads may perform them later: they are made
    /// absolute here, at once, so a later `chdir` cannot move them (a save already under way
    /// finishes in the old directory, as Redis's forked child does).
    cwd: std::path::PathBuf,
    /// MIGRATE's outbound connections (see `outbound`).
    migrate: outbound::Outbound,
    /// The replica's connection to its master (see `outbound`).
    repl: outbound::Outbound,
}

/// The writer thread wakes the loop with this token when writes complete.
const WAKER_TOKEN: Token = Token(bus::BUS_TOKEN_BASE - 1);

fn listener_token(i: usize) -> Token {
    Token(usize::MAX - i)
}

impl<N: Driven> EventLoop<N> {
    /// A loop over already-bound `listeners`.
    pub fn new(
        node: N,
        clock: Clock,
        logger: Logger,
        listeners: Vec<std::net::TcpListener>,
    ) -> io::Result<Self> {
        let poll = Poll::new()?;
        let mut mio_listeners = Vec::with_capacity(listeners.len());
        for (i, l) in listeners.into_iter().enumerate() {
            let mut l = TcpListener::from_std(l);
            poll.registry()
                .register(&mut l, listener_token(i), Interest::READABLE)?;
            mio_listeners.push(l);
        }
        Ok(EventLoop {
            node,
            clock,
            logger,
            poll,
            listener_is_bus: vec![false; mio_listeners.len()],
            listeners: mio_listeners,
            conns: HashMap::default(),
            next_conn: 1,
            buf: vec![0; READ_BUF].into_boxed_slice(),
            again: Vec::new(),
            dirty: Vec::new(),
            shutdown: false,
            exit: None,
            accept_retry_at: None,
            next_stats: clock.now().mono,
            page_size: sys::page_size(),
            bus: HashMap::default(),
            bus_ids: HashMap::default(),
            next_link: 1,
            bus_dirty: Vec::new(),
            files: None,
            waker: None,
            persists: Vec::new(),
            writer: None,
            writer_failed: false,
            config_lock: None,
            cwd: std::env::current_dir().unwrap_or_default(),
            migrate: Default::default(),
            repl: Default::default(),
        })
    }

    /// The node being driven.
    pub fn node(&self) -> &N {
        &self.node
    }

    /// The node, once the loop is done with it.
    #[cfg(test)]
    pub fn into_node(self) -> N {
        self.node
    }

    /// Run until shutdown is requested; then write what is queued, as far as sockets take it.
    pub fn run(&mut self) -> io::Result<Stop> {
        let mut events = Events::with_capacity(1024);
        let mut ready: Vec<(Token, bool, bool, bool)> = Vec::with_capacity(1024);
        // Outputs produced at construction (startup logs) come first.
        self.drain();
        let stop = loop {
            if let Some(sig) = sys::take_shutdown_signal() {
                // A signal takes SHUTDOWN's path through the node (Ref: server.c
                // sigShutdownHandler → prepareForShutdown), which ends in Output::Shutdown.
                self.log(
                    LogLevel::Warning,
                    &format!("Received {sig} scheduling shutdown..."),
                );
                let now = self.clock.now();
                self.node.handle_shutdown_signal(now);
                self.drain();
                if let Some(status) = self.exit {
                    break Stop::Exit(status);
                }
                if self.shutdown {
                    break Stop::Shutdown;
                }
            }
            let now = self.clock.now();
            let timeout = if self.again.is_empty() {
                self.sleep_for(now)
            } else {
                Duration::ZERO
            };
            match self.poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            let now = self.clock.now();
            ready.clear();
            ready.extend(self.again.drain(..).map(|(t, hup)| (t, true, false, hup)));
            ready.extend(events.iter().map(|e| {
                let readable = e.is_readable() || e.is_read_closed() || e.is_error();
                (e.token(), readable, e.is_writable(), e.is_read_closed())
            }));
            for &(token, readable, writable, peer_closed) in &ready {
                if token.0 > usize::MAX - self.listeners.len() {
                    let index = usize::MAX - token.0;
                    if self.listener_is_bus[index] {
                        self.bus_accept(now, index);
                    } else {
                        self.accept(now, index);
                    }
                    continue;
                }
                if token == WAKER_TOKEN {
                    continue; // Completions are taken before sleeping.
                }
                if token.0 >= bus::BUS_TOKEN_BASE {
                    let seq = (token.0 - bus::BUS_TOKEN_BASE) as u64;
                    self.bus_event(now, seq, readable, writable, peer_closed);
                    continue;
                }
                if let Some(kind) = [Kind::Migrate, Kind::Repl]
                    .into_iter()
                    .find(|k| token.0 >= k.token_base())
                {
                    let seq = (token.0 - kind.token_base()) as u64;
                    self.out_event(kind, now, seq, readable, writable, peer_closed);
                    continue;
                }
                let id = token.0 as u64;
                if writable {
                    self.write_ready(now, id);
                }
                if readable {
                    self.read(now, id, peer_closed);
                }
            }
            self.timers(now);
            if self.exit.is_none() {
                self.before_sleep(now);
            }
            if let Some(status) = self.exit {
                break Stop::Exit(status);
            }
            if self.shutdown {
                break Stop::Shutdown;
            }
        };
        if let Stop::Exit(_) = stop {
            // Redis's exit(1): nothing more is written or flushed.
            return Ok(stop);
        }
        // Durable writes asked for are done before exit; then best effort: one write attempt
        // per connection and link, as a final flush.
        self.finish_persists();
        self.finish_files();
        for conn in self.conns.values_mut() {
            let _ = conn.flush();
        }
        for l in self.bus.values_mut() {
            if !l.connecting {
                let _ = l.conn.flush();
            }
        }
        Ok(stop)
    }

    /// Redis's `beforeSleep`: durable writes, then write what clients and links got. Each step
    /// can produce work for the others, so repeat until quiet.
    fn before_sleep(&mut self, now: Now) {
        loop {
            self.submit_persists();
            self.take_persist_done();
            self.take_files_done();
            self.flush_dirty(now);
            self.flush_bus_dirty(now);
            self.flush_out_dirty(Kind::Migrate, now);
            self.flush_out_dirty(Kind::Repl, now);
            if self.persists.is_empty()
                && self.dirty.is_empty()
                && self.bus_dirty.is_empty()
                && self.migrate.dirty.is_empty()
                && self.repl.dirty.is_empty()
            {
                break;
            }
        }
    }

    /// Hand this iteration's `Persist` writes to the writer thread (started on first use).
    fn submit_persists(&mut self) {
        if self.persists.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.persists);
        if self.writer.is_none() && !self.writer_failed {
            let started = self
                .shared_waker()
                .map_err(|e| (e, self.config_lock.take()))
                .and_then(|w| persist::Writer::start(self.config_lock.take(), w));
            match started {
                Ok(w) => self.writer = Some(w),
                Err((e, lock)) => {
                    self.config_lock = lock;
                    self.writer_failed = true;
                    let msg = format!("Can't start the writer thread, writing in the loop: {e}");
                    self.log(LogLevel::Warning, &msg);
                }
            }
        }
        let (done, _replaced) = match &mut self.writer {
            Some(w) => (w.submit(batch), Vec::new()),
            None => persist::write_batch(&batch, &mut self.config_lock),
        };
        // Completed here (in the loop): the node hears of it before the loop sleeps.
        for done in done {
            self.persist_done(done);
        }
    }

    /// The poll's waker, created once (mio allows one per poll).
    fn shared_waker(&mut self) -> io::Result<std::sync::Arc<mio::Waker>> {
        if self.waker.is_none() {
            let w = mio::Waker::new(self.poll.registry(), WAKER_TOKEN)?;
            self.waker = Some(std::sync::Arc::new(w));
        }
        Ok(self.waker.clone().expect("just set"))
    }

    /// Hand a streamed-file step to the files writer (started on first use).
    fn file_op(&mut self, out: Output) {
        let Ok(op) = files_stream::Op::from_output(out) else {
            return;
        };
        if self.files.is_none() {
            match self
                .shared_waker()
                .and_then(files_stream::FileWriter::start)
            {
                Ok(w) => self.files = Some(w),
                Err(e) => {
                    let msg = format!("Can't start the files writer thread: {e}");
                    self.log(LogLevel::Warning, &msg);
                    return;
                }
            }
        }
        if let Some(w) = &self.files {
            w.submit(op);
        }
    }

    /// Complete the file steps the files writer finished.
    fn take_files_done(&mut self) {
        while let Some(d) = self
            .files
            .as_ref()
            .and_then(files_stream::FileWriter::try_done)
        {
            let now = self.clock.now();
            self.node.handle_persist_done(now, d.token, d.result);
            self.drain();
        }
    }

    /// At exit: perform every file step asked for, then complete them.
    fn finish_files(&mut self) {
        if let Some(mut w) = self.files.take() {
            for d in w.finish() {
                let now = self.clock.now();
                self.node.handle_persist_done(now, d.token, d.result);
            }
        }
    }

    /// Complete the writes the writer finished.
    fn take_persist_done(&mut self) {
        while let Some(done) = self.writer.as_mut().and_then(persist::Writer::try_done) {
            self.persist_done(done);
        }
    }

    /// At exit: let the writer finish what was asked, complete it, and write in the loop
    /// whatever those completions still ask for.
    fn finish_persists(&mut self) {
        self.submit_persists();
        if let Some(mut w) = self.writer.take() {
            let finished = w.finish();
            // The lock guards the file until exit, also for the writes done below.
            self.config_lock = w.take_lock();
            for done in finished {
                self.persist_done(done);
            }
        }
        while !self.persists.is_empty() {
            let batch = std::mem::take(&mut self.persists);
            let (done, _replaced) = persist::write_batch(&batch, &mut self.config_lock);
            for done in done {
                self.persist_done(done);
            }
        }
    }

    fn persist_done(&mut self, done: persist::Done) {
        let now = self.clock.now();
        if let Some((path, len, took)) = &done.saved {
            let ms = took.as_secs_f64() * 1000.0;
            match &done.result {
                Ok(()) => self.log(
                    LogLevel::Debug,
                    &format!("Saved {path} ({len} bytes) in {ms:.3} ms"),
                ),
                Err(e) => self.log(LogLevel::Warning, &format!("Could not save {path}: {e}")),
            }
        }
        self.node.handle_persist_done(now, done.token, done.result);
        self.drain();
    }

    fn sleep_for(&self, now: Now) -> Duration {
        let mut sleep = MAX_SLEEP.min(self.next_stats.saturating_duration_since(now.mono));
        for deadline in self
            .node
            .poll_timeout()
            .into_iter()
            .chain(self.accept_retry_at)
        {
            sleep = sleep.min(deadline.saturating_duration_since(now.mono));
        }
        sleep
    }

    fn timers(&mut self, now: Now) {
        if self.accept_retry_at.is_some_and(|at| at <= now.mono) {
            self.accept_retry_at = None;
            self.again
                .extend((0..self.listeners.len()).map(|i| (listener_token(i), false)));
        }
        if self.node.poll_timeout().is_some_and(|d| d <= now.mono) {
            self.node.handle_timeout(now);
            self.drain();
        }
        if now.mono >= self.next_stats {
            self.next_stats = now.mono + STATS_EVERY;
            let stats = self.sample_stats();
            self.node.handle_process_stats(now, stats);
            self.drain();
        }
    }

    fn sample_stats(&self) -> ProcessStats {
        // statm's second field is resident pages (what Redis reads from /proc/self/stat).
        let rss_pages = std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|s| {
                s.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
            .unwrap_or(0);
        let (cpu_user, cpu_sys) = sys::cpu_times();
        ProcessStats {
            rss_bytes: rss_pages * self.page_size,
            cpu_user,
            cpu_sys,
        }
    }

    fn accept(&mut self, now: Now, index: usize) {
        for _ in 0..MAX_ACCEPTS {
            let (stream, peer) = match self.listeners[index].accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // E.g. EMFILE. The pending connections will bring no new edge, so try again
                    // at the next tick rather than at once (which would spin).
                    let msg = format!("Accepting client connection: {}", sys::strerror(&e));
                    self.log(LogLevel::Warning, &msg);
                    self.accept_retry_at = Some(now.mono + MAX_SLEEP);
                    return;
                }
            };
            // Redis sets TCP_NODELAY and keepalive on every client socket.
            let _ = stream.set_nodelay(true);
            let keepalive = self.node.tcp_keepalive();
            if keepalive > 0 {
                let _ = sys::set_keepalive(stream.as_raw_fd(), keepalive);
            }
            let local = stream.local_addr().unwrap_or(peer);
            let fd = i64::from(stream.as_raw_fd());
            let id = self.next_conn;
            self.next_conn += 1;
            let mut conn = Conn::new(stream);
            if let Err(e) = self.poll.registry().register(
                &mut conn.stream,
                Token(id as usize),
                Interest::READABLE,
            ) {
                self.log(
                    LogLevel::Warning,
                    &format!("Error registering fd event for the new client: {e}"),
                );
                continue;
            }
            self.conns.insert(id, conn);
            self.node
                .handle_accept(now, ConnId(id), ClientAddr { peer, local, fd });
            self.drain();
        }
        // More may be waiting, and no new edge will say so.
        self.again.push((listener_token(index), false));
    }

    /// One read. `peer_closed`: the event said the peer shut its side down; the data read now may
    /// be the last, and no new edge will announce the end of the stream, so read once more (that
    /// read returns 0 and closes the connection, as Redis does on EOF).
    fn read(&mut self, now: Now, id: u64, peer_closed: bool) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.closing {
            return; // Redis ignores input from a client it will close after the reply.
        }
        match conn.stream.read(&mut self.buf) {
            Ok(0) => self.closed(now, id),
            Ok(n) => {
                if n == self.buf.len() || peer_closed {
                    self.again.push((Token(id as usize), peer_closed));
                }
                self.node.handle_read(now, ConnId(id), &self.buf[..n]);
                self.drain();
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                self.again.push((Token(id as usize), peer_closed))
            }
            Err(e) => {
                self.log(
                    LogLevel::Verbose,
                    &format!("Reading from client: {}", sys::strerror(&e)),
                );
                self.closed(now, id);
            }
        }
    }

    fn write_ready(&mut self, now: Now, id: u64) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if !conn.write_interest {
            return;
        }
        match conn.flush() {
            Ok(Flushed::All) => {
                conn.write_interest = false;
                // Closing after the last byte, or back to READABLE only (Redis removes its
                // write handler once the reply is out).
                let token = Token(id as usize);
                let keep = !conn.closing
                    && self
                        .poll
                        .registry()
                        .reregister(&mut conn.stream, token, Interest::READABLE)
                        .is_ok();
                if !keep {
                    self.closed(now, id);
                }
            }
            Ok(Flushed::Partial) => {}
            Err(e) => {
                self.log(
                    LogLevel::Verbose,
                    &format!("Error writing to client: {}", sys::strerror(&e)),
                );
                self.closed(now, id);
            }
        }
    }

    /// Write every connection that got output this iteration; close those that asked for it.
    fn flush_dirty(&mut self, now: Now) {
        // Closing a connection can produce output for others, so repeat until quiet.
        while !self.dirty.is_empty() {
            let dirty = std::mem::take(&mut self.dirty);
            for &id in &dirty {
                let Some(conn) = self.conns.get_mut(&id) else {
                    continue;
                };
                conn.dirty = false;
                if conn.write_interest {
                    continue; // Waiting for WRITABLE: writing now would only get EAGAIN.
                }
                let result = if conn.has_pending() {
                    conn.flush()
                } else {
                    Ok(Flushed::All)
                };
                match result {
                    Ok(Flushed::All) if conn.closing => self.closed(now, id),
                    Ok(Flushed::All) => {}
                    Ok(Flushed::Partial) => {
                        conn.write_interest = true;
                        let token = Token(id as usize);
                        let interest = Interest::READABLE | Interest::WRITABLE;
                        if self
                            .poll
                            .registry()
                            .reregister(&mut conn.stream, token, interest)
                            .is_err()
                        {
                            self.closed(now, id);
                        }
                    }
                    Err(e) => {
                        self.log(
                            LogLevel::Verbose,
                            &format!("Error writing to client: {}", sys::strerror(&e)),
                        );
                        self.closed(now, id);
                    }
                }
            }
            if self.dirty.is_empty() {
                self.dirty = dirty; // keep the allocation
                self.dirty.clear();
            }
        }
    }

    /// The connection is gone (peer closed, error, or closed after `Output::Close`).
    fn closed(&mut self, now: Now, id: u64) {
        if let Some(mut conn) = self.conns.remove(&id) {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            drop(conn);
            self.node.handle_closed(now, ConnId(id));
            self.drain();
        }
    }

    /// Take every output of the node: queue sends and closes, log, note shutdown.
    fn drain(&mut self) {
        while let Some(out) = self.node.poll_output() {
            match out {
                Output::Send { conn, data } => {
                    if let Some(c) = self.conns.get_mut(&conn.0) {
                        c.push(data);
                        if !c.dirty {
                            c.dirty = true;
                            self.dirty.push(conn.0);
                        }
                    }
                }
                Output::Close { conn } => {
                    if let Some(c) = self.conns.get_mut(&conn.0) {
                        c.closing = true;
                        if !c.dirty {
                            c.dirty = true;
                            self.dirty.push(conn.0);
                        }
                    }
                }
                Output::Shutdown => self.shutdown = true,
                Output::Exit { status } => {
                    self.exit = Some(status);
                    self.shutdown = true;
                }
                Output::RewriteConfig { conn, path } => {
                    // A few small blocking file operations, as in Redis (CONFIG REWRITE runs
                    // in the main thread there too). The node queues the client's later
                    // requests until it hears back.
                    let now = self.clock.now();
                    self.node.rewrite_config(now, conn, &path);
                }
                Output::LoadAclFile { conn, path } => {
                    // Blocking, in the loop, as Redis's ACL LOAD reads inside the command.
                    let now = self.clock.now();
                    self.node.load_acl_file(now, conn, &path);
                }
                Output::LoadRdbFile { conn, path } => {
                    // Blocking, in the loop, as Redis's DEBUG RELOAD loads inside the command.
                    let now = self.clock.now();
                    self.node.load_rdb_file(now, conn, &path);
                }
                Output::SaveAclFile { conn, path, data } => {
                    let now = self.clock.now();
                    self.node.save_acl_file(now, conn, &path, &data);
                }
                Output::ChangeDir { conn, path } => {
                    // One chdir in the loop, as in Redis's CONFIG SET. Paths already handed to
                    // the writers are absolute (see `cwd`), so they stay where they were.
                    let now = self.clock.now();
                    if let Some(dir) = self.node.change_dir(now, conn, &path) {
                        self.cwd = dir.into();
                    }
                }
                Output::Log { level, message } => self.log(level, &message),
                Output::BusConnect { link, addr } => self.bus_connect(link, addr),
                Output::BusSend { link, data } => self.bus_send(link, data),
                Output::BusClose { link } => self.bus_close(link),
                Output::MigrateConnect { id, host, port, .. } => {
                    self.out_connect(Kind::Migrate, id.0, &host, port)
                }
                Output::MigrateSend { id, data } => self.out_send(Kind::Migrate, id.0, data),
                Output::MigrateClose { id } => self.out_close(Kind::Migrate, id.0),
                Output::ReplConnect { link, host, port } => {
                    self.out_connect(Kind::Repl, link, &host, port)
                }
                Output::ReplSend { link, data } => self.out_send(Kind::Repl, link, data),
                Output::ReplClose { link } => self.out_close(Kind::Repl, link),
                Output::Persist {
                    token,
                    path,
                    data,
                    sync,
                } => {
                    let path = files::resolve(&self.cwd, &path);
                    self.persists.push((token, path, data, sync));
                }
                Output::FileOpen { file, path, append } => {
                    let path = files::resolve(&self.cwd, &path);
                    self.file_op(Output::FileOpen { file, path, append })
                }
                Output::FileCommit {
                    file,
                    token,
                    final_path,
                } => {
                    let final_path = files::resolve(&self.cwd, &final_path);
                    self.file_op(Output::FileCommit {
                        file,
                        token,
                        final_path,
                    })
                }
                Output::FileRemove { path } => {
                    let path = files::resolve(&self.cwd, &path);
                    self.file_op(Output::FileRemove { path })
                }
                out @ (Output::FileWrite { .. }
                | Output::FileSync { .. }
                | Output::FileClose { .. }) => self.file_op(out),
                _ => {}
            }
        }
    }

    fn log(&mut self, level: LogLevel, message: &str) {
        self.logger.level = self.node.log_level();
        self.logger.log(level, message);
    }
}
