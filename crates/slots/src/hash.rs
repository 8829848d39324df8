//! CRC16 key hashing with hash tags (`keyHashSlot`).
//!
//! Ref: cluster spec, "Key hashing": `slot = crc16(bytes) & 0x3FFF` where the CRC is
//! CRC-16/XMODEM (poly 0x1021, init 0, no reflection, no final xor) and `bytes` is the hash tag
//! when the key has one.
//!
//! Speed (`benches/slots.rs`): keys are short, so the brace search and the CRC cost about the
//! same. The tag search scans the first 16 bytes with a plain loop (tags sit near the start, and
//! `memchr`'s setup costs more than a short scan) and hands longer tails to `memchr` (SIMD). The
//! CRC is table driven: byte at a time for the last < 8 bytes, slice-by-8 (8 tables of 256
//! entries, 4 KiB) before that, about 5x faster than byte at a time on 100-byte keys.

use hashslot_types::Slot;

/// The first bytes of a key are searched for `{` / `}` with a plain loop, the rest with `memchr`.
const SHORT_SCAN: usize = 16;

/// The hash slot of `key`: CRC16/XMODEM of the key, or of its hash tag, modulo 16384.
///
/// The hash tag is the bytes between the first `{` and the first `}` after it, when at least one
/// byte lies between them; otherwise the whole key is hashed. So `{}x` hashes all of `{}x`,
/// `a{b}{c}` hashes `b`, and `{{x}}` hashes `{x`.
///
/// ```
/// use hashslot_slots::key_slot;
/// assert_eq!(key_slot(b"foo").get(), 12182);
/// assert_eq!(key_slot(b"a{b}{c}"), key_slot(b"b"));
/// assert_eq!(key_slot(b"{{x}}"), key_slot(b"{x"));
/// ```
#[inline]
pub fn key_slot(key: &[u8]) -> Slot {
    Slot::from_masked(crc16_xmodem(hash_tag(key)))
}

/// The bytes `key_slot` hashes: the hash tag if there is a non-empty one, else the whole key.
#[inline]
pub fn hash_tag(key: &[u8]) -> &[u8] {
    let Some(open) = find(b'{', key) else {
        return key;
    };
    let rest = &key[open + 1..];
    match find(b'}', rest) {
        Some(len) if len > 0 => &rest[..len],
        _ => key,
    }
}

#[inline]
fn find(needle: u8, hay: &[u8]) -> Option<usize> {
    // Tags are usually near the start and keys are usually short: a plain scan of the head
    // finds them without memchr's setup cost; memchr takes over for long tails.
    let head = hay.len().min(SHORT_SCAN);
    match hay[..head].iter().position(|&b| b == needle) {
        Some(i) => Some(i),
        None if hay.len() > head => memchr::memchr(needle, &hay[head..]).map(|i| i + head),
        None => None,
    }
}

/// CRC-16/XMODEM of `data` (check value for `123456789` is `0x31C3`).
#[inline]
pub fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        // The running CRC only overlaps the first two bytes of the block; the others are looked
        // up in the tables for "this byte followed by k zero bytes".
        let x0 = c[0] ^ (crc >> 8) as u8;
        let x1 = c[1] ^ crc as u8;
        crc = TABLES[7][x0 as usize]
            ^ TABLES[6][x1 as usize]
            ^ TABLES[5][c[2] as usize]
            ^ TABLES[4][c[3] as usize]
            ^ TABLES[3][c[4] as usize]
            ^ TABLES[2][c[5] as usize]
            ^ TABLES[1][c[6] as usize]
            ^ TABLES[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ TABLES[0][((crc >> 8) as u8 ^ b) as usize];
    }
    crc
}

/// `TABLES[k][b]`: the CRC of byte `b` followed by `k` zero bytes, starting from a zero CRC.
static TABLES: [[u16; 256]; 8] = make_tables();

const fn make_tables() -> [[u16; 256]; 8] {
    let mut t = [[0u16; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value() {
        assert_eq!(crc16_xmodem(b"123456789"), 0x31C3);
        assert_eq!(crc16_xmodem(b""), 0);
    }

    #[test]
    fn slice_by_8_matches_bytewise() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 31 + 7) as u8).collect();
        for len in 0..data.len() {
            let mut crc: u16 = 0;
            for &b in &data[..len] {
                crc = (crc << 8) ^ TABLES[0][((crc >> 8) as u8 ^ b) as usize];
            }
            assert_eq!(crc16_xmodem(&data[..len]), crc, "len {len}");
        }
    }

    #[test]
    fn tags() {
        assert_eq!(hash_tag(b"{}"), b"{}");
        assert_eq!(hash_tag(b"}{"), b"}{");
        assert_eq!(hash_tag(b"{a}"), b"a");
        assert_eq!(hash_tag(b"{{x}}"), b"{x");
        assert_eq!(hash_tag(b"x{}{y}"), b"x{}{y}");
        let long = b"0123456789abcdefghij{tag}0123456789";
        assert_eq!(hash_tag(long), b"tag");
    }
}
