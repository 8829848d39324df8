//! Ping extensions: the typed records after the gossip section of PING, PONG and MEET.
//!
//! Layout (`clusterMsgPingExt`): `length` u32 BE (the whole extension, header included, a
//! multiple of 8), `type` u16 BE, 2 unused bytes, then the body zero-padded to 8 bytes.
//! Ref: `cluster.c:getHostnamePingExtSize()` (7.0.15), `getAlignedPingExtSize()` (7.2.5).

use hashslot_types::{NodeId, ShardId};

use crate::consts::PING_EXT_HEADER_LEN;
use crate::wire::{array_at, eight_byte_align, u16_at, u32_at, u64_at};

/// Largest extension length Redis can read: it holds the length in a `uint16_t` (65535, rounded
/// down to a multiple of 8).
pub const MAX_PING_EXT_LEN: usize = 65528;

/// One ping extension.
///
/// Known types are decoded into typed variants; any other type, and a known type whose body is
/// too short for its layout, is kept as [`PingExt::Unknown`] and re-encoded byte for byte, the way
/// Redis 7.0 skips extension types it does not know ("Received unknown extension type %d").
///
/// String bodies (hostname, human nodename, client ips) are a NUL-terminated string then zero
/// padding: the encoder writes `8 + EIGHT_BYTE_ALIGN(len + 1)` bytes; the decoder keeps the bytes
/// before the first NUL, as Redis reads a C string (longer padding is not preserved). A string
/// body without any NUL, which Redis would read past, is kept as [`PingExt::Unknown`]. The
/// strings must not contain NUL. So re-encoding a decoded extension never makes it longer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PingExt {
    /// Type 0, `CLUSTERMSG_EXT_TYPE_HOSTNAME` (7.0): the sender's `cluster-announce-hostname`.
    /// Redis clears a known sender's hostname when a PING/PONG/MEET comes without it.
    Hostname(Vec<u8>),
    /// Type 1, `CLUSTERMSG_EXT_TYPE_HUMAN_NODENAME` (7.2, Valkey): `cluster-announce-human-nodename`.
    HumanNodename(Vec<u8>),
    /// Type 2, `CLUSTERMSG_EXT_TYPE_FORGOTTEN_NODE` (7.2, Valkey): a node the sender was told to
    /// CLUSTER FORGET, and for how many more seconds it stays banned.
    ForgottenNode {
        /// The forgotten node.
        name: NodeId,
        /// Remaining ban time in seconds.
        ttl: u64,
    },
    /// Type 3, `CLUSTERMSG_EXT_TYPE_SHARDID` (7.2, Valkey): the sender's shard id. Redis 7.2 sends
    /// it in every PING/PONG/MEET.
    ShardId(ShardId),
    /// Type 4, `CLUSTERMSG_EXT_TYPE_CLIENT_IPV4` (Valkey 8): `cluster-announce-client-ipv4`.
    ClientIpv4(Vec<u8>),
    /// Type 5, `CLUSTERMSG_EXT_TYPE_CLIENT_IPV6` (Valkey 8): `cluster-announce-client-ipv6`.
    ClientIpv6(Vec<u8>),
    /// Any other extension, or a known type whose body does not fit its layout (too short, or a
    /// string without NUL).
    Unknown {
        /// The extension type.
        ext_type: u16,
        /// The body after the 8-byte header, padding included. The encoder pads it with zeros
        /// to a multiple of 8 if it is not one already.
        bytes: Vec<u8>,
    },
}

impl PingExt {
    /// `CLUSTERMSG_EXT_TYPE_HOSTNAME`.
    pub const TYPE_HOSTNAME: u16 = 0;
    /// `CLUSTERMSG_EXT_TYPE_HUMAN_NODENAME`.
    pub const TYPE_HUMAN_NODENAME: u16 = 1;
    /// `CLUSTERMSG_EXT_TYPE_FORGOTTEN_NODE`.
    pub const TYPE_FORGOTTEN_NODE: u16 = 2;
    /// `CLUSTERMSG_EXT_TYPE_SHARDID`.
    pub const TYPE_SHARDID: u16 = 3;
    /// `CLUSTERMSG_EXT_TYPE_CLIENT_IPV4`.
    pub const TYPE_CLIENT_IPV4: u16 = 4;
    /// `CLUSTERMSG_EXT_TYPE_CLIENT_IPV6`.
    pub const TYPE_CLIENT_IPV6: u16 = 5;

    /// The extension's type on the wire.
    pub fn ext_type(&self) -> u16 {
        match self {
            PingExt::Hostname(_) => Self::TYPE_HOSTNAME,
            PingExt::HumanNodename(_) => Self::TYPE_HUMAN_NODENAME,
            PingExt::ForgottenNode { .. } => Self::TYPE_FORGOTTEN_NODE,
            PingExt::ShardId(_) => Self::TYPE_SHARDID,
            PingExt::ClientIpv4(_) => Self::TYPE_CLIENT_IPV4,
            PingExt::ClientIpv6(_) => Self::TYPE_CLIENT_IPV6,
            PingExt::Unknown { ext_type, .. } => *ext_type,
        }
    }

    /// The encoded length, header and padding included: the value of the `length` field.
    pub fn encoded_len(&self) -> usize {
        PING_EXT_HEADER_LEN
            + match self {
                PingExt::Hostname(s)
                | PingExt::HumanNodename(s)
                | PingExt::ClientIpv4(s)
                | PingExt::ClientIpv6(s) => eight_byte_align(s.len() + 1),
                PingExt::ForgottenNode { .. } => 48,
                PingExt::ShardId(_) => eight_byte_align(NodeId::LEN),
                PingExt::Unknown { bytes, .. } => eight_byte_align(bytes.len()),
            }
    }

    /// Appends the extension to `out` (exactly [`PingExt::encoded_len`] bytes).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let len = self.encoded_len();
        let start = out.len();
        // The caller checked that `len <= MAX_PING_EXT_LEN`, so it fits a u32.
        out.extend_from_slice(&(len as u32).to_be_bytes());
        out.extend_from_slice(&self.ext_type().to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        match self {
            PingExt::Hostname(s)
            | PingExt::HumanNodename(s)
            | PingExt::ClientIpv4(s)
            | PingExt::ClientIpv6(s) => out.extend_from_slice(s),
            PingExt::ForgottenNode { name, ttl } => {
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(&ttl.to_be_bytes());
            }
            PingExt::ShardId(id) => out.extend_from_slice(id.0.as_bytes()),
            PingExt::Unknown { bytes, .. } => out.extend_from_slice(bytes),
        }
        out.resize(start + len, 0);
    }

    /// Decodes one extension from `ext`, which holds exactly `length` bytes (already checked to
    /// be at least the 8-byte header).
    pub(crate) fn decode(ext: &[u8]) -> PingExt {
        let ext_type = u16_at(ext, 4);
        let body = ext.get(PING_EXT_HEADER_LEN..).unwrap_or(&[]);
        let nul = body.iter().position(|&b| b == 0);
        let c_string = || body[..nul.unwrap_or(0)].to_vec();
        match ext_type {
            Self::TYPE_HOSTNAME if nul.is_some() => PingExt::Hostname(c_string()),
            Self::TYPE_HUMAN_NODENAME if nul.is_some() => PingExt::HumanNodename(c_string()),
            Self::TYPE_CLIENT_IPV4 if nul.is_some() => PingExt::ClientIpv4(c_string()),
            Self::TYPE_CLIENT_IPV6 if nul.is_some() => PingExt::ClientIpv6(c_string()),
            // Redis reads the fixed fields and ignores any bytes after them.
            Self::TYPE_FORGOTTEN_NODE if body.len() >= 48 => PingExt::ForgottenNode {
                name: NodeId::from_raw(array_at(body, 0)),
                ttl: u64_at(body, 40),
            },
            Self::TYPE_SHARDID if body.len() >= NodeId::LEN => {
                PingExt::ShardId(ShardId(NodeId::from_raw(array_at(body, 0))))
            }
            _ => PingExt::Unknown {
                ext_type,
                bytes: body.to_vec(),
            },
        }
    }
}

/// The `length` field of the extension starting at `ext` (at least 4 bytes).
pub(crate) fn ext_len_at(ext: &[u8]) -> u32 {
    u32_at(ext, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(ext: &PingExt) -> Vec<u8> {
        let mut out = Vec::new();
        ext.encode(&mut out);
        out
    }

    #[test]
    fn hostname_padding_as_redis() {
        // 14 characters + NUL = 15, aligned to 16, plus the 8-byte header.
        let b = bytes(&PingExt::Hostname(b"h1.example.com".to_vec()));
        assert_eq!(b.len(), 24);
        assert_eq!(&b[..8], &[0, 0, 0, 24, 0, 0, 0, 0]);
        assert_eq!(&b[8..22], b"h1.example.com");
        assert_eq!(&b[22..], &[0, 0]);
        // 7 characters + NUL fit 8 exactly; 8 characters need 16.
        assert_eq!(PingExt::Hostname(b"1234567".to_vec()).encoded_len(), 16);
        assert_eq!(PingExt::Hostname(b"12345678".to_vec()).encoded_len(), 24);
        assert_eq!(PingExt::Hostname(Vec::new()).encoded_len(), 16);
    }

    #[test]
    fn fixed_layouts_and_short_bodies() {
        let id = NodeId::from_raw([b'a'; 40]);
        let shard = PingExt::ShardId(ShardId(id));
        assert_eq!(bytes(&shard).len(), 48);
        assert_eq!(PingExt::decode(&bytes(&shard)), shard);
        let forgotten = PingExt::ForgottenNode { name: id, ttl: 59 };
        assert_eq!(bytes(&forgotten).len(), 56);
        assert_eq!(PingExt::decode(&bytes(&forgotten)), forgotten);
        // A shard id extension with a 16-byte body cannot be read as one: kept as is.
        let short = [
            0, 0, 0, 24, 0, 3, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        ];
        assert_eq!(
            PingExt::decode(&short),
            PingExt::Unknown {
                ext_type: 3,
                bytes: short[8..].to_vec()
            }
        );
        assert_eq!(bytes(&PingExt::decode(&short)), short);
    }

    #[test]
    fn unknown_is_padded() {
        let ext = PingExt::Unknown {
            ext_type: 77,
            bytes: vec![1, 2, 3],
        };
        assert_eq!(
            bytes(&ext),
            [0, 0, 0, 16, 0, 77, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0]
        );
    }
}
