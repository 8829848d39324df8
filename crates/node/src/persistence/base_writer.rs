//! The writer of a snapshot: an RDB file (BGSAVE, and an AOF base with
//! `aof-use-rdb-preamble yes`) or an AOF base in command form (`aof-use-rdb-preamble no`,
//! Redis's `rewriteAppendOnlyFileRio`). Both are written key by key by the copy-on-write
//! BGSAVE machinery (see `persistence`), which does not care which one it feeds.

use hashslot_keyspace::ValueRef;
use hashslot_persist::{AofWriter, RdbWriter, SaveError};

/// One of the two snapshot formats.
#[derive(Debug)]
pub(crate) enum SnapshotWriter {
    Rdb(RdbWriter),
    Aof(AofWriter),
}

impl SnapshotWriter {
    pub(crate) fn write_function(&mut self, code: &[u8]) {
        match self {
            SnapshotWriter::Rdb(w) => w.write_function(code),
            SnapshotWriter::Aof(w) => w.write_function(code),
        }
    }

    /// Start database `db`; `keys` and `expires` are the RDB's size hints.
    pub(crate) fn select_db(&mut self, db: u32, keys: u64, expires: u64) {
        match self {
            SnapshotWriter::Rdb(w) => w.select_db(db, keys, expires),
            SnapshotWriter::Aof(w) => w.select_db(db),
        }
    }

    pub(crate) fn write_key(
        &mut self,
        key: &[u8],
        value: ValueRef<'_>,
        expire_ms: Option<i64>,
    ) -> Result<(), SaveError> {
        match self {
            SnapshotWriter::Rdb(w) => w.write_key(key, value, expire_ms),
            SnapshotWriter::Aof(w) => w.write_key(key, value, expire_ms),
        }
    }

    pub(crate) fn pending(&self) -> usize {
        match self {
            SnapshotWriter::Rdb(w) => w.pending(),
            SnapshotWriter::Aof(w) => w.pending(),
        }
    }

    pub(crate) fn take_output(&mut self) -> Vec<u8> {
        match self {
            SnapshotWriter::Rdb(w) => w.take_output(),
            SnapshotWriter::Aof(w) => w.take_output(),
        }
    }

    /// The last bytes of the file (RDB: `EOF` and the checksum).
    pub(crate) fn finish(self) -> Vec<u8> {
        match self {
            SnapshotWriter::Rdb(w) => w.finish(),
            SnapshotWriter::Aof(w) => w.finish(),
        }
    }
}
