//! A replica with `appendonly yes` writes its master's transactions to its own AOF wrapped in
//! `MULTI` … `EXEC`, as a `redis-server` 7.0.15 replica does (it runs the master client's EXEC,
//! whose propagation is wrapped): a transaction of two writes is wrapped, one of a single write
//! is written bare, and one spanning two dbs keeps its `SELECT`s inside the wrap. The replica's
//! incr AOF commands from a marker on must be the same as a `redis-server` replica's, behind a
//! `redis-server` master and behind ours.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{incr_aof_commands, ok, spawn};
use support::{require_tool, unique_dir, Client, Flavor, Server};

fn field(c: &mut Client, name: &str) -> String {
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "replication"])).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// The replica's incr AOF commands from the last `SET start` on, each as its words (absolute
/// times do not occur: no TTLs are written).
fn commands_from_start(dir: &Path) -> Vec<String> {
    let all: Vec<String> = incr_aof_commands(dir)
        .into_iter()
        .map(|args| {
            let mut words = args;
            words[0] = words[0].to_ascii_lowercase();
            words.join(" ")
        })
        .collect();
    match all.iter().rposition(|c| c == "set start 1") {
        Some(i) => all[i..].to_vec(),
        None => Vec::new(),
    }
}

/// A master of `master` and a replica of `replica` with the AOF on; the replica's commands.
fn run(master: Flavor, replica: Flavor) -> Vec<String> {
    let label = format!("{} > {}", master.label(), replica.label());
    let m_srv = Server::start(master, &["--repl-diskless-sync-delay", "0"]);
    let dir = unique_dir("replica-aof-multi");
    let port = m_srv.port().to_string();
    let r_proc = spawn(
        replica,
        &dir,
        &[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--replicaof",
            "127.0.0.1",
            &port,
        ],
    );
    let mut r = r_proc.client();
    let deadline = Instant::now() + Duration::from_secs(20);
    while field(&mut r, "master_link_status") != "up" {
        assert!(Instant::now() < deadline, "{label}: the replica's link");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
    let mut c = m_srv.connect();
    for cmd in [
        &["SET", "start", "1"][..],
        &["MULTI"],
        &["SET", "a", "1"],
        &["INCR", "b"],
        &["EXEC"],
        &["MULTI"],
        &["INCR", "b"],
        &["EXEC"],
        &["MULTI"],
        &["SET", "x", "1"],
        &["SELECT", "1"],
        &["SET", "y", "1"],
        &["EXEC"],
        &["SELECT", "0"],
        &["SET", "end", "1"],
    ] {
        ok(&mut c, cmd);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let cmds = commands_from_start(&dir);
        if cmds.last().map(String::as_str) == Some("set end 1") {
            drop(r_proc);
            let _ = std::fs::remove_dir_all(&dir);
            return cmds;
        }
        assert!(
            Instant::now() < deadline,
            "{label}: the AOF so far: {cmds:?}"
        );
        std::thread::sleep(Duration::from_millis(50)); // polling interval
    }
}

#[test]
fn a_replica_writes_its_masters_transactions_wrapped() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let reference = run(Flavor::Redis, Flavor::Redis);
    let want = [
        "set start 1",
        "multi",
        "set a 1",
        "incr b",
        "exec",
        "incr b",
        "multi",
        "set x 1",
        "select 1",
        "set y 1",
        "exec",
        "select 0",
        "set end 1",
    ];
    assert_eq!(
        reference, want,
        "redis-server wrote something else: the premise"
    );
    assert_eq!(
        run(Flavor::Redis, Flavor::Node),
        reference,
        "behind redis-server"
    );
    assert_eq!(
        run(Flavor::Node, Flavor::Node),
        reference,
        "behind our master"
    );
}
