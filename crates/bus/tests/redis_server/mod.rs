//! A real `redis-server` 7.0 in cluster mode on a free loopback port, killed on drop.
//!
//! Runs when `redis-server` is on PATH; when it is missing the test is skipped, unless
//! `HASHSLOT_REQUIRE_REDIS=1`, which makes it fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running redis-server.
pub struct RedisServer {
    child: Child,
    /// Client port; the bus port is this + 10000.
    pub port: u16,
    dir: PathBuf,
}

/// Whether redis-server can be run; panics if it cannot and `HASHSLOT_REQUIRE_REDIS=1`.
pub fn available() -> bool {
    let ok = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("HASHSLOT_REQUIRE_REDIS").as_deref() != Ok("1"),
            "HASHSLOT_REQUIRE_REDIS=1 but redis-server is not on PATH"
        );
        eprintln!("skipped: redis-server is not on PATH");
    }
    ok
}

/// A port P with P and P + 10000 both free on loopback (P <= 55535, as Redis requires).
fn free_port_pair() -> u16 {
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let p = l.local_addr().unwrap().port();
        if p <= 55535 && TcpListener::bind(("127.0.0.1", p + 10000)).is_ok() {
            return p;
        }
    }
}

impl RedisServer {
    /// Starts a cluster-enabled server with `extra` arguments and waits until it answers PING
    /// and its bus port accepts connections.
    pub fn start(extra: &[&str]) -> RedisServer {
        for _attempt in 0..5 {
            let port = free_port_pair();
            let dir =
                std::env::temp_dir().join(format!("hashslot-bus-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes"])
                .arg("--cluster-config-file")
                .arg(dir.join("nodes.conf"))
                .arg("--dir")
                .arg(&dir)
                .arg("--logfile")
                .arg(dir.join("redis.log"))
                .args(["--save", "", "--appendonly", "no"])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            let mut server = RedisServer { child, port, dir };
            if server.wait_ready(Duration::from_secs(10)) {
                return server;
            }
            // Port taken between our check and its bind, most likely: try another.
            drop(server);
        }
        panic!("redis-server did not start");
    }

    fn wait_ready(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return false;
            }
            let client_ok = self.try_command(&["PING"]).is_some_and(|r| r == "PONG");
            if client_ok && TcpStream::connect(("127.0.0.1", self.bus_port())).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The cluster bus port.
    pub fn bus_port(&self) -> u16 {
        self.port + 10000
    }

    /// Runs a command and returns a simple-string or bulk reply as text.
    pub fn command(&self, args: &[&str]) -> String {
        self.try_command(args)
            .unwrap_or_else(|| panic!("command {args:?} failed"))
    }

    fn try_command(&self, args: &[&str]) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(req.as_bytes()).ok()?;
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).ok()?;
        let line = line.trim_end();
        match line.as_bytes().first()? {
            b'+' => Some(line[1..].to_string()),
            b'$' => {
                let n: usize = line[1..].parse().ok()?;
                let mut body = vec![0; n + 2];
                r.read_exact(&mut body).ok()?;
                body.truncate(n);
                String::from_utf8(body).ok()
            }
            _ => None,
        }
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- redis.log ---\n{}", self.log());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
