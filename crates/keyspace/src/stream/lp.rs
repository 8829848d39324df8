//! The listpack byte format (Redis 7.0 `listpack.c`), as far as stream nodes need it: append,
//! walk forward and backward, replace an integer, and validate bytes that came from outside.
//!
//! A stream node is kept as the very bytes Redis keeps (and writes to RDB files), so node
//! sizes — which decide when a new node starts, and so what approximate trimming removes — are
//! Redis's to the byte.
//!
//! Layout: 4-byte little-endian total size, 2-byte element count (65535: unknown), elements,
//! `0xFF`. Each element is an encoding byte with its data, then a 1-5 byte "backlen" holding
//! the size of encoding plus data, so the list can be walked from the end.

/// Size of the header (total bytes and element count).
pub(crate) const HEADER: usize = 6;
/// The terminator byte.
const EOF: u8 = 0xFF;
/// Element count meaning "unknown, count by walking" (`LP_HDR_NUMELE_UNKNOWN`).
const NUMELE_UNKNOWN: u16 = u16::MAX;

/// One element's value: listpacks store canonical integers as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elem<'a> {
    /// An integer (a string that is the canonical text of an i64 is stored as one).
    Int(i64),
    /// A string.
    Str(&'a [u8]),
}

/// An empty listpack.
pub(crate) fn new(capacity: usize) -> Vec<u8> {
    let mut lp = Vec::with_capacity(capacity.max(HEADER + 1));
    lp.extend_from_slice(&((HEADER + 1) as u32).to_le_bytes());
    lp.extend_from_slice(&0u16.to_le_bytes());
    lp.push(EOF);
    lp
}

/// Redis's `lpStringToInt64`: whether `s` is the canonical decimal text of an i64.
pub(crate) fn string_to_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Encoding bytes of integer `v` (`lpEncodeIntegerGetType`), written to `buf`; returns the
/// length.
fn encode_int(v: i64, buf: &mut [u8; 9]) -> usize {
    if (0..=127).contains(&v) {
        buf[0] = v as u8;
        1
    } else if (-4096..=4095).contains(&v) {
        let u = if v < 0 { (1i64 << 13) + v } else { v } as u64;
        buf[0] = ((u >> 8) as u8) | 0xC0;
        buf[1] = u as u8;
        2
    } else if (-32768..=32767).contains(&v) {
        buf[0] = 0xF1;
        buf[1..3].copy_from_slice(&(v as i16).to_le_bytes());
        3
    } else if (-8_388_608..=8_388_607).contains(&v) {
        buf[0] = 0xF2;
        buf[1..4].copy_from_slice(&(v as i32).to_le_bytes()[..3]);
        4
    } else if (-2_147_483_648..=2_147_483_647).contains(&v) {
        buf[0] = 0xF3;
        buf[1..5].copy_from_slice(&(v as i32).to_le_bytes());
        5
    } else {
        buf[0] = 0xF4;
        buf[1..9].copy_from_slice(&v.to_le_bytes());
        9
    }
}

/// Bytes of the backlen that records an element of `l` bytes (`lpEncodeBacklen`).
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

fn push_backlen(lp: &mut Vec<u8>, l: usize) {
    let n = backlen_size(l);
    for i in (0..n).rev() {
        let b = ((l >> (7 * i)) & 127) as u8;
        // The first byte written (the most significant group) has no continuation bit.
        lp.push(if i == n - 1 { b } else { b | 128 });
    }
}

/// Encoded element (encoding, data, backlen) of integer `v`.
fn int_entry(v: i64) -> ([u8; 10], usize) {
    let mut buf = [0u8; 9];
    let n = encode_int(v, &mut buf);
    let mut out = [0u8; 10];
    out[..n].copy_from_slice(&buf[..n]);
    // Integer encodings are at most 9 bytes: their backlen is one byte.
    out[n] = n as u8;
    (out, n + 1)
}

fn set_total(lp: &mut [u8]) {
    let len = lp.len() as u32;
    lp[..4].copy_from_slice(&len.to_le_bytes());
}

fn bump_count(lp: &mut [u8]) {
    let n = u16::from_le_bytes([lp[4], lp[5]]);
    if n != NUMELE_UNKNOWN {
        lp[4..6].copy_from_slice(&(n + 1).to_le_bytes());
    }
}

/// Append integer `v` (`lpAppendInteger`).
pub(crate) fn append_int(lp: &mut Vec<u8>, v: i64) {
    let (e, n) = int_entry(v);
    lp.pop();
    lp.extend_from_slice(&e[..n]);
    lp.push(EOF);
    set_total(lp);
    bump_count(lp);
}

/// Append string `s` (`lpAppend`): stored as an integer when it is one's canonical text.
pub(crate) fn append_str(lp: &mut Vec<u8>, s: &[u8]) {
    if let Some(v) = string_to_i64(s) {
        append_int(lp, v);
        return;
    }
    lp.pop();
    let n = s.len();
    if n < 64 {
        lp.push(0x80 | n as u8);
    } else if n < 4096 {
        lp.push(0xE0 | (n >> 8) as u8);
        lp.push(n as u8);
    } else {
        lp.push(0xF0);
        lp.extend_from_slice(&(n as u32).to_le_bytes());
    }
    lp.extend_from_slice(s);
    let enc = if n < 64 {
        1 + n
    } else if n < 4096 {
        2 + n
    } else {
        5 + n
    };
    push_backlen(lp, enc);
    lp.push(EOF);
    set_total(lp);
    bump_count(lp);
}

/// Size of encoding plus data of the element starting at `p`, or `None` when the encoding
/// byte is invalid or the terminator. Reads at most 5 bytes from `p` (bounds checked).
fn enc_size(lp: &[u8], p: usize) -> Option<usize> {
    let b = *lp.get(p)?;
    let len_at = |from: usize, n: usize| -> Option<usize> {
        let bytes = lp.get(from..from + n)?;
        let mut v = 0usize;
        for (i, &x) in bytes.iter().enumerate() {
            v |= usize::from(x) << (8 * i);
        }
        Some(v)
    };
    Some(if b & 0x80 == 0 {
        1
    } else if b & 0xC0 == 0x80 {
        1 + usize::from(b & 0x3F)
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        2 + ((usize::from(b & 0x0F) << 8) | len_at(p + 1, 1)?)
    } else {
        match b {
            0xF0 => 5 + len_at(p + 1, 4)?,
            0xF1 => 3,
            0xF2 => 4,
            0xF3 => 5,
            0xF4 => 9,
            _ => return None,
        }
    })
}

/// Position of the first element, or `None` when the listpack is empty.
pub(crate) fn first(lp: &[u8]) -> Option<usize> {
    (lp[HEADER] != EOF).then_some(HEADER)
}

/// Position of the element after the one at `p`, or `None` at the end.
pub(crate) fn next(lp: &[u8], p: usize) -> Option<usize> {
    let enc = enc_size(lp, p).expect("valid listpack element");
    let q = p + enc + backlen_size(enc);
    (lp[q] != EOF).then_some(q)
}

/// Position of the last element, or `None` when the listpack is empty.
pub(crate) fn last(lp: &[u8]) -> Option<usize> {
    let end = lp.len() - 1;
    if end == HEADER {
        return None;
    }
    prev(lp, end)
}

/// Position of the element before the one at `p` (`p` may be the terminator), or `None` at
/// the start.
pub(crate) fn prev(lp: &[u8], p: usize) -> Option<usize> {
    if p <= HEADER {
        return None;
    }
    // The backlen is read from its last byte backwards: 7 bits a byte, the high bit set on all
    // but the most significant group.
    let mut i = p - 1;
    let mut val = 0usize;
    let mut shift = 0;
    loop {
        let b = lp[i];
        val |= usize::from(b & 127) << shift;
        if b & 128 == 0 {
            break;
        }
        shift += 7;
        i -= 1;
    }
    Some(p - backlen_size(val) - val)
}

/// The value of the element at `p`.
pub(crate) fn get(lp: &[u8], p: usize) -> Elem<'_> {
    let b = lp[p];
    let le = |n: usize| -> u64 {
        let mut v = 0u64;
        for i in 0..n {
            v |= u64::from(lp[p + 1 + i]) << (8 * i);
        }
        v
    };
    let sign = |v: u64, bits: u32| -> i64 { ((v << (64 - bits)) as i64) >> (64 - bits) };
    if b & 0x80 == 0 {
        Elem::Int(i64::from(b))
    } else if b & 0xC0 == 0x80 {
        let n = usize::from(b & 0x3F);
        Elem::Str(&lp[p + 1..p + 1 + n])
    } else if b & 0xE0 == 0xC0 {
        let v = (u64::from(b & 0x1F) << 8) | u64::from(lp[p + 1]);
        Elem::Int(sign(v, 13))
    } else if b & 0xF0 == 0xE0 {
        let n = (usize::from(b & 0x0F) << 8) | usize::from(lp[p + 1]);
        Elem::Str(&lp[p + 2..p + 2 + n])
    } else {
        match b {
            0xF0 => {
                let n = le(4) as usize;
                Elem::Str(&lp[p + 5..p + 5 + n])
            }
            0xF1 => Elem::Int(sign(le(2), 16)),
            0xF2 => Elem::Int(sign(le(3), 24)),
            0xF3 => Elem::Int(sign(le(4), 32)),
            0xF4 => Elem::Int(le(8) as i64),
            _ => unreachable!("validated listpack"),
        }
    }
}

/// The element at `p` as an integer (stream metadata elements are integers; a string holding
/// an integer's text is read as one, as `lpGetInteger` does).
pub(crate) fn get_int(lp: &[u8], p: usize) -> i64 {
    match get(lp, p) {
        Elem::Int(v) => v,
        Elem::Str(s) => parse_int_text(s).expect("validated integer element"),
    }
}

/// `string2ll` on an element's text (what `lpGetIntegerIfValid` falls back to).
pub(crate) fn parse_int_text(s: &[u8]) -> Option<i64> {
    string_to_i64(s)
}

/// Replace the element at `p` with integer `v` (`lpReplaceInteger`); the listpack may change
/// size. Returns the new size difference applied after `p`.
pub(crate) fn replace_int(lp: &mut Vec<u8>, p: usize, v: i64) {
    let old = enc_size(lp, p).expect("valid element");
    let old_total = old + backlen_size(old);
    let (e, n) = int_entry(v);
    if n == old_total {
        lp[p..p + n].copy_from_slice(&e[..n]);
    } else {
        lp.splice(p..p + old_total, e[..n].iter().copied());
        set_total(lp);
    }
}

/// Check untrusted bytes: header size matches, every element is well formed and inside the
/// buffer with a matching backlen, the terminator ends it, and the element count (when known)
/// matches. Returns the number of elements.
pub(crate) fn validate(lp: &[u8]) -> Option<usize> {
    if lp.len() < HEADER + 1 {
        return None;
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != lp.len() || lp[lp.len() - 1] != EOF {
        return None;
    }
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    let mut p = HEADER;
    let mut n = 0usize;
    while p < lp.len() - 1 {
        let enc = enc_size(lp, p)?;
        let bl = backlen_size(enc);
        let end = p.checked_add(enc)?.checked_add(bl)?;
        if end > lp.len() - 1 {
            return None;
        }
        // The backlen must say what the encoding says.
        let mut val = 0usize;
        for (k, &b) in lp[p + enc..end].iter().enumerate() {
            // Written most significant group first; every byte but that one has the high bit.
            if (b & 128 != 0) != (k > 0) {
                return None;
            }
            val = (val << 7) | usize::from(b & 127);
        }
        if val != enc {
            return None;
        }
        p = end;
        n += 1;
    }
    if count != NUMELE_UNKNOWN && usize::from(count) != n {
        return None;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_walk_both_ways_and_validate() {
        let mut lp = new(0);
        let items: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"-1".to_vec(),
            b"4095".to_vec(),
            b"-4096".to_vec(),
            b"32767".to_vec(),
            b"8388607".to_vec(),
            b"-2147483648".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"007".to_vec(),
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 4096],
            vec![b'w'; 20000],
        ];
        for it in &items {
            append_str(&mut lp, it);
        }
        assert_eq!(validate(&lp), Some(items.len()));
        let mut p = first(&lp);
        let mut got = Vec::new();
        while let Some(q) = p {
            got.push(match get(&lp, q) {
                Elem::Int(v) => v.to_string().into_bytes(),
                Elem::Str(s) => s.to_vec(),
            });
            p = next(&lp, q);
        }
        assert_eq!(got, items);
        let mut p = last(&lp);
        let mut back = 0;
        while let Some(q) = p {
            back += 1;
            p = prev(&lp, q);
        }
        assert_eq!(back, items.len());
        let q = first(&lp).unwrap();
        replace_int(&mut lp, q, 100_000);
        assert_eq!(get_int(&lp, q), 100_000);
        assert_eq!(validate(&lp), Some(items.len()));
    }

    #[test]
    fn validate_rejects_damage() {
        let mut lp = new(0);
        append_str(&mut lp, b"hello");
        append_int(&mut lp, 5);
        for cut in 0..lp.len() {
            assert!(validate(&lp[..cut]).is_none());
        }
        let mut bad = lp.clone();
        bad[6] = 0xF7;
        assert!(validate(&bad).is_none());
        let mut bad = lp.clone();
        bad[4] = 9;
        assert!(validate(&bad).is_none());
    }
}
