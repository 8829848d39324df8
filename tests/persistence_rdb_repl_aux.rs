//! The RDB a replica saves carries its replication position as Redis writes it
//! (`repl-stream-db`, `repl-id`, `repl-offset`, Ref: rdbPopulateSaveInfo), so a restart can
//! offer it to a partial resync; a master that never had replicas writes none, like Redis.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::time::{Duration, Instant};

use hashslot_persist::{load, LoadOptions};
use persistence_support::{ok, spawn};
use support::{require_tool, unique_dir, Client, Flavor};

fn info_field(c: &mut Client, field: &str) -> String {
    let text = String::from_utf8_lossy(&c.cmd(&["INFO", "replication"])).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .trim()
        .to_owned()
}

fn aux(dir: &std::path::Path) -> Vec<(String, String)> {
    let file = std::fs::read(dir.join("dump.rdb")).unwrap();
    let info = load(&file, &LoadOptions::default()).unwrap().info;
    info.aux
        .iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect()
}

fn field<'a>(aux: &'a [(String, String)], name: &str) -> Option<&'a str> {
    aux.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn a_replica_saves_its_replication_position() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let args = ["--save", "", "--appendonly", "no"];
    // A fresh master: no replication fields (Redis writes none either).
    let dir_m = unique_dir("aux-master");
    // No master PINGs to move the offset while the test reads it, no sync delay.
    let mut master_args = args.to_vec();
    master_args.extend(["--repl-ping-replica-period", "3600"]);
    master_args.extend(["--repl-diskless-sync-delay", "0"]);
    let m = spawn(Flavor::Redis, &dir_m, &master_args);
    let dir_o = unique_dir("aux-fresh");
    let o = spawn(Flavor::Node, &dir_o, &args);
    ok(&mut o.client(), &["SAVE"]);
    assert_eq!(field(&aux(&dir_o), "repl-id"), None);
    drop(o);
    // Our node as redis-server's replica.
    let port = m.port.to_string();
    let mut replica_args = args.to_vec();
    replica_args.extend(["--replicaof", "127.0.0.1", &port]);
    let dir_r = unique_dir("aux-replica");
    let r = spawn(Flavor::Node, &dir_r, &replica_args);
    let mut mc = m.client();
    ok(&mut mc, &["SELECT", "0"]);
    ok(&mut mc, &["SET", "k", "v"]);
    let mut rc = r.client();
    let deadline = Instant::now() + Duration::from_secs(20);
    let master_offset = info_field(&mut mc, "master_repl_offset");
    while info_field(&mut rc, "master_link_status") != "up"
        || info_field(&mut rc, "slave_repl_offset") != master_offset
        || rc.cmd(&["GET", "k"]) != b"$1\r\nv\r\n"
    {
        assert!(Instant::now() < deadline, "replica never caught up");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
    ok(&mut rc, &["SAVE"]);
    let a = aux(&dir_r);
    assert_eq!(
        field(&a, "repl-id"),
        Some(info_field(&mut mc, "master_replid").as_str())
    );
    assert_eq!(field(&a, "repl-offset"), Some(master_offset.as_str()));
    assert_eq!(field(&a, "repl-stream-db"), Some("0"));
    // The stream moves to db 3: the replica's master client is there now, and a file saved
    // now says so (Redis: `server.master->db->id`), so a restart continued with `+CONTINUE`
    // applies the next commands to db 3.
    ok(&mut mc, &["SELECT", "3"]);
    ok(&mut mc, &["SET", "k3", "v"]);
    let master_offset = info_field(&mut mc, "master_repl_offset");
    while info_field(&mut rc, "slave_repl_offset") != master_offset {
        assert!(
            Instant::now() < deadline,
            "replica never caught up with db 3"
        );
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
    ok(&mut rc, &["SAVE"]);
    assert_eq!(field(&aux(&dir_r), "repl-stream-db"), Some("3"));
    for d in [dir_m, dir_o, dir_r] {
        let _ = std::fs::remove_dir_all(d);
    }
}
