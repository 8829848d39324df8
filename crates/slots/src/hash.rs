//! CRC16 key hashing with hash tags (`keyHashSlot`).

use hashslot_types::Slot;

/// The hash slot of `key`: CRC16/XMODEM of the key, or of its hash tag, modulo 16384.
///
/// The hash tag is the bytes between the first `{` and the first `}` after it, when at least one
/// byte lies between them; otherwise the whole key is hashed.
pub fn key_slot(key: &[u8]) -> Slot {
    let hashed = match memchr_byte(b'{', key) {
        Some(open) => match memchr_byte(b'}', &key[open + 1..]) {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    Slot::from_masked(crc16::State::<crc16::XMODEM>::calculate(hashed))
}

fn memchr_byte(b: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&x| x == b)
}
