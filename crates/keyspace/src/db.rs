//! One database: keys to values, with a per-slot index and an expiry index.
//!
//! Keys live in one [`Table`] per hash slot (16384, allocated on first use), so counting a slot's
//! keys is O(1), listing them is O(keys in the slot), and the index costs no bytes per key. Keys
//! with a TTL are also in `expires`, ordered by expiry time, so active expiry deletes exactly the
//! keys that are due, earliest first. Values other than inline strings live in `objects`.
//!
//! Lookups here have no side effects on statistics; the command layer (`commands::lookup`) adds
//! Redis's hit/miss counting and lazy expiry on top of [`Db::expire_if_needed`].

use std::collections::BTreeMap;
use std::fmt;

use hashslot_slots::key_slot;
use hashslot_types::{Slot, UnixMillis, SLOT_COUNT};

use crate::entry::{self, KIND_EMBSTR, KIND_INT, KIND_OBJ, KIND_RAW};
use crate::hash::KeyedHasher;
use crate::notify::KeyEvent;
use crate::table::Table;
use crate::util::parse_i64;
use crate::value::{Encoding, Object, StrRef, ValueRef, EMBSTR_SIZE_LIMIT};

/// Strings longer than this are kept as an [`Object::Str`] rather than inline, so that changing
/// a key's TTL or LRU never copies a large value.
pub(crate) const INLINE_MAX: usize = 512;

/// The seed of [`Db::new`]: a fixed value, so that tests and tools that do not care about hash
/// flooding still get a deterministic database. A node passes its own seed to [`Db::with_seed`].
pub const DEFAULT_SEED: u64 = 0x6861_7368_736c_6f74; // "hashslot"

/// One Redis database (`db0`…).
pub struct Db {
    pub(crate) hasher: KeyedHasher,
    /// Per-slot tables; empty until the first insert so that an unused db costs nothing. Tables
    /// are held inline (not boxed): with few keys per slot a box per table cost ~8 bytes a key.
    pub(crate) slots: Vec<Option<Table>>,
    pub(crate) len: usize,
    /// (expire time, slot, key hash) → number of keys with exactly that triple (a multiset, so a
    /// 64-bit hash collision between two keys of one slot with one expiry stays exact).
    pub(crate) expires: BTreeMap<(i64, u16, u64), u32>,
    pub(crate) expires_len: usize,
    /// Sum of the expiry times of keys with a TTL, for `avg_ttl` without a scan.
    pub(crate) expire_sum: i128,
    pub(crate) objects: Vec<Option<Object>>,
    pub(crate) free_objects: Vec<u32>,
    /// Approximate malloc'd bytes of all entries.
    pub(crate) entry_bytes: usize,
    /// Σ `table_bytes` of the slot tables, kept as tables grow and shrink (see `db_memory.rs`).
    pub(crate) table_bytes: usize,
    /// Σ `heap_size` of the objects, as of their last settled change (see `db_memory.rs`).
    pub(crate) object_bytes: usize,
    /// The object last handed out mutably and its size then: its change is counted at the next
    /// object operation (or on the fly by `used_memory`).
    pub(crate) pending_object: Option<(u32, usize)>,
    /// Room to give a slot table when it is created (set while loading a file that announced
    /// its size; 0 otherwise).
    pub(crate) slot_room: usize,
    /// Keys deleted by expiry since the last `take_expired_keys`, when tracking is on.
    pub(crate) expired_log: Option<Vec<Vec<u8>>>,
    /// `notify-keyspace-events` flags in force for events recorded outside a command's
    /// context (expiry), and this database's number; see [`Db::set_notify`].
    pub(crate) notify_flags: u32,
    pub(crate) notify_id: usize,
    /// Keyspace notifications recorded since the last [`Db::take_events`].
    pub(crate) events: Vec<KeyEvent>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("len", &self.len)
            .field("expires", &self.expires_len)
            .finish()
    }
}

impl Default for Db {
    fn default() -> Self {
        Db::new()
    }
}

/// Where a key lives: its slot and hash.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Loc {
    pub(crate) slot: usize,
    pub(crate) h: u64,
}

/// glibc malloc's chunk size for a request of `n` bytes (8 bytes of header, 16-byte granules,
/// 32 bytes at least): what an allocation really costs.
fn malloc_size(n: usize) -> usize {
    ((n + 8 + 15) & !15).max(32)
}

/// [`malloc_size`] of an entry.
pub(crate) fn malloc_size_of(e: &[u8]) -> usize {
    malloc_size(e.len())
}

pub(crate) fn lru_now(now: UnixMillis) -> u32 {
    now.as_secs() as u32
}

impl Db {
    /// An empty database hashing with [`DEFAULT_SEED`].
    pub fn new() -> Self {
        Db::with_seed(DEFAULT_SEED)
    }

    /// An empty database whose key hashing is keyed by `seed` (the node's seed).
    pub fn with_seed(seed: u64) -> Self {
        Db {
            hasher: KeyedHasher::from_seed(seed),
            slots: Vec::new(),
            len: 0,
            expires: BTreeMap::new(),
            expires_len: 0,
            expire_sum: 0,
            objects: Vec::new(),
            free_objects: Vec::new(),
            entry_bytes: 0,
            table_bytes: 0,
            object_bytes: 0,
            pending_object: None,
            slot_room: 0,
            expired_log: None,
            notify_flags: 0,
            notify_id: 0,
            events: Vec::new(),
        }
    }

    /// Number of keys (`DBSIZE`), counting keys that expired but were not yet removed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the database holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of keys with a TTL (INFO keyspace `expires`).
    pub fn expires_len(&self) -> usize {
        self.expires_len
    }

    /// Average remaining TTL in ms of keys with a TTL (INFO keyspace `avg_ttl`), 0 when none.
    /// Exact, from a running sum, where Redis estimates it by sampling.
    pub fn avg_ttl(&self, now: UnixMillis) -> i64 {
        if self.expires_len == 0 {
            return 0;
        }
        let avg = self.expire_sum / self.expires_len as i128 - i128::from(now.0);
        avg.clamp(0, i128::from(i64::MAX)) as i64
    }

    /// Remove every key (FLUSHDB). The seed is kept.
    pub fn clear(&mut self) {
        let hasher = self.hasher;
        let log = self.expired_log.take().map(|_| Vec::new());
        let events = std::mem::take(&mut self.events);
        *self = Db {
            hasher,
            expired_log: log,
            notify_flags: self.notify_flags,
            notify_id: self.notify_id,
            events,
            ..Db::new()
        };
    }

    /// Number of keys in `slot` (CLUSTER COUNTKEYSINSLOT), in O(1).
    pub fn count_keys_in_slot(&self, slot: Slot) -> usize {
        self.table(slot.index()).map_or(0, |t| t.len())
    }

    /// Up to `count` keys of `slot` (CLUSTER GETKEYSINSLOT), in O(keys in the slot).
    ///
    /// The keys come from all over the slot's table (from a start picked by its key count), so
    /// a caller that deletes what it got and asks again (slot migration) deletes evenly across
    /// the hash range rather than always the lowest hashes, which would cluster the rest and
    /// keep the table from shrinking (see `table.rs`).
    pub fn keys_in_slot(&self, slot: Slot, count: usize) -> Vec<Vec<u8>> {
        self.table(slot.index())
            .map(|t| {
                t.iter_spread(t.len() as u64, count)
                    .take(count)
                    .map(|e| entry::key(e).to_vec())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `key` is in the table, expired or not, with no side effects (cluster routing).
    pub fn contains_key_raw(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Keep a log of keys deleted by expiry (lazy or active), for a node that propagates them
    /// as DEL to replicas and the AOF; drain it with [`Db::take_expired_keys`].
    pub fn set_track_expired(&mut self, on: bool) {
        self.expired_log = on.then(Vec::new);
    }

    /// Set the `notify-keyspace-events` flags (see [`crate::notify::parse_flags`]) and this
    /// database's number, for the `expired` events it records by itself. Commands read the
    /// flags from their context instead, so a node need only call this when it drains events.
    pub fn set_notify(&mut self, id: usize, flags: u32) {
        self.notify_id = id;
        self.notify_flags = flags;
    }

    /// The notifications recorded since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<KeyEvent> {
        std::mem::take(&mut self.events)
    }

    /// Record `event` on `key` of database `db` if `flags` publish `class`.
    pub(crate) fn record_event(
        &mut self,
        flags: u32,
        class: u32,
        db: usize,
        event: &'static str,
        key: &[u8],
    ) {
        if crate::notify::wanted(flags, class) {
            self.events.push(KeyEvent {
                db,
                event,
                key: key.to_vec(),
            });
        }
    }

    /// Record that `key` was deleted because its TTL passed.
    pub(crate) fn record_expired(&mut self, key: &[u8]) {
        let (flags, id) = (self.notify_flags, self.notify_id);
        self.record_event(flags, crate::notify::class::EXPIRED, id, "expired", key);
    }

    /// Keys deleted by expiry since the last call (empty unless tracking is on).
    pub fn take_expired_keys(&mut self) -> Vec<Vec<u8>> {
        self.expired_log
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    // ----- lookups without side effects -----

    pub(crate) fn loc(&self, key: &[u8]) -> Loc {
        Loc {
            slot: key_slot(key).index(),
            h: self.hasher.hash(key),
        }
    }

    pub(crate) fn table(&self, slot: usize) -> Option<&Table> {
        self.slots.get(slot).and_then(|t| t.as_ref())
    }

    pub(crate) fn find(&self, key: &[u8]) -> Option<(Loc, usize)> {
        let loc = self.loc(key);
        let pos = self.table(loc.slot)?.find(loc.h, key)?;
        Some((loc, pos))
    }

    pub(crate) fn entry_at(&self, loc: Loc, pos: usize) -> &[u8] {
        self.table(loc.slot).expect("slot table").get(pos)
    }

    pub(crate) fn entry_at_mut(&mut self, loc: Loc, pos: usize) -> &mut Box<[u8]> {
        self.slots[loc.slot]
            .as_mut()
            .expect("slot table")
            .get_mut(pos)
    }

    pub(crate) fn value_of<'a>(&'a self, e: &'a [u8]) -> ValueRef<'a> {
        let p = entry::payload(e);
        match entry::kind(e) {
            KIND_EMBSTR => ValueRef::Str(StrRef::Bytes(p), Encoding::Embstr),
            KIND_RAW => ValueRef::Str(StrRef::Bytes(p), Encoding::Raw),
            KIND_INT => ValueRef::Str(StrRef::Int(entry::int_from_payload(p)), Encoding::Int),
            _ => match self.objects[entry::obj_index(p) as usize]
                .as_ref()
                .expect("live object")
            {
                Object::Str(v) => ValueRef::Str(StrRef::Bytes(v), Encoding::Raw),
                #[allow(unreachable_patterns)]
                o => ValueRef::Obj(o),
            },
        }
    }

    /// The value of `key`, ignoring expiry, with no side effects.
    pub fn peek(&self, key: &[u8]) -> Option<ValueRef<'_>> {
        let (loc, pos) = self.find(key)?;
        Some(self.value_of(self.entry_at(loc, pos)))
    }

    /// The absolute expiry time of `key` in unix ms, if it exists and has a TTL.
    pub fn expire_time(&self, key: &[u8]) -> Option<i64> {
        let (loc, pos) = self.find(key)?;
        entry::expire(self.entry_at(loc, pos))
    }

    /// Seconds since `key` was last accessed (OBJECT IDLETIME), if it exists.
    pub fn idle_secs(&self, key: &[u8], now: UnixMillis) -> Option<u64> {
        let (loc, pos) = self.find(key)?;
        Some(u64::from(
            lru_now(now).wrapping_sub(entry::lru(self.entry_at(loc, pos))),
        ))
    }

    /// Record an access to `key` for OBJECT IDLETIME (Redis's LRU clock, 1 s resolution).
    pub fn touch(&mut self, key: &[u8], now: UnixMillis) {
        if let Some((loc, pos)) = self.find(key) {
            entry::set_lru(self.entry_at_mut(loc, pos), lru_now(now));
        }
    }

    /// Whether `key` exists and is logically expired at `now` (Redis: `now > when`).
    pub fn is_expired(&self, key: &[u8], now: UnixMillis) -> bool {
        self.expire_time(key).is_some_and(|w| w >= 0 && now.0 > w)
    }

    /// Delete `key` if it is expired at `now`; returns whether it was (Redis's
    /// `expireIfNeeded` on a master). The caller counts `expired_keys`.
    pub fn expire_if_needed(&mut self, key: &[u8], now: UnixMillis) -> bool {
        let Some((loc, pos)) = self.find(key) else {
            return false;
        };
        match entry::expire(self.entry_at(loc, pos)) {
            Some(w) if w >= 0 && now.0 > w => {
                self.delete_at(loc, pos);
                if let Some(log) = &mut self.expired_log {
                    log.push(key.to_vec());
                }
                self.record_expired(key);
                true
            }
            _ => false,
        }
    }

    /// Lazy expiry as a command sees it (Redis's `expireIfNeeded`): whether `key` is logically
    /// expired at `now`, so that the command treats it as missing. An expired key is deleted as
    /// [`Db::expire_if_needed`] does and counted in `stats.expired_keys`, unless `keep`: while
    /// clients are paused Redis keeps the dataset static, so the key is only hidden (nothing
    /// deleted, counted, logged for propagation or notified) and expires once the pause ends.
    pub fn expire_lazily(
        &mut self,
        key: &[u8],
        now: UnixMillis,
        keep: bool,
        stats: &mut crate::KeyspaceStats,
    ) -> bool {
        if keep {
            return self.is_expired(key, now);
        }
        let gone = self.expire_if_needed(key, now);
        stats.expired_keys += u64::from(gone);
        gone
    }

    // ----- mutation primitives -----

    /// Remove the entry at `pos` from its table and the indexes, leaving its object (if any)
    /// allocated: RENAME re-attaches it under the new key.
    pub(crate) fn detach_at(&mut self, loc: Loc, pos: usize) -> Box<[u8]> {
        let table = self.slots[loc.slot].as_mut().expect("slot table");
        let before = table.table_bytes();
        let e = table.remove_at(pos, &self.hasher);
        if table.len() == 0 {
            self.slots[loc.slot] = None;
            self.table_bytes -= before;
        } else {
            self.table_bytes = self.table_bytes - before + table.table_bytes();
        }
        self.len -= 1;
        self.entry_bytes -= malloc_size(e.len());
        if let Some(w) = entry::expire(&e) {
            self.index_remove(w, loc);
        }
        e
    }

    /// Remove the entry at `pos` and return it with its object.
    pub(crate) fn take_at(&mut self, loc: Loc, pos: usize) -> (Box<[u8]>, Option<Object>) {
        let e = self.detach_at(loc, pos);
        let obj = (entry::kind(&e) == KIND_OBJ).then(|| self.free_object(&e));
        (e, obj)
    }

    pub(crate) fn delete_at(&mut self, loc: Loc, pos: usize) {
        let _ = self.take_at(loc, pos);
    }

    /// Store `e` as a new entry (its key must be absent); returns its position.
    pub(crate) fn insert_entry(&mut self, loc: Loc, e: Box<[u8]>) -> usize {
        if self.slots.is_empty() {
            self.slots.resize_with(SLOT_COUNT, || None);
        }
        if let Some(w) = entry::expire(&e) {
            self.index_add(w, loc);
        }
        self.len += 1;
        self.entry_bytes += malloc_size(e.len());
        let slot = &mut self.slots[loc.slot];
        let before = slot.as_ref().map_or(0, Table::table_bytes);
        let room = self.slot_room;
        let table = slot.get_or_insert_with(|| Table::with_room_for(room));
        let pos = table.insert_new(loc.h, e, &self.hasher);
        self.table_bytes = self.table_bytes - before + table.table_bytes();
        pos
    }

    /// Replace the entry at `pos` (same key) by `e`, keeping the indexes right. The old entry's
    /// object, if any, is NOT freed here.
    pub(crate) fn replace_at(&mut self, loc: Loc, pos: usize, e: Box<[u8]>) -> Box<[u8]> {
        let new_exp = entry::expire(&e);
        let slot = self.slots[loc.slot].as_mut().expect("slot table");
        let old = std::mem::replace(slot.get_mut(pos), e);
        let old_exp = entry::expire(&old);
        self.entry_bytes =
            self.entry_bytes - malloc_size(old.len()) + malloc_size(self.entry_at(loc, pos).len());
        if old_exp != new_exp {
            if let Some(w) = old_exp {
                self.index_remove(w, loc);
            }
            if let Some(w) = new_exp {
                self.index_add(w, loc);
            }
        }
        old
    }

    pub(crate) fn index_add(&mut self, when: i64, loc: Loc) {
        *self
            .expires
            .entry((when, loc.slot as u16, loc.h))
            .or_insert(0) += 1;
        self.expires_len += 1;
        self.expire_sum += i128::from(when);
    }

    pub(crate) fn index_remove(&mut self, when: i64, loc: Loc) {
        let k = (when, loc.slot as u16, loc.h);
        let n = self.expires.get_mut(&k).expect("expiry index entry");
        *n -= 1;
        if *n == 0 {
            self.expires.remove(&k);
        }
        self.expires_len -= 1;
        self.expire_sum -= i128::from(when);
    }

    pub(crate) fn alloc_object(&mut self, o: Object) -> u32 {
        self.settle_object();
        self.object_bytes += o.heap_size();
        match self.free_objects.pop() {
            Some(i) => {
                self.objects[i as usize] = Some(o);
                i
            }
            None => {
                self.objects.push(Some(o));
                u32::try_from(self.objects.len() - 1).expect("fewer than 2^32 objects")
            }
        }
    }

    pub(crate) fn free_object(&mut self, e: &[u8]) -> Object {
        self.settle_object();
        let i = entry::obj_index(entry::payload(e));
        self.free_objects.push(i);
        let o = self.objects[i as usize].take().expect("live object");
        self.object_bytes -= o.heap_size();
        o
    }

    /// Object `e_payload_index`, mutably. Its size is taken now and compared with its size at
    /// the next object operation, so `used_memory` follows in-place changes (LPUSH, HSET…)
    /// without walking the objects.
    pub(crate) fn object_at_mut(&mut self, e_payload_index: u32) -> &mut Object {
        self.settle_object();
        let o = self.objects[e_payload_index as usize]
            .as_mut()
            .expect("live object");
        self.pending_object = Some((e_payload_index, o.heap_size()));
        o
    }

    /// Encode a string as Redis's `tryObjectEncoding` would, building the entry.
    pub(crate) fn build_str(
        &mut self,
        key: &[u8],
        v: &[u8],
        exp: Option<i64>,
        lru: u32,
    ) -> Box<[u8]> {
        if v.len() <= 20 {
            if let Some(n) = parse_i64(v) {
                let (b, l) = entry::int_payload(n);
                return entry::build(KIND_INT, lru, exp, key, &b[..l]);
            }
        }
        if v.len() <= EMBSTR_SIZE_LIMIT {
            entry::build(KIND_EMBSTR, lru, exp, key, v)
        } else if v.len() <= INLINE_MAX {
            entry::build(KIND_RAW, lru, exp, key, v)
        } else {
            let i = self.alloc_object(Object::Str(v.to_vec()));
            entry::build(KIND_OBJ, lru, exp, key, &i.to_le_bytes())
        }
    }

    /// Put `e` under its key, replacing any old value (and freeing its object).
    pub(crate) fn upsert(
        &mut self,
        key: &[u8],
        build: impl FnOnce(&mut Db, Option<i64>) -> Box<[u8]>,
        keep_ttl: bool,
    ) {
        match self.find(key) {
            Some((loc, pos)) => {
                let exp = if keep_ttl {
                    entry::expire(self.entry_at(loc, pos))
                } else {
                    None
                };
                let e = build(self, exp);
                let old = self.replace_at(loc, pos, e);
                if entry::kind(&old) == KIND_OBJ {
                    let _ = self.free_object(&old);
                }
            }
            None => {
                let loc = self.loc(key);
                let e = build(self, None);
                self.insert_entry(loc, e);
            }
        }
    }
}
