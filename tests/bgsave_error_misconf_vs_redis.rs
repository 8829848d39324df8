//! A failed BGSAVE with `stop-writes-on-bgsave-error yes` (and save points set) makes the
//! server refuse writes and PING with Redis's `-MISCONF Redis is configured to save RDB
//! snapshots…` until a BGSAVE succeeds, beside redis-server 7.0: the same script gives the same
//! replies on both. The BGSAVE fails because a directory stands where `dump.rdb` goes (the
//! rename fails even for root).
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{spawn, Proc};
use support::{require_tool, unique_dir, Client, Flavor};

/// A save point that never fires during the test, so only BGSAVE saves.
const ARGS: &[&str] = &["--save", "3600 1"];

/// BGSAVE, then wait until INFO says it ended; returns the BGSAVE reply and the status.
fn bgsave(c: &mut Client) -> (String, String) {
    let reply = String::from_utf8_lossy(&c.cmd(&["BGSAVE"])).into_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
        if info.contains("rdb_bgsave_in_progress:0") {
            let status = info
                .lines()
                .find(|l| l.starts_with("rdb_last_bgsave_status:"))
                .unwrap_or_default()
                .to_owned();
            return (reply, status);
        }
        assert!(Instant::now() < deadline, "BGSAVE never ended");
        std::thread::sleep(Duration::from_millis(10)); // polling interval
    }
}

fn script(p: &Proc, dir: &Path) -> Vec<String> {
    let mut t = Vec::new();
    let mut c = p.client();
    let note = |t: &mut Vec<String>, c: &mut Client, args: &[&str]| {
        t.push(format!(
            "{args:?} -> {}",
            String::from_utf8_lossy(&c.cmd(args))
        ));
    };
    note(&mut t, &mut c, &["SET", "a", "1"]);
    std::fs::create_dir(dir.join("dump.rdb")).expect("a directory in the way");
    let (reply, status) = bgsave(&mut c);
    t.push(reply);
    t.push(status);
    for args in [
        &["SET", "b", "1"][..],
        &["PING"],
        &["GET", "a"],
        &["DEL", "a"],
        &["MULTI"],
        &["SET", "b", "2"],
        &["GET", "a"],
        &["EXEC"],
        &["MULTI"],
        &["GET", "a"],
        &["EXEC"],
        &["EVAL", "return redis.call('set','c','1')", "0"],
        &["EVAL", "return redis.call('get','a')", "0"],
        // The setting and the save points decide.
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
        &["SET", "b", "3"],
        &["PING"],
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
        &["SET", "b", "4"],
        &["CONFIG", "SET", "save", ""],
        &["SET", "b", "5"],
        &["CONFIG", "SET", "save", "3600 1"],
        &["INCR", "b"],
    ] {
        note(&mut t, &mut c, args);
    }
    // A SAVE that works lifts the refusal too (Redis's rdbSave clears the status).
    std::fs::remove_dir(dir.join("dump.rdb")).expect("remove the directory");
    note(&mut t, &mut c, &["SAVE"]);
    note(&mut t, &mut c, &["SET", "b", "6"]);
    // Failing again; a BGSAVE that works lifts the refusal.
    std::fs::remove_file(dir.join("dump.rdb")).expect("SAVE wrote the file");
    std::fs::create_dir(dir.join("dump.rdb")).expect("a directory in the way");
    let (reply, status) = bgsave(&mut c);
    t.push(reply);
    t.push(status);
    note(&mut t, &mut c, &["SET", "b", "7"]);
    std::fs::remove_dir(dir.join("dump.rdb")).expect("remove the directory");
    let (reply, status) = bgsave(&mut c);
    t.push(reply);
    t.push(status);
    note(&mut t, &mut c, &["SET", "b", "8"]);
    note(&mut t, &mut c, &["PING"]);
    t
}

#[test]
fn failed_bgsave_refuses_writes_as_redis() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let mut transcripts = Vec::new();
    for flavor in [Flavor::Node, Flavor::Redis] {
        let dir = unique_dir("bgsave-misconf");
        let p = spawn(flavor, &dir, ARGS);
        transcripts.push(script(&p, &dir));
        p.shutdown("NOSAVE");
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (ours, theirs) = (&transcripts[0], &transcripts[1]);
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a, b, "first difference");
    }
    assert_eq!(ours.len(), theirs.len());
    assert!(
        ours.iter()
            .any(|l| l.contains("-MISCONF Redis is configured to save RDB snapshots")),
        "{ours:#?}"
    );
}
