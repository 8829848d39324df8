//! A client blocked on a replica (XREAD BLOCK) is served only after the whole of a
//! transaction the master sent, beside redis-server 7.0.15: Redis serves blocked clients after
//! each command of the master client, and a MULTI … EXEC arrives as one, so the blocked
//! client's reply holds every entry the transaction added, never half of them.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{require_tool, Client, Flavor, Server};

fn field(c: &mut Client, name: &str) -> String {
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "replication"])).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// A replica of `flavor`'s master: a client blocks on the replica (BLPOP is a write, refused
/// on a read-only replica), the master runs a transaction adding two entries; returns the
/// blocked reply.
fn run(flavor: Flavor) -> Vec<String> {
    let master = Server::start(flavor, &["--repl-diskless-sync-delay", "0"]);
    let port = master.port().to_string();
    let replica = Server::start(flavor, &["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.connect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while field(&mut r, "master_link_status") != "up" {
        assert!(Instant::now() < deadline, "the replica's link");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
    let mut xread = replica.connect();
    xread
        .send(&["XREAD", "COUNT", "10", "BLOCK", "0", "STREAMS", "s", "$"])
        .unwrap();
    // Blocked before the master writes.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = String::from_utf8_lossy(&r.cmd(&["INFO", "clients"])).into_owned();
        if info.contains("blocked_clients:1") {
            break;
        }
        assert!(Instant::now() < deadline, "clients never blocked: {info}");
        std::thread::sleep(Duration::from_millis(10)); // polling interval
    }
    let mut m = master.connect();
    for cmd in [
        &["MULTI"][..],
        &["XADD", "s", "1-1", "a", "1"],
        &["XADD", "s", "1-2", "a", "2"],
        &["EXEC"],
    ] {
        m.cmd(cmd);
    }
    let xr = String::from_utf8_lossy(&xread.read_reply().unwrap()).into_owned();
    vec![xr]
}

#[test]
fn a_blocked_client_on_a_replica_sees_the_whole_transaction() {
    let ours = run(Flavor::Node);
    assert!(ours[0].contains("1-2"), "both entries: {}", ours[0]);
    if require_tool("redis-server").is_none() {
        return;
    }
    assert_eq!(ours, run(Flavor::Redis));
}
