//! The Redis Cluster bus wire codec: protocol version 1 with the Redis 7.0 layout and the ping
//! extensions of 7.0, 7.2 and Valkey 8. No state, no I/O.
//!
//! A bus link carries a stream of messages, each a 2256-byte [`Header`] (prefix `RCmb` +
//! `totlen`) then a type-specific [`Payload`]. [`encode`] produces exactly the bytes Redis
//! sends; [`decode`] is incremental (`Ok(None)` until `totlen` bytes are there), bounded
//! ([`Limits`]), never panics, and validates like `clusterProcessPacket()`. Each [`BusError`]
//! says whether Redis closes the link or skips the message ([`BusError::disposition`]).
//!
//! A PING with one gossip entry and a hostname, encoded and read back from a stream that arrives
//! in two pieces:
//!
//! ```
//! use hashslot_bus::{decode, encode, Disposition, GossipEntry, Header, Message, NetIp,
//!     NodeFlags, Payload, PingExt};
//! use hashslot_types::{Epoch, NodeId};
//!
//! let me = NodeId::from_bytes(&[b'a'; 40]).unwrap();
//! let mut header = Header::new(me);
//! header.port = 7000;
//! header.cport = 17000;
//! header.current_epoch = Epoch(3);
//! header.flags = NodeFlags::MYSELF | NodeFlags::MASTER;
//! let peer = GossipEntry {
//!     nodename: NodeId::from_bytes(&[b'b'; 40]).unwrap(),
//!     ping_sent: 0,
//!     pong_received: 1_700_000_000,
//!     ip: NetIp::new(b"127.0.0.1").unwrap(),
//!     port: 7001,
//!     cport: 17001,
//!     flags: NodeFlags::MASTER,
//!     pport: 0,
//! };
//! let ping = Message {
//!     header,
//!     payload: Payload::Ping {
//!         gossip: vec![peer],
//!         extensions: vec![PingExt::Hostname(b"h1".to_vec())],
//!     },
//! };
//! let mut wire = Vec::new();
//! encode(&ping, &mut wire).unwrap();
//! assert_eq!(wire.len(), 2256 + 104 + 16);
//!
//! // The driver's read loop: feed what arrived, take whole messages, act on errors.
//! let mut rcvbuf = Vec::new();
//! let mut got = Vec::new();
//! for chunk in wire.chunks(1000) {
//!     rcvbuf.extend_from_slice(chunk);
//!     loop {
//!         match decode(&rcvbuf) {
//!             Ok(Some((msg, used))) => {
//!                 got.push(msg);
//!                 rcvbuf.drain(..used);
//!             }
//!             Ok(None) => break,
//!             Err(e) => match e.disposition() {
//!                 Disposition::Skip { len } => { rcvbuf.drain(..len); }
//!                 Disposition::CloseLink => panic!("close the link: {e}"),
//!             },
//!         }
//!     }
//! }
//! assert_eq!(got, [ping]);
//! ```
//!
//! A fuzz target only needs `let _ = hashslot_bus::decode(data);`: every input is a value.
#![warn(missing_docs)]

mod consts;
mod decode;
mod encode;
mod error;
mod ext;
mod flags;
mod ip;
mod message;
mod section;
mod wire;

pub use consts::{
    Limits, MsgType, DEFAULT_MAX_PING_EXT_BYTES, DEFAULT_MAX_TOTLEN, FAIL_LEN, GOSSIP_ENTRY_LEN,
    HEADER_LEN, MODULE_MIN_LEN, NET_IP_STR_LEN, PING_EXT_HEADER_LEN, PREFIX_LEN, PROTO_VER,
    PUBLISH_MIN_LEN, SIGNATURE, UPDATE_LEN,
};
pub use decode::{decode, decode_with, peek_header, peek_header_with, PacketPrefix};
pub use encode::{encode, to_bytes};
pub use error::{BusError, Disposition, EncodeError};
pub use ext::{PingExt, MAX_PING_EXT_LEN};
pub use flags::{ClusterState, MessageFlags, NodeFlags};
pub use ip::{NetIp, NET_IP_MAX_LEN};
pub use message::{GossipEntry, Header, Message, Payload};
pub use section::{decode_lazy_with, GossipRef, GossipSection};
