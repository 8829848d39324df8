//! Replication ids: 40 hexadecimal characters naming one history of the replication stream.

use std::fmt;

use hashslot_types::Rng;

/// A replication id (`server.replid`, `server.replid2`, a replica's cached `master_replid`).
///
/// Redis makes them with `getRandomHexChars` (lowercase hex); a peer may send any 40 bytes, and
/// Redis compares them byte for byte, so [`ReplId::from_wire`] does not check the alphabet.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplId([u8; 40]);

impl ReplId {
    /// Length of an id in bytes (`CONFIG_RUN_ID_SIZE`).
    pub const LEN: usize = 40;

    /// The all-zero id Redis shows as `master_replid2` when there is no previous history
    /// (`clearReplicationId2`).
    pub const ZERO: ReplId = ReplId([b'0'; 40]);

    /// A fresh random id (Redis's `changeReplicationId`).
    pub fn random(rng: &mut Rng) -> Self {
        ReplId(random_hex(rng))
    }

    /// The id as sent by a peer: exactly 40 bytes, any value.
    pub fn from_wire(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(ReplId)
    }

    /// The id's bytes.
    pub const fn as_bytes(&self) -> &[u8; 40] {
        &self.0
    }

    /// The id as text (lossy only for a peer's non-UTF-8 id).
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

/// 40 random lowercase hex characters (ids and the diskless `$EOF:` mark).
pub(crate) fn random_hex(rng: &mut Rng) -> [u8; 40] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 40];
    for chunk in out.chunks_mut(16) {
        let mut bits = rng.next_u64();
        for b in chunk {
            *b = HEX[(bits & 0xf) as usize];
            bits >>= 4;
        }
    }
    out
}

impl fmt::Debug for ReplId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplId({})", self.as_str())
    }
}

impl fmt::Display for ReplId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_hex_and_seeded() {
        let a = ReplId::random(&mut Rng::from_seed(1));
        let b = ReplId::random(&mut Rng::from_seed(1));
        assert_eq!(a, b);
        assert!(a.as_bytes().iter().all(u8::is_ascii_hexdigit));
        assert_ne!(a, ReplId::ZERO);
        assert_eq!(ReplId::from_wire(a.as_bytes()), Some(a));
        assert_eq!(ReplId::from_wire(b"short"), None);
    }
}
