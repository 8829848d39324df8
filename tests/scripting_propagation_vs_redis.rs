//! What a script's writes leave in the AOF, beside redis-server 7.0.15: effects replication
//! (each write command the script ran, rewritten as Redis rewrites it: EXPIRE → PEXPIREAT),
//! one write alone, several wrapped in `MULTI` … `EXEC`, nothing for a script that only read,
//! writes kept before a script error, `SELECT` for a script that changed database, and an
//! EVAL inside MULTI/EXEC wrapped once with the transaction. The AOF and the replication
//! stream are fed by the same propagation code, so this is also what replicas receive. Both
//! servers run the same commands; the incr AOF files must hold the same commands, arguments
//! included (only absolute expiry times, which follow each server's clock, are masked).
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;

use persistence_support::{incr_aof_commands, ok, spawn};
use support::{require_tool, unique_dir, Flavor};

/// Every command of the incr AOF files in `dir`, one line each, arguments joined by spaces;
/// integers above 10^12 (PEXPIREAT times) become `<ms>`.
fn incr_commands(dir: &Path) -> Vec<String> {
    incr_aof_commands(dir)
        .into_iter()
        .map(|args| {
            let masked: Vec<String> = args
                .into_iter()
                .map(|a| match a.parse::<u64>() {
                    Ok(v) if v > 1_000_000_000_000 => "<ms>".to_owned(),
                    _ => a,
                })
                .collect();
            masked.join(" ")
        })
        .collect()
}

fn run(flavor: Flavor) -> Vec<String> {
    let dir = unique_dir(&format!("script-aof-{}", flavor.label()));
    let p = spawn(
        flavor,
        &dir,
        &[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ],
    );
    let mut c = p.client();
    ok(&mut c, &["EVAL", "redis.call('set','one','1')", "0"]);
    ok(
        &mut c,
        &[
            "EVAL",
            "redis.call('set',KEYS[1],ARGV[1]); redis.call('incr','n'); \
             redis.call('expire',KEYS[1],100)",
            "1",
            "k",
            "v",
        ],
    );
    ok(&mut c, &["EVAL", "return redis.call('get','one')", "0"]);
    // The write before the error stays, and is propagated.
    let r = c.cmd(&["EVAL", "redis.call('set','before','1'); error('stop')", "0"]);
    assert!(r.starts_with(b"-ERR user_script:1: stop"), "{r:?}");
    ok(
        &mut c,
        &[
            "EVAL",
            "redis.call('select','2'); redis.call('set','far','1'); redis.call('del','far')",
            "0",
        ],
    );
    ok(&mut c, &["MULTI"]);
    ok(
        &mut c,
        &[
            "EVAL",
            "redis.call('set','t1','1'); redis.call('set','t2','2')",
            "0",
        ],
    );
    ok(&mut c, &["SET", "t3", "3"]);
    ok(&mut c, &["EXEC"]);
    ok(&mut c, &["SET", "last", "1"]);
    let cmds = incr_commands(&dir);
    p.shutdown("NOSAVE");
    let _ = std::fs::remove_dir_all(&dir);
    cmds
}

#[test]
fn script_writes_reach_the_aof_as_redis_writes_them() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run(Flavor::Redis);
    let ours = run(Flavor::Node);
    let want = [
        "SELECT 0",
        "set one 1",
        "MULTI",
        "set k v",
        "incr n",
        "PEXPIREAT k <ms>",
        "EXEC",
        "set before 1",
        "SELECT 2",
        "MULTI",
        "set far 1",
        "del far",
        "EXEC",
        "SELECT 0",
        "MULTI",
        "set t1 1",
        "set t2 2",
        "SET t3 3",
        "EXEC",
        "SET last 1",
    ];
    assert_eq!(
        theirs, want,
        "redis-server wrote something else: the test's premise"
    );
    assert_eq!(ours, theirs);
}
