//! A sorted set (ZADD, ZRANGE…): `listpack` while small, `skiplist` after.
//!
//! The two forms, as in Redis 7.0:
//! - `listpack` ([`zset_lp`]): one byte buffer sorted by (score, member) while the set has at most
//!   `zset-max-listpack-entries` members of at most `zset-max-listpack-value` bytes. O(n) per
//!   operation, n ≤ 128 by default.
//! - `skiplist` ([`zset_tree`]): a weight-balanced order-statistic tree with a keyed hash index:
//!   O(1) member → score, O(log n) insert, delete, rank, select and the rank of a score or lex
//!   bound. (OBJECT ENCODING still says `skiplist`: that is the name clients know.)
//!
//! A set converts to `skiplist` when it outgrows the limits and, like Redis, never converts back
//! on its own; results built whole (ZUNIONSTORE, ZRANGESTORE…) get the form their size calls for.

#[path = "zset_lp.rs"]
pub(crate) mod zset_lp;
#[path = "zset_tree.rs"]
pub(crate) mod zset_tree;

use std::fmt;

use crate::hash::KeyedHasher;
use crate::value::Encoding;
use crate::DEFAULT_SEED;

use zset_tree::Tree;

/// The encoding thresholds (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZSetLimits {
    /// Most members a `listpack` set may hold (Redis default 128; 0 = always `skiplist`).
    pub max_listpack_entries: usize,
    /// Longest member, in bytes, a `listpack` set may hold (Redis default 64).
    pub max_listpack_value: usize,
}

impl Default for ZSetLimits {
    fn default() -> Self {
        ZSetLimits {
            max_listpack_entries: 128,
            max_listpack_value: 64,
        }
    }
}

/// What a mutation needs besides the set: the limits and the hasher for the big form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ZCfg {
    pub(crate) limits: ZSetLimits,
    pub(crate) hasher: KeyedHasher,
}

impl Default for ZCfg {
    fn default() -> Self {
        ZCfg {
            limits: ZSetLimits::default(),
            hasher: KeyedHasher::from_seed(DEFAULT_SEED),
        }
    }
}

#[derive(Clone)]
enum Repr {
    Lp(Box<[u8]>),
    Tree(Box<Tree>),
}

/// A sorted set (ZADD, ZRANGE…): `listpack` while small, `skiplist` after.
#[derive(Clone)]
pub struct ZSet {
    repr: Repr,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet {
            repr: Repr::Lp(zset_lp::new()),
        }
    }
}

impl fmt::Debug for ZSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZSet")
            .field("encoding", &self.encoding().name())
            .field("len", &self.len())
            .finish()
    }
}

impl PartialEq for ZSet {
    /// Same members with bit-identical scores (the encoding is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits())
    }
}

impl Eq for ZSet {}

/// Elements in (score, member) order, or its reverse.
#[derive(Debug)]
pub struct ZIter<'a>(IterRepr<'a>);

#[derive(Debug)]
enum IterRepr<'a> {
    Lp(std::iter::Skip<zset_lp::Iter<'a>>),
    LpRev(std::iter::Rev<std::vec::IntoIter<(&'a [u8], f64)>>),
    Tree(zset_tree::TreeIter<'a>),
}

impl<'a> Iterator for ZIter<'a> {
    type Item = (&'a [u8], f64);
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Lp(it) => it.next().map(|e| (e.member, e.score)),
            IterRepr::LpRev(it) => it.next(),
            IterRepr::Tree(it) => it.next(),
        }
    }
}

impl ZSet {
    /// An empty set (`listpack`).
    pub fn new() -> Self {
        ZSet::default()
    }

    /// An empty set in the form a result of `len` members, the longest `max_member` bytes, takes.
    pub(crate) fn with_capacity_for(len: usize, max_member: usize, cfg: &ZCfg) -> Self {
        if len > cfg.limits.max_listpack_entries || max_member > cfg.limits.max_listpack_value {
            ZSet {
                repr: Repr::Tree(Box::new(Tree::new(cfg.hasher))),
            }
        } else {
            ZSet::new()
        }
    }

    /// The encoding OBJECT ENCODING reports.
    pub fn encoding(&self) -> Encoding {
        match self.repr {
            Repr::Lp(_) => Encoding::Other("listpack"),
            Repr::Tree(_) => Encoding::Other("skiplist"),
        }
    }

    /// Approximate heap bytes held, for `used_memory`.
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Lp(b) => zset_lp::malloc_size(b.len()),
            Repr::Tree(t) => t.heap_size(),
        }
    }

    /// Number of members (ZCARD).
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Lp(b) => zset_lp::len(b),
            Repr::Tree(t) => t.len(),
        }
    }

    /// Whether the set has no members (such a set is never stored under a key).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The score of `member` (ZSCORE).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Lp(b) => zset_lp::find(b, member).map(|e| e.score),
            Repr::Tree(t) => t.score(member),
        }
    }

    /// Add `member` or change its score, with Redis's default limits; the old score. `score`
    /// must not be NaN.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        self.insert_with(member, score, &ZCfg::default())
    }

    /// Add `member` or change its score; the old score.
    pub(crate) fn insert_with(&mut self, member: &[u8], score: f64, cfg: &ZCfg) -> Option<f64> {
        assert!(!score.is_nan(), "sorted-set scores are never NaN");
        match &mut self.repr {
            Repr::Lp(b) => {
                if let Some(e) = zset_lp::find(b, member) {
                    let old = e.score;
                    if old != score {
                        let idx = zset_lp::iter(b)
                            .position(|x| x.start == e.start)
                            .expect("found entry");
                        let without = zset_lp::remove_range(b, idx, idx + 1);
                        *b = zset_lp::insert(&without, member, score);
                    }
                    return Some(old);
                }
                let n = zset_lp::len(b);
                if n < cfg.limits.max_listpack_entries
                    && member.len() <= cfg.limits.max_listpack_value
                {
                    *b = zset_lp::insert(b, member, score);
                    return None;
                }
                self.convert_to_tree(cfg);
                self.insert_with(member, score, cfg)
            }
            Repr::Tree(t) => match t.score(member) {
                Some(old) => {
                    if old != score {
                        t.update(member, score);
                    }
                    Some(old)
                }
                None => {
                    t.insert_new(member, score);
                    None
                }
            },
        }
    }

    /// Convert to `skiplist` now (no-op when it is one): SORT does so before reading.
    pub(crate) fn convert_to_skiplist(&mut self, cfg: &ZCfg) {
        self.convert_to_tree(cfg);
    }

    fn convert_to_tree(&mut self, cfg: &ZCfg) {
        if let Repr::Lp(b) = &self.repr {
            let mut t = Tree::new(cfg.hasher);
            for e in zset_lp::iter(b) {
                t.insert_new(e.member, e.score);
            }
            self.repr = Repr::Tree(Box::new(t));
        }
    }

    /// Remove `member`; its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Lp(b) => {
                let (idx, score) = zset_lp::iter(b)
                    .enumerate()
                    .find(|(_, e)| e.member == member)
                    .map(|(i, e)| (i, e.score))?;
                *b = zset_lp::remove_range(b, idx, idx + 1);
                Some(score)
            }
            Repr::Tree(t) => t.remove(member),
        }
    }

    /// The 0-based ascending rank of `member` (ZRANK).
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Lp(b) => zset_lp::iter(b).position(|e| e.member == member),
            Repr::Tree(t) => t.rank(member),
        }
    }

    /// Number of leading elements (in order) for which `before(member, score)` holds; `before`
    /// must hold on a prefix of the order (a lower or upper bound of a score or lex range).
    pub(crate) fn count_prefix(&self, before: impl Fn(&[u8], f64) -> bool) -> usize {
        match &self.repr {
            Repr::Lp(b) => zset_lp::iter(b)
                .take_while(|e| before(e.member, e.score))
                .count(),
            Repr::Tree(t) => t.count_prefix(before),
        }
    }

    /// All elements in (score, member) order.
    pub fn iter(&self) -> ZIter<'_> {
        self.iter_from(0, false)
    }

    /// Elements from rank `start` ascending, or (`rev`) from reverse rank `start` descending.
    pub fn iter_from(&self, start: usize, rev: bool) -> ZIter<'_> {
        match &self.repr {
            Repr::Lp(b) if !rev => ZIter(IterRepr::Lp(zset_lp::iter(b).skip(start))),
            Repr::Lp(b) => {
                let mut v: Vec<(&[u8], f64)> =
                    zset_lp::iter(b).map(|e| (e.member, e.score)).collect();
                let keep = v.len().saturating_sub(start);
                v.truncate(keep);
                ZIter(IterRepr::LpRev(v.into_iter().rev()))
            }
            Repr::Tree(t) => ZIter(IterRepr::Tree(t.iter_from(start, rev))),
        }
    }

    /// Remove the elements of ranks `from..to`; how many were removed.
    pub(crate) fn remove_rank_range(&mut self, from: usize, to: usize) -> usize {
        let to = to.min(self.len());
        if from >= to {
            return 0;
        }
        match &mut self.repr {
            Repr::Lp(b) => *b = zset_lp::remove_range(b, from, to),
            Repr::Tree(t) => {
                let members: Vec<Vec<u8>> = t
                    .iter_from(from, false)
                    .take(to - from)
                    .map(|(m, _)| m.to_vec())
                    .collect();
                for m in members {
                    t.remove(&m);
                }
            }
        }
        to - from
    }

    /// ZSCAN: the whole set with cursor 0 for a `listpack`; hash buckets by Redis's
    /// reverse-binary cursor for the big form. Returns the next cursor.
    pub(crate) fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match &self.repr {
            Repr::Lp(b) => {
                for e in zset_lp::iter(b) {
                    f(e.member, e.score);
                }
                0
            }
            Repr::Tree(t) => t.scan(cursor, count, f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_skiplist_past_the_limits() {
        let mut z = ZSet::new();
        for i in 0..128 {
            z.insert(format!("m{i}").as_bytes(), f64::from(i));
        }
        assert_eq!(z.encoding().name(), "listpack");
        z.insert(b"one-more", 0.5);
        assert_eq!(z.encoding().name(), "skiplist");
        assert_eq!(z.len(), 129);
        assert_eq!(z.rank(b"one-more"), Some(1));
        let mut y = ZSet::new();
        y.insert(&[b'x'; 65], 1.0);
        assert_eq!(y.encoding().name(), "skiplist");
        let mut w = ZSet::new();
        w.insert(&[b'x'; 64], 1.0);
        assert_eq!(w.encoding().name(), "listpack");
    }

    #[test]
    fn reverse_iteration_from_rank() {
        let mut z = ZSet::new();
        for (m, s) in [("a", 1.0), ("b", 2.0), ("c", 3.0)] {
            z.insert(m.as_bytes(), s);
        }
        let got: Vec<_> = z.iter_from(1, true).map(|(m, _)| m.to_vec()).collect();
        assert_eq!(got, vec![b"b".to_vec(), b"a".to_vec()]);
    }
}
