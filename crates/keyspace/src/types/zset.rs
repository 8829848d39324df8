//! A sorted set (ZADD, ZRANGE…): `listpack` while small, `skiplist` after.

use crate::value::Encoding;

/// A sorted set (ZADD, ZRANGE…): `listpack` while small, `skiplist` after.
///
/// Placeholder shape: the collections work fills in the representation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ZSet {}

impl ZSet {
    /// The encoding OBJECT ENCODING reports.
    pub fn encoding(&self) -> Encoding {
        Encoding::Other("listpack")
    }

    /// Approximate heap bytes held, for `used_memory`.
    pub fn heap_size(&self) -> usize {
        0
    }
}
