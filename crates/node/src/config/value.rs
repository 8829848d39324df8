//! Value syntax shared by config files and CONFIG SET: Redis's number parsers (`string2ll`,
//! `memtoull`, `strtoll`), argument splitting (`sdssplitargs`), and quoting for rewrites.

/// Redis's `string2ll`: an optional `-`, then digits with no leading zero (except `0`), nothing
/// else, within `i64`.
pub(crate) fn string2ll(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits[0] == b'0' && (digits.len() > 1 || neg) {
        return None;
    }
    let mut v: i128 = 0;
    for d in digits {
        v = v * 10 + i128::from(d - b'0');
        if v > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// C's `strtoll(s, &end, base)` followed by a check that `*end == '\0'`: leading blanks and a sign
/// are allowed, overflow saturates, and an empty string is 0 (no digits leaves `end` at the start,
/// which is the terminator only when the string is empty).
pub(crate) fn strtoll_full(s: &[u8], base: u32) -> Option<i64> {
    let start = s
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(s.len());
    let mut rest = &s[start..];
    let neg = match rest.first() {
        Some(b'-') => {
            rest = &rest[1..];
            true
        }
        Some(b'+') => {
            rest = &rest[1..];
            false
        }
        _ => false,
    };
    let ndigits = rest
        .iter()
        .take_while(|c| (**c as char).is_digit(base))
        .count();
    if ndigits == 0 {
        return s.is_empty().then_some(0);
    }
    if ndigits != rest.len() {
        return None;
    }
    let mut v: i128 = 0;
    for c in rest {
        v = (v * i128::from(base) + i128::from((*c as char).to_digit(base)?)).min(1 << 64);
    }
    let v = if neg { -v } else { v };
    Some(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// Redis's `memtoull`: digits then an optional unit `b`, `k` (1000), `kb` (1024), `m`, `mb`, `g`,
/// `gb`, case-insensitive. An empty string is 0, as in Redis. Overflow wraps as C's does.
pub(crate) fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let ndigits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = s[ndigits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let mut v: u64 = 0;
    for d in &s[..ndigits] {
        v = v.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    Some(v.wrapping_mul(mul))
}

/// Redis's `string2d` as CONFIG uses it: a plain decimal float, no blanks, not NaN.
pub(crate) fn string2d(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() || s[s.len() - 1].is_ascii_whitespace() {
        return None;
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

/// `%f` then Redis's `trimDoubleString`: `99.900000` → `99.9`, `50.000000` → `50`.
pub(crate) fn format_percentile(v: f64) -> String {
    let s = format!("{v:.6}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Split a config line into arguments as Redis's `sdssplitargs` does: blanks separate arguments;
/// `"…"` supports `\n \r \t \b \a \\ \"` and `\xHH` escapes; `'…'` supports `\'`; a closing quote
/// must be followed by a blank or the end. `None` for unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_c_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            let c = line.get(p).copied();
            if inq {
                match c {
                    None => return None,
                    Some(b'\\')
                        if p + 3 < line.len()
                            && line[p + 1] == b'x'
                            && line[p + 2].is_ascii_hexdigit()
                            && line[p + 3].is_ascii_hexdigit() =>
                    {
                        let h = |x: u8| (x as char).to_digit(16).unwrap_or(0) as u8;
                        cur.push(h(line[p + 2]) * 16 + h(line[p + 3]));
                        p += 3;
                    }
                    Some(b'\\') if p + 1 < line.len() => {
                        p += 1;
                        cur.push(match line[p] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if line.get(p + 1).is_some_and(|&c| !is_c_space(c)) {
                            return None;
                        }
                        p += 1;
                        break;
                    }
                    Some(c) => cur.push(c),
                }
            } else if insq {
                match c {
                    None => return None,
                    Some(b'\\') if line.get(p + 1) == Some(&b'\'') => {
                        p += 1;
                        cur.push(b'\'');
                    }
                    Some(b'\'') => {
                        if line.get(p + 1).is_some_and(|&c| !is_c_space(c)) {
                            return None;
                        }
                        p += 1;
                        break;
                    }
                    Some(c) => cur.push(c),
                }
            } else {
                match c {
                    None | Some(b' ' | b'\n' | b'\r' | b'\t' | 0) => break,
                    Some(b'"') => inq = true,
                    Some(b'\'') => insq = true,
                    Some(c) => cur.push(c),
                }
            }
            p += 1;
        }
        out.push(cur);
    }
}

/// C's `isspace`, which `sdssplitargs` splits at (Rust's `is_ascii_whitespace` leaves out the
/// vertical tab).
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// CONFIG SET's split of a multi-argument value: on single spaces (`sdssplitlen`), so doubled
/// spaces give empty arguments and an empty value gives none.
pub(crate) fn split_spaces(value: &[u8]) -> Vec<Vec<u8>> {
    if value.is_empty() {
        return Vec::new();
    }
    value.split(|c| *c == b' ').map(<[u8]>::to_vec).collect()
}

/// Redis's `sdscatrepr`: a quoted string with C escapes, as CONFIG REWRITE writes strings.
pub(crate) fn repr(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    hashslot_resp::write_repr(&mut out, s);
    // Every byte outside printable ASCII was escaped.
    String::from_utf8_lossy(&out).into_owned()
}

/// Redis's `rewriteConfigFormatMemory`: `1gb`, `64mb`, `16kb`, or plain bytes.
pub(crate) fn format_memory(bytes: i64) -> String {
    const KB: i64 = 1024;
    for (unit, size) in [("gb", KB * KB * KB), ("mb", KB * KB), ("kb", KB)] {
        if bytes != 0 && bytes % size == 0 {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_as_redis_does() {
        assert_eq!(string2ll(b"-12"), Some(-12));
        assert_eq!(string2ll(b"012"), None);
        assert_eq!(string2ll(b"+1"), None);
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(string2ll(b"9223372036854775808"), None);
        assert_eq!(memtoull(b"1gb"), Some(1 << 30));
        assert_eq!(memtoull(b"64K"), Some(64_000));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"1x"), None);
        assert_eq!(strtoll_full(b" +7", 10), Some(7));
        assert_eq!(strtoll_full(b"", 10), Some(0));
        assert_eq!(strtoll_full(b"7a", 10), None);
        assert_eq!(strtoll_full(b"777", 8), Some(511));
        assert_eq!(strtoll_full(b"9", 8), None);
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(format_memory(64 << 20), "64mb");
        assert_eq!(format_memory(1000), "1000");
    }

    #[test]
    fn split_args_handles_quotes() {
        let v = split_args(br#"a "b c" 'd\'e' "\x41\n""#).unwrap();
        assert_eq!(
            v,
            vec![
                b"a".to_vec(),
                b"b c".to_vec(),
                b"d'e".to_vec(),
                b"A\n".to_vec()
            ]
        );
        assert_eq!(split_args(br#"notify-keyspace-events """#).unwrap()[1], b"");
        assert_eq!(split_args(br#"a "b"c"#), None);
        assert_eq!(split_args(br#"a "b"#), None);
        assert_eq!(
            split_spaces(b"1 2  3"),
            vec![b"1".to_vec(), b"2".to_vec(), vec![], b"3".to_vec()]
        );
    }
}

#[cfg(test)]
mod split_args_tests {
    use super::split_args;

    #[test]
    fn split_args_words_and_quotes_as_sdssplitargs() {
        let v = |s: &[u8]| {
            split_args(s).map(|w| {
                w.into_iter()
                    .map(|x| String::from_utf8(x).unwrap())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(v(b"  ~a  +get "), Some(vec!["~a".into(), "+get".into()]));
        assert_eq!(v(b"\"a b\" 'c d'"), Some(vec!["a b".into(), "c d".into()]));
        assert_eq!(v(b"\"\\x41\\n\""), Some(vec!["A\n".into()]));
        assert_eq!(v(b"'it\\'s'"), Some(vec!["it's".into()]));
        assert_eq!(v(b"\"open"), None);
        assert_eq!(v(b"\"a\"b"), None);
        assert_eq!(v(b""), Some(vec![]));
        // Blanks before a word are C's isspace (vertical tab too); inside a word only space,
        // \n, \r, \t and NUL end it, as in sdssplitargs.
        assert_eq!(v(b"\x0ba"), Some(vec!["a".into()]));
        assert_eq!(v(b"a\x0bb"), Some(vec!["a\x0bb".into()]));
    }
}
