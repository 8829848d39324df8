//! The [`Cluster`] state machine: construction, the driver methods, and the helpers every part
//! uses (time, logging, sending, the before-sleep work).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use hashslot_bus::{encode, Message, MsgType, NodeFlags};
use hashslot_slots::{NodeRef, SlotMap};
use hashslot_types::{Epoch, Instant, LinkId, NodeId, Now, Rng, SlotSet};

use crate::links::LinkMap;
use crate::node::{ClusterNode, NodeTable};
use crate::stats::Stats;
use crate::{ClusterConfig, Event, LogLevel, Output, SaveToken};

/// Redis's `clusterCron` period.
pub(crate) const CRON_PERIOD: Duration = Duration::from_millis(100);
/// `CLUSTER_BLACKLIST_TTL` in ms.
pub(crate) const BLACKLIST_TTL: i64 = 60_000;

/// Work deferred to the end of the current input (Redis's `clusterDoBeforeSleep` flags).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Todo {
    pub save: bool,
    /// The next write must be fsynced even if no epoch changed (CLUSTER SAVECONFIG).
    pub fsync: bool,
    pub update_state: bool,
}

/// The coalesced nodes.conf writer: at most one write in flight.
#[derive(Debug, Clone, Default)]
pub(crate) struct SaveState {
    /// Increases with every config change that must reach the disk.
    pub generation: u64,
    /// The write in flight: its token and the generation it holds.
    pub in_flight: Option<(SaveToken, u64)>,
    /// The newest generation known to be on disk.
    pub saved: u64,
    pub next_token: u64,
    /// The newest generation whose write failed (not retried until the next change).
    pub failed: u64,
    /// Saving is disabled (a config that failed to load must never be overwritten).
    pub disabled: bool,
    /// (currentEpoch, lastVoteEpoch, my configEpoch) as of the last fsynced write: a write
    /// that changes them must be fsynced, the others need not be.
    pub synced_epochs: (Epoch, Epoch, Epoch),
    /// The write in flight asked for an fsync.
    pub in_flight_sync: bool,
    /// The epochs the write in flight holds.
    pub in_flight_epochs: (Epoch, Epoch, Epoch),
    /// An fsync was asked for and has not been done yet.
    pub fsync_pending: bool,
}

/// The cluster membership state machine of one node (Redis's `clusterState` plus the parts of
/// `cluster.c` that maintain it).
///
/// Driving contract (the workspace's four kinds of methods):
/// - inputs: `handle_link_accepted/connected/data/closed`, `handle_timeout` (the 100 ms
///   `clusterCron`), `handle_persist_done`, and the administrative inputs behind the CLUSTER
///   subcommands (`meet`, `add_slots`, `set_slot`…), each taking `now`;
/// - `poll_output` drained until `None` after every input;
/// - `poll_timeout`: when to call `handle_timeout` next (early or repeated calls are no-ops);
/// - `&self` getters and views (`nodes_text`, `info_text`, `slots_view`…).
///
/// Time: timers and node fields use the monotonic clock (ms); wall-clock ms appear only where
/// Redis prints or sends absolute times (CLUSTER NODES, nodes.conf, gossip), converted with the
/// offset between the two clocks of the latest input.
#[derive(Debug)]
pub struct Cluster {
    pub(crate) config: ClusterConfig,
    pub(crate) rng: Rng,
    pub(crate) nodes: NodeTable,
    pub(crate) myself: NodeRef,
    pub(crate) slots: SlotMap,
    pub(crate) owner_not_claiming_slot: SlotSet,
    pub(crate) current_epoch: Epoch,
    pub(crate) last_vote_epoch: Epoch,
    pub(crate) state_ok: bool,
    pub(crate) size: usize,
    pub(crate) links: LinkMap,
    pub(crate) next_link: u64,
    /// FORGET ban: node id → expiry (monotonic ms).
    pub(crate) blacklist: BTreeMap<NodeId, i64>,
    pub(crate) stats: Stats,
    pub(crate) stats_pfail_nodes: usize,
    pub(crate) iteration: u64,
    pub(crate) first_call_time: Option<i64>,
    pub(crate) among_minority_time: Option<i64>,
    pub(crate) todo: Todo,
    pub(crate) save: SaveState,
    pub(crate) cron_at: Option<Instant>,
    pub(crate) outputs: VecDeque<Output>,
    /// Monotonic ms of the latest input.
    pub(crate) now_ms: i64,
    /// Wall ms minus monotonic ms, at the latest input.
    pub(crate) wall_offset: i64,
    /// My replication offset, given by the node.
    pub(crate) my_repl_offset: i64,
    /// Elections, votes, manual failover, replica migration (`failover_glue.rs`).
    pub(crate) fo: crate::failover_glue::FailoverState,
}

/// Monotonic milliseconds of `now`.
pub(crate) fn mono_ms(now: Now) -> i64 {
    (now.mono.as_nanos() / 1_000_000) as i64
}

impl Cluster {
    /// A new node (no nodes.conf): a random id from `rng`, master, no slots, epoch 0. The first
    /// nodes.conf write is asked for at once.
    pub fn new(config: ClusterConfig, mut rng: Rng, now: Now) -> Self {
        let name = NodeId::random(&mut rng);
        let mut c = Cluster::empty(config, rng, now, name);
        c.log(
            LogLevel::Notice,
            format!("No cluster configuration found, I'm {name}"),
        );
        c.todo.save = true;
        c
    }

    /// The shared constructor: only `myself` in the table.
    pub(crate) fn empty(config: ClusterConfig, rng: Rng, now: Now, name: NodeId) -> Self {
        let now_ms = mono_ms(now);
        let mut nodes = NodeTable::default();
        let mut me = ClusterNode::new(name, NodeFlags::MYSELF | NodeFlags::MASTER, now_ms);
        me.port = config.announced_port();
        me.cport = config.announced_cport();
        if let Some(ip) = &config.announce_ip {
            me.set_ip(ip.clone());
        }
        if let Some(h) = &config.announce_hostname {
            me.hostname.clone_from(h);
        }
        let myself = nodes.insert(me);
        let fo = crate::failover_glue::FailoverState::new(&rng);
        Cluster {
            config,
            rng,
            nodes,
            myself,
            slots: SlotMap::new(),
            owner_not_claiming_slot: SlotSet::new(),
            current_epoch: Epoch(0),
            last_vote_epoch: Epoch(0),
            state_ok: false,
            size: 1,
            links: LinkMap::default(),
            next_link: 0,
            blacklist: BTreeMap::new(),
            stats: Stats::default(),
            stats_pfail_nodes: 0,
            iteration: 0,
            first_call_time: None,
            among_minority_time: None,
            todo: Todo::default(),
            save: SaveState::default(),
            cron_at: Some(now.mono + CRON_PERIOD),
            outputs: VecDeque::new(),
            now_ms,
            wall_offset: now.wall.0 - now_ms,
            my_repl_offset: 0,
            fo,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Change settings at run time (CONFIG SET of `cluster-node-timeout`, `cluster-announce-*`…).
    pub fn set_config(&mut self, now: Now, config: ClusterConfig) {
        self.tick(now);
        let me = self.myself;
        let changed_addr = config.announced_port() != self.config.announced_port()
            || config.announced_cport() != self.config.announced_cport()
            || config.announce_ip != self.config.announce_ip;
        {
            let n = &mut self.nodes[me];
            n.port = config.announced_port();
            n.cport = config.announced_cport();
            if let Some(ip) = &config.announce_ip {
                n.set_ip(ip.clone());
            }
            n.hostname = config.announce_hostname.clone().unwrap_or_default();
        }
        self.config = config;
        if changed_addr {
            self.todo.save = true;
        }
        self.before_sleep(now);
    }

    /// The node gives its replication offset (sent in every header).
    pub fn set_repl_offset(&mut self, offset: i64) {
        self.my_repl_offset = offset;
    }

    /// A timer may be due: runs `clusterCron` every 100 ms.
    pub fn handle_timeout(&mut self, now: Now) {
        self.tick(now);
        match self.cron_at {
            Some(at) if at <= now.mono => {
                self.cron(now);
                self.cron_at = Some(now.mono + CRON_PERIOD);
            }
            None => self.cron_at = Some(now.mono + CRON_PERIOD),
            _ => {}
        }
        self.before_sleep(now);
    }

    /// When `handle_timeout` must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.cron_at
    }

    /// The next thing for the driver to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Record the time of an input.
    pub(crate) fn tick(&mut self, now: Now) {
        self.now_ms = mono_ms(now);
        self.wall_offset = now.wall.0 - self.now_ms;
    }

    /// Wall-clock ms of a monotonic time, 0 for "never" (as Redis prints it).
    pub(crate) fn wall(&self, t: Option<i64>) -> i64 {
        t.map_or(0, |t| t + self.wall_offset)
    }

    /// Milliseconds since `t`; "never" is very long ago.
    pub(crate) fn since(&self, t: Option<i64>) -> i64 {
        match t {
            Some(t) => self.now_ms - t,
            None => i64::MAX / 4,
        }
    }

    /// Redis's `clusterBeforeSleep`: update the state, then save, once per input.
    pub(crate) fn before_sleep(&mut self, now: Now) {
        if std::mem::take(&mut self.fo.handle_asap) {
            self.failover_handle(now);
        }
        if std::mem::take(&mut self.todo.update_state) {
            self.update_state(now);
        }
        if std::mem::take(&mut self.todo.save) {
            self.save.generation += 1;
        }
        if std::mem::take(&mut self.todo.fsync) {
            self.save.fsync_pending = true;
        }
        self.start_save_if_needed();
    }

    /// Emit a Persist when the config changed since the last write and none is in flight.
    pub(crate) fn start_save_if_needed(&mut self) {
        if self.save.disabled || self.save.in_flight.is_some() {
            return;
        }
        let newest_written = self.save.saved.max(self.save.failed);
        if self.save.generation <= newest_written {
            return;
        }
        self.save.next_token += 1;
        let token = SaveToken(self.save.next_token);
        let gen = self.save.generation;
        self.save.in_flight = Some((token, gen));
        let epochs = self.durable_epochs();
        let sync = self.save.fsync_pending || epochs != self.save.synced_epochs;
        self.save.in_flight_sync = sync;
        self.save.in_flight_epochs = epochs;
        let data = Bytes::from(self.nodes_conf_text());
        self.outputs
            .push_back(Output::Persist { token, data, sync });
    }

    /// A Persist finished. On success everything up to its generation is on disk.
    pub fn handle_persist_done(&mut self, now: Now, token: SaveToken, result: Result<(), String>) {
        self.tick(now);
        let Some((t, gen)) = self.save.in_flight else {
            return;
        };
        if t != token {
            return;
        }
        self.save.in_flight = None;
        match &result {
            Ok(()) => {
                self.save.saved = self.save.saved.max(gen);
                if self.save.in_flight_sync {
                    // What this write held is what it fsynced; later changes compare to it.
                    self.save.synced_epochs = self.durable_epochs_of_written();
                    self.save.fsync_pending = false;
                }
            }
            Err(e) => {
                // Redis exits ("Fatal: can't update cluster config file."); we report it and
                // leave the decision to the node. The failed generation counts as attempted so
                // that the write is not retried in a loop; the next change writes again.
                self.log(
                    LogLevel::Warning,
                    format!("Could not update the cluster config file: {e}"),
                );
                self.save.failed = self.save.failed.max(gen);
            }
        }
        self.failover_persist_done();
        self.emit(Event::ConfigSaved {
            generation: gen,
            result,
        });
        self.before_sleep(now);
    }

    /// The newest config generation (each change to save increments it).
    pub fn config_generation(&self) -> u64 {
        self.save.generation + u64::from(self.todo.save)
    }

    /// Whether every change up to `generation` is on disk.
    pub fn is_saved(&self, generation: u64) -> bool {
        self.save.saved >= generation
    }

    /// Ask for the config to be written even if nothing changed (CLUSTER SAVECONFIG); returns
    /// the generation to wait for (an [`Event::ConfigSaved`] with at least it).
    pub fn save_config(&mut self, now: Now) -> u64 {
        self.tick(now);
        self.todo.save = true;
        self.todo.fsync = true;
        self.before_sleep(now);
        self.save.generation
    }

    /// The epochs whose change must reach the disk before anything depends on them.
    fn durable_epochs(&self) -> (Epoch, Epoch, Epoch) {
        let mine = self.node(self.myself).map_or(Epoch(0), |n| n.config_epoch);
        (self.current_epoch, self.last_vote_epoch, mine)
    }

    /// The epochs held by the write that just completed (remembered when it started: the text
    /// was built then, and later changes are not on disk yet).
    fn durable_epochs_of_written(&self) -> (Epoch, Epoch, Epoch) {
        self.save.in_flight_epochs
    }

    /// Never write the config file again (the node could not load it).
    pub fn disable_saves(&mut self) {
        self.save.disabled = true;
    }

    pub(crate) fn log(&mut self, level: LogLevel, message: String) {
        self.outputs.push_back(Output::Log { level, message });
    }

    pub(crate) fn emit(&mut self, e: Event) {
        self.outputs.push_back(Output::Event(e));
    }

    /// Encode and queue `msg` on `link`, counting it (`clusterSendMessage`). Messages to an
    /// outbound link still connecting are held until it connects.
    pub(crate) fn send(&mut self, link: LinkId, msg: &Message) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let mut buf = Vec::with_capacity(msg.encoded_len() as usize);
        if encode(msg, &mut buf).is_err() {
            return;
        }
        self.stats.count_sent(msg.msg_type());
        if self.fo.barrier.is_some() {
            // Held until the vote / epoch / promotion it may depend on is on disk.
            self.fo.held.push((link, Bytes::from(buf)));
            return;
        }
        if l.connected {
            self.outputs.push_back(Output::Send {
                link,
                data: Bytes::from(buf),
            });
        } else {
            l.pending.push(Bytes::from(buf));
        }
    }

    /// Send to every node with an outbound link, except myself and handshake nodes
    /// (`clusterBroadcastMessage`).
    pub(crate) fn broadcast(&mut self, msg: &Message) {
        let targets: Vec<LinkId> = self
            .nodes
            .iter()
            .filter(|(_, n)| !n.flags.intersects(NodeFlags::MYSELF | NodeFlags::HANDSHAKE))
            .filter_map(|(_, n)| n.link)
            .collect();
        for link in targets {
            self.send(link, msg);
        }
    }

    /// Counts a message type as received.
    pub(crate) fn count_received(&mut self, t: MsgType) {
        self.stats.count_received(t);
    }
}
