//! The master's timers (`replicationCron`) and WAIT.

use std::time::Duration;

use hashslot_types::{ConnId, Now};

use super::{MasterOutput, ReplicaState, ReplicationMaster, SnapshotTarget, Wait, CRON_PERIOD};
use crate::wire;

impl ReplicationMaster {
    /// Run what is due: the once-a-second cron (PING into the stream every
    /// `repl-ping-replica-period`, `\n` keepalives to replicas waiting for a disk snapshot,
    /// `repl-timeout` for silent replicas, the delayed diskless start) and WAIT deadlines.
    pub fn handle_timeout(&mut self, now: Now) {
        if now.mono >= self.cron_at {
            self.cron_at = now.mono + CRON_PERIOD;
            self.cron(now);
        }
        let mut i = 0;
        while i < self.waits.len() {
            if self.waits[i].deadline.is_some_and(|d| now.mono >= d) {
                let w = self.waits.remove(i);
                let replicas = self.count_acks(w.offset);
                self.out.push_back(MasterOutput::WaitReply {
                    client: w.client,
                    replicas,
                });
            } else {
                i += 1;
            }
        }
    }

    fn cron(&mut self, now: Now) {
        if now.mono >= self.next_ping {
            self.next_ping = now.mono + self.config.repl_ping_replica_period;
            // A replica proxies its master's PINGs instead of making its own.
            if !self.chained && self.sessions.iter().any(|s| s.is_replica()) {
                self.feed_stream(wire::command(&["PING"]));
            }
        }
        let disk_snapshot = self
            .snapshot
            .as_ref()
            .is_some_and(|s| s.target == SnapshotTarget::Disk);
        let mut keepalive = Vec::new();
        let mut timed_out = Vec::new();
        for s in &self.sessions {
            match s.state {
                ReplicaState::WaitBgsaveStart => keepalive.push(s.conn),
                ReplicaState::WaitBgsaveEnd if disk_snapshot => keepalive.push(s.conn),
                ReplicaState::Online
                    if !s.pre_psync
                        && now.mono.saturating_duration_since(s.ack_time)
                            > self.config.repl_timeout =>
                {
                    timed_out.push(s.conn)
                }
                _ => {}
            }
        }
        for conn in keepalive {
            self.reply(conn, b"\n");
        }
        for conn in timed_out {
            self.close(conn);
        }
        if self.snapshot.is_none() {
            let max_idle = self
                .sessions
                .iter()
                .filter(|s| s.state == ReplicaState::WaitBgsaveStart)
                .map(|s| now.mono.saturating_duration_since(s.since))
                .max();
            if max_idle.is_some_and(|idle| idle >= self.config.repl_diskless_sync_delay) {
                self.start_snapshot();
            }
        }
    }

    /// `WAIT numreplicas timeout` from `client`, whose last write left the stream at
    /// `client_offset` (the node records [`master_repl_offset`](Self::master_repl_offset) after
    /// each of a client's writes). `timeout` `None` waits forever. The reply comes as
    /// [`MasterOutput::WaitReply`], at once when enough replicas already acknowledged;
    /// otherwise `REPLCONF GETACK *` goes into the stream.
    ///
    /// Ref: `replication.c` `waitCommand`, `replicationCountAcksByOffset`.
    pub fn handle_wait(
        &mut self,
        now: Now,
        client: ConnId,
        numreplicas: i64,
        timeout: Option<Duration>,
        client_offset: i64,
    ) {
        let acked = self.count_acks(client_offset);
        if acked >= numreplicas {
            self.out.push_back(MasterOutput::WaitReply {
                client,
                replicas: acked,
            });
            return;
        }
        self.waits.push(Wait {
            client,
            numreplicas,
            offset: client_offset,
            deadline: timeout.map(|t| now.mono + t),
        });
        // Redis batches this to once per event-loop turn (beforeSleep); one per WAIT here.
        self.feed_stream(wire::command(&["REPLCONF", "GETACK", "*"]));
    }

    /// Online replicas whose acknowledged offset reached `offset`.
    pub fn count_acks(&self, offset: i64) -> i64 {
        self.sessions
            .iter()
            .filter(|s| s.state == ReplicaState::Online && s.ack_offset >= offset)
            .count() as i64
    }

    pub(super) fn process_waits(&mut self) {
        let mut i = 0;
        while i < self.waits.len() {
            let acked = self.count_acks(self.waits[i].offset);
            if acked >= self.waits[i].numreplicas {
                let w = self.waits.remove(i);
                self.out.push_back(MasterOutput::WaitReply {
                    client: w.client,
                    replicas: acked,
                });
            } else {
                i += 1;
            }
        }
    }
}
