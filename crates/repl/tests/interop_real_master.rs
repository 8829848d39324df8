//! Our replica state machine, driven over TCP by this test, syncing from a real
//! redis-server 7.0 master, in both payload framings, then a partial resync.
#![allow(clippy::disallowed_methods)]
mod common;
use common::real::*;
use hashslot_repl::*;
use hashslot_types::Rng;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

struct Driver {
    sm: ReplicationReplica,
    sock: Option<TcpStream>,
    clock: Clock,
    loads: Vec<Vec<u8>>,
    applied: Vec<(Vec<Vec<u8>>, i64)>,
    received: Vec<u8>,
}

impl Driver {
    fn turn(&mut self) {
        if self.sock.is_none() {
            std::thread::sleep(Duration::from_millis(20));
        }
        let now = self.clock.now();
        if self.sock.is_some() {
            let mut buf = [0u8; 16 * 1024];
            let n = match self.sock.as_mut().unwrap().read(&mut buf) {
                Ok(0) => {
                    self.sock = None;
                    self.sm.handle_disconnected(now);
                    0
                }
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    0
                }
                Err(e) => panic!("{e}"),
            };
            if n > 0 {
                self.received.extend_from_slice(&buf[..n]);
                self.sm.handle_read(now, &buf[..n]);
            }
        }
        if self.sm.poll_timeout().is_some_and(|t| t <= now.mono) {
            self.sm.handle_timeout(now);
        }
        while let Some(o) = self.sm.poll_output() {
            match o {
                ReplicaOutput::ConnectToMaster { host, port } => {
                    match TcpStream::connect((host.as_str(), port)) {
                        Ok(s) => {
                            s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
                            self.sock = Some(s);
                            self.sm.handle_connected(now);
                        }
                        Err(_) => self.sm.handle_connect_failed(now),
                    }
                }
                ReplicaOutput::SendToMaster(b) => {
                    if let Some(s) = &mut self.sock {
                        s.write_all(&b).unwrap();
                    }
                }
                ReplicaOutput::CloseMasterLink => self.sock = None,
                ReplicaOutput::LoadRdb { payload } => {
                    self.loads.push(payload.to_vec());
                    self.sm.handle_rdb_loaded(now, true);
                }
                ReplicaOutput::ApplyCommand { argv, offset, .. } => self
                    .applied
                    .push((argv.iter().map(|a| a.to_vec()).collect(), offset)),
                _ => {}
            }
        }
    }

    fn until(&mut self, what: &str, mut cond: impl FnMut(&Driver) -> bool) {
        for _ in 0..500 {
            self.turn();
            if cond(self) {
                return;
            }
        }
        panic!(
            "timed out waiting for {what}; received {:?}",
            String::from_utf8_lossy(&self.received)
        );
    }
}

fn check_rdb(payload: &[u8]) {
    assert!(payload.starts_with(b"REDIS0010"), "{payload:?}");
    let (body, trailer) = payload.split_at(payload.len() - 8);
    let crc = crc::Crc::<u64>::new(&crc::CRC_64_REDIS).checksum(body);
    assert_eq!(trailer, crc.to_le_bytes(), "CRC-64 of the received RDB");
}

fn sync_from_real_master(extra: &[&str], marker: &str) {
    if !redis_available() {
        return;
    }
    let master = Server::start(extra);
    master.cli(&["SET", "preexisting", "1"]);
    let clock = Clock::new();
    let history = ReplHistory::new(&mut Rng::from_seed(5));
    let config = ReplicaConfig {
        listening_port: 17001,
        ..ReplicaConfig::default()
    };
    let sm = ReplicationReplica::new(clock.now(), config, history, "127.0.0.1", master.port);
    let mut d = Driver {
        sm,
        sock: None,
        clock,
        loads: vec![],
        applied: vec![],
        received: vec![],
    };
    d.until("the full sync", |d| d.sm.state() == LinkState::Connected);
    let text = String::from_utf8_lossy(&d.received).into_owned();
    assert!(text.contains("+FULLRESYNC "), "{text}");
    assert!(text.contains(marker), "{text}");
    assert_eq!(d.loads.len(), 1);
    check_rdb(&d.loads[0]);
    let minfo = master.cli(&["INFO", "replication"]);
    assert_eq!(
        info_field(&minfo, "master_replid").unwrap(),
        d.sm.history().replid.to_string()
    );

    for i in 0..3 {
        master.cli(&["SET", &format!("k{i}"), "v"]);
    }
    d.until("three SETs", |d| d.applied.len() >= 3);
    assert_eq!(
        d.applied[2].0,
        vec![b"SET".to_vec(), b"k2".to_vec(), b"v".to_vec()]
    );
    let offset: i64 = info_field(&master.cli(&["INFO", "replication"]), "master_repl_offset")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        d.applied[2].1, offset,
        "ApplyCommand offset = master_repl_offset"
    );
    assert_eq!(d.sm.repl_offset(), offset);
    // Our ACKs reach the master.
    d.until("the master to see our ACK", |_| {
        master
            .cli(&["INFO", "replication"])
            .contains(&format!("port=17001,state=online,offset={offset}"))
    });

    // Reconnect: +CONTINUE, no second payload.
    let now = d.clock.now();
    d.sock = None;
    d.sm.handle_disconnected(now);
    master.cli(&["SET", "after", "reconnect"]);
    d.until("the partial resync", |d| {
        d.applied.last().is_some_and(|a| a.0[1] == b"after")
    });
    let text = String::from_utf8_lossy(&d.received).into_owned();
    assert!(text.contains("+CONTINUE"), "{text}");
    assert_eq!(d.loads.len(), 1);
    let stats = master.cli(&["INFO", "stats"]);
    assert_eq!(info_field(&stats, "sync_partial_ok").as_deref(), Some("1"));
}

#[test]
fn diskless_eof_framing_from_real_master() {
    sync_from_real_master(
        &[
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ],
        "$EOF:",
    );
}

#[test]
fn disk_len_framing_from_real_master() {
    sync_from_real_master(&["--repl-diskless-sync", "no"], "\r\n$");
}
