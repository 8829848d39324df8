//! Shared harness for the whole-node tests: start `redis-server` or `hashslot-node` on a free
//! loopback port in its own temp dir, talk RESP to it over a plain `TcpStream`, run `redis-cli`.
//!
//! Every test file includes this with `mod support;`. Not every file uses every helper.
#![allow(dead_code)]
// Whole-node tests drive real processes: they read clocks to set deadlines and poll with short
// sleeps, which the workspace bans only for sans-IO library code.
#![allow(clippy::disallowed_methods)]

pub mod attack;
pub mod benchmark;
pub mod diff;

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a server may take to accept its first connection.
pub const START_DEADLINE: Duration = Duration::from_secs(10);
/// How long we wait for one reply before calling the server stuck.
pub const REPLY_DEADLINE: Duration = Duration::from_secs(10);

/// Which server a test runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// The reference, `redis-server` from PATH.
    Redis,
    /// Our node: `CARGO_BIN_EXE_hashslot-node`, or `$HASHSLOT_NODE_BIN` when set (set it to
    /// `redis-server` to check a battery against Redis itself).
    Node,
}

impl Flavor {
    /// The program to start.
    pub fn program(self) -> PathBuf {
        match self {
            Flavor::Redis => PathBuf::from("redis-server"),
            Flavor::Node => match std::env::var_os("HASHSLOT_NODE_BIN") {
                Some(p) if !p.is_empty() => PathBuf::from(p),
                _ => PathBuf::from(env!("CARGO_BIN_EXE_hashslot-node")),
            },
        }
    }

    /// A short label for messages.
    pub fn label(self) -> &'static str {
        match self {
            Flavor::Redis => "redis",
            Flavor::Node => "hashslot",
        }
    }
}

/// Whether a missing `redis-*` tool must fail the test instead of skipping it.
pub fn redis_required() -> bool {
    std::env::var("HASHSLOT_REQUIRE_REDIS")
        .map(|v| v == "1")
        .unwrap_or(false)
}

/// Find `tool` on PATH. When absent: panics if `HASHSLOT_REQUIRE_REDIS=1`, otherwise prints why
/// the test is skipped and returns `None` (the caller returns early).
pub fn require_tool(tool: &str) -> Option<PathBuf> {
    if let Some(p) = which(tool) {
        return Some(p);
    }
    if redis_required() {
        panic!("{tool} is not on PATH and HASHSLOT_REQUIRE_REDIS=1");
    }
    eprintln!("SKIP: {tool} is not on PATH (set HASHSLOT_REQUIRE_REDIS=1 to make this a failure)");
    None
}

/// The path of `tool` on PATH, if any.
pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// A port that was free a moment ago on 127.0.0.1 (bind :0, read, drop).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// A fresh, empty, unique directory under the system temp dir.
pub fn unique_dir(tag: &str) -> PathBuf {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "hashslot-test-{tag}-{}-{n}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A running server process; killed, reaped and its directory removed on drop.
#[derive(Debug)]
pub struct Server {
    flavor: Flavor,
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Server {
    /// Start `flavor` on a free port with `--port P --bind 127.0.0.1 --save '' --appendonly no
    /// --dir <tmp>` followed by `extra` (`["--requirepass", "pw"]`…), and wait until it accepts
    /// connections. Retries once on another port if the first was taken meanwhile.
    pub fn start(flavor: Flavor, extra: &[&str]) -> Server {
        let mut last = String::new();
        for _ in 0..3 {
            match Server::try_start(flavor, extra) {
                Ok(s) => return s,
                Err(e) => last = e,
            }
        }
        panic!("could not start {}: {last}", flavor.label());
    }

    /// One attempt of [`Server::start`].
    pub fn try_start(flavor: Flavor, extra: &[&str]) -> Result<Server, String> {
        let port = free_port();
        let dir = unique_dir(flavor.label());
        let out = std::fs::File::create(dir.join("stdout.log")).map_err(|e| e.to_string())?;
        let err = std::fs::File::create(dir.join("stderr.log")).map_err(|e| e.to_string())?;
        let mut cmd = Command::new(flavor.program());
        cmd.current_dir(&dir)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", flavor.program().display()))?;
        let mut server = Server {
            flavor,
            child,
            port,
            dir,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited during startup with {status}\n{}",
                    self.flavor.label(),
                    self.logs()
                ));
            }
            if let Ok(s) = TcpStream::connect_timeout(
                &self.addr().parse().unwrap(),
                Duration::from_millis(200),
            ) {
                drop(s);
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not accept connections on port {} within {:?}\n{}",
                    self.flavor.label(),
                    self.port,
                    START_DEADLINE,
                    self.logs()
                ));
            }
            std::thread::sleep(Duration::from_millis(20)); // polling interval, not synchronisation
        }
    }

    /// `127.0.0.1:port`
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Which server this is.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The server's own directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the process is still running.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A new client connection.
    pub fn connect(&self) -> Client {
        Client::connect(&self.addr()).unwrap_or_else(|e| {
            panic!(
                "connect to {} at {}: {e}\n{}",
                self.flavor.label(),
                self.addr(),
                self.logs()
            )
        })
    }

    /// The tail of the server's stdout and stderr, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for f in ["stdout.log", "stderr.log"] {
            let text = std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            let _ = writeln!(
                s,
                "--- {} {f} (last {} lines) ---",
                self.flavor.label(),
                tail.len()
            );
            for l in tail.iter().rev() {
                let _ = writeln!(s, "{l}");
            }
        }
        s
    }

    /// Resident set size of the server process in KiB (Linux `/proc/<pid>/status` VmRSS).
    pub fn vm_rss_kb(&self) -> Option<u64> {
        vm_rss_kb(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() || std::env::var_os("HASHSLOT_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Start `program` in `dir` on a free loopback port without persistence, with `extra`
/// arguments that must make it exit by itself (a bad configuration): its exit status, or
/// `None` if it still ran after 20 s (it is killed then). Its stdout goes to `stdout`.
pub fn exit_status_of_start(
    program: &Path,
    dir: &Path,
    extra: &[&str],
    stdout: Stdio,
) -> Option<i32> {
    let mut child = Command::new(program)
        .current_dir(dir)
        .args(["--port", &free_port().to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(extra)
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// VmRSS of `pid` in KiB.
pub fn vm_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A minimal RESP client: one command out as a multibulk, one whole reply back as raw bytes.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    /// Connect to `addr` with a reply deadline of [`REPLY_DEADLINE`].
    pub fn connect(addr: &str) -> io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(REPLY_DEADLINE))?;
        stream.set_write_timeout(Some(REPLY_DEADLINE))?;
        Ok(Client {
            stream,
            buf: Vec::new(),
        })
    }

    /// The socket (to clone, shut down, or set timeouts).
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Send `args` as one multibulk and read exactly one reply. Panics on I/O errors.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        self.send(args).expect("send command");
        self.read_reply()
            .unwrap_or_else(|e| panic!("reading the reply to {}: {e}", show_cmd(args)))
    }

    /// `cmd` from a whitespace-separated string (no quoting; for simple commands).
    pub fn cmd_str(&mut self, line: &str) -> Vec<u8> {
        let args: Vec<&str> = line.split_whitespace().collect();
        self.cmd(&args)
    }

    /// Send `args` as one multibulk without reading.
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<()> {
        self.stream.write_all(&encode_command(args))
    }

    /// Send raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Read exactly one whole reply (RESP2 or RESP3), as the raw bytes of the wire.
    pub fn read_reply(&mut self) -> io::Result<Vec<u8>> {
        loop {
            match reply_len(&self.buf) {
                Ok(Some(n)) => return Ok(self.buf.drain(..n).collect()),
                Ok(None) => {}
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{e} in {}", escape(&self.buf)),
                    ))
                }
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("connection closed; partial reply {}", escape(&self.buf)),
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Read everything until the server closes the connection, or `deadline` passes. Returns the
    /// bytes and how the read ended.
    pub fn read_until_close(&mut self, deadline: Duration) -> (Vec<u8>, Ending) {
        let mut out = std::mem::take(&mut self.buf);
        let end = Instant::now() + deadline;
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return (out, Ending::Timeout);
            }
            let _ = self
                .stream
                .set_read_timeout(Some(left.min(Duration::from_millis(500))));
            match self.stream.read(&mut chunk) {
                Ok(0) => return (out, Ending::Closed),
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                    return (out, Ending::Reset)
                }
                Err(e) => return (out, Ending::Error(e.to_string())),
            }
        }
    }

    /// Half-close: tell the server we will send nothing more.
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

/// How [`Client::read_until_close`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Orderly EOF.
    Closed,
    /// The server reset the connection (it closed with our bytes unread): still a close.
    Reset,
    /// The deadline passed with the connection still open.
    Timeout,
    /// Another I/O error.
    Error(String),
}

impl Ending {
    /// The server closed the connection (orderly or by reset).
    pub fn is_closed(&self) -> bool {
        matches!(self, Ending::Closed | Ending::Reset)
    }
}

/// `args` as a RESP multibulk.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A command for messages: its arguments escaped and space-separated.
pub fn show_cmd<A: AsRef<[u8]>>(args: &[A]) -> String {
    args.iter()
        .map(|a| escape(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bytes as a readable string: printable ASCII as is, `\r` `\n` `\t` `\\` `\"` escaped, the rest
/// as `\xNN`, in double quotes.
pub fn escape(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    s
}

/// Where the line starting at `pos` ends: the index of its `\r` (followed by `\n`).
fn line_end(buf: &[u8], pos: usize) -> Result<Option<usize>, String> {
    match buf[pos.min(buf.len())..].iter().position(|&c| c == b'\n') {
        None => Ok(None),
        Some(i) => {
            let nl = pos + i;
            if nl == pos || buf[nl - 1] != b'\r' {
                Err(format!("bare LF at byte {nl}"))
            } else {
                Ok(Some(nl - 1))
            }
        }
    }
}

fn parse_len(line: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| format!("bad length {}", escape(line)))
}

/// The length of the first whole RESP2/RESP3 reply in `buf`: `Ok(None)` if more bytes are needed,
/// `Err` if `buf` does not start with a valid reply. Attributes (`|`) are counted as part of the
/// reply they precede. Streamed (`?`-length) aggregates are not supported (Redis 7.0 sends none).
pub fn reply_len(buf: &[u8]) -> Result<Option<usize>, String> {
    value_end(buf, 0, 0)
}

fn value_end(buf: &[u8], pos: usize, depth: usize) -> Result<Option<usize>, String> {
    if depth > 64 {
        return Err("nesting deeper than 64".into());
    }
    if pos >= buf.len() {
        return Ok(None);
    }
    let Some(cr) = line_end(buf, pos + 1)? else {
        return Ok(None);
    };
    let header = &buf[pos + 1..cr];
    let after = cr + 2;
    match buf[pos] {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(Some(after)),
        b'$' | b'!' | b'=' => {
            let n = parse_len(header)?;
            if n < 0 {
                return Ok(Some(after)); // RESP2 null bulk
            }
            let end = after + n as usize;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(format!("bulk of {n} bytes not followed by CRLF"));
            }
            Ok(Some(end + 2))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = parse_len(header)?;
            if n < 0 {
                return Ok(Some(after)); // RESP2 null array
            }
            let items = if matches!(buf[pos], b'%' | b'|') {
                2 * n
            } else {
                n
            };
            let mut p = after;
            for _ in 0..items {
                match value_end(buf, p, depth + 1)? {
                    Some(e) => p = e,
                    None => return Ok(None),
                }
            }
            if buf[pos] == b'|' {
                // An attribute is followed by the reply it describes.
                return value_end(buf, p, depth + 1);
            }
            Ok(Some(p))
        }
        other => Err(format!("unknown reply type byte {}", escape(&[other]))),
    }
}

/// Whole replies, each as its raw bytes.
pub type Replies = Vec<Vec<u8>>;

/// Split `buf` into whole replies; `Err` with the replies so far if it ends in a partial or
/// invalid one.
pub fn split_replies(buf: &[u8]) -> Result<Replies, (Replies, String)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        match reply_len(&buf[pos..]) {
            Ok(Some(n)) => {
                out.push(buf[pos..pos + n].to_vec());
                pos += n;
            }
            Ok(None) => return Err((out, format!("partial reply at byte {pos}"))),
            Err(e) => return Err((out, format!("{e} at byte {pos}"))),
        }
    }
    Ok(out)
}

/// Run `redis-cli -h 127.0.0.1 -p PORT args…` with `stdin` fed in, and capture its output.
pub fn redis_cli(port: u16, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redis-cli");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for redis-cli");
    let _ = writer.join();
    out
}

/// A small seeded PRNG (xorshift64*), so byte streams are reproducible from the printed seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded; a zero seed is replaced by a fixed non-zero one.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 56) as u8).collect()
    }
}

#[cfg(test)]
mod reply_reader_tests {
    use super::*;

    #[test]
    fn reply_len_knows_where_replies_end() {
        let cases: &[(&[u8], Option<usize>)] = &[
            (b"+OK\r\n", Some(5)),
            (b"+OK\r", None),
            (b"$3\r\nfoo\r\n+x", Some(9)),
            (b"$3\r\nfo", None),
            (b"$-1\r\n", Some(5)),
            (b"*2\r\n:1\r\n$1\r\na\r\n", Some(15)),
            (b"*2\r\n:1\r\n", None),
            (b"%1\r\n+a\r\n:1\r\n", Some(12)),
            (b"|1\r\n+k\r\n+v\r\n:5\r\n", Some(16)),
            (b"_\r\n,1.5\r\n", Some(3)),
            (b"*0\r\n", Some(4)),
        ];
        for (input, want) in cases {
            assert_eq!(reply_len(input).unwrap(), *want, "{}", escape(input));
        }
        assert!(reply_len(b"?x\r\n").is_err());
    }
}

/// A parsed RESP2/RESP3 reply, kept close to the wire so it re-encodes to the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    /// A one-line reply: `+`, `-`, `:`, `_`, `,`, `#`, `(` with its text.
    Line(u8, Vec<u8>),
    /// A length-prefixed reply: `$`, `!`, `=`; `None` is the RESP2 null bulk.
    Blob(u8, Option<Vec<u8>>),
    /// An aggregate: `*`, `~`, `>`, `%` (flattened key, value, key, value…); `None` is the RESP2
    /// null array.
    Agg(u8, Option<Vec<Value>>),
    /// An attribute (flattened pairs) and the reply it precedes.
    Attr(Vec<Value>, Box<Value>),
}

impl Value {
    /// Parse one whole reply (as returned by [`Client::read_reply`]).
    pub fn parse(buf: &[u8]) -> Result<Value, String> {
        let (v, n) = Value::parse_at(buf, 0)?;
        if n != buf.len() {
            return Err(format!("{} trailing bytes", buf.len() - n));
        }
        Ok(v)
    }

    fn parse_at(buf: &[u8], pos: usize) -> Result<(Value, usize), String> {
        let cr = line_end(buf, pos + 1)?.ok_or("partial reply")?;
        let header = &buf[pos + 1..cr];
        let after = cr + 2;
        let kind = buf[pos];
        match kind {
            b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {
                Ok((Value::Line(kind, header.to_vec()), after))
            }
            b'$' | b'!' | b'=' => {
                let n = parse_len(header)?;
                if n < 0 {
                    return Ok((Value::Blob(kind, None), after));
                }
                let end = after + n as usize;
                if buf.len() < end + 2 {
                    return Err("partial bulk".into());
                }
                Ok((Value::Blob(kind, Some(buf[after..end].to_vec())), end + 2))
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n = parse_len(header)?;
                if n < 0 {
                    return Ok((Value::Agg(kind, None), after));
                }
                let items = if matches!(kind, b'%' | b'|') {
                    2 * n
                } else {
                    n
                };
                let mut p = after;
                let mut out = Vec::with_capacity(items as usize);
                for _ in 0..items {
                    let (v, e) = Value::parse_at(buf, p)?;
                    out.push(v);
                    p = e;
                }
                if kind == b'|' {
                    let (v, e) = Value::parse_at(buf, p)?;
                    return Ok((Value::Attr(out, Box::new(v)), e));
                }
                Ok((Value::Agg(kind, Some(out)), p))
            }
            other => Err(format!("unknown reply type byte {}", escape(&[other]))),
        }
    }

    /// The wire bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Value::Line(k, t) => {
                out.push(*k);
                out.extend_from_slice(t);
                out.extend_from_slice(b"\r\n");
            }
            Value::Blob(k, None) => {
                out.push(*k);
                out.extend_from_slice(b"-1\r\n");
            }
            Value::Blob(k, Some(b)) => {
                out.push(*k);
                out.extend_from_slice(format!("{}\r\n", b.len()).as_bytes());
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Value::Agg(k, None) => {
                out.push(*k);
                out.extend_from_slice(b"-1\r\n");
            }
            Value::Agg(k, Some(items)) => {
                let n = if *k == b'%' {
                    items.len() / 2
                } else {
                    items.len()
                };
                out.push(*k);
                out.extend_from_slice(format!("{n}\r\n").as_bytes());
                for i in items {
                    i.encode_into(out);
                }
            }
            Value::Attr(items, v) => {
                out.extend_from_slice(format!("|{}\r\n", items.len() / 2).as_bytes());
                for i in items {
                    i.encode_into(out);
                }
                v.encode_into(out);
            }
        }
    }

    /// The text of a line or the bytes of a blob.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Line(_, t) => Some(t),
            Value::Blob(_, Some(b)) => Some(b),
            _ => None,
        }
    }
}
