//! What the replica does with bytes from its master, state by state.

use bytes::Bytes;
use hashslot_types::Now;

use super::payload::{PayloadEvent, PayloadReader};
use super::{Expect, LinkState, ReplicaOutput, ReplicationReplica};
use crate::wire::{self, parse_i64, take_line};
use crate::ReplId;

/// Longest handshake reply line accepted.
const MAX_LINE: usize = 64 * 1024;

impl ReplicationReplica {
    /// Bytes read from the master connection.
    pub fn handle_read(&mut self, now: Now, bytes: &[u8]) {
        if matches!(self.state, LinkState::Connect | LinkState::Connecting) || bytes.is_empty() {
            return;
        }
        self.last_io = now.mono;
        self.inbuf.extend_from_slice(bytes);
        self.process(now);
    }

    /// Consume as much of `inbuf` as the state allows.
    pub(super) fn process(&mut self, now: Now) {
        loop {
            let progressed = match self.state {
                LinkState::ReceivePingReply
                | LinkState::Handshake
                | LinkState::ReceivePsyncReply => self.handshake_line(now),
                LinkState::Transfer => self.transfer(now),
                LinkState::Connected => self.stream(now),
                LinkState::Connect | LinkState::Connecting | LinkState::Loading => false,
            };
            if !progressed {
                return;
            }
        }
    }

    fn handshake_line(&mut self, now: Now) -> bool {
        let Some((line, used)) = take_line(&self.inbuf) else {
            if self.inbuf.len() > MAX_LINE {
                self.abort(now);
            }
            return false;
        };
        let line = line.to_vec();
        self.inbuf.drain(..used);
        match self.state {
            LinkState::ReceivePingReply => {
                // Ref: syncWithMaster: an auth error is fine here, AUTH follows.
                let ok = line.first() == Some(&b'+')
                    || line.starts_with(b"-NOAUTH")
                    || line.starts_with(b"-NOPERM")
                    || line.starts_with(b"-ERR operation not permitted");
                if !ok {
                    self.abort(now);
                    return false;
                }
                self.send_handshake();
            }
            LinkState::Handshake => {
                let expect = self.expect.pop_front();
                // Only an AUTH failure aborts; REPLCONF errors are tolerated.
                if expect == Some(Expect::Auth) && line.first() == Some(&b'-') {
                    self.abort(now);
                    return false;
                }
                if self.expect.is_empty() {
                    self.send_psync();
                }
            }
            LinkState::ReceivePsyncReply => return self.psync_reply(now, &line),
            _ => {}
        }
        true
    }

    fn send_handshake(&mut self) {
        let mut batch = Vec::new();
        if let Some(pass) = self.config.masterauth.clone() {
            match &self.config.masteruser {
                Some(user) => wire::encode_command(&[&b"AUTH"[..], user, &pass], &mut batch),
                None => wire::encode_command(&[&b"AUTH"[..], &pass], &mut batch),
            }
            self.expect.push_back(Expect::Auth);
        }
        let port = self.config.listening_port.to_string();
        wire::encode_command(&["REPLCONF", "listening-port", &port], &mut batch);
        self.expect.push_back(Expect::Port);
        if let Some(ip) = &self.config.announce_ip {
            wire::encode_command(&["REPLCONF", "ip-address", ip], &mut batch);
            self.expect.push_back(Expect::Ip);
        }
        wire::encode_command(&["REPLCONF", "capa", "eof", "capa", "psync2"], &mut batch);
        self.expect.push_back(Expect::Capa);
        self.state = LinkState::Handshake;
        self.send(batch);
    }

    fn send_psync(&mut self) {
        let (replid, offset) = if self.cached {
            (
                self.psync_replid().to_string(),
                (self.down.history.master_repl_offset + 1).to_string(),
            )
        } else {
            ("?".to_owned(), "-1".to_owned())
        };
        self.state = LinkState::ReceivePsyncReply;
        self.send(wire::command(&["PSYNC", &replid, &offset]));
    }

    fn psync_reply(&mut self, now: Now, line: &[u8]) -> bool {
        if line.is_empty() {
            return true; // a keepalive newline
        }
        if let Some(rest) = line.strip_prefix(b"+FULLRESYNC") {
            let mut parts = rest.split(|&b| b == b' ').filter(|p| !p.is_empty());
            let replid = parts.next().and_then(ReplId::from_wire);
            let offset = parts.next().and_then(parse_i64);
            let (Some(replid), Some(offset)) = (replid, offset) else {
                self.abort(now);
                return false;
            };
            // A full sync discards the cached master (`replicationDiscardCachedMaster`).
            self.cached = false;
            self.full = Some((replid, offset));
            self.pre_psync = false;
            self.start_transfer();
            return true;
        }
        if let Some(rest) = line.strip_prefix(b"+CONTINUE") {
            if !self.cached {
                self.abort(now);
                return false;
            }
            let new_id = rest.strip_prefix(b" ").and_then(ReplId::from_wire);
            let cached_id = self.psync_replid();
            if let Some(new_id) = new_id.filter(|id| *id != cached_id) {
                // The master changed history (a failover): the id we offered becomes
                // replid2 (Ref: slaveTryPartialResynchronization).
                self.down.history.replid2 = cached_id;
                self.down.history.second_replid_offset = self.down.history.master_repl_offset + 1;
                self.down.history.replid = new_id;
                self.master_replid = None;
                // Sub-replicas must learn the new id: they reconnect and continue with our
                // replid2 (Ref: slaveTryPartialResynchronization, "Disconnect all the
                // sub-slaves: they need to be notified").
                self.down.disconnect_replicas();
            }
            self.down
                .history
                .ensure_backlog(self.config.repl_backlog_size);
            self.state = LinkState::Connected;
            self.down_since = None;
            return true;
        }
        if line.starts_with(b"-NOMASTERLINK") || line.starts_with(b"-LOADING") {
            self.abort(now); // try again at the next cron
            return false;
        }
        if line.starts_with(b"-ERR") {
            // A master without PSYNC: fall back to SYNC, no offsets.
            self.cached = false;
            self.pre_psync = true;
            self.full = Some((self.down.history.replid, -1));
            self.send(wire::command(&["SYNC"]));
            self.start_transfer();
            return true;
        }
        self.abort(now);
        false
    }

    fn start_transfer(&mut self) {
        self.state = LinkState::Transfer;
        self.payload = Some(PayloadReader::new(self.config.max_rdb_payload));
    }

    fn transfer(&mut self, now: Now) -> bool {
        let Some(reader) = &mut self.payload else {
            return false;
        };
        let (event, used) = reader.feed(&self.inbuf);
        self.inbuf.drain(..used);
        match event {
            PayloadEvent::More => false,
            PayloadEvent::Failed(_) => {
                self.abort(now);
                false
            }
            PayloadEvent::Done(payload) => {
                self.usemark = reader.usemark;
                // A whole new dataset: our sub-replicas cannot continue with us either
                // (Ref: replicationAttachToNewMaster: disconnectSlaves, freeReplicationBacklog).
                self.down.disconnect_replicas();
                self.down.history.backlog = None;
                self.state = LinkState::Loading;
                let payload = Bytes::from(payload);
                self.out.push_back(ReplicaOutput::LoadRdb { payload });
                false
            }
        }
    }

    /// One command of the stream (`processInputBuffer` on the master client).
    fn stream(&mut self, now: Now) -> bool {
        let used = match self.parser.parse(&self.inbuf) {
            Ok(Some(n)) => n,
            Ok(None) => return false,
            Err(_) => {
                self.abort(now);
                return false;
            }
        };
        let argv: Vec<Bytes> = self
            .parser
            .args(&self.inbuf)
            .map(Bytes::copy_from_slice)
            .collect();
        self.parser.reset();
        let raw: Vec<u8> = self.inbuf.drain(..used).collect();
        let name = argv
            .first()
            .map(|a| a.to_ascii_uppercase())
            .unwrap_or_default();
        if let Some(held) = &mut self.multi {
            // Inside the master's transaction: held until EXEC (or DISCARD).
            held.raw.extend_from_slice(&raw);
            match name.as_slice() {
                b"EXEC" => self.release_multi(Some(argv)),
                b"DISCARD" => self.release_multi(None),
                // Queued as Redis queues it: the stream's db changes only at EXEC, so a
                // transaction dropped with the link, or a sub-replica's snapshot taken
                // while it is held, still sees the db of its MULTI.
                b"SELECT" => {
                    if let Some(db) = argv.get(1).and_then(|d| parse_i64(d)) {
                        held.cur_db = db;
                    }
                }
                _ => held.cmds.push((held.cur_db, argv)),
            }
            return true;
        }
        if name.as_slice() == b"MULTI" {
            self.multi = Some(HeldMulti {
                raw,
                db: self.db,
                cur_db: self.db,
                cmds: Vec::new(),
            });
            return true;
        }
        let before = self.down.history.master_repl_offset;
        // The offset moves past the command once it is processed; a GETACK reports the
        // offset before itself. The bytes go on to our sub-replicas as they came.
        self.down.feed_raw(raw);
        let after = self.down.history.master_repl_offset;
        match name.as_slice() {
            b"" | b"PING" => {}
            b"REPLCONF" => {
                let getack = argv
                    .get(1)
                    .is_some_and(|o| o.eq_ignore_ascii_case(b"getack"));
                if getack && !self.pre_psync {
                    let off = before.to_string();
                    self.send(wire::command(&["REPLCONF", "ACK", off.as_str()]));
                }
            }
            b"SELECT" => {
                if let Some(db) = argv.get(1).and_then(|d| parse_i64(d)) {
                    self.db = db;
                }
            }
            _ => self.out.push_back(ReplicaOutput::ApplyCommand {
                db: self.db,
                argv,
                offset: after,
            }),
        }
        true
    }
}

/// A transaction of the master's stream, held from its `MULTI` to its `EXEC`.
#[derive(Debug)]
pub(crate) struct HeldMulti {
    /// Its bytes so far, `MULTI` included.
    raw: Vec<u8>,
    /// The db of its `MULTI`.
    db: i64,
    /// The db its queued `SELECT`s leave (the stream's db once `EXEC` runs).
    cur_db: i64,
    /// Its commands, each with the db it runs on.
    cmds: Vec<(i64, Vec<Bytes>)>,
}

impl HeldMulti {
    /// Bytes held (read, not yet processed).
    pub(crate) fn len(&self) -> usize {
        self.raw.len()
    }
}

impl ReplicationReplica {
    /// The held transaction ended: with `EXEC` (its argv), hand out `MULTI`, the commands
    /// and `EXEC` together, so the driver runs them at once (and writes them to its AOF
    /// wrapped, as Redis's replica does); with `DISCARD` (`None`), nothing runs. Either way
    /// its bytes now count in the offset and go on to the sub-replicas.
    fn release_multi(&mut self, exec: Option<Vec<Bytes>>) {
        let Some(held) = self.multi.take() else {
            return;
        };
        let start = self.down.history.master_repl_offset;
        self.down.feed_raw(held.raw);
        let Some(exec) = exec else {
            return;
        };
        self.db = held.cur_db;
        // Offsets inside the transaction are not observable (Redis advances its replication
        // offset only after EXEC): its commands carry the offset before it, EXEC the one after.
        let multi = vec![Bytes::from_static(b"MULTI")];
        for (db, argv) in std::iter::once((held.db, multi)).chain(held.cmds) {
            self.out.push_back(ReplicaOutput::ApplyCommand {
                db,
                argv,
                offset: start,
            });
        }
        self.out.push_back(ReplicaOutput::ApplyCommand {
            db: self.db,
            argv: exec,
            offset: self.down.history.master_repl_offset,
        });
    }
}
