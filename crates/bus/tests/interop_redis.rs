//! Our encoder and decoder against a real redis-server 7.0: MEET → PONG, Redis's own PING to
//! our fake node (with gossip and the hostname extension), and how Redis treats bad input.
//!
//! Skipped when `redis-server` is not on PATH, unless `HASHSLOT_REQUIRE_REDIS=1`.
// Real sockets, threads and deadlines: this test drives a real process.
#![allow(clippy::disallowed_methods)]

mod redis_server;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use hashslot_bus::{decode, encode, Header, Message, MsgType, NodeFlags, Payload, PingExt};
use hashslot_types::NodeId;
use redis_server::{available, RedisServer};

fn random_id() -> NodeId {
    let mut hex = String::new();
    while hex.len() < 40 {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(hex.len());
        hex.push_str(&format!("{:016x}", h.finish()));
    }
    NodeId::from_bytes(&hex.as_bytes()[..40]).unwrap()
}

/// Our encoding of what Redis sent is byte for byte what Redis sent.
fn assert_same_bytes(msg: &Message, raw: &[u8]) {
    let mut ours = Vec::new();
    encode(msg, &mut ours).unwrap();
    assert!(
        ours == raw,
        "re-encoding differs from Redis's bytes for {msg:?}"
    );
}

/// Reads one whole message from `stream`, panicking after `limit`.
fn read_message(stream: &mut TcpStream, buf: &mut Vec<u8>, limit: Duration) -> Message {
    let deadline = Instant::now() + limit;
    loop {
        if let Some((msg, used)) = decode(buf).expect("Redis sends valid messages") {
            assert_same_bytes(&msg, &buf[..used]);
            buf.drain(..used);
            return msg;
        }
        let left = deadline
            .checked_duration_since(Instant::now())
            .expect("no message in time");
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk) {
            Ok(0) => panic!("Redis closed the link"),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// A fake node: a bus listener that answers every PING/MEET with a PONG and reports what it got.
struct FakeNode {
    id: NodeId,
    cport: u16,
    rx: mpsc::Receiver<Message>,
    stop: Arc<AtomicBool>,
}

impl FakeNode {
    fn spawn() -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let (id, cport) = (random_id(), listener.local_addr().unwrap().port());
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (tx, stop) = (tx.clone(), stop2.clone());
                        std::thread::spawn(move || {
                            serve(conn, Self::header_of(id, cport), tx, stop)
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FakeNode {
            id,
            cport,
            rx,
            stop,
        }
    }

    fn header_of(id: NodeId, cport: u16) -> Header {
        let mut h = Header::new(id);
        h.port = cport.wrapping_sub(10000);
        h.cport = cport;
        h.flags = NodeFlags::MASTER | NodeFlags::MYSELF;
        h
    }

    fn header(&self) -> Header {
        Self::header_of(self.id, self.cport)
    }

    /// Sends a MEET to `server` on a new connection and returns the reply.
    fn meet(&self, server: &RedisServer) -> Message {
        let mut conn = TcpStream::connect(("127.0.0.1", server.bus_port())).unwrap();
        let meet = Message {
            header: self.header(),
            payload: meet_payload(),
        };
        let mut wire = Vec::new();
        encode(&meet, &mut wire).unwrap();
        conn.write_all(&wire).unwrap();
        read_message(&mut conn, &mut Vec::new(), Duration::from_secs(10))
    }

    /// The next message Redis sent us (on its own connection) that satisfies `want`.
    fn next(&self, limit: Duration, want: impl Fn(&Message) -> bool) -> Message {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .expect("no such message");
            if let Ok(m) = self.rx.recv_timeout(left) {
                if want(&m) {
                    return m;
                }
            }
        }
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn meet_payload() -> Payload {
    Payload::Meet {
        gossip: vec![],
        extensions: vec![],
    }
}

fn serve(mut conn: TcpStream, me: Header, tx: mpsc::Sender<Message>, stop: Arc<AtomicBool>) {
    conn.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        match conn.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return,
        }
        while let Ok(Some((msg, used))) = decode(&buf) {
            assert_same_bytes(&msg, &buf[..used]);
            buf.drain(..used);
            if matches!(msg.payload, Payload::Ping { .. } | Payload::Meet { .. }) {
                let pong = Message {
                    header: me.clone(),
                    payload: Payload::Pong {
                        gossip: vec![],
                        extensions: vec![],
                    },
                };
                let mut wire = Vec::new();
                encode(&pong, &mut wire).unwrap();
                if conn.write_all(&wire).is_err() {
                    return;
                }
            }
            let _ = tx.send(msg);
        }
    }
}

/// Waits until CLUSTER NODES shows `id` as a master that finished its handshake.
fn wait_known(server: &RedisServer, id: NodeId) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let nodes = server.command(&["CLUSTER", "NODES"]);
        let line = nodes.lines().find(|l| l.starts_with(id.as_str()));
        if line.is_some_and(|l| l.contains(" master ") && !l.contains("handshake")) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{id} not known; CLUSTER NODES:\n{nodes}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn meet_gets_a_pong_then_redis_pings_us() {
    if !available() {
        return;
    }
    let server = RedisServer::start(&[]);
    let redis_id = server.command(&["CLUSTER", "MYID"]);
    let a = FakeNode::spawn();

    let pong = a.meet(&server);
    assert_eq!(pong.msg_type(), MsgType::PONG);
    let h = &pong.header;
    assert_eq!(h.sender.as_str(), redis_id);
    assert_eq!(h.flags, NodeFlags::MYSELF | NodeFlags::MASTER);
    assert_eq!(
        (h.port, h.cport, h.pport),
        (server.port, server.bus_port(), 0)
    );
    assert_eq!(h.slaveof, None);
    assert!(h.myip.is_empty() && h.myslots.is_empty());
    assert_eq!(pong.payload.ping_body().unwrap(), (&[][..], &[][..]));

    // Redis connects to the cport we announced and PINGs; our PONG ends its handshake.
    let ping = a.next(Duration::from_secs(10), |m| m.msg_type() == MsgType::PING);
    assert_eq!(ping.header.sender.as_str(), redis_id);
    wait_known(&server, a.id);
}

#[test]
fn pings_gossip_about_other_nodes() {
    if !available() {
        return;
    }
    let server = RedisServer::start(&[]);
    let (a, b) = (FakeNode::spawn(), FakeNode::spawn());
    a.meet(&server);
    b.meet(&server);
    wait_known(&server, a.id);
    wait_known(&server, b.id);
    // Redis picks gossip entries at random: wait for a PING to `a` that mentions `b`.
    let ping = a.next(Duration::from_secs(30), |m| {
        m.msg_type() == MsgType::PING
            && m.payload
                .ping_body()
                .unwrap()
                .0
                .iter()
                .any(|g| g.nodename == b.id)
    });
    let g = ping
        .payload
        .ping_body()
        .unwrap()
        .0
        .iter()
        .find(|g| g.nodename == b.id)
        .unwrap();
    assert_eq!(g.ip.as_bytes(), b"127.0.0.1");
    assert_eq!(
        (g.port, g.cport, g.pport),
        (b.cport.wrapping_sub(10000), b.cport, 0)
    );
    assert_eq!(g.flags, NodeFlags::MASTER);
}

#[test]
fn announced_hostname_travels_as_a_ping_extension() {
    if !available() {
        return;
    }
    let server = RedisServer::start(&["--cluster-announce-hostname", "h1"]);
    let a = FakeNode::spawn();
    let pong = a.meet(&server);
    let hostname = [PingExt::Hostname(b"h1".to_vec())];
    assert_eq!(pong.payload.ping_body().unwrap().1, &hostname[..]);
    assert_eq!(pong.encoded_len(), 2256 + 16);
    let ping = a.next(Duration::from_secs(10), |m| m.msg_type() == MsgType::PING);
    assert_eq!(ping.payload.ping_body().unwrap().1, &hostname[..]);
}

/// Whether Redis closes `conn` within a few seconds.
fn closed_by_peer(conn: &mut TcpStream) -> bool {
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut b = [0u8; 64];
    match conn.read(&mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => matches!(
            e.kind(),
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
        ),
    }
}

#[test]
fn bad_prefix_closes_the_link_and_ignored_packets_do_not() {
    if !available() {
        return;
    }
    let server = RedisServer::start(&[]);
    let bus = ("127.0.0.1", server.bus_port());
    for prefix in [*b"XXXX\0\0\x08\xd0", *b"RCmb\0\0\x08\xcf"] {
        let mut conn = TcpStream::connect(bus).unwrap();
        conn.write_all(&prefix).unwrap();
        assert!(
            closed_by_peer(&mut conn),
            "prefix {prefix:?} should close the link"
        );
        assert!(decode(&prefix).unwrap_err().closes_link());
    }

    // A version-2 MEET is ignored without reply; the MEET after it on the same link is answered.
    let a = FakeNode::spawn();
    let mut wire = Vec::new();
    encode(
        &Message {
            header: a.header(),
            payload: meet_payload(),
        },
        &mut wire,
    )
    .unwrap();
    let mut v2 = wire.clone();
    v2[9] = 2;
    assert!(!decode(&v2).unwrap_err().closes_link());
    let mut conn = TcpStream::connect(bus).unwrap();
    conn.write_all(&v2).unwrap();
    conn.write_all(&wire).unwrap();
    let reply = read_message(&mut conn, &mut Vec::new(), Duration::from_secs(10));
    assert_eq!(reply.msg_type(), MsgType::PONG);
}
