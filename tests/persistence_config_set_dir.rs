//! `CONFIG SET dir` at runtime, side by side with redis-server 7.0.15, which `chdir()`s: a
//! missing directory is refused with the OS error; a relative one is taken from the current
//! directory and CONFIG GET shows it absolute; afterwards SAVE and BGSAVE write `dump.rdb`,
//! CLUSTER SAVECONFIG writes `nodes.conf`, and BGREWRITEAOF writes a new base, incr and
//! manifest in the new directory's `appendonlydir`, while the old directory keeps its files.
//! Both servers must leave the same file names in both directories and the same manifest, and
//! a restart in the new directory holds the data.
//!
//! The node asks its driver to change directory (`Output::ChangeDir`); the driver makes every
//! file path absolute as the node emits it, so the AOF file already open stays in the old
//! directory and later files go to the new one.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{ok, snapshot, spawn, Snapshot};
use support::{require_tool, unique_dir, Client, Flavor};

/// Wait until INFO persistence shows no save or rewrite under way.
fn idle(c: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
        if [
            "rdb_bgsave_in_progress:0",
            "aof_rewrite_in_progress:0",
            "aof_rewrite_scheduled:0",
        ]
        .iter()
        .all(|f| info.contains(f))
        {
            return;
        }
        assert!(Instant::now() < deadline, "still saving: {info}");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// Wait until CLUSTER INFO says the cluster is ok (the node serves its slots).
fn cluster_ok(c: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&c.cmd(&["CLUSTER", "INFO"])).contains("cluster_state:ok") {
        assert!(Instant::now() < deadline, "cluster never ok");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// Every file under `root` (relative paths), without the servers' logs.
fn tree(root: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if !p.to_string_lossy().ends_with(".log") {
                out.insert(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

#[derive(Debug, PartialEq)]
struct Run {
    replies: Vec<Vec<u8>>,
    files: BTreeSet<String>,
    manifest: String,
    data: Snapshot,
}

fn run(flavor: Flavor) -> Run {
    let root = unique_dir("config-dir");
    let (a, b) = (root.join("a"), root.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let args = [
        "--save",
        "",
        "--appendonly",
        "yes",
        "--cluster-enabled",
        "yes",
        "--enable-protected-configs",
        "yes",
    ];
    let p = spawn(flavor, &a, &args);
    let mut c = p.client();
    ok(&mut c, &["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
    cluster_ok(&mut c);
    ok(&mut c, &["SET", "k1", "1"]);
    let mut replies = vec![
        c.cmd(&[
            "CONFIG",
            "SET",
            "dir",
            root.join("missing").to_str().unwrap(),
        ]),
        c.cmd(&["CONFIG", "SET", "dir", "../b"]),
    ];
    let got = c.cmd(&["CONFIG", "GET", "dir"]);
    let want_b = b.canonicalize().unwrap().display().to_string();
    assert!(
        String::from_utf8_lossy(&got).contains(&format!("\r\n{want_b}\r\n")),
        "{}: CONFIG GET dir: {}",
        flavor.label(),
        String::from_utf8_lossy(&got)
    );
    ok(&mut c, &["SET", "k2", "2"]);
    replies.push(c.cmd(&["SAVE"]));
    replies.push(c.cmd(&["BGSAVE"]));
    idle(&mut c);
    replies.push(c.cmd(&["CLUSTER", "SAVECONFIG"]));
    replies.push(c.cmd(&["BGREWRITEAOF"]));
    idle(&mut c);
    ok(&mut c, &["SET", "k3", "3"]);
    let data = snapshot(&mut c, 1);
    p.shutdown("NOSAVE");
    let manifest =
        std::fs::read_to_string(b.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    let files = tree(&root);
    // The new directory holds everything written since the change.
    let p = spawn(flavor, &b, &args);
    let mut c = p.client();
    cluster_ok(&mut c);
    // k3 went to the incr opened by the rewrite, in b: all three keys are there.
    assert_eq!(
        snapshot(&mut c, 1),
        data,
        "{}: restart in the new dir",
        flavor.label()
    );
    drop(p);
    let _ = std::fs::remove_dir_all(&root);
    Run {
        replies,
        files,
        manifest,
        data,
    }
}

#[test]
fn later_files_go_where_redis_puts_them_after_config_set_dir() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run(Flavor::Redis);
    let ours = run(Flavor::Node);
    assert_eq!(ours.replies, theirs.replies, "replies");
    assert_eq!(ours.files, theirs.files, "files left in both dirs");
    assert_eq!(ours.manifest, theirs.manifest, "new manifest");
    assert_eq!(ours.data, theirs.data, "data");
}
