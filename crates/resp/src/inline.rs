//! Splitting an inline command line into arguments with the rules of Redis's `sdssplitargs`.
//!
//! Facts this follows (checked against `redis-server` 7.0.15):
//! - blanks between arguments are C `isspace` bytes (space, `\t`, `\n`, `\v`, `\f`, `\r`), but
//!   an unquoted argument ends only at space, `\t`, `\n`, `\r` or the end (so `a\vb` is one arg);
//! - a quote may open in the middle of an argument (`a"b c"` is `ab c`) and its closing quote
//!   ends the argument; it must be followed by a blank or the end, else the quotes are
//!   "unbalanced";
//! - in double quotes: `\xHH` (two hex digits), `\n \r \t \b \a`, and `\` before any other byte
//!   gives that byte (`\x4g` is `x4g`); in single quotes only `\'` is an escape;
//! - a quote left open at the end of the line is unbalanced.
//!
//! Plain arguments stay ranges of the caller's buffer; only arguments with quotes are copied
//! (unescaped) into the scratch buffer, which keeps the common `nc`/telnet case copy-free.

use std::ops::Range;

use crate::ProtocolError;

/// Where an argument's bytes are: in the caller's buffer, or in the parser's scratch buffer.
#[derive(Debug, Clone)]
pub(crate) struct Arg {
    pub(crate) in_scratch: bool,
    pub(crate) range: Range<usize>,
}

/// C's `isspace` in the C locale.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Split `buf[line]` (a line without its `\n`, `\r\n`, and without NUL bytes) into `args`.
/// Arguments with quotes are unescaped into `scratch`.
pub(crate) fn split(
    buf: &[u8],
    line: Range<usize>,
    args: &mut Vec<Arg>,
    scratch: &mut Vec<u8>,
) -> Result<(), ProtocolError> {
    let end = line.end;
    // Reading past the line yields 0, as reading the NUL terminator does in C.
    let at = |i: usize| if i < end { buf[i] } else { 0 };
    let mut p = line.start;
    loop {
        while p < end && is_blank(buf[p]) {
            p += 1;
        }
        if p >= end {
            return Ok(());
        }
        let start = p;
        // Fast path: a plain argument is a run of bytes up to a terminator.
        while p < end && !matches!(buf[p], b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'') {
            p += 1;
        }
        if p >= end || buf[p] != b'"' && buf[p] != b'\'' {
            args.push(Arg {
                in_scratch: false,
                range: start..p,
            });
            continue;
        }
        // A quote opens: the prefix and the unescaped quoted part go to scratch.
        let from = scratch.len();
        scratch.extend_from_slice(&buf[start..p]);
        p = if buf[p] == b'"' {
            double_quoted(p + 1, &at, scratch)?
        } else {
            single_quoted(p + 1, &at, scratch)?
        };
        args.push(Arg {
            in_scratch: true,
            range: from..scratch.len(),
        });
    }
}

/// Unescape a double-quoted part starting after its `"`; returns the index after the closing
/// quote.
fn double_quoted(
    mut p: usize,
    at: &impl Fn(usize) -> u8,
    scratch: &mut Vec<u8>,
) -> Result<usize, ProtocolError> {
    loop {
        match at(p) {
            0 => return Err(ProtocolError::UnbalancedQuotes),
            b'"' => return closing(p, at),
            b'\\' if at(p + 1) == b'x' => {
                if let (Some(hi), Some(lo)) = (hex_value(at(p + 2)), hex_value(at(p + 3))) {
                    scratch.push(hi * 16 + lo);
                    p += 4;
                } else {
                    scratch.push(b'x');
                    p += 2;
                }
            }
            b'\\' if at(p + 1) != 0 => {
                scratch.push(match at(p + 1) {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'a' => 0x07,
                    other => other,
                });
                p += 2;
            }
            b => {
                scratch.push(b);
                p += 1;
            }
        }
    }
}

/// Unescape a single-quoted part starting after its `'`; returns the index after the closing
/// quote.
fn single_quoted(
    mut p: usize,
    at: &impl Fn(usize) -> u8,
    scratch: &mut Vec<u8>,
) -> Result<usize, ProtocolError> {
    loop {
        match at(p) {
            0 => return Err(ProtocolError::UnbalancedQuotes),
            b'\\' if at(p + 1) == b'\'' => {
                scratch.push(b'\'');
                p += 2;
            }
            b'\'' => return closing(p, at),
            b => {
                scratch.push(b);
                p += 1;
            }
        }
    }
}

/// A closing quote at `p` must be followed by a blank or the end of the line.
fn closing(p: usize, at: &impl Fn(usize) -> u8) -> Result<usize, ProtocolError> {
    let next = at(p + 1);
    if next != 0 && !is_blank(next) {
        return Err(ProtocolError::UnbalancedQuotes);
    }
    Ok(p + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &[u8]) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let (mut args, mut scratch) = (Vec::new(), Vec::new());
        split(line, 0..line.len(), &mut args, &mut scratch)?;
        Ok(args
            .iter()
            .map(|a| {
                if a.in_scratch {
                    &scratch[a.range.clone()]
                } else {
                    &line[a.range.clone()]
                }
            })
            .map(<[u8]>::to_vec)
            .collect())
    }

    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(run(b"  set a  b ").unwrap(), [&b"set"[..], b"a", b"b"]);
        assert_eq!(run(b"a\x0bb").unwrap(), [&b"a\x0bb"[..]]);
        assert_eq!(run(br#"ECHO "\x41\x4g""#).unwrap(), [&b"ECHO"[..], b"Ax4g"]);
        assert_eq!(run(br"ECHO 'a\'b'").unwrap(), [&b"ECHO"[..], b"a'b"]);
        assert_eq!(run(br#"ECHO a"b c""#).unwrap(), [&b"ECHO"[..], b"ab c"]);
        assert_eq!(run(b"\"\" ''").unwrap(), [&b""[..], b""]);
        assert_eq!(run(b"\"a\"\x0b").unwrap(), [&b"a"[..]]);
        assert_eq!(
            run(br#""\n\r\t\b\a\\\"\q""#).unwrap(),
            [&b"\n\r\t\x08\x07\\\"q"[..]]
        );
    }

    #[test]
    fn unbalanced() {
        for bad in [
            &br#"PING "a"b"#[..],
            br#"ECHO "\""#,
            b"'abc",
            b"\"abc",
            br#""a\"#,
        ] {
            assert_eq!(run(bad), Err(ProtocolError::UnbalancedQuotes), "{bad:?}");
        }
    }
}
