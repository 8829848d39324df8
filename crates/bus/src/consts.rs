//! Sizes, offsets and message types of the cluster bus, with their Redis names.
//!
//! Ref: `cluster.h` at Redis 7.0.15 (`clusterMsg` and its `static_assert`s on field offsets).

use std::fmt;

/// The 4 signature bytes every message starts with ("Redis Cluster message bus").
pub const SIGNATURE: [u8; 4] = *b"RCmb";

/// The only cluster bus protocol version (`CLUSTER_PROTO_VER`).
pub const PROTO_VER: u16 = 1;

/// Bytes a reader needs before it can judge a message: signature and `totlen`.
pub const PREFIX_LEN: usize = 8;

/// Length of the header before the payload (`CLUSTERMSG_MIN_LEN`); no message is shorter.
pub const HEADER_LEN: usize = 2256;

/// Length of one gossip entry (`sizeof(clusterMsgDataGossip)`).
pub const GOSSIP_ENTRY_LEN: usize = 104;

/// Length of the header of one ping extension (`sizeof(clusterMsgPingExt)`).
pub const PING_EXT_HEADER_LEN: usize = 8;

/// Width of an ip field on the wire, NUL included (`NET_IP_STR_LEN`).
pub const NET_IP_STR_LEN: usize = 46;

/// Total length of a FAIL message: header and one node id.
pub const FAIL_LEN: usize = HEADER_LEN + 40;

/// Total length of an UPDATE message: header, config epoch, node id, slot bitmap
/// (`sizeof(clusterMsg)`, 4352).
pub const UPDATE_LEN: usize = HEADER_LEN + 8 + 40 + 2048;

/// Length of a PUBLISH or PUBLISHSHARD message with an empty channel and message.
pub const PUBLISH_MIN_LEN: usize = HEADER_LEN + 8;

/// Length of a MODULE message with an empty payload.
pub const MODULE_MIN_LEN: usize = HEADER_LEN + 13;

/// Default bound on `totlen`: a PUBLISH whose channel and message fill 512 MiB (Redis's default
/// `proto-max-bulk-len` for one argument). Redis itself has no bound; ours keeps a peer from
/// making the driver buffer without limit. A link that announces more is closed.
pub const DEFAULT_MAX_TOTLEN: u32 = (512 << 20) + PUBLISH_MIN_LEN as u32;

/// Default bound on the ping extension bytes of one PING/PONG/MEET. Redis 7.2 sends one 48..=264
/// byte extension per kind plus 56 bytes per forgotten node, so 1 MiB is far above anything real.
pub const DEFAULT_MAX_PING_EXT_BYTES: u32 = 1 << 20;

/// Byte offsets of the header fields (the `static_assert`s of `cluster.h`).
pub(crate) mod off {
    pub const TOTLEN: usize = 4;
    pub const VER: usize = 8;
    pub const PORT: usize = 10;
    pub const TYPE: usize = 12;
    pub const COUNT: usize = 14;
    pub const CURRENT_EPOCH: usize = 16;
    pub const CONFIG_EPOCH: usize = 24;
    pub const OFFSET: usize = 32;
    pub const SENDER: usize = 40;
    pub const MYSLOTS: usize = 80;
    pub const SLAVEOF: usize = 2128;
    pub const MYIP: usize = 2168;
    pub const EXTENSIONS: usize = 2214;
    pub const PPORT: usize = 2246;
    pub const CPORT: usize = 2248;
    pub const FLAGS: usize = 2250;
    pub const STATE: usize = 2252;
    pub const MFLAGS: usize = 2253;
}

/// A message type (`CLUSTERMSG_TYPE_*`), the `type` field of the header. Values outside the
/// known range are kept: Redis accepts them and only logs "Received unknown packet type".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgType(pub u16);

impl MsgType {
    /// `CLUSTERMSG_TYPE_PING`.
    pub const PING: MsgType = MsgType(0);
    /// `CLUSTERMSG_TYPE_PONG`: the reply to PING and MEET, same layout.
    pub const PONG: MsgType = MsgType(1);
    /// `CLUSTERMSG_TYPE_MEET`: a PING that makes the receiver add the sender.
    pub const MEET: MsgType = MsgType(2);
    /// `CLUSTERMSG_TYPE_FAIL`.
    pub const FAIL: MsgType = MsgType(3);
    /// `CLUSTERMSG_TYPE_PUBLISH`.
    pub const PUBLISH: MsgType = MsgType(4);
    /// `CLUSTERMSG_TYPE_FAILOVER_AUTH_REQUEST`.
    pub const FAILOVER_AUTH_REQUEST: MsgType = MsgType(5);
    /// `CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK`.
    pub const FAILOVER_AUTH_ACK: MsgType = MsgType(6);
    /// `CLUSTERMSG_TYPE_UPDATE`.
    pub const UPDATE: MsgType = MsgType(7);
    /// `CLUSTERMSG_TYPE_MFSTART`.
    pub const MFSTART: MsgType = MsgType(8);
    /// `CLUSTERMSG_TYPE_MODULE`.
    pub const MODULE: MsgType = MsgType(9);
    /// `CLUSTERMSG_TYPE_PUBLISHSHARD`.
    pub const PUBLISHSHARD: MsgType = MsgType(10);
    /// `CLUSTERMSG_TYPE_COUNT`: the number of known types, the size of Redis's per-type counters.
    pub const COUNT: usize = 11;

    /// Whether the type is PING, PONG or MEET (gossip section and ping extensions).
    pub const fn is_ping_like(self) -> bool {
        self.0 <= 2
    }

    /// The name Redis uses in `CLUSTER INFO` counters and logs (`clusterGetMessageTypeString()`),
    /// `"unknown"` for other values.
    pub const fn name(self) -> &'static str {
        match self.0 {
            0 => "ping",
            1 => "pong",
            2 => "meet",
            3 => "fail",
            4 => "publish",
            5 => "auth-req",
            6 => "auth-ack",
            7 => "update",
            8 => "mfstart",
            9 => "module",
            10 => "publishshard",
            _ => "unknown",
        }
    }

    /// The index of this type in per-type counters, `None` for unknown types (Redis counts
    /// received messages only for types below [`MsgType::COUNT`]).
    pub const fn stats_index(self) -> Option<usize> {
        if (self.0 as usize) < Self::COUNT {
            Some(self.0 as usize)
        } else {
            None
        }
    }
}

impl fmt::Debug for MsgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsgType({}={})", self.0, self.name())
    }
}

impl fmt::Display for MsgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Limits the decoder enforces beyond Redis's own checks. Both bounds close the link when
/// exceeded, because they are judged before the whole message is buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted `totlen` (checked on the 8-byte prefix).
    pub max_totlen: u32,
    /// Largest extension section of a PING/PONG/MEET: such a message may not announce a
    /// `totlen` above `2256 + 104·count + max_ping_ext_bytes` (checked once 16 bytes are in).
    pub max_ping_ext_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_totlen: DEFAULT_MAX_TOTLEN,
            max_ping_ext_bytes: DEFAULT_MAX_PING_EXT_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_cluster_h() {
        assert_eq!(UPDATE_LEN, 4352);
        assert_eq!(FAIL_LEN, 2296);
        assert_eq!(PUBLISH_MIN_LEN, 2264);
        assert_eq!(MODULE_MIN_LEN, 2269);
        assert_eq!(off::MFLAGS + 3, HEADER_LEN);
        assert_eq!(off::MYIP + NET_IP_STR_LEN, off::EXTENSIONS);
    }

    #[test]
    fn names() {
        assert_eq!(MsgType::FAILOVER_AUTH_REQUEST.name(), "auth-req");
        assert_eq!(MsgType(11).name(), "unknown");
        assert_eq!(MsgType(11).stats_index(), None);
        assert!(MsgType::MEET.is_ping_like() && !MsgType::FAIL.is_ping_like());
    }
}
