//! The node table's name index: node id → slab index, 8 bytes per entry.
//!
//! Every received gossip entry is a name lookup in a table that, in a big cluster, is not in
//! the caches (1,000 nodes each indexing 1,000 names). An entry holds 32 bits of the name's
//! hash and the slab index, and the name itself is confirmed in the caller's dense per-node
//! record (which the caller reads next anyway): one line of the index and one of the record
//! per lookup. Open addressing with linear probing and backward-shift deletion (no tombstones),
//! at most half full, so a hit is almost always found at its home position.

use std::hash::Hasher;

use hashslot_types::NodeId;

/// One slot of the table: `at` is the slab index plus one, 0 for an empty slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Entry {
    /// The low 32 bits of the name's hash: its home position and a filter before the
    /// name is compared.
    hash: u32,
    at: u32,
}

/// Name → slab index. The caller answers "does slab index `i` hold this name?" (`is`), so the
/// index never stores names; it relies on the caller's invariant that every entry points to a
/// node whose current name is the entry's name, and that a slab index has at most one entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    /// Empty, or a power of two long.
    entries: Vec<Entry>,
    len: usize,
}

impl NameIndex {
    /// Number of names held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The slab index holding the name whose hash is `hash`; `is(i)` says whether slab index
    /// `i` holds the name.
    pub(crate) fn get(&self, hash: u64, is: impl Fn(u32) -> bool) -> Option<u32> {
        if self.entries.is_empty() {
            return None;
        }
        let mask = self.entries.len() - 1;
        let h = hash as u32;
        let mut i = h as usize & mask;
        loop {
            let e = self.entries[i];
            if e.at == 0 {
                return None;
            }
            if e.hash == h && is(e.at - 1) {
                return Some(e.at - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// The slab index in the home slot of `hash` when that slot's hash filter matches (the
    /// usual place of a hit), without confirming the name: what [`NodeTable::touch_lookups`]
    /// loads ahead of the real lookups.
    ///
    /// [`NodeTable::touch_lookups`]: crate::node::NodeTable::touch_lookups
    #[inline]
    pub(crate) fn home(&self, hash: u64) -> Option<u32> {
        let mask = self.entries.len().checked_sub(1)?;
        let h = hash as u32;
        let e = self.entries[h as usize & mask];
        (e.at != 0 && e.hash == h).then(|| e.at - 1)
    }

    /// Map the name whose hash is `hash` to slab index `at`, replacing what it pointed to;
    /// `is(i)` says whether slab index `i` holds that name.
    pub(crate) fn insert(&mut self, hash: u64, at: u32, is: impl Fn(u32) -> bool) {
        let h = hash as u32;
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.entries.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let e = self.entries[i];
            if e.at == 0 {
                self.entries[i] = Entry {
                    hash: h,
                    at: at + 1,
                };
                self.len += 1;
                return;
            }
            if e.hash == h && is(e.at - 1) {
                self.entries[i].at = at + 1;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Drop the entry of slab index `at`, whose current name's hash is `hash`, if it has one.
    pub(crate) fn remove(&mut self, hash: u64, at: u32) {
        if self.entries.is_empty() {
            return;
        }
        let mask = self.entries.len() - 1;
        let mut i = hash as u32 as usize & mask;
        loop {
            let e = self.entries[i];
            if e.at == 0 {
                return;
            }
            if e.at == at + 1 {
                break;
            }
            i = (i + 1) & mask;
        }
        // Backward shift: later entries of the probe run move into the hole when the hole
        // lies between their home and their position, so no lookup ever stops early.
        let mut hole = i;
        let mut j = (i + 1) & mask;
        loop {
            let e = self.entries[j];
            if e.at == 0 {
                break;
            }
            let home = e.hash as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.entries[hole] = e;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.entries[hole] = Entry::default();
        self.len -= 1;
    }

    /// Double the table (16 slots at first) and re-place every entry.
    fn grow(&mut self) {
        let cap = (self.entries.len() * 2).max(16);
        let old = std::mem::replace(&mut self.entries, vec![Entry::default(); cap]);
        let mask = cap - 1;
        for e in old.into_iter().filter(|e| e.at != 0) {
            let mut i = e.hash as usize & mask;
            while self.entries[i].at != 0 {
                i = (i + 1) & mask;
            }
            self.entries[i] = e;
        }
    }
}

/// The index's hash of a name. Node ids are 40 random hex characters, so mixing their 8-byte
/// words is enough to spread them; SipHash over 40 bytes cost more than the rest of a gossip
/// entry. The index is only looked up, never iterated, so its order cannot leak into outputs.
/// Names come from cluster bus peers, which Redis Cluster trusts (the bus carries no
/// authentication); colliding names are still told apart (the name is compared), so crafted
/// collisions could only slow lookups down, never change their answers.
#[cfg(not(test))]
pub(crate) fn name_hash(name: &NodeId) -> u64 {
    let mut h = NameHasher::default();
    h.write(name.as_bytes());
    h.finish()
}

/// In unit tests the hash is the first byte only, so that names collide and long probe runs
/// (and deletions inside them) are exercised.
#[cfg(test)]
pub(crate) fn name_hash(name: &NodeId) -> u64 {
    u64::from(name.as_bytes()[0])
}

/// The mixer of [`name_hash`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        // A final avalanche so that the low bits the table uses depend on every input bit.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.mix(w);
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        if !rest.is_empty() {
            tail[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(tail));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
}

impl NameHasher {
    fn mix(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_hasher_depends_on_every_word_of_the_name() {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let b = BuildHasherDefault::<NameHasher>::default();
        let base = *b"0123456789abcdef0123456789abcdef01234567";
        let h0 = b.hash_one(NodeId::from_bytes(&base).unwrap());
        for i in [0, 8, 17, 31, 39] {
            let mut other = base;
            other[i] = if other[i] == b'f' { b'e' } else { b'f' };
            assert_ne!(
                b.hash_one(NodeId::from_bytes(&other).unwrap()),
                h0,
                "byte {i}"
            );
        }
    }

    /// The index against a map, with hashes chosen from a tiny range so that probe runs are
    /// long, wrap around the table's end, and deletions shift entries back.
    #[test]
    fn index_matches_a_map_under_colliding_inserts_and_removes() {
        use std::collections::BTreeMap;
        // Names are u32 keys; slab index i holds name names[i].
        let mut names: Vec<Option<u32>> = Vec::new();
        let mut idx = NameIndex::default();
        let mut model: BTreeMap<u32, u32> = BTreeMap::new();
        let hash = |k: u32| u64::from(k % 7) * 0x9e37_79b9 + 13;
        let mut rng = hashslot_types::Rng::from_seed(7);
        for step in 0..20_000u32 {
            let key = rng.below(60) as u32;
            if rng.below(3) == 0 {
                // Remove the node holding `key`, if any.
                if let Some(at) = model.remove(&key) {
                    idx.remove(hash(key), at);
                    names[at as usize] = None;
                }
            } else {
                // A new node named `key` (takes the name over, as a rename onto it would).
                let at = names.len() as u32;
                names.push(Some(key));
                idx.insert(hash(key), at, |i| names[i as usize] == Some(key));
                if let Some(old) = model.insert(key, at) {
                    // The old holder loses its entry and is forgotten by the model.
                    names[old as usize] = None;
                }
            }
            assert_eq!(idx.len(), model.len(), "step {step}");
            for k in 0..60 {
                let got = idx.get(hash(k), |i| names[i as usize] == Some(k));
                assert_eq!(got, model.get(&k).copied(), "step {step} key {k}");
            }
        }
    }
}
