//! Clients parked by blocking commands (BLPOP, BLMOVE, BZPOPMIN…). Ref: blocked.c (7.0).
//!
//! A keyspace command that must wait sets `ctx.block`; the node then parks the client: its argv is
//! kept (owned), it reads no further requests, and it is indexed by every `(db, key)` it waits on
//! in FIFO order. After a command that wrote (`dirty > 0`) one of those keys, the key is "ready"
//! and the parked commands are run again, oldest first, with `ctx.retrying_blocked`; one that
//! completes is served, one that blocks again keeps its place. At the deadline the client gets the
//! timeout reply. A served or timed-out client resumes its buffered input after the current
//! command (Redis's `unblocked_clients`, processed in `beforeSleep`).
//!
//! Keys are client-chosen, so the indexes are ordered maps: no hasher seed to attack, and a fixed
//! walk order for reproducible runs.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use hashslot_resp::{ErrorReply, Reply};
use hashslot_types::{ConnId, Instant, Now};

use crate::session::Client;
use crate::timers::Timer;
use crate::Node;

/// A parked client's command.
#[derive(Debug, Clone)]
pub(crate) struct Parked {
    /// The command table entry.
    pub idx: usize,
    /// The command's arguments, owned.
    pub argv: Vec<Vec<u8>>,
    /// The database the keys are in.
    pub db: usize,
    /// The keys it waits on (deduplicated, in the order named).
    pub keys: Vec<Vec<u8>>,
    /// When it times out; `None` waits forever.
    pub deadline: Option<Instant>,
}

/// Every parked client of the node.
#[derive(Debug, Default)]
pub(crate) struct Blocking {
    /// `(db, key)` → clients waiting on it, oldest first.
    by_key: BTreeMap<(usize, Vec<u8>), VecDeque<ConnId>>,
    /// The parked command of each blocked client.
    parked: BTreeMap<ConnId, Parked>,
    /// Deadlines, earliest first.
    deadlines: BTreeSet<(Instant, ConnId)>,
    /// Keys written since the last serve, in signal order (Redis's `server.ready_keys`).
    ready: VecDeque<(usize, Vec<u8>)>,
    ready_set: BTreeSet<(usize, Vec<u8>)>,
    /// Clients served or timed out whose buffered input must run (`server.unblocked_clients`).
    pub unblocked: VecDeque<ConnId>,
}

impl Blocking {
    /// `blocked_clients`.
    pub(crate) fn len(&self) -> usize {
        self.parked.len()
    }

    /// Whether anyone waits on `key` in `db`.
    pub(crate) fn has_waiters(&self, db: usize, key: &[u8]) -> bool {
        !self.by_key.is_empty() && self.by_key.contains_key(&(db, key.to_vec()))
    }

    /// The keys with waiters in `db`.
    pub(crate) fn keys_in_db(&self, db: usize) -> Vec<Vec<u8>> {
        self.by_key
            .range((db, Vec::new())..)
            .take_while(|((d, _), _)| *d == db)
            .map(|((_, k), _)| k.clone())
            .collect()
    }

    /// Park `conn`. Ref: blocked.c blockForKeys.
    pub(crate) fn park(&mut self, conn: ConnId, mut p: Parked) {
        let mut seen = BTreeSet::new();
        p.keys.retain(|k| seen.insert(k.clone()));
        for k in &p.keys {
            self.by_key
                .entry((p.db, k.clone()))
                .or_default()
                .push_back(conn);
        }
        if let Some(d) = p.deadline {
            self.deadlines.insert((d, conn));
        }
        self.parked.insert(conn, p);
    }

    /// Unpark `conn`, returning its command. Ref: blocked.c unblockClientWaitingData.
    pub(crate) fn unpark(&mut self, conn: ConnId) -> Option<Parked> {
        let p = self.parked.remove(&conn)?;
        for k in &p.keys {
            let idx = (p.db, k.clone());
            if let Some(q) = self.by_key.get_mut(&idx) {
                q.retain(|c| *c != conn);
                if q.is_empty() {
                    self.by_key.remove(&idx);
                }
            }
        }
        if let Some(d) = p.deadline {
            self.deadlines.remove(&(d, conn));
        }
        Some(p)
    }

    /// A command wrote `key` in `db`: queue it if someone waits on it (`signalKeyAsReady`).
    pub(crate) fn signal(&mut self, db: usize, key: &[u8]) {
        if !self.has_waiters(db, key) {
            return;
        }
        let k = (db, key.to_vec());
        if self.ready_set.insert(k.clone()) {
            self.ready.push_back(k);
        }
    }

    /// Parked clients with a deadline (`clients_in_timeout_table`).
    pub(crate) fn timed(&self) -> usize {
        self.deadlines.len()
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(d, _)| *d)
    }

    /// Clients whose deadline is at or before `now`, earliest first.
    pub(crate) fn expired(&self, now: Instant) -> Vec<ConnId> {
        self.deadlines
            .iter()
            .take_while(|(d, _)| *d <= now)
            .map(|(_, c)| *c)
            .collect()
    }
}

/// The reply of blocking command `name` that timed out (or was CLIENT UNBLOCKed with TIMEOUT).
/// Ref: blocked.c replyToBlockedClientTimedOut: a null array for every list and sorted-set
/// command, BLMOVE and BRPOPLPUSH included (checked against redis-server 7.0.15); the keyspace
/// owns the text.
pub(crate) fn timeout_reply(name: &[u8], r: &mut Reply<'_>) {
    hashslot_keyspace::timeout_reply(name, r);
}

impl Node {
    /// Park `client`, whose command `idx` asked to block with `args`.
    pub(crate) fn park_client(
        &mut self,
        now: Now,
        client: &mut Client,
        idx: usize,
        args: &[&[u8]],
        block: hashslot_keyspace::BlockOn,
    ) {
        let deadline = block.deadline.map(|d| {
            let ms = d.0.saturating_sub(now.wall.0).max(0) as u64;
            now.mono + std::time::Duration::from_millis(ms)
        });
        let parked = Parked {
            idx,
            argv: block
                .argv
                .unwrap_or_else(|| args.iter().map(|a| a.to_vec()).collect()),
            db: client.db,
            keys: block.keys,
            deadline,
        };
        client.blocked_on_keys = true;
        self.blocking.park(client.conn, parked);
        self.rearm_blocked_timer();
    }

    /// Point `Timer::Blocked` at the earliest parked deadline.
    pub(crate) fn rearm_blocked_timer(&mut self) {
        match self.blocking.next_deadline() {
            Some(d) => self.timers.set(Timer::Blocked, d),
            None => self.timers.clear(Timer::Blocked),
        }
    }

    /// A command wrote `key` in `db`.
    pub(crate) fn signal_key_ready(&mut self, db: usize, key: &[u8]) {
        self.blocking.signal(db, key);
    }

    /// Serve the clients waiting on keys written since the last call, until no key is ready
    /// (serving BLMOVE writes its destination, which may make more keys ready).
    /// Ref: blocked.c handleClientsBlockedOnKeys.
    pub(crate) fn serve_ready_keys(&mut self, now: Now) {
        if self.blocking.ready.is_empty() {
            return;
        }
        while let Some(k) = self.blocking.ready.pop_front() {
            self.blocking.ready_set.remove(&k);
            let (db, key) = k;
            let waiters: Vec<ConnId> = match self.blocking.by_key.get(&(db, key.clone())) {
                Some(q) => q.iter().copied().collect(),
                None => continue,
            };
            for conn in waiters {
                let live = self
                    .dbs
                    .get(db)
                    .is_some_and(|d| d.contains_key_raw(&key) && !d.is_expired(&key, now.wall));
                if !live {
                    break;
                }
                self.retry_parked(now, conn);
            }
        }
        self.rearm_blocked_timer();
    }

    /// Run `conn`'s parked command again; it is served unless it blocks again.
    fn retry_parked(&mut self, now: Now, conn: ConnId) {
        let Some(p) = self.blocking.parked.get(&conn).cloned() else {
            return;
        };
        // A client that is running right now (out of the map) cannot be parked; be safe.
        let Some(mut sess) = self.sessions.remove(&conn) else {
            return;
        };
        if sess.closing {
            // Killed or timed out while waiting: it is not served, and goes at `handle_closed`.
            self.sessions.insert(conn, sess);
            return;
        }
        let start = sess.client.out.len();
        let args: Vec<&[u8]> = p.argv.iter().map(|a| a.as_slice()).collect();
        let outcome = self.run_keyspace(now, &mut sess.client, p.idx, &args, true);
        if outcome.blocked {
            // Still waiting: keep its place in every queue and its original deadline.
            sess.client.out.truncate(start);
        } else {
            self.blocking.unpark(conn);
            sess.client.blocked_on_keys = false;
            if outcome.failed {
                self.cmd_stats[p.idx].failed_calls += 1;
            }
            self.after_reply(&mut sess.client, start);
            self.flush(&mut sess);
            self.blocking.unblocked.push_back(conn);
        }
        self.sessions.insert(conn, sess);
    }

    /// Reply to the parked clients whose deadline passed (`Timer::Blocked`).
    pub(crate) fn blocked_timeouts(&mut self, now: Now) {
        for conn in self.blocking.expired(now.mono) {
            self.unblock_with(conn, None);
        }
        self.rearm_blocked_timer();
    }

    /// Unblock `conn` with the timeout reply, or with `err`; returns whether it was parked.
    /// The caller re-arms the timer.
    pub(crate) fn unblock_with(&mut self, conn: ConnId, err: Option<&ErrorReply>) -> bool {
        let Some(p) = self.blocking.unpark(conn) else {
            return false;
        };
        if let Some(mut sess) = self.sessions.remove(&conn) {
            sess.client.blocked_on_keys = false;
            let start = sess.client.out.len();
            match err {
                Some(e) => sess.client.reply().error(e),
                None => timeout_reply(&p.argv[0], &mut sess.client.reply()),
            }
            self.after_reply(&mut sess.client, start);
            self.flush(&mut sess);
            self.sessions.insert(conn, sess);
        }
        self.blocking.unblocked.push_back(conn);
        true
    }

    /// Run the buffered input of clients unblocked since the last call.
    /// Ref: blocked.c processUnblockedClients.
    pub(crate) fn process_unblocked(&mut self, now: Now) {
        while let Some(conn) = self.blocking.unblocked.pop_front() {
            let Some(mut sess) = self.sessions.remove(&conn) else {
                continue;
            };
            if !sess.closing && !sess.client.is_waiting() && !self.shutting_down {
                self.consume(now, &mut sess, &[]);
            }
            self.sessions.insert(conn, sess);
        }
    }

    /// Release, with the error a new command would get, the clients blocked on keys whose slot
    /// this node no longer serves: the slot moved to another master (`-MOVED`), became
    /// unassigned (`-CLUSTERDOWN Hash slot not served`), or the cluster is down (`-CLUSTERDOWN
    /// The cluster is down`, even when reads are allowed: only a write could serve them).
    /// Slots being imported keep their clients. Without this a BLPOP on a slot that moved
    /// would wait for a push that can never come here.
    /// Ref: cluster.c clusterRedirectBlockedClientIfNeeded, called for blocked clients by
    /// clientsCron (7.0).
    pub(crate) fn redirect_blocked_clients(&mut self) {
        if self.blocking.len() == 0 {
            return;
        }
        let Some(cm) = self.cluster.as_ref() else {
            return;
        };
        let view = cm
            .cluster
            .route_view(cm.allow_reads_when_down, cm.allow_pubsubshard_when_down);
        let map = cm.cluster.slot_map();
        let mut released = Vec::new();
        for (&conn, p) in &self.blocking.parked {
            // A blocked client's keys all share a slot: the first one tells.
            let Some(key) = p.keys.first() else { continue };
            let readonly = self.sessions.get(&conn).is_some_and(|s| s.client.readonly);
            let write = self.table.entries[p.idx].flags & hashslot_keyspace::flags::WRITE != 0;
            let Some(route) = hashslot_slots::route_blocked(map, &view, key, readonly, write)
            else {
                continue;
            };
            if let Some(e) = route.to_error_reply(|n| {
                let (ip, port) = cm.cluster.endpoint(n);
                (ip.to_owned(), port)
            }) {
                released.push((conn, e));
            }
        }
        if released.is_empty() {
            return;
        }
        for (conn, e) in released {
            self.unblock_with(conn, Some(&e));
        }
        self.rearm_blocked_timer();
    }

    /// Forget a parked client that disconnected.
    pub(crate) fn forget_blocked(&mut self, conn: ConnId) {
        if self.blocking.unpark(conn).is_some() {
            self.rearm_blocked_timer();
        }
    }
}
