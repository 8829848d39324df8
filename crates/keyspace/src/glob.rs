//! Redis's glob-style pattern matching (`stringmatchlen`), used by KEYS, SCAN MATCH, CONFIG GET,
//! PSUBSCRIBE and CLIENT KILL filters.

/// Whether `text` matches the glob `pattern`: `*` any run, `?` one byte, `[abc]`, `[^a-z]`,
/// `\x` a literal. With `nocase`, ASCII letters compare case-insensitively.
///
/// Backtracks only to the most recent `*` (a `*` can always absorb more), so the cost is
/// O(len(pattern) × len(text)) at worst, with no recursion.
pub fn glob_match(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, text index it absorbed up to).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    // Consecutive stars are one star.
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, t));
                    continue;
                }
                b'?' if t < text.len() => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' if t < text.len() => {
                    let (matched, next) = match_class(pattern, p, text[t], nocase);
                    if matched {
                        p = next;
                        t += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() && t < text.len() => {
                    if eq(pattern[p + 1], text[t], nocase) {
                        p += 2;
                        t += 1;
                        continue;
                    }
                }
                c if t < text.len() && c != b'?' && c != b'[' => {
                    // A lone trailing backslash matches itself, as in Redis.
                    if eq(c, text[t], nocase) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                _ => {}
            }
        } else if t == text.len() {
            return true;
        }
        // Mismatch: let the last star absorb one more byte, or fail.
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp;
                t = st + 1;
            }
            _ => return false,
        }
    }
}

/// Match `c` against the class starting at `pattern[start] == b'['`; returns whether it matched
/// and the pattern index after the class. An unterminated class ends at the pattern's end.
fn match_class(pattern: &[u8], start: usize, c: u8, nocase: bool) -> (bool, usize) {
    let mut i = start + 1;
    let negate = i < pattern.len() && pattern[i] == b'^';
    if negate {
        i += 1;
    }
    let mut matched = false;
    while i < pattern.len() && pattern[i] != b']' {
        if pattern[i] == b'\\' && i + 1 < pattern.len() {
            i += 1;
            matched |= pattern[i] == c;
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            let (mut lo, mut hi) = (pattern[i], pattern[i + 2]);
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            let (lo, hi, cc) = if nocase {
                (
                    lo.to_ascii_lowercase(),
                    hi.to_ascii_lowercase(),
                    c.to_ascii_lowercase(),
                )
            } else {
                (lo, hi, c)
            };
            matched |= cc >= lo && cc <= hi;
            i += 2;
        } else {
            matched |= eq(pattern[i], c, nocase);
        }
        i += 1;
    }
    // Step past the closing `]` when there is one.
    let next = if i < pattern.len() { i + 1 } else { i };
    (matched != negate, next)
}

fn eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match as m;

    #[test]
    fn redis_glob_rules() {
        assert!(m(b"*", b"", false));
        assert!(m(b"w3c*", b"w3c1", false));
        assert!(!m(b"w3c*", b"w4c1", false));
        assert!(m(b"h?llo", b"hello", false));
        assert!(m(b"h[ae]llo", b"hallo", false));
        assert!(!m(b"h[^e]llo", b"hello", false));
        assert!(m(b"h[a-b]llo", b"hbllo", false));
        assert!(m(b"h[b-a]llo", b"hallo", false));
        assert!(m(b"h\\*llo", b"h*llo", false));
        assert!(!m(b"h\\*llo", b"hello", false));
        assert!(m(b"*a*b*c", b"xxaxxbxxc", false));
        assert!(!m(b"*a*b*c", b"xxaxxbxx", false));
        assert!(m(b"HELLO", b"hello", true));
        assert!(m(b"maxmemory*", b"maxmemory-policy", false));
        assert!(!m(b"a", b"ab", false));
        assert!(m(b"a*", b"a", false));
    }
}
