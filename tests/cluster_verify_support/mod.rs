//! Extra helpers for the cluster verification tests (bad bus packets, cluster pub/sub), on top
//! of `tests/cluster_support`: hand-built cluster bus packets (the root package does not
//! re-export `hashslot-bus`, so the bytes are laid out here from the spec, §1.2–§1.7), a raw
//! bus connection that tells "closed" from "ignored" from "answered", VmRSS, and a spawned
//! `redis-cli` whose stdout is collected while it runs (SUBSCRIBE/SSUBSCRIBE).
//!
//! Include it after `mod cluster_support;` in the test file.
#![allow(dead_code)]
// Tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `CLUSTERMSG_MIN_LEN`: the header before the payload.
pub const HEADER_LEN: usize = 2256;
/// One gossip entry.
pub const GOSSIP_LEN: usize = 104;

pub const TYPE_PING: u16 = 0;
pub const TYPE_PONG: u16 = 1;
pub const TYPE_MEET: u16 = 2;
/// `mflags[0]` bit: ping extensions follow the gossip section.
pub const MFLAG_EXT_DATA: u8 = 4;
/// Node flag `master`.
pub const FLAG_MASTER: u16 = 1;

/// Header field offsets (spec §1.2).
pub mod off {
    pub const SIG: usize = 0;
    pub const TOTLEN: usize = 4;
    pub const VER: usize = 8;
    pub const PORT: usize = 10;
    pub const TYPE: usize = 12;
    pub const COUNT: usize = 14;
    pub const SENDER: usize = 40;
    pub const EXTENSIONS: usize = 2214;
    pub const CPORT: usize = 2248;
    pub const FLAGS: usize = 2250;
    pub const MFLAGS: usize = 2253;
}

/// A bus packet under construction: a zeroed 2256-byte header plus payload bytes. `totlen`,
/// `count` and the rest are whatever the test sets; [`Packet::fix_totlen`] makes `totlen`
/// match the bytes.
#[derive(Debug, Clone)]
pub struct Packet(pub Vec<u8>);

impl Packet {
    /// A version-1 header of `msg_type` from `sender` (40 ASCII chars), announcing client port
    /// `port` and bus port `cport`, flags `master`, no slots, `totlen` = 2256.
    pub fn header(msg_type: u16, sender: &str, port: u16, cport: u16) -> Packet {
        assert_eq!(sender.len(), 40, "node ids are 40 chars");
        let mut p = Packet(vec![0; HEADER_LEN]);
        p.0[..4].copy_from_slice(b"RCmb");
        p.set_u16(off::VER, 1);
        p.set_u16(off::TYPE, msg_type);
        p.set_u16(off::PORT, port);
        p.set_u16(off::CPORT, cport);
        p.set_u16(off::FLAGS, FLAG_MASTER);
        p.0[off::SENDER..off::SENDER + 40].copy_from_slice(sender.as_bytes());
        p.fix_totlen();
        p
    }

    pub fn set_u16(&mut self, at: usize, v: u16) -> &mut Self {
        self.0[at..at + 2].copy_from_slice(&v.to_be_bytes());
        self
    }

    pub fn set_u32(&mut self, at: usize, v: u32) -> &mut Self {
        self.0[at..at + 4].copy_from_slice(&v.to_be_bytes());
        self
    }

    /// `totlen` := the number of bytes built so far.
    pub fn fix_totlen(&mut self) -> &mut Self {
        let n = u32::try_from(self.0.len()).unwrap();
        self.set_u32(off::TOTLEN, n)
    }

    /// Append one gossip entry about `id` at 127.0.0.1:`port`@`port+10000` (does not touch
    /// `count`).
    pub fn push_gossip(&mut self, id: &str, port: u16) -> &mut Self {
        let mut e = vec![0u8; GOSSIP_LEN];
        e[..40].copy_from_slice(id.as_bytes());
        e[48..57].copy_from_slice(b"127.0.0.1");
        e[94..96].copy_from_slice(&port.to_be_bytes());
        e[96..98].copy_from_slice(&port.wrapping_add(10000).to_be_bytes());
        e[98..100].copy_from_slice(&FLAG_MASTER.to_be_bytes());
        self.0.extend_from_slice(&e);
        self
    }

    /// Append a ping extension header announcing `length` (type 0, hostname) followed by
    /// `body` bytes (does not touch `extensions` or `mflags`).
    pub fn push_ext(&mut self, length: u32, body: &[u8]) -> &mut Self {
        self.0.extend_from_slice(&length.to_be_bytes());
        self.0.extend_from_slice(&[0, 0, 0, 0]);
        self.0.extend_from_slice(body);
        self
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A random-looking 40-hex-char node id, different per call.
pub fn fake_node_id(tag: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = nanos ^ tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::from(std::process::id());
    let mut s = String::with_capacity(40);
    while s.len() < 40 {
        // xorshift64*
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.push_str(&format!("{:016x}", x.wrapping_mul(0x2545_f491_4f6c_dd1d)));
    }
    s.truncate(40);
    s
}

/// What a bus connection did while we listened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// The peer closed the connection (EOF or reset).
    Closed,
    /// Nothing arrived and the connection stayed open.
    Quiet,
    /// Whole bus messages arrived; their types, in order.
    Messages(Vec<u16>),
}

/// A raw connection to a node's bus port.
#[derive(Debug)]
pub struct BusConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl BusConn {
    pub fn connect(bus_port: u16) -> io::Result<BusConn> {
        let stream = TcpStream::connect(("127.0.0.1", bus_port))?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(Duration::from_secs(5)))?;
        Ok(BusConn {
            stream,
            buf: Vec::new(),
        })
    }

    /// Write `bytes`; an error (the peer already closed) is returned, not a panic.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Listen for `window`: stop early on a close, or (when `until_type` is set) as soon as a
    /// message of that type arrived.
    pub fn listen(&mut self, window: Duration, until_type: Option<u16>) -> Heard {
        let deadline = Instant::now() + window;
        let mut types = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            // Frame whole messages out of the buffer.
            while self.buf.len() >= 8 && &self.buf[..4] == b"RCmb" {
                let totlen = u32::from_be_bytes(self.buf[4..8].try_into().unwrap()) as usize;
                if totlen < 16 || self.buf.len() < totlen {
                    break;
                }
                types.push(u16::from_be_bytes([self.buf[12], self.buf[13]]));
                self.buf.drain(..totlen);
            }
            if until_type.is_some_and(|t| types.contains(&t)) {
                return Heard::Messages(types);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return if types.is_empty() {
                    Heard::Quiet
                } else {
                    Heard::Messages(types)
                };
            }
            let _ = self
                .stream
                .set_read_timeout(Some(left.min(Duration::from_millis(100))));
            match self.stream.read(&mut chunk) {
                Ok(0) => return Heard::Closed,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => return Heard::Closed,
            }
        }
    }
}

/// VmRSS of `pid` in KiB (Linux).
pub fn vm_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `name:value` lines (INFO / CLUSTER INFO) as pairs.
pub fn info_pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Numeric fields whose names look like counters of bad/invalid/dropped bus packets or links.
pub fn bad_packet_counters(text: &str) -> Vec<(String, u64)> {
    const WORDS: [&str; 7] = [
        "bad",
        "invalid",
        "malformed",
        "dropped",
        "skipped",
        "rejected",
        "error",
    ];
    info_pairs(text)
        .into_iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            (k.contains("cluster")
                || k.contains("bus")
                || k.contains("packet")
                || k.contains("link"))
                && WORDS.iter().any(|w| k.contains(w))
        })
        .filter_map(|(k, v)| v.parse::<u64>().ok().map(|n| (k, n)))
        .collect()
}

/// A spawned `redis-cli` (e.g. `-p P SUBSCRIBE ch`) whose stdout is collected as it arrives;
/// killed on drop.
#[derive(Debug)]
pub struct Subscriber {
    child: Child,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
}

impl Subscriber {
    pub fn spawn(args: &[&str]) -> Subscriber {
        let mut child = Command::new("redis-cli")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn redis-cli");
        let out = Arc::new(Mutex::new(String::new()));
        let err = Arc::new(Mutex::new(String::new()));
        for (pipe, sink) in [
            (
                Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
                out.clone(),
            ),
            (Box::new(child.stderr.take().unwrap()), err.clone()),
        ] {
            std::thread::spawn(move || {
                let mut pipe = pipe;
                let mut chunk = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&chunk[..n]));
                }
            });
        }
        Subscriber { child, out, err }
    }

    /// Everything printed on stdout so far.
    pub fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Wait until stdout holds `lines` as consecutive lines; panic after `within`.
    pub fn wait_lines(&mut self, lines: &[&str], within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let out = self.output();
            let have: Vec<&str> = out.lines().map(str::trim_end).collect();
            if have.windows(lines.len()).any(|w| w == lines) {
                return;
            }
            let exited = matches!(self.child.try_wait(), Ok(Some(_)));
            assert!(
                !exited && Instant::now() < deadline,
                "redis-cli did not print {lines:?} within {within:?} (exited: {exited})\n\
                 --- stdout ---\n{out}\n--- stderr ---\n{}",
                self.err.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
