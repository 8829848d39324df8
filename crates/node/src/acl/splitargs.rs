//! Redis's `sdssplitargs` for the inside of an ACL selector `(...)`: words split at
//! whitespace, with "double" (C escapes, `\xHH`) and 'single' quotes.

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The byte of the two hex digits at `s[i..i + 2]`.
fn hex_at(s: &[u8], i: usize) -> Option<u8> {
    Some(hex(*s.get(i)?)? * 16 + hex(*s.get(i + 1)?)?)
}

/// The words of `s`; `None` for unbalanced quotes or a closing quote not followed by a space.
pub(crate) fn split_args(s: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < s.len() && is_space(s[i]) {
            i += 1;
        }
        if i >= s.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            let c = s.get(i).copied();
            if inq {
                match c {
                    None => return None,
                    Some(b'\\') if s.get(i + 1) == Some(&b'x') && hex_at(s, i + 2).is_some() => {
                        cur.push(hex_at(s, i + 2).unwrap_or(0));
                        i += 3;
                    }
                    Some(b'\\') if i + 1 < s.len() => {
                        i += 1;
                        cur.push(match s[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if s.get(i + 1).is_some_and(|&b| !is_space(b)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(b) => cur.push(b),
                }
            } else if insq {
                match c {
                    None => return None,
                    Some(b'\\') if s.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        cur.push(b'\'');
                    }
                    Some(b'\'') => {
                        if s.get(i + 1).is_some_and(|&b| !is_space(b)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(b) => cur.push(b),
                }
            } else {
                match c {
                    None | Some(b' ' | b'\n' | b'\r' | b'\t' | 0) => break,
                    Some(b'"') => inq = true,
                    Some(b'\'') => insq = true,
                    Some(b) => cur.push(b),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::split_args;

    #[test]
    fn words_and_quotes() {
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
    }
}
