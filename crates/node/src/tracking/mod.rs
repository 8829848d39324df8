//! Client-side caching (Redis 7.0 `CLIENT TRACKING`): which clients may cache which keys, and
//! the invalidation messages sent when those keys change. Ref: tracking.c and the tracking parts
//! of networking.c / server.c (7.0.15).
//!
//! - Default mode: the keys a tracking client reads with a read-only command go into the
//!   [`table::KeyTable`]; when such a key changes (a write, expiry, eviction from the table) each
//!   client that read it gets one `invalidate` message and the key leaves the table, until read
//!   again. OPTIN/OPTOUT with `CLIENT CACHING` choose which reads count; NOLOOP leaves out the
//!   client's own writes.
//! - Broadcasting mode (BCAST): clients subscribe to prefixes ([`prefix::PrefixTable`]); every
//!   modified key under a prefix is sent to them in one array per prefix, once per event-loop
//!   turn (Redis's `beforeSleep`; here when the driver drains the outputs of an input).
//! - A RESP3 client gets `>2 invalidate <keys>` pushes; a RESP2 client must redirect them to a
//!   client subscribed (in RESP2) to a channel, which gets them as `message
//!   __redis__:invalidate <keys>`. FLUSHDB/FLUSHALL send a null instead of keys.
//!
//! State: each client's flags live on its [`crate::session::Client`] ([`ClientTracking`]); the
//! node keeps the tables, an index of the tracking clients by id, and — while a command runs —
//! who runs it: an invalidation for the running client waits until its reply is written (and
//! after a whole EXEC), as Redis's `tracking_pending_keys` do.

mod command;
mod prefix;
mod send;
mod table;

use std::collections::{BTreeMap, BTreeSet};

use hashslot_keyspace::flags;
use hashslot_resp::Proto;
use hashslot_types::{ConnId, Rng};

pub(crate) use command::{caching, getredir, tracking, trackinginfo};

use crate::session::Client;
use crate::Node;

/// A client's tracking flags and settings (Redis's `CLIENT_TRACKING*` flags,
/// `client_tracking_redirection`, `client_tracking_prefixes`).
#[derive(Debug, Default, Clone)]
pub(crate) struct ClientTracking {
    /// `CLIENT_TRACKING` (flag `t`).
    pub on: bool,
    /// `CLIENT_TRACKING_BCAST` (flag `B`).
    pub bcast: bool,
    /// `CLIENT_TRACKING_OPTIN`.
    pub optin: bool,
    /// `CLIENT_TRACKING_OPTOUT`.
    pub optout: bool,
    /// `CLIENT_TRACKING_CACHING`: `CLIENT CACHING yes|no` for the next command (or transaction).
    pub caching: bool,
    /// `CLIENT_TRACKING_NOLOOP`.
    pub noloop: bool,
    /// `CLIENT_TRACKING_BROKEN_REDIR` (flag `R`): the redirect target is gone.
    pub broken_redir: bool,
    /// The client id messages are redirected to (0: none).
    pub redirect: u64,
    /// The connection of the redirect target when it was set (looked up again, with its id
    /// checked, on every message).
    redirect_conn: Option<ConnId>,
    /// Subscribed prefixes, in byte order; present from the first BCAST enable until off.
    prefixes: Option<BTreeSet<Vec<u8>>>,
}

impl ClientTracking {
    /// `redir=` of CLIENT LIST: the redirect id while tracking, else -1.
    pub(crate) fn redir_field(&self) -> i64 {
        if self.on {
            self.redirect as i64
        } else {
            -1
        }
    }
}

/// A tracking client in the node's index.
#[derive(Debug, Clone, Copy)]
struct Registered {
    conn: ConnId,
    bcast: bool,
    noloop: bool,
}

/// The client running a command now (Redis's `server.current_client`).
#[derive(Debug, Clone, Copy)]
struct Current {
    id: u64,
    proto: Proto,
    /// In RESP2 pub/sub mode.
    pubsub: bool,
    /// Where the reply of its next call starts in its output: messages Redis writes to it
    /// while a call runs (as a redirect target) go there, before that call's reply (inside
    /// EXEC's array for a queued command, as in Redis).
    reply_start: usize,
    /// EXEC's array header is still to be stepped over before its first queued command's reply.
    exec_header: bool,
}

/// An invalidation for the running client, sent after its reply.
#[derive(Debug)]
enum Pending {
    Key(Vec<u8>),
    /// FLUSHDB/FLUSHALL: everything.
    Flush,
}

/// The node's tracking state. Ref: tracking.c globals, `server.tracking_clients`,
/// `server.tracking_pending_keys`.
#[derive(Debug)]
pub(crate) struct Tracking {
    /// Some client enabled tracking once (Redis creates its tables then, and never frees them):
    /// until then, no hook does anything.
    ever: bool,
    table: table::KeyTable,
    prefixes: prefix::PrefixTable,
    /// Clients with tracking on, by id (`tracking_clients`; Redis's `lookupClientByID`).
    clients: BTreeMap<u64, Registered>,
    current: Option<Current>,
    /// Invalidations for the running client, sent after its command.
    pending: Vec<Pending>,
    /// Messages for the running client as a redirect target, written before its reply.
    early: Vec<u8>,
    /// The key table may be over `tracking-table-max-keys`: check before the next sleep.
    limit_check: bool,
    /// Rounds that ended still over the limit (Redis's `timeout_counter`: more effort each).
    limit_rounds: u32,
    /// `tracking-table-max-keys` as last read, with the configuration generation it was read at.
    max_keys: Option<(u64, usize)>,
    /// Picks the keys evicted from a full table.
    rng: Rng,
    /// The argument positions of the running DEL/UNLINK whose keys did not exist when it
    /// started: it deletes nothing there, so it signals nothing (see `tracking_before_write`).
    pub(crate) not_deleted: Vec<usize>,
}

impl Tracking {
    /// An empty state; `rng` picks keys to evict from a full table.
    pub(crate) fn new(rng: Rng) -> Self {
        Tracking {
            ever: false,
            table: table::KeyTable::default(),
            prefixes: prefix::PrefixTable::default(),
            clients: BTreeMap::new(),
            current: None,
            pending: Vec::new(),
            early: Vec::new(),
            limit_check: false,
            limit_rounds: 0,
            max_keys: None,
            rng,
            not_deleted: Vec::new(),
        }
    }

    /// `tracking_clients` of INFO.
    pub(crate) fn clients(&self) -> usize {
        self.clients.len()
    }

    /// `tracking_total_keys` of INFO.
    pub(crate) fn total_keys(&self) -> usize {
        self.table.len()
    }

    /// `tracking_total_items` of INFO.
    pub(crate) fn total_items(&self) -> u64 {
        self.table.items()
    }

    /// `tracking_total_prefixes` of INFO.
    pub(crate) fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }
}

/// Store commands modify only their destination key (Redis signals that one alone): the
/// position of the keys they modify, when not all their keys.
fn modified_keys(name: &str, args: &[&[u8]], all: &mut Vec<usize>) {
    let dest = match name {
        "copy" | "bitop" => Some(2),
        "sinterstore" | "sunionstore" | "sdiffstore" | "zunionstore" | "zinterstore"
        | "zdiffstore" | "zrangestore" | "pfmerge" | "geosearchstore" => Some(1),
        // The source comes first; STORE/STOREDIST keys after it.
        "sort" | "georadius" | "georadiusbymember" if all.len() > 1 => {
            all.remove(0);
            None
        }
        _ => None,
    };
    if let Some(p) = dest.filter(|&p| p < args.len()) {
        all.clear();
        all.push(p);
    }
}

impl Node {
    /// A client's request starts running (hook of `execute`): it is the current client.
    pub(crate) fn tracking_before_command(&mut self, c: &Client) {
        if !self.tracking.ever {
            return;
        }
        self.tracking.current = Some(Current {
            id: c.id,
            proto: c.proto,
            pubsub: c.subs.any(),
            reply_start: c.out.len(),
            exec_header: true,
        });
    }

    /// A client's request ran and its reply is written (hook of `execute`): send what waited
    /// for it, and drop `CLIENT CACHING` after the command it was for. Ref: server.c
    /// afterCommand / trackingHandlePendingKeyInvalidations, networking.c resetClient, and
    /// clearClientConnectionState for RESET.
    pub(crate) fn tracking_after_command(&mut self, c: &mut Client, args: &[&[u8]]) {
        if !self.tracking.ever {
            return;
        }
        let cur = self.tracking.current.take();
        let early = std::mem::take(&mut self.tracking.early);
        if !early.is_empty() {
            let at = cur.map_or(c.out.len(), |k| k.reply_start.min(c.out.len()));
            c.out.splice(at..at, early);
        }
        for p in std::mem::take(&mut self.tracking.pending) {
            match p {
                Pending::Key(k) => {
                    self.send_tracking_message(Some(c), None, send::Payload::Key(&k))
                }
                Pending::Flush => self.send_tracking_message(Some(c), None, send::Payload::Null),
            }
        }
        if c.tracking.caching && c.multi.is_none() && !is_client_command(self, args) {
            c.tracking.caching = false;
        }
        if args.len() == 1 && args[0].eq_ignore_ascii_case(b"reset") {
            self.tracking_disable(c);
        }
        if args[0].eq_ignore_ascii_case(b"config") {
            // CONFIG SET tracking-table-max-keys may have lowered the limit.
            self.tracking.limit_check = true;
        }
    }

    /// Command `idx` ran for `c` (hook of `call`, so each command of an EXEC too): a read-only
    /// command of a client tracking in the default mode remembers the keys it read.
    /// Ref: server.c call / tracking.c trackingRememberKeys.
    pub(crate) fn tracking_after_call(&mut self, c: &mut Client, idx: usize, args: &[&[u8]]) {
        if let Some(cur) = self.tracking.current.as_mut().filter(|k| k.id == c.id) {
            if c.in_exec && std::mem::take(&mut cur.exec_header) {
                // The first queued command's reply follows EXEC's `*<n>\r\n`.
                let from = cur.reply_start.min(c.out.len());
                if let Some(n) = c.out[from..].windows(2).position(|w| w == b"\r\n") {
                    cur.reply_start = from + n + 2;
                }
            }
            let early = std::mem::take(&mut self.tracking.early);
            if !early.is_empty() {
                let at = cur.reply_start.min(c.out.len());
                c.out.splice(at..at, early);
            }
            cur.reply_start = c.out.len();
        }
        if self.tracking.ever && is_flush(self.table.entries[idx].name, args) {
            // Redis signals a flush even of empty databases (which change nothing here).
            self.tracking_flushed();
        }
        let t = &c.tracking;
        if !t.on || t.bcast {
            return;
        }
        let f = self.table.entries[idx].flags;
        if f & flags::READONLY == 0 || f & flags::PUBSUB != 0 {
            return;
        }
        if (t.optin && !t.caching) || (t.optout && t.caching) {
            return;
        }
        let mut pos = Vec::new();
        self.table.key_positions(idx, args, &mut pos);
        for p in &pos {
            self.tracking.table.remember(args[*p], c.id);
        }
        if !pos.is_empty() {
            self.tracking.limit_check = true;
        }
    }

    /// A write command `idx` is about to run on database `db` (hook of `run_keyspace`): note
    /// the keys a DEL/UNLINK will not delete, because they do not exist (or have expired: the
    /// expiry deletes those and signals them itself). Redis's `delGenericCommand` signals only
    /// the keys it deleted.
    pub(crate) fn tracking_before_write(
        &mut self,
        now: hashslot_types::Now,
        db: usize,
        idx: usize,
        args: &[&[u8]],
    ) {
        self.tracking.not_deleted.clear();
        // WATCH follows the same rule (`touchWatchedKey` comes from the same signal).
        let listens = self.tracking.ever || !self.watches.is_empty();
        if !listens || !matches!(self.table.entries[idx].name, "del" | "unlink") {
            return;
        }
        let Some(d) = self.dbs.get(db) else {
            return;
        };
        for (p, key) in args.iter().enumerate().skip(1) {
            if !d.contains_key_raw(key) || d.is_expired(key, now.wall) {
                self.tracking.not_deleted.push(p);
            }
        }
    }

    /// A write command `idx` changed the dataset (hook of `after_write`): invalidate the keys
    /// it modified (Redis's `signalModifiedKey`). FLUSHDB/FLUSHALL (`signalFlushedDb`) are
    /// handled after the call, changes or not; SWAPDB invalidates nothing in Redis 7.0.
    pub(crate) fn tracking_after_write(&mut self, idx: usize, args: &[&[u8]]) {
        if !self.tracking.ever {
            return;
        }
        let name = self.table.entries[idx].name;
        match name {
            "flushdb" | "flushall" | "swapdb" => return,
            _ => {}
        }
        let mut pos = Vec::new();
        self.table.key_positions(idx, args, &mut pos);
        modified_keys(name, args, &mut pos);
        let not_deleted = &self.tracking.not_deleted;
        if matches!(name, "del" | "unlink") {
            pos.retain(|p| !not_deleted.contains(p));
        }
        let modifier = self.tracking.current.map(|c| c.id);
        for p in pos {
            self.invalidate_key(args[p], modifier, true);
        }
    }

    /// Keys deleted because their TTL passed (hook of `drain_expired`): Redis signals each with
    /// no client (`deleteExpiredKeyAndPropagate`).
    pub(crate) fn tracking_keys_deleted(&mut self, keys: &[Vec<u8>]) {
        if !self.tracking.ever {
            return;
        }
        for k in keys {
            self.invalidate_key(k, None, true);
        }
    }

    /// Every database was emptied (FLUSHDB, FLUSHALL, a replica's full sync): every tracking
    /// client gets a null ("everything"), and the key table is emptied.
    /// Ref: tracking.c trackingInvalidateKeysOnFlush.
    pub(crate) fn tracking_flushed(&mut self) {
        if !self.tracking.ever {
            return;
        }
        let cur = self.tracking.current.map(|c| c.id);
        let clients: Vec<(u64, ConnId)> = self
            .tracking
            .clients
            .iter()
            .map(|(id, r)| (*id, r.conn))
            .collect();
        for (id, conn) in clients {
            if Some(id) == cur {
                self.tracking.pending.push(Pending::Flush);
            } else {
                self.send_tracking_message(None, Some((id, conn)), send::Payload::Null);
            }
        }
        self.tracking.table.clear();
    }

    /// The server is closing `conn` (CLIENT KILL): Redis frees the client inside the
    /// command, so its tracking ends now (INFO's `tracking_clients` no longer counts it), not
    /// when the driver reports the connection closed.
    pub(crate) fn tracking_client_killed(&mut self, conn: ConnId) {
        if !self.tracking.ever {
            return;
        }
        if let Some(s) = self.sessions.get_mut(&conn) {
            disable(&mut self.tracking, &mut s.client);
        }
    }

    /// A client's connection closed (hook of `handle_closed`): its tracking ends. Its ids stay
    /// in the key table until the keys change, as in Redis.
    pub(crate) fn tracking_closed(&mut self, c: &mut Client) {
        if self.tracking.ever {
            self.tracking_disable(c);
        }
    }

    /// Work Redis does before sleeping and in its cron (hook of `poll_output`): evict keys over
    /// `tracking-table-max-keys`, then broadcast to BCAST clients the keys modified since.
    pub(crate) fn tracking_before_sleep(&mut self) {
        if self.tracking.limit_check {
            self.tracking_limit();
        }
        if self.tracking.prefixes.has_pending() {
            self.tracking_broadcast();
        }
    }

    /// Redis's `disableTracking`.
    pub(crate) fn tracking_disable(&mut self, c: &mut Client) {
        disable(&mut self.tracking, c);
    }

    /// Key `key` changed (`modifier`: the client that changed it): note it for BCAST (when
    /// `bcast`), and send every default-mode client that read it an invalidation.
    /// Ref: tracking.c trackingInvalidateKey.
    fn invalidate_key(&mut self, key: &[u8], modifier: Option<u64>, bcast: bool) {
        if bcast && self.tracking.prefixes.len() > 0 {
            self.tracking.prefixes.note_modified(key, modifier);
        }
        let Some(ids) = self.tracking.table.take(key) else {
            return;
        };
        let cur = self.tracking.current.map(|c| c.id);
        for id in ids {
            let Some(reg) = self.tracking.clients.get(&id).copied() else {
                continue;
            };
            if reg.bcast || (reg.noloop && Some(id) == cur) {
                continue;
            }
            if Some(id) == cur {
                self.tracking.pending.push(Pending::Key(key.to_vec()));
            } else {
                self.send_tracking_message(None, Some((id, reg.conn)), send::Payload::Key(key));
            }
        }
    }

    /// Redis's `trackingLimitUsedSlots`: over `tracking-table-max-keys` (0: no limit), evict
    /// random keys, telling their readers as if they changed, with more effort each round that
    /// ends still over.
    fn tracking_limit(&mut self) {
        self.tracking.limit_check = false;
        if self.tracking.clients.is_empty() {
            return;
        }
        let generation = self.config.generation();
        let max = match self.tracking.max_keys {
            Some((g, m)) if g == generation => m,
            _ => {
                let m: usize = self
                    .config
                    .get("tracking-table-max-keys")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                self.tracking.max_keys = Some((generation, m));
                m
            }
        };
        if max == 0 || self.tracking.table.len() <= max {
            self.tracking.limit_rounds = 0;
            return;
        }
        let mut effort = 100 * (u64::from(self.tracking.limit_rounds) + 1);
        while effort > 0 {
            effort -= 1;
            let Some(key) = self.tracking.table.random_key(&mut self.tracking.rng) else {
                break;
            };
            self.invalidate_key(&key, None, false);
            if self.tracking.table.len() <= max {
                self.tracking.limit_rounds = 0;
                return;
            }
        }
        self.tracking.limit_rounds = self.tracking.limit_rounds.saturating_add(1);
        self.tracking.limit_check = true;
    }

    /// Redis's `trackingBroadcastInvalidationMessages`: each prefix's modified keys to each of
    /// its clients, without the keys a NOLOOP client modified itself.
    fn tracking_broadcast(&mut self) {
        for batch in self.tracking.prefixes.take_batches() {
            let all = prefix::broadcast_reply(&batch.keys, None);
            for id in batch.clients {
                let Some(reg) = self.tracking.clients.get(&id).copied() else {
                    continue;
                };
                let adhoc;
                let proto = if reg.noloop {
                    adhoc = prefix::broadcast_reply(&batch.keys, Some(id));
                    adhoc.as_deref()
                } else {
                    all.as_deref()
                };
                if let Some(p) = proto {
                    self.send_tracking_message(None, Some((id, reg.conn)), send::Payload::Proto(p));
                }
            }
        }
    }
}

/// Redis's `disableTracking`, on the tracking state alone (so a client still in the session
/// table can be disabled in place).
fn disable(tracking: &mut Tracking, c: &mut Client) {
    if c.tracking.bcast {
        for p in c.tracking.prefixes.take().unwrap_or_default() {
            tracking.prefixes.unsubscribe(&p, c.id);
        }
    }
    if c.tracking.on {
        tracking.clients.remove(&c.id);
        let t = &mut c.tracking;
        t.on = false;
        t.broken_redir = false;
        t.bcast = false;
        t.optin = false;
        t.optout = false;
        t.caching = false;
        t.noloop = false;
    }
}

/// Whether `name` with `args` is a FLUSHDB/FLUSHALL that flushes (its only arguments are
/// `ASYNC`/`SYNC`; Ref: db.c getFlushCommandFlags).
fn is_flush(name: &str, args: &[&[u8]]) -> bool {
    matches!(name, "flushdb" | "flushall")
        && match args {
            [_] => true,
            [_, a] => a.eq_ignore_ascii_case(b"async") || a.eq_ignore_ascii_case(b"sync"),
            _ => false,
        }
}

/// Whether `args` name a CLIENT subcommand (Redis keeps `CLIENT CACHING` across those:
/// `prevcmd != clientCommand`).
fn is_client_command(node: &Node, args: &[&[u8]]) -> bool {
    matches!(
        node.table.lookup(args),
        crate::table::Lookup::Found(i) if node.table.entries[i].name.starts_with("client|")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modified(name: &str, args: &[&[u8]], all: &[usize]) -> Vec<usize> {
        let mut v = all.to_vec();
        modified_keys(name, args, &mut v);
        v
    }

    #[test]
    fn store_commands_modify_their_destination_only() {
        let copy: &[&[u8]] = &[b"COPY", b"src", b"dst"];
        assert_eq!(modified("copy", copy, &[1, 2]), vec![2]);
        let store: &[&[u8]] = &[b"SUNIONSTORE", b"dst", b"a", b"b"];
        assert_eq!(modified("sunionstore", store, &[1, 2, 3]), vec![1]);
        let bitop: &[&[u8]] = &[b"BITOP", b"AND", b"dst", b"a"];
        assert_eq!(modified("bitop", bitop, &[2, 3]), vec![2]);
        let sort: &[&[u8]] = &[b"SORT", b"src", b"STORE", b"dst"];
        assert_eq!(modified("sort", sort, &[1, 3]), vec![3]);
        let mset: &[&[u8]] = &[b"MSET", b"a", b"1", b"b", b"2"];
        assert_eq!(modified("mset", mset, &[1, 3]), vec![1, 3]);
    }

    #[test]
    fn flush_needs_valid_arguments() {
        assert!(is_flush("flushall", &[b"FLUSHALL"]));
        assert!(is_flush("flushdb", &[b"FLUSHDB", b"async"]));
        assert!(!is_flush("flushdb", &[b"FLUSHDB", b"later"]));
        assert!(!is_flush("flushall", &[b"FLUSHALL", b"SYNC", b"x"]));
        assert!(!is_flush("del", &[b"DEL"]));
    }
}
