//! The database's public mutation API: SET semantics, objects, TTLs, owned values, iteration,
//! and active expiry.

use hashslot_types::UnixMillis;

use crate::db::{lru_now, Loc};
use crate::entry::{self, KIND_EMBSTR, KIND_INT, KIND_OBJ, KIND_RAW};
use crate::value::{Object, Value, ValueRef, EMBSTR_SIZE_LIMIT};
use crate::Db;

/// Strings longer than this are kept as an [`Object::Str`] rather than inline (see `db.rs`).
use crate::db::INLINE_MAX;

impl Db {
    /// SET semantics: store string `v` under `key` with Redis's encoding rules (int, embstr,
    /// raw), keeping the old TTL only if `keep_ttl`.
    pub fn set_str(&mut self, key: &[u8], v: &[u8], keep_ttl: bool, now: UnixMillis) {
        self.upsert(
            key,
            |db, exp| db.build_str(key, v, exp, lru_now(now)),
            keep_ttl,
        );
    }

    /// Store an integer-encoded string (INCR's result), keeping the TTL if `keep_ttl`.
    pub fn set_int(&mut self, key: &[u8], n: i64, keep_ttl: bool, now: UnixMillis) {
        let (b, l) = entry::int_payload(n);
        self.upsert(
            key,
            |_, exp| entry::build(KIND_INT, lru_now(now), exp, key, &b[..l]),
            keep_ttl,
        );
    }

    /// Store a string with encoding `embstr`/`raw` by length, never `int` (INCRBYFLOAT's result,
    /// which Redis creates without `tryObjectEncoding`).
    pub fn set_str_no_int(&mut self, key: &[u8], v: &[u8], keep_ttl: bool, now: UnixMillis) {
        let kind = if v.len() <= EMBSTR_SIZE_LIMIT {
            KIND_EMBSTR
        } else {
            KIND_RAW
        };
        if v.len() > INLINE_MAX {
            self.insert_object(key, Object::Str(v.to_vec()), keep_ttl, now);
        } else {
            self.upsert(
                key,
                |_, exp| entry::build(kind, lru_now(now), exp, key, v),
                keep_ttl,
            );
        }
    }

    /// Store a non-inline value under `key`, replacing any old value.
    pub fn insert_object(&mut self, key: &[u8], o: Object, keep_ttl: bool, now: UnixMillis) {
        self.upsert(
            key,
            |db, exp| {
                let i = db.alloc_object(o);
                entry::build(KIND_OBJ, lru_now(now), exp, key, &i.to_le_bytes())
            },
            keep_ttl,
        );
    }

    /// Store an owned value with an expiry (RDB loading, tests), replacing any old value.
    pub fn insert(&mut self, key: &[u8], v: Value, expire: Option<i64>, now: UnixMillis) {
        match v {
            Value::Str(s) => self.set_str(key, &s, false, now),
            Value::Obj(o) => self.insert_object(key, o, false, now),
        }
        self.set_expire(key, expire);
    }

    /// The value of `key` as a mutable object, converting an inline string to a raw
    /// [`Object::Str`] first (what APPEND and SETRANGE need; Redis's `dbUnshareStringValue`).
    pub fn object_mut(&mut self, key: &[u8]) -> Option<&mut Object> {
        let (loc, pos) = self.find(key)?;
        let e = self.entry_at(loc, pos);
        if entry::kind(e) != KIND_OBJ {
            let bytes = match self.value_of(e) {
                ValueRef::Str(s, _) => s.to_vec(),
                ValueRef::Obj(_) => unreachable!("inline entries are strings"),
            };
            let (lru, exp) = (entry::lru(e), entry::expire(e));
            let i = self.alloc_object(Object::Str(bytes));
            let new = entry::build(KIND_OBJ, lru, exp, key, &i.to_le_bytes());
            self.replace_at(loc, pos, new);
        }
        let i = entry::obj_index(entry::payload(self.entry_at(loc, pos)));
        Some(self.object_at_mut(i))
    }

    /// Delete `key`; returns whether it existed.
    pub fn remove(&mut self, key: &[u8]) -> bool {
        match self.find(key) {
            Some((loc, pos)) => {
                self.delete_at(loc, pos);
                true
            }
            None => false,
        }
    }

    /// Set (`Some(unix ms)`) or clear (`None`) the TTL of `key`; returns whether the key exists.
    pub fn set_expire(&mut self, key: &[u8], when: Option<i64>) -> bool {
        let Some((loc, pos)) = self.find(key) else {
            return false;
        };
        let e = self.entry_at(loc, pos);
        if entry::expire(e) == when {
            return true;
        }
        if let (Some(old), Some(w)) = (entry::expire(e), when) {
            // Same layout: overwrite in place, no reallocation.
            self.index_remove(old, loc);
            self.index_add(w, loc);
            entry::overwrite_expire(self.entry_at_mut(loc, pos), w);
            return true;
        }
        let new = entry::with_expire(e.into(), when);
        self.replace_at(loc, pos, new);
        true
    }

    /// Remove `key` and return its value and TTL (MOVE, RENAME across databases).
    pub fn take(&mut self, key: &[u8]) -> Option<(Value, Option<i64>)> {
        let (loc, pos) = self.find(key)?;
        let v = match self.value_of(self.entry_at(loc, pos)) {
            ValueRef::Str(s, _) => Some(Value::Str(s.to_vec())),
            ValueRef::Obj(_) => None,
        };
        let (e, obj) = self.take_at(loc, pos);
        let v = v.unwrap_or_else(|| Value::Obj(obj.expect("object entry")));
        Some((v, entry::expire(&e)))
    }

    /// Every key with its value and expiry (for RDB and AOF rewrite), in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], ValueRef<'_>, Option<i64>)> + '_ {
        self.slots
            .iter()
            .flatten()
            .flat_map(|t| t.iter())
            .map(move |e| (entry::key(e), self.value_of(e), entry::expire(e)))
    }

    /// Delete up to `budget_keys` keys whose TTL has passed, earliest first; returns how many
    /// were deleted (the caller adds them to `expired_keys`).
    ///
    /// Redis samples random keys with a TTL and repeats while more than 25% of a sample had
    /// expired, because its expires dict is unordered. The expiry index here is ordered by time,
    /// so the "sample" is the earliest keys and the loop stops at the first key not yet due:
    /// no work is spent on live keys and no expired key waits for a lucky sample.
    pub fn active_expire_cycle(&mut self, now: UnixMillis, budget_keys: usize) -> usize {
        let mut deleted = 0;
        while deleted < budget_keys {
            // Negative times never expire (Redis's `keyIsExpired`), so start the walk at 0.
            let Some((&(when, slot, h), _)) = self.expires.range((0, 0, 0)..).next() else {
                break;
            };
            if now.0 <= when {
                break;
            }
            let loc = Loc {
                slot: slot as usize,
                h,
            };
            let table = self.table(loc.slot).expect("indexed key's slot table");
            let pos = table
                .find_all_by_hash(h, &self.hasher)
                .into_iter()
                .find(|&p| entry::expire(table.get(p)) == Some(when))
                .expect("indexed key is in its table");
            let (e, _) = self.take_at(loc, pos);
            if let Some(log) = &mut self.expired_log {
                log.push(entry::key(&e).to_vec());
            }
            self.record_expired(entry::key(&e));
            deleted += 1;
        }
        deleted
    }
}
