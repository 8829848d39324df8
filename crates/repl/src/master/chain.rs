//! The master machine inside a replica (chained replication): a replica serves its own
//! sub-replicas with the stream it reads from its master, proxied byte for byte, so they share
//! the top master's replication id and offsets.
//!
//! Ref: replication.c (7.0) `replicationFeedStreamFromMasterStream` (the proxy),
//! `replicationFeedSlaves` (returns at once on a replica), `disconnectSlaves` (called when the
//! replica's history changes: a full resync with its master in `replicationAttachToNewMaster`,
//! a `+CONTINUE` naming a new id, a promotion in `replicationUnsetMaster`), and
//! `replicationSetMaster` (a master that becomes a replica keeps its replicas: they may
//! continue with it once it continues with its new master).

use hashslot_types::ConnId;

use super::{MasterOutput, ReplicationMaster};

impl ReplicationMaster {
    /// Serve sub-replicas of a replica (`true`) or be a top-level master again (`false`).
    ///
    /// Becoming chained drops the blocked WAITs (the driver answers them: a replica does not
    /// count ACKs for its clients). Becoming a master again makes the next stream command
    /// start with a `SELECT` (Redis resets `slaveseldb` in `replicationUnsetMaster`).
    pub(crate) fn set_chained(&mut self, chained: bool) {
        if chained {
            self.waits.clear();
        } else {
            self.slaveseldb = -1;
        }
        self.chained = chained;
    }

    /// Redis's `disconnectSlaves`: close every replica (connections past their `SYNC`/`PSYNC`;
    /// those still in the `REPLCONF` handshake stay). They reconnect and ask to continue,
    /// which succeeds when the new history covers their position (a promotion's `replid2`).
    pub fn disconnect_replicas(&mut self) {
        let conns: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|s| s.is_replica())
            .map(|s| s.conn)
            .collect();
        for conn in conns {
            self.close(conn);
        }
    }

    /// Whether any connection is a replica (past its `SYNC`/`PSYNC`).
    pub fn has_replicas(&self) -> bool {
        self.sessions.iter().any(|s| s.is_replica())
    }

    /// The replica machine's stream bytes (whole commands), into this machine's backlog and to
    /// every sub-replica: `replicationFeedStreamFromMasterStream`.
    pub(crate) fn feed_raw(&mut self, bytes: Vec<u8>) {
        self.feed_stream(bytes);
    }

    /// A promoted replica's machine draws its EOF marks and ids from the node's generator.
    pub(crate) fn set_rng(&mut self, rng: hashslot_types::Rng) {
        self.rng = rng;
    }

    /// Answer `conn` with an error line (a chained machine refusing `PSYNC`).
    pub(crate) fn reply_error(&mut self, conn: ConnId, line: &str) {
        self.out.push_back(MasterOutput::Send {
            conn,
            bytes: format!("-{line}\r\n").into_bytes().into(),
        });
    }
}
