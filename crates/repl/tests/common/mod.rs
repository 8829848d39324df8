//! In-process harness: one master state machine, replicas, byte pipes, virtual time.
#![allow(dead_code)]

pub mod real;

use bytes::Bytes;
use hashslot_repl::*;
use hashslot_resp::{Limits, RequestParser};
use hashslot_types::{ConnId, Instant, Now, Rng, UnixMillis};

/// An empty RDB v10 file: magic, EOF opcode, CRC-64/Redis of both, little-endian.
pub fn empty_rdb() -> Vec<u8> {
    let mut rdb = b"REDIS0010\xff".to_vec();
    let crc = crc::Crc::<u64>::new(&crc::CRC_64_REDIS).checksum(&rdb);
    rdb.extend_from_slice(&crc.to_le_bytes());
    rdb
}

pub fn t0() -> Now {
    Now::new(
        Instant::from_nanos(1_000_000_000),
        UnixMillis(1_700_000_000_000),
    )
}

#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub db: i64,
    pub argv: Vec<Vec<u8>>,
    pub offset: i64,
}

pub struct Rep {
    pub sm: ReplicationReplica,
    pub conn: ConnId,
    /// The TCP link is up (bytes flow both ways).
    pub link: bool,
    /// Network partition: bytes are dropped, nobody notices.
    pub cut: bool,
    pub applied: Vec<Applied>,
    pub loads: Vec<Bytes>,
    /// Every byte this replica received from the master (for chunking tests).
    pub received: Vec<u8>,
    /// Bytes on their way to the master's request parser.
    inbox: Vec<u8>,
}

pub struct Net {
    pub now: Now,
    pub master: ReplicationMaster,
    pub reps: Vec<Rep>,
    pub rdb: Vec<u8>,
    pub snapshots: usize,
    pub wait_replies: Vec<(ConnId, i64)>,
    pub closed_by_master: Vec<ConnId>,
    next_conn: u64,
}

impl Net {
    pub fn new(config: MasterConfig) -> Self {
        let now = t0();
        Net {
            now,
            master: ReplicationMaster::new(now, config, Rng::from_seed(11)),
            reps: Vec::new(),
            rdb: empty_rdb(),
            snapshots: 0,
            wait_replies: Vec::new(),
            closed_by_master: Vec::new(),
            next_conn: 100,
        }
    }

    pub fn with_master(now: Now, master: ReplicationMaster) -> Self {
        Net {
            now,
            master,
            reps: Vec::new(),
            rdb: empty_rdb(),
            snapshots: 0,
            wait_replies: Vec::new(),
            closed_by_master: Vec::new(),
            next_conn: 1000,
        }
    }

    pub fn disk() -> Self {
        Self::new(MasterConfig {
            repl_diskless_sync: false,
            ..MasterConfig::default()
        })
    }

    pub fn add_replica(&mut self, config: ReplicaConfig) -> usize {
        let history = ReplHistory::new(&mut Rng::from_seed(100 + self.reps.len() as u64));
        let sm = ReplicationReplica::new(self.now, config, history, "127.0.0.1", 6379);
        self.push(sm)
    }

    pub fn push(&mut self, sm: ReplicationReplica) -> usize {
        self.next_conn += 1;
        self.reps.push(Rep {
            sm,
            conn: ConnId(self.next_conn),
            link: false,
            cut: false,
            applied: Vec::new(),
            loads: Vec::new(),
            received: Vec::new(),
            inbox: Vec::new(),
        });
        self.pump();
        self.reps.len() - 1
    }

    /// Move both state machines until nothing more happens.
    pub fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut busy = false;
            for i in 0..self.reps.len() {
                while let Some(o) = self.reps[i].sm.poll_output() {
                    busy = true;
                    self.replica_output(i, o);
                }
                busy |= self.serve(i);
            }
            while let Some(o) = self.master.poll_output() {
                busy = true;
                self.master_output(o);
            }
            if !busy {
                return;
            }
        }
        panic!("no quiescence");
    }

    fn replica_output(&mut self, i: usize, o: ReplicaOutput) {
        let now = self.now;
        let rep = &mut self.reps[i];
        match o {
            ReplicaOutput::ConnectToMaster { .. } => {
                if rep.cut {
                    rep.sm.handle_connect_failed(now);
                } else {
                    self.next_conn += 1;
                    rep.conn = ConnId(self.next_conn);
                    rep.link = true;
                    rep.inbox.clear();
                    rep.sm.handle_connected(now);
                }
            }
            ReplicaOutput::SendToMaster(b) if rep.link && !rep.cut => {
                rep.inbox.extend_from_slice(&b);
            }
            ReplicaOutput::CloseMasterLink => {
                rep.link = false;
                let conn = rep.conn;
                self.master.handle_conn_closed(now, conn);
            }
            ReplicaOutput::LoadRdb { payload } => {
                rep.loads.push(payload);
                rep.sm.handle_rdb_loaded(now, true);
            }
            ReplicaOutput::ApplyCommand { db, argv, offset } => rep.applied.push(Applied {
                db,
                argv: argv.iter().map(|a| a.to_vec()).collect(),
                offset,
            }),
            _ => {}
        }
    }

    /// The node's part: parse requests the replica sent and dispatch them.
    fn serve(&mut self, i: usize) -> bool {
        let now = self.now;
        let mut busy = false;
        loop {
            let rep = &mut self.reps[i];
            if rep.inbox.is_empty() {
                return busy;
            }
            let mut p = RequestParser::new(Limits::default());
            let n = p
                .parse(&rep.inbox)
                .expect("valid request")
                .expect("whole request");
            let argv: Vec<Vec<u8>> = p.args(&rep.inbox).map(|a| a.to_vec()).collect();
            rep.inbox.drain(..n);
            busy = true;
            let conn = rep.conn;
            let refs: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
            match argv[0].to_ascii_uppercase().as_slice() {
                b"PING" => self.deliver(conn, Bytes::from_static(b"+PONG\r\n")),
                b"AUTH" => self.deliver(conn, Bytes::from_static(b"+OK\r\n")),
                b"REPLCONF" => self.master.handle_replconf(now, conn, "127.0.0.1", &refs),
                b"PSYNC" | b"SYNC" => self.master.handle_psync(now, conn, "127.0.0.1", &refs),
                other => panic!("unexpected {:?}", String::from_utf8_lossy(other)),
            }
        }
    }

    fn master_output(&mut self, o: MasterOutput) {
        match o {
            MasterOutput::Send { conn, bytes } => self.deliver(conn, bytes),
            MasterOutput::Close { conn } => {
                self.closed_by_master.push(conn);
                let now = self.now;
                if let Some(rep) = self.reps.iter_mut().find(|r| r.conn == conn && r.link) {
                    rep.link = false;
                    rep.sm.handle_disconnected(now);
                }
            }
            MasterOutput::StartSnapshot { id, .. } => {
                self.snapshots += 1;
                let mut snap = BytesSnapshot::new(self.rdb.clone(), 7);
                let now = self.now;
                pump_snapshot(&mut self.master, now, id, &mut snap).unwrap();
            }
            MasterOutput::WaitReply { client, replicas } => {
                self.wait_replies.push((client, replicas))
            }
            _ => {}
        }
    }

    fn deliver(&mut self, conn: ConnId, bytes: Bytes) {
        let now = self.now;
        if let Some(rep) = self
            .reps
            .iter_mut()
            .find(|r| r.conn == conn && r.link && !r.cut)
        {
            rep.received.extend_from_slice(&bytes);
            rep.sm.handle_read(now, &bytes);
        }
    }

    /// Advance virtual time by `ms`, one timer firing at a time.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now.advance_millis(ms);
        loop {
            let mut next = self.master.poll_timeout();
            for r in &self.reps {
                next = match (next, r.sm.poll_timeout()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            match next {
                Some(t) if t <= end.mono => {
                    let step = t.saturating_duration_since(self.now.mono).as_millis() as u64;
                    self.now = self.now.advance_millis(step);
                    let now = self.now;
                    self.master.handle_timeout(now);
                    for r in &mut self.reps {
                        r.sm.handle_timeout(now);
                    }
                    self.pump();
                }
                _ => break,
            }
        }
        let step = end
            .mono
            .saturating_duration_since(self.now.mono)
            .as_millis() as u64;
        self.now = self.now.advance_millis(step);
        self.pump();
    }

    /// The replica's TCP connection breaks (both ends notice).
    pub fn break_link(&mut self, i: usize) {
        let now = self.now;
        let rep = &mut self.reps[i];
        if rep.link {
            rep.link = false;
            rep.sm.handle_disconnected(now);
            let conn = rep.conn;
            self.master.handle_conn_closed(now, conn);
        }
        self.pump();
    }

    pub fn write(&mut self, db: i64, argv: &[&str]) {
        self.master.feed(db, argv);
        self.pump();
    }

    pub fn replica_info(&self, i: usize) -> String {
        self.reps[i].sm.info(self.now)
    }
}

pub fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

pub fn field<'a>(info: &'a str, name: &str) -> &'a str {
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .unwrap_or_else(|| panic!("no {name} in {info}"))
}
