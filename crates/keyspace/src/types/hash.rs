//! A hash (HSET, HGET…): `listpack` while small, `hashtable` after.
//!
//! The small form is one exact-size byte buffer of `[len, LEB128][bytes]` items, field and value
//! alternating in insertion order (Redis's listpack order, which HGETALL and HSCAN show). It
//! spends 1 byte of length per item where Redis's listpack spends 2 (encoding and back-length)
//! plus a 7-byte header, and no per-element allocation. Lookups are linear, as in Redis, which
//! is why the form is bounded by [`HashLimits`].
//!
//! The large form is a [`Dict`] of `[field len][field][value]` entries (see `hash_dict.rs`).

#[path = "hash_dict.rs"]
pub(crate) mod dict;

use hashslot_types::Rng;

use self::dict::{get_varint, pair_entry, put_varint, split_pair, varint_len, Dict, Kind};
use crate::hash::KeyedHasher;
use crate::value::Encoding;

/// The encoding thresholds of hashes: Redis's `hash-max-listpack-entries` and
/// `hash-max-listpack-value`. [`HashLimits::REDIS_DEFAULT`] holds Redis's defaults; commands take
/// them from [`EncodingLimits`](crate::EncodingLimits), which a node fills from its CONFIG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashLimits {
    /// Most fields a `listpack` hash holds (`hash-max-listpack-entries`, 512: Redis 7.0's
    /// default, verified with `CONFIG GET` on redis-server 7.0.15; 128 is the zset default).
    pub max_listpack_entries: usize,
    /// Longest field or value, in bytes, a `listpack` hash holds (`hash-max-listpack-value`, 64).
    pub max_listpack_value: usize,
}

impl HashLimits {
    /// Redis 7.0's defaults.
    pub const REDIS_DEFAULT: HashLimits = HashLimits {
        max_listpack_entries: 512,
        max_listpack_value: 64,
    };
}

impl Default for HashLimits {
    fn default() -> Self {
        HashLimits::REDIS_DEFAULT
    }
}

#[derive(Debug, Clone)]
enum Repr {
    /// `[len][field][len][value]…` in insertion order.
    Listpack(Box<[u8]>),
    Table(Box<Dict>),
}

/// A hash (HSET, HGET…): `listpack` while small, `hashtable` after.
#[derive(Debug, Clone)]
pub struct Hash {
    repr: Repr,
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl PartialEq for Hash {
    /// Same fields with the same values, whatever the encodings and orders.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl Eq for Hash {}

/// Iterator over a listpack's items.
#[derive(Clone, Debug)]
struct LpItems<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for LpItems<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let n = get_varint(self.buf, &mut self.pos);
        let item = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Some(item)
    }
}

/// Iterator over a hash's `(field, value)` pairs.
#[derive(Clone, Debug)]
pub struct HashIter<'a> {
    inner: IterInner<'a>,
}

#[derive(Clone, Debug)]
enum IterInner<'a> {
    Listpack(LpItems<'a>),
    Table(std::slice::Iter<'a, Option<Box<[u8]>>>),
}

impl<'a> Iterator for HashIter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            IterInner::Listpack(it) => Some((it.next()?, it.next()?)),
            IterInner::Table(it) => it.find_map(|e| e.as_deref()).map(split_pair),
        }
    }
}

fn lp_find(buf: &[u8], field: &[u8]) -> Option<(usize, usize, usize)> {
    // Returns (start of the field item, start of the value item, end of the value item).
    let mut pos = 0;
    while pos < buf.len() {
        let start = pos;
        let n = get_varint(buf, &mut pos);
        let is_match = &buf[pos..pos + n] == field;
        pos += n;
        let vstart = pos;
        let m = get_varint(buf, &mut pos);
        pos += m;
        if is_match {
            return Some((start, vstart, pos));
        }
    }
    None
}

impl Hash {
    /// An empty hash (`listpack`).
    pub fn new() -> Self {
        Hash {
            repr: Repr::Listpack(Box::default()),
        }
    }

    /// The encoding OBJECT ENCODING reports.
    pub fn encoding(&self) -> Encoding {
        match self.repr {
            Repr::Listpack(_) => Encoding::Other("listpack"),
            Repr::Table(_) => Encoding::Other("hashtable"),
        }
    }

    /// Approximate heap bytes held, for `used_memory`.
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Listpack(b) if b.is_empty() => 0,
            Repr::Listpack(b) => ((b.len() + 8 + 15) & !15).max(32),
            Repr::Table(d) => d.heap_size() + std::mem::size_of::<Dict>(),
        }
    }

    /// Number of fields (HLEN).
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(b) => self.lp_items(b).count() / 2,
            Repr::Table(d) => d.len(),
        }
    }

    /// Whether the hash has no fields.
    pub fn is_empty(&self) -> bool {
        match &self.repr {
            Repr::Listpack(b) => b.is_empty(),
            Repr::Table(d) => d.len() == 0,
        }
    }

    fn lp_items<'a>(&self, buf: &'a [u8]) -> LpItems<'a> {
        LpItems { buf, pos: 0 }
    }

    /// The value of `field` (HGET).
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(b) => lp_find(b, field).map(|(_, v, end)| {
                let mut p = v;
                let n = get_varint(b, &mut p);
                debug_assert_eq!(p + n, end);
                &b[p..p + n]
            }),
            Repr::Table(d) => d.find(field).map(|i| split_pair(d.get(i)).1),
        }
    }

    /// The `(field, value)` pairs: insertion order for `listpack`, table order for `hashtable`.
    pub fn iter(&self) -> HashIter<'_> {
        let inner = match &self.repr {
            Repr::Listpack(b) => IterInner::Listpack(self.lp_items(b)),
            Repr::Table(d) => IterInner::Table(d.slots()),
        };
        HashIter { inner }
    }

    /// Set `field` to `value` with Redis's default limits and the default hash seed; returns
    /// whether the field is new. (Commands use [`Hash::set_with`].)
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        self.set_with(
            field,
            value,
            &HashLimits::REDIS_DEFAULT,
            KeyedHasher::from_seed(crate::db::DEFAULT_SEED),
        )
    }

    /// Convert to `hashtable` if any of `items` is longer than the limit (Redis's
    /// `hashTypeTryConversion`, run on a command's arguments before it writes).
    pub(crate) fn convert_for_lengths<'a>(
        &mut self,
        items: impl IntoIterator<Item = &'a [u8]>,
        limits: &HashLimits,
        hasher: KeyedHasher,
    ) {
        if matches!(self.repr, Repr::Listpack(_))
            && items
                .into_iter()
                .any(|i| i.len() > limits.max_listpack_value)
        {
            self.convert(hasher);
        }
    }

    fn convert(&mut self, hasher: KeyedHasher) {
        if let Repr::Listpack(b) = &self.repr {
            let mut d = Dict::new(Kind::Pairs, hasher, self.len());
            let mut it = self.lp_items(b);
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                d.insert_new(pair_entry(f, v));
            }
            self.repr = Repr::Table(Box::new(d));
        }
    }

    /// Set `field` to `value` (HSET); returns whether the field is new. Converts to `hashtable`
    /// when the field or value is too long or the hash grows past the entry limit.
    pub(crate) fn set_with(
        &mut self,
        field: &[u8],
        value: &[u8],
        limits: &HashLimits,
        hasher: KeyedHasher,
    ) -> bool {
        self.convert_for_lengths([field, value], limits, hasher);
        match &mut self.repr {
            Repr::Listpack(b) => {
                let mut out;
                let new = match lp_find(b, field) {
                    Some((_, vstart, vend)) => {
                        out = Vec::with_capacity(b.len() + value.len() + 10);
                        out.extend_from_slice(&b[..vstart]);
                        put_varint(&mut out, value.len());
                        out.extend_from_slice(value);
                        out.extend_from_slice(&b[vend..]);
                        false
                    }
                    None => {
                        out = Vec::with_capacity(
                            b.len()
                                + varint_len(field.len())
                                + field.len()
                                + varint_len(value.len())
                                + value.len(),
                        );
                        out.extend_from_slice(b);
                        put_varint(&mut out, field.len());
                        out.extend_from_slice(field);
                        put_varint(&mut out, value.len());
                        out.extend_from_slice(value);
                        true
                    }
                };
                *b = out.into_boxed_slice();
                if new && self.len() > limits.max_listpack_entries {
                    self.convert(hasher);
                }
                new
            }
            Repr::Table(d) => match d.find(field) {
                Some(i) => {
                    d.replace_at(i, pair_entry(field, value));
                    false
                }
                None => {
                    d.insert_new(pair_entry(field, value));
                    true
                }
            },
        }
    }

    /// Remove `field` (HDEL); returns whether it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(b) => match lp_find(b, field) {
                Some((start, _, end)) => {
                    let mut out = Vec::with_capacity(b.len() - (end - start));
                    out.extend_from_slice(&b[..start]);
                    out.extend_from_slice(&b[end..]);
                    *b = out.into_boxed_slice();
                    true
                }
                None => false,
            },
            Repr::Table(d) => d.remove(field).is_some(),
        }
    }

    /// A uniformly random `(field, value)`; `None` when empty.
    pub(crate) fn random_pair(&self, rng: &mut Rng) -> Option<(&[u8], &[u8])> {
        match &self.repr {
            Repr::Listpack(b) => {
                let n = self.len();
                if n == 0 {
                    return None;
                }
                self.iter_listpack_nth(b, rng.below(n as u64) as usize)
            }
            Repr::Table(d) => {
                if d.len() == 0 {
                    return None;
                }
                Some(split_pair(d.get(d.random_pos(rng))))
            }
        }
    }

    fn iter_listpack_nth<'a>(&self, b: &'a [u8], n: usize) -> Option<(&'a [u8], &'a [u8])> {
        let mut it = self.lp_items(b).skip(2 * n);
        Some((it.next()?, it.next()?))
    }

    /// One HSCAN step: small hashes return everything with cursor 0, as in Redis; tables walk
    /// hash-prefix cursors (see `hash_dict.rs`).
    pub(crate) fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut f: impl FnMut(&'a [u8], &'a [u8]),
    ) -> u64 {
        match &self.repr {
            Repr::Listpack(_) => {
                for (k, v) in self.iter() {
                    f(k, v);
                }
                0
            }
            Repr::Table(d) => d.scan(cursor, count, |e| {
                let (k, v) = split_pair(e);
                f(k, v)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_set_get_remove_keep_insertion_order() {
        let mut h = Hash::new();
        assert!(h.insert(b"a", b"1"));
        assert!(h.insert(b"b", b"2"));
        assert!(!h.insert(b"a", b"111"));
        assert_eq!(h.get(b"a"), Some(&b"111"[..]));
        let pairs: Vec<_> = h.iter().collect();
        assert_eq!(
            pairs,
            vec![(&b"a"[..], &b"111"[..]), (&b"b"[..], &b"2"[..])]
        );
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(h.len(), 1);
        assert_eq!(h.encoding().name(), "listpack");
    }

    #[test]
    fn converts_past_limits() {
        let mut h = Hash::new();
        for i in 0..512 {
            h.insert(format!("f{i}").as_bytes(), b"v");
        }
        assert_eq!(h.encoding().name(), "listpack");
        h.insert(b"f512", b"v");
        assert_eq!(h.encoding().name(), "hashtable");
        assert_eq!(h.len(), 513);
        let mut g = Hash::new();
        g.insert(b"f", &[b'x'; 65]);
        assert_eq!(g.encoding().name(), "hashtable");
        assert_eq!(g.get(b"f"), Some(&[b'x'; 65][..]));
        let mut g2 = Hash::new();
        g2.insert(b"f", &[b'x'; 64]);
        assert_eq!(g2.encoding().name(), "listpack");
    }
}
