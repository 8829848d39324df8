//! A list (LPUSH, LRANGE…). Redis 7.0 reports every list as `quicklist`.

use crate::value::Encoding;

/// A list (LPUSH, LRANGE…). Redis 7.0 reports every list as `quicklist`.
///
/// Placeholder shape: the collections work fills in the representation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List {}

impl List {
    /// The encoding OBJECT ENCODING reports.
    pub fn encoding(&self) -> Encoding {
        Encoding::Other("quicklist")
    }

    /// Approximate heap bytes held, for `used_memory`.
    pub fn heap_size(&self) -> usize {
        0
    }
}
