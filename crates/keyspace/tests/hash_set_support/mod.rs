//! Support for the hash and set tests: a differential runner with per-line comparison modes, a
//! RESP2/RESP3 reply parser, and a RESP3 path on both sides.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use hashslot_keyspace::{commands, Ctx};
use hashslot_resp::{ErrorReply, Proto, Reply};

use crate::common::{split, wall_ms, Node, RedisServer};

/// A parsed reply: the type byte and either the line or the children.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Val {
    Line(u8, Vec<u8>),
    Bulk(Vec<u8>),
    Agg(u8, Vec<Val>),
}

pub fn parse(b: &[u8]) -> Val {
    let (v, n) = parse_at(b, 0);
    assert_eq!(
        n,
        b.len(),
        "trailing bytes in {:?}",
        String::from_utf8_lossy(b)
    );
    v
}

fn parse_at(b: &[u8], i: usize) -> (Val, usize) {
    let end = i + b[i..].windows(2).position(|w| w == b"\r\n").expect("CRLF");
    let line = &b[i + 1..end];
    let next = end + 2;
    let num = || -> i64 { std::str::from_utf8(line).unwrap().parse().unwrap() };
    match b[i] {
        b'$' if num() >= 0 => {
            let n = num() as usize;
            (Val::Bulk(b[next..next + n].to_vec()), next + n + 2)
        }
        t @ (b'*' | b'~' | b'%' | b'>') if num() >= 0 => {
            let n = num() as usize * if t == b'%' { 2 } else { 1 };
            let mut kids = Vec::new();
            let mut j = next;
            for _ in 0..n {
                let (v, k) = parse_at(b, j);
                kids.push(v);
                j = k;
            }
            (Val::Agg(t, kids), j)
        }
        t => (Val::Line(t, line.to_vec()), next),
    }
}

/// How a line's replies are compared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// Byte for byte.
    Exact,
    /// Elements of the top-level aggregate sorted.
    Sort,
    /// The top-level aggregate read as pairs, pairs sorted (HGETALL of a hashtable).
    Pairs,
    /// Bulk contents erased: only the shape (random replies).
    Shape,
    /// Like `Sort` on the element array of a SCAN reply, cursor kept.
    ScanSort,
}

fn erase(v: &Val) -> Val {
    match v {
        Val::Bulk(_) => Val::Bulk(Vec::new()),
        Val::Agg(t, k) => Val::Agg(*t, k.iter().map(erase).collect()),
        l => l.clone(),
    }
}

pub fn normalize(reply: &[u8], mode: Mode) -> Val {
    let v = parse(reply);
    match (mode, v) {
        (Mode::Exact, v) => v,
        (Mode::Sort, Val::Agg(t, mut k)) => {
            k.sort();
            Val::Agg(t, k)
        }
        (Mode::Pairs, Val::Agg(t, k)) => {
            let mut pairs: Vec<Val> = k.chunks(2).map(|c| Val::Agg(b'p', c.to_vec())).collect();
            pairs.sort();
            Val::Agg(t, pairs)
        }
        (Mode::Shape, v) => erase(&v),
        (Mode::ScanSort, Val::Agg(t, k)) => {
            let mut k = k;
            if let Val::Agg(_, items) = &mut k[1] {
                items.sort();
            }
            Val::Agg(t, k)
        }
        (_, v) => v,
    }
}

/// A client speaking RESP2 or RESP3 (after HELLO 3), returning raw reply bytes.
pub struct RawClient {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl RawClient {
    pub fn connect(server: &RedisServer, proto: Proto) -> RawClient {
        let s = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        let mut c = RawClient {
            w: s.try_clone().expect("clone"),
            r: BufReader::new(s),
        };
        if proto == Proto::Resp3 {
            c.run(&[b"hello", b"3"]);
        }
        c
    }

    pub fn run(&mut self, argv: &[&[u8]]) -> Vec<u8> {
        let mut req = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.w.write_all(&req).expect("write");
        let mut out = Vec::new();
        self.read_value(&mut out);
        out
    }

    fn read_value(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        self.r.read_until(b'\n', out).expect("read");
        let line = out[start..out.len() - 2].to_vec();
        let n: i64 = std::str::from_utf8(&line[1..])
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        match line[0] {
            b'$' | b'=' | b'!' if n >= 0 => {
                let mut buf = vec![0u8; n as usize + 2];
                self.r.read_exact(&mut buf).expect("read bulk");
                out.extend_from_slice(&buf);
            }
            b'*' | b'~' | b'>' => {
                for _ in 0..n.max(0) {
                    self.read_value(out);
                }
            }
            b'%' => {
                for _ in 0..2 * n.max(0) {
                    self.read_value(out);
                }
            }
            _ => {}
        }
    }
}

/// Run one command on our side in `proto`, as `Node::run` does in RESP2.
pub fn run_ours(node: &mut Node, argv: &[&[u8]], proto: Proto) -> Vec<u8> {
    let mut out = Vec::new();
    let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
    let Some(spec) = commands().iter().find(|c| c.name == name) else {
        return b"-ERR unknown command\r\n".to_vec();
    };
    if spec.handler.is_none() {
        return node.run(argv);
    }
    let a = spec.arity;
    let ok = if a >= 0 {
        argv.len() == a as usize
    } else {
        argv.len() >= (-a) as usize
    };
    if !ok {
        Reply::new(&mut out, proto).error(&ErrorReply::WrongArity(spec.name.into()));
        return out;
    }
    let reply = Reply::new(&mut out, proto);
    let mut ctx = Ctx::new(
        &mut node.dbs,
        node.db_index,
        node.now,
        reply,
        &mut node.rng,
        &mut node.stats,
    );
    (spec.handler.expect("leaf"))(&mut ctx, argv);
    node.dirty += ctx.dirty;
    out
}

/// Run a script of command lines on a real redis-server and on our node, comparing replies.
/// A line may start with a mode tag: `sort:`, `pairs:`, `shape:`, `scansort:`. Returns the
/// differences, or `None` when redis-server is not installed.
pub fn differential(script: &str, proto: Proto) -> Option<Vec<String>> {
    let server = RedisServer::start()?;
    let mut redis = RawClient::connect(&server, proto);
    redis.run(&[b"flushall"]);
    let mut ours = Node::new(wall_ms());
    let mut diffs = Vec::new();
    for line in script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (mode, cmd) = match line.split_once(": ") {
            Some(("sort", c)) => (Mode::Sort, c),
            Some(("pairs", c)) => (Mode::Pairs, c),
            Some(("shape", c)) => (Mode::Shape, c),
            Some(("scansort", c)) => (Mode::ScanSort, c),
            _ => (Mode::Exact, line),
        };
        let args = split(cmd);
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let want = redis.run(&argv);
        let got = run_ours(&mut ours, &argv, proto);
        if normalize(&want, mode) != normalize(&got, mode) {
            diffs.push(format!(
                "{cmd}\n  redis: {:?}\n  ours:  {:?}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    Some(diffs)
}

/// Assert a differential script passes (skipping when redis-server is missing).
pub fn check(script: &str, proto: Proto) {
    match differential(script, proto) {
        None => eprintln!("redis-server not found: skipping"),
        Some(d) => assert!(d.is_empty(), "{} differences:\n{}", d.len(), d.join("\n")),
    }
}
