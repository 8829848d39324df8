//! What the AOF holds for expired keys and transactions, beside redis-server 7.0.15: a key
//! deleted because its TTL passed is written as `DEL key`, and the writes of one EXEC are
//! wrapped in `MULTI` … `EXEC` (an EXEC that wrote nothing leaves nothing). Both servers run
//! the same commands; the incr AOF files must hold the same command sequence (names and keys;
//! absolute expiry times differ by the clock and are not compared).
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{incr_aof_commands, ok, spawn};
use support::{require_tool, unique_dir, Flavor};

/// The commands of every incr file in `dir/appendonlydir`, in order, as their first two
/// arguments (name lower-cased, key); `SELECT` left out (the db is 0 throughout).
fn incr_commands(dir: &Path) -> Vec<String> {
    incr_aof_commands(dir)
        .into_iter()
        .filter_map(|args| {
            let name = args[0].to_ascii_lowercase();
            (name != "select").then(|| match args.get(1) {
                Some(k) => format!("{name} {k}"),
                None => name,
            })
        })
        .collect()
}

fn run(flavor: Flavor) -> Vec<String> {
    let dir = unique_dir(&format!("aof-expiry-exec-{}", flavor.label()));
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
    ok(&mut c, &["SET", "gone", "1", "PX", "50"]);
    ok(&mut c, &["SET", "kept", "1"]);
    ok(&mut c, &["MULTI"]);
    ok(&mut c, &["INCR", "kept"]);
    ok(&mut c, &["SET", "other", "x"]);
    ok(&mut c, &["EXEC"]);
    // A transaction that writes nothing leaves nothing in the file.
    ok(&mut c, &["MULTI"]);
    ok(&mut c, &["GET", "kept"]);
    ok(&mut c, &["EXEC"]);
    // Past the TTL: the key goes either by active expiry or by this lookup; both write a DEL.
    let deadline = Instant::now() + Duration::from_secs(10);
    std::thread::sleep(Duration::from_millis(120)); // let the TTL pass
    loop {
        if c.cmd(&["GET", "gone"]) == b"$-1\r\n" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}: key never expired",
            flavor.label()
        );
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
    ok(&mut c, &["SET", "last", "1"]);
    let cmds = incr_commands(&dir);
    p.shutdown("NOSAVE");
    let _ = std::fs::remove_dir_all(&dir);
    cmds
}

#[test]
fn expired_keys_are_deleted_and_transactions_wrapped_as_redis_writes_them() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run(Flavor::Redis);
    let ours = run(Flavor::Node);
    let want = [
        "set gone",
        "set kept",
        "multi",
        "incr kept",
        "set other",
        "exec",
        "del gone",
        "set last",
    ];
    assert_eq!(
        theirs, want,
        "redis-server wrote something else: the test's premise"
    );
    assert_eq!(ours, theirs);
}
