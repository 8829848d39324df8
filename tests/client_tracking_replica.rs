//! Writes a replica applies from its master invalidate the keys its own tracking clients read,
//! as on redis-server 7.0.15: a RESP3 client of the replica gets `invalidate` pushes for keys
//! the master's stream changes (SET, DEL, an expiry propagated as DEL), one per key, and a
//! null when the master flushes. The same steps run with a redis-server replica of the same
//! redis-server master, and the two transcripts must be equal.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{escape, require_tool, Client, Flavor, Server};

fn field(c: &mut Client, name: &str) -> Option<String> {
    String::from_utf8_lossy(&c.cmd(&["INFO", "replication"]))
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

/// Wait until the replica applied everything the master sent (a wait on state, not a sleep).
fn wait_synced(m: &mut Client, r: &mut Client, servers: &[&Server]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let up = field(r, "master_link_status").as_deref() == Some("up");
        if up && field(m, "master_repl_offset") == field(r, "slave_repl_offset") {
            return;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = servers.iter().map(|s| s.logs()).collect();
            panic!("timed out waiting for the replica\n{}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// What `t` was sent before the pong of a PING it sends now.
fn drain(t: &mut Client, out: &mut Vec<String>) {
    t.send(&["PING"]).expect("send");
    loop {
        let r = t.read_reply().expect("frames up to the pong");
        out.push(escape(&r));
        if r == b"+PONG\r\n" {
            return;
        }
    }
}

fn transcript(flavor: Flavor) -> Vec<String> {
    let master = Server::start(
        Flavor::Redis,
        &[
            "--repl-diskless-sync-delay",
            "0",
            "--repl-ping-replica-period",
            "3600",
        ],
    );
    let mut m = master.connect();
    let port = master.port().to_string();
    let replica = Server::start(flavor, &["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.connect();
    let servers = [&master, &replica];
    m.cmd(&["MSET", "a", "1", "b", "2", "c", "3"]);
    wait_synced(&mut m, &mut r, &servers);

    let mut t = replica.connect();
    t.cmd(&["HELLO", "3"]);
    let mut out = vec![escape(&t.cmd(&["CLIENT", "TRACKING", "on"]))];
    for k in ["a", "b", "c", "d"] {
        out.push(escape(&t.cmd(&["GET", k])));
    }
    m.cmd(&["SET", "a", "10"]);
    m.cmd(&["DEL", "b"]);
    m.cmd(&["PEXPIRE", "c", "1"]);
    m.cmd(&["SET", "untracked", "x"]);
    wait_synced(&mut m, &mut r, &servers);
    drain(&mut t, &mut out);
    out.push(escape(&t.cmd(&["GET", "a"])));
    m.cmd(&["FLUSHALL"]);
    wait_synced(&mut m, &mut r, &servers);
    drain(&mut t, &mut out);
    let info = String::from_utf8_lossy(&r.cmd(&["INFO", "everything"])).into_owned();
    out.extend(
        info.lines()
            .filter(|l| l.starts_with("tracking_"))
            .map(str::to_owned),
    );
    out
}

#[test]
fn replicated_writes_invalidate_like_redis() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let ours = transcript(Flavor::Node);
    assert!(
        ours.iter()
            .any(|l| l.contains("invalidate") && l.contains("$1\\r\\na")),
        "{ours:#?}"
    );
    let theirs = transcript(Flavor::Redis);
    assert_eq!(ours, theirs);
}
