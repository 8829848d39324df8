//! Hash slots and the 16384-bit slot set.

use std::fmt;

/// Number of hash slots in a Redis Cluster (`CLUSTER_SLOTS`).
pub const SLOT_COUNT: usize = 16384;

/// A hash slot, checked to be below 16384.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(u16);

impl Slot {
    /// The slot `n`, or `None` when `n >= 16384`.
    pub const fn new(n: u16) -> Option<Self> {
        if (n as usize) < SLOT_COUNT {
            Some(Slot(n))
        } else {
            None
        }
    }

    /// The slot of a 14-bit value (the caller masked it already, as `crc16 & 0x3FFF`).
    pub const fn from_masked(n: u16) -> Self {
        Slot(n & 0x3FFF)
    }

    /// The slot number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The slot number as an index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slot({})", self.0)
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A set of slots as a 16384-bit bitmap, the layout of the cluster bus's `myslots` field
/// (bit `s` is byte `s / 8`, bit `s % 8`, least significant first).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SlotSet([u8; SLOT_COUNT / 8]);

impl Default for SlotSet {
    fn default() -> Self {
        SlotSet([0; SLOT_COUNT / 8])
    }
}

impl SlotSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The set from its 2048-byte wire bitmap.
    pub fn from_bitmap(bitmap: [u8; SLOT_COUNT / 8]) -> Self {
        SlotSet(bitmap)
    }

    /// The 2048-byte wire bitmap.
    pub fn as_bitmap(&self) -> &[u8; SLOT_COUNT / 8] {
        &self.0
    }

    /// Whether `slot` is in the set.
    pub fn contains(&self, slot: Slot) -> bool {
        self.0[slot.index() / 8] & (1 << (slot.index() % 8)) != 0
    }

    /// Add `slot`; returns whether it was absent.
    pub fn insert(&mut self, slot: Slot) -> bool {
        let was = self.contains(slot);
        self.0[slot.index() / 8] |= 1 << (slot.index() % 8);
        !was
    }

    /// Remove `slot`; returns whether it was present.
    pub fn remove(&mut self, slot: Slot) -> bool {
        let was = self.contains(slot);
        self.0[slot.index() / 8] &= !(1 << (slot.index() % 8));
        was
    }

    /// Number of slots in the set.
    pub fn len(&self) -> usize {
        self.0.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }

    /// The slots in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = Slot> + '_ {
        // Byte by byte, skipping empty bytes and walking only the set bits of the others: a
        // bus header's bitmap is mostly zeros, and this runs for every PING/PONG received.
        self.0.iter().enumerate().flat_map(|(i, &byte)| {
            let mut bits = byte;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros() as u16;
                bits &= bits - 1;
                Some(Slot(i as u16 * 8 + b))
            })
        })
    }

    /// The set as ascending inclusive ranges, as CLUSTER NODES and CLUSTER SLOTS print them.
    pub fn ranges(&self) -> Vec<(Slot, Slot)> {
        let mut out = Vec::new();
        let mut start: Option<u16> = None;
        for n in 0..=SLOT_COUNT as u16 {
            let present = (n as usize) < SLOT_COUNT && self.contains(Slot(n));
            match (present, start) {
                (true, None) => start = Some(n),
                (false, Some(s)) => {
                    out.push((Slot(s), Slot(n - 1)));
                    start = None;
                }
                _ => {}
            }
        }
        out
    }
}

impl fmt::Debug for SlotSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ranges: Vec<String> = self
            .ranges()
            .into_iter()
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        write!(f, "SlotSet[{}]", ranges.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_len() {
        let mut s = SlotSet::new();
        for n in (0..=5460).chain([7000, 16383]) {
            s.insert(Slot::new(n).unwrap());
        }
        assert_eq!(s.len(), 5463);
        let r: Vec<(u16, u16)> = s.ranges().iter().map(|(a, b)| (a.get(), b.get())).collect();
        assert_eq!(r, vec![(0, 5460), (7000, 7000), (16383, 16383)]);
        assert!(s.remove(Slot::new(7000).unwrap()));
        assert!(!s.contains(Slot::new(7000).unwrap()));
    }

    #[test]
    fn iter_yields_exactly_the_members_in_order() {
        // A pseudo-random member pattern (xorshift), plus both ends and whole bytes.
        let mut s = SlotSet::new();
        let mut x: u32 = 0x9e37_79b9;
        let mut want = Vec::new();
        for n in 0..SLOT_COUNT as u16 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if n == 0 || n == 16383 || (800..816).contains(&n) || x % 7 == 0 {
                s.insert(Slot(n));
                want.push(n);
            }
        }
        let got: Vec<u16> = s.iter().map(|s| s.get()).collect();
        assert_eq!(got, want);
        assert!(SlotSet::new().iter().next().is_none());
    }
}
