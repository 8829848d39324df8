//! The simulator: real `Node`s on one virtual clock, driven by a discrete event queue.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::hash::BuildHasherDefault;

use bytes::Bytes;
use hashslot_types::{ConnId, IntHasher, LinkId, Rng};

use crate::client::{Admin, Client, History};
use crate::faults::{between, Faults};
use crate::host::Host;
use crate::local::NodeEv;
use crate::net::{Link, PathState};
use crate::trace::Trace;

/// Virtual time in nanoseconds since the simulation started.
pub type Time = u64;

/// Nanoseconds per millisecond.
pub(crate) const MS: Time = 1_000_000;

/// What a run looks like: its seed, the cluster's shape and the faults.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The one seed everything is drawn from.
    pub seed: u64,
    /// Number of nodes (the cluster setup helper uses `masters * (1 + replicas)` of them).
    pub nodes: usize,
    /// `cluster-node-timeout` in milliseconds.
    pub node_timeout_ms: u64,
    /// Fault settings (see [`Faults::swarm`] and [`Faults::none`]).
    pub faults: Faults,
    /// Keep the trace's lines (the hash is always kept).
    pub keep_trace: bool,
    /// Extra configuration directives for every node, applied after the simulator's own
    /// (`port`, `cluster-enabled`…), e.g. `("appendonly", "yes")`.
    pub node_config: Vec<(String, String)>,
    /// Threads that run nodes' events (0: [`default_threads`](crate::default_threads): one,
    /// two for clusters of 500 nodes or more, unless `HASHSLOT_SIM_THREADS` says otherwise). The outcome and the trace do not depend
    /// on it: nodes run in time windows shorter than the least network latency, and what they
    /// do to each other is carried out by one thread in a fixed order (see
    /// [`Sim::set_threads`]).
    pub threads: usize,
    /// A time window with fewer node events than this runs on the calling thread alone, the
    /// others idle (0: the default, 2: a one-event window is not worth handing over). Tests
    /// set 1 so that even small clusters exercise the threads.
    pub min_shared_events: usize,
}

impl SimConfig {
    /// `nodes` nodes with `node_timeout_ms`, no faults.
    pub fn new(seed: u64, nodes: usize, node_timeout_ms: u64) -> SimConfig {
        SimConfig {
            seed,
            nodes,
            node_timeout_ms,
            faults: Faults::none(),
            keep_trace: false,
            node_config: Vec::new(),
            threads: 0,
            min_shared_events: 0,
        }
    }

    /// The same with swarm faults drawn from the seed, and persistence too: half the seeds
    /// run with `appendonly yes` and an `appendfsync` policy drawn among `always`,
    /// `everysec` and `no`; the others with no persistence of data.
    pub fn swarm(seed: u64, nodes: usize, node_timeout_ms: u64) -> SimConfig {
        let mut rng = Rng::from_seed(seed).child("faults");
        let mut node_config = Vec::new();
        let mut p = Rng::from_seed(seed).child("persistence");
        if p.below(2) == 1 {
            let fsync = ["always", "everysec", "no"][p.below(3) as usize];
            node_config.push(("appendonly".to_owned(), "yes".to_owned()));
            node_config.push(("appendfsync".to_owned(), fsync.to_owned()));
        }
        SimConfig {
            faults: Faults::swarm(&mut rng),
            node_config,
            ..SimConfig::new(seed, nodes, node_timeout_ms)
        }
    }
}

/// One scheduled thing.
#[derive(Debug)]
pub(crate) enum Ev {
    /// Node timer (stale unless `at` is still the node's deadline and `inc` its incarnation).
    Timer { node: usize, inc: u32 },
    /// Bytes of link `link` sent by side `dir` reach the other side.
    Deliver {
        link: usize,
        dir: usize,
        data: Bytes,
    },
    /// Held bytes of a direction are released.
    Flush { link: usize, dir: usize },
    /// Side `side` of the link learns that the link is closed.
    Closed { link: usize, side: usize },
    /// The connect's SYN reaches the target: it accepts.
    Accept { link: usize },
    /// The connect completes on the connecting side.
    Connected { link: usize },
    /// A connect failed.
    ConnectFailed { node: usize, inc: u32, link: LinkId },
    /// A disk step completed (unless the machine crashed since).
    Disk {
        node: usize,
        inc: u32,
        step: crate::disk::DiskStep,
    },
    /// An outbound connection (replication, MIGRATE) failed to open.
    OutFailed {
        node: usize,
        inc: u32,
        kind: crate::outbound::OutKind,
        id: u64,
    },
    /// A node's Output::Close was carried out: tell it.
    ConnClosedLocal { node: usize, inc: u32, conn: ConnId },
    /// A workload client's turn.
    ClientTick { client: usize },
    /// The nemesis acts.
    Nemesis,
    /// Undo a nemesis fault.
    Undo(crate::nemesis::Undo),
}

#[derive(Debug)]
pub(crate) struct Queued {
    pub at: Time,
    pub seq: u64,
    pub ev: Ev,
}

impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Queued {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// N real nodes, a network, disks, clients and a nemesis, all on virtual time from one seed.
///
/// Node `i` serves clients on `127.0.0.1:7000+i` and the bus on `127.0.0.1:17000+i`.
#[derive(Debug)]
pub struct Sim {
    pub(crate) cfg: SimConfig,
    pub(crate) now: Time,
    pub(crate) queue: BinaryHeap<Reverse<Queued>>,
    seq: u64,
    pub(crate) rng: Rng,
    /// Boxed, so that a host moves to a worker thread and back without copying.
    pub(crate) hosts: Vec<Box<Host>>,
    /// Stand-ins for hosts away on worker threads.
    pub(crate) spare: Vec<Box<Host>>,
    /// Threads that run nodes' events (see [`SimConfig::threads`]).
    pub(crate) threads: usize,
    /// How the events ran (see [`Sim::window_stats`]).
    pub(crate) stats: crate::window::WindowStats,
    pub(crate) links: Vec<Link>,
    /// (node, bus link) → link index, for links the node holds open (a hash map: a node sends
    /// on it per message, and a tree of 2,000,000 links at 1,000 nodes costs a miss per level).
    pub(crate) bus_map: HashMap<(usize, LinkId), usize, BuildHasherDefault<IntHasher>>,
    /// (node, kind, id) → link index, for outbound replication and MIGRATE connections.
    pub(crate) out_map: BTreeMap<(usize, crate::outbound::OutKind, u64), usize>,
    /// (node, client conn) → link index.
    pub(crate) conn_map: BTreeMap<(usize, ConnId), usize>,
    /// Directed paths (from, to) that are cut or held.
    pub(crate) paths: BTreeMap<(usize, usize), PathState>,
    pub(crate) next_id: u64,
    pub(crate) trace: Trace,
    pub(crate) admins: Vec<Admin>,
    pub(crate) clients: Vec<Client>,
    /// `WAIT 1 <ms>` after each acknowledged write (see `Sim::set_client_wait`).
    pub(crate) client_wait: Option<u64>,
    /// Votes granted by masters (for the one-vote-per-epoch checker).
    pub(crate) votes: crate::votes::Votes,
    /// The injected bug is on (see `Sim::inject_vote_twice_bug`).
    pub(crate) fault_vote_twice: bool,
    pub(crate) history: History,
    pub(crate) nemesis: crate::nemesis::Nemesis,
    /// Things the simulator saw that break the driver contract (sends on unknown links…).
    pub(crate) violations: Vec<String>,
    /// Events processed.
    pub(crate) steps: u64,
}

impl Sim {
    /// Start `cfg.nodes` fresh nodes (empty disks) at virtual time 0.
    pub fn new(cfg: SimConfig) -> Sim {
        let mut sim = Sim::unbooted(cfg);
        for i in 0..sim.hosts.len() {
            sim.boot(i);
        }
        sim
    }

    /// The machines with their disks, no process started yet (see `preformed`, which writes
    /// the disks before the first boot).
    pub(crate) fn unbooted(cfg: SimConfig) -> Sim {
        let root = Rng::from_seed(cfg.seed);
        let mut rng = root.child("sim");
        let hosts = (0..cfg.nodes)
            .map(|i| Box::new(Host::new(i, &cfg, &mut rng)))
            .collect();
        let threads = match cfg.threads {
            0 => crate::window::default_threads(cfg.nodes),
            n => n,
        };
        Sim {
            trace: Trace::new(cfg.keep_trace),
            admins: (0..cfg.nodes).map(|_| Admin::default()).collect(),
            cfg,
            now: 0,
            queue: BinaryHeap::new(),
            seq: 0,
            rng,
            hosts,
            spare: Vec::new(),
            threads,
            stats: Default::default(),
            links: Vec::new(),
            bus_map: HashMap::default(),
            conn_map: BTreeMap::new(),
            out_map: BTreeMap::new(),
            paths: BTreeMap::new(),
            next_id: 1,
            clients: Vec::new(),
            client_wait: None,
            votes: crate::votes::Votes::default(),
            fault_vote_twice: false,
            history: History::default(),
            nemesis: crate::nemesis::Nemesis::default(),
            violations: Vec::new(),
            steps: 0,
        }
    }

    /// The run's configuration.
    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// Virtual time, in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.now / MS
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Threads that run nodes' events (see [`SimConfig::threads`]).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Run nodes' events on `n` threads from now on (at least 1). The outcome and the trace
    /// are the same whatever `n`: it only changes how fast the simulation runs.
    pub fn set_threads(&mut self, n: usize) {
        self.threads = n.max(1);
    }

    /// Time windows whose events ran on more than one thread so far (0 on one thread).
    pub fn shared_windows(&self) -> u64 {
        self.stats.shared
    }

    /// How the events ran so far: windows, shared windows, and how much of the work the
    /// threads could share ([`WindowStats`](crate::WindowStats)).
    pub fn window_stats(&self) -> crate::WindowStats {
        self.stats
    }

    /// Events processed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether the simulation has no nodes.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// Whether node `i` is running (not crashed).
    pub fn is_up(&self, i: usize) -> bool {
        self.hosts[i].node.is_some()
    }

    /// Turn on the deliberately injected bug in every node, now and after every restart: a
    /// master grants a vote even when it already voted in the epoch (the hidden
    /// `ClusterConfig::fault_vote_twice_per_epoch` switch). For tests that prove the
    /// checkers catch a broken voting rule; nothing else.
    #[doc(hidden)]
    pub fn inject_vote_twice_bug(&mut self) {
        self.fault_vote_twice = true;
        for i in 0..self.hosts.len() {
            let now = self.hosts[i].now(self.now);
            if let Some(n) = self.hosts[i].node.as_mut() {
                n.set_fault_vote_twice_per_epoch(now, true);
            }
            self.drain(i);
        }
    }

    /// Driver-contract breaches the simulator saw (empty when all is well).
    pub fn violations(&self) -> &[String] {
        &self.violations
    }

    pub(crate) fn push(&mut self, at: Time, ev: Ev) {
        self.seq += 1;
        let at = at.max(self.now);
        self.queue.push(Reverse(Queued {
            at,
            seq: self.seq,
            ev,
        }));
    }

    pub(crate) fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A draw in `range` milliseconds, as nanoseconds.
    pub(crate) fn draw_ms(&mut self, range: (u64, u64)) -> Time {
        between(&mut self.rng, range) * MS
    }

    /// Process the next event; false when nothing is scheduled.
    pub fn step(&mut self) -> bool {
        let Some(Reverse(q)) = self.queue.pop() else {
            return false;
        };
        self.now = q.at;
        self.steps += 1;
        match node_ev(q.ev) {
            Ok((node, ev)) => self.local(node, |l| l.handle(q.at, ev)),
            Err(ev) => match ev {
                Ev::Deliver { link, dir, data } => self.deliver(link, dir, data),
                Ev::Flush { link, dir } => self.flush(link, dir),
                Ev::Closed { link, side } => self.closed(link, side),
                Ev::Accept { link } => self.accept(link),
                Ev::Connected { link } => self.connected(link),
                Ev::ClientTick { client } => self.client_tick(client),
                Ev::Nemesis => self.nemesis_act(),
                Ev::Undo(u) => self.undo(u),
                ev => unreachable!("node event {ev:?}"),
            },
        }
        true
    }

    /// Run until virtual time has advanced by `ms` milliseconds.
    pub fn run_for(&mut self, ms: u64) {
        let end = self.now + ms * MS;
        self.run_to(end);
    }

    /// Run every event scheduled up to `end`, then set the clock to `end`.
    pub(crate) fn run_to(&mut self, end: Time) {
        self.run_windows(end);
        self.now = self.now.max(end);
    }

    /// Run until `done` holds, checking every `every_ms`, for at most `max_ms`. Returns whether
    /// it held.
    pub fn run_until(
        &mut self,
        max_ms: u64,
        every_ms: u64,
        mut done: impl FnMut(&mut Sim) -> bool,
    ) -> bool {
        let end = self.now + max_ms * MS;
        loop {
            if done(self) {
                return true;
            }
            if self.now >= end {
                return false;
            }
            let next = (self.now + every_ms * MS).min(end);
            self.run_to(next);
        }
    }
}

/// `ev` as an event of one node's own (see [`NodeEv`]), or back when it is not one.
pub(crate) fn node_ev(ev: Ev) -> Result<(usize, NodeEv), Ev> {
    Ok(match ev {
        Ev::Timer { node, inc } => (node, NodeEv::Timer { inc }),
        Ev::Disk { node, inc, step } => (node, NodeEv::Disk { inc, step }),
        Ev::ConnClosedLocal { node, inc, conn } => (node, NodeEv::ConnClosedLocal { inc, conn }),
        Ev::ConnectFailed { node, inc, link } => (node, NodeEv::ConnectFailed { inc, link }),
        Ev::OutFailed {
            node,
            inc,
            kind,
            id,
        } => (node, NodeEv::OutFailed { inc, kind, id }),
        ev => return Err(ev),
    })
}
