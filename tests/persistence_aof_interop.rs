//! The appendonly dir both ways, every type: ours (incr commands, a transaction, a
//! BGREWRITEAOF in the middle, a clean shutdown) passes `redis-check-aof` and redis-server
//! started on it holds exactly our data; our node started on the appendonly dir redis-server
//! wrote (base + incr after its own rewrite) holds exactly Redis's data.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::time::{Duration, Instant};

use persistence_support::{assert_same, fill_varied, ok, run_tool, snapshot, spawn, Proc};
use support::{require_tool, unique_dir, Client, Flavor};

const AOF: &[&str] = &[
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
];

/// BGREWRITEAOF and wait until INFO says it is over.
fn rewrite(c: &mut Client) {
    let r = ok(c, &["BGREWRITEAOF"]);
    assert!(r.starts_with(b"+Background append only file rewriting"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
        if info.contains("aof_rewrite_in_progress:0")
            && info.contains("aof_rewrite_scheduled:0")
            && !info.contains("aof_rewrites:0")
        {
            return;
        }
        assert!(Instant::now() < deadline, "rewrite never ended: {info}");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// Fill, rewrite half-way, then more writes incl. a transaction.
fn fill_with_rewrite(p: &Proc) -> persistence_support::Snapshot {
    let mut c = p.client();
    fill_varied(&mut c);
    rewrite(&mut c);
    ok(&mut c, &["RPUSH", "after", "1", "2"]);
    ok(&mut c, &["MULTI"]);
    ok(&mut c, &["INCR", "counter"]);
    ok(&mut c, &["HSET", "h:small", "tx", "yes"]);
    ok(&mut c, &["EXEC"]);
    ok(&mut c, &["SELECT", "2"]);
    ok(&mut c, &["SET", "db2:after", "x"]);
    ok(&mut c, &["SELECT", "0"]);
    ok(&mut c, &["EXPIRE", "after", "100000"]);
    ok(&mut c, &["PERSIST", "after"]);
    snapshot(&mut c, 3)
}

#[test]
fn our_appendonly_dir_is_redis_data_and_theirs_is_ours() {
    let (Some(_), Some(check)) = (
        require_tool("redis-server"),
        require_tool("redis-check-aof"),
    ) else {
        return;
    };
    // Ours → redis-check-aof → redis-server.
    let dir = unique_dir("aof-ours");
    let p = spawn(Flavor::Node, &dir, AOF);
    let want = fill_with_rewrite(&p);
    assert_eq!(want.len(), 124, "the dataset");
    p.shutdown("NOSAVE");
    let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
    let (good, text) = run_tool(&check, &[&manifest]);
    assert!(good && text.contains("is valid"), "{text}");
    assert!(!text.contains("truncated"), "{text}");
    let r = spawn(Flavor::Redis, &dir, AOF);
    assert_same("our appendonly dir", &snapshot(&mut r.client(), 3), &want);
    drop(r);
    let _ = std::fs::remove_dir_all(&dir);

    // Theirs → ours.
    let dir = unique_dir("aof-theirs");
    let r = spawn(Flavor::Redis, &dir, AOF);
    let want = fill_with_rewrite(&r);
    r.shutdown("NOSAVE");
    let p = spawn(Flavor::Node, &dir, AOF);
    let mut c = p.client();
    assert_same("redis's appendonly dir", &snapshot(&mut c, 3), &want);
    // And we keep appending to it: a write after the restart survives a second restart.
    ok(&mut c, &["SET", "later", "1"]);
    p.shutdown("NOSAVE");
    let (good, text) = run_tool(&check, &[&manifest_of(&dir)]);
    assert!(good && text.contains("is valid"), "{text}");
    let p = spawn(Flavor::Node, &dir, AOF);
    assert_eq!(p.client().cmd(&["GET", "later"]), b"$1\r\n1\r\n");
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}

fn manifest_of(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("appendonlydir/appendonly.aof.manifest")
}
