//! Helpers for the chained-replication tests (a master, a replica of it, and a replica of
//! that replica), over the shared `support` harness: INFO fields, polling under deadlines,
//! and waiting until a chain is in sync.
#![allow(dead_code)]
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use crate::support::{Client, Flavor, Server};

/// How long one step of a chain test may take.
pub const STEP: Duration = Duration::from_secs(30);

/// A reply as text.
pub fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

/// The value of `name` in `INFO <section>`.
pub fn field(c: &mut Client, section: &str, name: &str) -> Option<String> {
    let info = text(c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

/// The field names of `redis-cli -p <port> INFO replication`, in order (`slaveN` lines kept
/// by name).
pub fn replication_shape(port: u16) -> Vec<String> {
    let out = crate::support::redis_cli(port, &["INFO", "replication"], b"");
    assert!(out.status.success(), "redis-cli failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_owned()))
        .collect()
}

/// Poll `f` until it returns `Some`, for at most [`STEP`]; on timeout panic with `what` and
/// the servers' logs.
pub fn wait_for<T>(what: &str, servers: &[&Server], mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + STEP;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = servers.iter().map(|s| s.logs()).collect();
            panic!("timed out waiting for {what}\n{}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50)); // polling interval
    }
}

/// Wait until `replica`'s link is up and its processed offset equals `master`'s
/// `master_repl_offset` (for a replica in the middle of a chain, its own `master_repl_offset`).
pub fn wait_synced(master: &mut Client, replica: &mut Client, servers: &[&Server]) {
    wait_for("the replica to catch up", servers, || {
        let up = field(replica, "replication", "master_link_status").as_deref() == Some("up");
        let mo = field(master, "replication", "master_repl_offset");
        let ro = field(replica, "replication", "slave_repl_offset");
        (up && mo.is_some() && mo == ro).then_some(())
    });
}

/// Start `flavor` replicating `master` (after `extra` flags).
pub fn start_replica(flavor: Flavor, master: &Server, extra: &[&str]) -> Server {
    let port = master.port().to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", port.as_str()];
    args.extend_from_slice(extra);
    Server::start(flavor, &args)
}

/// Flags that keep a chain's offsets still unless the test writes: no PING into the stream
/// (it would move every offset every 10 s) and diskless syncs without a delay.
pub const QUIET: &[&str] = &[
    "--repl-ping-replica-period",
    "3600",
    "--repl-diskless-sync-delay",
    "0",
];

/// A server process started on a chosen port (a node restarted where its replicas expect it),
/// in its own temp dir; killed, reaped and its dir removed on drop.
pub struct OnPort {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl OnPort {
    /// Start `flavor` on `port` with the harness's usual flags and `extra`, and wait until it
    /// accepts connections.
    pub fn start(flavor: Flavor, port: u16, extra: &[&str]) -> OnPort {
        let dir = crate::support::unique_dir("on-port");
        let log = |n: &str| std::fs::File::create(dir.join(n)).expect("log file");
        let child = std::process::Command::new(flavor.program())
            .current_dir(&dir)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .args(extra)
            .stdin(std::process::Stdio::null())
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"))
            .spawn()
            .expect("spawn the server");
        let p = OnPort { child, port, dir };
        let deadline = Instant::now() + STEP;
        while Client::connect(&p.addr()).is_err() {
            assert!(Instant::now() < deadline, "no server on port {port}");
            std::thread::sleep(Duration::from_millis(20)); // polling interval
        }
        p
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A new client connection.
    pub fn connect(&self) -> Client {
        Client::connect(&self.addr()).expect("connect")
    }

    /// The server's stdout and stderr, for failure messages.
    pub fn logs(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.dir.join(n)).unwrap_or_default();
        format!("{}{}", read("stdout.log"), read("stderr.log"))
    }
}

impl Drop for OnPort {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
