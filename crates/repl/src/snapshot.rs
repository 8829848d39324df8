//! The two things replication needs from persistence, as traits the node implements with
//! `hashslot-persist`: produce an RDB snapshot in chunks, and load an RDB payload.
//!
//! The state machines never call these themselves (they own no data): the master asks for a
//! snapshot with [`MasterOutput::StartSnapshot`](crate::MasterOutput::StartSnapshot) and takes
//! its bytes through [`ReplicationMaster::handle_snapshot_chunk`]; the replica hands the payload
//! out as [`ReplicaOutput::LoadRdb`](crate::ReplicaOutput::LoadRdb) and is told the result with
//! [`ReplicationReplica::handle_rdb_loaded`]. [`pump_snapshot`] and [`load_rdb`] connect the two
//! for a node whose snapshot and load run synchronously.

use hashslot_types::Now;

use crate::{ReplicationMaster, ReplicationReplica, SnapshotId};

/// An RDB snapshot being produced, piece by piece (an incremental RDB writer over the
/// dataset as it was when the snapshot started).
pub trait RdbSnapshot {
    /// Why production failed.
    type Error: std::fmt::Display;

    /// Append the next piece of the RDB file to `out`. Returns `Ok(true)` once the file is
    /// complete (the last piece, ending with the CRC-64 trailer, has been appended).
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, Self::Error>;
}

/// Something that replaces a dataset with the contents of an RDB payload (flush, then load).
pub trait RdbLoad {
    /// Why loading failed (bad magic, bad CRC, unknown type…).
    type Error: std::fmt::Display;

    /// Replace the dataset with `payload`, a whole RDB file.
    fn load_rdb(&mut self, payload: &[u8]) -> Result<(), Self::Error>;
}

/// A finished RDB file held in memory, handed out in pieces of `chunk` bytes.
#[derive(Debug, Clone)]
pub struct BytesSnapshot {
    bytes: Vec<u8>,
    pos: usize,
    chunk: usize,
}

impl BytesSnapshot {
    /// A snapshot of `bytes`, in pieces of at most `chunk` bytes (at least 1).
    pub fn new(bytes: Vec<u8>, chunk: usize) -> Self {
        BytesSnapshot {
            bytes,
            pos: 0,
            chunk: chunk.max(1),
        }
    }
}

impl RdbSnapshot for BytesSnapshot {
    type Error = std::convert::Infallible;

    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, Self::Error> {
        let end = (self.pos + self.chunk).min(self.bytes.len());
        out.extend_from_slice(&self.bytes[self.pos..end]);
        self.pos = end;
        Ok(self.pos == self.bytes.len())
    }
}

/// Run `snapshot` to the end, feeding every piece to `master` as snapshot `id`, then end it
/// (or fail it, returning the error). The caller drains `master.poll_output()` afterwards; a
/// node that produces snapshots across event-loop turns calls the handlers itself instead.
pub fn pump_snapshot<S: RdbSnapshot>(
    master: &mut ReplicationMaster,
    now: Now,
    id: SnapshotId,
    snapshot: &mut S,
) -> Result<(), S::Error> {
    let mut piece = Vec::new();
    loop {
        piece.clear();
        match snapshot.next_chunk(&mut piece) {
            Ok(done) => {
                master.handle_snapshot_chunk(now, id, &piece);
                if done {
                    master.handle_snapshot_end(now, id);
                    return Ok(());
                }
            }
            Err(e) => {
                master.handle_snapshot_failed(now, id);
                return Err(e);
            }
        }
    }
}

/// Load `payload` with `loader` and report the result to `replica`.
pub fn load_rdb<L: RdbLoad>(
    replica: &mut ReplicationReplica,
    now: Now,
    loader: &mut L,
    payload: &[u8],
) -> Result<(), L::Error> {
    let result = loader.load_rdb(payload);
    replica.handle_rdb_loaded(now, result.is_ok());
    result
}
