//! A stand-in for the node in event-loop tests: answers PING, ECHO, QUIT and SHUTDOWN over a
//! minimal RESP parser, so the loop can be tested (and its system calls counted with strace)
//! without the real node. For the cluster-bus wiring it also echoes every byte read on a bus
//! link back on it, and takes `BUSCONNECT port`, `BUSCLOSE`, `BUSCLOSEDCOUNT`, `PERSIST path data`
//! commands.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use bytes::Bytes;
use hashslot_node::{ClientAddr, LogLevel, Output, PersistToken, ProcessStats};
use hashslot_types::{ConnId, Instant, LinkId, Now};

use crate::driven::{Clock, Driven};
use crate::event_loop::{EventLoop, Stop};
use crate::log::Logger;

#[derive(Debug, Default)]
pub struct FakeNode {
    inbuf: HashMap<ConnId, Vec<u8>>,
    out: VecDeque<Output>,
    pub closed: Vec<ConnId>,
    /// Links the driver reported closed.
    pub bus_closed: Vec<LinkId>,
    /// Links accepted, with the peer's address.
    pub bus_accepted: Vec<(LinkId, SocketAddr)>,
    /// The client that asked for each outbound link or write, to tell it the outcome.
    waiting: HashMap<u64, ConnId>,
    next_link: u64,
    /// `bind-source-addr`, set with `SOURCE ip`.
    source: Option<std::net::IpAddr>,
}

const NODE_LINK: u64 = 1 << 63;

/// One complete command at the front of `buf`, and its length; `None` if incomplete.
fn parse(buf: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
    let line_end = |from: usize| {
        buf[from..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| from + p)
    };
    if buf.first() != Some(&b'*') {
        let end = line_end(0)?;
        let args = buf[..end]
            .split(|&b| b == b' ')
            .filter(|a| !a.is_empty())
            .map(<[u8]>::to_vec);
        return Some((args.collect(), end + 2));
    }
    let end = line_end(0)?;
    let n: usize = std::str::from_utf8(&buf[1..end]).ok()?.parse().ok()?;
    let mut pos = end + 2;
    let mut args = Vec::with_capacity(n);
    for _ in 0..n {
        let end = line_end(pos)?;
        let len: usize = std::str::from_utf8(&buf[pos + 1..end]).ok()?.parse().ok()?;
        let start = end + 2;
        if buf.len() < start + len + 2 {
            return None;
        }
        args.push(buf[start..start + len].to_vec());
        pos = start + len + 2;
    }
    Some((args, pos))
}

impl Driven for FakeNode {
    fn handle_accept(&mut self, _now: Now, conn: ConnId, _addr: ClientAddr) {
        self.inbuf.insert(conn, Vec::new());
    }
    fn handle_read(&mut self, _now: Now, conn: ConnId, data: &[u8]) {
        let buf = self.inbuf.entry(conn).or_default();
        buf.extend_from_slice(data);
        let mut used = 0;
        while let Some((args, n)) = parse(&buf[used..]) {
            used += n;
            let name = args
                .first()
                .map(|a| a.to_ascii_uppercase())
                .unwrap_or_default();
            let reply: Bytes = match &name[..] {
                b"PING" => Bytes::from_static(b"+PONG\r\n"),
                b"ECHO" if args.len() == 2 => {
                    let mut r = format!("${}\r\n", args[1].len()).into_bytes();
                    r.extend_from_slice(&args[1]);
                    r.extend_from_slice(b"\r\n");
                    r.into()
                }
                b"QUIT" => {
                    self.out.push_back(Output::Send {
                        conn,
                        data: Bytes::from_static(b"+OK\r\n"),
                    });
                    self.out.push_back(Output::Close { conn });
                    continue;
                }
                b"SHUTDOWN" => {
                    self.out.push_back(Output::Shutdown);
                    continue;
                }
                b"EXIT" => {
                    // A reply first, then the fatal exit: the reply must never be written.
                    self.out.push_back(Output::Send {
                        conn,
                        data: Bytes::from_static(b"+NEVER\r\n"),
                    });
                    self.out.push_back(Output::Exit { status: 1 });
                    continue;
                }
                b"BUSCONNECT" if args.len() == 2 => {
                    let port: u16 = String::from_utf8_lossy(&args[1]).parse().unwrap();
                    self.next_link += 1;
                    let link = LinkId(NODE_LINK | self.next_link);
                    self.waiting.insert(link.0, conn);
                    let addr = SocketAddr::from(([127, 0, 0, 1], port));
                    self.out.push_back(Output::BusConnect { link, addr });
                    continue;
                }
                b"SOURCE" if args.len() == 2 => {
                    self.source = String::from_utf8_lossy(&args[1]).parse().ok();
                    Bytes::from_static(b"+OK\r\n")
                }
                b"BUSCLOSEDCOUNT" => Bytes::from(format!(":{}\r\n", self.bus_closed.len())),
                b"BUSCLOSE" => {
                    let link = LinkId(NODE_LINK | self.next_link);
                    self.out.push_back(Output::BusClose { link });
                    Bytes::from_static(b"+OK\r\n")
                }
                b"PERSIST" if args.len() == 3 => {
                    self.next_link += 1;
                    let token = PersistToken(self.next_link);
                    self.waiting.insert(token.0, conn);
                    let path = String::from_utf8_lossy(&args[1]).into_owned();
                    let data = Bytes::from(args[2].clone());
                    self.out.push_back(Output::Persist {
                        token,
                        path,
                        data,
                        sync: true,
                    });
                    continue;
                }
                _ => Bytes::from_static(b"-ERR unknown command\r\n"),
            };
            self.out.push_back(Output::Send { conn, data: reply });
        }
        buf.drain(..used);
    }
    fn handle_closed(&mut self, _now: Now, conn: ConnId) {
        self.inbuf.remove(&conn);
        self.closed.push(conn);
    }
    fn handle_timeout(&mut self, _now: Now) {}
    fn handle_shutdown_signal(&mut self, _now: Now) {
        self.out.push_back(Output::Shutdown);
    }
    fn handle_process_stats(&mut self, _now: Now, _stats: ProcessStats) {}
    fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn log_level(&self) -> LogLevel {
        LogLevel::Warning
    }
    fn tcp_keepalive(&self) -> u32 {
        300
    }
    fn rewrite_config(&mut self, _now: Now, _conn: ConnId, _path: &str) {}
    fn change_dir(&mut self, _now: Now, _conn: ConnId, _path: &str) -> Option<String> {
        None
    }
    fn bind_source_addr(&self) -> Option<std::net::IpAddr> {
        self.source
    }
    fn handle_bus_accept(&mut self, _now: Now, link: LinkId, peer: SocketAddr, _: SocketAddr) {
        assert_eq!(
            link.0 & NODE_LINK,
            0,
            "driver-chosen ids have the top bit clear"
        );
        self.bus_accepted.push((link, peer));
    }
    fn handle_bus_connected(&mut self, _now: Now, link: LinkId, _local: SocketAddr) {
        self.out.push_back(Output::BusSend {
            link,
            data: Bytes::from_static(b"hello"),
        });
        if let Some(conn) = self.waiting.remove(&link.0) {
            let data = Bytes::from_static(b"+CONNECTED\r\n");
            self.out.push_back(Output::Send { conn, data });
        }
    }
    fn handle_bus_read(&mut self, _now: Now, link: LinkId, data: &[u8]) {
        let data = Bytes::copy_from_slice(data);
        self.out.push_back(Output::BusSend { link, data });
    }
    fn handle_bus_closed(&mut self, _now: Now, link: LinkId) {
        self.bus_closed.push(link);
        if let Some(conn) = self.waiting.remove(&link.0) {
            let data = Bytes::from_static(b"+CLOSED\r\n");
            self.out.push_back(Output::Send { conn, data });
        }
    }
    fn handle_persist_done(&mut self, _now: Now, token: PersistToken, result: Result<(), String>) {
        if let Some(conn) = self.waiting.remove(&token.0) {
            let data = match result {
                Ok(()) => Bytes::from_static(b"+SAVED\r\n"),
                Err(e) => Bytes::from(format!("-ERR {e}\r\n")),
            };
            self.out.push_back(Output::Send { conn, data });
        }
    }
}

fn start(port: u16) -> (std::thread::JoinHandle<(FakeNode, Stop)>, u16) {
    let (handle, port, _) = start_with_bus(port, false);
    (handle, port)
}

/// The fake node's loop on `port` (0: any), and on a bus port too when `bus`.
fn start_with_bus(port: u16, bus: bool) -> (std::thread::JoinHandle<(FakeNode, Stop)>, u16, u16) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let listen = |addr| {
        crate::sys::tcp_listen(addr, 511)
            .map_err(|(_, e)| e)
            .unwrap()
    };
    let listener = listen(addr);
    let port = listener.local_addr().unwrap().port();
    let bus_listener = listen(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    let bus_port = bus_listener.local_addr().unwrap().port();
    let logger = Logger {
        logfile: String::new(),
        level: LogLevel::Warning,
    };
    let handle = std::thread::spawn(move || {
        let mut l =
            EventLoop::new(FakeNode::default(), Clock::new(), logger, vec![listener]).unwrap();
        if bus {
            l.add_bus_listeners(vec![bus_listener]).unwrap();
        }
        let stop = l.run().unwrap();
        (l.into_node(), stop)
    });
    (handle, port, bus_port)
}

fn roundtrip(s: &mut TcpStream, req: &[u8], want: &[u8]) {
    s.write_all(req).unwrap();
    let mut got = vec![0; want.len()];
    s.read_exact(&mut got).unwrap();
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

#[test]
fn serves_pipelines_large_replies_quit_and_shutdown() {
    let (handle, port) = start(0);
    let mut a = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut b = TcpStream::connect(("127.0.0.1", port)).unwrap();
    roundtrip(&mut a, b"PING\r\n", b"+PONG\r\n");
    roundtrip(&mut b, b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n");
    // A pipeline larger than one 16 KB read, split mid-command.
    let req = b"*1\r\n$4\r\nPING\r\n".repeat(5000);
    roundtrip(&mut a, &req, &b"+PONG\r\n".repeat(5000));
    // A reply far larger than the socket buffer, written across WRITABLE events.
    let big = vec![b'x'; 8 << 20];
    let mut req = format!("*2\r\n$4\r\nECHO\r\n${}\r\n", big.len()).into_bytes();
    req.extend_from_slice(&big);
    req.extend_from_slice(b"\r\n");
    let mut want = format!("${}\r\n", big.len()).into_bytes();
    want.extend_from_slice(&big);
    want.extend_from_slice(b"\r\n");
    let mut writer = b.try_clone().unwrap();
    let w = std::thread::spawn(move || writer.write_all(&req).unwrap());
    let mut got = vec![0; want.len()];
    b.read_exact(&mut got).unwrap();
    w.join().unwrap();
    assert!(got == want);
    // QUIT: reply, then the server closes.
    roundtrip(&mut a, b"QUIT\r\n", b"+OK\r\n");
    assert_eq!(a.read(&mut [0; 8]).unwrap(), 0);
    b.write_all(b"SHUTDOWN\r\n").unwrap();
    let (node, stop) = handle.join().unwrap();
    assert_eq!(stop, Stop::Shutdown);
    assert_eq!(node.closed, [ConnId(1)]);
}

/// `Output::Exit` stops the loop at once with its status: nothing queued is written.
#[test]
fn exit_stops_at_once_with_its_status() {
    let (handle, port) = start(0);
    let mut a = TcpStream::connect(("127.0.0.1", port)).unwrap();
    roundtrip(&mut a, b"PING\r\n", b"+PONG\r\n");
    a.write_all(b"EXIT\r\n").unwrap();
    let (_, stop) = handle.join().unwrap();
    assert_eq!(stop, Stop::Exit(1));
    let mut rest = Vec::new();
    let _ = a.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}

#[test]
fn bus_links_accept_connect_send_close_and_persist() {
    use std::time::Duration;
    let (handle, port, bus_port) = start_with_bus(0, true);
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();

    // An inbound link: 4 MB through the echo, far more than the socket buffers, so the
    // loop's writes go partial and continue on WRITABLE.
    let mut peer = TcpStream::connect(("127.0.0.1", bus_port)).unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let data: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut writer = peer.try_clone().unwrap();
    let sent = data.clone();
    let w = std::thread::spawn(move || writer.write_all(&sent).unwrap());
    let mut echoed = vec![0; data.len()];
    peer.read_exact(&mut echoed).unwrap();
    w.join().unwrap();
    assert!(echoed == data, "echoed bytes differ");
    // The peer closing is reported.
    drop(peer);

    // An outbound link: connected, the node's first bytes arrive, then the node closes it.
    let target = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target_port = target.local_addr().unwrap().port();
    let cmd = format!("BUSCONNECT {target_port}\r\n");
    roundtrip(&mut client, cmd.as_bytes(), b"+CONNECTED\r\n");
    let (mut accepted, _) = target.accept().unwrap();
    accepted
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut hello = [0; 5];
    accepted.read_exact(&mut hello).unwrap();
    assert_eq!(&hello, b"hello");
    roundtrip(&mut client, b"BUSCLOSE\r\n", b"+OK\r\n");
    assert_eq!(accepted.read(&mut [0; 8]).unwrap(), 0, "closed by the node");

    // With bind-source-addr, the link leaves from that address (127.0.0.2 is loopback too).
    roundtrip(&mut client, b"SOURCE 127.0.0.2\r\n", b"+OK\r\n");
    let cmd = format!("BUSCONNECT {target_port}\r\n");
    roundtrip(&mut client, cmd.as_bytes(), b"+CONNECTED\r\n");
    let (mut accepted, from) = target.accept().unwrap();
    assert_eq!(from.ip().to_string(), "127.0.0.2");
    accepted.read_exact(&mut hello).unwrap();
    assert_eq!(&hello, b"hello");
    roundtrip(&mut client, b"BUSCLOSE\r\n", b"+OK\r\n");
    roundtrip(&mut client, b"SOURCE none\r\n", b"+OK\r\n");

    // A connect that fails is reported as closed.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cmd = format!("BUSCONNECT {refused}\r\n");
    roundtrip(&mut client, cmd.as_bytes(), b"+CLOSED\r\n");

    // A durable write, completed after the file is in place.
    let dir = std::env::temp_dir().join(format!("hashslot-fake-persist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("nodes.conf");
    let path_s = path.to_str().unwrap();
    let cmd = format!(
        "*3\r\n$7\r\nPERSIST\r\n${}\r\n{path_s}\r\n$5\r\nabcde\r\n",
        path_s.len()
    );
    roundtrip(&mut client, cmd.as_bytes(), b"+SAVED\r\n");
    assert_eq!(std::fs::read(&path).unwrap(), b"abcde");
    std::fs::remove_dir_all(&dir).unwrap();

    // The inbound link's close travels on another socket: wait for it to be seen.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        client.write_all(b"BUSCLOSEDCOUNT\r\n").unwrap();
        let mut reply = [0; 4];
        client.read_exact(&mut reply).unwrap();
        if &reply == b":2\r\n" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "bus closes not reported"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    client.write_all(b"SHUTDOWN\r\n").unwrap();
    let (node, _) = handle.join().unwrap();
    let accepted_links: Vec<LinkId> = node.bus_accepted.iter().map(|(l, _)| *l).collect();
    assert_eq!(accepted_links.len(), 1);
    // The inbound link (closed by its peer) and the refused connect were reported; the link
    // the node closed itself was not.
    assert_eq!(node.bus_closed.len(), 2, "{:?}", node.bus_closed);
    assert!(node.bus_closed.contains(&accepted_links[0]));
    assert!(node
        .bus_closed
        .iter()
        .all(|l| *l != LinkId(NODE_LINK | 1) && *l != LinkId(NODE_LINK | 2)));
}

/// Serve the fake node on `HASHSLOT_FAKE_PORT` until SHUTDOWN, for redis-benchmark and strace:
/// `HASHSLOT_FAKE_PORT=7777 cargo test -p hashslot-server --lib serve_fake -- --ignored`.
#[test]
#[ignore]
fn serve_fake() {
    let port = std::env::var("HASHSLOT_FAKE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(7777);
    let (handle, _) = start(port);
    handle.join().unwrap();
}
