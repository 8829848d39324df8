//! Typed identifiers, so that a node id, an epoch and an offset cannot be confused.

use std::fmt;

/// A cluster node id: 40 lowercase hexadecimal ASCII characters, as Redis's `CLUSTER_NAMELEN`.
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub struct NodeId([u8; 40]);

impl PartialEq for NodeId {
    /// Byte for byte, as five words compared inline. In a big cluster every received gossip
    /// entry compares its name with a node's, and the derived comparison of a 40-byte array
    /// calls `memcmp`, whose call and length dispatch cost more than this whole comparison.
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let word = |b: &[u8; 40], i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_ne_bytes(w)
        };
        (0..5).fold(0u64, |d, i| d | (word(&self.0, i) ^ word(&other.0, i))) == 0
    }
}

impl std::hash::Hash for NodeId {
    /// The bytes, as the derived hash of the array would (equal ids hash equally).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl NodeId {
    /// Length of a node id in bytes.
    pub const LEN: usize = 40;

    /// The id from its 40 bytes, or `None` unless every byte is `0-9a-f`.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 40] = bytes.try_into().ok()?;
        arr.iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            .then_some(NodeId(arr))
    }

    /// The id from its 40 bytes as found on the wire, without checking the alphabet
    /// (Redis compares ids byte for byte and does not validate them in packets).
    pub const fn from_raw(bytes: [u8; 40]) -> Self {
        NodeId(bytes)
    }

    /// A fresh random id, drawn from `rng` (Redis's `getRandomHexChars`).
    pub fn random(rng: &mut crate::Rng) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 40];
        for chunk in out.chunks_mut(16) {
            let mut bits = rng.next_u64();
            for b in chunk {
                *b = HEX[(bits & 0xf) as usize];
                bits >>= 4;
            }
        }
        NodeId(out)
    }

    /// The id's bytes.
    pub const fn as_bytes(&self) -> &[u8; 40] {
        &self.0
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Ids built by `from_bytes`/`random` are ASCII; raw wire ids may not be, so fall back.
        std::str::from_utf8(&self.0).unwrap_or("<non-utf8 node id>")
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", self.as_str())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A shard id (Redis 7.2's shard-id ping extension): 40 hex characters, shared by a master and
/// its replicas.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ShardId(pub NodeId);

/// A cluster epoch: `currentEpoch`, `configEpoch`, `lastVoteEpoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Epoch(pub u64);

/// A replication offset: bytes of the replication stream since the replication id began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ReplOffset(pub i64);

/// A client connection, named by the driver that accepted it. Never reused within one driver run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// A cluster-bus link, named by the driver. Never reused within one driver run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u64);
