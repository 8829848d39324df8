//! A real redis-server 7.0 replica (`--replicaof` our listener) syncing from our master state
//! machine, driven over TCP by this test: handshake, FULLRESYNC with a hand-built empty RDB,
//! then `SET k v` in the stream.
#![allow(clippy::disallowed_methods)]
mod common;
use common::empty_rdb;
use common::real::*;
use hashslot_repl::*;
use hashslot_resp::{Limits, RequestParser};
use hashslot_types::{ConnId, Rng};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

struct Driver {
    master: ReplicationMaster,
    sock: TcpStream,
    conn: ConnId,
    clock: Clock,
    inbuf: Vec<u8>,
    snapshots: Vec<SnapshotTarget>,
}

impl Driver {
    fn turn(&mut self) {
        let now = self.clock.now();
        let mut buf = [0u8; 16 * 1024];
        match self.sock.read(&mut buf) {
            Ok(0) => panic!("replica closed the link"),
            Ok(n) => self.inbuf.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("{e}"),
        }
        // The node's part: parse the replica's requests and dispatch them.
        loop {
            let mut p = RequestParser::new(Limits::default());
            let Some(n) = p.parse(&self.inbuf).expect("replica speaks RESP") else {
                break;
            };
            let argv: Vec<Vec<u8>> = p.args(&self.inbuf).map(<[u8]>::to_vec).collect();
            self.inbuf.drain(..n);
            let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            match argv[0].to_ascii_uppercase().as_slice() {
                b"PING" => self.sock.write_all(b"+PONG\r\n").unwrap(),
                b"REPLCONF" => self
                    .master
                    .handle_replconf(now, self.conn, "127.0.0.1", &refs),
                b"PSYNC" | b"SYNC" => self.master.handle_psync(now, self.conn, "127.0.0.1", &refs),
                other => panic!("unexpected command {:?}", String::from_utf8_lossy(other)),
            }
        }
        if self.master.poll_timeout().is_some_and(|t| t <= now.mono) {
            self.master.handle_timeout(now);
        }
        while let Some(o) = self.master.poll_output() {
            match o {
                MasterOutput::Send { bytes, .. } => self.sock.write_all(&bytes).unwrap(),
                MasterOutput::StartSnapshot { id, target, .. } => {
                    self.snapshots.push(target);
                    let mut snap = BytesSnapshot::new(empty_rdb(), 5);
                    pump_snapshot(&mut self.master, now, id, &mut snap).unwrap();
                }
                MasterOutput::Close { .. } => panic!("master dropped the replica"),
                _ => {}
            }
        }
    }
}

fn real_replica_syncs_from_us(config: MasterConfig, expect: SnapshotTarget) {
    if !redis_available() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let our_port = listener.local_addr().unwrap().port();
    let replica = Server::start(&["--replicaof", "127.0.0.1", &our_port.to_string()]);
    let (sock, _) = listener.accept().unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let clock = Clock::new();
    let master = ReplicationMaster::new(clock.now(), config, Rng::from_seed(77));
    let mut d = Driver {
        master,
        sock,
        conn: ConnId(1),
        clock,
        inbuf: vec![],
        snapshots: vec![],
    };
    for _ in 0..250 {
        d.turn();
        if !d.snapshots.is_empty() {
            break;
        }
    }
    assert_eq!(d.snapshots, vec![expect]);
    // A fresh Redis replica asks `PSYNC ? -1`: one full sync, no failed partial one.
    assert_eq!(
        d.master.sync_stats(),
        SyncStats {
            sync_full: 1,
            sync_partial_ok: 0,
            sync_partial_err: 0
        }
    );
    d.master.feed(0, &["SET", "k", "v"]);
    let mut got = String::new();
    for _ in 0..250 {
        d.turn();
        got = replica.cli(&["GET", "k"]);
        if got == "v" {
            break;
        }
    }
    assert_eq!(got, "v");
    let info = replica.cli(&["INFO", "replication"]);
    assert_eq!(
        info_field(&info, "master_link_status").as_deref(),
        Some("up"),
        "{info}"
    );
    assert_eq!(
        info_field(&info, "master_replid").unwrap(),
        d.master.history().replid.to_string()
    );
    // Its ACKs reach us: the session's offset catches up with ours.
    let target = d.master.master_repl_offset();
    for _ in 0..150 {
        d.turn();
        if d.master.replicas().any(|r| r.ack_offset == target) {
            break;
        }
    }
    let line = d.master.info(d.clock.now());
    assert!(
        line.contains(&format!("state=online,offset={target},")),
        "{line}"
    );
}

#[test]
fn real_replica_diskless() {
    let config = MasterConfig {
        repl_diskless_sync_delay: Duration::ZERO,
        ..MasterConfig::default()
    };
    real_replica_syncs_from_us(config, SnapshotTarget::Socket);
}

#[test]
fn real_replica_disk() {
    let config = MasterConfig {
        repl_diskless_sync: false,
        ..MasterConfig::default()
    };
    real_replica_syncs_from_us(config, SnapshotTarget::Disk);
}
