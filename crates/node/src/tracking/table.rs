//! The tracking table of the default mode: for every key a tracking client read, the ids of the
//! clients that may hold it in their cache. Ref: tracking.c `TrackingTable`,
//! `TrackingTableTotalItems`.
//!
//! Keys are client-chosen, so the table is an ordered map (no hasher seed to attack, a fixed
//! order). Ids of a key are kept in the order Redis's radix tree keeps them: by the bytes of the
//! id in memory, little-endian on every host Redis 7.0 runs on, so that several clients that
//! redirect to one connection send it their messages in Redis's order.

use std::collections::{BTreeMap, BTreeSet};

use hashslot_types::Rng;

/// A client id ordered by its little-endian bytes (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RaxId([u8; 8]);

impl RaxId {
    fn new(id: u64) -> Self {
        RaxId(id.to_le_bytes())
    }

    fn id(self) -> u64 {
        u64::from_le_bytes(self.0)
    }
}

/// Key → ids of the clients that read it since it last changed.
#[derive(Debug, Default)]
pub(crate) struct KeyTable {
    keys: BTreeMap<Vec<u8>, BTreeSet<RaxId>>,
    /// Ids stored over all keys (`tracking_total_items`).
    items: u64,
}

impl KeyTable {
    /// Remember that client `id` read `key` (Redis's `trackingRememberKeys`, one key).
    pub(crate) fn remember(&mut self, key: &[u8], id: u64) {
        let inserted = match self.keys.get_mut(key) {
            Some(ids) => ids.insert(RaxId::new(id)),
            None => {
                self.keys
                    .insert(key.to_vec(), BTreeSet::from([RaxId::new(id)]));
                true
            }
        };
        if inserted {
            self.items += 1;
        }
    }

    /// Forget `key` and return the ids that read it, in Redis's order (`None`: nobody).
    pub(crate) fn take(&mut self, key: &[u8]) -> Option<Vec<u64>> {
        let ids = self.keys.remove(key)?;
        self.items -= ids.len() as u64;
        Some(ids.into_iter().map(RaxId::id).collect())
    }

    /// Forget everything (FLUSHALL, FLUSHDB: Redis frees the whole table).
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.items = 0;
    }

    /// Keys in the table (`tracking_total_keys`).
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Ids over all keys (`tracking_total_items`); a client that turned tracking off or left
    /// still counts until its keys change, as Redis removes ids lazily.
    pub(crate) fn items(&self) -> u64 {
        self.items
    }

    /// A key picked at random for eviction (Redis walks its radix tree at random). We seek the
    /// first key at or after a random byte string drawn between the smallest and the largest
    /// key, then step up to 15 keys further (wrapping): O(log n), and every key can be picked,
    /// even among keys that share long prefixes.
    pub(crate) fn random_key(&self, rng: &mut Rng) -> Option<Vec<u8>> {
        let (first, _) = self.keys.first_key_value()?;
        let (last, _) = self.keys.last_key_value()?;
        let probe = probe_between(first, last, rng);
        let steps = (rng.next_u64() % 16) as usize;
        self.keys
            .range(probe..)
            .chain(self.keys.iter().cycle())
            .nth(steps)
            .map(|(k, _)| k.clone())
    }
}

/// A byte string `>= lo` and `<= hi` (bytewise order; `lo <= hi`): their common prefix, then a
/// random byte between theirs at the first position they differ, then up to 8 random bytes.
fn probe_between(lo: &[u8], hi: &[u8], rng: &mut Rng) -> Vec<u8> {
    let common = lo.iter().zip(hi).take_while(|(a, b)| a == b).count();
    let mut p = lo[..common].to_vec();
    let (Some(&a), Some(&b)) = (lo.get(common), hi.get(common)) else {
        // `lo` is a prefix of `hi`: any extension of `lo` up to `hi` will do.
        return p;
    };
    let span = u64::from(b - a) + 1;
    p.push(a + (rng.next_u64() % span) as u8);
    let tail = rng.next_u64().to_le_bytes();
    let n = (rng.next_u64() % 9) as usize;
    p.extend_from_slice(&tail[..n]);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remember_counts_items_once_and_take_empties_a_key() {
        let mut t = KeyTable::default();
        t.remember(b"a", 1);
        t.remember(b"a", 1);
        t.remember(b"a", 2);
        t.remember(b"b", 2);
        assert_eq!((t.len(), t.items()), (2, 3));
        assert_eq!(t.take(b"a"), Some(vec![1, 2]));
        assert_eq!(t.take(b"a"), None);
        assert_eq!((t.len(), t.items()), (1, 1));
        t.clear();
        assert_eq!((t.len(), t.items()), (0, 0));
    }

    #[test]
    fn ids_come_out_in_little_endian_byte_order() {
        let mut t = KeyTable::default();
        for id in [1, 256, 2, 257] {
            t.remember(b"k", id);
        }
        // 256 = [0,1,0..] sorts before 1 = [1,0,..], as in Redis's rax of raw ids.
        assert_eq!(t.take(b"k"), Some(vec![256, 1, 257, 2]));
    }

    #[test]
    fn random_key_reaches_every_key() {
        let mut t = KeyTable::default();
        let keys: Vec<Vec<u8>> = (0..20).map(|i| format!("key:{i}").into_bytes()).collect();
        for k in &keys {
            t.remember(k, 1);
        }
        let mut rng = Rng::from_seed(7);
        let mut seen = BTreeSet::new();
        for _ in 0..2_000 {
            seen.insert(t.random_key(&mut rng).expect("non-empty"));
        }
        assert_eq!(seen.len(), keys.len());
        assert_eq!(KeyTable::default().random_key(&mut rng), None);
        // Few keys, many steps: still a key every time.
        let mut two = KeyTable::default();
        two.remember(b"m1", 1);
        two.remember(b"m2", 1);
        for _ in 0..200 {
            assert!(two.random_key(&mut rng).is_some());
        }
    }
}
