//! A replica killed and restarted from the RDB file it saved offers the replication position
//! stored in that file (`repl-id`, `repl-offset`) and continues with a partial resync: the
//! master counts one full sync and one partial one, and the replica gets what it missed. The
//! same steps are run with a `redis-server` replica, and the master's counters must match.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{require_tool, unique_dir, Client, Flavor, Server};

fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

fn field(c: &mut Client, section: &str, name: &str) -> Option<String> {
    let info = text(c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

fn wait_synced(m: &mut Client, r: &mut Client, servers: &[&Server]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let up = field(r, "replication", "master_link_status").as_deref() == Some("up");
        let mo = field(m, "replication", "master_repl_offset");
        if up && mo == field(r, "replication", "slave_repl_offset") {
            return;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = servers.iter().map(|s| s.logs()).collect();
            panic!("timed out waiting for the replica\n{}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50)); // polling interval
    }
}

/// The master's `sync_full` and `sync_partial_ok` after a replica of `flavor` synced, saved,
/// was killed, missed writes and came back from its file.
fn restart_replica_of_redis(flavor: Flavor) -> (Option<String>, Option<String>) {
    // No delay before a diskless transfer: the first sync starts at once.
    let master = Server::start(Flavor::Redis, &["--repl-diskless-sync-delay", "0"]);
    let mut m = master.connect();
    let port = master.port().to_string();
    let dir = unique_dir("restart-replica");
    let dir_arg = dir.to_string_lossy().into_owned();
    let args = ["--replicaof", "127.0.0.1", &port, "--dir", &dir_arg];
    for i in 0..100 {
        m.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    let replica = Server::start(flavor, &args);
    let mut r = replica.connect();
    wait_synced(&mut m, &mut r, &[&master, &replica]);
    assert_eq!(r.cmd(&["SAVE"]), b"+OK\r\n");
    drop(r);
    drop(replica); // SIGKILL

    for i in 100..150 {
        m.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    let replica = Server::start(flavor, &args);
    let mut r = replica.connect();
    wait_synced(&mut m, &mut r, &[&master, &replica]);
    assert_eq!(r.cmd(&["DBSIZE"]), b":150\r\n", "{}", flavor.label());
    let seen = (
        field(&mut m, "stats", "sync_full"),
        field(&mut m, "stats", "sync_partial_ok"),
    );
    drop(replica);
    let _ = std::fs::remove_dir_all(&dir);
    seen
}

#[test]
fn restarted_replica_resyncs_partially_from_its_rdb_position() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let redis = restart_replica_of_redis(Flavor::Redis);
    assert_eq!(redis, (Some("1".into()), Some("1".into())));
    let ours = restart_replica_of_redis(Flavor::Node);
    assert_eq!(ours, redis);
}
