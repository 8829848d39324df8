//! PSYNC/SYNC: partial resync from the backlog, or a full resync through a snapshot.

use bytes::Bytes;
use hashslot_types::{ConnId, Now};

use super::{MasterOutput, ReplicaState, ReplicationMaster, Snapshot, SnapshotId, SnapshotTarget};
use crate::replid::random_hex;
use crate::wire::parse_i64;

impl ReplicationMaster {
    /// `PSYNC <replid> <offset>` or `SYNC` from `conn`.
    ///
    /// Ref: `replication.c` `syncCommand`, `masterTryPartialResynchronization`.
    pub fn handle_psync(&mut self, now: Now, conn: ConnId, peer_ip: &str, argv: &[&[u8]]) {
        // A replica that repeats SYNC/PSYNC is ignored, as Redis does.
        if self.is_replica(conn) {
            return;
        }
        let is_psync = argv
            .first()
            .is_some_and(|c| c.eq_ignore_ascii_case(b"psync"));
        if (is_psync && argv.len() < 3) || (!is_psync && argv.len() != 1) {
            let name = if is_psync { "psync" } else { "sync" };
            let msg = format!("-ERR wrong number of arguments for '{name}' command\r\n");
            return self.reply(conn, msg.as_bytes());
        }
        if is_psync {
            let Some(psync_offset) = parse_i64(argv[2]) else {
                return self.reply(conn, b"-ERR value is not an integer or out of range\r\n");
            };
            if self.history.can_continue(argv[1], psync_offset) {
                self.stats.sync_partial_ok += 1;
                return self.continue_replica(now, conn, peer_ip, psync_offset);
            }
            // `?` asks for a full sync outright; any other id was a failed attempt.
            if argv[1].first() != Some(&b'?') {
                self.stats.sync_partial_err += 1;
            }
        }
        self.stats.sync_full += 1;
        // Full resynchronization.
        let s = self.session_or_insert(now, conn, peer_ip);
        s.state = ReplicaState::WaitBgsaveStart;
        s.pre_psync = !is_psync;
        s.since = now.mono;
        s.ack_time = now.mono;
        let capa_eof = s.capa_eof;
        self.move_to_end(conn);
        let replicas = self.sessions.iter().filter(|s| s.is_replica()).count();
        // A replica's backlog exists whenever its link is up (the only time it serves), and
        // its id is its master's: it never starts a history of its own.
        if replicas == 1 && self.history.backlog.is_none() && !self.chained {
            // A new backlog starts a new history: a replica that had our old id would
            // otherwise continue across a gap. Ref: syncCommand, "create the backlog".
            self.history.change_replication_id(&mut self.rng);
            self.history.clear_replication_id2();
            self.history.ensure_backlog(self.config.repl_backlog_size);
        }
        let delayed = self.config.repl_diskless_sync
            && capa_eof
            && !self.config.repl_diskless_sync_delay.is_zero();
        if self.snapshot.is_none() && !delayed {
            self.start_snapshot();
        }
    }

    fn continue_replica(&mut self, now: Now, conn: ConnId, peer_ip: &str, psync_offset: i64) {
        let replid = self.history.replid;
        let tail = self
            .history
            .backlog
            .as_ref()
            .and_then(|b| b.tail_from(psync_offset))
            .unwrap_or_default();
        let s = self.session_or_insert(now, conn, peer_ip);
        s.state = ReplicaState::Online;
        s.ack_time = now.mono;
        s.since = now.mono;
        s.start_on_ack = false;
        let mut bytes = if s.capa_psync2 {
            format!("+CONTINUE {replid}\r\n").into_bytes()
        } else {
            b"+CONTINUE\r\n".to_vec()
        };
        bytes.extend_from_slice(&tail);
        self.move_to_end(conn);
        self.out.push_back(MasterOutput::Send {
            conn,
            bytes: bytes.into(),
        });
    }

    fn move_to_end(&mut self, conn: ConnId) {
        if let Some(i) = self.sessions.iter().position(|s| s.conn == conn) {
            let s = self.sessions.remove(i);
            self.sessions.push(s);
        }
    }

    /// Start a snapshot for every replica waiting for one (`startBgsaveForReplication`).
    pub(super) fn start_snapshot(&mut self) {
        let waiting: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|s| s.state == ReplicaState::WaitBgsaveStart)
            .map(|s| s.conn)
            .collect();
        if waiting.is_empty() || self.snapshot.is_some() {
            return;
        }
        let all_eof = self
            .sessions
            .iter()
            .filter(|s| s.state == ReplicaState::WaitBgsaveStart)
            .all(|s| s.capa_eof);
        let target = if self.config.repl_diskless_sync && all_eof {
            SnapshotTarget::Socket
        } else {
            SnapshotTarget::Disk
        };
        let id = SnapshotId(self.next_snapshot);
        self.next_snapshot += 1;
        let eof_mark = random_hex(&mut self.rng);
        let (replid, offset) = (self.history.replid, self.history.master_repl_offset);
        for s in self
            .sessions
            .iter_mut()
            .filter(|s| s.state == ReplicaState::WaitBgsaveStart)
        {
            s.state = ReplicaState::WaitBgsaveEnd;
            s.pending.clear();
            let mut head = Vec::new();
            if !s.pre_psync {
                head.extend_from_slice(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
            }
            if target == SnapshotTarget::Socket {
                head.extend_from_slice(b"$EOF:");
                head.extend_from_slice(&eof_mark);
                head.extend_from_slice(b"\r\n");
            }
            if !head.is_empty() {
                self.out.push_back(MasterOutput::Send {
                    conn: s.conn,
                    bytes: head.into(),
                });
            }
        }
        // The replicas' stream starts right after the snapshot, from an unknown db.
        self.slaveseldb = -1;
        self.snapshot = Some(Snapshot {
            id,
            target,
            eof_mark,
            members: waiting,
            buf: Vec::new(),
        });
        self.out.push_back(MasterOutput::StartSnapshot {
            id,
            target,
            replid,
            offset,
        });
    }

    /// The next piece of snapshot `id`'s RDB bytes.
    pub fn handle_snapshot_chunk(&mut self, _now: Now, id: SnapshotId, bytes: &[u8]) {
        let Some(snap) = self.snapshot.as_mut().filter(|s| s.id == id) else {
            return;
        };
        match snap.target {
            SnapshotTarget::Disk => snap.buf.extend_from_slice(bytes),
            SnapshotTarget::Socket if !bytes.is_empty() => {
                let bytes = Bytes::copy_from_slice(bytes);
                for &conn in &snap.members {
                    self.out.push_back(MasterOutput::Send {
                        conn,
                        bytes: bytes.clone(),
                    });
                }
            }
            SnapshotTarget::Socket => {}
        }
    }

    /// Snapshot `id` is complete: finish its replicas' payloads and bring them online.
    pub fn handle_snapshot_end(&mut self, now: Now, id: SnapshotId) {
        if !self.snapshot.as_ref().is_some_and(|s| s.id == id) {
            return;
        }
        let Some(snap) = self.snapshot.take() else {
            return;
        };
        let payload = match snap.target {
            SnapshotTarget::Disk => {
                let mut p = format!("${}\r\n", snap.buf.len()).into_bytes();
                p.extend_from_slice(&snap.buf);
                Bytes::from(p)
            }
            SnapshotTarget::Socket => Bytes::copy_from_slice(&snap.eof_mark),
        };
        for conn in snap.members {
            let Some(s) = self.sessions.iter_mut().find(|s| s.conn == conn) else {
                continue;
            };
            self.out.push_back(MasterOutput::Send {
                conn,
                bytes: payload.clone(),
            });
            s.state = ReplicaState::Online;
            s.ack_time = now.mono;
            if snap.target == SnapshotTarget::Socket && !s.pre_psync {
                // Ref: 7.0 `repl_start_cmd_stream_on_ack`: the replica must load before the
                // stream resumes, and says so with its first ACK.
                s.start_on_ack = true;
            } else {
                let pending = std::mem::take(&mut s.pending);
                if !pending.is_empty() {
                    self.out.push_back(MasterOutput::Send {
                        conn,
                        bytes: pending.into(),
                    });
                }
            }
        }
        // Replicas that arrived during this snapshot get the next one at once.
        self.start_snapshot();
    }

    /// Snapshot `id` could not be produced: its replicas are dropped (they will retry).
    pub fn handle_snapshot_failed(&mut self, _now: Now, id: SnapshotId) {
        if !self.snapshot.as_ref().is_some_and(|s| s.id == id) {
            return;
        }
        if let Some(snap) = self.snapshot.take() {
            for conn in snap.members {
                self.close(conn);
            }
        }
    }
}
