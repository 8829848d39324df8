//! A gossip section read in place: [`decode_lazy_with`] checks a PING/PONG/MEET like
//! [`decode_with`](crate::decode_with) but leaves its gossip entries in the received bytes,
//! for a reader that looks at a few fields of each (a node processing 100 entries per message
//! in a big cluster) instead of copying every entry into a `Vec` first.

use hashslot_types::NodeId;

use crate::consts::{off, Limits, GOSSIP_ENTRY_LEN, HEADER_LEN};
use crate::decode::decode_split;
use crate::error::BusError;
use crate::flags::NodeFlags;
use crate::ip::NetIp;
use crate::message::{GossipEntry, Message};
use crate::wire::{array_at, u16_at, u32_at};

/// The gossip entries of a received message, still in its bytes (their count was checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GossipSection<'a> {
    bytes: &'a [u8],
}

impl<'a> GossipSection<'a> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() / GOSSIP_ENTRY_LEN
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The entries in wire order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = GossipRef<'a>> + Clone + 'a {
        self.bytes
            .chunks_exact(GOSSIP_ENTRY_LEN)
            .map(|bytes| GossipRef { bytes })
    }
}

/// One gossip entry in the received bytes: each field is read when asked for (the same
/// values [`GossipEntry`] holds after a full decode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GossipRef<'a> {
    /// Exactly [`GOSSIP_ENTRY_LEN`] bytes.
    bytes: &'a [u8],
}

impl GossipRef<'_> {
    /// The node described.
    pub fn nodename(&self) -> NodeId {
        NodeId::from_raw(array_at(self.bytes, 0))
    }

    /// The sender's pending ping to the node, in seconds of Unix time (0 if none).
    pub fn ping_sent(&self) -> u32 {
        u32_at(self.bytes, 40)
    }

    /// The sender's last PONG from the node, in seconds of Unix time.
    pub fn pong_received(&self) -> u32 {
        u32_at(self.bytes, 44)
    }

    /// The node's ip as the sender knows it.
    pub fn ip(&self) -> NetIp {
        NetIp::from_wire(&array_at(self.bytes, 48))
    }

    /// Client port.
    pub fn port(&self) -> u16 {
        u16_at(self.bytes, 94)
    }

    /// Cluster bus port.
    pub fn cport(&self) -> u16 {
        u16_at(self.bytes, 96)
    }

    /// The sender's view of the node's flags.
    pub fn flags(&self) -> NodeFlags {
        NodeFlags(u16_at(self.bytes, 98))
    }

    /// Plaintext client port.
    pub fn pport(&self) -> u16 {
        u16_at(self.bytes, 100)
    }

    /// The whole entry.
    pub fn to_entry(&self) -> GossipEntry {
        GossipEntry {
            nodename: self.nodename(),
            ping_sent: self.ping_sent(),
            pong_received: self.pong_received(),
            ip: self.ip(),
            port: self.port(),
            cport: self.cport(),
            flags: self.flags(),
            pport: self.pport(),
        }
    }
}

/// [`decode_with`](crate::decode_with), except that a PING, PONG or MEET comes back with an
/// empty `gossip` vector and its entries as a [`GossipSection`] over `buf`; every other
/// message as `decode_with` returns it, with an empty section. The same checks run and the
/// same errors come back.
pub fn decode_lazy_with<'a>(
    buf: &'a [u8],
    limits: &Limits,
) -> Result<Option<(Message, GossipSection<'a>, usize)>, BusError> {
    let Some((msg, used, lazy)) = decode_split(buf, limits)? else {
        return Ok(None);
    };
    let section = match lazy {
        true => {
            let count = usize::from(u16_at(buf, off::COUNT));
            GossipSection {
                bytes: &buf[HEADER_LEN..HEADER_LEN + GOSSIP_ENTRY_LEN * count],
            }
        }
        false => GossipSection::default(),
    };
    Ok(Some((msg, section, used)))
}
