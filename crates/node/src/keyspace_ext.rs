//! What the node asks of a [`Db`] beyond `len`: expiry counts, TTL averages, active expiry and
//! memory, in one place so the node adapts to the keyspace crate's API here only.

use hashslot_keyspace::{Ctx, Db, KeyspaceStats};
use hashslot_types::{ConnId, Now};

use crate::Node;

/// Keys with a TTL (`expires=` of INFO keyspace).
pub(crate) fn expires(db: &Db) -> usize {
    db.expires_len()
}

/// Average remaining TTL in milliseconds of keys with one (`avg_ttl=`), 0 when none.
pub(crate) fn avg_ttl(db: &Db, now: Now) -> i64 {
    db.avg_ttl(now.wall)
}

/// One bounded step of active expiry (Redis's `activeExpireCycle`): removes at most `budget`
/// expired keys, counting them in `stats.expired_keys`; returns how many went.
pub(crate) fn active_expire(
    db: &mut Db,
    now: Now,
    budget: usize,
    stats: &mut KeyspaceStats,
) -> usize {
    let n = db.active_expire_cycle(now.wall, budget);
    stats.expired_keys += n as u64;
    n
}

/// Estimated bytes held by the dataset (`used_memory`'s dataset part).
pub(crate) fn memory(dbs: &[Db]) -> u64 {
    dbs.iter().map(|db| db.used_memory() as u64).sum()
}

/// Set the lazy-expiry mode of a command's context on a replica (`replica`): expiry belongs to
/// the master, so the replica's clients see expired keys as missing without deleting them, and
/// the master's stream (`conn` is the master client) sees every key as live. Ref: db.c
/// `expireIfNeeded` (7.0).
pub(crate) fn set_replica_expiry(ctx: &mut Ctx<'_>, replica: bool, conn: ConnId) {
    ctx.replica = replica;
    ctx.from_master = replica && conn == crate::replication::MASTER_CLIENT_CONN;
}

/// Most remembered keys one cron tick looks at, so the work per tick is bounded.
const REPLICA_KEYS_PER_TICK: usize = 1_000;

/// Keys a writable replica's own clients gave a TTL (Redis's `slaveKeysWithExpire`): the
/// master never sends a `DEL` for them, so the replica's cron expires them itself. Kept in
/// order (db, key), not hashed: the keys are chosen by clients, and the cron walks them from
/// where it stopped.
#[derive(Debug, Default)]
pub(crate) struct ReplicaKeysWithExpire {
    keys: std::collections::BTreeSet<(usize, Vec<u8>)>,
    /// Where the next tick's walk starts.
    cursor: Option<(usize, Vec<u8>)>,
}

impl ReplicaKeysWithExpire {
    /// How many keys are remembered.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// Where a command run on `db` may leave a TTL besides its first argument there: the
/// destination of RENAME/RENAMENX/COPY (COPY's in the db of its `DB` option), and MOVE's key
/// in the target db. Ref: db.c (7.0) `renameGenericCommand`, `moveCommand`, `copyCommand`,
/// which call `setExpire` on the destination db. A db number out of range names nothing (the
/// command failed).
fn ttl_destination<'a>(db: usize, ndbs: usize, args: &[&'a [u8]]) -> Option<(usize, &'a [u8])> {
    let name = args.first()?;
    let parse_db = |a: &[u8]| {
        std::str::from_utf8(a)
            .ok()?
            .parse::<usize>()
            .ok()
            .filter(|&d| d < ndbs)
    };
    if name.eq_ignore_ascii_case(b"move") {
        return Some((parse_db(args.get(2)?)?, args.get(1)?));
    }
    if name.eq_ignore_ascii_case(b"copy") {
        // COPY source destination [DB destination-db] [REPLACE]
        let mut dst_db = db;
        let mut opts = args.iter().skip(3);
        while let Some(opt) = opts.next() {
            if opt.eq_ignore_ascii_case(b"db") {
                dst_db = parse_db(opts.next()?)?;
            }
        }
        return Some((dst_db, args.get(2)?));
    }
    let dst = [&b"rename"[..], b"renamenx"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n));
    dst.then(|| args.get(2).map(|k| (db, *k))).flatten()
}

impl Node {
    /// A write of one of this replica's own clients (a writable replica) changed `db` with
    /// `args`: remember the keys it left with a TTL. Ref: expire.c `rememberSlaveKeyWithExpire`
    /// (called from `setExpire` for a client other than the master on a replica).
    pub(crate) fn remember_replica_keys_with_expire(&mut self, db: usize, args: &[&[u8]]) {
        let keys = args
            .get(1)
            .map(|k| (db, *k))
            .into_iter()
            .chain(ttl_destination(db, self.dbs.len(), args));
        for (db, key) in keys {
            if self.dbs[db].expire_time(key).is_some() {
                self.replica_keys_with_expire
                    .keys
                    .insert((db, key.to_vec()));
            }
        }
    }

    /// The replica's cron: delete the remembered keys whose TTL passed (propagated as `DEL` to
    /// its AOF), and forget those without a TTL any more. Ref: expire.c `expireSlaveKeys`.
    pub(crate) fn expire_replica_keys(&mut self, now: Now) {
        let remembered = &mut self.replica_keys_with_expire;
        if remembered.keys.is_empty() {
            return;
        }
        // Up to a tick's worth, from where the last tick stopped, wrapping around once: the
        // keys before the cursor are at least as many as the walk still lacks.
        let n = remembered.keys.len().min(REPLICA_KEYS_PER_TICK);
        let mut batch: Vec<(usize, Vec<u8>)> = match remembered.cursor.take() {
            Some(from) => remembered.keys.range(from..).take(n).cloned().collect(),
            None => Vec::new(),
        };
        let more = n - batch.len();
        batch.extend(remembered.keys.iter().take(more).cloned());
        remembered.cursor = batch.last().and_then(|last| {
            use std::ops::Bound::{Excluded, Unbounded};
            let after = (Excluded(last.clone()), Unbounded);
            remembered.keys.range(after).next().cloned()
        });
        for (db, key) in batch {
            let Some(d) = self.dbs.get_mut(db) else {
                self.replica_keys_with_expire.keys.remove(&(db, key));
                continue;
            };
            let gone = d.expire_if_needed(&key, now.wall);
            self.ks_stats.expired_keys += u64::from(gone);
            if gone || d.expire_time(&key).is_none() {
                self.replica_keys_with_expire.keys.remove(&(db, key));
            }
        }
    }

    /// The cron's expiry step on a replica: only the keys its own clients gave a TTL (the
    /// master's are deleted by the master's `DEL`s); returns whether this node is a replica.
    /// A master forgets those keys (Ref: replication.c `replicationUnsetMaster`).
    pub(crate) fn replica_expire_cycle(&mut self, now: Now) -> bool {
        if self.repl.is_replica() {
            self.expire_replica_keys(now);
            return true;
        }
        if self.replica_keys_with_expire.len() > 0 {
            self.replica_keys_with_expire = ReplicaKeysWithExpire::default();
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> (Node, Now) {
        let now = Now::new(
            hashslot_types::Instant::from_nanos(0),
            hashslot_types::UnixMillis(1_700_000_000_000),
        );
        let mut config = crate::Config::default();
        config.save.clear();
        (
            Node::new(config, 1, now, crate::ProcessInfo::default()),
            now,
        )
    }

    /// Every remembered key is visited within a few ticks, a tick's work is bounded, and keys
    /// that lost their TTL are forgotten without being deleted.
    #[test]
    fn the_walk_covers_every_key_in_bounded_ticks() {
        let (mut n, now) = node();
        let total = REPLICA_KEYS_PER_TICK * 2 + 500;
        let expire_at = now.wall.0 + 100;
        for i in 0..total {
            let key = format!("k{i}").into_bytes();
            n.dbs[0].set_str(&key, b"v", false, now.wall);
            n.dbs[0].set_expire(&key, Some(expire_at));
            n.remember_replica_keys_with_expire(0, &[b"SET", &key]);
        }
        // One key kept its value but lost its TTL: forgotten, not deleted.
        n.dbs[0].set_expire(b"k7", None);
        // A key without a TTL is never remembered.
        n.dbs[0].set_str(b"plain", b"v", false, now.wall);
        n.remember_replica_keys_with_expire(0, &[b"SET", b"plain"]);
        assert_eq!(n.replica_keys_with_expire.len(), total);
        // Before the TTL nothing goes, but the walk moves on.
        n.expire_replica_keys(now);
        assert_eq!(n.dbs[0].len(), total + 1);
        let later = now.advance_millis(200);
        n.expire_replica_keys(later);
        let first = n.ks_stats.expired_keys as usize;
        assert!(first > 0 && first <= REPLICA_KEYS_PER_TICK, "{first}");
        n.expire_replica_keys(later);
        n.expire_replica_keys(later);
        assert_eq!(n.replica_keys_with_expire.len(), 0);
        assert_eq!(n.ks_stats.expired_keys as usize, total - 1);
        assert_eq!(n.dbs[0].len(), 2, "k7 and plain stay");
    }

    /// MOVE and COPY … DB carry the key to another db: it is remembered there.
    #[test]
    fn destinations_in_other_dbs() {
        let k: &[u8] = b"k";
        assert_eq!(ttl_destination(0, 16, &[b"MOVE", k, b"3"]), Some((3, k)));
        assert_eq!(ttl_destination(0, 16, &[b"move", k, b"16"]), None);
        assert_eq!(ttl_destination(0, 16, &[b"MOVE", k, b"x"]), None);
        let d: &[u8] = b"d";
        assert_eq!(
            ttl_destination(2, 16, &[b"COPY", k, d, b"REPLACE", b"db", b"5"]),
            Some((5, d))
        );
        assert_eq!(ttl_destination(2, 16, &[b"COPY", k, d]), Some((2, d)));
        assert_eq!(ttl_destination(1, 16, &[b"RENAME", k, d]), Some((1, d)));
        assert_eq!(ttl_destination(1, 16, &[b"SET", k, d]), None);
    }
}
