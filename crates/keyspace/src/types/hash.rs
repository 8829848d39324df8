//! A hash (HSET, HGET…): `listpack` while small, `hashtable` after.

use crate::value::Encoding;

/// A hash (HSET, HGET…): `listpack` while small, `hashtable` after.
///
/// Placeholder shape: the collections work fills in the representation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hash {}

impl Hash {
    /// The encoding OBJECT ENCODING reports.
    pub fn encoding(&self) -> Encoding {
        Encoding::Other("listpack")
    }

    /// Approximate heap bytes held, for `used_memory`.
    pub fn heap_size(&self) -> usize {
        0
    }
}
