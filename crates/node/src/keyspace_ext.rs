//! What the node asks of a [`Db`] beyond `len`: expiry counts, TTL averages, active expiry and
//! memory, in one place so the node adapts to the keyspace crate's API here only.

use hashslot_keyspace::{Db, KeyspaceStats};
use hashslot_types::Now;

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
