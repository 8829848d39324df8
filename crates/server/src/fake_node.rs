//! A stand-in for the node in event-loop tests: answers PING, ECHO, QUIT and SHUTDOWN over a
//! minimal RESP parser, so the loop can be tested (and its system calls counted with strace)
//! without the real node.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::Bytes;
use hashslot_node::{ClientAddr, LogLevel, Output, ProcessStats};
use hashslot_types::{ConnId, Instant, Now};

use crate::driven::{Clock, Driven};
use crate::event_loop::{EventLoop, Stop};
use crate::log::Logger;

#[derive(Debug, Default)]
pub struct FakeNode {
    inbuf: HashMap<ConnId, Vec<u8>>,
    out: VecDeque<Output>,
    pub closed: Vec<ConnId>,
}

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
}

fn start(port: u16) -> (std::thread::JoinHandle<(FakeNode, Stop)>, u16) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let listener = crate::sys::tcp_listen(addr, 511)
        .map_err(|(_, e)| e)
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let logger = Logger {
        logfile: String::new(),
        level: LogLevel::Warning,
    };
    let handle = std::thread::spawn(move || {
        let mut l =
            EventLoop::new(FakeNode::default(), Clock::new(), logger, vec![listener]).unwrap();
        let stop = l.run().unwrap();
        (l.into_node(), stop)
    });
    (handle, port)
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
