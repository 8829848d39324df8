//! The slots one node owns, kept as sorted runs of consecutive slots and updated one slot at a
//! time.
//!
//! Why: CLUSTER NODES, nodes.conf and every bus header need "the slots of node X". Scanning the
//! 16384-entry map for each node costs O(16384) per node (O(nodes × 16384) per nodes.conf save,
//! which a reshard does after every SETSLOT); a per-node run list answers in O(runs). A dense
//! per-node bitmap would also do it, but costs 2 KiB per node in every node's map (2 GB in a
//! 1,000-node simulation); runs cost 4 bytes per run, and real clusters have few runs.

use hashslot_types::SLOT_COUNT;

/// Sorted, disjoint, non-adjacent inclusive runs `(start, end)` of slots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Runs(Vec<(u16, u16)>);

impl Runs {
    /// The runs, ascending.
    pub(crate) fn as_slice(&self) -> &[(u16, u16)] {
        &self.0
    }

    /// Add `s` (which must not be present), merging with the neighbouring runs.
    pub(crate) fn insert(&mut self, s: u16) {
        let v = &mut self.0;
        // First run starting after `s`.
        let i = v.partition_point(|r| r.0 <= s);
        debug_assert!(i == 0 || v[i - 1].1 < s, "slot {s} already present");
        let joins_prev = i > 0 && v[i - 1].1 + 1 == s;
        let joins_next = i < v.len() && s + 1 == v[i].0;
        match (joins_prev, joins_next) {
            (true, true) => {
                v[i - 1].1 = v[i].1;
                v.remove(i);
            }
            (true, false) => v[i - 1].1 = s,
            (false, true) => v[i].0 = s,
            (false, false) => v.insert(i, (s, s)),
        }
    }

    /// Remove `s` (which must be present), splitting its run if needed.
    pub(crate) fn remove(&mut self, s: u16) {
        let v = &mut self.0;
        let i = v.partition_point(|r| r.0 <= s);
        debug_assert!(i > 0 && v[i - 1].1 >= s, "slot {s} not present");
        if i == 0 {
            return;
        }
        let i = i - 1;
        let (a, b) = v[i];
        if b < s {
            return;
        }
        match (a == s, b == s) {
            (true, true) => {
                v.remove(i);
            }
            (true, false) => v[i].0 = s + 1,
            (false, true) => v[i].1 = s - 1,
            (false, false) => {
                v[i].1 = s - 1;
                v.insert(i + 1, (s + 1, b));
            }
        }
    }

    /// Forget every run (and the memory they held).
    pub(crate) fn clear(&mut self) {
        self.0 = Vec::new();
    }

    /// The runs as the 2048-byte slot bitmap of the bus (bit `s % 8` of byte `s / 8`).
    pub(crate) fn to_bitmap(&self) -> [u8; SLOT_COUNT / 8] {
        let mut bm = [0u8; SLOT_COUNT / 8];
        for &(a, b) in &self.0 {
            fill(&mut bm, a as usize, b as usize);
        }
        bm
    }

    /// Whether `bm` (a bus slot bitmap) holds exactly these slots. Every received PING/PONG
    /// compares its sender's claimed slots with what we know; comparing 64 slots at a time
    /// against the runs avoids building (and copying) a 2 KiB bitmap per packet.
    pub(crate) fn matches_bitmap(&self, bm: &[u8; SLOT_COUNT / 8]) -> bool {
        let runs = &self.0;
        // Runs before `k` end before the current word.
        let mut k = 0;
        for (w, chunk) in bm.chunks_exact(8).enumerate() {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            // Bit `s - lo` of the little-endian word is slot `s` (bit `s % 8` of byte `s / 8`).
            let got = u64::from_le_bytes(word);
            let lo = w * 64;
            let hi = lo + 63;
            let mut want = 0u64;
            while let Some(&(a, b)) = runs.get(k) {
                let (a, b) = (usize::from(a), usize::from(b));
                if a > hi {
                    break;
                }
                want |= bits(a.max(lo) - lo, b.min(hi) - lo);
                if b > hi {
                    // The run goes on into the next word.
                    break;
                }
                k += 1;
            }
            if got != want {
                return false;
            }
        }
        true
    }
}

/// Bits `x..=y` of a word (`x <= y < 64`).
fn bits(x: usize, y: usize) -> u64 {
    let n = y - x + 1;
    if n == 64 {
        u64::MAX
    } else {
        ((1u64 << n) - 1) << x
    }
}

/// Set bits `a..=b` of `bm`: partial bytes bit by bit, whole bytes at once.
fn fill(bm: &mut [u8; SLOT_COUNT / 8], a: usize, b: usize) {
    let mut s = a;
    while s <= b && s % 8 != 0 {
        bm[s / 8] |= 1 << (s % 8);
        s += 1;
    }
    while s + 7 <= b {
        bm[s / 8] = 0xff;
        s += 8;
    }
    while s <= b {
        bm[s / 8] |= 1 << (s % 8);
        s += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_merges_and_remove_splits() {
        let mut r = Runs::default();
        for s in [5, 7, 6, 0, 16383, 1] {
            r.insert(s);
        }
        assert_eq!(r.as_slice(), &[(0, 1), (5, 7), (16383, 16383)]);
        r.remove(6);
        assert_eq!(r.as_slice(), &[(0, 1), (5, 5), (7, 7), (16383, 16383)]);
        r.remove(0);
        r.remove(16383);
        r.remove(5);
        assert_eq!(r.as_slice(), &[(1, 1), (7, 7)]);
        r.remove(7);
        r.remove(1);
        assert!(r.as_slice().is_empty());
    }

    #[test]
    fn bitmap_of_runs() {
        let mut r = Runs::default();
        for s in (3..=20).chain([16383]) {
            r.insert(s);
        }
        let bm = r.to_bitmap();
        for s in 0..SLOT_COUNT {
            let want = (3..=20).contains(&s) || s == 16383;
            assert_eq!(bm[s / 8] & (1 << (s % 8)) != 0, want, "slot {s}");
        }
    }

    proptest::proptest! {
        /// `matches_bitmap` agrees with comparing the built bitmap, for random runs against
        /// their own bitmap and against it with one bit flipped.
        #[test]
        fn matches_bitmap_agrees_with_the_built_bitmap(
            slots in proptest::collection::btree_set(0u16..SLOT_COUNT as u16, 0..300),
            dense in proptest::collection::vec(0u16..64, 0..4),
            flip in 0usize..SLOT_COUNT,
        ) {
            let mut r = Runs::default();
            let mut all = slots.clone();
            // Long runs too: whole words and runs crossing word edges.
            for d in dense {
                let start = d * 250;
                all.extend(start..start + 200);
            }
            for &s in &all {
                r.insert(s);
            }
            let bm = r.to_bitmap();
            proptest::prop_assert!(r.matches_bitmap(&bm));
            let mut other = bm;
            other[flip / 8] ^= 1 << (flip % 8);
            proptest::prop_assert!(!r.matches_bitmap(&other));
        }
    }

    #[test]
    fn matches_bitmap_edges() {
        let mut r = Runs::default();
        for s in (0..=63).chain(64..=130).chain([16383]) {
            r.insert(s);
        }
        let bm = r.to_bitmap();
        assert!(r.matches_bitmap(&bm));
        assert!(!Runs::default().matches_bitmap(&bm));
        assert!(Runs::default().matches_bitmap(&[0; SLOT_COUNT / 8]));
        let mut full = Runs::default();
        for s in 0..SLOT_COUNT as u16 {
            full.insert(s);
        }
        assert!(full.matches_bitmap(&[0xff; SLOT_COUNT / 8]));
    }
}
