//! RESP2/RESP3 for hashslot: frames, an incremental bounded decoder, the request parser a server
//! reads commands with, and the reply writer it answers with.
//!
//! The hot path of a server never builds a [`Frame`]: [`RequestParser`] yields argument slices
//! borrowed from the connection's read buffer, and [`Reply`] writes RESP straight into the
//! connection's output buffer.
//!
//! Clients, proxies and test harnesses read replies with [`decode`] (or [`decode_bytes`],
//! which shares the input's memory) into a [`Frame`], and write frames with [`encode`].
//! Every length, count, line and nesting depth is checked against [`Limits`]; a peer that
//! breaks RESP gets a [`ProtocolError`] whose `Display` is Redis's own reply text.
//!
//! ```
//! use hashslot_resp::{Limits, Proto, Reply, RequestParser};
//! let input = b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
//! let mut parser = RequestParser::new(Limits::default());
//! let used = parser.parse(input).unwrap().expect("complete request");
//! assert_eq!(used, input.len());
//! let args: Vec<&[u8]> = parser.args(input).collect();
//! assert_eq!(args, [&b"GET"[..], &b"key"[..]]);
//! parser.reset();
//!
//! let mut out = Vec::new();
//! Reply::new(&mut out, Proto::Resp2).null();
//! assert_eq!(out, b"$-1\r\n");
//!
//! use hashslot_resp::{decode, encode, Frame};
//! let (reply, used) = decode(b"+OK\r\n", &Limits::default()).unwrap().expect("complete");
//! assert_eq!((reply, used), (Frame::simple("OK"), 5));
//! let mut wire = Vec::new();
//! encode(&Frame::command(["GET", "key"]), &mut wire);
//! assert_eq!(wire, input);
//! ```
#![warn(missing_docs)]

mod decode;
mod encode;
mod error;
mod error_reply;
mod float;
mod frame;
mod head;
mod inline;
mod limits;
mod number;
mod reply;
mod repr;
mod request;

pub use decode::{decode, decode_bytes, MAX_DEPTH_CAP};
pub use encode::encode;
pub use error::ProtocolError;
pub use error_reply::ErrorReply;
pub use float::format_double;
pub use frame::Frame;
pub use limits::{Limits, UNAUTHENTICATED_MAX_BULK_LEN, UNAUTHENTICATED_MAX_MULTIBULK_LEN};
pub use reply::{Deferred, Proto, Reply};
pub use repr::write_repr;
pub use request::RequestParser;
