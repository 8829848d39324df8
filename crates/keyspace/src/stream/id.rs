//! Stream entry IDs: `<ms>-<seq>`, two u64s ordered as one 128-bit number, and their parsing
//! with Redis's exact rules (`streamGenericParseIDOrReply`, `string2ull`).

use std::fmt;

/// A stream entry ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// `18446744073709551615-18446744073709551615`.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// An ID from its parts.
    pub const fn new(ms: u64, seq: u64) -> Self {
        StreamId { ms, seq }
    }

    /// The next ID (`streamIncrID`), or `None` after the last possible one.
    pub fn incr(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID (`streamDecrID`), or `None` before `0-0`.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// Whether this is `0-0`.
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The 16-byte big-endian key Redis files radix-tree nodes under (`streamEncodeID`).
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    /// The ID from its 16-byte big-endian key (`streamDecodeID`).
    pub fn from_be_bytes(b: [u8; 16]) -> Self {
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&b[..8]);
        seq.copy_from_slice(&b[8..]);
        StreamId::new(u64::from_be_bytes(ms), u64::from_be_bytes(seq))
    }

    /// The `<ms>-<seq>` text.
    pub fn to_text(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// An ID as a client gave it to XADD: whole, or `<ms>-*` (sequence to be generated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedId {
    /// The ID (sequence 0 when not given).
    pub id: StreamId,
    /// Whether the sequence part was given (false for `<ms>-*`).
    pub seq_given: bool,
}

/// Redis's `string2ull`: a strict `string2ll` that must be non-negative, else `strtoull`'s
/// looser rules (leading spaces, a sign, values past i64) with the whole text consumed.
pub(crate) fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::util::parse_i64(s) {
        return u64::try_from(v).ok();
    }
    // strtoull: optional leading white space, optional sign, at least one digit, no overflow;
    // a '-' negates in unsigned arithmetic.
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    if i >= s.len() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &s[i..] {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Redis's `streamGenericParseIDOrReply`: `-`/`+` (unless `strict`), `<ms>`, `<ms>-<seq>`, and
/// `<ms>-*` when `allow_auto_seq`. `missing_seq` fills an absent sequence. `None`: invalid.
pub(crate) fn parse_id(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_auto_seq: bool,
) -> Option<ParsedId> {
    if arg.len() > 127 {
        return None;
    }
    // Redis copies the argument into a C string: the text ends at the first NUL.
    let buf = match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    };
    if strict && (buf == b"-" || buf == b"+") {
        return None;
    }
    if buf == b"-" {
        return Some(ParsedId {
            id: StreamId::MIN,
            seq_given: true,
        });
    }
    if buf == b"+" {
        return Some(ParsedId {
            id: StreamId::MAX,
            seq_given: true,
        });
    }
    let (ms_text, seq_text) = match buf.iter().position(|&b| b == b'-') {
        Some(d) => (&buf[..d], Some(&buf[d + 1..])),
        None => (buf, None),
    };
    let ms = string2ull(ms_text)?;
    let (seq, seq_given) = match seq_text {
        Some(b"*") if allow_auto_seq => (0, false),
        Some(t) => (string2ull(t)?, true),
        None => (missing_seq, true),
    };
    Some(ParsedId {
        id: StreamId::new(ms, seq),
        seq_given,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_redis() {
        let p = |s: &str| parse_id(s.as_bytes(), 7, true, true).map(|p| (p.id, p.seq_given));
        assert_eq!(p("5"), Some((StreamId::new(5, 7), true)));
        assert_eq!(p("5-3"), Some((StreamId::new(5, 3), true)));
        assert_eq!(p("5-*"), Some((StreamId::new(5, 0), false)));
        assert_eq!(p("+5- 3"), Some((StreamId::new(5, 3), true)));
        assert_eq!(p("5--0"), Some((StreamId::new(5, 0), true)));
        assert_eq!(p("5--1"), None);
        assert_eq!(p("-"), None);
        assert_eq!(p("x"), None);
        assert_eq!(p("18446744073709551616"), None);
        assert_eq!(
            p("18446744073709551615-18446744073709551615"),
            Some((StreamId::MAX, true))
        );
        assert_eq!(
            parse_id(b"-", 0, false, false).map(|p| p.id),
            Some(StreamId::MIN)
        );
        assert_eq!(parse_id(b"5-*", 0, true, false), None);
    }
}
