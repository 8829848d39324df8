//! A set (SADD, SMEMBERS…): `intset` while all integers and small, `hashtable` after (Redis 7.0
//! has no listpack sets).
//!
//! The small form is Redis's intset layout: one exact-size buffer of sorted integers of the
//! smallest width (2, 4 or 8 bytes) that holds them all. The width lives in the enum beside
//! the pointer (Redis's 8-byte header is spent on width and length), so the buffer is exactly
//! the integers: 10 members of 4 bytes are one 48-byte allocation. Membership is a binary search; inserts move the tail, as in
//! Redis, which is why the form is bounded by [`SetLimits`].
//!
//! The large form is a [`Dict`] of member entries (see `hash_dict.rs`).

use hashslot_types::Rng;

use super::hash::dict::{Dict, Kind};
use crate::hash::KeyedHasher;
use crate::util::parse_i64;
use crate::value::{Encoding, StrRef};

/// The encoding threshold of sets: Redis's `set-max-intset-entries`.
/// [`SetLimits::REDIS_DEFAULT`] holds Redis's default; commands take it from
/// [`EncodingLimits`](crate::EncodingLimits), which a node fills from its CONFIG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetLimits {
    /// Most members an `intset` holds (`set-max-intset-entries`, 512).
    pub max_intset_entries: usize,
}

impl SetLimits {
    /// Redis 7.0's default.
    pub const REDIS_DEFAULT: SetLimits = SetLimits {
        max_intset_entries: 512,
    };
}

impl Default for SetLimits {
    fn default() -> Self {
        SetLimits::REDIS_DEFAULT
    }
}

#[derive(Debug, Clone)]
enum Repr {
    /// Integers of `width` bytes, little-endian, sorted ascending.
    Intset(u8, Box<[u8]>),
    Table(Box<Dict>),
}

/// A set (SADD, SMEMBERS…): `intset` while all integers and small, `hashtable` after.
#[derive(Debug, Clone)]
pub struct Set {
    repr: Repr,
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

impl PartialEq for Set {
    /// Same members, whatever the encodings.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains_ref(m))
    }
}

impl Eq for Set {}

fn width_for(v: i64) -> usize {
    if i64::from(v as i16) == v {
        2
    } else if i64::from(v as i32) == v {
        4
    } else {
        8
    }
}

#[inline]
fn read_int(b: &[u8], w: usize, i: usize) -> i64 {
    let p = i * w;
    match w {
        2 => i64::from(i16::from_le_bytes([b[p], b[p + 1]])),
        4 => i64::from(i32::from_le_bytes(b[p..p + 4].try_into().expect("4 bytes"))),
        _ => i64::from_le_bytes(b[p..p + 8].try_into().expect("8 bytes")),
    }
}

fn push_int(out: &mut Vec<u8>, w: usize, v: i64) {
    out.extend_from_slice(&v.to_le_bytes()[..w]);
}

/// Number of integers in an intset buffer of width `w`.
fn is_len(w: u8, b: &[u8]) -> usize {
    b.len() / usize::from(w)
}

fn is_search(w: u8, b: &[u8], v: i64) -> Result<usize, usize> {
    let n = is_len(w, b);
    let w = usize::from(w);
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match read_int(b, w, mid).cmp(&v) {
            std::cmp::Ordering::Equal => return Ok(mid),
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
        }
    }
    Err(lo)
}

/// Iterator over a set's members: ascending integers for `intset`, table order for `hashtable`.
#[derive(Clone, Debug)]
pub struct SetIter<'a> {
    inner: IterInner<'a>,
}

#[derive(Clone, Debug)]
enum IterInner<'a> {
    Ints {
        w: u8,
        buf: &'a [u8],
        i: usize,
        n: usize,
    },
    Table(std::slice::Iter<'a, Option<Box<[u8]>>>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = StrRef<'a>;
    fn next(&mut self) -> Option<StrRef<'a>> {
        match &mut self.inner {
            IterInner::Ints { w, buf, i, n } => {
                if *i >= *n {
                    return None;
                }
                let v = read_int(buf, usize::from(*w), *i);
                *i += 1;
                Some(StrRef::Int(v))
            }
            IterInner::Table(it) => it.find_map(|e| e.as_deref()).map(StrRef::Bytes),
        }
    }
}

impl Set {
    /// An empty set (`intset`).
    pub fn new() -> Self {
        Set {
            repr: Repr::Intset(2, Box::default()),
        }
    }

    /// An empty set in the encoding Redis's `setTypeCreate` picks for a first member `first`:
    /// `intset` when it is an integer, else `hashtable` sized for `hint` members.
    pub(crate) fn for_first_member(first: &[u8], hint: usize, hasher: KeyedHasher) -> Self {
        if first.len() <= 20 && parse_i64(first).is_some() {
            Set::new()
        } else {
            Set {
                repr: Repr::Table(Box::new(Dict::new(Kind::Members, hasher, hint))),
            }
        }
    }

    /// The encoding OBJECT ENCODING reports.
    pub fn encoding(&self) -> Encoding {
        match self.repr {
            Repr::Intset(..) => Encoding::Other("intset"),
            Repr::Table(_) => Encoding::Other("hashtable"),
        }
    }

    /// Approximate heap bytes held, for `used_memory`.
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Intset(_, b) if b.is_empty() => 0,
            Repr::Intset(_, b) => ((b.len() + 8 + 15) & !15).max(32),
            Repr::Table(d) => d.heap_size() + std::mem::size_of::<Dict>(),
        }
    }

    /// Number of members (SCARD).
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Intset(w, b) => is_len(*w, b),
            Repr::Table(d) => d.len(),
        }
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `member` is in the set (SISMEMBER).
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Intset(w, b) => {
                member.len() <= 20 && parse_i64(member).is_some_and(|v| is_search(*w, b, v).is_ok())
            }
            Repr::Table(d) => d.find(member).is_some(),
        }
    }

    /// Whether a member given as a [`StrRef`] (another set's member) is in the set.
    pub fn contains_ref(&self, member: StrRef<'_>) -> bool {
        match (member, &self.repr) {
            (StrRef::Int(v), Repr::Intset(w, b)) => is_search(*w, b, v).is_ok(),
            (StrRef::Bytes(m), _) => self.contains(m),
            (StrRef::Int(v), Repr::Table(d)) => d.find(v.to_string().as_bytes()).is_some(),
        }
    }

    /// The members (see [`SetIter`] for the order).
    pub fn iter(&self) -> SetIter<'_> {
        let inner = match &self.repr {
            Repr::Intset(w, b) => IterInner::Ints {
                w: *w,
                buf: b,
                i: 0,
                n: is_len(*w, b),
            },
            Repr::Table(d) => IterInner::Table(d.slots()),
        };
        SetIter { inner }
    }

    /// Add `member` with Redis's default limit and the default hash seed; returns whether it
    /// is new. (Commands use [`Set::add_with`].)
    pub fn insert(&mut self, member: &[u8]) -> bool {
        self.add_with(
            member,
            &SetLimits::REDIS_DEFAULT,
            KeyedHasher::from_seed(crate::db::DEFAULT_SEED),
        )
    }

    fn convert(&mut self, hasher: KeyedHasher, extra: usize) {
        if let Repr::Intset(..) = self.repr {
            let mut d = Dict::new(Kind::Members, hasher, self.len() + extra);
            for m in self.iter() {
                d.insert_new(m.to_vec().into_boxed_slice());
            }
            self.repr = Repr::Table(Box::new(d));
        }
    }

    /// Add `member` (SADD); returns whether it is new. Converts to `hashtable` when the member
    /// is not an integer or the set grows past the intset limit.
    pub(crate) fn add_with(
        &mut self,
        member: &[u8],
        limits: &SetLimits,
        hasher: KeyedHasher,
    ) -> bool {
        if let Repr::Intset(width, b) = &mut self.repr {
            match (member.len() <= 20).then(|| parse_i64(member)).flatten() {
                Some(v) => {
                    let Err(at) = is_search(*width, b, v) else {
                        return false;
                    };
                    let old_w = usize::from(*width);
                    let w = old_w.max(width_for(v));
                    let n = is_len(*width, b);
                    let mut out = Vec::with_capacity((n + 1) * w);
                    for i in 0..at {
                        push_int(&mut out, w, read_int(b, old_w, i));
                    }
                    push_int(&mut out, w, v);
                    for i in at..n {
                        push_int(&mut out, w, read_int(b, old_w, i));
                    }
                    *b = out.into_boxed_slice();
                    *width = w as u8;
                    if n + 1 > limits.max_intset_entries {
                        self.convert(hasher, 0);
                    }
                    return true;
                }
                None => self.convert(hasher, 1),
            }
        }
        let Repr::Table(d) = &mut self.repr else {
            unreachable!("converted above");
        };
        if d.find(member).is_some() {
            return false;
        }
        d.insert_new(member.into());
        true
    }

    /// Remove `member` (SREM); returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Intset(w, b) => {
                let Some(v) = (member.len() <= 20).then(|| parse_i64(member)).flatten() else {
                    return false;
                };
                match is_search(*w, b, v) {
                    Ok(at) => {
                        Self::intset_remove_at(*w, b, at);
                        true
                    }
                    Err(_) => false,
                }
            }
            Repr::Table(d) => d.remove(member).is_some(),
        }
    }

    fn intset_remove_at(w: u8, b: &mut Box<[u8]>, at: usize) {
        let w = usize::from(w);
        let p = at * w;
        let mut out = Vec::with_capacity(b.len() - w);
        out.extend_from_slice(&b[..p]);
        out.extend_from_slice(&b[p + w..]);
        *b = out.into_boxed_slice();
    }

    /// A position holding a uniformly random member (an index for `intset`, a table position
    /// for `hashtable`); the set must not be empty. Read it with [`Set::member_at`].
    pub(crate) fn random_pos(&self, rng: &mut Rng) -> usize {
        match &self.repr {
            Repr::Intset(w, b) => rng.below(is_len(*w, b) as u64) as usize,
            Repr::Table(d) => d.random_pos(rng),
        }
    }

    /// The member at a position from [`Set::random_pos`].
    pub(crate) fn member_at(&self, pos: usize) -> StrRef<'_> {
        match &self.repr {
            Repr::Intset(w, b) => StrRef::Int(read_int(b, usize::from(*w), pos)),
            Repr::Table(d) => StrRef::Bytes(d.get(pos)),
        }
    }

    /// Remove and return a random member (SPOP); `None` when empty.
    pub(crate) fn pop_random(&mut self, rng: &mut Rng) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        let pos = self.random_pos(rng);
        Some(match &mut self.repr {
            Repr::Intset(w, b) => {
                let v = read_int(b, usize::from(*w), pos);
                Self::intset_remove_at(*w, b, pos);
                v.to_string().into_bytes()
            }
            Repr::Table(d) => d.remove_at(pos).into_vec(),
        })
    }

    /// One SSCAN step: intsets return everything with cursor 0, as in Redis; tables walk
    /// hash-prefix cursors (see `hash_dict.rs`).
    pub(crate) fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut f: impl FnMut(StrRef<'a>),
    ) -> u64 {
        match &self.repr {
            Repr::Intset(..) => {
                self.iter().for_each(f);
                0
            }
            Repr::Table(d) => d.scan(cursor, count, |e| f(StrRef::Bytes(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_stays_sorted_and_upgrades_width() {
        let mut s = Set::new();
        for v in ["5", "-3", "70000", "1", "-9223372036854775808", "5"] {
            s.insert(v.as_bytes());
        }
        let got: Vec<Vec<u8>> = s.iter().map(|m| m.to_vec()).collect();
        let want: Vec<&[u8]> = vec![b"-9223372036854775808", b"-3", b"1", b"5", b"70000"];
        assert_eq!(got, want);
        assert_eq!(s.encoding().name(), "intset");
        assert!(s.contains(b"70000") && !s.contains(b"070000") && !s.contains(b"x"));
        assert!(s.remove(b"-3") && !s.remove(b"-3"));
        assert_eq!(s.len(), 4);
        s.insert(b"x");
        assert_eq!(s.encoding().name(), "hashtable");
        assert!(s.contains(b"70000") && s.contains(b"x"));
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn intset_buffer_is_exactly_the_integers() {
        let mut s = Set::new();
        for v in 0..10 {
            s.insert((v * 100_000).to_string().as_bytes());
        }
        assert!(matches!(&s.repr, Repr::Intset(4, b) if b.len() == 40));
        assert_eq!(std::mem::size_of::<Set>(), 24);
    }

    #[test]
    fn intset_converts_past_512() {
        let mut s = Set::new();
        for i in 0..512 {
            s.insert(i.to_string().as_bytes());
        }
        assert_eq!(s.encoding().name(), "intset");
        s.insert(b"512");
        assert_eq!(s.encoding().name(), "hashtable");
        assert_eq!(s.len(), 513);
    }
}
