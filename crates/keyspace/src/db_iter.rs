//! Walking and moving keys: SCAN cursors, random keys, and moving or copying an entry under
//! another name or into another database.

use hashslot_types::{Rng, SLOT_COUNT};

use crate::db::lru_now;
use crate::entry::{self, KIND_OBJ};
use crate::value::Object;
use crate::Db;
use hashslot_types::UnixMillis;

/// How many random draws [`Db::random_unexpired_key`] makes before it stops drawing (Redis's
/// `maxtries` in `dbRandomKey`).
const RANDOM_DRAWS: usize = 100;

/// An entry taken out of (or copied from) a database, ready to be put in another one.
#[derive(Debug)]
pub(crate) struct Exported {
    kind: u8,
    lru: u32,
    expire: Option<i64>,
    payload: Vec<u8>,
    obj: Option<Object>,
}

impl Db {
    /// One SCAN step from `cursor`: push up to about `count` keys (possibly expired, possibly
    /// more when a bucket holds several) into `out` and return the next cursor, 0 at the end.
    ///
    /// A cursor is `slot << 32 | hash prefix`: slots are walked in order and each slot's table by
    /// hash prefix (see `table.rs`), so a key present for the whole scan is returned at least once
    /// whatever the tables do in between. As in Redis, at most `10 * count` buckets are visited
    /// per call, so a call may return fewer keys than `count`; empty slots cost one check each.
    pub fn scan(&self, cursor: u64, count: usize, out: &mut Vec<Vec<u8>>) -> u64 {
        let (mut slot, mut prefix) = ((cursor >> 32) as usize, cursor as u32);
        let mut budget = count.saturating_mul(10);
        let want = out.len() + count;
        while slot < SLOT_COUNT && out.len() < want && budget > 0 {
            let next = match self.table(slot) {
                None => None,
                Some(t) => {
                    budget -= 1;
                    t.scan_bucket(prefix, &self.hasher, |e| out.push(entry::key(e).to_vec()))
                }
            };
            match next {
                Some(p) => prefix = p,
                None => {
                    slot += 1;
                    prefix = 0;
                }
            }
        }
        if slot >= SLOT_COUNT {
            0
        } else {
            (slot as u64) << 32 | u64::from(prefix)
        }
    }

    /// A key chosen uniformly at random (expired or not), or `None` when empty.
    pub fn random_key(&self, rng: &mut Rng) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        // Pick the n-th key in slot order, then a random occupied position of its slot's table:
        // uniform over keys, O(16384) for the walk. Tables are normally at least 1/4 full, so
        // the rejection loop ends after a few tries (a table whose keys were deleted in hash
        // order may stay sparser, as it is not shrunk while they cluster: see `table.rs`).
        let mut n = rng.below(self.len() as u64) as usize;
        let table = self
            .slots
            .iter()
            .flatten()
            .find(|t| {
                if n < t.len() {
                    true
                } else {
                    n -= t.len();
                    false
                }
            })
            .expect("len counts every table");
        loop {
            let i = rng.below(table.capacity() as u64) as usize;
            if table.is_occupied(i) {
                return Some(entry::key(table.get(i)).to_vec());
            }
        }
    }

    /// RANDOMKEY's pick while expired keys are kept (a client pause): a random key not expired
    /// at `now`, or `None` when empty. Draws are redrawn while expired, at most
    /// [`RANDOM_DRAWS`] times; then, when every key has a TTL, the last draw is returned even
    /// though it expired (as Redis 7.2 bounds its loop; 7.0 spins forever), and otherwise a walk
    /// from a random key finds one without a TTL, so the cost stays bounded by the dataset.
    pub fn random_unexpired_key(&self, rng: &mut Rng, now: UnixMillis) -> Option<Vec<u8>> {
        let mut last = None;
        for _ in 0..RANDOM_DRAWS {
            let key = self.random_key(rng)?;
            if !self.is_expired(&key, now) {
                return Some(key);
            }
            last = Some(key);
        }
        if self.expires_len() == self.len() {
            return last;
        }
        let start = rng.below(self.len() as u64) as usize;
        let live = |k: &&[u8]| !self.is_expired(k, now);
        let found = self.keys().skip(start).find(live);
        found
            .or_else(|| self.keys().take(start).find(live))
            .map(<[u8]>::to_vec)
    }

    /// Every key, in slot order, expired or not (KEYS filters them).
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.slots
            .iter()
            .flatten()
            .flat_map(|t| t.iter())
            .map(entry::key)
    }

    /// Rename `from` to `to` keeping value, TTL and LRU; `to` must be absent. Returns whether
    /// `from` existed.
    pub fn rename(&mut self, from: &[u8], to: &[u8]) -> bool {
        let Some((loc, pos)) = self.find(from) else {
            return false;
        };
        let e = self.detach_at(loc, pos);
        let new = entry::with_key(&e, to);
        let to_loc = self.loc(to);
        self.insert_entry(to_loc, new);
        true
    }

    /// A copy of `key`'s entry (COPY duplicates the value; the copy is new, so its LRU is now).
    pub(crate) fn export_copy(&self, key: &[u8], now: UnixMillis) -> Option<Exported> {
        let (loc, pos) = self.find(key)?;
        let e = self.entry_at(loc, pos);
        let obj = (entry::kind(e) == KIND_OBJ)
            .then(|| self.objects[entry::obj_index(entry::payload(e)) as usize].clone())
            .flatten();
        Some(Exported {
            kind: entry::kind(e),
            lru: lru_now(now),
            expire: entry::expire(e),
            payload: entry::payload(e).to_vec(),
            obj,
        })
    }

    /// Remove `key` and return its entry (MOVE keeps the value object, TTL and LRU).
    pub(crate) fn export_take(&mut self, key: &[u8]) -> Option<Exported> {
        let (loc, pos) = self.find(key)?;
        let (e, obj) = self.take_at(loc, pos);
        Some(Exported {
            kind: entry::kind(&e),
            lru: entry::lru(&e),
            expire: entry::expire(&e),
            payload: entry::payload(&e).to_vec(),
            obj,
        })
    }

    /// Put an exported entry under `key`, which must be absent.
    pub(crate) fn import(&mut self, key: &[u8], x: Exported) {
        let payload = match x.obj {
            Some(o) => self.alloc_object(o).to_le_bytes().to_vec(),
            None => x.payload,
        };
        let e = entry::build(x.kind, x.lru, x.expire, key, &payload);
        let loc = self.loc(key);
        self.insert_entry(loc, e);
    }
}
