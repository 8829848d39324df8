//! Bounds on what a peer may make us hold, with Redis's defaults.

/// Most arguments a client that still has to authenticate may send in one multibulk request
/// (Redis 7.0 hard-codes 10 in `processMultibulkBuffer`).
pub const UNAUTHENTICATED_MAX_MULTIBULK_LEN: u64 = 10;

/// Longest bulk argument a client that still has to authenticate may send (Redis 7.0: 16384).
pub const UNAUTHENTICATED_MAX_BULK_LEN: u64 = 16 * 1024;

/// Limits applied while decoding; every length, count and depth is checked against one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string accepted (`proto-max-bulk-len`, default 512 MB). Redis does not apply
    /// it to its master link; a replica sets `u64::MAX` there.
    pub max_bulk_len: u64,
    /// Largest multibulk (array) element count. Redis 7.0 accepts up to `INT_MAX` (2147483647)
    /// and only ever reserves room for 1024 arguments up front, as does this crate.
    pub max_multibulk_len: u64,
    /// Largest inline command line (`PROTO_INLINE_MAX_SIZE`, 64 KB). The request parser also
    /// bounds multibulk and bulk header lines by it, as Redis does.
    pub max_inline_len: usize,
    /// Deepest nesting of aggregate frames accepted by the frame decoder.
    pub max_depth: usize,
    /// Whether the client must still authenticate (Redis's `authRequired`). The request parser
    /// then also refuses more than [`UNAUTHENTICATED_MAX_MULTIBULK_LEN`] arguments or a bulk over
    /// [`UNAUTHENTICATED_MAX_BULK_LEN`] bytes, with Redis's "unauthenticated" errors. Inline
    /// requests are not capped (neither are they in Redis). The frame decoder ignores it.
    pub auth_required: bool,
}

impl Limits {
    /// Redis's limits for a client that has not authenticated yet on a server with a password
    /// (or with a default user that needs one). `AUTH`/`HELLO … AUTH` success lifts them with
    /// [`RequestParser::set_limits`](crate::RequestParser::set_limits) and `auth_required: false`.
    pub fn unauthenticated() -> Self {
        Limits {
            auth_required: true,
            ..Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as u64,
            max_inline_len: 64 * 1024,
            max_depth: 128,
            auth_required: false,
        }
    }
}
