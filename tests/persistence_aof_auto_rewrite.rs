//! The AOF rewrites itself when it grows (`auto-aof-rewrite-percentage`,
//! `auto-aof-rewrite-min-size`), side by side with redis-server 7.0.15: overwriting one key
//! until the AOF passes the minimum size starts a rewrite from the cron, logged as Redis logs
//! it; afterwards `aof_current_size` and `aof_base_size` are the new base plus the incr written
//! meanwhile, growth is measured from there (a second rewrite needs the AOF to double again),
//! and after a restart the sizes are the files' sizes (the base alone for `aof_base_size`).
//! Without this, an AOF under steady overwrites grows without bound.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{aof_info, log_messages, ok, spawn};
use support::{require_tool, unique_dir, Client, Flavor};

/// The minimum size set for the test: a few dozen overwrites of a 1 KB value pass it.
const MIN_SIZE: u64 = 20_000;

fn num(info: &BTreeMap<String, String>, field: &str) -> u64 {
    info[field]
        .parse()
        .unwrap_or_else(|_| panic!("{field}: {info:?}"))
}

/// Overwrite one key with a 1 KB value until `aof_current_size` passes `size`.
fn grow_past(c: &mut Client, size: u64) {
    let value = "v".repeat(1000);
    while num(&aof_info(c), "aof_current_size") <= size {
        ok(c, &["SET", "k", &value]);
    }
}

/// Wait (with a deadline) until `rewrites` rewrites have finished.
fn wait_rewrites(c: &mut Client, rewrites: u64) -> BTreeMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = aof_info(c);
        if num(&info, "aof_rewrites") == rewrites
            && info["aof_rewrite_in_progress"] == "0"
            && info["aof_rewrite_scheduled"] == "0"
        {
            return info;
        }
        assert!(
            Instant::now() < deadline,
            "no automatic rewrite #{rewrites}: {info:?}"
        );
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// The sizes of the AOF dir's base file and of all its base and incr files.
fn file_sizes(dir: &Path) -> (u64, u64) {
    let (mut base, mut all) = (0, 0);
    for e in std::fs::read_dir(dir.join("appendonlydir")).expect("aof dir") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        let len = e.metadata().expect("metadata").len();
        if name.contains(".base.") {
            base += len;
            all += len;
        } else if name.ends_with(".incr.aof") {
            all += len;
        }
    }
    (base, all)
}

/// What one server showed.
#[derive(Debug, PartialEq)]
struct Seen {
    /// The rewrite log lines with their growth figure dropped (bases differ by a few bytes).
    starts: Vec<String>,
    value: Vec<u8>,
}

fn run(flavor: Flavor) -> Seen {
    let label = flavor.label();
    let dir = unique_dir("aof-auto-rewrite");
    let min = MIN_SIZE.to_string();
    let args = [
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "no",
        "--auto-aof-rewrite-percentage",
        "100",
        "--auto-aof-rewrite-min-size",
        &min,
    ];
    let p = spawn(flavor, &dir, &args);
    let mut c = p.client();

    grow_past(&mut c, MIN_SIZE);
    let after = wait_rewrites(&mut c, 1);
    let (current, base) = (
        num(&after, "aof_current_size"),
        num(&after, "aof_base_size"),
    );
    assert_eq!(current, base, "{label}: sizes right after the rewrite");
    assert!(
        current < MIN_SIZE / 4,
        "{label}: the rewrite kept one key, the AOF is {current} bytes"
    );

    // The next rewrite waits for the AOF to double from there (and to pass the minimum).
    grow_past(&mut c, MIN_SIZE);
    let again = wait_rewrites(&mut c, 2);
    assert!(num(&again, "aof_current_size") < MIN_SIZE / 4, "{label}");

    let starts: Vec<String> = log_messages(&p.log_text())
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| m.starts_with("Starting automatic rewriting of AOF on "))
        .collect();
    for line in &starts {
        let growth: u64 = line
            .trim_start_matches("Starting automatic rewriting of AOF on ")
            .trim_end_matches("% growth")
            .parse()
            .unwrap_or_else(|_| panic!("{label}: {line}"));
        assert!(growth >= 100, "{label}: {line}");
    }
    ok(&mut c, &["SET", "after", "1"]);
    let value = c.cmd(&["GET", "k"]);
    p.shutdown("NOSAVE");

    // After a restart: the files' sizes, the base's alone for aof_base_size.
    let (base_file, all_files) = file_sizes(&dir);
    let p = spawn(flavor, &dir, &args[..4]);
    let mut c = p.client();
    let info = aof_info(&mut c);
    assert_eq!(num(&info, "aof_base_size"), base_file, "{label}: {info:?}");
    assert_eq!(
        num(&info, "aof_current_size"),
        all_files,
        "{label}: {info:?}"
    );
    assert_eq!(c.cmd(&["GET", "after"]), b"$1\r\n1\r\n", "{label}");
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
    Seen {
        starts: starts
            .iter()
            .map(|l| l.split(" on ").next().unwrap_or_default().to_owned())
            .collect(),
        value,
    }
}

#[test]
fn aof_rewrites_itself_when_it_doubles_as_redis_does() {
    if require_tool("redis-server").is_some() {
        let theirs = run(Flavor::Redis);
        assert_eq!(theirs.starts.len(), 2, "redis-server: {theirs:?}");
        let ours = run(Flavor::Node);
        assert_eq!(ours, theirs);
    } else {
        let ours = run(Flavor::Node);
        assert_eq!(ours.starts.len(), 2, "{ours:?}");
    }
}
