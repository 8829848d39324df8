//! FUNCTION commands in the AOF beside redis-server 7.0.15: libraries are data, so FUNCTION
//! LOAD (with REPLACE), DELETE, RESTORE and FLUSH are written as they were sent, and an
//! FCALL's writes as effects (one bare, several in MULTI/EXEC), nothing for a failed LOAD or
//! a read-only call. The AOF and the replication stream are fed by the same propagation
//! code. The incr AOF files of both servers must hold the same commands, arguments included.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;

use persistence_support::{incr_aof_commands, ok, spawn};
use support::{require_tool, unique_dir, Flavor};

/// Every command of the incr AOF files in `dir`, one string each, arguments joined by spaces
/// (read by bulk length: library code holds newlines).
fn incr_commands(dir: &Path) -> Vec<String> {
    incr_aof_commands(dir)
        .into_iter()
        .map(|args| args.join(" "))
        .collect()
}

const LIB: &str = "#!lua name=lib\nredis.register_function('two', function(keys, args) \
                   redis.call('set', keys[1], args[1]); return redis.call('incr', 'n') end)\n\
                   redis.register_function{function_name='get', callback=function(keys) \
                   return redis.call('get', keys[1]) end, flags={'no-writes'}}";

fn run(flavor: Flavor) -> (Vec<String>, Vec<u8>) {
    let dir = unique_dir(&format!("function-aof-{}", flavor.label()));
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
    ok(&mut c, &["FUNCTION", "LOAD", LIB]);
    let failed = c.cmd(&["FUNCTION", "LOAD", LIB]);
    assert!(
        failed.starts_with(b"-ERR Library 'lib' already exists"),
        "{failed:?}"
    );
    ok(&mut c, &["FUNCTION", "LOAD", "REPLACE", LIB]);
    ok(&mut c, &["FCALL", "two", "1", "k", "v"]);
    ok(&mut c, &["FCALL_RO", "get", "1", "k"]);
    let dump = c.cmd(&["FUNCTION", "DUMP"]);
    let end = dump.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let payload = dump[end..dump.len() - 2].to_vec();
    ok(&mut c, &["FUNCTION", "DELETE", "lib"]);
    ok(&mut c, &[b"FUNCTION".as_slice(), b"RESTORE", &payload]);
    ok(&mut c, &["FUNCTION", "FLUSH", "SYNC"]);
    ok(&mut c, &["SET", "last", "1"]);
    let cmds = incr_commands(&dir);
    p.shutdown("NOSAVE");
    let _ = std::fs::remove_dir_all(&dir);
    (cmds, payload)
}

#[test]
fn function_commands_reach_the_aof_as_redis_writes_them() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let (theirs, _) = run(Flavor::Redis);
    let (ours, _) = run(Flavor::Node);
    let want = [
        "SELECT 0".to_owned(),
        format!("FUNCTION LOAD {}", LIB),
        format!("FUNCTION LOAD REPLACE {}", LIB),
        "MULTI".to_owned(),
        "set k v".to_owned(),
        "incr n".to_owned(),
        "EXEC".to_owned(),
        "FUNCTION DELETE lib".to_owned(),
    ];
    assert_eq!(
        &theirs[..want.len()],
        &want[..],
        "redis-server wrote something else: the test's premise"
    );
    assert_eq!(ours, theirs);
}
