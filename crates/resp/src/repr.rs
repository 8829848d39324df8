//! Redis's `sdscatrepr`: a byte string as a quoted, C-escaped text, the form MONITOR lines,
//! CONFIG REWRITE and redis-cli show binary-safe strings in.

/// Append `s` to `out` quoted, with `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` escaped and every
/// other byte outside printable ASCII as `\xHH` (lowercase hex).
pub fn write_repr(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c),
            c => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ]),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::write_repr;

    #[test]
    fn escapes_as_sdscatrepr() {
        let mut out = Vec::new();
        write_repr(&mut out, b"a \"b\"\\\r\n\t\x07\x08\x00\xff~");
        assert_eq!(out, br#""a \"b\"\\\r\n\t\a\b\x00\xff~""#.to_vec());
    }
}
