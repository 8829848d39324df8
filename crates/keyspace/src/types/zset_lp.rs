//! The compact (`listpack`) form of a small sorted set: one byte buffer of entries sorted by
//! (score, member).
//!
//! Layout: `[count: varint][entry]*`, each entry `[member length: varint][member][score]`. The
//! score is one byte for small integers (zigzag value below [`SCORE_VARINT`]), a tag and a zigzag
//! varint for other integral scores, or a tag and the 8 bytes of the f64. Like Redis's listpack,
//! which stores integral scores as integers, this keeps a 10-member set of short members in about
//! 100 bytes. Entries are only walked forwards; reverse traversal collects the (at most
//! `zset-max-listpack-entries`) entries first.

/// Score bytes below this are a small integer in zigzag form.
const SCORE_VARINT: u8 = 0xE0;
/// Tag: an integral score as a zigzag varint follows.
const TAG_INT: u8 = 0xE0;
/// Tag: the 8 little-endian bytes of the f64 follow.
const TAG_F64: u8 = 0xE1;

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(buf: &[u8], pos: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let b = buf[*pos];
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// The score as an exact i64 when it is integral. -0 becomes 0, as in Redis, whose listpack
/// stores the text "-0" as the integer 0.
fn as_int(score: f64) -> Option<i64> {
    const LIM: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if score.fract() == 0.0 && (-LIM..LIM).contains(&score) {
        Some(score as i64)
    } else {
        None
    }
}

fn put_score(out: &mut Vec<u8>, score: f64) {
    match as_int(score) {
        Some(i) if zigzag(i) < u64::from(SCORE_VARINT) => out.push(zigzag(i) as u8),
        Some(i) => {
            out.push(TAG_INT);
            put_varint(out, zigzag(i));
        }
        None => {
            out.push(TAG_F64);
            out.extend_from_slice(&score.to_le_bytes());
        }
    }
}

fn get_score(buf: &[u8], pos: &mut usize) -> f64 {
    let t = buf[*pos];
    *pos += 1;
    match t {
        TAG_INT => unzigzag(get_varint(buf, pos)) as f64,
        TAG_F64 => {
            let b: [u8; 8] = buf[*pos..*pos + 8].try_into().expect("8 score bytes");
            *pos += 8;
            f64::from_le_bytes(b)
        }
        small => unzigzag(u64::from(small)) as f64,
    }
}

/// An empty listpack.
pub(crate) fn new() -> Box<[u8]> {
    Box::new([0])
}

/// Number of entries.
pub(crate) fn len(buf: &[u8]) -> usize {
    get_varint(buf, &mut 0) as usize
}

/// One decoded entry and its byte span in the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LpEntry<'a> {
    pub(crate) member: &'a [u8],
    pub(crate) score: f64,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Entries in order.
#[derive(Debug, Clone)]
pub(crate) struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
    left: usize,
}

pub(crate) fn iter(buf: &[u8]) -> Iter<'_> {
    let mut pos = 0;
    let left = get_varint(buf, &mut pos) as usize;
    Iter { buf, pos, left }
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpEntry<'a>;
    fn next(&mut self) -> Option<LpEntry<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let start = self.pos;
        let n = get_varint(self.buf, &mut self.pos) as usize;
        let member = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        let score = get_score(self.buf, &mut self.pos);
        Some(LpEntry {
            member,
            score,
            start,
            end: self.pos,
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The entry of `member`, if present.
pub(crate) fn find<'a>(buf: &'a [u8], member: &[u8]) -> Option<LpEntry<'a>> {
    iter(buf).find(|e| e.member == member)
}

/// Rebuild with `count` entries: `buf[..cut_start]` entries, `mid`, `buf[cut_end..]`.
fn splice(buf: &[u8], count: usize, cut_start: usize, cut_end: usize, mid: &[u8]) -> Box<[u8]> {
    let mut hdr = 0;
    get_varint(buf, &mut hdr);
    let cut_start = cut_start.max(hdr);
    let cut_end = cut_end.max(hdr);
    let mut out = Vec::with_capacity(buf.len() + mid.len() + 2 - (cut_end - cut_start));
    put_varint(&mut out, count as u64);
    out.extend_from_slice(&buf[hdr..cut_start]);
    out.extend_from_slice(mid);
    out.extend_from_slice(&buf[cut_end..]);
    out.into_boxed_slice()
}

/// Insert a member known to be absent at its place in (score, member) order.
pub(crate) fn insert(buf: &[u8], member: &[u8], score: f64) -> Box<[u8]> {
    let mut at = buf.len();
    for e in iter(buf) {
        if super::zset_tree::cmp_key(score, member, e.score, e.member).is_lt() {
            at = e.start;
            break;
        }
    }
    let mut mid = Vec::with_capacity(member.len() + 10);
    put_varint(&mut mid, member.len() as u64);
    mid.extend_from_slice(member);
    put_score(&mut mid, score);
    splice(buf, len(buf) + 1, at, at, &mid)
}

/// Remove the entries `from..to` (indexes, `to` exclusive).
pub(crate) fn remove_range(buf: &[u8], from: usize, to: usize) -> Box<[u8]> {
    if from >= to {
        return buf.into();
    }
    let (mut start, mut end) = (buf.len(), buf.len());
    for (i, e) in iter(buf).enumerate() {
        if i == from {
            start = e.start;
        }
        if i == to - 1 {
            end = e.end;
            break;
        }
    }
    splice(buf, len(buf) - (to - from), start, end, &[])
}

/// Bytes malloc really hands out for `n` requested (glibc: 16-byte granules, 8-byte header).
pub(crate) fn malloc_size(n: usize) -> usize {
    ((n + 8 + 15) & !15).max(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_in_every_form() {
        for s in [
            0.0,
            -0.0,
            1.0,
            -112.0,
            111.0,
            112.0,
            -1e18,
            1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            9.2e18,
            -9_223_372_036_854_775_808.0,
        ] {
            let mut b = Vec::new();
            put_score(&mut b, s);
            let mut p = 0;
            let back = get_score(&b, &mut p);
            assert_eq!(back.to_bits(), (s + 0.0).to_bits(), "{s}");
            assert_eq!(p, b.len());
        }
        let mut b = Vec::new();
        put_score(&mut b, 7.0);
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn insert_keeps_order_and_remove_range() {
        let mut lp = new();
        for (m, s) in [("b", 2.0), ("a", 2.0), ("z", -1.0), ("c", 0.5)] {
            lp = insert(&lp, m.as_bytes(), s);
        }
        let got: Vec<_> = iter(&lp).map(|e| (e.member.to_vec(), e.score)).collect();
        assert_eq!(
            got,
            vec![
                (b"z".to_vec(), -1.0),
                (b"c".to_vec(), 0.5),
                (b"a".to_vec(), 2.0),
                (b"b".to_vec(), 2.0)
            ]
        );
        let lp = remove_range(&lp, 1, 3);
        let got: Vec<_> = iter(&lp).map(|e| e.member.to_vec()).collect();
        assert_eq!(got, vec![b"z".to_vec(), b"b".to_vec()]);
        assert_eq!(len(&lp), 2);
    }
}
