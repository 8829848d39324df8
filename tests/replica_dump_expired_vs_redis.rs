//! DUMP of an expired key on a replica, beside redis-server 7.0.15: the replica answers nil
//! (the key is hidden) but keeps the key stored (DBSIZE, INFO keyspace) and does not count an
//! expiry, since expiry belongs to the master; the master's `DEL` removes it later.
//!
//! A master and a replica of ours, then of redis-server, run the same script; every observation
//! must match.
// A process test: it polls real processes against wall-clock deadlines and waits for TTLs.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{require_tool, Client, Flavor, Server};

fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

/// `name:value` of an INFO section.
fn field(c: &mut Client, section: &str, name: &str) -> String {
    let info = text(c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// Poll `f` until it holds, or fail with `what`.
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// Run the script on a master and a replica of `flavor`; the observations, labelled.
fn run(flavor: Flavor) -> Vec<(String, String)> {
    let debug = ["--enable-debug-command", "yes"];
    let master = Server::start(
        flavor,
        &[&debug[..], &["--repl-diskless-sync-delay", "0"]].concat(),
    );
    let port = master.port().to_string();
    let replica = Server::start(flavor, &["--replicaof", "127.0.0.1", &port]);
    let (mut m, mut r) = (master.connect(), replica.connect());
    wait_until("the replica's link", || {
        field(&mut r, "replication", "master_link_status") == "up"
    });
    // The master must not expire the key on its own until the end.
    assert_eq!(m.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
    assert_eq!(m.cmd(&["SET", "live", "1"]), b"+OK\r\n");
    assert_eq!(m.cmd(&["SET", "k", "v", "PX", "100"]), b"+OK\r\n");
    wait_until("the writes on the replica", || {
        r.cmd(&["DBSIZE"]) == b":2\r\n"
    });
    std::thread::sleep(Duration::from_millis(300)); // past the TTL
    let mut seen = Vec::new();
    let mut see = |label: &str, value: String| seen.push((label.to_owned(), value));
    see("DUMP k", text(r.cmd(&["DUMP", "k"])));
    see("DUMP k again", text(r.cmd(&["DUMP", "k"])));
    let live = r.cmd(&["DUMP", "live"]);
    see("DUMP live is a payload", live.starts_with(b"$").to_string());
    see("DBSIZE", text(r.cmd(&["DBSIZE"])));
    see("keyspace keys", {
        let db0 = field(&mut r, "keyspace", "db0");
        db0.split(',').take(2).collect::<Vec<_>>().join(",")
    });
    see("expired_keys", field(&mut r, "stats", "expired_keys"));
    // The master's lazy expiry sends the DEL that removes it.
    see("master GET k", text(m.cmd(&["GET", "k"])));
    wait_until("the master's DEL", || r.cmd(&["DBSIZE"]) == b":1\r\n");
    see(
        "after DEL: expired_keys",
        field(&mut r, "stats", "expired_keys"),
    );
    seen
}

#[test]
fn dump_on_a_replica_hides_an_expired_key_without_deleting_it() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run(Flavor::Redis);
    let get = |label: &str| {
        theirs
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    // The premise, from redis-server itself.
    assert_eq!(get("DUMP k"), "$-1\r\n");
    assert_eq!(get("DBSIZE"), ":2\r\n");
    assert_eq!(get("expired_keys"), "0");
    let ours = run(Flavor::Node);
    assert_eq!(ours, theirs);
}
