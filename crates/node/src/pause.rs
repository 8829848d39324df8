//! Client pauses: `CLIENT PAUSE timeout [WRITE|ALL]` and a manual failover's write pause.
//! Ref: networking.c pauseClients / unpauseClients / updateClientPauseTypeAndEndTime and
//! server.c processCommand (7.0).
//!
//! Each purpose keeps its own pause (type and end); the one in force is the most restrictive
//! type among those not yet over, until the furthest end among that type. `CLIENT UNPAUSE`
//! ends only the client command's pause, so it cannot cut a failover's short. A paused request
//! stays in its client's query buffer (Redis's `BLOCKED_POSTPONE`) and runs once the pause in
//! force no longer holds it; replicas' connections are never paused.

use hashslot_keyspace::flags;
use hashslot_types::{ConnId, Instant, Now};

use crate::session::Client;
use crate::table::Lookup;
use crate::Node;

/// Why clients are paused (Redis's `pause_purpose`, less the shutdown one: our SHUTDOWN does
/// not wait for replicas with a pause).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PausePurpose {
    /// `CLIENT PAUSE`.
    ClientCommand = 0,
    /// A manual failover, while the replica catches up with this master's offset.
    Failover = 1,
}

/// What a pause holds back, least restrictive first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PauseType {
    /// Commands that write or may replicate (and EXEC of a transaction holding one).
    Write,
    /// Every command.
    All,
}

/// The pause of each purpose.
#[derive(Debug, Default)]
pub(crate) struct Pauses {
    by_purpose: [Option<(Instant, PauseType)>; 2],
}

impl Pauses {
    /// Pause for `purpose` until `end` (merged with a pause of the same purpose: the later end
    /// and the more restrictive type win, as Redis merges them).
    pub(crate) fn pause(&mut self, purpose: PausePurpose, end: Instant, ty: PauseType) {
        let slot = &mut self.by_purpose[purpose as usize];
        *slot = Some(match *slot {
            Some((e, t)) => (e.max(end), t.max(ty)),
            None => (end, ty),
        });
    }

    /// End `purpose`'s pause; whether there was one.
    pub(crate) fn unpause(&mut self, purpose: PausePurpose) -> bool {
        self.by_purpose[purpose as usize].take().is_some()
    }

    /// The pause in force at `now`: its type and end.
    pub(crate) fn in_force(&self, now: Instant) -> Option<(PauseType, Instant)> {
        let live = || self.by_purpose.iter().flatten().filter(|(e, _)| *e > now);
        let ty = live().map(|&(_, t)| t).max()?;
        let end = live().filter(|(_, t)| *t == ty).map(|&(e, _)| e).max()?;
        Some((ty, end))
    }

    /// Whether lazy expiry must keep the dataset static for a command of connection `conn` at
    /// `now` (the keyspace `Ctx::keep_expired` mode): while a pause is in force a key a read
    /// finds expired reads as missing but is not deleted, so no DEL reaches the AOF or replicas,
    /// no `expired` event or tracking invalidation goes out, WATCH and blocked clients see no
    /// change and `expired_keys` stays; the key expires normally once the pause is over. The
    /// master link's commands on a replica are exempt: the master's stream applies as sent.
    /// Ref: db.c expireIfNeeded and networking.c checkClientPauseTimeoutAndReturnIfPaused (7.0).
    pub(crate) fn keep_dataset(&self, now: Now, conn: ConnId) -> bool {
        conn != crate::replication::MASTER_CLIENT_CONN && self.in_force(now.mono).is_some()
    }

    /// The earliest end still to come: when held requests may have to run again.
    pub(crate) fn next_end(&self) -> Option<Instant> {
        self.by_purpose.iter().flatten().map(|&(e, _)| e).min()
    }

    /// Forget the pauses over at `now`; whether one was.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        let mut any = false;
        for p in &mut self.by_purpose {
            if p.is_some_and(|(e, _)| e <= now) {
                *p = None;
                any = true;
            }
        }
        any
    }
}

impl Node {
    /// Pause clients for `purpose` until `end`.
    pub(crate) fn pause_clients(&mut self, purpose: PausePurpose, end: Instant, ty: PauseType) {
        self.repl.pauses.pause(purpose, end, ty);
    }

    /// End `purpose`'s pause and run the requests it no longer holds.
    pub(crate) fn unpause_clients(&mut self, now: Now, purpose: PausePurpose) {
        if self.repl.pauses.unpause(purpose) {
            self.rerun_waiting_input(now);
        }
    }

    /// A pause timer fired: forget the pauses that are over and run what they held.
    pub(crate) fn pause_timeout(&mut self, now: Now) {
        if self.repl.pauses.expire(now.mono) {
            self.rerun_waiting_input(now);
        }
    }

    /// Run again the input of every client whose request waited in its query buffer for a
    /// pause or a MIGRATE (it may be held again by what still holds it).
    pub(crate) fn rerun_waiting_input(&mut self, now: Now) {
        let waiting: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|(_, s)| !s.qbuf.is_empty() && !s.closing && !s.client.is_waiting())
            .map(|(c, _)| *c)
            .collect();
        self.blocking.unblocked.extend(waiting);
        self.process_unblocked(now);
    }

    /// Whether `client`'s request `args` must wait in its query buffer for the pause in force.
    /// Ref: server.c processCommand: with `ALL` everything waits, with `WRITE` the commands
    /// flagged write or may-replicate and an EXEC whose queue holds one; replicas never wait.
    pub(crate) fn pause_holds_request(&self, now: Now, client: &Client, args: &[&[u8]]) -> bool {
        let Some((ty, _)) = self.repl.pauses.in_force(now.mono) else {
            return false;
        };
        if args.is_empty() || self.repl.is_replica_conn(client.conn) {
            return false;
        }
        if ty == PauseType::All {
            return true;
        }
        let Lookup::Found(idx) = self.table.lookup(args) else {
            return false;
        };
        let replicates =
            |idx: usize| self.table.entries[idx].flags & (flags::WRITE | flags::MAY_REPLICATE) != 0;
        if replicates(idx) {
            return true;
        }
        self.table.entries[idx].name == "exec"
            && client
                .multi
                .as_ref()
                .is_some_and(|m| m.queued.iter().any(|q| replicates(q.idx)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashslot_types::UnixMillis;

    fn at(ms: u64) -> Now {
        Now::new(Instant::from_nanos(ms * 1_000_000), UnixMillis(ms as i64))
    }

    /// A manual failover's write pause keeps the dataset static like CLIENT PAUSE does, until
    /// it ends; the master link is never held to it.
    #[test]
    fn keep_dataset_follows_any_pause_in_force() {
        let mut p = Pauses::default();
        let client = ConnId(1);
        assert!(!p.keep_dataset(at(0), client));
        p.pause(PausePurpose::Failover, at(100).mono, PauseType::Write);
        assert!(p.keep_dataset(at(50), client));
        assert!(!p.keep_dataset(at(50), crate::replication::MASTER_CLIENT_CONN));
        assert!(!p.keep_dataset(at(100), client));
        p.pause(PausePurpose::ClientCommand, at(300).mono, PauseType::All);
        assert!(p.keep_dataset(at(200), client));
        assert!(p.unpause(PausePurpose::ClientCommand));
        assert!(!p.keep_dataset(at(200), client));
    }
}
