//! One slot's hash table: linear probing over packed entries, with a hash prefix per position.
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
//! tables grow by 1.6x and stay between 3/8 and 7/8 full.
//!
//! Each position of a large table keeps its entry's 32-bit prefix (20 bytes a position with the
//! entry pointer). Why 4 bytes rather than a 1-byte tag: a resize, a backward shift and a SCAN
//! step need each entry's home, and with the prefix at hand none of them re-reads and re-hashes
//! the (cold) key. Loading 1M keys in Redis's hash order resized every slot table ~10 times,
//! each time re-reading keys that had left the cache. The prefix's lowest bit is forced to 1 so
//! that 0 can mark an empty position: homes are computed from that stored value everywhere.
//!
//! Deletion uses backward shifting, so there are no tombstones and a lookup stops at the first
//! empty position.
//!
//! Homes are monotone in the hash, so deleting keys in hash order (a slot migration taking keys
//! from the front, `redis-cli --scan | xargs DEL`) leaves the survivors in one end of the hash
//! range. Shrinking such a table to fit its length would pile all of them into a fraction of the
//! new positions: one run of thousands of entries, every later delete walking it (a 60,000-key
//! slot drained at 4.6k keys/s). So a shrink first places the prefixes on a scratch occupancy map
//! and is skipped when they would cluster (see [`Table::shrink_fits`]); and `keys_in_slot`
//! takes each batch from all over the table (see [`Table::iter_spread`]), so a migration
//! deletes evenly across the hash range and its tables shrink normally.
//!
//! Small tables are kept tight, because a cluster node's keys are spread over 16384 tables (100k
//! keys are ~6 a table): up to [`SMALL_CAP`] positions a table keeps just one position free
//! (instead of 1/8) and stores no prefixes (which would be one more allocation); lookups then
//! compare keys directly and a resize re-hashes its few keys.

use crate::entry;
use crate::hash::KeyedHasher;

/// Empty position marker in `hashes`; occupied positions hold a prefix, whose low bit is 1.
const EMPTY: u32 = 0;

/// Tables with at most this many positions store no prefixes and keep one position free.
const SMALL_CAP: usize = 8;

/// Most probe steps per entry, on average, that a shrunk table may need (linear probing at the
/// 5/8 load a shrink aims for averages under one step; hash-order clustering costs thousands).
const SHRINK_MAX_AVG_PROBE: usize = 4;

/// A slot's table.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// The prefix of each position's entry ([`EMPTY`] when free), or empty when the table has
    /// at most [`SMALL_CAP`] positions (then `entries[i].is_none()` marks a free position).
    hashes: Box<[u32]>,
    entries: Box<[Option<Box<[u8]>>]>,
    /// 32 bits keep the table header at 40 bytes (16384 of them per database); a slot never
    /// holds 2^32 keys in memory.
    len: u32,
    /// A shrink was skipped at this length because the keys were clustered: the next attempt
    /// waits until half of them are gone, so that deletes do not retry it one by one.
    shrink_skipped_at: u32,
}

/// The 32-bit prefix of a hash that orders the table (low bit set: never [`EMPTY`]).
#[inline]
pub(crate) fn prefix(h: u64) -> u32 {
    (h >> 32) as u32 | 1
}

#[inline]
fn home(p: u32, cap: usize) -> usize {
    ((u64::from(p) * cap as u64) >> 32) as usize
}

#[inline]
fn next(i: usize, cap: usize) -> usize {
    if i + 1 == cap {
        0
    } else {
        i + 1
    }
}

impl Table {
    /// An empty table with room for `n` entries without a resize (RDB loading pre-sizes the
    /// slot tables from the file's `RESIZEDB` counts).
    pub(crate) fn with_room_for(n: usize) -> Table {
        if n == 0 {
            return Table::default();
        }
        let cap = if n < SMALL_CAP {
            n + 1
        } else {
            (n * 8).div_ceil(7).max(SMALL_CAP + 1)
        };
        let mut t = Table::default();
        t.alloc(cap);
        t
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// Number of positions.
    pub(crate) fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// Bytes held by the table itself (not the entries), its inline header included.
    pub(crate) fn table_bytes(&self) -> usize {
        Table::bytes_for_cap(self.capacity())
    }

    fn bytes_for_cap(cap: usize) -> usize {
        let hashes = if cap > SMALL_CAP { cap * 4 } else { 0 };
        cap * 16 + hashes + std::mem::size_of::<Table>()
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

    /// Replace the (empty) arrays by `cap` free positions.
    fn alloc(&mut self, cap: usize) {
        self.entries = std::iter::repeat_with(|| None).take(cap).collect();
        self.hashes = if cap <= SMALL_CAP {
            Box::default()
        } else {
            vec![EMPTY; cap].into_boxed_slice()
        };
    }

    /// The prefix of the entry at occupied position `i`.
    #[inline]
    fn prefix_at(&self, i: usize, hasher: &KeyedHasher) -> u32 {
        match self.hashes.get(i) {
            Some(&p) => p,
            None => prefix(hasher.hash(entry::key(self.get(i)))),
        }
    }

    /// Position of the entry with `key` (hash `h`).
    pub(crate) fn find(&self, h: u64, key: &[u8]) -> Option<usize> {
        let cap = self.capacity();
        if cap == 0 {
            return None;
        }
        let p = prefix(h);
        let mut i = home(p, cap);
        if self.hashes.is_empty() {
            // A small table: compare keys directly.
            while let Some(e) = &self.entries[i] {
                if entry::key(e) == key {
                    return Some(i);
                }
                i = next(i, cap);
            }
            return None;
        }
        loop {
            let c = self.hashes[i];
            if c == EMPTY {
                return None;
            }
            if c == p {
                if let Some(e) = &self.entries[i] {
                    if entry::key(e) == key {
                        return Some(i);
                    }
                }
            }
            i = next(i, cap);
        }
    }

    /// Positions whose entries have hash `h` (confirmed by hashing candidates with `hasher`).
    pub(crate) fn find_all_by_hash(&self, h: u64, hasher: &KeyedHasher) -> Vec<usize> {
        let mut out = Vec::new();
        let cap = self.capacity();
        if cap == 0 {
            return out;
        }
        let p = prefix(h);
        let mut i = home(p, cap);
        while self.is_occupied(i) {
            if !matches!(self.hashes.get(i), Some(&c) if c != p)
                && hasher.hash(entry::key(self.get(i))) == h
            {
                out.push(i);
            }
            i = next(i, cap);
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
        if !Table::fits(self.len() + 1, self.capacity()) {
            self.resize(Table::cap_for(self.len() + 1), hasher);
        }
        self.place(prefix(h), e)
    }

    fn place(&mut self, p: u32, e: Box<[u8]>) -> usize {
        let cap = self.capacity();
        let mut i = home(p, cap);
        while self.entries[i].is_some() {
            i = next(i, cap);
        }
        if let Some(c) = self.hashes.get_mut(i) {
            *c = p;
        }
        self.entries[i] = Some(e);
        self.len += 1;
        i
    }

    /// Remove the entry at position `i` and return it. May shrink the table.
    pub(crate) fn remove_at(&mut self, i: usize, hasher: &KeyedHasher) -> Box<[u8]> {
        let cap = self.capacity();
        let removed = self.entries[i].take().expect("occupied position");
        if let Some(c) = self.hashes.get_mut(i) {
            *c = EMPTY;
        }
        self.len -= 1;
        // Backward shift: pull later members of the run into the hole when their home allows,
        // so that every entry stays reachable from its home without tombstones.
        let mut hole = i;
        let mut j = i;
        loop {
            j = next(j, cap);
            if self.entries[j].is_none() {
                break;
            }
            let hm = home(self.prefix_at(j, hasher), cap);
            // Distance from home to j versus from the hole to j (cyclically): the entry may move
            // back to the hole only if the hole is not before its home.
            let dist_home = (j + cap - hm) % cap;
            let dist_hole = (j + cap - hole) % cap;
            if dist_home >= dist_hole {
                self.entries[hole] = self.entries[j].take();
                if !self.hashes.is_empty() {
                    self.hashes[hole] = self.hashes[j];
                    self.hashes[j] = EMPTY;
                }
                hole = j;
            }
        }
        let len = self.len();
        if len == 0 {
            *self = Table::default();
        } else if len * 8 < cap * 2
            && cap > SMALL_CAP
            && (self.shrink_skipped_at == 0 || len * 2 < self.shrink_skipped_at as usize)
        {
            let new_cap = Table::cap_for(len);
            if self.shrink_fits(new_cap) {
                self.resize(new_cap, hasher);
            } else {
                self.shrink_skipped_at = self.len;
            }
        }
        removed
    }

    /// Whether the entries would spread well over `new_cap` positions: their prefixes are
    /// placed on a scratch occupancy map, stopping as soon as the probe steps pass
    /// [`SHRINK_MAX_AVG_PROBE`] per entry (so a clustered table costs little to reject).
    fn shrink_fits(&self, new_cap: usize) -> bool {
        if new_cap <= SMALL_CAP || self.hashes.is_empty() {
            return true;
        }
        let mut taken = vec![false; new_cap];
        let mut budget = self.len() * SHRINK_MAX_AVG_PROBE;
        for &p in self.hashes.iter().filter(|&&p| p != EMPTY) {
            let mut i = home(p, new_cap);
            while taken[i] {
                if budget == 0 {
                    return false;
                }
                budget -= 1;
                i = next(i, new_cap);
            }
            taken[i] = true;
        }
        true
    }

    fn resize(&mut self, new_cap: usize, hasher: &KeyedHasher) {
        debug_assert!(Table::fits(self.len(), new_cap));
        let old_entries = std::mem::take(&mut self.entries);
        let old_hashes = std::mem::take(&mut self.hashes);
        self.alloc(new_cap);
        self.len = 0;
        self.shrink_skipped_at = 0;
        for (i, e) in old_entries.into_vec().into_iter().enumerate() {
            let Some(e) = e else { continue };
            // A large table knows each prefix; a small one re-hashes its few keys.
            let p = match old_hashes.get(i) {
                Some(&p) => p,
                None => prefix(hasher.hash(entry::key(&e))),
            };
            self.place(p, e);
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
        let b = home(cursor, cap);
        let mut i = b;
        while let Some(e) = self.entries[i].as_deref() {
            if home(self.prefix_at(i, hasher), cap) == b {
                f(e);
            }
            i = next(i, cap);
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

    /// Every entry, visiting the positions with a stride chosen so that the first `want`
    /// entries come from all over the table, from a start picked by `seed`.
    ///
    /// Why: a caller that takes a few keys and deletes them, again and again (slot migration),
    /// would with position order always delete the lowest prefixes, and even from a moving
    /// start it would cut holes that leave the survivors in islands; either way they cluster
    /// and the table cannot shrink (see the module docs). Deletes spread evenly over the
    /// positions leave the survivors spread evenly too. A seed that changes between calls (the
    /// table's length) moves the start. `want = usize::MAX` is plain position order from the
    /// start.
    pub(crate) fn iter_spread(&self, seed: u64, want: usize) -> impl Iterator<Item = &[u8]> {
        let cap = self.capacity();
        let (mut start, mut step) = (0, 1);
        if cap > 0 {
            // Fibonacci hashing of the seed to a position.
            start = home((seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32, cap);
            // A step coprime with the capacity visits every position once.
            step = (cap / want.max(1)).max(1);
            while gcd(step, cap) != 1 {
                step += 1;
            }
        }
        std::iter::successors(Some(start), move |&i| Some((i + step) % cap))
            .take(cap)
            .filter_map(|i| self.entries[i].as_deref())
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
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

    /// Longest probe distance of any entry (home to position).
    fn max_probe(t: &Table, h: &KeyedHasher) -> usize {
        let cap = t.capacity();
        (0..cap)
            .filter(|&i| t.is_occupied(i))
            .map(|i| (i + cap - home(t.prefix_at(i, h), cap)) % cap)
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn deleting_in_hash_order_keeps_runs_short() {
        // Survivors of a hash-order delete sit in one end of the hash range: a shrink to fit
        // their number would pile them into one run (every delete then walks it).
        let h = KeyedHasher::from_seed(4);
        let mut t = Table::default();
        for i in 0..20_000 {
            ins(&mut t, &h, format!("{{s}}k{i}").as_bytes());
        }
        let mut worst = 0;
        while t.len() > 0 {
            let first = (0..t.capacity())
                .find(|&i| t.is_occupied(i))
                .expect("entry");
            t.remove_at(first, &h);
            if t.len() % 500 == 0 {
                worst = worst.max(max_probe(&t, &h));
            }
        }
        assert!(worst < 200, "longest probe {worst}");
    }

    #[test]
    fn batches_from_iter_spread_spread_deletes_and_let_tables_shrink() {
        let h = KeyedHasher::from_seed(5);
        let mut t = Table::default();
        for i in 0..20_000 {
            ins(&mut t, &h, format!("{{s}}k{i}").as_bytes());
        }
        let full_cap = t.capacity();
        while t.len() > 1_000 {
            let keys: Vec<Vec<u8>> = t
                .iter_spread(t.len() as u64, 100)
                .take(100)
                .map(|e| entry::key(e).to_vec())
                .collect();
            for k in keys {
                let i = t.find(h.hash(&k), &k).expect("present");
                t.remove_at(i, &h);
            }
        }
        assert!(
            t.capacity() * 4 < full_cap,
            "{} of {full_cap}",
            t.capacity()
        );
        assert!(max_probe(&t, &h) < 100);
    }

    #[test]
    fn with_room_for_takes_that_many_keys_without_a_resize() {
        let h = KeyedHasher::from_seed(6);
        for n in [0, 1, 5, 7, 8, 9, 61, 1000] {
            let mut t = Table::with_room_for(n);
            let cap = t.capacity();
            for i in 0..n {
                ins(&mut t, &h, format!("k{i}").as_bytes());
            }
            assert_eq!(t.capacity(), cap, "n = {n}");
            for i in 0..n {
                let k = format!("k{i}");
                assert!(t.find(h.hash(k.as_bytes()), k.as_bytes()).is_some());
            }
        }
    }

    #[test]
    fn scan_after_resizes_keeps_every_entry() {
        // Prefixes carried over by resizes (not re-hashed) must still give each entry's home.
        let h = KeyedHasher::from_seed(7);
        let mut t = Table::default();
        for i in 0..3000 {
            ins(&mut t, &h, format!("k{i}").as_bytes());
        }
        for i in (0..3000).step_by(2) {
            let k = format!("k{i}");
            let p = t.find(h.hash(k.as_bytes()), k.as_bytes()).expect("present");
            t.remove_at(p, &h);
        }
        let mut seen = Vec::new();
        let mut c = 0u32;
        while let Some(n) = t.scan_bucket(c, &h, |e| seen.push(entry::key(e).to_vec())) {
            c = n;
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 1500);
    }
}
