//! History files a manifest still names at start (a rewrite replaced them and the process
//! stopped before removing them) are removed, and the manifest rewritten without them, as
//! redis-server 7.0.15 does (`aofDelHistoryFiles`): both servers start on the same dir and
//! must leave the same files, the same manifest, the same data and the same "Removing the
//! history file" log lines.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;

use persistence_support::{log_messages, settled_aof_files, snapshot, spawn};
use support::{encode_command, require_tool, unique_dir, Flavor};

/// A dir whose manifest names base 2 (AOF format), two history files and incr 2.
fn prepare(dir: &Path) {
    let aof = dir.join("appendonlydir");
    std::fs::create_dir_all(&aof).unwrap();
    std::fs::write(
        aof.join("appendonly.aof.manifest"),
        "file appendonly.aof.2.base.aof seq 2 type b\n\
         file appendonly.aof.1.base.aof seq 1 type h\n\
         file appendonly.aof.1.incr.aof seq 1 type h\n\
         file appendonly.aof.2.incr.aof seq 2 type i\n",
    )
    .unwrap();
    let base = [
        encode_command(&["SELECT", "0"]),
        encode_command(&["SET", "kept", "base"]),
    ]
    .concat();
    std::fs::write(aof.join("appendonly.aof.2.base.aof"), base).unwrap();
    std::fs::write(
        aof.join("appendonly.aof.2.incr.aof"),
        encode_command(&["SET", "incr", "2"]),
    )
    .unwrap();
    // What the history files hold is never read.
    std::fs::write(aof.join("appendonly.aof.1.base.aof"), "old").unwrap();
    std::fs::write(aof.join("appendonly.aof.1.incr.aof"), "old").unwrap();
}

#[test]
fn history_files_are_removed_at_start_as_redis_removes_them() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let run = |flavor: Flavor| {
        let dir = unique_dir("aof-history");
        prepare(&dir);
        let p = spawn(flavor, &dir, &["--save", "", "--appendonly", "yes"]);
        let data = snapshot(&mut p.client(), 1);
        let files = settled_aof_files(&dir.join("appendonlydir"));
        let log: Vec<String> = log_messages(&p.log_text())
            .into_iter()
            .map(|(_, m)| m)
            .filter(|m| m.contains("history file") || m.contains("AOF incr file"))
            .collect();
        drop(p);
        let _ = std::fs::remove_dir_all(&dir);
        (files, data, log)
    };
    let theirs = run(Flavor::Redis);
    assert_eq!(
        theirs.0.keys().collect::<Vec<_>>(),
        [
            "appendonly.aof.2.base.aof",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest"
        ],
        "redis-server's layout changed"
    );
    assert_eq!(theirs.1.len(), 2, "redis-server's data");
    let ours = run(Flavor::Node);
    assert_eq!(ours, theirs);
}
