//! `CONFIG SET appendonly yes|no` at runtime, side by side with redis-server 7.0.15: turning the
//! AOF on starts a rewrite (writes meanwhile go to `temp-appendonly.aof.incr`, renamed to the
//! next incr when the base is committed); turning it off closes the file and leaves the files
//! alone; turning it on again rewrites and removes the previous base and incr. After every
//! step both servers must have the same file names, manifest and incr bytes, the same INFO
//! `aof_enabled`/`aof_rewrites`, the same rewrite log lines; the dir passes `redis-check-aof`
//! and a restart holds the same data.
//!
//! The switch takes effect within the CONFIG SET itself (`Node::config_changed` applies it),
//! not at the next persistence cron tick: a write right after `appendonly no` must not reach
//! the file, and an off-then-on in quick succession must not be missed.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{
    aof_info, log_messages, ok, run_tool, settled_aof_files, snapshot, spawn, Snapshot,
};
use support::{require_tool, unique_dir, Client, Flavor};

/// Wait until the AOF is on and `rewrites` rewrites are done.
fn wait_rewritten(c: &mut Client, rewrites: u32) -> BTreeMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = aof_info(c);
        if info["aof_enabled"] == "1"
            && info["aof_rewrite_in_progress"] == "0"
            && info["aof_rewrite_scheduled"] == "0"
            && info["aof_rewrites"] == rewrites.to_string()
        {
            return info;
        }
        assert!(Instant::now() < deadline, "rewrite never ended: {info:?}");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// The appendonly dir's files, with the base (an RDB image with a creation time) by name only.
fn layout(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    settled_aof_files(&dir.join("appendonlydir"))
        .into_iter()
        .map(|(name, bytes)| {
            let keep = !name.contains(".base.");
            (name, if keep { bytes } else { Vec::new() })
        })
        .collect()
}

#[derive(Debug, PartialEq)]
struct Run {
    replies: Vec<Vec<u8>>,
    layouts: Vec<BTreeMap<String, Vec<u8>>>,
    enabled: Vec<(String, String)>,
    log: Vec<String>,
    data: Snapshot,
}

fn run(flavor: Flavor, check: &Path) -> Run {
    let dir = unique_dir("aof-runtime");
    let args = [
        "--save",
        "",
        "--appendonly",
        "no",
        "--appendfsync",
        "always",
    ];
    let p = spawn(flavor, &dir, &args);
    let mut c = p.client();
    let mut r = Run {
        replies: Vec::new(),
        layouts: Vec::new(),
        enabled: Vec::new(),
        log: Vec::new(),
        data: Snapshot::new(),
    };
    let enabled = |c: &mut Client, rewrites: Option<u32>| {
        let info = match rewrites {
            Some(n) => wait_rewritten(c, n),
            None => aof_info(c),
        };
        (info["aof_enabled"].clone(), info["aof_rewrites"].clone())
    };
    ok(&mut c, &["SET", "a", "1"]);
    r.replies
        .push(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]));
    r.enabled.push(enabled(&mut c, Some(1)));
    ok(&mut c, &["SET", "b", "2"]);
    r.layouts.push(layout(&dir));
    r.replies
        .push(c.cmd(&["CONFIG", "SET", "appendonly", "no"]));
    r.enabled.push(enabled(&mut c, None));
    ok(&mut c, &["SET", "c", "3"]);
    r.layouts.push(layout(&dir));
    r.replies
        .push(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]));
    r.enabled.push(enabled(&mut c, Some(2)));
    ok(&mut c, &["SET", "d", "4"]);
    r.layouts.push(layout(&dir));
    let want = snapshot(&mut c, 1);
    r.log = log_messages(&p.log_text())
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| {
            m.contains("AOF incr file")
                || m.contains("history file")
                || m.contains("AOF rewrite finished")
        })
        .collect();
    p.shutdown("NOSAVE");
    let (valid, text) = run_tool(check, &[&dir.join("appendonlydir/appendonly.aof.manifest")]);
    assert!(
        valid && text.contains("is valid"),
        "{}: {text}",
        flavor.label()
    );
    let p = spawn(flavor, &dir, &["--save", "", "--appendonly", "yes"]);
    r.data = snapshot(&mut p.client(), 1);
    assert_eq!(r.data, want, "{}: restart", flavor.label());
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

#[test]
fn appendonly_switched_at_runtime_as_redis_switches_it() {
    let (Some(_), Some(check)) = (
        require_tool("redis-server"),
        require_tool("redis-check-aof"),
    ) else {
        return;
    };
    let theirs = run(Flavor::Redis, &check);
    let ours = run(Flavor::Node, &check);
    assert_eq!(
        theirs.layouts[2].keys().collect::<Vec<_>>(),
        [
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest"
        ],
        "redis-server's layout changed"
    );
    assert_eq!(ours.replies, theirs.replies, "replies");
    assert_eq!(
        ours.enabled, theirs.enabled,
        "INFO aof_enabled, aof_rewrites"
    );
    for (i, (o, t)) in ours.layouts.iter().zip(&theirs.layouts).enumerate() {
        assert!(
            o == t,
            "step {i}: files differ:\nours   {:?}\ntheirs {:?}",
            o.iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(v)))
                .collect::<Vec<_>>(),
            t.iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(v)))
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(ours.log, theirs.log, "log lines");
    assert_eq!(ours.data, theirs.data, "data");
}
