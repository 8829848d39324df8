//! Proptest strategies for bus messages, shared by the property tests.
#![allow(dead_code)]

use hashslot_bus::{
    ClusterState, GossipEntry, Header, Message, MessageFlags, MsgType, NetIp, NodeFlags, Payload,
    PingExt,
};
use hashslot_types::{Epoch, NodeId, ReplOffset, ShardId, SlotSet};
use proptest::collection::vec;
use proptest::prelude::*;

/// A node id of 40 lowercase hex characters.
pub fn node_id() -> impl Strategy<Value = NodeId> {
    vec(0..16u8, 40).prop_map(|nibbles| {
        let hex: Vec<u8> = nibbles
            .iter()
            .map(|&n| b"0123456789abcdef"[n as usize])
            .collect();
        NodeId::from_bytes(&hex).expect("hex")
    })
}

/// Ip text: 0..=45 bytes without NUL.
pub fn net_ip() -> impl Strategy<Value = NetIp> {
    vec(1..=255u8, 0..=45).prop_map(|b| NetIp::new(&b).expect("valid ip text"))
}

fn slot_set() -> impl Strategy<Value = SlotSet> {
    prop_oneof![
        Just(SlotSet::new()),
        vec(any::<u8>(), 2048).prop_map(|b| SlotSet::from_bitmap(b.try_into().expect("2048"))),
    ]
}

/// A header whose `mflags` never has EXT_DATA (framing, owned by the codec).
pub fn header() -> impl Strategy<Value = Header> {
    (
        (
            any::<u16>(),
            any::<u64>(),
            any::<u64>(),
            any::<i64>(),
            node_id(),
            slot_set(),
        ),
        (
            proptest::option::of(node_id()),
            net_ip(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
        ),
        (any::<u8>(), any::<u8>()),
    )
        .prop_map(
            |((port, ce, cfe, off, sender, myslots), (slaveof, myip, pp, cp, fl), (st, mf))| {
                Header {
                    port,
                    current_epoch: Epoch(ce),
                    config_epoch: Epoch(cfe),
                    offset: ReplOffset(off),
                    sender,
                    myslots,
                    slaveof,
                    myip,
                    pport: pp,
                    cport: cp,
                    flags: NodeFlags(fl),
                    state: ClusterState(st),
                    mflags: MessageFlags(mf).difference(MessageFlags::EXT_DATA),
                }
            },
        )
}

pub fn gossip_entry() -> impl Strategy<Value = GossipEntry> {
    (
        node_id(),
        any::<u32>(),
        any::<u32>(),
        net_ip(),
        any::<[u16; 4]>(),
    )
        .prop_map(
            |(nodename, ping_sent, pong_received, ip, [port, cport, flags, pport])| GossipEntry {
                nodename,
                ping_sent,
                pong_received,
                ip,
                port,
                cport,
                flags: NodeFlags(flags),
                pport,
            },
        )
}

fn c_string() -> impl Strategy<Value = Vec<u8>> {
    vec(1..=255u8, 0..80)
}

/// Any extension whose decoding gives it back (unknown types >= 6, bodies padded to 8).
pub fn ping_ext() -> impl Strategy<Value = PingExt> {
    prop_oneof![
        c_string().prop_map(PingExt::Hostname),
        c_string().prop_map(PingExt::HumanNodename),
        (node_id(), any::<u64>()).prop_map(|(name, ttl)| PingExt::ForgottenNode { name, ttl }),
        node_id().prop_map(|id| PingExt::ShardId(ShardId(id))),
        c_string().prop_map(PingExt::ClientIpv4),
        c_string().prop_map(PingExt::ClientIpv6),
        (6..=u16::MAX, vec(any::<u8>(), 0..6)).prop_map(|(ext_type, words)| PingExt::Unknown {
            ext_type,
            bytes: words.iter().flat_map(|&w| [w; 8]).collect(),
        }),
    ]
}

fn ping_like() -> impl Strategy<Value = Payload> {
    (0..3u16, vec(gossip_entry(), 0..8), vec(ping_ext(), 0..5))
        .prop_map(|(t, g, e)| Payload::ping_like(MsgType(t), g, e).expect("ping-like type"))
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

/// Every payload type.
pub fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        ping_like(),
        node_id().prop_map(|nodename| Payload::Fail { nodename }),
        (bytes(40), bytes(300))
            .prop_map(|(channel, message)| Payload::Publish { channel, message }),
        (bytes(40), bytes(300))
            .prop_map(|(channel, message)| Payload::PublishShard { channel, message }),
        Just(Payload::FailoverAuthRequest),
        Just(Payload::FailoverAuthAck),
        Just(Payload::MfStart),
        (any::<u64>(), node_id(), slot_set()).prop_map(|(e, nodename, s)| Payload::Update {
            config_epoch: Epoch(e),
            nodename,
            slots: Box::new(s),
        }),
        (any::<[u8; 8]>(), any::<u8>(), bytes(300)).prop_map(|(module_id, module_type, p)| {
            Payload::Module {
                module_id,
                module_type,
                payload: p,
            }
        }),
        (11..=u16::MAX, bytes(200)).prop_map(|(t, data)| Payload::Unknown {
            msg_type: MsgType(t),
            data
        }),
    ]
}

/// Any message.
pub fn message() -> impl Strategy<Value = Message> {
    (header(), payload()).prop_map(|(header, payload)| Message { header, payload })
}
