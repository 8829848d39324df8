//! Shared test support: a command runner over `Db`s like a node's dispatch, and a tiny RESP2
//! client for a real redis-server.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use hashslot_keyspace::{commands, CommandSpec, Ctx, Db, KeyspaceStats};
use hashslot_resp::{ErrorReply, Proto, Reply};
use hashslot_types::{Instant, Now, Rng, UnixMillis};

/// Our side: 16 databases and the node-level state a command needs.
pub struct Node {
    pub dbs: Vec<Db>,
    pub db_index: usize,
    pub rng: Rng,
    pub stats: KeyspaceStats,
    pub now: Now,
    pub dirty: u64,
}

impl Node {
    pub fn new(wall_ms: i64) -> Self {
        Node {
            dbs: (0..16).map(|i| Db::with_seed(1000 + i)).collect(),
            db_index: 0,
            rng: Rng::from_seed(7),
            stats: KeyspaceStats::default(),
            now: Now::new(Instant::from_nanos(0), UnixMillis(wall_ms)),
            dirty: 0,
        }
    }

    /// Run one command as a node would (lookup, arity, container dispatch); the RESP2 reply.
    pub fn run(&mut self, argv: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
        let Some(mut spec) = commands().iter().find(|c| c.name == name) else {
            return b"-ERR unknown command\r\n".to_vec();
        };
        if spec.handler.is_none() {
            let sub = argv
                .get(1)
                .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase());
            let full = format!("{name}|{}", sub.clone().unwrap_or_default());
            match spec.subcommands.iter().find(|c| c.name == full) {
                Some(s) => spec = s,
                None => {
                    let e = ErrorReply::UnknownSubcommand {
                        sub: sub.unwrap_or_default().into_bytes(),
                        cmd: name.to_ascii_uppercase(),
                    };
                    Reply::new(&mut out, Proto::Resp2).error(&e);
                    return out;
                }
            }
        }
        if !arity_ok(spec, argv.len()) {
            Reply::new(&mut out, Proto::Resp2).error(&ErrorReply::WrongArity(spec.name.into()));
            return out;
        }
        let reply = Reply::new(&mut out, Proto::Resp2);
        let mut ctx = Ctx::new(
            &mut self.dbs,
            self.db_index,
            self.now,
            reply,
            &mut self.rng,
            &mut self.stats,
        );
        (spec.handler.expect("leaf command"))(&mut ctx, argv);
        self.dirty += ctx.dirty;
        out
    }

    /// Run a command given as text (see [`split`]).
    pub fn cmd(&mut self, line: &str) -> Vec<u8> {
        let args = split(line);
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        self.run(&argv)
    }

    pub fn advance(&mut self, ms: u64) {
        self.now = self.now.advance_millis(ms);
    }
}

fn arity_ok(spec: &CommandSpec, n: usize) -> bool {
    let a = spec.arity;
    if a >= 0 {
        n == a as usize
    } else {
        n >= (-a) as usize
    }
}

/// Split a command line on spaces; `"..."` quotes an argument (may be empty), `\n`-style
/// escapes are not interpreted.
pub fn split(line: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        if b[i] == b'"' {
            let end = i + 1 + line[i + 1..].find('"').expect("closing quote");
            out.push(b[i + 1..end].to_vec());
            i = end + 1;
        } else {
            let end = line[i..].find(' ').map_or(b.len(), |e| i + e);
            out.push(b[i..end].to_vec());
            i = end;
        }
    }
    out
}

/// A redis-server child on a free loopback port, killed on drop.
pub struct RedisServer {
    child: Child,
    pub port: u16,
}

impl RedisServer {
    /// Start one, or `None` when redis-server is not installed (the caller skips, unless
    /// HASHSLOT_REQUIRE_REDIS=1 makes that a failure).
    pub fn start() -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(_) => {
                assert!(
                    std::env::var("HASHSLOT_REQUIRE_REDIS").as_deref() != Ok("1"),
                    "HASHSLOT_REQUIRE_REDIS=1 but redis-server could not be started"
                );
                return None;
            }
        };
        let server = RedisServer { child, port };
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            #[allow(clippy::disallowed_methods)] // waiting for a real process to listen
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("redis-server did not start listening on {port}");
    }

    pub fn connect(&self) -> Client {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        Client {
            w: s.try_clone().expect("clone"),
            r: BufReader::new(s),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A RESP2 client returning each reply's raw bytes.
pub struct Client {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Client {
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

    pub fn cmd(&mut self, line: &str) -> Vec<u8> {
        let args = split(line);
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        self.run(&argv)
    }

    fn read_value(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        self.r.read_until(b'\n', out).expect("read");
        let line = &out[start..out.len() - 2];
        let n: i64 = std::str::from_utf8(&line[1..])
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        match line[0] {
            b'$' if n >= 0 => {
                let mut buf = vec![0u8; n as usize + 2];
                std::io::Read::read_exact(&mut self.r, &mut buf).expect("read bulk");
                out.extend_from_slice(&buf);
            }
            b'*' => {
                for _ in 0..n.max(0) {
                    self.read_value(out);
                }
            }
            _ => {}
        }
    }
}

/// Wall-clock ms, for comparing against a real server whose clock runs.
pub fn wall_ms() -> i64 {
    #[allow(clippy::disallowed_methods)] // the real server reads the real clock
    let t = std::time::SystemTime::now();
    t.duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}
