//! Running nodes on several threads, exactly deterministically: conservative time windows.
//!
//! Every way one node (or anything) affects another node goes through the network, and a
//! message sent at `t` arrives at `t + L` at the earliest, `L` being the least one-way latency
//! the fault settings can draw (`Faults::latency_us.0`, or `Faults::tcp_give_up_ms.0` if
//! less; resets, closes and connects take at least that too). So the events due in
//! `[t, t + L)` at different nodes cannot affect each other: each node runs its own events of
//! the window, in (time, sequence) order, with what it schedules for itself inside the window
//! (timer, disk steps, local closes), on its own host only ([`Local`]). What they do to shared
//! state comes back as effects, carried out after the window by one thread in a fixed order
//! (time, node, the node's own order), which is where the network draws its latencies: the
//! outcome depends on the seed only, never on the number of threads or on which thread ran
//! first.
//!
//! A window ends early at the first event that is not one node's own (a workload client's
//! turn, the nemesis, a connect being accepted, a link closing, bytes on a cut or held
//! path…): that event runs alone, as before, with the whole simulator at hand. The same
//! windows are used whatever the thread count, so one thread and eight give the same trace.
//!
//! The threads: [`SimConfig::threads`](crate::SimConfig::threads) (0: automatic, see
//! [`default_threads`]). Hosts move to a worker thread and back in boxes (no copying). A
//! window's nodes are claimed one at a time, biggest first, by whichever thread is free (event
//! costs vary too much for a split made beforehand), and the calling thread never waits for a
//! worker to wake: a late worker finds nothing left. A window of a single node runs on the
//! calling thread alone.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crate::host::Host;
use crate::local::{Effect, Local, LocalQ, NodeEv};
use crate::net::End;
use crate::sim::{Ev, Queued, Sim, Time};

/// A window with fewer events than this runs on the calling thread alone. Two: since the
/// calling thread never waits for a worker to wake (see [`Work`]), sharing even a two-node
/// window costs little; at 1,000 nodes 2 and 6 ran equally fast (72.4–72.7 s and 70.2–74.9 s
/// of wall time), 2 with less spread and a faster formation.
pub(crate) const MIN_EVENTS_TO_SHARE: usize = 2;
/// Windows shorter than this (a latency range starting at 0 or nearly) are not worth it: the
/// simulator runs one event at a time.
const MIN_LOOKAHEAD: Time = 1_000;

/// The thread count used when [`SimConfig::threads`](crate::SimConfig::threads) is 0:
/// `HASHSLOT_SIM_THREADS` when set (for tests and benchmarks); else two for clusters of at
/// least [`PARALLEL_MIN_NODES`] nodes when the machine has two cores or more; else one.
///
/// Measured on an idle 2-core machine at 1,000 nodes (`cargo run --release --example
/// sim_scale -- 500`): two threads ran 60 virtual seconds in 66 s of wall time, one in 84.5 s
/// (1.28x; windows there hold about 7 node events, so at most 1.67x was possible), for about
/// 1.28x the CPU time. With nodes claimed by whichever thread is free (instead of dealt out
/// by event count beforehand), two threads ran the same in 72.4–74.9 s where the older scheme
/// took 87.7–91.8 s, interleaved on one (slower) day. Small clusters' windows hold too few
/// events to pay for the handover, and the test suite runs many small simulations side by
/// side: they stay on one thread. The trace is the same whatever the count.
pub fn default_threads(nodes: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    std::env::var("HASHSLOT_SIM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(
            if nodes >= PARALLEL_MIN_NODES && cores >= 2 {
                2
            } else {
                1
            },
            |n| n.max(1),
        )
}

/// Clusters at least this big run on two threads by default (see [`default_threads`]).
pub const PARALLEL_MIN_NODES: usize = 500;

/// How the events ran so far: how much of the work the threads could share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowStats {
    /// Time windows run (events run alone, outside windows, not counted).
    pub windows: u64,
    /// Windows whose events were handed to more than one thread.
    pub shared: u64,
    /// Node events run in windows (with those the nodes scheduled for themselves).
    pub events: u64,
    /// The same, counting for each shared window only its busiest thread's events: with
    /// events of equal cost, `events / critical` bounds what the threads can speed up.
    pub critical: u64,
}

/// Where an event runs.
enum Class {
    /// At node `i` only.
    Node(usize),
    /// Nowhere: bytes for a side already closed or a dead direction.
    Void,
    /// It needs the whole simulator.
    Shared,
}

/// One node's share of a window.
struct Task {
    i: usize,
    /// Taken back by the calling thread after the run.
    host: Option<Box<Host>>,
    events: Vec<LocalQ>,
    /// `events.len()` before the run.
    events_run: u64,
    disk_error: Option<String>,
    effects: Vec<(Time, Effect)>,
    extra_steps: u64,
    /// The thread that ran it: 0 the calling thread, `k + 1` worker `k`.
    ran_by: usize,
}

/// A window's tasks, claimed one at a time, biggest first, by whichever thread is free: the
/// costs of node events differ too much (a timer that does nothing, a 12 KB gossip message)
/// for a split decided beforehand to keep both threads busy. Who runs a task changes
/// nothing but the time it takes: its effects are applied in a fixed order afterwards.
///
/// The calling thread claims tasks too and never waits for a worker to wake up: a worker
/// that comes late finds nothing left to claim. It only waits for the tasks a worker has
/// claimed to finish.
struct Work {
    tasks: Vec<Mutex<Task>>,
    /// The next task to claim.
    next: AtomicUsize,
    /// Tasks finished.
    done: AtomicUsize,
    /// Set when a task panicked on a worker (the calling thread then stops waiting).
    failed: AtomicBool,
    start: Time,
    end: Time,
    disk_ms: (u64, u64),
}

impl Work {
    /// Run unclaimed tasks until none is left, as thread `who`.
    fn help(&self, who: usize) {
        /// Marks the work failed if a task panics, so that the calling thread does not wait
        /// forever for it.
        struct Guard<'a>(&'a AtomicBool, bool);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                if !self.1 {
                    self.0.store(true, Ordering::Release);
                }
            }
        }
        loop {
            let k = self.next.fetch_add(1, Ordering::AcqRel);
            let Some(task) = self.tasks.get(k) else {
                return;
            };
            let mut g = Guard(&self.failed, false);
            let mut t = task.lock().unwrap_or_else(|e| e.into_inner());
            let events = std::mem::take(&mut t.events);
            let t = &mut *t;
            if let Some(host) = t.host.as_mut() {
                let mut local = Local::new(
                    t.i,
                    host,
                    self.start,
                    self.end,
                    self.disk_ms,
                    t.disk_error.as_deref(),
                );
                local.run(events);
                t.extra_steps = local.extra_steps;
                t.effects = std::mem::take(&mut local.effects);
                t.ran_by = who;
            }
            g.1 = true;
            self.done.fetch_add(1, Ordering::Release);
        }
    }

    /// Wait until every task has run (claimed ones may still be running on a worker).
    fn wait(&self) {
        let mut spins = 0u32;
        while self.done.load(Ordering::Acquire) < self.tasks.len() {
            assert!(
                !self.failed.load(Ordering::Acquire),
                "a simulator worker thread panicked"
            );
            spins += 1;
            if spins < SPINS {
                std::hint::spin_loop();
            } else {
                // A worker descheduled mid-task on a busy machine: let it run.
                std::thread::yield_now();
            }
        }
    }
}

/// Spins before a thread waiting for work sleeps: windows come often (the work of one takes
/// tens of microseconds), and a spin costs far less than waking a sleeping thread. Kept
/// short: on a busy machine a long spin burns the time another thread needs.
const SPINS: u32 = 500;

/// What a mailbox holds, under its lock.
struct SlotState<T> {
    value: Option<T>,
    /// The receiver is asleep (or about to be): the sender must wake it.
    sleeping: bool,
}

/// A one-place mailbox to a worker thread: a newer value replaces one not yet taken; the
/// receiver spins a while, then sleeps. The sender makes the wake-up call only for a
/// sleeping receiver (it costs a system call).
struct Slot<T> {
    full: AtomicBool,
    state: Mutex<SlotState<T>>,
    wake: Condvar,
}

impl<T> Slot<T> {
    fn new() -> Slot<T> {
        Slot {
            full: AtomicBool::new(false),
            state: Mutex::new(SlotState {
                value: None,
                sleeping: false,
            }),
            wake: Condvar::new(),
        }
    }

    fn put(&self, v: T) {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        g.value = Some(v);
        self.full.store(true, Ordering::Release);
        let sleeping = g.sleeping;
        drop(g);
        if sleeping {
            self.wake.notify_one();
        }
    }

    fn take(&self) -> T {
        for _ in 0..SPINS {
            if self.full.load(Ordering::Acquire) {
                break;
            }
            std::hint::spin_loop();
        }
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(v) = g.value.take() {
                self.full.store(false, Ordering::Release);
                return v;
            }
            g.sleeping = true;
            g = self.wake.wait(g).unwrap_or_else(|e| e.into_inner());
            g.sleeping = false;
        }
    }
}

/// What a worker is handed: work, or the end of the run.
enum Job {
    Run(Arc<Work>),
    Stop,
}

/// One worker thread's mailbox.
struct Worker {
    jobs: Slot<Job>,
}

/// Worker threads.
struct Pool<'a> {
    workers: &'a [Worker],
}

/// Worker `k`'s loop.
fn work(k: usize, w: &Worker) {
    loop {
        match w.jobs.take() {
            Job::Stop => return,
            Job::Run(work) => work.help(k + 1),
        }
    }
}

impl Sim {
    /// The least delay of anything one node does to another (see the module docs): a byte's
    /// latency, or TCP giving up on a cut link.
    fn lookahead(&self) -> Time {
        let f = &self.cfg.faults;
        (f.latency_us.0 * 1_000).min(f.tcp_give_up_ms.0 * crate::sim::MS)
    }

    /// Run every event due by `end` (inclusive), in windows, on `self.threads` threads.
    pub(crate) fn run_windows(&mut self, end: Time) {
        let lookahead = self.lookahead();
        if lookahead < MIN_LOOKAHEAD {
            while self.queue.peek().is_some_and(|q| q.0.at <= end) {
                self.step();
            }
            return;
        }
        if self.threads <= 1 {
            while self.window(end, lookahead, None) {}
            return;
        }
        let workers: Vec<Worker> = (1..self.threads)
            .map(|_| Worker { jobs: Slot::new() })
            .collect();
        std::thread::scope(|s| {
            for (k, w) in workers.iter().enumerate() {
                s.spawn(move || work(k, w));
            }
            let pool = Pool { workers: &workers };
            // Stop the workers even if a node panics on this thread, or the scope never ends.
            struct Stop<'a>(&'a [Worker]);
            impl Drop for Stop<'_> {
                fn drop(&mut self) {
                    for w in self.0 {
                        w.jobs.put(Job::Stop);
                    }
                }
            }
            let _stop = Stop(&workers);
            while self.window(end, lookahead, Some(&pool)) {}
        });
    }

    fn classify(&self, q: &Queued) -> Class {
        match &q.ev {
            Ev::Timer { node, .. }
            | Ev::Disk { node, .. }
            | Ev::ConnClosedLocal { node, .. }
            | Ev::ConnectFailed { node, .. }
            | Ev::OutFailed { node, .. } => Class::Node(*node),
            Ev::Deliver { link, dir, .. } => {
                let (l, dir) = (&self.links[*link], *dir);
                let r = 1 - dir;
                if !l.open[r] || l.dead[dir] {
                    return Class::Void;
                }
                match l.ends[r] {
                    End::Bus { node, .. } | End::Conn { node, .. } | End::Out { node, .. }
                        if l.held[dir].is_empty()
                            && self.path(l.ends[dir].node(), Some(node)).is_none() =>
                    {
                        Class::Node(node)
                    }
                    _ => Class::Shared,
                }
            }
            _ => Class::Shared,
        }
    }

    /// Run one window of events due by `end`; false when there is none.
    fn window(&mut self, end: Time, lookahead: Time, pool: Option<&Pool<'_>>) -> bool {
        let Some(start) = self.queue.peek().map(|q| q.0.at).filter(|&t| t <= end) else {
            return false;
        };
        let wend = (start + lookahead).min(end + 1);
        let mut cut = wend;
        let mut jobs: BTreeMap<usize, Vec<LocalQ>> = BTreeMap::new();
        let mut count = 0usize;
        let mut last = start;
        let mut voided = false;
        while let Some(q) = self.queue.peek().map(|q| &q.0).filter(|q| q.at < wend) {
            match self.classify(q) {
                Class::Shared => {
                    cut = q.at;
                    break;
                }
                Class::Void => {
                    let q = self.queue.pop().expect("peeked").0;
                    self.steps += 1;
                    last = q.at;
                    voided = true;
                }
                Class::Node(i) => {
                    let q = self.queue.pop().expect("peeked").0;
                    self.steps += 1;
                    last = q.at;
                    count += 1;
                    let ev = match q.ev {
                        Ev::Deliver { link, dir, data } => NodeEv::Read {
                            end: self.links[link].ends[1 - dir],
                            data,
                        },
                        ev => crate::sim::node_ev(ev).expect("a node's event").1,
                    };
                    jobs.entry(i).or_default().push(LocalQ {
                        at: q.at,
                        seq: q.seq,
                        ev,
                    });
                }
            }
        }
        if jobs.is_empty() {
            if !voided {
                // The first event needs the whole simulator.
                self.step();
            }
            self.now = self.now.max(last);
            return true;
        }
        self.stats.windows += 1;
        let disk_ms = self.cfg.faults.disk_ms;
        let mut done: Vec<(usize, Vec<(Time, Effect)>)> = Vec::with_capacity(jobs.len());
        let min = match self.cfg.min_shared_events {
            0 => MIN_EVENTS_TO_SHARE,
            n => n,
        };
        let shared = pool.filter(|_| jobs.len() > 1 && count >= min);
        // Events run by this thread, then by each worker (for `WindowStats`).
        let mut loads = vec![0u64; pool.map_or(0, |p| p.workers.len()) + 1];
        if let Some(pool) = shared {
            // Biggest first, so that the last task claimed is a small one.
            let mut by_size: Vec<(usize, Vec<LocalQ>)> = jobs.into_iter().collect();
            by_size.sort_by_key(|(i, evs)| (std::cmp::Reverse(evs.len()), *i));
            let mut tasks = Vec::with_capacity(by_size.len());
            for (i, events) in by_size {
                let stand_in = self
                    .spare
                    .pop()
                    .unwrap_or_else(|| Box::new(Host::placeholder()));
                let host = std::mem::replace(&mut self.hosts[i], stand_in);
                tasks.push(Mutex::new(Task {
                    i,
                    host: Some(host),
                    events_run: events.len() as u64,
                    events,
                    disk_error: self.nemesis.disk_errors.get(&i).cloned(),
                    effects: Vec::new(),
                    extra_steps: 0,
                    ran_by: 0,
                }));
            }
            self.stats.shared += 1;
            let work = Arc::new(Work {
                tasks,
                next: AtomicUsize::new(0),
                done: AtomicUsize::new(0),
                failed: AtomicBool::new(false),
                start,
                end: cut,
                disk_ms,
            });
            for w in pool.workers {
                w.jobs.put(Job::Run(Arc::clone(&work)));
            }
            work.help(0);
            work.wait();
            // A worker that woke late may still hold the `Arc`: take the tasks out of it.
            for task in &work.tasks {
                let mut t = task.lock().unwrap_or_else(|e| e.into_inner());
                let t = &mut *t;
                loads[t.ran_by] += t.events_run + t.extra_steps;
                if let Some(host) = t.host.take() {
                    let stand_in = std::mem::replace(&mut self.hosts[t.i], host);
                    self.spare.push(stand_in);
                }
                self.steps += t.extra_steps;
                done.push((t.i, std::mem::take(&mut t.effects)));
            }
        } else {
            for (i, events) in jobs {
                let disk_error = self.nemesis.disk_errors.get(&i).map(String::as_str);
                let mut local = Local::new(i, &mut self.hosts[i], start, cut, disk_ms, disk_error);
                loads[0] += events.len() as u64;
                local.run(events);
                loads[0] += local.extra_steps;
                self.steps += local.extra_steps;
                let effects = std::mem::take(&mut local.effects);
                done.push((i, effects));
            }
        }
        self.stats.events += loads.iter().sum::<u64>();
        self.stats.critical += loads.iter().max().copied().unwrap_or(0);
        // Every node's effects in its own order, the nodes interleaved by time, then index.
        let mut all: Vec<(Time, usize, Effect)> = Vec::new();
        for (i, effects) in done {
            all.extend(effects.into_iter().map(|(t, e)| (t, i, e)));
        }
        all.sort_by_key(|&(t, i, _)| (t, i));
        for (t, i, e) in all {
            self.now = self.now.max(t);
            self.apply_one(i, e);
        }
        self.now = self.now.max(last);
        true
    }
}
