//! Redis's strict decimal parser for the lengths and counts in RESP headers.

/// Parse `digits` as Redis's `string2ll` does: an optional `-`, then a digit 1–9 followed by
/// digits, or the single digit `0`; nothing else (no `+`, no spaces, no leading zeros, no `-0`),
/// at most 20 bytes, and within `i64`.
///
/// Being exactly as strict as Redis matters: a header Redis rejects must be rejected here with
/// the same error, and one it accepts must be accepted.
pub(crate) fn parse_i64(digits: &[u8]) -> Option<i64> {
    // Redis refuses empty input and anything of 21 bytes or more before looking at it.
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    if digits == b"0" {
        return Some(0);
    }
    let (negative, rest) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    match rest.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &b in rest {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if negative {
        // i64::MIN's magnitude is one more than i64::MAX's.
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_i64;

    #[test]
    fn accepts_what_string2ll_accepts() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"7"), Some(7));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
    }

    #[test]
    fn rejects_what_string2ll_rejects() {
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"000000000000000000001",
            b"18446744073709551616",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
