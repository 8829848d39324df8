//! The encoding thresholds of collections, as Redis's CONFIG parameters name them.
//!
//! A node keeps one [`EncodingLimits`] filled from its configuration (refreshed at startup and
//! on CONFIG SET) and copies it into each command's [`Ctx`](crate::Ctx): a command that creates
//! or grows a collection reads its thresholds there, so the per-command cost is a copy of a few
//! words and CONFIG SET takes effect from the next command on, as in Redis.

use crate::types::hash::HashLimits;
use crate::types::set::SetLimits;
use crate::types::zset::ZSetLimits;

/// Every collection encoding threshold (Redis 7.0's names, defaults from [`Default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodingLimits {
    /// `hash-max-listpack-entries` (512): most fields a `listpack` hash holds.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value` (64): longest field or value of a `listpack` hash.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries` (512): most members an `intset` set holds.
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries` (128): most members a `listpack` sorted set holds.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value` (64): longest member of a `listpack` sorted set.
    pub zset_max_listpack_value: usize,
    /// `list-max-listpack-size` (-2): a quicklist node's limit, by count (> 0) or by size
    /// (-1..-5: 4, 8, 16, 32 or 64 KB). Kept for CONFIG parity; lists here always use 8 KB
    /// chunks (the limit is invisible to clients: OBJECT ENCODING says `quicklist` either way).
    pub list_max_listpack_size: i64,
    /// `notify-keyspace-events` (empty): the keyspace notification classes commands record
    /// (bits of [`crate::notify::class`]). Not an encoding limit, but configuration every
    /// command reads the same way, so it travels with them.
    pub notify_keyspace_events: u32,
    /// `hll-sparse-max-bytes` (3000): largest sparse HyperLogLog before it turns dense.
    pub hll_sparse_max_bytes: usize,
    /// `stream-node-max-bytes` (4096): a stream node's listpack closes at this size.
    pub stream_node_max_bytes: usize,
    /// `stream-node-max-entries` (100): a stream node closes at this many entries.
    pub stream_node_max_entries: i64,
}

impl EncodingLimits {
    /// Redis 7.0's defaults (checked with CONFIG GET on redis-server 7.0.15).
    pub const REDIS_DEFAULT: EncodingLimits = EncodingLimits {
        hash_max_listpack_entries: 512,
        hash_max_listpack_value: 64,
        set_max_intset_entries: 512,
        zset_max_listpack_entries: 128,
        zset_max_listpack_value: 64,
        list_max_listpack_size: -2,
        notify_keyspace_events: 0,
        hll_sparse_max_bytes: 3000,
        stream_node_max_bytes: 4096,
        stream_node_max_entries: 100,
    };

    /// The CONFIG parameter names [`EncodingLimits::set_param`] understands (canonical names;
    /// a node reads them with its own CONFIG GET, which also resolves the `ziplist` aliases).
    pub const PARAMS: &'static [&'static str] = &[
        "hash-max-listpack-entries",
        "hash-max-listpack-value",
        "set-max-intset-entries",
        "zset-max-listpack-entries",
        "zset-max-listpack-value",
        "list-max-listpack-size",
        "notify-keyspace-events",
        "hll-sparse-max-bytes",
        "stream-node-max-bytes",
        "stream-node-max-entries",
    ];

    /// Set the field of CONFIG parameter `name` (canonical or `ziplist` alias, any case) from
    /// its CONFIG GET text. Returns whether `name` is one of ours and `value` parsed; nothing
    /// changes otherwise (the node validated the value when it was set).
    pub fn set_param(&mut self, name: &str, value: &str) -> bool {
        let name = name.to_ascii_lowercase().replace("ziplist", "listpack");
        if name == "notify-keyspace-events" {
            return match crate::notify::parse_flags(value.as_bytes()) {
                Some(f) => {
                    self.notify_keyspace_events = f;
                    true
                }
                None => false,
            };
        }
        let value = value.trim();
        if name == "list-max-listpack-size" {
            return match value.parse::<i64>() {
                Ok(v) => {
                    self.list_max_listpack_size = v;
                    true
                }
                Err(_) => false,
            };
        }
        if name == "stream-node-max-entries" {
            return match value.parse::<i64>() {
                Ok(v) => {
                    self.stream_node_max_entries = v;
                    true
                }
                Err(_) => false,
            };
        }
        let field = match name.as_str() {
            "hash-max-listpack-entries" => &mut self.hash_max_listpack_entries,
            "hash-max-listpack-value" => &mut self.hash_max_listpack_value,
            "set-max-intset-entries" => &mut self.set_max_intset_entries,
            "zset-max-listpack-entries" => &mut self.zset_max_listpack_entries,
            "zset-max-listpack-value" => &mut self.zset_max_listpack_value,
            "hll-sparse-max-bytes" => &mut self.hll_sparse_max_bytes,
            "stream-node-max-bytes" => &mut self.stream_node_max_bytes,
            _ => return false,
        };
        match value.parse::<u64>() {
            Ok(v) => {
                *field = usize::try_from(v).unwrap_or(usize::MAX);
                true
            }
            Err(_) => false,
        }
    }

    /// Limits read from a configuration: `get(name)` returns a parameter's CONFIG GET text;
    /// parameters it does not know keep Redis's defaults.
    pub fn from_config(mut get: impl FnMut(&str) -> Option<String>) -> Self {
        let mut l = EncodingLimits::default();
        for name in EncodingLimits::PARAMS {
            if let Some(v) = get(name) {
                l.set_param(name, &v);
            }
        }
        l
    }

    /// The hash thresholds.
    pub fn hash(&self) -> HashLimits {
        HashLimits {
            max_listpack_entries: self.hash_max_listpack_entries,
            max_listpack_value: self.hash_max_listpack_value,
        }
    }

    /// The set threshold.
    pub fn set(&self) -> SetLimits {
        SetLimits {
            max_intset_entries: self.set_max_intset_entries,
        }
    }

    /// The stream node thresholds.
    pub fn stream(&self) -> crate::stream::StreamLimits {
        crate::stream::StreamLimits {
            node_max_bytes: self.stream_node_max_bytes,
            node_max_entries: self.stream_node_max_entries,
        }
    }

    /// The sorted-set thresholds.
    pub fn zset(&self) -> ZSetLimits {
        ZSetLimits {
            max_listpack_entries: self.zset_max_listpack_entries,
            max_listpack_value: self.zset_max_listpack_value,
        }
    }
}

impl Default for EncodingLimits {
    fn default() -> Self {
        EncodingLimits::REDIS_DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_per_type_defaults() {
        let l = EncodingLimits::default();
        assert_eq!(l.hash(), HashLimits::REDIS_DEFAULT);
        assert_eq!(l.set(), SetLimits::REDIS_DEFAULT);
        assert_eq!(l.zset(), ZSetLimits::default());
    }

    #[test]
    fn set_param_reads_names_aliases_and_rejects_others() {
        let mut l = EncodingLimits::default();
        assert!(l.set_param("HASH-MAX-ZIPLIST-ENTRIES", "2"));
        assert!(l.set_param("zset-max-listpack-value", "9"));
        assert!(l.set_param("list-max-listpack-size", "-3"));
        assert!(!l.set_param("maxmemory", "1"));
        assert!(!l.set_param("set-max-intset-entries", "x"));
        assert_eq!(
            (
                l.hash_max_listpack_entries,
                l.zset_max_listpack_value,
                l.list_max_listpack_size,
                l.set_max_intset_entries
            ),
            (2, 9, -3, 512)
        );
        let from =
            EncodingLimits::from_config(|n| (n == "set-max-intset-entries").then(|| "3".into()));
        assert_eq!(from.set_max_intset_entries, 3);
        assert_eq!(from.hash_max_listpack_entries, 512);
    }
}
