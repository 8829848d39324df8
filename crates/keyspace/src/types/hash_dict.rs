//! The `hashtable` encoding shared by hashes and sets: a table of packed byte entries.
//!
//! Each element is one allocation: a set member is its bytes; a hash pair is
//! `[field len, LEB128][field][value]`, keyed by the field. Redis spends a dictEntry (24 bytes),
//! an sds per field and per value and a bucket pointer per element; here an element costs its
//! bytes plus a 16-byte position and a control byte.
//!
//! The probing scheme is the one of the keyspace's slot tables (`crate::table`): an element's
//! home position is `floor(prefix * cap / 2^32)` where `prefix` is the top 32 bits of its keyed
//! hash, which is monotone in the prefix for any capacity. HSCAN/SSCAN cursors are therefore hash
//! prefixes, and an element present for a whole scan is returned at least once across any
//! number of resizes. Deletion shifts back, so there are no tombstones.
//!
//! As there, deleting in hash order (HSCAN/SSCAN and HDEL/SREM what came back, the usual way to
//! drain a big hash) leaves the survivors in one end of the hash range, and shrinking to fit
//! their number would pile them into one run that every later delete walks, re-hashing each
//! entry (draining 100,000 fields that way took 20 s). A shrink is therefore tried on a scratch
//! occupancy map first and skipped while the entries would cluster ([`Dict::shrink_fits`]).
//!
//! The hash is keyed (SipHash-1-3 from the database's seed): fields and members are chosen by
//! clients, and an unkeyed hash would let one client make every lookup O(n).

use hashslot_types::Rng;

use crate::hash::KeyedHasher;

const EMPTY: u8 = 0;

/// Which kind of entries a [`Dict`] holds, so it knows where an entry's key ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Entries are set members: the whole entry is the key.
    Members,
    /// Entries are hash pairs `[field len][field][value]`: the field is the key.
    Pairs,
}

/// A hash table of packed entries.
#[derive(Debug, Clone)]
pub(crate) struct Dict {
    ctrl: Box<[u8]>,
    entries: Box<[Option<Box<[u8]>>]>,
    len: usize,
    /// A shrink was skipped at this length because the entries clustered: the next attempt
    /// waits until half of them are gone, so that deletes do not retry it one by one.
    shrink_skipped_at: usize,
    /// Σ [`entry_malloc_size`] of the entries, kept as they come and go so that
    /// [`Dict::heap_size`] (read for `used_memory` after every write) is O(1).
    entry_bytes: usize,
    hasher: KeyedHasher,
    kind: Kind,
}

/// What an entry of `e.len()` bytes costs glibc malloc (header, 16-byte granules, 32 at least).
#[inline]
fn entry_malloc_size(e: &[u8]) -> usize {
    ((e.len() + 8 + 15) & !15).max(32)
}

#[inline]
fn prefix(h: u64) -> u32 {
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

/// Append `n` as LEB128.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Read a LEB128 number at `*i`, advancing `*i`.
#[inline]
pub(crate) fn get_varint(buf: &[u8], i: &mut usize) -> usize {
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[*i];
        *i += 1;
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return n;
        }
        shift += 7;
    }
}

/// Bytes of `n` as LEB128.
pub(crate) fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

/// Build a hash pair entry.
pub(crate) fn pair_entry(field: &[u8], value: &[u8]) -> Box<[u8]> {
    let mut e = Vec::with_capacity(varint_len(field.len()) + field.len() + value.len());
    put_varint(&mut e, field.len());
    e.extend_from_slice(field);
    e.extend_from_slice(value);
    e.into_boxed_slice()
}

/// Split a hash pair entry into field and value.
#[inline]
pub(crate) fn split_pair(e: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    let n = get_varint(e, &mut i);
    (&e[i..i + n], &e[i + n..])
}

impl Dict {
    /// An empty table of `kind` entries hashing with `hasher`, sized for `hint` elements.
    pub(crate) fn new(kind: Kind, hasher: KeyedHasher, hint: usize) -> Self {
        let mut d = Dict {
            ctrl: Box::default(),
            entries: Box::default(),
            len: 0,
            shrink_skipped_at: 0,
            entry_bytes: 0,
            hasher,
            kind,
        };
        if hint > 0 {
            // Sized to hold `hint` at up to 7/8 full: a set created by one SADD of n members
            // does not pay for growth headroom it may never use.
            d.resize((hint * 8 / 7 + 1).max(4));
        }
        d
    }

    #[inline]
    fn key_of<'e>(&self, e: &'e [u8]) -> &'e [u8] {
        match self.kind {
            Kind::Members => e,
            Kind::Pairs => split_pair(e).0,
        }
    }

    #[inline]
    fn hash_entry(&self, e: &[u8]) -> u64 {
        self.hasher.hash(self.key_of(e))
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Number of positions.
    pub(crate) fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// Heap bytes: the table and the entries (with glibc's per-allocation overhead).
    pub(crate) fn heap_size(&self) -> usize {
        self.capacity() * 17 + self.entry_bytes
    }

    /// Position of the element with `key`.
    pub(crate) fn find(&self, key: &[u8]) -> Option<usize> {
        let cap = self.capacity();
        if cap == 0 {
            return None;
        }
        let h = self.hasher.hash(key);
        let t = tag(h);
        let mut i = home(h, cap);
        loop {
            let c = self.ctrl[i];
            if c == EMPTY {
                return None;
            }
            if c == t && self.key_of(self.get(i)) == key {
                return Some(i);
            }
            i = if i + 1 == cap { 0 } else { i + 1 };
        }
    }

    /// The entry at occupied position `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        self.entries[i].as_deref().expect("occupied position")
    }

    /// Replace the entry at occupied position `i` by `e`, which has the same key.
    pub(crate) fn replace_at(&mut self, i: usize, e: Box<[u8]>) {
        debug_assert_eq!(self.key_of(&e), self.key_of(self.get(i)));
        self.entry_bytes =
            self.entry_bytes - entry_malloc_size(self.get(i)) + entry_malloc_size(&e);
        self.entries[i] = Some(e);
    }

    /// Insert an entry whose key is absent.
    pub(crate) fn insert_new(&mut self, e: Box<[u8]>) {
        if (self.len + 1) * 8 > self.capacity() * 7 {
            self.resize(((self.len + 1) * 8 / 5).max(4));
        }
        let h = self.hash_entry(&e);
        self.entry_bytes += entry_malloc_size(&e);
        self.place(h, e);
    }

    fn place(&mut self, h: u64, e: Box<[u8]>) {
        let cap = self.capacity();
        let mut i = home(h, cap);
        while self.ctrl[i] != EMPTY {
            i = if i + 1 == cap { 0 } else { i + 1 };
        }
        self.ctrl[i] = tag(h);
        self.entries[i] = Some(e);
        self.len += 1;
    }

    /// Remove the element with `key`; returns its entry.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Box<[u8]>> {
        let i = self.find(key)?;
        Some(self.remove_at(i))
    }

    /// Remove the entry at occupied position `i`. May shrink the table.
    pub(crate) fn remove_at(&mut self, i: usize) -> Box<[u8]> {
        let cap = self.capacity();
        let removed = self.entries[i].take().expect("occupied position");
        self.entry_bytes -= entry_malloc_size(&removed);
        self.ctrl[i] = EMPTY;
        self.len -= 1;
        let mut hole = i;
        let mut j = i;
        loop {
            j = if j + 1 == cap { 0 } else { j + 1 };
            if self.ctrl[j] == EMPTY {
                break;
            }
            let hm = home(self.hash_entry(self.get(j)), cap);
            // The entry may move back into the hole only if the hole is not before its home.
            if (j + cap - hm) % cap >= (j + cap - hole) % cap {
                self.entries[hole] = self.entries[j].take();
                self.ctrl[hole] = self.ctrl[j];
                self.ctrl[j] = EMPTY;
                hole = j;
            }
        }
        if self.len * 8 < cap * 2
            && cap > 8
            && (self.shrink_skipped_at == 0 || self.len * 2 < self.shrink_skipped_at)
        {
            let new_cap = (self.len * 8 / 5).max(4);
            if self.shrink_fits(new_cap) {
                self.resize(new_cap);
            } else {
                self.shrink_skipped_at = self.len;
            }
        }
        removed
    }

    /// Whether the entries would spread well over `new_cap` positions: their homes are placed
    /// on a scratch occupancy map, stopping once the probe steps pass 4 per entry on average
    /// (linear probing at the 5/8 load a shrink aims for averages under one).
    fn shrink_fits(&self, new_cap: usize) -> bool {
        let mut taken = vec![false; new_cap];
        let mut budget = self.len * 4;
        for e in self.entries.iter().flatten() {
            let mut i = home(self.hash_entry(e), new_cap);
            while taken[i] {
                if budget == 0 {
                    return false;
                }
                budget -= 1;
                i = if i + 1 == new_cap { 0 } else { i + 1 };
            }
            taken[i] = true;
        }
        true
    }

    fn resize(&mut self, new_cap: usize) {
        let old = std::mem::replace(
            &mut self.entries,
            std::iter::repeat_with(|| None).take(new_cap).collect(),
        );
        self.ctrl = vec![EMPTY; new_cap].into_boxed_slice();
        self.len = 0;
        self.shrink_skipped_at = 0;
        for e in old.into_vec().into_iter().flatten() {
            let h = self.hash_entry(&e);
            self.place(h, e);
        }
    }

    /// A uniformly random occupied position (the table is normally at least 1/4 full, so the
    /// rejection loop ends after a few tries; one whose entries were deleted in hash order may
    /// stay sparser while they cluster). The table must not be empty.
    pub(crate) fn random_pos(&self, rng: &mut Rng) -> usize {
        assert!(self.len > 0, "random element of an empty table");
        loop {
            let i = rng.below(self.capacity() as u64) as usize;
            if self.ctrl[i] != EMPTY {
                return i;
            }
        }
    }

    /// One scan step: call `f` with the entries of the bucket of `cursor` (a hash prefix) and
    /// following buckets until about `count` entries or `10 * count` buckets; return the next
    /// cursor, 0 at the end.
    pub(crate) fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut f: impl FnMut(&'a [u8]),
    ) -> u64 {
        let cap = self.capacity();
        if cap == 0 || cursor > u64::from(u32::MAX) {
            return 0;
        }
        let mut c = cursor as u32;
        let mut budget = count.saturating_mul(10).max(1);
        let mut n = 0;
        loop {
            let b = ((u64::from(c) * cap as u64) >> 32) as usize;
            let mut i = b;
            while self.ctrl[i] != EMPTY {
                let e = self.get(i);
                if home(self.hash_entry(e), cap) == b {
                    f(e);
                    n += 1;
                }
                i = if i + 1 == cap { 0 } else { i + 1 };
                if i == b {
                    break;
                }
            }
            if b + 1 >= cap {
                return 0;
            }
            // The smallest prefix whose home is b + 1 (never 0, so 0 means "done").
            c = (((b as u64 + 1) << 32).div_ceil(cap as u64)) as u32;
            budget -= 1;
            if n >= count || budget == 0 {
                return u64::from(c);
            }
        }
    }

    /// The positions, for iterators that need a named type.
    pub(crate) fn slots(&self) -> std::slice::Iter<'_, Option<Box<[u8]>>> {
        self.entries.iter()
    }

    /// Every entry, in position order.
    // Kept for callers that walk the raw entries (tests; heap_size no longer needs it).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> + Clone {
        self.entries.iter().filter_map(|e| e.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove_and_scan() {
        let mut d = Dict::new(Kind::Pairs, KeyedHasher::from_seed(5), 0);
        for i in 0..1000 {
            let f = format!("f{i}");
            d.insert_new(pair_entry(f.as_bytes(), b"v"));
        }
        assert_eq!(d.len(), 1000);
        let mut seen = Vec::new();
        let mut c = 0;
        loop {
            c = d.scan(c, 7, |e| seen.push(split_pair(e).0.to_vec()));
            if c == 0 {
                break;
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 1000);
        for i in 0..1000 {
            let f = format!("f{i}");
            assert!(d.remove(f.as_bytes()).is_some());
            if i % 97 == 0 {
                for j in i + 1..1000 {
                    assert!(d.find(format!("f{j}").as_bytes()).is_some());
                }
            }
        }
        assert_eq!(d.len(), 0);
    }

    #[test]
    fn entry_bytes_follow_inserts_replaces_and_removes() {
        let walk = |d: &Dict| d.iter().map(entry_malloc_size).sum::<usize>();
        let mut d = Dict::new(Kind::Pairs, KeyedHasher::from_seed(6), 0);
        for i in 0..300 {
            d.insert_new(pair_entry(format!("f{i}").as_bytes(), &vec![b'v'; i % 50]));
        }
        assert_eq!(d.entry_bytes, walk(&d));
        for i in (0..300).step_by(3) {
            let f = format!("f{i}");
            let pos = d.find(f.as_bytes()).expect("present");
            d.replace_at(pos, pair_entry(f.as_bytes(), &vec![b'w'; 100 + i]));
        }
        assert_eq!(d.entry_bytes, walk(&d));
        for i in (0..300).step_by(2) {
            d.remove(format!("f{i}").as_bytes());
        }
        assert_eq!(d.entry_bytes, walk(&d));
        assert_eq!(d.heap_size(), d.capacity() * 17 + walk(&d));
    }

    #[test]
    fn draining_in_scan_order_keeps_runs_short() {
        // HSCAN + HDEL of what came back deletes in hash order; the survivors must not be
        // shrunk into one long run (each delete would then walk and re-hash all of it).
        let mut d = Dict::new(Kind::Members, KeyedHasher::from_seed(8), 0);
        for i in 0..20_000 {
            d.insert_new(format!("m{i}").into_bytes().into_boxed_slice());
        }
        let max_probe = |d: &Dict| {
            let cap = d.capacity();
            (0..cap)
                .filter(|&i| d.entries[i].is_some())
                .map(|i| (i + cap - home(d.hash_entry(d.get(i)), cap)) % cap)
                .max()
                .unwrap_or(0)
        };
        let (mut cursor, mut worst, mut rounds) = (0, 0, 0);
        while d.len() > 0 {
            let mut got = Vec::new();
            cursor = d.scan(cursor, 100, |e| got.push(e.to_vec()));
            for m in got {
                d.remove(&m).expect("present");
            }
            rounds += 1;
            if rounds % 20 == 0 {
                worst = worst.max(max_probe(&d));
            }
        }
        assert!(worst < 200, "longest probe {worst}");
    }
}
