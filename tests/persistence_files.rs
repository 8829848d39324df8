//! Persistence across processes: our dump.rdb is accepted by `redis-check-rdb` and loaded by
//! redis-server with the same data; our node restarted from its dump.rdb holds the data; with
//! `appendonly yes` + `appendfsync always`, every acknowledged write survives kill -9, and
//! redis-server started on our appendonly dir holds our data.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{free_port, require_tool, unique_dir, Client, Flavor};

struct Proc {
    child: Child,
    port: u16,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(program: &Path, dir: &Path, extra: &[&str]) -> Proc {
    let port = free_port();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .unwrap();
    let child = Command::new(program)
        .current_dir(dir)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(dir)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("spawn");
    let mut p = Proc { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(st)) = p.child.try_wait() {
            panic!(
                "{} exited at start with {st}:\n{}",
                program.display(),
                std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
            );
        }
        // Serving, not just listening: redis-server answers -LOADING while it reads a file.
        if let Ok(mut c) = Client::connect(&format!("127.0.0.1:{}", p.port)) {
            if c.send(&["PING"]).is_ok() && c.read_reply().is_ok_and(|r| r == b"+PONG\r\n") {
                return p;
            }
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// Wait (with a deadline) for a process that was asked to shut down to exit.
fn wait_exit(mut p: Proc) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(p.child.try_wait(), Ok(Some(_))) {
        assert!(Instant::now() < deadline, "server did not exit");
        std::thread::sleep(Duration::from_millis(10)); // polling interval
    }
}

fn client(p: &Proc) -> Client {
    Client::connect(&format!("127.0.0.1:{}", p.port)).unwrap()
}

fn fill(c: &mut Client) {
    for i in 0..200 {
        assert_eq!(
            c.cmd(&["SET", &format!("s{i}"), &format!("v{i}")]),
            b"+OK\r\n"
        );
    }
    c.cmd(&["RPUSH", "list", "a", "b", "c"]);
    c.cmd(&["HSET", "hash", "f", "1", "g", "2"]);
    c.cmd(&["SADD", "set", "x", "y"]);
    c.cmd(&["ZADD", "zset", "1", "m", "2.5", "n"]);
    c.cmd(&["SET", "ttl", "v", "EX", "1000"]);
}

fn check(c: &mut Client) {
    for i in (0..200).step_by(17) {
        let want = format!("v{i}");
        assert_eq!(
            c.cmd(&["GET", &format!("s{i}")]),
            format!("${}\r\n{want}\r\n", want.len()).into_bytes()
        );
    }
    assert_eq!(
        c.cmd(&["LRANGE", "list", "0", "-1"]),
        b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(c.cmd(&["HGET", "hash", "g"]), b"$1\r\n2\r\n");
    assert_eq!(c.cmd(&["SCARD", "set"]), b":2\r\n");
    assert_eq!(c.cmd(&["ZSCORE", "zset", "n"]), b"$3\r\n2.5\r\n");
    let ttl = String::from_utf8(c.cmd(&["TTL", "ttl"])).unwrap();
    let ttl: i64 = ttl.trim_start_matches(':').trim().parse().unwrap();
    assert!((900..=1000).contains(&ttl), "ttl {ttl}");
}

fn ours() -> PathBuf {
    Flavor::Node.program()
}

#[test]
fn dump_rdb_is_read_by_redis_and_by_our_restart() {
    let dir = unique_dir("persist-rdb");
    {
        let p = spawn(&ours(), &dir, &["--save", ""]);
        let mut c = client(&p);
        fill(&mut c);
        assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
        // BGSAVE completes; LASTSAVE and INFO show it.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let info = String::from_utf8(c.cmd(&["INFO", "persistence"])).unwrap();
            if info.contains("rdb_bgsave_in_progress:0") && info.contains("rdb_saves:2") {
                assert!(info.contains("rdb_last_bgsave_status:ok"));
                break;
            }
            assert!(Instant::now() < deadline, "{info}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    if let Some(check_rdb) = require_tool("redis-check-rdb") {
        let o = Command::new(check_rdb)
            .arg(dir.join("dump.rdb"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && text.contains("RDB looks OK"),
            "{text}"
        );
    }
    {
        let p = spawn(&ours(), &dir, &["--save", ""]);
        let mut c = client(&p);
        check(&mut c);
        assert_eq!(c.cmd(&["DBSIZE"]), b":205\r\n");
    }
    if let Some(redis) = require_tool("redis-server") {
        let p = spawn(&redis, &dir, &["--save", "", "--appendonly", "no"]);
        check(&mut client(&p));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corrupt_dump_stops_the_node_and_is_kept() {
    let dir = unique_dir("persist-corrupt");
    std::fs::write(dir.join("dump.rdb"), b"REDIS0010garbage").unwrap();
    let port = free_port().to_string();
    let o = Command::new(ours())
        .current_dir(&dir)
        .args(["--port", &port, "--bind", "127.0.0.1", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(text.contains("dump.rdb"), "{text}");
    assert_eq!(
        std::fs::read(dir.join("dump.rdb")).unwrap(),
        b"REDIS0010garbage"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn aof_always_keeps_every_acknowledged_write_through_kill_9() {
    let dir = unique_dir("persist-aof");
    let args = [
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ];
    let acked;
    {
        let p = spawn(&ours(), &dir, &args);
        let mut c = client(&p);
        fill(&mut c);
        // A writer thread records acks; the process is killed under load.
        let port = p.port;
        let writer = std::thread::spawn(move || {
            let mut c = Client::connect(&format!("127.0.0.1:{port}")).unwrap();
            let mut acked = Vec::new();
            for i in 0..100_000 {
                if c.send(&["SET", &format!("w{i}"), &i.to_string()]).is_err() {
                    break;
                }
                match c.read_reply() {
                    Ok(r) if r == b"+OK\r\n" => acked.push(i),
                    _ => break,
                }
            }
            acked
        });
        // Let the writer build up a load for a while (a load window, not a synchronisation).
        std::thread::sleep(Duration::from_millis(700));
        assert_eq!(
            c.cmd(&["BGREWRITEAOF"]),
            b"+Background append only file rewriting started\r\n"
        );
        // Kill while the rewrite and the writes are under way (a window, not a synchronisation).
        std::thread::sleep(Duration::from_millis(700));
        drop(p); // SIGKILL
        acked = writer.join().unwrap();
    }
    assert!(acked.len() > 10, "only {} acks", acked.len());
    if let Some(check_aof) = require_tool("redis-check-aof") {
        let o = Command::new(check_aof)
            .arg(dir.join("appendonlydir/appendonly.aof.manifest"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        // A torn last command is what kill -9 may leave; everything before it is valid.
        assert!(
            text.contains("valid") || text.contains("truncated"),
            "{text}"
        );
    }
    let p = spawn(&ours(), &dir, &args);
    let mut c = client(&p);
    check(&mut c);
    for &i in &acked {
        let want = i.to_string();
        assert_eq!(
            c.cmd(&["GET", &format!("w{i}")]),
            format!("${}\r\n{want}\r\n", want.len()).into_bytes(),
            "acknowledged write w{i} lost"
        );
    }
    // A clean shutdown, then redis-server reads our appendonly dir.
    let _ = c.send(&["SHUTDOWN", "NOSAVE"]);
    wait_exit(p);
    if let Some(redis) = require_tool("redis-server") {
        let p = spawn(&redis, &dir, &["--save", "", "--appendonly", "yes"]);
        let mut c = client(&p);
        check(&mut c);
        let last = acked.last().unwrap();
        assert_eq!(
            c.cmd(&["GET", &format!("w{last}")]),
            format!("${}\r\n{last}\r\n", last.to_string().len()).into_bytes()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
