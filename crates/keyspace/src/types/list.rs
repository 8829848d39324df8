//! A list (LPUSH, LRANGE…). Redis 7.0 reports every list as `quicklist`.
//!
//! The representation is Redis's quicklist idea: a deque of packed chunks (see `list_chunk.rs`)
//! of at most 8 KB each (`list-max-listpack-size -2`), so memory per element is a few bytes and
//! pushes and pops at both ends are O(1). A list that fits one chunk (most lists) is that chunk
//! alone, with no chunk index: `List` is one `Vec`'s worth of bytes inline in the `Object`, and
//! the chunk is its only allocation.

use std::collections::VecDeque;

use crate::value::{Encoding, StrRef};

#[path = "list_chunk.rs"]
mod chunk;

pub(crate) use chunk::elem_eq;
use chunk::{Chunk, Encoded, CHUNK_LIMIT, HDR};

/// A list (LPUSH, LRANGE…). Redis 7.0 reports every list as `quicklist`.
#[derive(Debug, Clone, Default)]
pub struct List {
    repr: Repr,
}

#[derive(Debug, Clone)]
enum Repr {
    /// Zero or one chunk.
    Small(Chunk),
    /// Two chunks or more (or one, transiently).
    Big(Box<Big>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Small(Chunk::default())
    }
}

#[derive(Debug)]
struct Big {
    len: usize,
    /// Never holds an empty chunk.
    chunks: VecDeque<Chunk>,
    /// Σ capacity of the chunks, kept as they change so that [`List::heap_size`] (read for
    /// `used_memory` after every write) is O(1) however long the list.
    bytes: usize,
}

impl Clone for Big {
    /// A clone's chunks are allocated to their length, not the original's capacity: count again.
    fn clone(&self) -> Big {
        let mut b = Big {
            len: self.len,
            chunks: self.chunks.clone(),
            bytes: 0,
        };
        b.bytes = b.walk_bytes();
        b
    }
}

impl Big {
    /// Run `f` on chunk `ci`, keeping `bytes` right.
    fn edit<R>(&mut self, ci: usize, f: impl FnOnce(&mut Chunk) -> R) -> R {
        let c = &mut self.chunks[ci];
        let before = c.capacity();
        let r = f(c);
        self.bytes = self.bytes - before + c.capacity();
        r
    }

    /// Σ capacity of the chunks, walked (after whole-list rewrites, and for tests).
    fn walk_bytes(&self) -> usize {
        self.chunks.iter().map(Chunk::capacity).sum()
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for List {}

impl<'a> FromIterator<&'a [u8]> for List {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(iter: I) -> Self {
        let mut l = List::new();
        for v in iter {
            l.push_back(v);
        }
        l
    }
}

impl List {
    /// An empty list.
    pub fn new() -> Self {
        List::default()
    }

    /// The encoding OBJECT ENCODING reports.
    pub fn encoding(&self) -> Encoding {
        Encoding::Other("quicklist")
    }

    /// Approximate heap bytes held, for `used_memory`.
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Small(c) => c.capacity(),
            Repr::Big(b) => {
                std::mem::size_of::<Big>()
                    + b.chunks.capacity() * std::mem::size_of::<Chunk>()
                    + b.bytes
            }
        }
    }

    /// Number of elements (LLEN), in O(1).
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Small(c) => c.count(),
            Repr::Big(b) => b.len,
        }
    }

    /// Whether the list has no elements (such a list is never stored under a key).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements from head to tail; `.rev()` walks from the tail.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = StrRef<'_>> + ExactSizeIterator + '_ {
        self.range(0, self.len())
    }

    /// Append `v` at the tail (RPUSH).
    pub fn push_back(&mut self, v: &[u8]) {
        let e = Encoded::new(v);
        match &mut self.repr {
            Repr::Small(c) if c.fits(e.len()) => c.push_back(&e),
            _ => {
                let b = self.big_mut();
                b.len += 1;
                match b.chunks.back() {
                    Some(c) if c.fits(e.len()) => b.edit(b.chunks.len() - 1, |c| c.push_back(&e)),
                    _ => {
                        let c = Chunk::from_encoded(&[e]);
                        b.bytes += c.capacity();
                        b.chunks.push_back(c);
                    }
                }
            }
        }
    }

    /// Prepend `v` at the head (LPUSH).
    pub fn push_front(&mut self, v: &[u8]) {
        let e = Encoded::new(v);
        match &mut self.repr {
            Repr::Small(c) if c.fits(e.len()) => c.push_front(&e),
            _ => {
                let b = self.big_mut();
                b.len += 1;
                match b.chunks.front() {
                    Some(c) if c.fits(e.len()) => b.edit(0, |c| c.push_front(&e)),
                    _ => {
                        let c = Chunk::from_encoded(&[e]);
                        b.bytes += c.capacity();
                        b.chunks.push_front(c);
                    }
                }
            }
        }
    }

    /// Push all of `vs` at the tail (`front == false`, RPUSH order) or one by one at the head
    /// (LPUSH order: the last one ends up first). A list created by one push of elements that
    /// fit one chunk gets a single exactly-sized allocation.
    pub fn push_all(&mut self, vs: &[&[u8]], front: bool) {
        if self.is_empty() && !front {
            let enc: Vec<Encoded<'_>> = vs.iter().map(|v| Encoded::new(v)).collect();
            let total: usize = HDR + enc.iter().map(Encoded::len).sum::<usize>();
            if total <= CHUNK_LIMIT && enc.len() < usize::from(u16::MAX) {
                self.repr = Repr::Small(Chunk::from_encoded(&enc));
                return;
            }
        }
        if self.is_empty() && front {
            let enc: Vec<Encoded<'_>> = vs.iter().rev().map(|v| Encoded::new(v)).collect();
            let total: usize = HDR + enc.iter().map(Encoded::len).sum::<usize>();
            if total <= CHUNK_LIMIT && enc.len() < usize::from(u16::MAX) {
                self.repr = Repr::Small(Chunk::from_encoded(&enc));
                return;
            }
        }
        for v in vs {
            if front {
                self.push_front(v);
            } else {
                self.push_back(v);
            }
        }
    }

    /// Remove and return the head element (LPOP).
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let v = self.front()?.to_vec();
        self.remove_front(1);
        Some(v)
    }

    /// Remove and return the tail element (RPOP).
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let v = self.back()?.to_vec();
        self.remove_back(1);
        Some(v)
    }

    /// The head element.
    pub fn front(&self) -> Option<StrRef<'_>> {
        match &self.repr {
            Repr::Small(c) => c.front(),
            Repr::Big(b) => b.chunks.front().and_then(Chunk::front),
        }
    }

    /// The tail element.
    pub fn back(&self) -> Option<StrRef<'_>> {
        match &self.repr {
            Repr::Small(c) => c.back(),
            Repr::Big(b) => b.chunks.back().and_then(Chunk::back),
        }
    }

    /// Element `i` from the head (LINDEX with a resolved index).
    pub fn get(&self, i: usize) -> Option<StrRef<'_>> {
        if i >= self.len() {
            return None;
        }
        let (ci, j) = self.locate(i);
        Some(self.chunk(ci).get(j))
    }

    /// Remove the first `n` elements (all when `n >= len`).
    pub fn remove_front(&mut self, mut n: usize) {
        match &mut self.repr {
            Repr::Small(c) => c.remove_front(n),
            Repr::Big(b) => {
                n = n.min(b.len);
                b.len -= n;
                while n > 0 {
                    let count = b.chunks.front().expect("chunk").count();
                    let take = n.min(count);
                    if take == count {
                        let c = b.chunks.pop_front().expect("chunk");
                        b.bytes -= c.capacity();
                    } else {
                        b.edit(0, |c| c.remove_front(take));
                    }
                    n -= take;
                }
                self.maybe_demote();
            }
        }
    }

    /// Remove the last `n` elements (all when `n >= len`).
    pub fn remove_back(&mut self, mut n: usize) {
        match &mut self.repr {
            Repr::Small(c) => c.remove_back(n),
            Repr::Big(b) => {
                n = n.min(b.len);
                b.len -= n;
                while n > 0 {
                    let count = b.chunks.back().expect("chunk").count();
                    let take = n.min(count);
                    if take == count {
                        let c = b.chunks.pop_back().expect("chunk");
                        b.bytes -= c.capacity();
                    } else {
                        let last = b.chunks.len() - 1;
                        b.edit(last, |c| c.remove_back(take));
                    }
                    n -= take;
                }
                self.maybe_demote();
            }
        }
    }

    /// Replace element `i` (LSET); `false` when out of range.
    pub fn set(&mut self, i: usize, v: &[u8]) -> bool {
        if i >= self.len() {
            return false;
        }
        let (ci, j) = self.locate(i);
        let e = Encoded::new(v);
        self.edit_chunk(ci, |c| c.replace(j, &e));
        self.split_if_oversized(ci);
        true
    }

    /// Insert `v` so that it becomes element `i` (`i <= len`; LINSERT).
    pub fn insert(&mut self, i: usize, v: &[u8]) {
        let len = self.len();
        assert!(i <= len, "insert index in range");
        if i == 0 {
            return self.push_front(v);
        }
        if i == len {
            return self.push_back(v);
        }
        let (ci, j) = self.locate(i);
        let e = Encoded::new(v);
        self.edit_chunk(ci, |c| c.insert(j, &e));
        match &mut self.repr {
            Repr::Small(_) => {}
            Repr::Big(b) => b.len += 1,
        }
        self.split_if_oversized(ci);
    }

    /// Remove the elements at the (ascending, distinct, in range) indexes `idx` (LREM).
    pub fn remove_indexes(&mut self, idx: &[usize]) {
        if idx.is_empty() {
            return;
        }
        match &mut self.repr {
            Repr::Small(c) => c.remove_indexes(idx),
            Repr::Big(b) => {
                let mut base = 0;
                let mut k = 0;
                let mut local = Vec::new();
                for c in b.chunks.iter_mut() {
                    let n = c.count();
                    local.clear();
                    while k < idx.len() && idx[k] < base + n {
                        local.push(idx[k] - base);
                        k += 1;
                    }
                    c.remove_indexes(&local);
                    base += n;
                }
                b.len -= idx.len();
                b.chunks.retain(|c| c.count() > 0);
                Self::merge_small_chunks(b);
                // O(n) already: walk rather than follow every chunk it touched.
                b.bytes = b.walk_bytes();
                self.maybe_demote();
            }
        }
    }

    /// Elements `start..end` (`end <= len`) as a double-ended iterator.
    pub(crate) fn range(&self, start: usize, end: usize) -> Iter<'_> {
        debug_assert!(start <= end && end <= self.len());
        if start == end {
            return Iter {
                list: self,
                fc: 0,
                foff: 0,
                bc: 0,
                boff: 0,
                remaining: 0,
            };
        }
        let (fc, fj) = self.locate(start);
        let (bc, bj) = self.locate(end - 1);
        Iter {
            list: self,
            fc,
            foff: self.chunk(fc).cursor_of(fj),
            bc,
            boff: self.chunk(bc).cursor_of(bj + 1),
            remaining: end - start,
        }
    }

    // ----- chunk plumbing -----

    #[cfg(test)]
    fn nchunks(&self) -> usize {
        match &self.repr {
            Repr::Small(_) => 1,
            Repr::Big(b) => b.chunks.len(),
        }
    }

    fn chunk(&self, i: usize) -> &Chunk {
        match &self.repr {
            Repr::Small(c) => c,
            Repr::Big(b) => &b.chunks[i],
        }
    }

    /// Run `f` on chunk `i`, keeping a big list's byte count right.
    fn edit_chunk<R>(&mut self, i: usize, f: impl FnOnce(&mut Chunk) -> R) -> R {
        match &mut self.repr {
            Repr::Small(c) => f(c),
            Repr::Big(b) => b.edit(i, f),
        }
    }

    /// (chunk, index in chunk) of element `i < len`, walking from the nearer end.
    fn locate(&self, mut i: usize) -> (usize, usize) {
        match &self.repr {
            Repr::Small(_) => (0, i),
            Repr::Big(b) => {
                if i < b.len / 2 {
                    for (ci, c) in b.chunks.iter().enumerate() {
                        if i < c.count() {
                            return (ci, i);
                        }
                        i -= c.count();
                    }
                } else {
                    let mut from_end = b.len - i; // ≥ 1
                    for (ci, c) in b.chunks.iter().enumerate().rev() {
                        if from_end <= c.count() {
                            return (ci, c.count() - from_end);
                        }
                        from_end -= c.count();
                    }
                }
                unreachable!("index below length")
            }
        }
    }

    fn big_mut(&mut self) -> &mut Big {
        if let Repr::Small(c) = &mut self.repr {
            let c = std::mem::take(c);
            let len = c.count();
            let mut chunks = VecDeque::with_capacity(2);
            let bytes = if len > 0 { c.capacity() } else { 0 };
            if len > 0 {
                chunks.push_back(c);
            }
            self.repr = Repr::Big(Box::new(Big { len, chunks, bytes }));
        }
        match &mut self.repr {
            Repr::Big(b) => b,
            Repr::Small(_) => unreachable!("just converted"),
        }
    }

    /// Back to the compact shape once at most one chunk is left.
    fn maybe_demote(&mut self) {
        if let Repr::Big(b) = &mut self.repr {
            if b.chunks.len() <= 1 {
                let c = b.chunks.pop_front().unwrap_or_default();
                self.repr = Repr::Small(c);
            }
        }
    }

    /// Split chunk `ci` in two when an insert or replace took it past the size limit.
    fn split_if_oversized(&mut self, ci: usize) {
        let c = self.chunk(ci);
        if c.bytes() <= CHUNK_LIMIT || c.count() < 2 {
            return;
        }
        let b = self.big_mut();
        let tail = b.edit(ci, Chunk::split);
        b.bytes += tail.capacity();
        b.chunks.insert(ci + 1, tail);
    }

    /// After removals in the middle: merge neighbours whose elements fit one chunk, so a list
    /// thinned by LREM does not keep many near-empty chunks.
    fn merge_small_chunks(b: &mut Big) {
        let mut out: VecDeque<Chunk> = VecDeque::with_capacity(b.chunks.len());
        for c in b.chunks.drain(..) {
            match out.back_mut() {
                Some(last)
                    if last.bytes() + c.bytes() - HDR <= CHUNK_LIMIT
                        && last.count() + c.count() < usize::from(u16::MAX) =>
                {
                    last.append(&c)
                }
                _ => out.push_back(c),
            }
        }
        b.chunks = out;
    }

    /// Internal consistency, for tests: counts add up and no chunk is empty.
    #[cfg(test)]
    fn check(&self) {
        if let Repr::Big(b) = &self.repr {
            assert_eq!(b.len, b.chunks.iter().map(Chunk::count).sum::<usize>());
            assert_eq!(b.bytes, b.walk_bytes());
            assert!(b.chunks.iter().all(|c| c.count() > 0));
        }
        assert_eq!(self.iter().count(), self.len());
        assert_eq!(self.iter().rev().count(), self.len());
        let _ = self.nchunks();
    }
}

/// A double-ended walk over a range of a list's elements.
#[derive(Debug, Clone)]
pub(crate) struct Iter<'a> {
    list: &'a List,
    fc: usize,
    foff: usize,
    bc: usize,
    boff: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = StrRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<StrRef<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let list: &'a List = self.list;
        if self.foff >= list.chunk(self.fc).end() {
            self.fc += 1;
            self.foff = list.chunk(self.fc).start();
        }
        let (e, next) = list.chunk(self.fc).next_at(self.foff);
        self.foff = next;
        self.remaining -= 1;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    #[inline]
    fn next_back(&mut self) -> Option<StrRef<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let list: &'a List = self.list;
        if self.boff <= list.chunk(self.bc).start() {
            self.bc -= 1;
            self.boff = list.chunk(self.bc).end();
        }
        let (e, prev) = list.chunk(self.bc).prev_at(self.boff);
        self.boff = prev;
        self.remaining -= 1;
        Some(e)
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(l: &List) -> Vec<Vec<u8>> {
        l.iter().map(|e| e.to_vec()).collect()
    }

    #[test]
    fn stays_one_vec_wide() {
        assert!(std::mem::size_of::<List>() <= 24);
    }

    #[test]
    fn big_lists_split_into_chunks_and_walk_both_ways() {
        let mut l = List::new();
        let mut model = VecDeque::new();
        for i in 0..20_000u32 {
            let v = format!("element-{i}");
            if i % 3 == 0 {
                l.push_front(v.as_bytes());
                model.push_front(v.into_bytes());
            } else {
                l.push_back(v.as_bytes());
                model.push_back(v.into_bytes());
            }
        }
        assert!(l.nchunks() > 10);
        l.check();
        assert_eq!(texts(&l), model.iter().cloned().collect::<Vec<_>>());
        for i in [0, 1, 999, 10_000, 19_999] {
            assert_eq!(l.get(i).unwrap().to_vec(), model[i]);
        }
        let r: Vec<Vec<u8>> = l.range(500, 9000).rev().map(|e| e.to_vec()).collect();
        let m: Vec<Vec<u8>> = model.range(500..9000).rev().cloned().collect();
        assert_eq!(r, m);
        assert!(l.set(12_345, &[b'x'; 9000]));
        model[12_345] = vec![b'x'; 9000];
        l.insert(777, b"ins");
        model.insert(777, b"ins".to_vec());
        l.check();
        assert_eq!(texts(&l), model.iter().cloned().collect::<Vec<_>>());
        let idx: Vec<usize> = (0..l.len()).filter(|i| i % 7 != 0).collect();
        l.remove_indexes(&idx);
        let model: Vec<Vec<u8>> = model.into_iter().step_by(7).collect();
        l.check();
        assert_eq!(texts(&l), model);
        l.remove_front(100);
        l.remove_back(100);
        l.check();
        assert_eq!(texts(&l), model[100..model.len() - 100].to_vec());
        l.remove_back(usize::MAX);
        assert!(l.is_empty());
        assert!(matches!(l.repr, Repr::Small(_)));
    }
}
