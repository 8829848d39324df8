//! One node of a list: a packed byte buffer of elements, the way a Redis quicklist node holds a
//! listpack. Elements are readable from both ends in O(1), so pushes and pops at either end of
//! a chunk never scan it.
//!
//! Layout: an empty buffer is an empty chunk (no allocation); otherwise `[count: u16 LE]` then
//! the elements. Each element starts AND ends with the same tag byte, which alone says how long
//! the element is, so a reader at an element's end can step back over it (listpack keeps a
//! separate "backlen" for this; mirroring the tag costs the same bytes and makes 0..=127 one
//! byte in total):
//!
//! | tag | element | bytes |
//! |---|---|---|
//! | `0x00..=0x7f` | the integer 0..=127 itself | 1 |
//! | `0x80..=0xbf` | string of `tag & 0x3f` bytes: `tag data tag` | len + 2 |
//! | `0xc0..=0xcf` | string of 12-bit len: `tag lo data lo tag`, len = (tag & 0xf) << 8 \| lo | len + 4 |
//! | `0xd0` | string of u32 len: `tag len4 data len4 tag` | len + 10 |
//! | `0xd1..=0xd4` | i16, i24, i32, i64 little-endian: `tag int tag` | 4, 5, 6, 10 |
//! | `0xe0..=0xff` | 13-bit signed int: `tag lo tag`, value = (tag & 0x1f) << 8 \| lo | 3 |
//!
//! Integers are used only for strings that are the canonical text of an i64 (Redis's
//! `string2ll`: no `+`, no leading zeros, no `-0`), so an element reads back byte for byte.

use crate::util::parse_i64;
use crate::value::StrRef;

/// Bytes of the chunk header (the element count).
pub(crate) const HDR: usize = 2;

/// Largest chunk in bytes before a push starts a new one: `list-max-listpack-size -2` (8 KB).
pub(crate) const CHUNK_LIMIT: usize = 8192;

const STR6: u8 = 0x80;
const STR12: u8 = 0xc0;
const STR32: u8 = 0xd0;
const I16: u8 = 0xd1;
const I24: u8 = 0xd2;
const I32: u8 = 0xd3;
const I64: u8 = 0xd4;
const INT13: u8 = 0xe0;

/// An element encoded, ready to copy into a chunk: small ones need no allocation.
pub(crate) struct Encoded<'a> {
    head: [u8; 11],
    head_len: u8,
    data: &'a [u8],
    tail: [u8; 5],
    tail_len: u8,
}

impl<'a> Encoded<'a> {
    /// Encode `v` (an integer when it is canonical i64 text).
    pub(crate) fn new(v: &'a [u8]) -> Self {
        let mut e = Encoded {
            head: [0; 11],
            head_len: 0,
            data: &[],
            tail: [0; 5],
            tail_len: 0,
        };
        let n = if v.len() <= 20 { parse_i64(v) } else { None };
        match n {
            Some(n) => e.int(n),
            None => e.string(v),
        }
        e
    }

    fn int(&mut self, n: i64) {
        if (0..=127).contains(&n) {
            self.head[0] = n as u8;
            self.head_len = 1;
            return;
        }
        if (-4096..4096).contains(&n) {
            let u = (n as u16) & 0x1fff;
            let tag = INT13 | (u >> 8) as u8;
            self.head[..3].copy_from_slice(&[tag, u as u8, tag]);
            self.head_len = 3;
            return;
        }
        let (tag, width) = if i16::try_from(n).is_ok() {
            (I16, 2)
        } else if (-(1 << 23)..(1 << 23)).contains(&n) {
            (I24, 3)
        } else if i32::try_from(n).is_ok() {
            (I32, 4)
        } else {
            (I64, 8)
        };
        self.head[0] = tag;
        self.head[1..1 + width].copy_from_slice(&n.to_le_bytes()[..width]);
        self.head[1 + width] = tag;
        self.head_len = (width + 2) as u8;
    }

    fn string(&mut self, v: &'a [u8]) {
        self.data = v;
        let len = v.len();
        if len < 64 {
            let tag = STR6 | len as u8;
            self.head[0] = tag;
            self.head_len = 1;
            self.tail[0] = tag;
            self.tail_len = 1;
        } else if len < 4096 {
            let tag = STR12 | (len >> 8) as u8;
            self.head[..2].copy_from_slice(&[tag, len as u8]);
            self.head_len = 2;
            self.tail[..2].copy_from_slice(&[len as u8, tag]);
            self.tail_len = 2;
        } else {
            let l = u32::try_from(len).expect("element shorter than 4 GB");
            self.head[0] = STR32;
            self.head[1..5].copy_from_slice(&l.to_le_bytes());
            self.head_len = 5;
            self.tail[..4].copy_from_slice(&l.to_le_bytes());
            self.tail[4] = STR32;
            self.tail_len = 5;
        }
    }

    /// Encoded size in bytes.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.head_len) + self.data.len() + usize::from(self.tail_len)
    }

    fn parts(&self) -> [&[u8]; 3] {
        [
            &self.head[..usize::from(self.head_len)],
            self.data,
            &self.tail[..usize::from(self.tail_len)],
        ]
    }

    fn write_at(&self, out: &mut [u8]) {
        let mut at = 0;
        for p in self.parts() {
            out[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
    }
}

/// Size of the element whose first byte is `tag`, given the two bytes after it when needed.
#[inline]
fn size_from_front(buf: &[u8], off: usize) -> usize {
    let tag = buf[off];
    match tag {
        0x00..=0x7f => 1,
        0x80..=0xbf => usize::from(tag & 0x3f) + 2,
        0xc0..=0xcf => ((usize::from(tag & 0x0f) << 8) | usize::from(buf[off + 1])) + 4,
        STR32 => u32_at(buf, off + 1) + 10,
        I16 => 4,
        I24 => 5,
        I32 => 6,
        I64 => 10,
        _ => 3,
    }
}

/// Size of the element that ends just before `end`.
#[inline]
fn size_from_back(buf: &[u8], end: usize) -> usize {
    let tag = buf[end - 1];
    match tag {
        0x00..=0x7f => 1,
        0x80..=0xbf => usize::from(tag & 0x3f) + 2,
        0xc0..=0xcf => ((usize::from(tag & 0x0f) << 8) | usize::from(buf[end - 2])) + 4,
        STR32 => u32_at(buf, end - 5) + 10,
        I16 => 4,
        I24 => 5,
        I32 => 6,
        I64 => 10,
        _ => 3,
    }
}

fn u32_at(buf: &[u8], at: usize) -> usize {
    let b: [u8; 4] = buf[at..at + 4].try_into().expect("4 bytes");
    u32::from_le_bytes(b) as usize
}

/// Decode the element of `size` bytes at `off`.
#[inline]
fn decode(buf: &[u8], off: usize, size: usize) -> StrRef<'_> {
    let tag = buf[off];
    let int = |width: usize| {
        let mut b = [0u8; 8];
        b[..width].copy_from_slice(&buf[off + 1..off + 1 + width]);
        // Sign-extend from `width` bytes.
        let shift = 64 - 8 * width as u32;
        StrRef::Int((i64::from_le_bytes(b) << shift) >> shift)
    };
    match tag {
        0x00..=0x7f => StrRef::Int(i64::from(tag)),
        0x80..=0xbf => StrRef::Bytes(&buf[off + 1..off + size - 1]),
        0xc0..=0xcf => StrRef::Bytes(&buf[off + 2..off + size - 2]),
        STR32 => StrRef::Bytes(&buf[off + 5..off + size - 5]),
        I16 => int(2),
        I24 => int(3),
        I32 => int(4),
        I64 => int(8),
        _ => {
            let u = (u16::from(tag & 0x1f) << 8) | u16::from(buf[off + 1]);
            // Sign-extend 13 bits.
            StrRef::Int(i64::from(((u << 3) as i16) >> 3))
        }
    }
}

/// Whether element `e` equals `v` byte for byte (Redis's `listTypeEqual`).
pub(crate) fn elem_eq(e: StrRef<'_>, v: &[u8], v_int: Option<i64>) -> bool {
    match e {
        StrRef::Bytes(b) => b == v,
        StrRef::Int(n) => v_int == Some(n),
    }
}

/// One packed run of elements (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct Chunk {
    buf: Vec<u8>,
}

impl Chunk {
    /// A chunk holding the encoded elements `vs`, allocated exactly.
    pub(crate) fn from_encoded(vs: &[Encoded<'_>]) -> Chunk {
        let bytes: usize = HDR + vs.iter().map(Encoded::len).sum::<usize>();
        let mut buf = Vec::with_capacity(bytes);
        buf.extend_from_slice(&(vs.len() as u16).to_le_bytes());
        for e in vs {
            for p in e.parts() {
                buf.extend_from_slice(p);
            }
        }
        Chunk { buf }
    }

    /// Number of elements.
    #[inline]
    pub(crate) fn count(&self) -> usize {
        if self.buf.is_empty() {
            0
        } else {
            usize::from(u16::from_le_bytes([self.buf[0], self.buf[1]]))
        }
    }

    fn set_count(&mut self, n: usize) {
        debug_assert!(n <= usize::from(u16::MAX));
        if n == 0 {
            self.buf = Vec::new();
        } else {
            self.buf[..HDR].copy_from_slice(&(n as u16).to_le_bytes());
        }
    }

    /// Bytes used, header included (0 when empty).
    #[inline]
    pub(crate) fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes held.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Whether an element of `size` encoded bytes may be added without passing the size limit
    /// (a chunk always takes its first element, however large, as Redis's nodes do).
    #[inline]
    pub(crate) fn fits(&self, size: usize) -> bool {
        self.buf.is_empty()
            || (self.buf.len() + size <= CHUNK_LIMIT && self.count() < usize::from(u16::MAX))
    }

    /// Make room for `extra` more bytes: exact on the first allocation (most lists are pushed
    /// once, whole), then growing by a quarter (16 bytes at least, one malloc granule) so that
    /// a chunk filled one push at a time is reallocated O(log) times and wastes at most a
    /// quarter of its size; never past the chunk limit unless one element needs it.
    fn reserve(&mut self, extra: usize) {
        let need = self.buf.len().max(HDR) + extra;
        if need <= self.buf.capacity() {
            return;
        }
        let target = if self.buf.capacity() == 0 {
            need
        } else {
            (need + (need / 4).max(16)).min(CHUNK_LIMIT.max(need))
        };
        self.buf.reserve_exact(target - self.buf.len());
    }

    /// Give back memory after removals when more than half the buffer is unused.
    fn maybe_shrink(&mut self) {
        let (len, cap) = (self.buf.len(), self.buf.capacity());
        if cap > 64 && len < cap / 2 {
            self.buf.shrink_to(len + len / 8);
        }
    }

    fn ensure_header(&mut self) {
        if self.buf.is_empty() {
            self.buf.extend_from_slice(&[0, 0]);
        }
    }

    /// Append an element.
    pub(crate) fn push_back(&mut self, e: &Encoded<'_>) {
        self.reserve(e.len());
        self.ensure_header();
        let n = self.count();
        for p in e.parts() {
            self.buf.extend_from_slice(p);
        }
        self.set_count(n + 1);
    }

    /// Prepend an element.
    pub(crate) fn push_front(&mut self, e: &Encoded<'_>) {
        self.insert_at_offset(HDR, e);
    }

    /// Insert an element at byte offset `off` (an element boundary).
    fn insert_at_offset(&mut self, off: usize, e: &Encoded<'_>) {
        self.reserve(e.len());
        self.ensure_header();
        let n = self.count();
        let size = e.len();
        let old_len = self.buf.len();
        self.buf.resize(old_len + size, 0);
        self.buf.copy_within(off..old_len, off + size);
        e.write_at(&mut self.buf[off..off + size]);
        self.set_count(n + 1);
    }

    /// The first element.
    pub(crate) fn front(&self) -> Option<StrRef<'_>> {
        (self.count() > 0).then(|| decode(&self.buf, HDR, size_from_front(&self.buf, HDR)))
    }

    /// The last element.
    pub(crate) fn back(&self) -> Option<StrRef<'_>> {
        (self.count() > 0).then(|| {
            let end = self.buf.len();
            let size = size_from_back(&self.buf, end);
            decode(&self.buf, end - size, size)
        })
    }

    /// Remove the first `n` elements (at most the count).
    pub(crate) fn remove_front(&mut self, n: usize) {
        let count = self.count();
        if n >= count {
            self.buf = Vec::new();
            return;
        }
        let mut off = HDR;
        for _ in 0..n {
            off += size_from_front(&self.buf, off);
        }
        self.buf.drain(HDR..off);
        self.set_count(count - n);
        self.maybe_shrink();
    }

    /// Remove the last `n` elements (at most the count).
    pub(crate) fn remove_back(&mut self, n: usize) {
        let count = self.count();
        if n >= count {
            self.buf = Vec::new();
            return;
        }
        let mut end = self.buf.len();
        for _ in 0..n {
            end -= size_from_back(&self.buf, end);
        }
        self.buf.truncate(end);
        self.set_count(count - n);
        self.maybe_shrink();
    }

    /// Byte offset of element `i` (< count), walking from the nearer end.
    fn offset_of(&self, i: usize) -> usize {
        let count = self.count();
        debug_assert!(i < count);
        if i <= count / 2 {
            let mut off = HDR;
            for _ in 0..i {
                off += size_from_front(&self.buf, off);
            }
            off
        } else {
            let mut end = self.buf.len();
            for _ in 0..count - i {
                end -= size_from_back(&self.buf, end);
            }
            end
        }
    }

    /// Element `i` (< count).
    pub(crate) fn get(&self, i: usize) -> StrRef<'_> {
        let off = self.offset_of(i);
        decode(&self.buf, off, size_from_front(&self.buf, off))
    }

    /// Insert an element so that it becomes element `i` (≤ count).
    pub(crate) fn insert(&mut self, i: usize, e: &Encoded<'_>) {
        if i == self.count() {
            self.push_back(e);
        } else {
            let off = self.offset_of(i);
            self.insert_at_offset(off, e);
        }
    }

    /// Replace element `i` (< count).
    pub(crate) fn replace(&mut self, i: usize, e: &Encoded<'_>) {
        let off = self.offset_of(i);
        let old = size_from_front(&self.buf, off);
        let new = e.len();
        if new > old {
            self.reserve(new - old);
            let len = self.buf.len();
            self.buf.resize(len + new - old, 0);
            self.buf.copy_within(off + old..len, off + new);
        } else if new < old {
            self.buf.copy_within(off + old.., off + new);
            self.buf.truncate(self.buf.len() - (old - new));
        }
        e.write_at(&mut self.buf[off..off + new]);
    }

    /// Remove the elements whose indexes (ascending, < count) are in `idx`.
    pub(crate) fn remove_indexes(&mut self, idx: &[usize]) {
        if idx.is_empty() {
            return;
        }
        let count = self.count();
        if idx.len() == count {
            self.buf = Vec::new();
            return;
        }
        let mut out = Vec::with_capacity(self.buf.len());
        out.extend_from_slice(&self.buf[..HDR]);
        let (mut off, mut k) = (HDR, 0);
        for i in 0..count {
            let size = size_from_front(&self.buf, off);
            if k < idx.len() && idx[k] == i {
                k += 1;
            } else {
                out.extend_from_slice(&self.buf[off..off + size]);
            }
            off += size;
        }
        out.shrink_to_fit();
        self.buf = out;
        self.set_count(count - idx.len());
    }

    /// Split off the second half (by bytes) of a chunk of two elements or more.
    pub(crate) fn split(&mut self) -> Chunk {
        let count = self.count();
        debug_assert!(count >= 2);
        let half = self.buf.len() / 2;
        let (mut off, mut n) = (HDR, 0);
        while n < count - 1 {
            let size = size_from_front(&self.buf, off);
            if n > 0 && off + size > half {
                break;
            }
            off += size;
            n += 1;
        }
        let mut tail = Vec::with_capacity(HDR + self.buf.len() - off);
        tail.extend_from_slice(&((count - n) as u16).to_le_bytes());
        tail.extend_from_slice(&self.buf[off..]);
        self.buf.truncate(off);
        self.buf.shrink_to_fit();
        self.set_count(n);
        Chunk { buf: tail }
    }

    /// Append all of `other`'s elements.
    pub(crate) fn append(&mut self, other: &Chunk) {
        if other.count() == 0 {
            return;
        }
        if self.buf.is_empty() {
            self.buf = other.buf.clone();
            return;
        }
        let n = self.count() + other.count();
        self.buf.reserve_exact(other.buf.len() - HDR);
        self.buf.extend_from_slice(&other.buf[HDR..]);
        self.set_count(n);
    }

    /// A cursor at the first element.
    #[inline]
    pub(crate) fn start(&self) -> usize {
        HDR
    }

    /// A cursor past the last element.
    #[inline]
    pub(crate) fn end(&self) -> usize {
        self.buf.len()
    }

    /// The element at cursor `off` and the cursor after it.
    #[inline]
    pub(crate) fn next_at(&self, off: usize) -> (StrRef<'_>, usize) {
        let size = size_from_front(&self.buf, off);
        (decode(&self.buf, off, size), off + size)
    }

    /// The element ending at cursor `end` and the cursor before it.
    #[inline]
    pub(crate) fn prev_at(&self, end: usize) -> (StrRef<'_>, usize) {
        let size = size_from_back(&self.buf, end);
        (decode(&self.buf, end - size, size), end - size)
    }

    /// The cursor of element `i` (≤ count; `count` gives the end cursor).
    pub(crate) fn cursor_of(&self, i: usize) -> usize {
        if i >= self.count() {
            self.end()
        } else {
            self.offset_of(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: StrRef<'_>) -> Vec<u8> {
        e.to_vec()
    }

    #[test]
    fn encodings_round_trip_both_ways() {
        let mut samples: Vec<Vec<u8>> = [
            "0",
            "1",
            "127",
            "128",
            "-1",
            "4095",
            "-4096",
            "4096",
            "-4097",
            "32767",
            "-32768",
            "32768",
            "8388607",
            "-8388608",
            "8388608",
            "2147483647",
            "-2147483648",
            "2147483648",
            "9223372036854775807",
            "-9223372036854775808",
            "-0",
            "007",
            "+1",
            "",
            "a",
            "9223372036854775808",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        samples.push(vec![b'x'; 63]);
        samples.push(vec![b'y'; 64]);
        samples.push(vec![b'z'; 4095]);
        samples.push(vec![b'w'; 4096]);
        samples.push(vec![0xff; 70000]);
        let mut c = Chunk::default();
        for s in &samples {
            c.push_back(&Encoded::new(s));
        }
        assert_eq!(c.count(), samples.len());
        let mut off = c.start();
        for s in &samples {
            let (e, next) = c.next_at(off);
            assert_eq!(&text(e), s);
            off = next;
        }
        assert_eq!(off, c.end());
        let mut end = c.end();
        for s in samples.iter().rev() {
            let (e, prev) = c.prev_at(end);
            assert_eq!(&text(e), s);
            end = prev;
        }
        assert_eq!(end, c.start());
        for (i, s) in samples.iter().enumerate() {
            assert_eq!(&text(c.get(i)), s);
        }
    }

    #[test]
    fn small_ints_take_one_byte() {
        assert_eq!(Encoded::new(b"7").len(), 1);
        assert_eq!(Encoded::new(b"-7").len(), 3);
        assert_eq!(Encoded::new(b"v1").len(), 4);
    }
}
