//! On a replica, the link to its master is a client in CLIENT LIST (flag `M`), as in Redis:
//! `CLIENT LIST TYPE master` shows it with the master's address, the db and last command of
//! the stream, `user=(superuser)`; it is in the full list too; `CLIENT KILL TYPE master` drops
//! it and after the partial resync the same client (same id) is back. A master lists none. The
//! same steps run with a `redis-server` replica of the same `redis-server` master, and the two
//! transcripts (variable fields such as ports, ages and buffer sizes left out) must be equal.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{require_tool, Client, Flavor, Server};

fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

fn field(c: &mut Client, name: &str) -> Option<String> {
    text(c.cmd(&["INFO", "replication"]))
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

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
        std::thread::sleep(Duration::from_millis(50)); // polling interval
    }
}

/// The CLIENT LIST lines of a reply (a RESP2 bulk string).
fn lines(reply: Vec<u8>) -> Vec<String> {
    let t = text(reply);
    let body = t.split_once("\r\n").map_or("", |(_, b)| b);
    body.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A CLIENT LIST line without the fields that differ from run to run or between servers'
/// buffer strategies; the master's port is written as MASTER. Also checks that `laddr` and
/// `fd` name a real socket.
fn masked(line: &str, master_port: u16) -> String {
    let keep = [
        "addr", "name", "flags", "db", "sub", "psub", "ssub", "multi", "obl", "oll", "omem",
        "events", "cmd", "user", "redir", "resp",
    ];
    let mut out = Vec::new();
    for kv in line.split(' ') {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "laddr" => assert!(!v.ends_with(":0"), "{line}"),
            "fd" => assert!(v.parse::<i64>().unwrap() > 0, "{line}"),
            _ => {}
        }
        if keep.contains(&k) {
            let v = v.replace(&format!(":{master_port}"), ":MASTER");
            out.push(format!("{k}={v}"));
        }
    }
    out.join(" ")
}

fn id_of(line: &str) -> String {
    line.split(' ').next().unwrap().to_owned()
}

fn transcript(flavor: Flavor) -> Vec<String> {
    // No delay before a diskless transfer, no periodic PING of the stream during the test.
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
    let port = master.port();
    let replica = Server::start(flavor, &["--replicaof", "127.0.0.1", &port.to_string()]);
    let mut r = replica.connect();
    let servers = [&master, &replica];
    wait_synced(&mut m, &mut r, &servers);
    let mut t = Vec::new();
    t.push(format!(
        "master lists {:?}",
        lines(m.cmd(&["CLIENT", "LIST", "TYPE", "master"]))
    ));

    m.cmd(&["SET", "a", "1"]);
    m.cmd(&["SELECT", "3"]);
    m.cmd(&["SET", "b", "2"]);
    wait_synced(&mut m, &mut r, &servers);
    let listed = lines(r.cmd(&["CLIENT", "LIST", "TYPE", "master"]));
    assert_eq!(listed.len(), 1, "{listed:?}");
    let first_id = id_of(&listed[0]);
    t.push(format!("type master: {}", masked(&listed[0], port)));
    let all = lines(r.cmd(&["CLIENT", "LIST"]));
    let in_all: Vec<String> = all
        .iter()
        .filter(|l| l.contains(" flags=M "))
        .map(|l| masked(l, port))
        .collect();
    t.push(format!("in the full list: {in_all:?}"));
    t.push(format!(
        "type normal: {} lines",
        lines(r.cmd(&["CLIENT", "LIST", "TYPE", "normal"])).len()
    ));

    t.push(format!(
        "kill type master: {}",
        text(r.cmd(&["CLIENT", "KILL", "TYPE", "master"])).trim_end()
    ));
    // Still in db 3: after the partial resync the stream goes on without a SELECT, so the
    // replica must keep the stream's db across +CONTINUE (it used to fall back to db 0).
    m.cmd(&["SET", "c", "3"]);
    wait_synced(&mut m, &mut r, &servers);
    let listed = lines(r.cmd(&["CLIENT", "LIST", "TYPE", "master"]));
    assert_eq!(listed.len(), 1, "{listed:?}");
    t.push(format!("after the resync: {}", masked(&listed[0], port)));
    t.push(format!("same id: {}", id_of(&listed[0]) == first_id));
    t
}

#[test]
fn client_list_shows_the_master_link_as_redis() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let redis = transcript(Flavor::Redis);
    let ours = transcript(Flavor::Node);
    assert_eq!(ours, redis);
}
