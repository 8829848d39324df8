//! Node flags, message flags and the cluster state byte, as raw bits with Redis's names.

use std::fmt;

/// Node flags (`CLUSTER_NODE_*`): the header's `flags` (the sender's own) and each gossip
/// entry's `flags` (the sender's view of that node). Unknown bits are kept as they came.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NodeFlags(pub u16);

impl NodeFlags {
    /// `CLUSTER_NODE_MASTER`.
    pub const MASTER: NodeFlags = NodeFlags(1);
    /// `CLUSTER_NODE_SLAVE`.
    pub const SLAVE: NodeFlags = NodeFlags(2);
    /// `CLUSTER_NODE_PFAIL`: failure suspected, not yet agreed.
    pub const PFAIL: NodeFlags = NodeFlags(4);
    /// `CLUSTER_NODE_FAIL`: failure agreed by a majority of masters.
    pub const FAIL: NodeFlags = NodeFlags(8);
    /// `CLUSTER_NODE_MYSELF`: set in the sender's own header flags.
    pub const MYSELF: NodeFlags = NodeFlags(16);
    /// `CLUSTER_NODE_HANDSHAKE`: first PING/PONG not yet exchanged.
    pub const HANDSHAKE: NodeFlags = NodeFlags(32);
    /// `CLUSTER_NODE_NOADDR`: address unknown.
    pub const NOADDR: NodeFlags = NodeFlags(64);
    /// `CLUSTER_NODE_MEET`: send a MEET rather than a PING on connect (not printed).
    pub const MEET: NodeFlags = NodeFlags(128);
    /// `CLUSTER_NODE_MIGRATE_TO`: master eligible for replica migration (not printed).
    pub const MIGRATE_TO: NodeFlags = NodeFlags(256);
    /// `CLUSTER_NODE_NOFAILOVER`: replica that will not try to fail over.
    pub const NOFAILOVER: NodeFlags = NodeFlags(512);
    /// Valkey's `CLUSTER_NODE_EXTENSIONS_SUPPORTED` (1 << 10); unused by Redis 7.0.
    pub const EXTENSIONS_SUPPORTED: NodeFlags = NodeFlags(1 << 10);
    /// Valkey's `CLUSTER_NODE_LIGHT_HDR_SUPPORTED` (1 << 11): the peer accepts "light" PUBLISH
    /// and MODULE headers. We never set it, so Valkey never sends us light messages.
    pub const LIGHT_HDR_SUPPORTED: NodeFlags = NodeFlags(1 << 11);

    /// The words of CLUSTER NODES and nodes.conf in Redis's print order
    /// (`representClusterNodeFlags()`); MEET and MIGRATE_TO are not printed.
    pub const WORDS: [(NodeFlags, &'static str); 8] = [
        (Self::MYSELF, "myself"),
        (Self::MASTER, "master"),
        (Self::SLAVE, "slave"),
        (Self::PFAIL, "fail?"),
        (Self::FAIL, "fail"),
        (Self::HANDSHAKE, "handshake"),
        (Self::NOADDR, "noaddr"),
        (Self::NOFAILOVER, "nofailover"),
    ];

    /// The empty set.
    pub const fn empty() -> Self {
        NodeFlags(0)
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: NodeFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub const fn intersects(self, other: NodeFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// The union of both sets.
    pub const fn union(self, other: NodeFlags) -> Self {
        NodeFlags(self.0 | other.0)
    }

    /// This set without the bits of `other`.
    pub const fn difference(self, other: NodeFlags) -> Self {
        NodeFlags(self.0 & !other.0)
    }

    /// The printed words of the set bits, in Redis's order.
    pub fn words(self) -> impl Iterator<Item = &'static str> {
        Self::WORDS
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, w)| w)
    }
}

impl std::ops::BitOr for NodeFlags {
    type Output = NodeFlags;
    fn bitor(self, rhs: NodeFlags) -> NodeFlags {
        self.union(rhs)
    }
}

impl fmt::Display for NodeFlags {
    /// The CLUSTER NODES flags field: printed words joined by commas, `noflags` if none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut any = false;
        for w in self.words() {
            if any {
                f.write_str(",")?;
            }
            f.write_str(w)?;
            any = true;
        }
        if !any {
            f.write_str("noflags")?;
        }
        Ok(())
    }
}

impl fmt::Debug for NodeFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeFlags({:#x}: {})", self.0, self)
    }
}

/// Message flags, `mflags[0]` of the header (`CLUSTERMSG_FLAG0_*`). Redis writes `mflags[1]` and
/// `mflags[2]` as zero and never reads them; so does this codec.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct MessageFlags(pub u8);

impl MessageFlags {
    /// `CLUSTERMSG_FLAG0_PAUSED`: the sender is a master paused for a manual failover.
    pub const PAUSED: MessageFlags = MessageFlags(1);
    /// `CLUSTERMSG_FLAG0_FORCEACK`: on FAILOVER_AUTH_REQUEST, vote although the master is up.
    pub const FORCEACK: MessageFlags = MessageFlags(2);
    /// `CLUSTERMSG_FLAG0_EXT_DATA`: ping extensions follow the gossip section. Framing, owned by
    /// the codec: set by the encoder exactly when a PING/PONG/MEET carries extensions (as Redis
    /// does), consumed by the decoder (see [`Header::mflags`](crate::Header::mflags)).
    pub const EXT_DATA: MessageFlags = MessageFlags(4);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: MessageFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of both sets.
    pub const fn union(self, other: MessageFlags) -> Self {
        MessageFlags(self.0 | other.0)
    }

    /// This set without the bits of `other`.
    pub const fn difference(self, other: MessageFlags) -> Self {
        MessageFlags(self.0 & !other.0)
    }
}

/// The sender's view of the cluster state (header `state`). Informational: Redis receivers
/// ignore it. Other values than the two below are kept as they came.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct ClusterState(pub u8);

impl ClusterState {
    /// `CLUSTER_OK`.
    pub const OK: ClusterState = ClusterState(0);
    /// `CLUSTER_FAIL`.
    pub const FAIL: ClusterState = ClusterState(1);

    /// Whether the state is `CLUSTER_OK`.
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_order_and_noflags() {
        let f = NodeFlags::MASTER | NodeFlags::MYSELF | NodeFlags::MEET | NodeFlags::PFAIL;
        assert_eq!(f.to_string(), "myself,master,fail?");
        assert_eq!(NodeFlags::MIGRATE_TO.to_string(), "noflags");
        assert_eq!(
            (NodeFlags::SLAVE | NodeFlags::NOFAILOVER).to_string(),
            "slave,nofailover"
        );
        assert!(f.contains(NodeFlags::MASTER) && !f.contains(NodeFlags::SLAVE));
    }
}
