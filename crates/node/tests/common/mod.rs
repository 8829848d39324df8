//! A test harness: a Node driven in-process with virtual time.
#![allow(dead_code)]

use std::net::SocketAddr;

use hashslot_node::{ClientAddr, Config, Node, Output, ProcessInfo};
use hashslot_types::{ConnId, Instant, Now, UnixMillis};

/// A node, the virtual clock, and the outputs not yet looked at.
pub struct Harness {
    pub node: Node,
    pub now: Now,
    next_conn: u64,
    /// Outputs drained but not yet claimed by `take_sent`/`outputs`.
    pub pending: Vec<Output>,
}

pub fn config(directives: &[(&str, &str)]) -> Config {
    let mut c = Config::default();
    for (name, value) in directives {
        c.apply_startup(name, &[value.as_bytes().to_vec()])
            .expect("directive");
    }
    c.finish_startup().expect("finish");
    c
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Self {
        let now = Now::new(
            Instant::from_nanos(1_000_000_000),
            UnixMillis(1_700_000_000_000),
        );
        let process = ProcessInfo {
            pid: 42,
            arch_bits: 64,
            os: "Test 1.0 x86_64".into(),
            ..Default::default()
        };
        Harness {
            node: Node::new(config, 7, now, process),
            now,
            next_conn: 1,
            pending: Vec::new(),
        }
    }

    pub fn connect(&mut self) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        let peer: SocketAddr = format!("127.0.0.1:{}", 40000 + conn.0).parse().unwrap();
        let local: SocketAddr = "127.0.0.1:6379".parse().unwrap();
        self.node.handle_accept(
            self.now,
            conn,
            ClientAddr {
                peer,
                local,
                fd: conn.0 as i64 + 10,
            },
        );
        self.drain();
        conn
    }

    fn drain(&mut self) {
        while let Some(o) = self.node.poll_output() {
            self.pending.push(o);
        }
    }

    /// Feed raw bytes; returns every output they caused.
    pub fn feed(&mut self, conn: ConnId, bytes: &[u8]) -> Vec<Output> {
        self.node.handle_read(self.now, conn, bytes);
        self.drain();
        std::mem::take(&mut self.pending)
    }

    /// Feed raw bytes; returns the bytes sent to `conn`, concatenated.
    pub fn raw(&mut self, conn: ConnId, bytes: &[u8]) -> Vec<u8> {
        sent_to(&self.feed(conn, bytes), conn)
    }

    /// Send one command as a multibulk; returns the reply bytes.
    pub fn cmd(&mut self, conn: ConnId, args: &[&str]) -> Vec<u8> {
        self.raw(conn, &encode(args))
    }

    /// Like `cmd`, as text.
    pub fn cmd_str(&mut self, conn: ConnId, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.cmd(conn, args)).into_owned()
    }

    /// Advance virtual time by `ms`, firing every timer that comes due on the way.
    pub fn advance(&mut self, ms: u64) -> Vec<Output> {
        let target = self.now.advance_millis(ms);
        while let Some(t) = self.node.poll_timeout() {
            if t > target.mono {
                break;
            }
            let step = t.as_nanos().saturating_sub(self.now.mono.as_nanos()) / 1_000_000;
            self.now = self.now.advance_millis(step);
            if self.now.mono < t {
                self.now.mono = t;
            }
            self.node.handle_timeout(self.now);
            self.drain();
        }
        self.now = target;
        self.node.handle_timeout(self.now);
        self.drain();
        std::mem::take(&mut self.pending)
    }
}

/// A request as RESP multibulk.
pub fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The bytes of every `Send` to `conn`, concatenated.
pub fn sent_to(outputs: &[Output], conn: ConnId) -> Vec<u8> {
    let mut v = Vec::new();
    for o in outputs {
        if let Output::Send { conn: c, data } = o {
            if *c == conn {
                v.extend_from_slice(data);
            }
        }
    }
    v
}

pub fn sends_to(outputs: &[Output], conn: ConnId) -> usize {
    outputs
        .iter()
        .filter(|o| matches!(o, Output::Send { conn: c, .. } if *c == conn))
        .count()
}

pub fn closed(outputs: &[Output], conn: ConnId) -> bool {
    outputs
        .iter()
        .any(|o| matches!(o, Output::Close { conn: c } if *c == conn))
}

/// The length of the one RESP2/RESP3 value at the front of `b`, or `None` if it is malformed
/// or incomplete: a well-formedness check for replies.
pub fn resp_len(b: &[u8]) -> Option<usize> {
    let line_end = b.windows(2).position(|w| w == b"\r\n")?;
    // Simple strings and errors may hold any bytes (Redis echoes the client's); only the
    // numeric headers must parse.
    let line = || std::str::from_utf8(&b[1..line_end]).ok();
    let after = line_end + 2;
    match *b.first()? {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(after),
        b'$' | b'=' | b'!' => {
            let n: i64 = line()?.parse().ok()?;
            if n < 0 {
                return Some(after);
            }
            let end = after + n as usize;
            (b.get(end..end + 2)? == b"\r\n").then_some(end + 2)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n: i64 = line()?.parse().ok()?;
            let count = if matches!(b[0], b'%' | b'|') {
                n * 2
            } else {
                n.max(0)
            };
            let mut pos = after;
            for _ in 0..count {
                pos += resp_len(&b[pos..])?;
            }
            Some(pos)
        }
        _ => None,
    }
}

/// Split a reply stream into its values (panics if malformed).
pub fn split_values(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    while !b.is_empty() {
        let n = resp_len(b)
            .unwrap_or_else(|| panic!("malformed RESP: {:?}", String::from_utf8_lossy(b)));
        v.push(b[..n].to_vec());
        b = &b[n..];
    }
    v
}

/// The text of a bulk or verbatim reply.
pub fn bulk_text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b).into_owned();
    let body = s.split_once("\r\n").map(|x| x.1).unwrap_or("");
    let body = body.strip_suffix("\r\n").unwrap_or(body);
    body.strip_prefix("txt:").unwrap_or(body).to_string()
}
