//! Bounds on what a peer may make us hold, with Redis's defaults.

/// Limits applied while decoding; every length, count and depth is checked against one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string accepted (`proto-max-bulk-len`, default 512 MB).
    pub max_bulk_len: u64,
    /// Largest multibulk (array) element count (Redis: 1024*1024*1024 for authenticated clients,
    /// 10 for unauthenticated ones).
    pub max_multibulk_len: u64,
    /// Largest inline command line (`PROTO_INLINE_MAX_SIZE`, 64 KB).
    pub max_inline_len: usize,
    /// Deepest nesting of aggregate frames accepted by the frame decoder.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: 1024 * 1024 * 1024,
            max_inline_len: 64 * 1024,
            max_depth: 128,
        }
    }
}
