//! What can be wrong with bytes read from a bus link, and what Redis does about each.

use crate::consts::MsgType;

/// A rule of the cluster bus that a peer's bytes broke. The gossip layer counts and logs it,
/// then acts on [`BusError::disposition`]: close the link, or skip the message and go on.
///
/// Each variant says what Redis 7.0.15 does (`clusterReadHandler()` closes the link on a bad
/// prefix; `clusterProcessPacket()` returns 1, keeping the link and dropping the packet, on
/// the other checks). Where Redis has no rule or misbehaves (reads past the message), this
/// codec is stricter, and says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// The first 4 bytes are not `RCmb`. Redis: logs "Bad message length or signature received
    /// from Cluster bus." and **closes the link**.
    #[error("bad signature {sig:?}, expected \"RCmb\"")]
    BadSignature {
        /// The 4 bytes found.
        sig: [u8; 4],
    },
    /// `totlen` is below the 2256-byte header. Redis: same log as a bad signature, **closes the
    /// link**.
    #[error("message length {totlen} is below the {min}-byte header", min = crate::HEADER_LEN)]
    TooShort {
        /// The announced `totlen`.
        totlen: u32,
    },
    /// `totlen` is above [`Limits::max_totlen`](crate::Limits::max_totlen), or a PING/PONG/MEET
    /// announces more than its gossip entries plus
    /// [`Limits::max_ping_ext_bytes`](crate::Limits::max_ping_ext_bytes). Redis has no upper
    /// bound and would buffer it; we **close the link** rather than buffer without limit.
    #[error("message length {totlen} is above the limit {max}")]
    TooLong {
        /// The announced `totlen`.
        totlen: u32,
        /// The bound it broke.
        max: u64,
    },
    /// `ver` is not 1. Redis: **ignores** the packet silently, keeps the link.
    #[error("protocol version {ver}, expected 1")]
    BadVersion {
        /// The version found.
        ver: u16,
        /// The message length, to skip.
        totlen: u32,
    },
    /// `totlen` differs from the length the type and its count/length fields imply (also when
    /// `2256 + 104·count` alone exceeds `totlen`, or a PUBLISH/MODULE is too short to hold its
    /// length fields). Redis: logs "Received invalid %s packet of length %lld but expected
    /// length %lld" and **ignores** the packet.
    #[error("{msg_type} message of length {totlen}, expected {expected}")]
    LengthMismatch {
        /// The message type.
        msg_type: MsgType,
        /// The announced `totlen`.
        totlen: u32,
        /// The length implied by the type and its fields (at least the minimum for the type).
        expected: u64,
    },
    /// A ping extension's length is not a multiple of 8. Redis: logs "Received a %s packet
    /// without proper padding" and **ignores** the packet.
    #[error("ping extension {index} has length {ext_len}, not a multiple of 8")]
    ExtensionPadding {
        /// Position of the extension (0-based).
        index: u16,
        /// Its announced length.
        ext_len: u32,
        /// The message length, to skip.
        totlen: u32,
    },
    /// A ping extension's length is 0 or above 65535. Redis reads the length through a 16-bit
    /// variable: with 0 it walks the same extension again, with more it keeps the low 16 bits
    /// and later steps past the message. Both are peer bugs; we **ignore** the packet.
    #[error("ping extension {index} has length {ext_len}, outside 8..=65528")]
    ExtensionLength {
        /// Position of the extension (0-based).
        index: u16,
        /// Its announced length.
        ext_len: u32,
        /// The message length, to skip.
        totlen: u32,
    },
    /// A ping extension (or its 8-byte header) runs past `totlen`. Redis: logs "Received
    /// invalid %s packet with extension data that exceeds total packet length" and **ignores**
    /// the packet (when not even the 8-byte header fits, Redis reads past the message; we
    /// ignore the packet too).
    #[error("ping extension {index} exceeds the message length {totlen}")]
    ExtensionOverflow {
        /// Position of the extension (0-based).
        index: u16,
        /// Its announced length (0 when its header does not fit).
        ext_len: u32,
        /// The message length, to skip.
        totlen: u32,
    },
}

/// What the reader of a link does after a [`BusError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Free the link (Redis's `handleLinkIOError()`); the stream cannot be framed any further.
    CloseLink,
    /// Drop this message, which is `len` bytes long and entirely buffered, and keep reading.
    Skip {
        /// Bytes to discard from the front of the buffer.
        len: usize,
    },
}

impl BusError {
    /// Whether Redis closes the link or skips the message.
    pub fn disposition(&self) -> Disposition {
        match *self {
            BusError::BadSignature { .. }
            | BusError::TooShort { .. }
            | BusError::TooLong { .. } => Disposition::CloseLink,
            BusError::BadVersion { totlen, .. }
            | BusError::LengthMismatch { totlen, .. }
            | BusError::ExtensionPadding { totlen, .. }
            | BusError::ExtensionLength { totlen, .. }
            | BusError::ExtensionOverflow { totlen, .. } => Disposition::Skip {
                len: totlen as usize,
            },
        }
    }

    /// Whether the link must be closed (see [`BusError::disposition`]).
    pub fn closes_link(&self) -> bool {
        self.disposition() == Disposition::CloseLink
    }
}

/// A message that cannot be put on the wire: a local mistake, never a peer's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// More than 65535 gossip entries (the `count` field is 16 bits).
    #[error("{0} gossip entries, at most 65535 fit the count field")]
    TooManyGossipEntries(usize),
    /// More than 65535 ping extensions (the `extensions` field is 16 bits).
    #[error("{0} ping extensions, at most 65535 fit the extensions field")]
    TooManyExtensions(usize),
    /// A ping extension longer than 65528 bytes (Redis reads extension lengths as 16 bits).
    #[error("a ping extension of {0} bytes, at most 65528 are readable by Redis")]
    ExtensionTooLong(usize),
    /// The message would be longer than `u32::MAX` bytes (the `totlen` field is 32 bits).
    #[error("message of {0} bytes, at most 4294967295 fit the totlen field")]
    TooLong(u64),
}
