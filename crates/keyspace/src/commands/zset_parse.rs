//! Number and range parsing for the sorted-set commands, as Redis does it with C's `strtod`.
//!
//! Two parsers, because Redis has two: scores, weights and increments go through
//! `getDoubleFromObject` (strict: no leading space, the whole string, no overflow to ±inf or
//! underflow to 0, no NaN), while the bounds of ZRANGEBYSCORE and friends go through
//! `zslParseRange`, which calls `strtod` bare: leading spaces, the empty string (0) and
//! overflow to ±inf are all accepted there. Both accept what glibc's `strtod` does: a sign,
//! `inf`/`infinity`, hex floats (`0x1p3`), decimal with optional fraction and exponent.

use crate::util::is_c_space;

/// glibc `strtod` on the C string `s` (it stops at a NUL): the value, the bytes consumed (0 when
/// nothing parsed) and whether `errno` would be ERANGE.
pub(crate) fn strtod(s: &[u8]) -> (f64, usize, bool) {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    let starts_ic = |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
    if starts_ic(b"infinity") {
        return (sign(f64::INFINITY), i + 8, false);
    }
    if starts_ic(b"inf") {
        return (sign(f64::INFINITY), i + 3, false);
    }
    if starts_ic(b"nan") {
        let mut n = i + 3;
        if s.get(n) == Some(&b'(') {
            let mut j = n + 1;
            while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
                j += 1;
            }
            if s.get(j) == Some(&b')') {
                n = j + 1;
            }
        }
        return (f64::NAN, n, false);
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        if let Some((v, n, erange)) = hex(&rest[2..]) {
            return (sign(v), i + 2 + n, erange);
        }
        // "0x" without hex digits parses as the "0".
        return (sign(0.0), i + 1, false);
    }
    // Decimal: digits [. digits] [e [sign] digits]
    let mut j = i;
    let mut digits = 0;
    let mut nonzero = false;
    while j < s.len() && s[j].is_ascii_digit() {
        nonzero |= s[j] != b'0';
        j += 1;
        digits += 1;
    }
    if j < s.len() && s[j] == b'.' {
        j += 1;
        while j < s.len() && s[j].is_ascii_digit() {
            nonzero |= s[j] != b'0';
            j += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return (0.0, 0, false);
    }
    if j < s.len() && (s[j] | 0x20) == b'e' {
        let mut k = j + 1;
        if k < s.len() && (s[k] == b'+' || s[k] == b'-') {
            k += 1;
        }
        if k < s.len() && s[k].is_ascii_digit() {
            while k < s.len() && s[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    let text = std::str::from_utf8(&s[i..j]).expect("ascii");
    // Rust's parser rounds correctly, as glibc does, and takes "1." and ".5".
    let v: f64 = text.parse().unwrap_or(0.0);
    let erange =
        (v.is_infinite()) || (v == 0.0 && nonzero) || (v != 0.0 && v.abs() < f64::MIN_POSITIVE);
    (sign(v), j, erange)
}

/// Hex float body after "0x": the value, bytes consumed, ERANGE.
fn hex(s: &[u8]) -> Option<(f64, usize, bool)> {
    let (mut mant, mut exp, mut j, mut any) = (0u64, 0i64, 0, false);
    let mut sticky = false;
    let mut push = |d: u64, frac: bool, mant: &mut u64, exp: &mut i64| {
        if *mant >> 56 == 0 {
            *mant = *mant << 4 | d;
            if frac {
                *exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !frac {
                *exp += 4;
            }
        }
    };
    while j < s.len() && s[j].is_ascii_hexdigit() {
        push(hexval(s[j]), false, &mut mant, &mut exp);
        j += 1;
        any = true;
    }
    if j < s.len() && s[j] == b'.' {
        let mut k = j + 1;
        let mut fany = false;
        while k < s.len() && s[k].is_ascii_hexdigit() {
            push(hexval(s[k]), true, &mut mant, &mut exp);
            k += 1;
            fany = true;
        }
        if any || fany {
            j = k;
            any = true;
        }
    }
    if !any {
        return None;
    }
    if j < s.len() && (s[j] | 0x20) == b'p' {
        let mut k = j + 1;
        let neg = match s.get(k) {
            Some(b'-') => {
                k += 1;
                true
            }
            Some(b'+') => {
                k += 1;
                false
            }
            _ => false,
        };
        if k < s.len() && s[k].is_ascii_digit() {
            let mut e: i64 = 0;
            while k < s.len() && s[k].is_ascii_digit() {
                e = (e * 10 + i64::from(s[k] - b'0')).min(1 << 40);
                k += 1;
            }
            exp += if neg { -e } else { e };
            j = k;
        }
    }
    if sticky {
        mant |= 1;
    }
    let mut v = mant as f64;
    let mut e = exp;
    while e > 0 && v.is_finite() {
        let step = e.min(1000);
        v *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 && v != 0.0 {
        let step = (-e).min(1000);
        v *= 2f64.powi(-(step as i32));
        e += step;
    }
    let erange = v.is_infinite() || (v == 0.0 && mant != 0) || (v != 0.0 && v < f64::MIN_POSITIVE);
    Some((v, j, erange))
}

fn hexval(c: u8) -> u64 {
    match c {
        b'0'..=b'9' => u64::from(c - b'0'),
        _ => u64::from((c | 0x20) - b'a' + 10),
    }
}

/// Redis's `getDoubleFromObject`: the whole string, no leading space, no ±inf from overflow, no
/// 0 from underflow, not NaN.
pub(crate) fn parse_score(s: &[u8]) -> Option<f64> {
    if s.is_empty() || is_c_space(s[0]) {
        return None;
    }
    let (v, n, erange) = strtod(s);
    if n != s.len() || v.is_nan() || (erange && (v.is_infinite() || v == 0.0)) {
        return None;
    }
    Some(v)
}

/// The C string of an argument: up to its first NUL.
fn c_str(s: &[u8]) -> &[u8] {
    match memchr::memchr(0, s) {
        Some(i) => &s[..i],
        None => s,
    }
}

/// One bound of a score range (`zslParseRange`): the value and whether it is exclusive.
pub(crate) fn parse_score_bound(s: &[u8]) -> Option<(f64, bool)> {
    let s = c_str(s);
    let (body, ex) = match s.first() {
        Some(b'(') => (&s[1..], true),
        _ => (s, false),
    };
    let (v, n, _) = strtod(body);
    (n == body.len() && !v.is_nan()).then_some((v, ex))
}

/// A score range `[min, max]` with open ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScoreRange {
    pub(crate) min: f64,
    pub(crate) minex: bool,
    pub(crate) max: f64,
    pub(crate) maxex: bool,
}

impl ScoreRange {
    pub(crate) fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, minex) = parse_score_bound(min)?;
        let (max, maxex) = parse_score_bound(max)?;
        Some(ScoreRange {
            min,
            minex,
            max,
            maxex,
        })
    }

    /// Whether `s` is below the range's start.
    pub(crate) fn below_min(&self, s: f64) -> bool {
        if self.minex {
            s <= self.min
        } else {
            s < self.min
        }
    }

    /// Whether `s` is at most the range's end.
    pub(crate) fn within_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }
}

/// One end of a lex range.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LexBound<'a> {
    /// `-`
    Min,
    /// `+`
    Max,
    /// `[x` (inclusive) or `(x` (exclusive).
    Val(&'a [u8], bool),
}

impl<'a> LexBound<'a> {
    /// `zslParseLexRangeItem`.
    pub(crate) fn parse(s: &'a [u8]) -> Option<LexBound<'a>> {
        match s.first() {
            Some(b'+') if c_str(s).len() == 1 => Some(LexBound::Max),
            Some(b'-') if c_str(s).len() == 1 => Some(LexBound::Min),
            Some(b'(') => Some(LexBound::Val(&s[1..], true)),
            Some(b'[') => Some(LexBound::Val(&s[1..], false)),
            _ => None,
        }
    }

    /// Whether member `m` is below this bound taken as the range's start.
    pub(crate) fn below_min(&self, m: &[u8]) -> bool {
        match *self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Val(v, ex) => {
                if ex {
                    m <= v
                } else {
                    m < v
                }
            }
        }
    }

    /// Whether member `m` is within this bound taken as the range's end.
    pub(crate) fn within_max(&self, m: &[u8]) -> bool {
        match *self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Val(v, ex) => {
                if ex {
                    m < v
                } else {
                    m <= v
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_scores() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"0x1p-2"), Some(0.25));
        assert_eq!(parse_score(b"1."), Some(1.0));
        assert_eq!(parse_score(b".5"), Some(0.5));
        assert_eq!(parse_score(b"1e3"), Some(1000.0));
        for bad in [
            "", " 1", "1 ", "nan", "1e400", "1e-400", "abc", "1e", "0x", ".",
        ] {
            assert_eq!(parse_score(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn range_bounds() {
        assert_eq!(parse_score_bound(b"(1"), Some((1.0, true)));
        assert_eq!(parse_score_bound(b" 2"), Some((2.0, false)));
        assert_eq!(parse_score_bound(b""), Some((0.0, false)));
        assert_eq!(parse_score_bound(b"1e400"), Some((f64::INFINITY, false)));
        assert_eq!(parse_score_bound(b"nan"), None);
        assert_eq!(parse_score_bound(b"1x"), None);
    }
}
