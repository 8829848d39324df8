//! State both roles share: the replication ids, the offset and the backlog (Redis keeps them in
//! `server` whatever the role, which is what lets a promoted replica serve partial resyncs).

use hashslot_types::Rng;

use crate::{Backlog, ReplId};

/// The replication history a node holds, whether it is a master or a replica.
///
/// Ref: `server.h` (`replid`, `replid2`, `master_repl_offset`, `second_replid_offset`,
/// `repl_backlog`).
#[derive(Debug, Clone)]
pub struct ReplHistory {
    /// `master_replid`: the id of the history this node's data follows.
    pub replid: ReplId,
    /// `master_replid2`: the id of the previous history (after a promotion), or zeros.
    pub replid2: ReplId,
    /// `master_repl_offset`: bytes of the stream this node holds.
    pub master_repl_offset: i64,
    /// `second_repl_offset`: the last offset + 1 up to which `replid2` is valid, or -1.
    pub second_replid_offset: i64,
    /// The backlog, once one exists (`repl_backlog_active`).
    pub backlog: Option<Backlog>,
}

impl ReplHistory {
    /// A fresh history: a random id, offset 0, no backlog (a master that just started).
    pub fn new(rng: &mut Rng) -> Self {
        ReplHistory {
            replid: ReplId::random(rng),
            replid2: ReplId::ZERO,
            master_repl_offset: 0,
            second_replid_offset: -1,
            backlog: None,
        }
    }

    /// The history an RDB file's aux fields (`repl-id`, `repl-offset`) describe, as loaded at
    /// startup, so that a restarted node can still partially resync.
    pub fn restored(replid: ReplId, master_repl_offset: i64) -> Self {
        ReplHistory {
            replid,
            replid2: ReplId::ZERO,
            master_repl_offset,
            second_replid_offset: -1,
            backlog: None,
        }
    }

    /// Redis's `changeReplicationId`: a new id for a new history.
    pub fn change_replication_id(&mut self, rng: &mut Rng) {
        self.replid = ReplId::random(rng);
    }

    /// Redis's `clearReplicationId2`.
    pub fn clear_replication_id2(&mut self) {
        self.replid2 = ReplId::ZERO;
        self.second_replid_offset = -1;
    }

    /// Redis's `shiftReplicationId`: the current id becomes `replid2`, valid up to
    /// `master_repl_offset + 1`, and a new id starts. Used on promotion, so the old master's
    /// other replicas can `PSYNC <old id> <offset+1>` and continue.
    pub fn shift_replication_id(&mut self, rng: &mut Rng) {
        self.replid2 = self.replid;
        // The replica that asks for offset+1 has exactly our data; anything later is a
        // different history.
        self.second_replid_offset = self.master_repl_offset + 1;
        self.change_replication_id(rng);
    }

    /// Append bytes to the stream: the backlog (if any) and the offset. Redis advances the
    /// offset only through the backlog, so without one the offset stays put.
    pub(crate) fn append(&mut self, bytes: &[u8]) {
        if let Some(backlog) = &mut self.backlog {
            backlog.append(bytes);
            self.master_repl_offset += bytes.len() as i64;
        }
    }

    /// Create the backlog if missing (`createReplicationBacklog`); returns whether it was made.
    pub(crate) fn ensure_backlog(&mut self, size: usize) -> bool {
        if self.backlog.is_some() {
            return false;
        }
        self.backlog = Some(Backlog::new(size, self.master_repl_offset));
        true
    }

    /// Whether `PSYNC replid psync_offset` may continue this history (`masterTryPartialResynchronization`).
    pub fn can_continue(&self, replid: &[u8], psync_offset: i64) -> bool {
        let same = replid == self.replid.as_bytes();
        let previous = replid == self.replid2.as_bytes()
            && self.replid2 != ReplId::ZERO
            && psync_offset <= self.second_replid_offset;
        (same || previous)
            && self
                .backlog
                .as_ref()
                .is_some_and(|b| b.covers(psync_offset))
    }

    /// The INFO lines from `master_failover_state` to `repl_backlog_histlen`, common to roles.
    /// `repl_backlog_size` is the configured size, shown even while no backlog exists.
    pub(crate) fn info_tail(&self, backlog_size: usize, out: &mut String) {
        use std::fmt::Write;
        let (active, first, hist) = match &self.backlog {
            Some(b) => (1, b.first_byte_offset(), b.histlen()),
            None => (0, 0, 0),
        };
        let _ = write!(
            out,
            "master_failover_state:no-failover\r\n\
             master_replid:{}\r\n\
             master_replid2:{}\r\n\
             master_repl_offset:{}\r\n\
             second_repl_offset:{}\r\n\
             repl_backlog_active:{active}\r\n\
             repl_backlog_size:{backlog_size}\r\n\
             repl_backlog_first_byte_offset:{first}\r\n\
             repl_backlog_histlen:{hist}\r\n",
            self.replid, self.replid2, self.master_repl_offset, self.second_replid_offset,
        );
    }
}
