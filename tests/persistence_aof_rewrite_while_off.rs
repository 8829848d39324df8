//! BGREWRITEAOF with `appendonly no`, side by side with redis-server 7.0.15: Redis 7.0 rewrites
//! anyway, writing a base alone (`appendonly.aof.<n>.base.rdb`) and a manifest naming only it,
//! and removing the previous base. Both servers must reply the same, leave the same file names
//! and manifest, show the same INFO `aof_*` fields and history-removal log lines, and the dir
//! must pass `redis-check-aof`. Restarted with `appendonly yes`, both load the base and create
//! the same first incr (base and incr sequence numbers are counted apart), and redis-server
//! started on our dir holds our data.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{
    assert_same, copy_files, log_messages, ok, run_tool, settled_aof_files, snapshot, spawn, Proc,
};
use support::{require_tool, unique_dir, Client, Flavor};

const OFF: &[&str] = &["--save", "", "--appendonly", "no"];
const ON: &[&str] = &["--save", "", "--appendonly", "yes"];

/// The INFO persistence `aof_*` fields both servers fill alike (CoW sizes are Redis's fork's).
/// `aof_last_rewrite_time_sec` is whole seconds of the wall clock, 0 or 1 for the same short
/// rewrite depending on where a second boundary falls: only whether it is set (-1 or not) is
/// compared.
fn aof_info(c: &mut Client) -> BTreeMap<String, String> {
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
    info.lines()
        .filter_map(|l| l.trim_end().split_once(':'))
        .filter(|(k, _)| k.starts_with("aof_") && !k.ends_with("cow_size"))
        .map(|(k, v)| {
            let v = match (k, v) {
                ("aof_last_rewrite_time_sec", "-1") => "-1",
                ("aof_last_rewrite_time_sec", n) if n.parse::<u32>().is_ok_and(|n| n <= 2) => "set",
                _ => v,
            };
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// BGREWRITEAOF, its reply, and wait until INFO shows `rewrites` rewrites done.
fn rewrite(c: &mut Client, rewrites: u32) -> Vec<u8> {
    let reply = c.cmd(&["BGREWRITEAOF"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = aof_info(c);
        if info["aof_rewrite_in_progress"] == "0" && info["aof_rewrites"] == rewrites.to_string() {
            return reply;
        }
        assert!(Instant::now() < deadline, "rewrite never ended: {info:?}");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// Names of the files in the appendonly dir, and the manifest.
fn layout(dir: &Path) -> (Vec<String>, String) {
    let files = settled_aof_files(&dir.join("appendonlydir"));
    let manifest = String::from_utf8_lossy(&files["appendonly.aof.manifest"]).into_owned();
    (files.into_keys().collect(), manifest)
}

#[derive(Debug, PartialEq)]
struct Steps {
    replies: Vec<Vec<u8>>,
    layouts: Vec<(Vec<String>, String)>,
    infos: Vec<BTreeMap<String, String>>,
    log: Vec<String>,
    restarted: (Vec<String>, String),
}

/// Two rewrites with the AOF off, then a restart with it on.
fn steps(flavor: Flavor, dir: &Path, check: &Path) -> (Steps, persistence_support::Snapshot) {
    let p = spawn(flavor, dir, OFF);
    let mut c = p.client();
    let mut s = Steps {
        replies: Vec::new(),
        layouts: Vec::new(),
        infos: vec![aof_info(&mut c)],
        log: Vec::new(),
        restarted: Default::default(),
    };
    ok(&mut c, &["SET", "a", "1"]);
    ok(&mut c, &["RPUSH", "l", "x", "y"]);
    s.replies.push(rewrite(&mut c, 1));
    s.layouts.push(layout(dir));
    s.infos.push(aof_info(&mut c));
    ok(&mut c, &["SET", "b", "2"]);
    s.replies.push(rewrite(&mut c, 2));
    s.layouts.push(layout(dir));
    s.infos.push(aof_info(&mut c));
    let data = snapshot(&mut c, 1);
    let (valid, text) = run_tool(check, &[&dir.join("appendonlydir/appendonly.aof.manifest")]);
    assert!(
        valid && text.contains("is valid"),
        "{}: {text}",
        flavor.label()
    );
    s.log = log_messages(&p.log_text())
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| m.contains("history file") || m.contains("AOF rewrite finished"))
        .collect();
    p.shutdown("NOSAVE");
    let p: Proc = spawn(flavor, dir, ON);
    assert_same(
        &format!("{} restarted with appendonly yes", flavor.label()),
        &snapshot(&mut p.client(), 1),
        &data,
    );
    p.shutdown("NOSAVE");
    s.restarted = layout(dir);
    (s, data)
}

#[test]
fn bgrewriteaof_with_the_aof_off_writes_a_base_as_redis_does() {
    let (Some(_), Some(check)) = (
        require_tool("redis-server"),
        require_tool("redis-check-aof"),
    ) else {
        return;
    };
    let theirs_dir = unique_dir("aof-off-redis");
    let ours_dir = unique_dir("aof-off-ours");
    let (theirs, _) = steps(Flavor::Redis, &theirs_dir, &check);
    let (ours, data) = steps(Flavor::Node, &ours_dir, &check);
    assert_eq!(
        theirs.replies,
        vec![b"+Background append only file rewriting started\r\n".to_vec(); 2]
    );
    assert_eq!(
        theirs.layouts[1].0,
        ["appendonly.aof.2.base.rdb", "appendonly.aof.manifest"],
        "redis-server's layout changed"
    );
    assert_eq!(ours.replies, theirs.replies, "replies");
    assert_eq!(ours.layouts, theirs.layouts, "files after each rewrite");
    assert_eq!(ours.infos, theirs.infos, "INFO aof_* fields");
    assert_eq!(ours.log, theirs.log, "log lines");
    assert_eq!(ours.restarted, theirs.restarted, "files after the restart");

    // redis-server on the dir we left.
    let cross = unique_dir("aof-off-cross");
    copy_files(
        &ours_dir.join("appendonlydir"),
        &cross.join("appendonlydir"),
    );
    let r = spawn(Flavor::Redis, &cross, ON);
    assert_same(
        "redis-server on our dir",
        &snapshot(&mut r.client(), 1),
        &data,
    );
    drop(r);
    for d in [theirs_dir, ours_dir, cross] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A dir with a base and an incr (left by a run with `appendonly yes`), restarted with
/// `appendonly no`: the manifest is read anyway, so BGREWRITEAOF writes the next base number
/// and removes both old files, as Redis does.
#[test]
fn a_rewrite_with_the_aof_off_continues_the_manifest_it_finds() {
    let Some(_) = require_tool("redis-server") else {
        return;
    };
    let run = |flavor: Flavor| {
        let dir = unique_dir("aof-off-manifest");
        let p = spawn(flavor, &dir, ON);
        ok(&mut p.client(), &["SET", "a", "1"]);
        p.shutdown("NOSAVE");
        let before = layout(&dir);
        let p = spawn(flavor, &dir, OFF);
        let mut c = p.client();
        ok(&mut c, &["SET", "b", "2"]);
        let reply = rewrite(&mut c, 1);
        let after = layout(&dir);
        let log: Vec<String> = log_messages(&p.log_text())
            .into_iter()
            .map(|(_, m)| m)
            .filter(|m| m.contains("history file"))
            .collect();
        drop(p);
        let _ = std::fs::remove_dir_all(&dir);
        (before, reply, after, log)
    };
    let theirs = run(Flavor::Redis);
    assert_eq!(
        theirs.2 .0,
        ["appendonly.aof.2.base.rdb", "appendonly.aof.manifest"],
        "redis-server's layout changed"
    );
    assert_eq!(run(Flavor::Node), theirs);
}
