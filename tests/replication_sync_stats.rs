//! What a master shows about its replicas, beside `redis-server` doing the same steps with the
//! same `redis-server` replica: `INFO stats` `sync_full` / `sync_partial_ok` /
//! `sync_partial_err` after a first sync, a partial resync (the replica drops its link) and a
//! failed PSYNC (an unknown replication id), and zero again after `CONFIG RESETSTAT`; and the
//! replica's connection in `CLIENT LIST TYPE replica` with flag `S`, killable by
//! `CLIENT KILL TYPE replica`.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{require_tool, Client, Flavor, Server};

fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

fn field(c: &mut Client, section: &str, name: &str) -> Option<String> {
    let info = text(c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

fn wait_for(what: &str, servers: &[&Server], mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        if Instant::now() > deadline {
            let logs: Vec<String> = servers.iter().map(|s| s.logs()).collect();
            panic!("timed out waiting for {what}\n{}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50)); // polling interval
    }
}

fn sync_stats(c: &mut Client) -> String {
    ["sync_full", "sync_partial_ok", "sync_partial_err"]
        .map(|f| format!("{f}:{}", field(c, "stats", f).unwrap_or_default()))
        .join(" ")
}

/// The `flags=` of every `CLIENT LIST TYPE replica` line.
fn replica_flags(c: &mut Client) -> Vec<String> {
    let list = text(c.cmd(&["CLIENT", "LIST", "TYPE", "replica"]));
    list.lines()
        .filter(|l| l.contains("id="))
        .filter_map(|l| l.split(' ').find_map(|f| f.strip_prefix("flags=")))
        .map(str::to_owned)
        .collect()
}

/// Run the steps against a master of `flavor`; returns what it showed after each.
fn observe(flavor: Flavor) -> Vec<String> {
    let master = Server::start(flavor, &["--repl-diskless-sync", "no"]);
    let mut m = master.connect();
    m.cmd(&["SET", "k", "v"]);
    let port = master.port().to_string();
    let replica = Server::start(Flavor::Redis, &["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.connect();
    let servers = [&master, &replica];
    let synced = |r: &mut Client, m: &mut Client| {
        field(r, "replication", "master_link_status").as_deref() == Some("up")
            && field(r, "replication", "slave_repl_offset")
                == field(m, "replication", "master_repl_offset")
    };
    let mut seen = Vec::new();
    wait_for("the first sync", &servers, || synced(&mut r, &mut m));
    seen.push(format!("first sync: {}", sync_stats(&mut m)));
    seen.push(format!("replica flags: {:?}", replica_flags(&mut m)));

    // The replica drops its link and comes back within the backlog.
    r.cmd(&["CLIENT", "KILL", "TYPE", "master"]);
    m.cmd(&["SET", "k2", "v2"]);
    wait_for("the partial resync", &servers, || {
        synced(&mut r, &mut m) && text(r.cmd(&["GET", "k2"])) == "$2\r\nv2\r\n"
    });
    seen.push(format!("partial: {}", sync_stats(&mut m)));

    // A PSYNC naming a history the master never had: refused, served in full instead.
    let mut p = master.connect();
    p.send(&["PSYNC", &"a".repeat(40), "1"]).unwrap();
    let line = p.read_reply().unwrap();
    assert!(
        text(line.clone()).starts_with("+FULLRESYNC "),
        "{}",
        text(line)
    );
    drop(p);
    seen.push(format!("failed psync: {}", sync_stats(&mut m)));

    // The master kills its replica's link; the replica comes back once more.
    seen.push(format!(
        "kill type replica: {}",
        text(m.cmd(&["CLIENT", "KILL", "TYPE", "replica"])).trim_end()
    ));
    // The master dropped it at once, so a listed replica is the one that came back.
    wait_for("the replica back", &servers, || {
        field(&mut m, "replication", "connected_slaves").as_deref() == Some("1")
            && synced(&mut r, &mut m)
    });
    seen.push(format!("after the kill: {}", sync_stats(&mut m)));

    m.cmd(&["CONFIG", "RESETSTAT"]);
    seen.push(format!("resetstat: {}", sync_stats(&mut m)));
    seen
}

#[test]
fn sync_counters_and_replica_clients_as_redis_shows_them() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let redis = observe(Flavor::Redis);
    assert_eq!(
        redis[0], "first sync: sync_full:1 sync_partial_ok:0 sync_partial_err:0",
        "{redis:#?}"
    );
    let ours = observe(Flavor::Node);
    assert_eq!(ours, redis);
}
