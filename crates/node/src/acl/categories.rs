//! Redis 7.0's ACL command categories, and each table entry's categories as a bit mask.

use std::sync::OnceLock;

use crate::table::Table;

/// The categories in Redis's order (`ACLCommandCategories`): ACL CAT lists them so, and
/// ACL LIST tries them so when it describes a user's commands.
pub(crate) const CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The index of category `name` (case-insensitive, without the `@`).
pub(crate) fn category_by_name(name: &[u8]) -> Option<usize> {
    CATEGORIES
        .iter()
        .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
}

/// Per table entry, the bit `1 << i` for each category `CATEGORIES[i]` it belongs to.
pub(crate) fn entry_masks() -> &'static [u32] {
    static MASKS: OnceLock<Vec<u32>> = OnceLock::new();
    MASKS.get_or_init(|| {
        Table::get()
            .entries
            .iter()
            .map(|e| {
                e.acl_categories
                    .iter()
                    .filter_map(|c| category_by_name(c.strip_prefix('@').unwrap_or(c).as_bytes()))
                    .fold(0, |m, i| m | 1 << i)
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_category_is_known() {
        let t = Table::get();
        for e in &t.entries {
            for c in e.acl_categories {
                let name = c.strip_prefix('@').expect("categories start with @");
                assert!(
                    category_by_name(name.as_bytes()).is_some(),
                    "{}: {c}",
                    e.name
                );
            }
        }
        let get = t.find(b"get").unwrap();
        let read = category_by_name(b"READ").unwrap();
        assert_ne!(entry_masks()[get] & 1 << read, 0);
    }
}
