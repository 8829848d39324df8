//! One slot's hash table: linear probing over packed entries, with a control byte per position.
//!
//! Why our own table rather than std/hashbrown: SCAN must return every key present for the whole
//! scan at least once even if the table resizes between calls, and a std map has no position that
//! survives a resize. Here a key's home position is `floor(prefix * cap / 2^32)` where `prefix`
//! is the top 32 bits of its hash: home is monotone in the prefix for *any* capacity, so a cursor
//! can be a hash prefix rather than a position. Scanning bucket `b` returns every entry whose home
//! is `b` (they all sit in the probe run that starts at `b`), and the next cursor is the smallest
//! prefix whose home is `b + 1`. Whatever the capacity at the next call, the entries with a prefix
//! at or above the cursor are still ahead, so nothing present throughout is missed; after a shrink
//! some may be returned twice, which SCAN allows. Because the capacity need not be a power of two,
//! tables grow by 1.6x and stay between 3/8 and 7/8 full (16 bytes + 1 control byte per position).
//!
//! Deletion uses backward shifting, so there are no tombstones and a lookup stops at the first
//! empty position.
//!
//! Small tables are kept tight, because a cluster node's keys are spread over 16384 tables (100k
//! keys are ~6 a table): up to [`SMALL_CAP`] positions a table keeps just one position free
//! (instead of 1/8) and has no control bytes (which would be one more allocation); lookups then
//! compare keys directly, which for a handful of positions costs about the same.

use crate::entry;
use crate::hash::KeyedHasher;

/// Empty position marker in `ctrl`; occupied positions hold `0x80 | 7 hash bits`.
const EMPTY: u8 = 0;

/// Tables with at most this many positions have no control bytes and keep one position free.
const SMALL_CAP: usize = 8;

/// A slot's table.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// One byte per position, or empty when the table has at most [`SMALL_CAP`] positions
    /// (then `entries[i].is_none()` marks an empty position).
    ctrl: Box<[u8]>,
    entries: Box<[Option<Box<[u8]>>]>,
    len: usize,
}

/// The 32-bit prefix of a hash that orders the table.
#[inline]
pub(crate) fn prefix(h: u64) -> u32 {
    (h >> 32) as u32
}

#[inline]
fn home(h: u64, cap: usize) -> usize {
    ((u64::from(prefix(h)) * cap as u64) >> 32) as usize
}

#[inline]
fn tag(h: u64) -> u8 {
    0x80 | (h as u8 & 0x7f)
}

impl Table {
    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Number of positions.
    pub(crate) fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// Bytes held by the table itself (not the entries), its inline header included.
    pub(crate) fn table_bytes(&self) -> usize {
        self.capacity() * 16 + self.ctrl.len() + std::mem::size_of::<Table>()
    }

    /// The control byte of position `i`: [`EMPTY`], or a tag that may match (a small table
    /// has no tags, so any occupied position may match).
    #[inline]
    fn ctrl_at(&self, i: usize, t: u8) -> u8 {
        match self.ctrl.get(i) {
            Some(&c) => c,
            None if self.entries[i].is_some() => t,
            None => EMPTY,
        }
    }

    /// Whether a table of `cap` positions may hold `len` entries.
    fn fits(len: usize, cap: usize) -> bool {
        if cap <= SMALL_CAP {
            len < cap
        } else {
            len * 8 <= cap * 7
        }
    }

    /// The capacity a table grows or shrinks to for `len` entries.
    fn cap_for(len: usize) -> usize {
        if len < SMALL_CAP - 1 {
            // Room for this entry and one more before the next resize.
            len + 2
        } else {
            (len * 8 / 5).max(SMALL_CAP + 1)
        }
    }

    /// Position of the entry with `key` (hash `h`).
    pub(crate) fn find(&self, h: u64, key: &[u8]) -> Option<usize> {
        let cap = self.capacity();
        if cap == 0 {
            return None;
        }
        let t = tag(h);
        let mut i = home(h, cap);
        loop {
            let c = self.ctrl_at(i, t);
            if c == EMPTY {
                return None;
            }
            if c == t {
                if let Some(e) = &self.entries[i] {
                    if entry::key(e) == key {
                        return Some(i);
                    }
                }
            }
            i += 1;
            if i == cap {
                i = 0;
            }
        }
    }

    /// Positions whose entries have hash `h` (found by hashing candidates with `hasher`).
    pub(crate) fn find_all_by_hash(&self, h: u64, hasher: &KeyedHasher) -> Vec<usize> {
        let mut out = Vec::new();
        let cap = self.capacity();
        if cap == 0 {
            return out;
        }
        let t = tag(h);
        let mut i = home(h, cap);
        while self.ctrl_at(i, t) != EMPTY {
            if self.ctrl_at(i, t) == t && hasher.hash(entry::key(self.get(i))) == h {
                out.push(i);
            }
            i = if i + 1 == cap { 0 } else { i + 1 };
        }
        out
    }

    /// The entry at position `i` (which must be occupied).
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        self.entries[i].as_deref().expect("occupied position")
    }

    /// The entry at position `i`, mutably.
    pub(crate) fn get_mut(&mut self, i: usize) -> &mut Box<[u8]> {
        self.entries[i].as_mut().expect("occupied position")
    }

    /// Whether position `i` holds an entry.
    pub(crate) fn is_occupied(&self, i: usize) -> bool {
        self.entries.get(i).is_some_and(Option::is_some)
    }

    /// Insert an entry whose key is known to be absent; returns its position.
    pub(crate) fn insert_new(&mut self, h: u64, e: Box<[u8]>, hasher: &KeyedHasher) -> usize {
        if !Table::fits(self.len + 1, self.capacity()) {
            self.resize(Table::cap_for(self.len + 1), hasher);
        }
        self.place(h, e)
    }

    fn place(&mut self, h: u64, e: Box<[u8]>) -> usize {
        let cap = self.capacity();
        let mut i = home(h, cap);
        while self.entries[i].is_some() {
            i = if i + 1 == cap { 0 } else { i + 1 };
        }
        if let Some(c) = self.ctrl.get_mut(i) {
            *c = tag(h);
        }
        self.entries[i] = Some(e);
        self.len += 1;
        i
    }

    /// Remove the entry at position `i` and return it. May shrink the table.
    pub(crate) fn remove_at(&mut self, i: usize, hasher: &KeyedHasher) -> Box<[u8]> {
        let cap = self.capacity();
        let removed = self.entries[i].take().expect("occupied position");
        if let Some(c) = self.ctrl.get_mut(i) {
            *c = EMPTY;
        }
        self.len -= 1;
        // Backward shift: pull later members of the run into the hole when their home allows,
        // so that every entry stays reachable from its home without tombstones.
        let mut hole = i;
        let mut j = i;
        loop {
            j = if j + 1 == cap { 0 } else { j + 1 };
            if self.entries[j].is_none() {
                break;
            }
            let hj = hasher.hash(entry::key(self.get(j)));
            let hm = home(hj, cap);
            // Distance from home to j versus from the hole to j (cyclically): the entry may move
            // back to the hole only if the hole is not before its home.
            let dist_home = (j + cap - hm) % cap;
            let dist_hole = (j + cap - hole) % cap;
            if dist_home >= dist_hole {
                self.entries[hole] = self.entries[j].take();
                if !self.ctrl.is_empty() {
                    self.ctrl[hole] = self.ctrl[j];
                    self.ctrl[j] = EMPTY;
                }
                hole = j;
            }
        }
        if self.len == 0 {
            *self = Table::default();
        } else if self.len * 8 < cap * 2 && cap > SMALL_CAP {
            self.resize(Table::cap_for(self.len), hasher);
        }
        removed
    }

    fn resize(&mut self, new_cap: usize, hasher: &KeyedHasher) {
        let old = std::mem::replace(
            &mut self.entries,
            std::iter::repeat_with(|| None).take(new_cap).collect(),
        );
        debug_assert!(Table::fits(self.len, new_cap));
        self.ctrl = if new_cap <= SMALL_CAP {
            Box::default()
        } else {
            vec![EMPTY; new_cap].into_boxed_slice()
        };
        self.len = 0;
        for e in old.into_vec().into_iter().flatten() {
            let h = hasher.hash(entry::key(&e));
            self.place(h, e);
        }
    }

    /// Call `f` with every entry whose home bucket is the one of cursor `cursor` (a hash
    /// prefix); return the next cursor, or `None` when this was the last bucket.
    pub(crate) fn scan_bucket(
        &self,
        cursor: u32,
        hasher: &KeyedHasher,
        mut f: impl FnMut(&[u8]),
    ) -> Option<u32> {
        let cap = self.capacity();
        if cap == 0 {
            return None;
        }
        let b = ((u64::from(cursor) * cap as u64) >> 32) as usize;
        let mut i = b;
        while let Some(e) = self.entries[i].as_deref() {
            if home(hasher.hash(entry::key(e)), cap) == b {
                f(e);
            }
            i = if i + 1 == cap { 0 } else { i + 1 };
            if i == b {
                break;
            }
        }
        if b + 1 >= cap {
            return None;
        }
        // The smallest prefix p with floor(p * cap / 2^32) == b + 1.
        let next = ((b as u64 + 1) << 32).div_ceil(cap as u64);
        Some(next as u32)
    }

    /// Every entry, in position order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.iter().filter_map(|e| e.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{build, KIND_EMBSTR};

    fn ins(t: &mut Table, h: &KeyedHasher, k: &[u8]) {
        let e = build(KIND_EMBSTR, 0, None, k, b"v");
        t.insert_new(h.hash(k), e, h);
    }

    #[test]
    fn insert_find_remove_keep_every_key_reachable() {
        let h = KeyedHasher::from_seed(9);
        let mut t = Table::default();
        let keys: Vec<Vec<u8>> = (0..500).map(|i| format!("k{i}").into_bytes()).collect();
        for k in &keys {
            ins(&mut t, &h, k);
        }
        assert_eq!(t.len(), 500);
        for (n, k) in keys.iter().enumerate() {
            let i = t.find(h.hash(k), k).expect("present");
            t.remove_at(i, &h);
            for k2 in &keys[n + 1..] {
                assert!(t.find(h.hash(k2), k2).is_some());
            }
        }
        assert_eq!(t.capacity(), 0);
    }

    #[test]
    fn scan_visits_every_entry_once_without_resizes() {
        let h = KeyedHasher::from_seed(3);
        let mut t = Table::default();
        for i in 0..1000 {
            ins(&mut t, &h, format!("k{i}").as_bytes());
        }
        let mut seen = Vec::new();
        let mut c = 0u32;
        loop {
            let next = t.scan_bucket(c, &h, |e| seen.push(entry::key(e).to_vec()));
            match next {
                Some(n) => c = n,
                None => break,
            }
        }
        seen.sort();
        let before = seen.len();
        seen.dedup();
        assert_eq!((before, seen.len()), (1000, 1000));
    }
}
