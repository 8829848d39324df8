//! A replica never deletes an expired key by itself, beside redis-server 7.0.15: its clients
//! see the key as missing (GET, EXISTS, TTL, TYPE, KEYS, SCAN) while it stays stored (DBSIZE,
//! INFO keyspace) and `expired_keys` stays 0, even with the replica's active expiry on; the key
//! goes when the master's `DEL` arrives (the master expiring it lazily, or by its active cycle).
//!
//! A master and a replica of ours, then of redis-server, run the same script; every observation
//! (made once the TTLs have passed and the replica's cron has ticked a few times) must match.
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

/// `keys=…,expires=…` of db0 in INFO keyspace (avg_ttl is an estimate in Redis: left out).
fn keyspace(c: &mut Client) -> String {
    let db0 = field(c, "keyspace", "db0");
    db0.split(',')
        .filter(|f| !f.starts_with("avg_ttl"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The keys of a KEYS reply or of one SCAN call's reply (cursor included), sorted.
fn sorted_bulks(reply: Vec<u8>) -> String {
    let t = text(reply);
    let lines: Vec<&str> = t.split("\r\n").collect();
    let mut out: Vec<&str> = lines
        .windows(2)
        .filter(|w| w[0].starts_with('$'))
        .map(|w| w[1])
        .collect();
    out.sort_unstable();
    out.join(" ")
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
    let replica = Server::start(
        flavor,
        &[&debug[..], &["--replicaof", "127.0.0.1", &port]].concat(),
    );
    let (mut m, mut r) = (master.connect(), replica.connect());
    wait_until("the replica's link", || {
        field(&mut r, "replication", "master_link_status") == "up"
    });
    // Only the master's lazy expiry runs until the end; the replica's cron stays on.
    assert_eq!(m.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
    for cmd in [
        &["SET", "live", "1"][..],
        &["SET", "k1", "v", "PX", "100"],
        &["SET", "k2", "v", "PX", "100"],
        &["HSET", "h", "f", "v"],
        &["PEXPIRE", "h", "100"],
    ] {
        assert!(!m.cmd(cmd).starts_with(b"-"), "{cmd:?}");
    }
    wait_until("the writes on the replica", || {
        r.cmd(&["DBSIZE"]) == b":4\r\n"
    });
    // Past the TTLs, and a few of the replica's cron ticks (hz 10) later.
    std::thread::sleep(Duration::from_millis(400));
    let mut seen = Vec::new();
    let mut see = |label: &str, value: String| seen.push((label.to_owned(), value));
    see("GET k1", text(r.cmd(&["GET", "k1"])));
    see("HGET h f", text(r.cmd(&["HGET", "h", "f"])));
    see(
        "EXISTS k1 k2 h live",
        text(r.cmd(&["EXISTS", "k1", "k2", "h", "live"])),
    );
    see("TTL k1", text(r.cmd(&["TTL", "k1"])));
    see("PTTL h", text(r.cmd(&["PTTL", "h"])));
    see("TYPE h", text(r.cmd(&["TYPE", "h"])));
    see("KEYS *", sorted_bulks(r.cmd(&["KEYS", "*"])));
    see("SCAN", sorted_bulks(r.cmd(&["SCAN", "0", "COUNT", "100"])));
    see("DBSIZE", text(r.cmd(&["DBSIZE"])));
    see("keyspace", keyspace(&mut r));
    see("expired_keys", field(&mut r, "stats", "expired_keys"));
    // The master expires k1 lazily: its DEL reaches the replica, which deletes k1 as a plain
    // delete (no expired_keys there).
    see("master GET k1", text(m.cmd(&["GET", "k1"])));
    wait_until("the master's DEL", || r.cmd(&["DBSIZE"]) == b":3\r\n");
    see("after DEL: keyspace", keyspace(&mut r));
    see(
        "after DEL: expired_keys",
        field(&mut r, "stats", "expired_keys"),
    );
    see(
        "after DEL: master expired_keys",
        field(&mut m, "stats", "expired_keys"),
    );
    // The master's active cycle takes the rest.
    assert_eq!(m.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), b"+OK\r\n");
    wait_until("the master's active expiry", || {
        r.cmd(&["DBSIZE"]) == b":1\r\n"
    });
    see("at the end: KEYS *", sorted_bulks(r.cmd(&["KEYS", "*"])));
    see(
        "at the end: expired_keys",
        field(&mut r, "stats", "expired_keys"),
    );
    see(
        "at the end: master expired_keys",
        field(&mut m, "stats", "expired_keys"),
    );
    seen
}

#[test]
fn a_replica_leaves_expiry_to_its_master_as_redis_does() {
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
    assert_eq!(get("GET k1"), "$-1\r\n");
    assert_eq!(get("DBSIZE"), ":4\r\n");
    assert_eq!(get("expired_keys"), "0");
    let ours = run(Flavor::Node);
    assert_eq!(ours, theirs);
}

/// A writable replica (`replica-read-only no`): keys its own clients gave a TTL are expired by
/// its own cron (Redis's `slaveKeysWithExpire`), counted in its `expired_keys`; the master's
/// keys still wait for the master.
fn run_writable(flavor: Flavor) -> Vec<(String, String)> {
    let debug = ["--enable-debug-command", "yes"];
    let master = Server::start(
        flavor,
        &[&debug[..], &["--repl-diskless-sync-delay", "0"]].concat(),
    );
    let port = master.port().to_string();
    let replica = Server::start(
        flavor,
        &[
            &debug[..],
            &[
                "--replicaof",
                "127.0.0.1",
                &port,
                "--replica-read-only",
                "no",
            ],
        ]
        .concat(),
    );
    let (mut m, mut r) = (master.connect(), replica.connect());
    wait_until("the replica's link", || {
        field(&mut r, "replication", "master_link_status") == "up"
    });
    assert_eq!(m.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
    assert_eq!(m.cmd(&["SET", "from-master", "v", "PX", "100"]), b"+OK\r\n");
    wait_until("the master's key", || r.cmd(&["DBSIZE"]) == b":1\r\n");
    for cmd in [
        &["SET", "own1", "v", "PX", "100"][..],
        &["SET", "own2", "v"],
        &["PEXPIRE", "own2", "100"],
        &["SET", "own3", "v", "PX", "100000"],
        &["SET", "own4", "v", "PX", "100"],
        &["PERSIST", "own4"],
    ] {
        assert!(!r.cmd(cmd).starts_with(b"-"), "{cmd:?}");
    }
    // The replica's own cron removes own1 and own2 (not own3, not own4, not the master's).
    wait_until("the replica's own expiry", || {
        r.cmd(&["DBSIZE"]) == b":3\r\n"
    });
    let mut seen = Vec::new();
    let mut see = |label: &str, value: String| seen.push((label.to_owned(), value));
    see("KEYS *", sorted_bulks(r.cmd(&["KEYS", "*"])));
    see("expired_keys", field(&mut r, "stats", "expired_keys"));
    see("keyspace", keyspace(&mut r));
    seen
}

#[test]
fn a_writable_replica_expires_the_keys_its_clients_wrote() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run_writable(Flavor::Redis);
    assert_eq!(
        theirs[0],
        ("KEYS *".to_owned(), "own3 own4".to_owned()),
        "redis-server did something else: the test's premise"
    );
    let ours = run_writable(Flavor::Node);
    assert_eq!(ours, theirs);
}
