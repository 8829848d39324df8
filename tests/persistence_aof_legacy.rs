//! The single-file AOF of Redis before 7.0 (`appendfilename` in `dir`, no manifest), plain
//! commands or an RDB preamble followed by commands: our node and redis-server 7.0, each
//! started with `appendonly yes` on a copy of the same directory, hold the same data, and our
//! node keeps it across a second restart (it has moved to the multi-part layout by then).
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;

use persistence_support::{assert_same, fill_varied, ok, snapshot, spawn};
use support::{encode_command, require_tool, unique_dir, Flavor};

const AOF: &[&str] = &["--save", "", "--appendonly", "yes"];

fn tail() -> Vec<u8> {
    let cmds: &[&[&str]] = &[
        &["SELECT", "0"],
        &["SET", "legacy", "1"],
        &["MULTI"],
        &["INCR", "legacy"],
        &["RPUSH", "legacy:l", "a", "b"],
        &["EXEC"],
        &["SELECT", "3"],
        &["HSET", "legacy:h", "f", "v"],
        &["PEXPIREAT", "legacy:h", "4102444800000"],
        &["SELECT", "0"],
        &["DEL", "s:small"],
    ];
    cmds.iter().flat_map(|c| encode_command(c)).collect()
}

fn compare(what: &str, file: &[u8]) {
    let mut snaps = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Node] {
        let dir = unique_dir("legacy");
        std::fs::write(dir.join("appendonly.aof"), file).unwrap();
        let p = spawn(flavor, &dir, AOF);
        snaps.push(snapshot(&mut p.client(), 4));
        if flavor == Flavor::Node {
            p.shutdown("NOSAVE");
            let p = spawn(flavor, &dir, AOF);
            assert_same(
                &format!("{what}: ours after a second restart"),
                &snapshot(&mut p.client(), 4),
                &snaps[0],
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(snaps[0].len() > 2, "{what}: nothing loaded");
    assert_same(what, &snaps[1], &snaps[0]);
}

/// A dump.rdb written by redis-server from the varied dataset.
fn redis_rdb(dir: &Path) -> Vec<u8> {
    let p = spawn(Flavor::Redis, dir, &["--save", "", "--appendonly", "no"]);
    let mut c = p.client();
    fill_varied(&mut c);
    ok(&mut c, &["SAVE"]);
    drop(p);
    std::fs::read(dir.join("dump.rdb")).unwrap()
}

#[test]
fn single_file_aof_loads_as_in_redis() {
    if require_tool("redis-server").is_none() {
        return;
    }
    compare("plain commands", &tail());
    let dir = unique_dir("legacy-rdb");
    let mut preamble = redis_rdb(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    preamble.extend(tail());
    compare("RDB preamble and commands", &preamble);
}
