//! One database: keys to values, with a per-slot index and an expiry index.

/// One Redis database (`db0`…). The keyspace helper fills this in.
#[derive(Debug, Default)]
pub struct Db {}

impl Db {
    /// An empty database.
    pub fn new() -> Self {
        Db {}
    }

    /// Number of keys (`DBSIZE`), counting keys that expired but were not yet removed.
    pub fn len(&self) -> usize {
        0
    }

    /// Whether the database holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
