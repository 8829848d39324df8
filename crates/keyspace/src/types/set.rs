//! A set (SADD, SMEMBERS…): `intset` while all integers and small, `hashtable` after (Redis 7.0 has no listpack sets).

use crate::value::Encoding;

/// A set (SADD, SMEMBERS…): `intset` while all integers and small, `hashtable` after (Redis 7.0 has no listpack sets).
///
/// Placeholder shape: the collections work fills in the representation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Set {}

impl Set {
    /// The encoding OBJECT ENCODING reports.
    pub fn encoding(&self) -> Encoding {
        Encoding::Other("intset")
    }

    /// Approximate heap bytes held, for `used_memory`.
    pub fn heap_size(&self) -> usize {
        0
    }
}
