//! Setting a key's last access time from outside: RESTORE … IDLETIME (and, for a loader that
//! wants it, RDB idle records). Ref: object.c `objectSetLRUOrLFU` (7.0), which, with no LFU
//! policy, sets the LRU clock to `now - idle` so that OBJECT IDLETIME then reports `idle`.

use hashslot_types::UnixMillis;

use crate::db::{lru_now, Db};
use crate::entry;

impl Db {
    /// Make `key` look idle for `idle_secs` seconds at `now` (OBJECT IDLETIME then reports
    /// it); `false` when the key does not exist. The clock wraps as OBJECT IDLETIME's does.
    pub fn set_idle_secs(&mut self, key: &[u8], idle_secs: u64, now: UnixMillis) -> bool {
        let Some((loc, pos)) = self.find(key) else {
            return false;
        };
        let at = lru_now(now).wrapping_sub(idle_secs as u32);
        entry::set_lru(self.entry_at_mut(loc, pos), at);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn idle_time_reads_back() {
        let now = UnixMillis(1_700_000_000_000);
        let mut db = Db::new();
        db.insert(b"k", Value::Str(b"v".to_vec()), None, now);
        assert!(db.set_idle_secs(b"k", 1000, now));
        assert_eq!(db.idle_secs(b"k", now), Some(1000));
        assert!(!db.set_idle_secs(b"missing", 1, now));
    }
}
