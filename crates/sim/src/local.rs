//! What happens at one node only: its timer, bytes arriving on its own connections, its disk,
//! and carrying out the outputs that stay on its machine (files, probes, config callbacks).
//!
//! Everything here touches one [`Host`] and nothing shared. Whatever would touch shared state
//! (links, the network's draws, the other nodes, the trace, the vote checker, the event
//! queue) is recorded as an [`Effect`] stamped with its virtual time, and the simulator
//! carries the effects out afterwards (`Sim::apply`), in the node's order. This is what lets
//! the simulator run many nodes' events of one time window on several threads (see the
//! `window` module): the result of a [`Local`] run depends only on the host and the events
//! it is given.
//!
//! A run of the events of one window may also schedule events for the node itself (its timer,
//! a disk step, a local close): those due before the window's end run here, in order; later
//! ones become [`Effect::Push`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bytes::Bytes;
use hashslot_node::{LogLevel, MigrateId, Output};
use hashslot_types::{ConnId, LinkId};

use crate::disk::DiskStep;
use crate::host::{Host, PROBE_CONN};
use crate::net::{End, Lid};
use crate::outbound::OutKind;
use crate::sim::{Ev, Time, MS};

/// An event at one node.
#[derive(Debug)]
pub(crate) enum NodeEv {
    /// The node's timer (stale unless `at` is still its deadline and `inc` its incarnation).
    Timer { inc: u32 },
    /// Bytes arrive on the node's end `end` of a link that is open on its side.
    Read { end: End, data: Bytes },
    /// A disk step completed (unless the machine crashed since).
    Disk { inc: u32, step: DiskStep },
    /// The node's `Output::Close` was carried out: tell it.
    ConnClosedLocal { inc: u32, conn: ConnId },
    /// A bus connect failed.
    ConnectFailed { inc: u32, link: LinkId },
    /// An outbound connection (replication, MIGRATE) failed to open.
    OutFailed { inc: u32, kind: OutKind, id: u64 },
}

impl NodeEv {
    /// The shared queue's form of this event of node `i`.
    pub fn into_ev(self, i: usize) -> Ev {
        match self {
            NodeEv::Timer { inc } => Ev::Timer { node: i, inc },
            NodeEv::Disk { inc, step } => Ev::Disk { node: i, inc, step },
            NodeEv::ConnClosedLocal { inc, conn } => Ev::ConnClosedLocal { node: i, inc, conn },
            NodeEv::ConnectFailed { inc, link } => Ev::ConnectFailed { node: i, inc, link },
            NodeEv::OutFailed { inc, kind, id } => Ev::OutFailed {
                node: i,
                inc,
                kind,
                id,
            },
            NodeEv::Read { .. } => unreachable!("reads are never scheduled by a node itself"),
        }
    }
}

/// Something a node's run does to shared state, carried out by `Sim::apply`.
#[derive(Debug)]
pub(crate) enum Effect {
    /// A trace line `n<i> <what>`.
    Trace(String),
    /// The trace line `n<i> rd <link> <len>` (bytes read on a bus link): the commonest line,
    /// formatted only where it is recorded, without a `String` per read.
    TraceRead { link: LinkId, len: usize },
    /// The trace line `n<i> tmo` (the node's timer fired).
    TraceTimer,
    /// An output that acts on links or the network, by the process of incarnation `inc`.
    Out { inc: u32, out: Output },
    /// Schedule an event on the shared queue.
    Push(Time, Ev),
    /// A nodes.conf write was issued (vote checker).
    VotesWrite(hashslot_node::PersistToken),
    /// A nodes.conf write completed (vote checker).
    VotesDurable(hashslot_node::PersistToken),
    /// A breach of the driver contract, or the process's end.
    Violation(String),
    /// The process died: close its connections, void its pending votes, note the crash.
    Crashed,
    /// An outbound connection failed: forget it.
    OutForget(OutKind, u64),
}

/// A connection as the node names it, closed by the node during this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    Bus(LinkId),
    Conn(ConnId),
    Out(OutKind, u64),
}

/// One queued event of a [`Local`] run, ordered by (time, sequence).
#[derive(Debug)]
pub(crate) struct LocalQ {
    pub at: Time,
    pub seq: u64,
    pub ev: NodeEv,
}

impl PartialEq for LocalQ {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for LocalQ {}
impl PartialOrd for LocalQ {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for LocalQ {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// Sequence numbers of events a node schedules for itself during a run: after every event
/// of the shared queue at the same instant, as they would be there.
const LOCAL_SEQ: u64 = 1 << 63;

/// One node's run: its host, the time, and the effects it leaves for the simulator.
pub(crate) struct Local<'a> {
    pub i: usize,
    pub host: &'a mut Host,
    pub now: Time,
    /// Events the node schedules for itself before this instant run here.
    end: Time,
    /// `Faults::disk_ms`.
    disk_ms: (u64, u64),
    /// The path prefix whose disk steps fail (`Sim::fail_disk`).
    disk_error: Option<&'a str>,
    pub effects: Vec<(Time, Effect)>,
    queue: BinaryHeap<Reverse<LocalQ>>,
    seq: u64,
    /// Connections the node closed during this run (their later bytes are not delivered).
    closed: Vec<Name>,
    /// The process died during this run.
    crashed: bool,
    /// Events run that the node scheduled for itself.
    pub extra_steps: u64,
}

impl<'a> Local<'a> {
    pub fn new(
        i: usize,
        host: &'a mut Host,
        now: Time,
        end: Time,
        disk_ms: (u64, u64),
        disk_error: Option<&'a str>,
    ) -> Local<'a> {
        Local {
            i,
            host,
            now,
            end,
            disk_ms,
            disk_error,
            effects: Vec::new(),
            queue: BinaryHeap::new(),
            seq: LOCAL_SEQ,
            closed: Vec::new(),
            crashed: false,
            extra_steps: 0,
        }
    }

    /// Run `events` (in (time, sequence) order, all before the window's end) and whatever
    /// the node schedules for itself before the end.
    pub fn run(&mut self, events: Vec<LocalQ>) {
        self.queue.extend(events.into_iter().map(Reverse));
        while let Some(Reverse(q)) = self.queue.pop() {
            if q.seq >= LOCAL_SEQ {
                self.extra_steps += 1;
            }
            self.now = self.now.max(q.at);
            self.handle(q.at, q.ev);
        }
    }

    /// Handle one event due at `at` (the current time).
    pub fn handle(&mut self, at: Time, ev: NodeEv) {
        match ev {
            NodeEv::Timer { inc } => self.fire_timer(inc, at),
            NodeEv::Read { end, data } => self.read(end, &data),
            NodeEv::Disk { inc, step } => self.disk_done(inc, step),
            NodeEv::ConnClosedLocal { inc, conn } => self.conn_closed_local(inc, conn),
            NodeEv::ConnectFailed { inc, link } => self.connect_failed(inc, link),
            NodeEv::OutFailed { inc, kind, id } => self.out_failed(inc, kind, id),
        }
    }

    fn effect(&mut self, e: Effect) {
        self.effects.push((self.now, e));
    }

    pub fn trace(&mut self, what: String) {
        self.effect(Effect::Trace(what));
    }

    /// Schedule `ev` for this node at `at` (never before now).
    pub fn push_self(&mut self, at: Time, ev: NodeEv) {
        let at = at.max(self.now);
        if at < self.end {
            self.seq += 1;
            self.queue.push(Reverse(LocalQ {
                at,
                seq: self.seq,
                ev,
            }));
        } else {
            let ev = ev.into_ev(self.i);
            self.effect(Effect::Push(at, ev));
        }
    }

    /// Drain the node's outputs, carrying out the local ones and recording the others, then
    /// re-arm its timer.
    pub fn drain(&mut self) {
        let i = self.i;
        loop {
            let Some(out) = self.host.node.as_mut().and_then(|n| n.poll_output()) else {
                break;
            };
            match out {
                Output::Send { conn, data } if conn.0 & PROBE_CONN != 0 => {
                    // Replies to a probe connection that was given up are dropped.
                    if self.host.probe_conn == Some(conn) {
                        self.host.probe_buf.extend_from_slice(&data);
                    }
                }
                Output::Close { conn } => {
                    self.closed.push(Name::Conn(conn));
                    let inc = self.host.inc;
                    self.effect(Effect::Out {
                        inc,
                        out: Output::Close { conn },
                    });
                    self.push_self(self.now, NodeEv::ConnClosedLocal { inc, conn });
                }
                out @ Output::BusClose { .. }
                | out @ Output::ReplClose { .. }
                | out @ Output::MigrateClose { .. } => {
                    self.closed.push(match &out {
                        Output::BusClose { link } => Name::Bus(*link),
                        Output::ReplClose { link } => Name::Out(OutKind::Repl, *link),
                        Output::MigrateClose { id } => Name::Out(OutKind::Migrate, id.0),
                        _ => unreachable!(),
                    });
                    let inc = self.host.inc;
                    self.effect(Effect::Out { inc, out });
                }
                Output::Persist {
                    token, path, data, ..
                } => {
                    if path == self.host.config.cluster_config_file {
                        self.effect(Effect::VotesWrite(token));
                    }
                    self.persist_file(token, path, data)
                }
                Output::FileOpen { file, path, append } => self.file_open(file, path, append),
                Output::FileWrite { file, data } => self.file_write(file, &data),
                Output::FileSync { file, token } => self.file_sync(file, token),
                Output::FileCommit {
                    file,
                    token,
                    final_path,
                } => self.file_commit(file, token, final_path),
                Output::FileClose { file, remove } => self.file_close(file, remove),
                Output::FileRemove { path } => self.file_remove(path),
                Output::Shutdown => {
                    self.effect(Effect::Violation(format!("n{i} shut down")));
                    self.crash();
                    return;
                }
                Output::Exit { status } => {
                    // A fatal error: the process is gone at once, as after a crash.
                    self.effect(Effect::Violation(format!(
                        "n{i} exited with status {status}"
                    )));
                    self.crash();
                    return;
                }
                Output::RewriteConfig { conn, .. } => {
                    let now = self.host.now(self.now);
                    if let Some(n) = self.host.node.as_mut() {
                        n.handle_config_rewritten(now, conn, Err("no config file".into()));
                    }
                }
                Output::ChangeDir { conn, path } => {
                    // The simulated disk is one flat working directory per host (files keyed
                    // by their path in it) with no other directory: changing into the working
                    // directory itself succeeds and moves nothing; any other directory does
                    // not exist, and is refused as a real driver's chdir would refuse it.
                    let now = self.host.now(self.now);
                    if let Some(n) = self.host.node.as_mut() {
                        let result = match path.as_str() {
                            "." | "./" => Ok(n.config().get("dir").unwrap_or_default()),
                            _ => Err("No such file or directory".to_owned()),
                        };
                        n.handle_dir_changed(now, conn, result);
                    }
                }
                Output::Log { level, message } if level < LogLevel::Notice => {
                    // Below notice the trace keeps nothing: only the vote checker may care.
                    if message.starts_with("Failover auth granted") {
                        let inc = self.host.inc;
                        let out = Output::Log { level, message };
                        self.effect(Effect::Out { inc, out });
                    }
                }
                out => {
                    let inc = self.host.inc;
                    self.effect(Effect::Out { inc, out });
                }
            }
        }
        self.arm_timer();
    }

    fn arm_timer(&mut self) {
        let h = &self.host;
        let Some(node) = h.node.as_ref() else {
            return;
        };
        let Some(deadline) = node.poll_timeout() else {
            return;
        };
        // Never earlier than now, and never twice at one instant (a deadline left in the past).
        let mut at = deadline
            .as_nanos()
            .saturating_sub(h.mono_origin)
            .max(self.now);
        if h.timer_at == Some(at) {
            return;
        }
        if at == self.now && h.last_fired == Some(self.now) {
            at += MS;
            if h.timer_at == Some(at) {
                return;
            }
        }
        let inc = h.inc;
        self.host.timer_at = Some(at);
        self.push_self(at, NodeEv::Timer { inc });
    }

    fn fire_timer(&mut self, inc: u32, at: Time) {
        let h = &mut self.host;
        if h.inc != inc || h.timer_at != Some(at) {
            return;
        }
        h.timer_at = None;
        h.last_fired = Some(at);
        let now = h.now(self.now);
        self.effect(Effect::TraceTimer);
        if let Some(n) = self.host.node.as_mut() {
            n.handle_timeout(now);
        }
        self.drain();
    }

    /// The process dies (kill -9): the host's part of a crash; the rest is
    /// [`Effect::Crashed`].
    pub fn crash(&mut self) {
        if self.host.node.take().is_none() {
            return;
        }
        self.crashed = true;
        let h = &mut self.host;
        h.inc += 1;
        h.timer_at = None;
        self.disk_crash();
        self.effect(Effect::Crashed);
    }

    /// Bytes arrive on the node's end `end` (open on its side when the run started).
    pub fn read(&mut self, end: End, data: &[u8]) {
        let name = match end {
            End::Bus { link, .. } => Name::Bus(link),
            End::Conn { conn, .. } => Name::Conn(conn),
            End::Out { kind, id, .. } => Name::Out(kind, id),
            End::Admin { .. } | End::Client { .. } => unreachable!("not a node's end"),
        };
        if self.crashed || self.closed.contains(&name) {
            return;
        }
        let now = self.host.now(self.now);
        match end {
            End::Bus { link, .. } => {
                self.effect(Effect::TraceRead {
                    link,
                    len: data.len(),
                });
                if let Some(n) = self.host.node.as_mut() {
                    n.handle_bus_read(now, link, data);
                }
            }
            End::Conn { conn, .. } => {
                self.trace(format!("crd C{} {}", conn.0, data.len()));
                if let Some(n) = self.host.node.as_mut() {
                    n.handle_read(now, conn, data);
                }
            }
            End::Out { kind, id, .. } => {
                self.trace(format!("ord {}{id} {}", kind.tag(), data.len()));
                if let Some(n) = self.host.node.as_mut() {
                    match kind {
                        OutKind::Repl => n.handle_repl_read(now, id, data),
                        OutKind::Migrate => n.handle_migrate_read(now, MigrateId(id), data),
                    }
                }
            }
            End::Admin { .. } | End::Client { .. } => {}
        }
        self.drain();
    }

    fn conn_closed_local(&mut self, inc: u32, conn: ConnId) {
        if self.host.inc != inc {
            return;
        }
        let now = self.host.now(self.now);
        if let Some(n) = self.host.node.as_mut() {
            n.handle_closed(now, conn);
        }
        self.drain();
    }

    fn connect_failed(&mut self, inc: u32, link: LinkId) {
        if self.host.inc != inc {
            return;
        }
        let now = self.host.now(self.now);
        self.trace(format!("cfail {}", Lid(link)));
        if let Some(n) = self.host.node.as_mut() {
            n.handle_bus_closed(now, link);
        }
        self.drain();
    }

    fn out_failed(&mut self, inc: u32, kind: OutKind, id: u64) {
        if self.host.inc != inc {
            return;
        }
        self.out_lost(kind, id);
    }

    /// An outbound connection failed or was closed by the peer: forget it, tell the node.
    pub fn out_lost(&mut self, kind: OutKind, id: u64) {
        self.effect(Effect::OutForget(kind, id));
        let now = self.host.now(self.now);
        self.trace(format!("ocls {}{id}", kind.tag()));
        if let Some(n) = self.host.node.as_mut() {
            match kind {
                OutKind::Repl => n.handle_repl_closed(now, id),
                OutKind::Migrate => n.handle_migrate_closed(now, MigrateId(id)),
            }
        }
        self.drain();
    }

    /// When a disk step issued now completes: after a drawn delay and after the one before.
    fn disk_slot(&mut self) -> Time {
        let delay = crate::faults::between(&mut self.host.rng, self.disk_ms) * MS;
        let h = &mut self.host;
        let at = (self.now + delay).max(h.disk_busy_until);
        h.disk_busy_until = at;
        at
    }

    pub(crate) fn disk_queue(&mut self, step: DiskStep) {
        let at = self.disk_slot();
        let inc = self.host.inc;
        self.push_self(at, NodeEv::Disk { inc, step });
    }

    pub(crate) fn disk_error(&self) -> Option<&str> {
        self.disk_error
    }
}
