//! Cluster mode of the node: the [`Cluster`] state machine of `hashslot-gossip`, the
//! translation of its outputs into the node's, routing of keyed commands, and replies held
//! until nodes.conf is on disk.
//!
//! Persist tokens: the node names the cluster's nodes.conf writes with `PersistToken`s whose
//! bit 62 is set ([`CLUSTER_TOKEN_BIT`]); other writers must not use that bit.
//!
//! Replies held until the config is durable: CLUSTER SAVECONFIG, SET-CONFIG-EPOCH, BUMPEPOCH,
//! RESET, ADDSLOTS/ADDSLOTSRANGE, DELSLOTS/DELSLOTSRANGE, FLUSHSLOTS, SETSLOT, REPLICATE and
//! FORGET. Redis writes nodes.conf in `beforeSleep`, before these replies reach the socket, so
//! a client that saw `+OK` knows the change survives a crash; we keep that promise by holding
//! the reply until the `Persist` completes. MEET needs no save (handshake nodes are not saved).

mod route;
mod view;
pub use view::{ClusterView, NodeView};

use hashslot_gossip::{Cluster, ClusterConfig, Event, Output as COut, SaveToken};
use hashslot_types::{ConnId, Instant, Now, Rng};

use crate::output::{LogLevel, Output, PersistToken};
use crate::{Config, Node};

/// Bit set in the `PersistToken`s of nodes.conf writes.
pub(crate) const CLUSTER_TOKEN_BIT: u64 = 1 << 62;

/// A client whose reply waits for a nodes.conf write.
#[derive(Debug, Clone)]
pub(crate) struct Waiter {
    pub conn: ConnId,
    /// The config generation that must be on disk.
    pub generation: u64,
    /// The reply to send once it is (RESP bytes).
    pub reply: Vec<u8>,
    /// CLUSTER SAVECONFIG reports a failed write as its error; others reply anyway.
    pub saveconfig: bool,
}

/// The node's cluster-mode state.
#[derive(Debug)]
pub(crate) struct ClusterMode {
    pub cluster: Cluster,
    pub waiters: Vec<Waiter>,
    /// `cluster-allow-reads-when-down`, refreshed every cron.
    pub allow_reads_when_down: bool,
    /// `cluster-allow-pubsubshard-when-down`, refreshed every cron.
    pub allow_pubsubshard_when_down: bool,
    /// nodes.conf failed to load: nothing may ever be written.
    pub load_failed: bool,
    /// The time of the latest input given to the cluster.
    pub last_now: Now,
    /// Randomness for a cluster loaded from nodes.conf (replacing the fresh one).
    pub load_rng: Rng,
    /// The [`Config::generation`] whose settings the cluster was last given (`None`: not yet,
    /// or the cluster was replaced since). The settings are pushed on the first cluster cron
    /// that finds the configuration moved past it: building them reads and formats a dozen
    /// parameters, too much to repeat on every cron of every node when nothing changed.
    pub settings_generation: Option<u64>,
}

fn yes(config: &Config, name: &str, default: bool) -> bool {
    config.get(name).map_or(default, |v| v == "yes")
}

/// The cluster settings from the node's configuration.
pub(crate) fn cluster_config(config: &Config) -> ClusterConfig {
    let bus_port = if config.cluster_port != 0 {
        config.cluster_port
    } else {
        config.port.wrapping_add(10000)
    };
    ClusterConfig {
        port: config.port,
        bus_port,
        node_timeout: config.cluster_node_timeout,
        announce_ip: config.cluster_announce_ip.clone().filter(|s| !s.is_empty()),
        announce_port: config.cluster_announce_port,
        announce_bus_port: config.cluster_announce_bus_port,
        announce_hostname: config
            .cluster_announce_hostname
            .clone()
            .filter(|s| !s.is_empty()),
        require_full_coverage: yes(config, "cluster-require-full-coverage", true),
        allow_replica_migration: yes(config, "cluster-allow-replica-migration", true),
        replica_no_failover: yes(config, "cluster-replica-no-failover", false),
        ..ClusterConfig::default()
    }
}

/// The failover tunables from the node's configuration (refreshed with the cluster settings).
pub(crate) fn failover_tuning(config: &Config) -> hashslot_gossip::FailoverTuning {
    let num = |name: &str, default: u64| {
        config
            .get(name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    hashslot_gossip::FailoverTuning {
        replica_validity_factor: num("cluster-replica-validity-factor", 10),
        repl_ping_replica_period: num("repl-ping-replica-period", 10),
        migration_barrier: num("cluster-migration-barrier", 1),
    }
}

impl ClusterMode {
    /// A fresh cluster (a new node id from `rng`) when cluster mode is on.
    pub(crate) fn new(config: &Config, rng: Rng, now: Now) -> Option<Box<ClusterMode>> {
        if !config.cluster_enabled {
            return None;
        }
        let load_rng = rng.child("load");
        Some(Box::new(ClusterMode {
            cluster: Cluster::new(cluster_config(config), rng, now),
            waiters: Vec::new(),
            allow_reads_when_down: yes(config, "cluster-allow-reads-when-down", false),
            allow_pubsubshard_when_down: yes(config, "cluster-allow-pubsubshard-when-down", true),
            load_failed: false,
            last_now: now,
            load_rng,
            settings_generation: None,
        }))
    }
}

impl Node {
    /// Run the cluster's cron if due (called from `handle_timeout`). Before a due cron, the
    /// cluster gets my replication offset and, when the configuration changed since it last
    /// got them (CONFIG SET), the settings derived from it: a change takes effect on the next
    /// cluster cron, as when they were re-read on every cron.
    pub(crate) fn cluster_handle_timeout(&mut self, now: Now) {
        let Some(cm) = self.cluster.as_mut() else {
            return;
        };
        cm.last_now = now;
        if cm.cluster.poll_timeout().is_some_and(|t| t <= now.mono) {
            let generation = self.config.generation();
            if cm.settings_generation != Some(generation) {
                cm.settings_generation = Some(generation);
                let cfg = cluster_config(&self.config);
                if cfg != *cm.cluster.config() {
                    cm.cluster.set_config(now, cfg);
                }
                cm.allow_reads_when_down =
                    yes(&self.config, "cluster-allow-reads-when-down", false);
                cm.allow_pubsubshard_when_down =
                    yes(&self.config, "cluster-allow-pubsubshard-when-down", true);
                cm.cluster
                    .set_failover_tuning(failover_tuning(&self.config));
            }
            cm.cluster.set_repl_offset(self.repl.offset());
        }
        cm.cluster.handle_timeout(now);
        self.cluster_drain(now);
    }

    /// The cluster's next deadline.
    pub(crate) fn cluster_poll_timeout(&self) -> Option<Instant> {
        self.cluster.as_ref().and_then(|c| c.cluster.poll_timeout())
    }

    /// Move the cluster's outputs into the node's, reacting to its events.
    pub(crate) fn cluster_drain(&mut self, now: Now) {
        if let Some(cm) = self.cluster.as_mut() {
            cm.last_now = now;
        }
        loop {
            let Some(cm) = self.cluster.as_mut() else {
                return;
            };
            let Some(out) = cm.cluster.poll_output() else {
                // Replication follows the role the cluster gives me.
                self.repl_follow_cluster(now);
                return;
            };
            match out {
                COut::Connect { link, addr } => {
                    self.outputs.push_back(Output::BusConnect { link, addr })
                }
                COut::Send { link, data } => self.outputs.push_back(Output::BusSend { link, data }),
                COut::Close { link } => self.outputs.push_back(Output::BusClose { link }),
                COut::Persist { token, data, sync } => {
                    if cm.load_failed {
                        continue;
                    }
                    let path = self.config.cluster_config_file.clone();
                    self.outputs.push_back(Output::Persist {
                        token: PersistToken(CLUSTER_TOKEN_BIT | token.0),
                        path,
                        data,
                        sync,
                    });
                }
                COut::Log { level, message } => {
                    let level = match level {
                        hashslot_gossip::LogLevel::Debug => LogLevel::Debug,
                        hashslot_gossip::LogLevel::Verbose => LogLevel::Verbose,
                        hashslot_gossip::LogLevel::Notice => LogLevel::Notice,
                        _ => LogLevel::Warning,
                    };
                    self.log(level, message);
                }
                COut::Event(e) => self.cluster_event(now, e),
                _ => {}
            }
        }
    }

    fn cluster_event(&mut self, now: Now, e: Event) {
        match e {
            Event::ConfigSaved { generation, result } => {
                self.release_waiters(now, generation, result)
            }
            Event::DirtySlots(slots) => {
                // Ref: delKeysInSlot: keys of slots another node took with a higher epoch.
                for slot in slots {
                    let keys = self.dbs[0].keys_in_slot(slot, usize::MAX);
                    for k in keys {
                        self.dbs[0].remove(&k);
                    }
                }
            }
            Event::Publish { channel, message } => {
                self.cluster_deliver_publish(now, &channel, &message, false)
            }
            Event::PublishShard { channel, message } => {
                self.cluster_deliver_publish(now, &channel, &message, true)
            }
            Event::ManualFailoverPause { until } => self.repl_pause_writes(until),
            Event::ManualFailoverUnpause => self.repl_unpause_writes(now),
            _ => {}
        }
    }

    /// Send the held replies whose config generation is now on disk.
    fn release_waiters(&mut self, now: Now, generation: u64, result: Result<(), String>) {
        let Some(cm) = self.cluster.as_mut() else {
            return;
        };
        let (ready, rest): (Vec<Waiter>, Vec<Waiter>) = std::mem::take(&mut cm.waiters)
            .into_iter()
            .partition(|w| w.generation <= generation);
        cm.waiters = rest;
        for w in ready {
            let mut reply = w.reply;
            if let (true, Err(e)) = (w.saveconfig, &result) {
                reply = format!("-ERR error saving the cluster node config: {e}\r\n").into_bytes();
            }
            self.send_held_reply(now, w.conn, reply);
        }
    }

    /// Write a held reply and let the client's queued requests run.
    fn send_held_reply(&mut self, now: Now, conn: ConnId, reply: Vec<u8>) {
        let Some(mut sess) = self.sessions.remove(&conn) else {
            return;
        };
        if sess.client.blocked && !sess.closing {
            sess.client.blocked = false;
            let start = sess.client.out.len();
            sess.client.out.extend_from_slice(&reply);
            self.after_reply(&mut sess.client, start);
            self.consume(now, &mut sess, &[]);
        }
        self.sessions.insert(conn, sess);
    }

    /// Hold `client`'s reply (already written from `start`) until config `generation` is on
    /// disk, unless it already is.
    pub(crate) fn hold_reply_until_saved(
        &mut self,
        client: &mut crate::session::Client,
        start: usize,
        generation: u64,
        saveconfig: bool,
    ) {
        if client.in_exec {
            // Inside EXEC the reply is part of EXEC's array: it cannot wait alone.
            return;
        }
        let Some(cm) = self.cluster.as_mut() else {
            return;
        };
        if cm.cluster.is_saved(generation) || cm.load_failed {
            return;
        }
        let reply = client.out.split_off(start);
        client.blocked = true;
        cm.waiters.push(Waiter {
            conn: client.conn,
            generation,
            reply,
            saveconfig,
        });
    }

    /// A PUBLISH arrived over the bus: deliver it to this node's subscribers.
    fn cluster_deliver_publish(&mut self, now: Now, channel: &[u8], message: &[u8], sharded: bool) {
        let _ = now;
        if sharded {
            self.deliver_spublish(channel, message);
        } else {
            self.deliver_publish(channel, message);
        }
    }

    /// PUBLISH/SPUBLISH ran here: propagate it over the bus (`clusterPropagatePublish`).
    pub(crate) fn cluster_on_publish(&mut self, channel: &[u8], message: &[u8], sharded: bool) {
        let Some(cm) = self.cluster.as_mut() else {
            return;
        };
        if sharded {
            cm.cluster.publish_shard(channel, message);
        } else {
            cm.cluster.publish(channel, message);
        }
        let now = cm.last_now;
        self.cluster_drain(now);
    }

    /// The cluster's persist token from the node's.
    pub(crate) fn cluster_token(token: PersistToken) -> Option<SaveToken> {
        (token.0 & CLUSTER_TOKEN_BIT != 0).then_some(SaveToken(token.0 & !CLUSTER_TOKEN_BIT))
    }
}
