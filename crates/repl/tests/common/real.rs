//! Helpers for tests against a real `redis-server` 7.0 (runs when on PATH; fails when
//! `HASHSLOT_REQUIRE_REDIS=1` and it is missing; skipped otherwise).
#![allow(clippy::disallowed_methods)] // tests drive real sockets and processes in real time

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hashslot_types::{Instant, Now, UnixMillis};

pub fn redis_available() -> bool {
    let ok = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("HASHSLOT_REQUIRE_REDIS").as_deref() != Ok("1"),
            "redis-server not on PATH and HASHSLOT_REQUIRE_REDIS=1"
        );
        eprintln!("skipping: redis-server not on PATH");
    }
    ok
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A redis-server process, killed on drop.
pub struct Server {
    pub port: u16,
    child: Child,
    dir: std::path::PathBuf,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("hashslot-repl-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut args: Vec<String> = vec![
            "--port".into(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--save".into(),
            "".into(),
            "--appendonly".into(),
            "no".into(),
            "--dir".into(),
            dir.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new("redis-server")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let server = Server { port, child, dir };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start");
    }

    pub fn cli(&self, args: &[&str]) -> String {
        cli(self.port, args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines().find_map(|l| {
        l.trim_end()
            .strip_prefix(name)?
            .strip_prefix(':')
            .map(str::to_owned)
    })
}

/// Real time as the state machines' `Now`.
pub struct Clock(std::time::Instant);

impl Clock {
    pub fn new() -> Clock {
        Clock(std::time::Instant::now())
    }

    pub fn now(&self) -> Now {
        let nanos = self.0.elapsed().as_nanos() as u64 + 1_000_000_000;
        Now::new(
            Instant::from_nanos(nanos),
            UnixMillis(1_700_000_000_000 + (nanos / 1_000_000) as i64),
        )
    }
}
