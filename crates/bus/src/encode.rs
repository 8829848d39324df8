//! The encoder: a [`Message`] to exactly the bytes Redis 7.0 would send for it.
//!
//! Redis zero-fills the message buffer (`memset` in `clusterBuildMessageHdr()`, `zcalloc` in
//! `clusterSendPing()`), so every reserved or unused byte is zero; so are ours.

use crate::consts::{off, GOSSIP_ENTRY_LEN, HEADER_LEN, PROTO_VER, SIGNATURE};
use crate::error::EncodeError;
use crate::ext::MAX_PING_EXT_LEN;
use crate::flags::MessageFlags;
use crate::message::{GossipEntry, Message, Payload};
use crate::wire::Patch;

/// Appends the encoding of `msg` to `out`.
///
/// The framing fields come from the payload: `totlen`, `type`, `count` (gossip entries of a
/// PING/PONG/MEET, else 0) and `extensions`. [`MessageFlags::EXT_DATA`] is set on a
/// PING/PONG/MEET exactly when it carries extensions (as `clusterSendPing()` does), cleared on
/// the other known types, and written as given on [`Payload::Unknown`].
///
/// On error `out` is left unchanged. Errors are local mistakes only: sizes that do not fit the
/// wire's fixed-width fields.
pub fn encode(msg: &Message, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let totlen = msg.encoded_len();
    let mut mflags = msg.header.mflags;
    let (mut count, mut extensions) = (0u16, 0u16);
    if let Some((gossip, exts)) = msg.payload.ping_body() {
        count = u16::try_from(gossip.len())
            .map_err(|_| EncodeError::TooManyGossipEntries(gossip.len()))?;
        extensions =
            u16::try_from(exts.len()).map_err(|_| EncodeError::TooManyExtensions(exts.len()))?;
        if let Some(big) = exts
            .iter()
            .map(|e| e.encoded_len())
            .find(|&l| l > MAX_PING_EXT_LEN)
        {
            return Err(EncodeError::ExtensionTooLong(big));
        }
        mflags = mflags.difference(MessageFlags::EXT_DATA);
        if !exts.is_empty() {
            mflags = mflags.union(MessageFlags::EXT_DATA);
        }
    } else if !matches!(msg.payload, Payload::Unknown { .. }) {
        mflags = mflags.difference(MessageFlags::EXT_DATA);
    }
    let totlen32 = u32::try_from(totlen).map_err(|_| EncodeError::TooLong(totlen))?;

    out.reserve(totlen32 as usize);
    let base = out.len();
    out.resize(base + HEADER_LEN, 0);
    let h = &msg.header;
    let mut p = Patch { buf: out, base };
    p.bytes(0, &SIGNATURE);
    p.u32(off::TOTLEN, totlen32);
    p.u16(off::VER, PROTO_VER);
    p.u16(off::PORT, h.port);
    p.u16(off::TYPE, msg.msg_type().0);
    p.u16(off::COUNT, count);
    p.u64(off::CURRENT_EPOCH, h.current_epoch.0);
    p.u64(off::CONFIG_EPOCH, h.config_epoch.0);
    // Redis writes the signed `long long` offset as its two's complement bits.
    p.u64(off::OFFSET, h.offset.0 as u64);
    p.bytes(off::SENDER, h.sender.as_bytes());
    p.bytes(off::MYSLOTS, h.myslots.as_bitmap());
    if let Some(master) = &h.slaveof {
        p.bytes(off::SLAVEOF, master.as_bytes());
    }
    p.bytes(off::MYIP, &h.myip.to_wire());
    p.u16(off::EXTENSIONS, extensions);
    p.u16(off::PPORT, h.pport);
    p.u16(off::CPORT, h.cport);
    p.u16(off::FLAGS, h.flags.0);
    p.u8(off::STATE, h.state.0);
    p.u8(off::MFLAGS, mflags.0);

    encode_payload(&msg.payload, out);
    debug_assert_eq!(out.len() - base, totlen32 as usize);
    Ok(())
}

fn encode_payload(payload: &Payload, out: &mut Vec<u8>) {
    match payload {
        Payload::Ping { gossip, extensions }
        | Payload::Pong { gossip, extensions }
        | Payload::Meet { gossip, extensions } => {
            for g in gossip {
                encode_gossip(g, out);
            }
            for e in extensions {
                e.encode(out);
            }
        }
        Payload::Fail { nodename } => out.extend_from_slice(nodename.as_bytes()),
        Payload::Publish { channel, message } | Payload::PublishShard { channel, message } => {
            // Lengths were checked to fit: totlen, which includes both, fits a u32.
            out.extend_from_slice(&(channel.len() as u32).to_be_bytes());
            out.extend_from_slice(&(message.len() as u32).to_be_bytes());
            out.extend_from_slice(channel);
            out.extend_from_slice(message);
        }
        Payload::FailoverAuthRequest | Payload::FailoverAuthAck | Payload::MfStart => {}
        Payload::Update {
            config_epoch,
            nodename,
            slots,
        } => {
            out.extend_from_slice(&config_epoch.0.to_be_bytes());
            out.extend_from_slice(nodename.as_bytes());
            out.extend_from_slice(slots.as_bitmap());
        }
        Payload::Module {
            module_id,
            module_type,
            payload,
        } => {
            out.extend_from_slice(module_id);
            out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
            out.push(*module_type);
            out.extend_from_slice(payload);
        }
        Payload::Unknown { data, .. } => out.extend_from_slice(data),
    }
}

fn encode_gossip(g: &GossipEntry, out: &mut Vec<u8>) {
    let base = out.len();
    out.resize(base + GOSSIP_ENTRY_LEN, 0);
    let mut p = Patch { buf: out, base };
    p.bytes(0, g.nodename.as_bytes());
    p.u32(40, g.ping_sent);
    p.u32(44, g.pong_received);
    p.bytes(48, &g.ip.to_wire());
    p.u16(94, g.port);
    p.u16(96, g.cport);
    p.u16(98, g.flags.0);
    p.u16(100, g.pport);
    // Bytes 102..104 (`notused1`) stay zero.
}

/// The encoding of `msg` as a new buffer (see [`encode`]).
pub fn to_bytes(msg: &Message) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode(msg, &mut out)?;
    Ok(out)
}
