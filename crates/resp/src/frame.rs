//! The RESP2/RESP3 value tree that clients, proxies and test harnesses read replies into.

use bytes::Bytes;

/// One RESP2 or RESP3 value, as sent by a server (or a client, for RESP3-aware tools).
///
/// The encodings are kept apart where RESP2 and RESP3 differ on the wire (`$-1`, `*-1` and
/// `_` are three variants), so that [`decode`](crate::decode) then [`encode`](crate::encode)
/// gives back the same bytes for anything a Redis server sends, and a proxy can pass replies
/// through unchanged.
///
/// Attributes (`|`) are attached to the frame they describe: the decoder returns
/// `Attribute { attrs, data }` for an attribute map and the frame that follows it, as one frame.
/// A Redis 7.0 server only sends them on request (`CLIENT TRACKING` extensions); keeping them
/// with their frame means an array's element count never includes them.
///
/// RESP3 streamed strings and aggregates (`$?`, `*?`) are not supported: Redis never sends
/// them, and the decoder reports them as malformed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Frame {
    /// `+<text>`: a status reply. The text holds no CR or LF.
    Simple(Bytes),
    /// `-<text>`: an error reply, code included (`ERR …`, `MOVED …`). No CR or LF.
    Error(Bytes),
    /// `:<n>`
    Integer(i64),
    /// `$<len>\r\n<bytes>`
    Bulk(Bytes),
    /// RESP2's null bulk string, `$-1`.
    NullBulk,
    /// RESP2's null array, `*-1`.
    NullArray,
    /// RESP3's null, `_`.
    Null,
    /// `*<n>` followed by `n` frames.
    Array(Vec<Frame>),
    /// RESP3 `%<n>`: `n` key/value pairs, in wire order.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~<n>`: `n` frames, in wire order.
    Set(Vec<Frame>),
    /// RESP3 `,<double>`, including `inf`, `-inf` and `nan`.
    Double(f64),
    /// RESP3 `#t` / `#f`.
    Boolean(bool),
    /// RESP3 `(<digits>`: an integer of any size, kept as its decimal text (`-?[0-9]+`).
    BigNumber(Bytes),
    /// RESP3 `!<len>\r\n<bytes>`: an error whose text may hold any byte.
    BulkError(Bytes),
    /// RESP3 `=<len>\r\n<fmt>:<bytes>`: text with a three-byte format (`txt`, `mkd`).
    Verbatim {
        /// The format, e.g. `*b"txt"`.
        format: [u8; 3],
        /// The text after `<fmt>:`.
        text: Bytes,
    },
    /// RESP3 `><n>`: out-of-band data (pub/sub messages, invalidations).
    Push(Vec<Frame>),
    /// RESP3 `|<n>` pairs of metadata, and the frame they describe.
    Attribute {
        /// The attribute map's pairs, in wire order.
        attrs: Vec<(Frame, Frame)>,
        /// The frame that followed the attribute map.
        data: Box<Frame>,
    },
}

impl Frame {
    /// A bulk string frame holding a copy of `bytes`.
    pub fn bulk(bytes: impl AsRef<[u8]>) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(bytes.as_ref()))
    }

    /// A status frame (`+OK`) holding a copy of `text`.
    pub fn simple(text: impl AsRef<[u8]>) -> Frame {
        Frame::Simple(Bytes::copy_from_slice(text.as_ref()))
    }

    /// An array of bulk strings: how a client sends a command.
    pub fn command<I, A>(args: I) -> Frame
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        Frame::Array(args.into_iter().map(Frame::bulk).collect())
    }

    /// Whether this is one of the three null encodings.
    pub fn is_null(&self) -> bool {
        matches!(self, Frame::Null | Frame::NullBulk | Frame::NullArray)
    }

    /// The bytes of a simple string, bulk string or verbatim string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::Simple(b) | Frame::Bulk(b) => Some(b),
            Frame::Verbatim { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The text of an error (simple or bulk error).
    pub fn as_error(&self) -> Option<&[u8]> {
        match self {
            Frame::Error(b) | Frame::BulkError(b) => Some(b),
            _ => None,
        }
    }
}
