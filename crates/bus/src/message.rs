//! The message types: a [`Header`] (what every message says about its sender) and a [`Payload`].

use hashslot_types::{Epoch, NodeId, ReplOffset, SlotSet};

use crate::consts::{MsgType, GOSSIP_ENTRY_LEN, HEADER_LEN, MODULE_MIN_LEN, PUBLISH_MIN_LEN};
use crate::ext::PingExt;
use crate::flags::{ClusterState, MessageFlags, NodeFlags};
use crate::ip::NetIp;

/// The header fields a sender fills in (`clusterBuildMessageHdr()`), with Redis's names.
///
/// The framing fields (`sig`, `totlen`, `ver`, `type`, `count`, `extensions`) are not here: the
/// encoder derives them from the [`Payload`], and the decoder checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Announced client port (the TLS port when `tls-cluster yes`).
    pub port: u16,
    /// The sender's `currentEpoch`.
    pub current_epoch: Epoch,
    /// The sender's `configEpoch` if it is a master, its master's if it is a replica.
    pub config_epoch: Epoch,
    /// A master's `master_repl_offset`, a replica's processed offset.
    pub offset: ReplOffset,
    /// The sender's node id (not checked to be hex: Redis compares ids byte for byte).
    pub sender: NodeId,
    /// The slots of the sender if it is a master, of its master if it is a replica.
    pub myslots: SlotSet,
    /// The sender's master; `None` is the all-zero field ("I am a master", or master unknown).
    pub slaveof: Option<NodeId>,
    /// `cluster-announce-ip`, or empty to let the receiver use the peer address.
    pub myip: NetIp,
    /// Plaintext client port when `tls-cluster yes`, else 0.
    pub pport: u16,
    /// Announced cluster bus port.
    pub cport: u16,
    /// The sender's own flags (`myself->flags`, MYSELF included).
    pub flags: NodeFlags,
    /// The sender's view of the cluster state (receivers ignore it).
    pub state: ClusterState,
    /// `mflags[0]`. [`MessageFlags::EXT_DATA`] is framing, like `totlen`: the encoder sets it
    /// when a PING/PONG/MEET carries extensions and the decoder consumes it, so it only shows
    /// here on a [`Payload::Unknown`], whose flags travel as they are.
    pub mflags: MessageFlags,
}

impl Header {
    /// A header from `sender` with every other field zero, as after Redis's `memset`.
    pub fn new(sender: NodeId) -> Self {
        Header {
            port: 0,
            current_epoch: Epoch(0),
            config_epoch: Epoch(0),
            offset: ReplOffset(0),
            sender,
            myslots: SlotSet::new(),
            slaveof: None,
            myip: NetIp::empty(),
            pport: 0,
            cport: 0,
            flags: NodeFlags::empty(),
            state: ClusterState::OK,
            mflags: MessageFlags::default(),
        }
    }
}

/// One gossip entry (`clusterMsgDataGossip`, 104 bytes): the sender's view of another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GossipEntry {
    /// The node described.
    pub nodename: NodeId,
    /// The sender's pending ping to that node, in **seconds** of Unix time (0 if none).
    pub ping_sent: u32,
    /// The sender's last PONG from that node, in seconds of Unix time.
    pub pong_received: u32,
    /// The node's ip as the sender knows it.
    pub ip: NetIp,
    /// Client port.
    pub port: u16,
    /// Cluster bus port.
    pub cport: u16,
    /// The sender's view of the node's flags.
    pub flags: NodeFlags,
    /// Plaintext client port (TLS clusters).
    pub pport: u16,
}

/// What follows the header, by message type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// PING (type 0).
    Ping {
        /// Gossip entries about other nodes (`count` of them).
        gossip: Vec<GossipEntry>,
        /// Ping extensions, in wire order.
        extensions: Vec<PingExt>,
    },
    /// PONG (type 1): the reply to PING and MEET, also broadcast after config changes.
    Pong {
        /// Gossip entries about other nodes.
        gossip: Vec<GossipEntry>,
        /// Ping extensions, in wire order.
        extensions: Vec<PingExt>,
    },
    /// MEET (type 2): a PING that makes the receiver add the sender.
    Meet {
        /// Gossip entries about other nodes.
        gossip: Vec<GossipEntry>,
        /// Ping extensions, in wire order.
        extensions: Vec<PingExt>,
    },
    /// FAIL (type 3): `nodename` is failing.
    Fail {
        /// The failing node.
        nodename: NodeId,
    },
    /// PUBLISH (type 4): a Pub/Sub message for every node.
    Publish {
        /// The channel.
        channel: Vec<u8>,
        /// The message.
        message: Vec<u8>,
    },
    /// FAILOVER_AUTH_REQUEST (type 5): a replica asks for a vote; the meaning is in the header.
    FailoverAuthRequest,
    /// FAILOVER_AUTH_ACK (type 6): a master grants its vote.
    FailoverAuthAck,
    /// UPDATE (type 7): `nodename` owns `slots` at `config_epoch`.
    Update {
        /// The owner's config epoch.
        config_epoch: Epoch,
        /// The slots' owner.
        nodename: NodeId,
        /// Its slots (boxed: 2 KiB).
        slots: Box<SlotSet>,
    },
    /// MFSTART (type 8): a replica asks its master to pause for a manual failover.
    MfStart,
    /// MODULE (type 9): a message between modules.
    Module {
        /// The module id as its 8 raw bytes: Redis copies a host-order `uint64_t` without byte
        /// swapping ("already endian adjusted"), so little-endian hosts put it little-endian.
        module_id: [u8; 8],
        /// The module's message type.
        module_type: u8,
        /// The message.
        payload: Vec<u8>,
    },
    /// PUBLISHSHARD (type 10): a sharded Pub/Sub message for the nodes of one shard.
    PublishShard {
        /// The channel.
        channel: Vec<u8>,
        /// The message.
        message: Vec<u8>,
    },
    /// A type Redis 7.0 does not know (11 and above). Redis accepts it with any length, applies
    /// the header (epochs, offset) of a known sender, and logs "Received unknown packet type".
    Unknown {
        /// The type.
        msg_type: MsgType,
        /// The bytes after the header.
        data: Vec<u8>,
    },
}

impl Payload {
    /// The message type of this payload.
    pub fn msg_type(&self) -> MsgType {
        match self {
            Payload::Ping { .. } => MsgType::PING,
            Payload::Pong { .. } => MsgType::PONG,
            Payload::Meet { .. } => MsgType::MEET,
            Payload::Fail { .. } => MsgType::FAIL,
            Payload::Publish { .. } => MsgType::PUBLISH,
            Payload::FailoverAuthRequest => MsgType::FAILOVER_AUTH_REQUEST,
            Payload::FailoverAuthAck => MsgType::FAILOVER_AUTH_ACK,
            Payload::Update { .. } => MsgType::UPDATE,
            Payload::MfStart => MsgType::MFSTART,
            Payload::Module { .. } => MsgType::MODULE,
            Payload::PublishShard { .. } => MsgType::PUBLISHSHARD,
            Payload::Unknown { msg_type, .. } => *msg_type,
        }
    }

    /// The gossip entries and extensions of a PING, PONG or MEET.
    pub fn ping_body(&self) -> Option<(&[GossipEntry], &[PingExt])> {
        match self {
            Payload::Ping { gossip, extensions }
            | Payload::Pong { gossip, extensions }
            | Payload::Meet { gossip, extensions } => Some((gossip, extensions)),
            _ => None,
        }
    }

    /// A PING-like payload of type `msg_type` (0, 1 or 2), or `None` for another type.
    pub fn ping_like(
        msg_type: MsgType,
        gossip: Vec<GossipEntry>,
        extensions: Vec<PingExt>,
    ) -> Option<Payload> {
        match msg_type {
            MsgType::PING => Some(Payload::Ping { gossip, extensions }),
            MsgType::PONG => Some(Payload::Pong { gossip, extensions }),
            MsgType::MEET => Some(Payload::Meet { gossip, extensions }),
            _ => None,
        }
    }

    /// The encoded length of the whole message (`totlen`), header included; computed in `u64`
    /// so that no size can overflow.
    pub fn encoded_len(&self) -> u64 {
        let h = HEADER_LEN as u64;
        match self {
            Payload::Ping { gossip, extensions }
            | Payload::Pong { gossip, extensions }
            | Payload::Meet { gossip, extensions } => {
                let ext: u64 = extensions.iter().map(|e| e.encoded_len() as u64).sum();
                h + GOSSIP_ENTRY_LEN as u64 * gossip.len() as u64 + ext
            }
            Payload::Fail { .. } => crate::FAIL_LEN as u64,
            Payload::Publish { channel, message } | Payload::PublishShard { channel, message } => {
                PUBLISH_MIN_LEN as u64 + channel.len() as u64 + message.len() as u64
            }
            Payload::FailoverAuthRequest | Payload::FailoverAuthAck | Payload::MfStart => h,
            Payload::Update { .. } => crate::UPDATE_LEN as u64,
            Payload::Module { payload, .. } => MODULE_MIN_LEN as u64 + payload.len() as u64,
            Payload::Unknown { data, .. } => h + data.len() as u64,
        }
    }
}

/// One cluster bus message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What the sender says about itself.
    pub header: Header,
    /// The type-specific part.
    pub payload: Payload,
}

impl Message {
    /// The message type.
    pub fn msg_type(&self) -> MsgType {
        self.payload.msg_type()
    }

    /// The encoded length (`totlen`).
    pub fn encoded_len(&self) -> u64 {
        self.payload.encoded_len()
    }
}
