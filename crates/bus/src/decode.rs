//! The decoder: incremental, bounded, and as strict as `clusterProcessPacket()`.
//!
//! Order of checks, as Redis does them:
//! 1. at 8 bytes (`clusterReadHandler()`): signature and `totlen >= 2256`, plus our upper bound;
//! 2. at 16 bytes, for a version-1 PING/PONG/MEET: `totlen` within its gossip entries plus the
//!    extension allowance (ours; lets the driver refuse before buffering);
//! 3. once `totlen` bytes are in (`clusterProcessPacket()`): version, then the exact length the
//!    type implies, walking the ping extensions when `EXT_DATA` is set.
//!
//! Nothing is allocated before the whole message is buffered, and every allocation is bounded
//! by bytes actually present.

use hashslot_types::{Epoch, NodeId, ReplOffset, SlotSet};

use crate::consts::{
    off, Limits, MsgType, FAIL_LEN, GOSSIP_ENTRY_LEN, HEADER_LEN, MODULE_MIN_LEN,
    PING_EXT_HEADER_LEN, PREFIX_LEN, PROTO_VER, PUBLISH_MIN_LEN, SIGNATURE, UPDATE_LEN,
};
use crate::error::BusError;
use crate::ext::{ext_len_at, PingExt};
use crate::flags::{ClusterState, MessageFlags, NodeFlags};
use crate::ip::NetIp;
use crate::message::{GossipEntry, Header, Message, Payload};
use crate::wire::{array_at, slice_at, u16_at, u32_at, u64_at, u8_at};

/// The 8-byte prefix of a message, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketPrefix {
    /// The whole message's length, header included (at least 2256).
    pub totlen: u32,
}

impl PacketPrefix {
    /// The whole message's length as a buffer size.
    pub fn len(&self) -> usize {
        self.totlen as usize
    }

    /// Always false: no message is shorter than its header.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Checks the 8-byte prefix as Redis's read handler does once it has 8 bytes: signature `RCmb`
/// and `totlen >= 2256` (else Redis closes the link), plus `totlen <= DEFAULT_MAX_TOTLEN`.
/// `Ok(None)` while fewer than 8 bytes are buffered.
pub fn peek_header(buf: &[u8]) -> Result<Option<PacketPrefix>, BusError> {
    peek_header_with(buf, &Limits::default())
}

/// [`peek_header`] with explicit limits.
pub fn peek_header_with(buf: &[u8], limits: &Limits) -> Result<Option<PacketPrefix>, BusError> {
    if buf.len() < PREFIX_LEN {
        return Ok(None);
    }
    let sig: [u8; 4] = array_at(buf, 0);
    if sig != SIGNATURE {
        return Err(BusError::BadSignature { sig });
    }
    let totlen = u32_at(buf, off::TOTLEN);
    if (totlen as usize) < HEADER_LEN {
        return Err(BusError::TooShort { totlen });
    }
    if totlen > limits.max_totlen {
        return Err(BusError::TooLong {
            totlen,
            max: u64::from(limits.max_totlen),
        });
    }
    Ok(Some(PacketPrefix { totlen }))
}

/// Decodes the first message of `buf` with the default [`Limits`].
///
/// Returns `Ok(None)` until the whole message (`totlen` bytes) is buffered, then the message and
/// the number of bytes it used. On `Err`, [`BusError::disposition`] says whether to close the
/// link or skip `totlen` bytes. Never panics, whatever the bytes.
pub fn decode(buf: &[u8]) -> Result<Option<(Message, usize)>, BusError> {
    decode_with(buf, &Limits::default())
}

/// [`decode`] with explicit limits.
pub fn decode_with(buf: &[u8], limits: &Limits) -> Result<Option<(Message, usize)>, BusError> {
    Ok(decode_inner(buf, limits, false)?.map(|(m, used, _)| (m, used)))
}

/// [`decode_with`] leaving a ping-like message's gossip entries undecoded (an empty vector);
/// the flag says whether it was such a message (see `section::decode_lazy_with`).
pub(crate) fn decode_split(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(Message, usize, bool)>, BusError> {
    decode_inner(buf, limits, true)
}

fn decode_inner(
    buf: &[u8],
    limits: &Limits,
    lazy_gossip: bool,
) -> Result<Option<(Message, usize, bool)>, BusError> {
    let Some(prefix) = peek_header_with(buf, limits)? else {
        return Ok(None);
    };
    let totlen = prefix.totlen;
    if buf.len() >= 16 && u16_at(buf, off::VER) == PROTO_VER {
        let msg_type = MsgType(u16_at(buf, off::TYPE));
        if msg_type.is_ping_like() {
            let count = u64::from(u16_at(buf, off::COUNT));
            let max = HEADER_LEN as u64
                + GOSSIP_ENTRY_LEN as u64 * count
                + u64::from(limits.max_ping_ext_bytes);
            if u64::from(totlen) > max {
                return Err(BusError::TooLong { totlen, max });
            }
        }
    }
    let Some(msg) = buf.get(..prefix.len()) else {
        return Ok(None);
    };
    let ver = u16_at(msg, off::VER);
    if ver != PROTO_VER {
        return Err(BusError::BadVersion { ver, totlen });
    }
    let mut header = decode_header(msg);
    let payload = decode_payload(msg, totlen, header.mflags, lazy_gossip)?;
    if !matches!(payload, Payload::Unknown { .. }) {
        // Framing, consumed above: the extensions themselves say whether there were any.
        header.mflags = header.mflags.difference(MessageFlags::EXT_DATA);
    }
    let lazy = lazy_gossip && payload.ping_body().is_some();
    Ok(Some((Message { header, payload }, prefix.len(), lazy)))
}

fn decode_header(msg: &[u8]) -> Header {
    let slaveof: [u8; 40] = array_at(msg, off::SLAVEOF);
    Header {
        port: u16_at(msg, off::PORT),
        current_epoch: Epoch(u64_at(msg, off::CURRENT_EPOCH)),
        config_epoch: Epoch(u64_at(msg, off::CONFIG_EPOCH)),
        offset: ReplOffset(u64_at(msg, off::OFFSET) as i64),
        sender: NodeId::from_raw(array_at(msg, off::SENDER)),
        myslots: SlotSet::from_bitmap(array_at(msg, off::MYSLOTS)),
        // Redis: a slaveof equal to CLUSTER_NODE_NULL_NAME (40 NULs) means "master".
        slaveof: (slaveof != [0; 40]).then(|| NodeId::from_raw(slaveof)),
        myip: NetIp::from_wire(&array_at(msg, off::MYIP)),
        pport: u16_at(msg, off::PPORT),
        cport: u16_at(msg, off::CPORT),
        flags: NodeFlags(u16_at(msg, off::FLAGS)),
        state: ClusterState(u8_at(msg, off::STATE)),
        mflags: MessageFlags(u8_at(msg, off::MFLAGS)),
    }
}

fn decode_payload(
    msg: &[u8],
    totlen: u32,
    mflags: MessageFlags,
    lazy_gossip: bool,
) -> Result<Payload, BusError> {
    let msg_type = MsgType(u16_at(msg, off::TYPE));
    let len = u64::from(totlen);
    let expect = |expected: u64| {
        if expected == len {
            Ok(())
        } else {
            Err(BusError::LengthMismatch {
                msg_type,
                totlen,
                expected,
            })
        }
    };
    let payload = match msg_type {
        MsgType::PING | MsgType::PONG | MsgType::MEET => {
            let count = usize::from(u16_at(msg, off::COUNT));
            let gossip_end = HEADER_LEN + GOSSIP_ENTRY_LEN * count;
            if gossip_end > msg.len() {
                return Err(BusError::LengthMismatch {
                    msg_type,
                    totlen,
                    expected: gossip_end as u64,
                });
            }
            let gossip = match lazy_gossip {
                true => Vec::new(),
                false => (0..count)
                    .map(|i| decode_gossip(msg, HEADER_LEN + GOSSIP_ENTRY_LEN * i))
                    .collect(),
            };
            let mut extensions = Vec::new();
            let mut end = gossip_end;
            // Redis walks the extensions only when EXT_DATA is set; without it the `extensions`
            // field is not counted, so the exact-length check rejects any appended bytes.
            if mflags.contains(MessageFlags::EXT_DATA) {
                let n = u16_at(msg, off::EXTENSIONS);
                extensions.reserve(usize::from(n).min((msg.len() - end) / PING_EXT_HEADER_LEN));
                for index in 0..n {
                    let ext = walk_extension(msg, end, index, totlen)?;
                    extensions.push(PingExt::decode(ext));
                    end += ext.len();
                }
            }
            expect(end as u64)?;
            match msg_type {
                MsgType::PING => Payload::Ping { gossip, extensions },
                MsgType::PONG => Payload::Pong { gossip, extensions },
                _ => Payload::Meet { gossip, extensions },
            }
        }
        MsgType::FAIL => {
            expect(FAIL_LEN as u64)?;
            Payload::Fail {
                nodename: NodeId::from_raw(array_at(msg, HEADER_LEN)),
            }
        }
        MsgType::PUBLISH | MsgType::PUBLISHSHARD => {
            if msg.len() < PUBLISH_MIN_LEN {
                expect(PUBLISH_MIN_LEN as u64)?;
            }
            let channel_len = u32_at(msg, HEADER_LEN) as usize;
            let message_len = u32_at(msg, HEADER_LEN + 4) as usize;
            // In u64: Redis sums in 32 bits and can wrap; we cannot.
            expect(PUBLISH_MIN_LEN as u64 + channel_len as u64 + message_len as u64)?;
            let channel = slice_at(msg, PUBLISH_MIN_LEN, channel_len).to_vec();
            let message = slice_at(msg, PUBLISH_MIN_LEN + channel_len, message_len).to_vec();
            if msg_type == MsgType::PUBLISH {
                Payload::Publish { channel, message }
            } else {
                Payload::PublishShard { channel, message }
            }
        }
        MsgType::FAILOVER_AUTH_REQUEST | MsgType::FAILOVER_AUTH_ACK | MsgType::MFSTART => {
            expect(HEADER_LEN as u64)?;
            match msg_type {
                MsgType::FAILOVER_AUTH_REQUEST => Payload::FailoverAuthRequest,
                MsgType::FAILOVER_AUTH_ACK => Payload::FailoverAuthAck,
                _ => Payload::MfStart,
            }
        }
        MsgType::UPDATE => {
            expect(UPDATE_LEN as u64)?;
            Payload::Update {
                config_epoch: Epoch(u64_at(msg, HEADER_LEN)),
                nodename: NodeId::from_raw(array_at(msg, HEADER_LEN + 8)),
                slots: Box::new(SlotSet::from_bitmap(array_at(msg, HEADER_LEN + 48))),
            }
        }
        MsgType::MODULE => {
            if msg.len() < MODULE_MIN_LEN {
                expect(MODULE_MIN_LEN as u64)?;
            }
            let payload_len = u32_at(msg, HEADER_LEN + 8) as usize;
            expect(MODULE_MIN_LEN as u64 + payload_len as u64)?;
            Payload::Module {
                module_id: array_at(msg, HEADER_LEN),
                module_type: u8_at(msg, HEADER_LEN + 12),
                payload: slice_at(msg, MODULE_MIN_LEN, payload_len).to_vec(),
            }
        }
        // Redis: "We don't know this type of packet, so we assume it's well formed."
        _ => Payload::Unknown {
            msg_type,
            data: msg.get(HEADER_LEN..).unwrap_or(&[]).to_vec(),
        },
    };
    Ok(payload)
}

/// The extension `index` starting at `start`, checked to lie within the message.
fn walk_extension(msg: &[u8], start: usize, index: u16, totlen: u32) -> Result<&[u8], BusError> {
    let remaining = msg.len().saturating_sub(start);
    if remaining < PING_EXT_HEADER_LEN {
        return Err(BusError::ExtensionOverflow {
            index,
            ext_len: 0,
            totlen,
        });
    }
    let ext_len = ext_len_at(&msg[start..]);
    if ext_len % 8 != 0 {
        return Err(BusError::ExtensionPadding {
            index,
            ext_len,
            totlen,
        });
    }
    if ext_len == 0 || ext_len > u32::from(u16::MAX) {
        return Err(BusError::ExtensionLength {
            index,
            ext_len,
            totlen,
        });
    }
    if ext_len as usize > remaining {
        return Err(BusError::ExtensionOverflow {
            index,
            ext_len,
            totlen,
        });
    }
    Ok(&msg[start..start + ext_len as usize])
}

fn decode_gossip(msg: &[u8], at: usize) -> GossipEntry {
    GossipEntry {
        nodename: NodeId::from_raw(array_at(msg, at)),
        ping_sent: u32_at(msg, at + 40),
        pong_received: u32_at(msg, at + 44),
        ip: NetIp::from_wire(&array_at(msg, at + 48)),
        port: u16_at(msg, at + 94),
        cport: u16_at(msg, at + 96),
        flags: NodeFlags(u16_at(msg, at + 98)),
        pport: u16_at(msg, at + 100),
    }
}
