//! Pub/sub on one node: channel, pattern and shard-channel subscriptions, and delivery.
//! Ref: pubsub.c (7.0).
//!
//! Channels and patterns are client-chosen, so the registries are ordered maps: no hasher seed to
//! attack, and a fixed order. Delivery order is deterministic: a channel's subscribers in
//! subscription order, then each matching pattern in byte order of the pattern (Redis walks its
//! pattern dict in hash order), each pattern's subscribers in subscription order.

use std::collections::BTreeMap;

use bytes::Bytes;
use hashslot_keyspace::{glob_match, notify};
use hashslot_resp::Reply;
use hashslot_types::ConnId;

use crate::session::Client;
use crate::{Node, Output};

/// The three subscription namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// SUBSCRIBE / PUBLISH.
    Channel,
    /// PSUBSCRIBE.
    Pattern,
    /// SSUBSCRIBE / SPUBLISH.
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// A client's subscriptions (Redis's `pubsub_channels`, `pubsub_patterns`,
/// `pubsubshard_channels`), each in subscription order.
#[derive(Debug, Default, Clone)]
pub(crate) struct ClientSubs {
    pub channels: Vec<Vec<u8>>,
    pub patterns: Vec<Vec<u8>>,
    pub shard: Vec<Vec<u8>>,
}

impl ClientSubs {
    fn list(&mut self, kind: Kind) -> &mut Vec<Vec<u8>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// `clientSubscriptionsCount` (channels + patterns) or the shard count: the number a
    /// (un)subscribe confirmation carries.
    fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.shard.len(),
            _ => self.channels.len() + self.patterns.len(),
        }
    }

    /// Whether the client is in pub/sub mode (`CLIENT_PUBSUB`, flag `P`).
    pub(crate) fn any(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }
}

/// The node's subscription registries.
#[derive(Debug, Default)]
pub(crate) struct PubSub {
    channels: BTreeMap<Vec<u8>, Vec<ConnId>>,
    patterns: BTreeMap<Vec<u8>, Vec<ConnId>>,
    shard: BTreeMap<Vec<u8>, Vec<ConnId>>,
}

impl PubSub {
    fn map(&mut self, kind: Kind) -> &mut BTreeMap<Vec<u8>, Vec<ConnId>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    fn map_ref(&self, kind: Kind) -> &BTreeMap<Vec<u8>, Vec<ConnId>> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }

    /// `pubsub_channels`, `pubsub_patterns`, `pubsubshard_channels` of INFO.
    pub(crate) fn len(&self, kind: Kind) -> usize {
        self.map_ref(kind).len()
    }

    /// Active names of `kind` matching `pattern` (PUBSUB CHANNELS / SHARDCHANNELS).
    pub(crate) fn names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        self.map_ref(kind)
            .keys()
            .filter(|c| pattern.map_or(true, |p| glob_match(p, c, false)))
            .map(|c| c.as_slice())
            .collect()
    }

    /// Subscribers of one channel (PUBSUB NUMSUB / SHARDNUMSUB).
    pub(crate) fn subscribers(&self, kind: Kind, name: &[u8]) -> usize {
        self.map_ref(kind).get(name).map_or(0, Vec::len)
    }

    fn remove(&mut self, kind: Kind, name: &[u8], conn: ConnId) {
        let map = self.map(kind);
        if let Some(v) = map.get_mut(name) {
            v.retain(|c| *c != conn);
            if v.is_empty() {
                map.remove(name);
            }
        }
    }
}

/// The push header of a pub/sub message or confirmation (`*n` in RESP2, `>n` in RESP3).
fn push(c: &mut Client, n: usize) -> Reply<'_> {
    let mut r = c.reply();
    r.push_len(n);
    r
}

impl Node {
    /// Subscribe `c` to `name` and confirm. Ref: pubsub.c pubsubSubscribeChannel.
    pub(crate) fn subscribe(&mut self, c: &mut Client, kind: Kind, name: &[u8]) {
        let list = c.subs.list(kind);
        if !list.iter().any(|n| n == name) {
            list.push(name.to_vec());
            self.pubsub
                .map(kind)
                .entry(name.to_vec())
                .or_default()
                .push(c.conn);
        }
        let n = c.subs.count(kind) as i64;
        let mut r = push(c, 3);
        r.bulk(kind.subscribe_word());
        r.bulk(name);
        r.int(n);
    }

    /// Unsubscribe `c` from `name`; confirms when `notify`. Returns whether it was subscribed.
    pub(crate) fn unsubscribe(
        &mut self,
        c: &mut Client,
        kind: Kind,
        name: &[u8],
        notify: bool,
    ) -> bool {
        let list = c.subs.list(kind);
        let was = match list.iter().position(|n| n == name) {
            Some(i) => {
                list.remove(i);
                true
            }
            None => false,
        };
        if was {
            self.pubsub.remove(kind, name, c.conn);
        }
        if notify {
            let n = c.subs.count(kind) as i64;
            let mut r = push(c, 3);
            r.bulk(kind.unsubscribe_word());
            r.bulk(name);
            r.int(n);
        }
        was
    }

    /// Unsubscribe `c` from everything of `kind`; with `notify`, one confirmation each, or one
    /// with a null name when there was nothing. Ref: pubsubUnsubscribeAllChannelsInternal.
    pub(crate) fn unsubscribe_all(&mut self, c: &mut Client, kind: Kind, notify: bool) {
        let names = c.subs.list(kind).clone();
        for n in &names {
            self.unsubscribe(c, kind, n, notify);
        }
        if notify && names.is_empty() {
            let mut r = push(c, 3);
            r.bulk(kind.unsubscribe_word());
            r.null();
            r.int(0);
        }
    }

    /// Drop every subscription of a client (RESET, disconnect) without confirmations.
    pub(crate) fn forget_subscriptions(&mut self, c: &mut Client) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            self.unsubscribe_all(c, kind, false);
        }
    }

    /// Deliver `message` on `channel` to local subscribers; `cur` is the client running now (it
    /// is out of the session map and may be a subscriber itself). Returns the receivers.
    /// Ref: pubsub.c pubsubPublishMessageInternal.
    pub(crate) fn publish_local(
        &mut self,
        mut cur: Option<&mut Client>,
        channel: &[u8],
        message: &[u8],
        sharded: bool,
    ) -> usize {
        let kind = if sharded { Kind::Shard } else { Kind::Channel };
        let mut receivers = 0;
        let direct: Vec<ConnId> = self
            .pubsub
            .map_ref(kind)
            .get(channel)
            .cloned()
            .unwrap_or_default();
        let word: &[u8] = if sharded { b"smessage" } else { b"message" };
        for conn in direct {
            receivers += 1;
            self.send_push(cur.as_deref_mut(), conn, |r| {
                r.push_len(3);
                r.bulk(word);
                r.bulk(channel);
                r.bulk(message);
            });
        }
        if sharded {
            return receivers;
        }
        let matching: Vec<(Vec<u8>, Vec<ConnId>)> = self
            .pubsub
            .patterns
            .iter()
            .filter(|(p, _)| glob_match(p, channel, false))
            .map(|(p, v)| (p.clone(), v.clone()))
            .collect();
        for (pattern, conns) in matching {
            for conn in conns {
                receivers += 1;
                self.send_push(cur.as_deref_mut(), conn, |r| {
                    r.push_len(4);
                    r.bulk(b"pmessage");
                    r.bulk(&pattern);
                    r.bulk(channel);
                    r.bulk(message);
                });
            }
        }
        receivers
    }

    /// Write one push to `conn`: into `cur`'s output if it is the running client, else straight
    /// out as its own `Output::Send` (pushes bypass CLIENT REPLY OFF, as in 7.0.15).
    pub(crate) fn send_push(
        &mut self,
        cur: Option<&mut Client>,
        conn: ConnId,
        write: impl FnOnce(&mut Reply<'_>),
    ) {
        if let Some(c) = cur {
            if c.conn == conn {
                write(&mut c.reply());
                return;
            }
        }
        let Some(s) = self.sessions.get_mut(&conn) else {
            return;
        };
        if s.closing {
            return;
        }
        let mut buf = Vec::new();
        write(&mut Reply::new(&mut buf, s.client.proto));
        if !s.client.out.is_empty() {
            // Replies still pending for this client go first (not expected: other clients'
            // replies are flushed after each batch).
            let mut pending = std::mem::take(&mut s.client.out);
            pending.extend_from_slice(&buf);
            buf = pending;
        }
        self.stats.total_net_output_bytes += buf.len() as u64;
        self.stats.total_writes_processed += 1;
        self.outputs.push_back(Output::Send {
            conn,
            data: Bytes::from(buf),
        });
    }

    /// A PUBLISH arrived over the cluster bus: deliver it to this node's subscribers.
    /// Returns the number of receivers.
    pub(crate) fn deliver_publish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        self.publish_local(None, channel, message, false)
    }

    /// An SPUBLISH arrived over the cluster bus: deliver it to this node's shard subscribers.
    pub(crate) fn deliver_spublish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        self.publish_local(None, channel, message, true)
    }

    /// Hook run after PUBLISH/SPUBLISH delivered locally: in cluster mode the message goes out
    /// over the bus (Redis's `clusterPropagatePublish`). A no-op until the bus is wired.
    pub(crate) fn on_publish(&mut self, channel: &[u8], message: &[u8], sharded: bool) {
        self.cluster_on_publish(channel, message, sharded);
    }
}

impl Node {
    /// Publish the keyspace notifications recorded since the last call (Redis's
    /// `notifyKeyspaceEvent` publishes them as the command runs; we publish them right after
    /// it, in the same order). Also hands every database the `notify-keyspace-events` flags in
    /// force, for the `expired` events expiry records outside a command.
    ///
    /// `cur` is the client that ran the command (out of the session map, and maybe subscribed
    /// itself): pushes for it are spliced in at `reply_start`, before its reply, where Redis
    /// writes them. Notifications are local: like Redis, they never cross the cluster bus.
    pub(crate) fn deliver_keyspace_events(&mut self, cur: Option<&mut Client>, reply_start: usize) {
        let flags = self.encoding_limits.notify_keyspace_events;
        let mut events = Vec::new();
        for (i, db) in self.dbs.iter_mut().enumerate() {
            db.set_notify(i, flags);
            events.extend(db.take_events());
        }
        if events.is_empty() {
            return;
        }
        let (mut cur, tail) = match cur {
            Some(c) => {
                let at = reply_start.min(c.out.len());
                let tail = c.out.split_off(at);
                (Some(c), tail)
            }
            None => (None, Vec::new()),
        };
        for ev in events {
            let db = ev.db.to_string();
            if flags & notify::class::KEYSPACE != 0 {
                let mut chan = format!("__keyspace@{db}__:").into_bytes();
                chan.extend_from_slice(&ev.key);
                self.publish_local(cur.as_deref_mut(), &chan, ev.event.as_bytes(), false);
            }
            if flags & notify::class::KEYEVENT != 0 {
                let chan = format!("__keyevent@{db}__:{}", ev.event);
                self.publish_local(cur.as_deref_mut(), chan.as_bytes(), &ev.key, false);
            }
        }
        if let Some(c) = cur {
            c.out.extend_from_slice(&tail);
        }
    }
}
