//! RESP2/RESP3 for hashslot: frames, an incremental bounded decoder, the request parser a server
//! reads commands with, and the reply writer it answers with.
//!
//! The hot path of a server never builds a [`Frame`]: [`RequestParser`] yields argument slices
//! borrowed from the connection's read buffer, and [`Reply`] writes RESP straight into the
//! connection's output buffer.
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
//! ```
#![warn(missing_docs)]

mod error;
mod error_reply;
mod float;
mod limits;
mod reply;
mod request;

pub use error::ProtocolError;
pub use error_reply::ErrorReply;
pub use float::format_double;
pub use limits::Limits;
pub use reply::{Deferred, Proto, Reply};
pub use request::RequestParser;
