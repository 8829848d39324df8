//! The packed entry: one allocation holding a key, its metadata and (for strings) its value.
//!
//! Why packed: a Redis key costs a dictEntry, an sds key, a robj and often an sds value (~104
//! bytes/key for short strings on 7.0). Here a short string key is one `Box<[u8]>` whose bytes
//! are the whole record, so the only other cost is its 16-byte slot in the table (plus one
//! control byte). Keys without a TTL carry no expiry field at all.
//!
//! Layout:
//! ```text
//! [tag u8][lru u32 LE][expire i64 LE, only if tag has HAS_EXPIRE][key len, LEB128][key][payload]
//! ```
//! Payload by kind: embstr/raw: the bytes; int: the i64 in the fewest little-endian bytes that
//! sign-extend back to it (1 byte for -128..=127); object: a u32 LE index into the db's objects.

/// The entry holds a string with encoding `embstr`.
pub(crate) const KIND_EMBSTR: u8 = 0;
/// The entry holds a string with encoding `raw`.
pub(crate) const KIND_RAW: u8 = 1;
/// The entry holds an integer-encoded string.
pub(crate) const KIND_INT: u8 = 2;
/// The payload is an index into the db's object store.
pub(crate) const KIND_OBJ: u8 = 3;
const KIND_MASK: u8 = 3;
const HAS_EXPIRE: u8 = 4;

/// Offsets parsed from an entry's header.
struct Header {
    key_start: usize,
    key_end: usize,
}

fn header(e: &[u8]) -> Header {
    let mut i = 5 + if e[0] & HAS_EXPIRE != 0 { 8 } else { 0 };
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let b = e[i];
        i += 1;
        len |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    Header {
        key_start: i,
        key_end: i + len,
    }
}

/// The entry's key.
pub(crate) fn key(e: &[u8]) -> &[u8] {
    let h = header(e);
    &e[h.key_start..h.key_end]
}

/// The entry's payload (see the module docs).
pub(crate) fn payload(e: &[u8]) -> &[u8] {
    &e[header(e).key_end..]
}

/// The entry's kind (`KIND_*`).
pub(crate) fn kind(e: &[u8]) -> u8 {
    e[0] & KIND_MASK
}

/// The absolute expiry time in unix ms, if the key has a TTL.
pub(crate) fn expire(e: &[u8]) -> Option<i64> {
    (e[0] & HAS_EXPIRE != 0).then(|| i64::from_le_bytes(e[5..13].try_into().expect("8 bytes")))
}

/// The last access time, in wall-clock seconds (truncated to u32, as Redis's 24-bit LRU clock).
pub(crate) fn lru(e: &[u8]) -> u32 {
    u32::from_le_bytes(e[1..5].try_into().expect("4 bytes"))
}

/// Record an access.
pub(crate) fn set_lru(e: &mut [u8], secs: u32) {
    e[1..5].copy_from_slice(&secs.to_le_bytes());
}

/// Overwrite the expiry of an entry that already has one (no reallocation).
pub(crate) fn overwrite_expire(e: &mut [u8], when: i64) {
    debug_assert!(e[0] & HAS_EXPIRE != 0);
    e[5..13].copy_from_slice(&when.to_le_bytes());
}

/// A new entry.
pub(crate) fn build(kind: u8, lru: u32, exp: Option<i64>, key: &[u8], payload: &[u8]) -> Box<[u8]> {
    let mut klen = [0u8; 10];
    let mut n = key.len();
    let mut kl = 0;
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        klen[kl] = if n == 0 { b } else { b | 0x80 };
        kl += 1;
        if n == 0 {
            break;
        }
    }
    let total = 5 + if exp.is_some() { 8 } else { 0 } + kl + key.len() + payload.len();
    let mut v = Vec::with_capacity(total);
    v.push(kind | if exp.is_some() { HAS_EXPIRE } else { 0 });
    v.extend_from_slice(&lru.to_le_bytes());
    if let Some(w) = exp {
        v.extend_from_slice(&w.to_le_bytes());
    }
    v.extend_from_slice(&klen[..kl]);
    v.extend_from_slice(key);
    v.extend_from_slice(payload);
    debug_assert_eq!(v.len(), total);
    v.into_boxed_slice()
}

/// The same entry with a different expiry (a new allocation when the field appears/disappears).
pub(crate) fn with_expire(e: Box<[u8]>, exp: Option<i64>) -> Box<[u8]> {
    match (expire(&e), exp) {
        (Some(_), Some(w)) => {
            let mut e = e;
            overwrite_expire(&mut e, w);
            e
        }
        (None, None) => e,
        _ => build(kind(&e), lru(&e), exp, key(&e), payload(&e)),
    }
}

/// The same metadata and payload under another key (RENAME).
pub(crate) fn with_key(e: &[u8], new_key: &[u8]) -> Box<[u8]> {
    build(kind(e), lru(e), expire(e), new_key, payload(e))
}

/// An int payload: the fewest little-endian bytes that sign-extend back to `n`.
pub(crate) fn int_payload(n: i64) -> ([u8; 8], usize) {
    let bytes = n.to_le_bytes();
    let mut len = 8;
    while len > 1 {
        let top = bytes[len - 1];
        let next_sign = bytes[len - 2] & 0x80;
        if (top == 0 && next_sign == 0) || (top == 0xff && next_sign != 0) {
            len -= 1;
        } else {
            break;
        }
    }
    (bytes, len)
}

/// Decode an int payload.
pub(crate) fn int_from_payload(p: &[u8]) -> i64 {
    let fill = if p.last().is_some_and(|b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut bytes = [fill; 8];
    bytes[..p.len()].copy_from_slice(p);
    i64::from_le_bytes(bytes)
}

/// Decode an object payload.
pub(crate) fn obj_index(p: &[u8]) -> u32 {
    u32::from_le_bytes(p.try_into().expect("object payload is 4 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_round_trips() {
        let e = build(KIND_EMBSTR, 7, None, b"key:1", b"value");
        assert_eq!(
            (key(&e), payload(&e), expire(&e), lru(&e)),
            (&b"key:1"[..], &b"value"[..], None, 7)
        );
        let e = with_expire(e, Some(-5));
        assert_eq!(
            (key(&e), payload(&e), expire(&e)),
            (&b"key:1"[..], &b"value"[..], Some(-5))
        );
        let long = vec![b'k'; 300];
        let e = build(KIND_RAW, 0, Some(1), &long, b"");
        assert_eq!(key(&e), &long[..]);
        assert_eq!(payload(&e), b"");
    }

    #[test]
    fn int_payloads_are_minimal_and_exact() {
        for n in [
            0,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            65535,
            i64::MAX,
            i64::MIN,
            1 << 40,
        ] {
            let (b, len) = int_payload(n);
            assert_eq!(int_from_payload(&b[..len]), n, "{n}");
        }
        assert_eq!(int_payload(100).1, 1);
        assert_eq!(int_payload(200).1, 2);
    }
}
