//! MULTI/EXEC state and WATCH: the queued commands of a client in a transaction, and the
//! node-wide index of watched keys. Ref: multi.c (7.0).
//!
//! Watched keys are indexed by `(db, key)` in a `BTreeMap`: the keys are client-chosen, and an
//! ordered map needs no hasher seed to resist collisions and walks in a fixed order, so two runs of
//! one seed mark the same clients in the same order.

use std::collections::BTreeMap;

use hashslot_keyspace::Db;
use hashslot_types::{ConnId, UnixMillis};

/// One command queued between MULTI and EXEC: the table entry and an owned copy of its argv.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    /// The command table entry.
    pub idx: usize,
    /// The arguments, name included.
    pub argv: Vec<Vec<u8>>,
}

/// A client's transaction (Redis's `mstate` plus the `CLIENT_MULTI`/`CLIENT_DIRTY_EXEC` flags).
#[derive(Debug, Default)]
pub(crate) struct MultiState {
    /// Commands to run at EXEC, in order.
    pub queued: Vec<Queued>,
    /// An error while queueing (`CLIENT_DIRTY_EXEC`): EXEC replies EXECABORT.
    pub flagged: bool,
    /// Bytes of the queued argvs plus a pointer per argument (`multi-mem`).
    pub mem: usize,
}

impl MultiState {
    /// Queue a command (nothing is kept once the transaction is already doomed, as Redis does).
    pub(crate) fn queue(&mut self, idx: usize, args: &[&[u8]], watch_dirty: bool) {
        if self.flagged || watch_dirty {
            return;
        }
        self.mem += args.iter().map(|a| a.len() + 8).sum::<usize>();
        self.queued.push(Queued {
            idx,
            argv: args.iter().map(|a| a.to_vec()).collect(),
        });
    }
}

/// One key a client watches.
#[derive(Debug, Clone)]
struct WatchedKey {
    db: usize,
    key: Vec<u8>,
    /// The key was already logically expired when WATCH ran (7.0's `watchedKey.expired`).
    expired: bool,
}

/// What one client watches.
#[derive(Debug, Default)]
struct ClientWatch {
    keys: Vec<WatchedKey>,
    /// A watched key was touched (`CLIENT_DIRTY_CAS`).
    dirty: bool,
}

/// Every watched key of the node.
#[derive(Debug, Default)]
pub(crate) struct Watches {
    /// `(db, key)` → watching clients, in WATCH order.
    by_key: BTreeMap<(usize, Vec<u8>), Vec<ConnId>>,
    by_client: BTreeMap<ConnId, ClientWatch>,
}

impl Watches {
    /// Whether no key is watched at all (the fast path of every write).
    pub(crate) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether `conn`'s watch was touched (`CLIENT_DIRTY_CAS`).
    pub(crate) fn is_dirty(&self, conn: ConnId) -> bool {
        self.by_client.get(&conn).is_some_and(|w| w.dirty)
    }

    /// WATCH `key` in `db` for `conn`. Ref: multi.c watchForKey.
    pub(crate) fn watch(
        &mut self,
        conn: ConnId,
        db: usize,
        key: &[u8],
        dbs: &[Db],
        now: UnixMillis,
    ) {
        let cw = self.by_client.entry(conn).or_default();
        if cw.keys.iter().any(|w| w.db == db && w.key == key) {
            return;
        }
        cw.keys.push(WatchedKey {
            db,
            key: key.to_vec(),
            expired: dbs[db].is_expired(key, now),
        });
        self.by_key
            .entry((db, key.to_vec()))
            .or_default()
            .push(conn);
    }

    /// UNWATCH: forget every key of `conn` and its dirty flag.
    pub(crate) fn unwatch_all(&mut self, conn: ConnId) {
        let Some(cw) = self.by_client.remove(&conn) else {
            return;
        };
        for w in cw.keys {
            let k = (w.db, w.key);
            if let Some(v) = self.by_key.get_mut(&k) {
                v.retain(|c| *c != conn);
                if v.is_empty() {
                    self.by_key.remove(&k);
                }
            }
        }
    }

    /// Mark `conn` dirty and drop its keys: it cannot become clean again before EXEC/UNWATCH.
    fn mark_dirty(&mut self, conn: ConnId) {
        self.unwatch_all(conn);
        self.by_client.insert(
            conn,
            ClientWatch {
                keys: Vec::new(),
                dirty: true,
            },
        );
    }

    /// A command changed `key` in `db` (Redis's `touchWatchedKey`, from `signalModifiedKey`).
    /// A watcher that saw the key already expired is not marked while the key is still expired
    /// or gone: logically nothing changed for it.
    pub(crate) fn touch(&mut self, db: usize, key: &[u8], dbs: &[Db], now: UnixMillis) {
        let Some(conns) = self.by_key.get(&(db, key.to_vec())).cloned() else {
            return;
        };
        for conn in conns {
            let Some(cw) = self.by_client.get_mut(&conn) else {
                continue;
            };
            let Some(w) = cw.keys.iter_mut().find(|w| w.db == db && w.key == key) else {
                continue;
            };
            if w.expired {
                if !dbs[db].contains_key_raw(key) {
                    // Ref: 7.0: "Already expired key is deleted, so logically no change."
                    w.expired = false;
                    continue;
                }
                if dbs[db].is_expired(key, now) {
                    continue;
                }
            }
            self.mark_dirty(conn);
        }
    }

    /// Expiry deleted `key` in `db` (lazily or actively): watchers that saw it live are marked,
    /// watchers that saw it already expired are cleared (Redis's `deleteExpiredKeyAndPropagate`
    /// signals the key; `touchWatchedKey` then finds it deleted).
    pub(crate) fn expired(&mut self, db: usize, key: &[u8]) {
        let Some(conns) = self.by_key.get(&(db, key.to_vec())).cloned() else {
            return;
        };
        for conn in conns {
            let Some(cw) = self.by_client.get_mut(&conn) else {
                continue;
            };
            let Some(w) = cw.keys.iter_mut().find(|w| w.db == db && w.key == key) else {
                continue;
            };
            if w.expired {
                w.expired = false;
            } else {
                self.mark_dirty(conn);
            }
        }
    }

    /// The `(db, key)` pairs watched in `db`, for FLUSHDB/FLUSHALL/SWAPDB.
    pub(crate) fn keys_in_db(&self, db: usize) -> Vec<Vec<u8>> {
        self.by_key
            .range((db, Vec::new())..)
            .take_while(|((d, _), _)| *d == db)
            .map(|((_, k), _)| k.clone())
            .collect()
    }

    /// Redis's `touchAllWatchedKeysInDb(emptied, replaced_with)`, evaluated by the caller:
    /// `existed` says whether the key was in the emptied db, `replaced` whether it is in the db's
    /// new contents and whether it is expired there (SWAPDB; `None` for FLUSHDB/FLUSHALL).
    pub(crate) fn db_replaced(
        &mut self,
        db: usize,
        key: &[u8],
        existed: bool,
        replaced: Option<(bool, bool)>,
    ) {
        let (in_new, new_expired) = replaced.unwrap_or((false, false));
        if !existed && !in_new {
            return;
        }
        let Some(conns) = self.by_key.get(&(db, key.to_vec())).cloned() else {
            return;
        };
        for conn in conns {
            let Some(cw) = self.by_client.get_mut(&conn) else {
                continue;
            };
            let Some(w) = cw.keys.iter_mut().find(|w| w.db == db && w.key == key) else {
                continue;
            };
            if w.expired {
                if !in_new {
                    w.expired = false;
                    continue;
                } else if new_expired {
                    continue;
                }
            } else if !existed && new_expired {
                w.expired = true;
                continue;
            }
            self.mark_dirty(conn);
        }
    }

    /// Redis's `isWatchedKeyExpired`: a key `conn` watched while it was live is now logically
    /// expired (but not yet deleted).
    pub(crate) fn any_expired(&self, conn: ConnId, dbs: &[Db], now: UnixMillis) -> bool {
        self.by_client.get(&conn).is_some_and(|cw| {
            cw.keys
                .iter()
                .any(|w| !w.expired && dbs[w.db].is_expired(&w.key, now))
        })
    }
}

/// Watched keys of a database about to be emptied, with whether each exists (FLUSHDB/FLUSHALL).
pub(crate) type PreFlush = Vec<(usize, Vec<u8>, bool)>;

impl crate::Node {
    /// Redis's `discardTransaction`: leave MULTI and forget the watched keys.
    pub(crate) fn discard_transaction(&mut self, client: &mut crate::session::Client) {
        client.multi = None;
        self.watches.unwatch_all(client.conn);
    }

    /// Before FLUSHDB/FLUSHALL runs: the watched keys of the databases it empties and whether
    /// each exists now (Redis decides in `touchAllWatchedKeysInDb` while the data is still there).
    pub(crate) fn watched_before_flush(&self, db: usize, idx: usize) -> PreFlush {
        if self.watches.is_empty() {
            return Vec::new();
        }
        let dbs: Vec<usize> = match self.table.entries[idx].name {
            "flushdb" => vec![db],
            "flushall" => (0..self.dbs.len()).collect(),
            _ => return Vec::new(),
        };
        let mut v = Vec::new();
        for d in dbs {
            for k in self.watches.keys_in_db(d) {
                let exists = self.dbs[d].contains_key_raw(&k);
                v.push((d, k, exists));
            }
        }
        v
    }

    /// Keys deleted by expiry since the last call touch the WATCHes on them.
    pub(crate) fn drain_expired(&mut self, now: hashslot_types::Now) {
        for i in 0..self.dbs.len() {
            let keys = self.dbs[i].take_expired_keys();
            if keys.is_empty() {
                continue;
            }
            // A DEL for each to the AOF and replicas, before the command that found them
            // expired is propagated (as Redis deletes them during the key lookup).
            self.propagate_expired(now, i, &keys);
            self.tracking_keys_deleted(&keys);
            if self.watches.is_empty() {
                continue;
            }
            for k in keys {
                self.watches.expired(i, &k);
            }
        }
    }

    /// A keyspace command changed the dataset (`dirty > 0`): touch the WATCHes on the keys it
    /// names (Redis's `signalModifiedKey`) and make them ready for parked clients
    /// (`signalKeyAsReady`). FLUSHDB/FLUSHALL/SWAPDB touch whole databases.
    pub(crate) fn after_write(
        &mut self,
        now: hashslot_types::Now,
        db: usize,
        idx: usize,
        args: &[&[u8]],
        pre: PreFlush,
    ) {
        let name = self.table.entries[idx].name;
        self.tracking_after_write(idx, args);
        match name {
            "flushdb" | "flushall" => {
                for (d, k, existed) in pre {
                    self.watches.db_replaced(d, &k, existed, None);
                }
                return;
            }
            "swapdb" => {
                let ids = (
                    crate::commands::parse_i64(args[1]),
                    crate::commands::parse_i64(args[2]),
                );
                if let (Some(a), Some(b)) = ids {
                    let (a, b) = (a as usize, b as usize);
                    self.swapped(now, a, b);
                    self.swapped(now, b, a);
                }
                return;
            }
            _ => {}
        }
        let mut pos = Vec::new();
        self.table.key_positions(idx, args, &mut pos);
        // A DEL/UNLINK signals only the keys it deleted (`tracking_before_write` noted the
        // others).
        let not_deleted = std::mem::take(&mut self.tracking.not_deleted);
        if matches!(name, "del" | "unlink") {
            pos.retain(|p| !not_deleted.contains(p));
        }
        for p in pos {
            self.watches.touch(db, args[p], &self.dbs, now.wall);
            self.signal_key_ready(db, args[p]);
        }
        // MOVE and COPY … DB write a key in another database too.
        let other = match name {
            "move" => crate::commands::parse_i64(args[2]).map(|d| (d, args[1])),
            "copy" => args
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"db"))
                .filter(|&i| i >= 3 && i + 1 < args.len())
                .and_then(|i| crate::commands::parse_i64(args[i + 1]))
                .map(|d| (d, args[2])),
            _ => None,
        };
        if let Some((d, key)) = other {
            if let Ok(d) = usize::try_from(d) {
                if d < self.dbs.len() && d != db {
                    self.watches.touch(d, key, &self.dbs, now.wall);
                    self.signal_key_ready(d, key);
                }
            }
        }
    }

    /// SWAPDB put `other`'s old contents in `db` (and `db`'s old contents are now in `other`).
    /// Ref: db.c swapdbCommand: touchAllWatchedKeysInDb and scanDatabaseForReadyKeys.
    fn swapped(&mut self, now: hashslot_types::Now, db: usize, other: usize) {
        if db >= self.dbs.len() || other >= self.dbs.len() {
            return;
        }
        for k in self.watches.keys_in_db(db) {
            let existed = self.dbs[other].contains_key_raw(&k);
            let in_new = self.dbs[db].contains_key_raw(&k);
            let new_expired = self.dbs[db].is_expired(&k, now.wall);
            self.watches
                .db_replaced(db, &k, existed, Some((in_new, new_expired)));
        }
        for k in self.blocking.keys_in_db(db) {
            if self.dbs[db].contains_key_raw(&k) {
                self.signal_key_ready(db, &k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_marks_every_watcher_once() {
        let dbs = vec![Db::with_seed(1)];
        let now = UnixMillis(1_000);
        let mut w = Watches::default();
        let (a, b) = (ConnId(1), ConnId(2));
        w.watch(a, 0, b"k", &dbs, now);
        w.watch(a, 0, b"k", &dbs, now);
        w.watch(b, 0, b"k", &dbs, now);
        w.watch(b, 0, b"j", &dbs, now);
        assert_eq!(w.by_client[&b].keys.len(), 2);
        w.touch(0, b"k", &dbs, now);
        assert!(w.is_dirty(a) && w.is_dirty(b));
        assert!(w.is_empty(), "dirty clients keep no keys");
        w.unwatch_all(a);
        w.unwatch_all(b);
        assert!(!w.is_dirty(a));
    }
}
