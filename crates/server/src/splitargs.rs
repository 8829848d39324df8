//! redis.conf line tokenizer: the rules of Redis's `sdssplitargs`, and its inverse `sdscatrepr`
//! (used to turn command-line values back into config text).
//!
//! Written from the documented behaviour, byte for byte, because users rely on its corners:
//! `"a"b` is an error, `a"b c"` is one token `ab c`, `\xHH` only inside double quotes.

/// A line that `sdssplitargs` refuses: a quote left open, or a closing quote followed by
/// something other than a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Unbalanced quotes in configuration line")]
pub struct UnbalancedQuotes;

/// C `isspace` in the "C" locale: what `sdssplitargs` skips between tokens.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Split `line` into arguments as Redis does for config lines and `redis-cli` input.
///
/// Redis works on C strings, so a NUL byte ends the line; we keep that.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, UnbalancedQuotes> {
    let end = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    let line = &line[..end];
    // Reading past the end yields 0, as reading the C string's terminator would.
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Ok(out);
        }
        let (mut in_dq, mut in_sq) = (false, false);
        let mut cur = Vec::new();
        loop {
            let c = at(p);
            if in_dq {
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(h), Some(l)) = (hex_value(at(p + 2)), hex_value(at(p + 3))) {
                        cur.push(h * 16 + l);
                        p += 4;
                        continue;
                    }
                }
                if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    cur.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return Err(UnbalancedQuotes);
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return Err(UnbalancedQuotes);
                } else {
                    cur.push(c);
                }
            } else if in_sq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return Err(UnbalancedQuotes);
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return Err(UnbalancedQuotes);
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    // Only these end a bare token (not \v or \f, unlike the blank skipping).
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        if c != 0 {
                            p += 1;
                        }
                        break;
                    }
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    other => cur.push(other),
                }
            }
            p += 1;
        }
        out.push(cur);
    }
}

/// Quote `arg` so that [`split_args`] reads it back as one token (Redis's `sdscatrepr`).
pub fn repr(arg: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in arg {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(line: &str) -> Result<Vec<String>, UnbalancedQuotes> {
        split_args(line.as_bytes()).map(|v| {
            v.into_iter()
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .collect()
        })
    }

    #[test]
    fn table_of_lines_to_tokens() {
        let table: &[(&str, &[&str])] = &[
            ("", &[]),
            ("   \t ", &[]),
            ("port 7000", &["port", "7000"]),
            ("  save 900 1   300 10 ", &["save", "900", "1", "300", "10"]),
            ("save \"\"", &["save", ""]),
            ("save ''", &["save", ""]),
            ("requirepass \"a b\"", &["requirepass", "a b"]),
            (r#"x "\n\r\t\b\a\\\"""#, &["x", "\n\r\t\x08\x07\\\""]),
            (r#"x "\x41\x7a\xg1""#, &["x", "Azxg1"]),
            (r#"x "\q""#, &["x", "q"]),
            (r#"x 'it\'s' '\n'"#, &["x", "it's", "\\n"]),
            ("a\"b c\" e", &["ab c", "e"]),
            (
                "x # not a comment here",
                &["x", "#", "not", "a", "comment", "here"],
            ),
            ("a\x0bb", &["a\x0bb"]),
        ];
        for (line, want) in table {
            assert_eq!(toks(line).unwrap(), *want, "line {line:?}");
        }
    }

    #[test]
    fn non_utf8_hex_escape() {
        assert_eq!(
            split_args(br#""\xff\x00z""#).unwrap(),
            vec![vec![0xff, 0, b'z']]
        );
    }

    #[test]
    fn nul_ends_the_line() {
        assert_eq!(
            split_args(b"a b\0c").unwrap(),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
    }

    #[test]
    fn unbalanced_quotes() {
        for line in [
            "a\"b c\"d",
            "x \"abc",
            "x 'abc",
            "x \"a\"b",
            "x 'a'b",
            "x \"abc\\",
            "\"",
        ] {
            assert_eq!(toks(line), Err(UnbalancedQuotes), "line {line:?}");
        }
        assert_eq!(
            UnbalancedQuotes.to_string(),
            "Unbalanced quotes in configuration line"
        );
    }

    #[test]
    fn repr_round_trips() {
        let samples: &[&[u8]] = &[
            b"",
            b"plain",
            b"a b",
            b"\"q\" \\ \n\r\t\x07\x08",
            b"\x00\xff\x7f",
        ];
        for s in samples {
            let mut line = Vec::new();
            repr(s, &mut line);
            assert_eq!(split_args(&line).unwrap(), vec![s.to_vec()], "{line:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn repr_round_trips_any_bytes(args in proptest::collection::vec(
            proptest::collection::vec(proptest::num::u8::ANY, 0..20), 1..5)) {
            let mut line = Vec::new();
            for a in &args {
                repr(a, &mut line);
                line.push(b' ');
            }
            proptest::prop_assert_eq!(split_args(&line).unwrap(), args);
        }
    }
}
