//! A writable replica (`replica-read-only no`) expires the keys its own clients gave a TTL,
//! also after MOVE or COPY … DB carried such a key to another db, beside redis-server 7.0.15:
//! Redis's `setExpire` on the destination db remembers the key there (`slaveKeysWithExpire`),
//! so the replica's cron deletes it once its TTL passes (DBSIZE of that db drops, and
//! `expired_keys` counts it), though no `DEL` ever comes from the master.
// A process test: it polls real processes against wall-clock deadlines and waits for TTLs.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{require_tool, Client, Flavor, Server};

fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

fn field(c: &mut Client, section: &str, name: &str) -> String {
    let info = text(c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// DBSIZE of `db` (the replica's clients see expired keys as missing, DBSIZE still counts
/// them until they are deleted).
fn dbsize(c: &mut Client, db: &str) -> String {
    c.cmd(&["SELECT", db]);
    text(c.cmd(&["DBSIZE"]))
}

/// On a writable replica of `flavor`: keys with a short TTL moved (MOVE) and copied (COPY …
/// DB) to other dbs; returns DBSIZE of dbs 0, 1, 2 and `expired_keys` once every remembered
/// key had its TTL pass and the replica's cron deleted them (or 5 s passed).
fn run(flavor: Flavor) -> Vec<String> {
    let master = Server::start(flavor, &["--repl-diskless-sync-delay", "0"]);
    let port = master.port().to_string();
    let replica = Server::start(
        flavor,
        &[
            "--replicaof",
            "127.0.0.1",
            &port,
            "--replica-read-only",
            "no",
        ],
    );
    let mut r = replica.connect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while field(&mut r, "replication", "master_link_status") != "up" {
        assert!(Instant::now() < deadline, "the replica's link");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
    for cmd in [
        &["SET", "moved", "v", "PX", "300"][..],
        &["MOVE", "moved", "1"],
        &["SET", "copied", "v", "PX", "300"],
        &["COPY", "copied", "copy", "DB", "2"],
        &["SET", "plain", "v"],
        &["MOVE", "plain", "1"],
    ] {
        let reply = text(r.cmd(cmd));
        assert!(!reply.starts_with('-'), "{cmd:?}: {reply}");
    }
    assert_eq!(dbsize(&mut r, "1"), ":2\r\n");
    // Wait for the cron to delete the three keys with a TTL (db 0 `copied`, db 1 `moved`,
    // db 2 `copy`), or give up after 5 s and report what stayed.
    let deadline = Instant::now() + Duration::from_secs(5);
    while field(&mut r, "stats", "expired_keys") != "3" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50)); // polling interval
    }
    vec![
        dbsize(&mut r, "0"),
        dbsize(&mut r, "1"),
        dbsize(&mut r, "2"),
        field(&mut r, "stats", "expired_keys"),
    ]
}

#[test]
fn moved_and_copied_keys_expire_on_a_writable_replica() {
    let ours = run(Flavor::Node);
    assert_eq!(ours, [":0\r\n", ":1\r\n", ":0\r\n", "3"]);
    if require_tool("redis-server").is_none() {
        return;
    }
    assert_eq!(ours, run(Flavor::Redis));
}
