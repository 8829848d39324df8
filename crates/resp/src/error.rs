//! Protocol errors: a peer broke RESP. Their `Display` is Redis's reply text (without the `-`).

/// A request or frame that breaks the protocol. The server replies `-ERR Protocol error: …`
/// (this type's `Display`, prefixed by `ERR `) and closes the connection, as Redis does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An inline line longer than the limit without a newline.
    #[error("Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// A multibulk header longer than the limit without a newline.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMbulkCountString,
    /// A multibulk count that is not a number or over the limit.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// A multibulk count over [`UNAUTHENTICATED_MAX_MULTIBULK_LEN`](crate::UNAUTHENTICATED_MAX_MULTIBULK_LEN)
    /// from a client that must still authenticate.
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// A bulk header longer than the limit without a newline.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCountString,
    /// An element of a request multibulk that is not a bulk string, with the byte found. Redis
    /// replies with the raw byte, as `ErrorReply::Protocol(..)` writes it; `Display` (for logs)
    /// shows a byte of 0x80 or more as the Latin-1 character of that value.
    #[error("Protocol error: expected '$', got '{}'", char::from(*.0))]
    ExpectedDollar(u8),
    /// A bulk length that is not a number or over the limit.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A bulk length over [`UNAUTHENTICATED_MAX_BULK_LEN`](crate::UNAUTHENTICATED_MAX_BULK_LEN) from
    /// a client that must still authenticate.
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
    /// An inline request with unbalanced quotes.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A frame type byte that RESP does not define (frame decoder only).
    #[error("Protocol error: invalid frame type byte {0:#04x}")]
    InvalidType(u8),
    /// A frame nested deeper than the limit (frame decoder only).
    #[error("Protocol error: frame nesting too deep")]
    TooDeep,
    /// A malformed line: missing CRLF, bad number, bad boolean… (frame decoder only).
    #[error("Protocol error: {0}")]
    Malformed(&'static str),
}
