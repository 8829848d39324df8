//! A torn AOF tail with `aof-load-truncated yes` is cut back in place, as redis-server 7.0.15
//! does: an appendonly dir written by redis-server (a base from BGREWRITEAOF, then an incr with
//! a MULTI/EXEC block) has its incr cut at several offsets; redis-server and our node each
//! start on a copy, take one more write and shut down. Both must leave the same files (the
//! same names, the same manifest, the same bytes in the incr: the valid prefix then the new
//! write), pass `redis-check-aof`, hold the same data, and log the same truncation and
//! "Opening AOF incr file" lines.
//!
//! One deliberate difference: when the tail is torn inside a command that is inside a
//! MULTI/EXEC block, redis-server 7.0.15 cuts after the last complete command, leaving an open
//! MULTI in the file, and appends after it: `redis-check-aof` then calls the file invalid, and
//! the next load reverts the open transaction together with every write appended after it. We
//! cut before the MULTI instead (what Redis does when the file ends cleanly inside the block),
//! so the file stays valid; the data loaded is the same.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{
    copy_files, files_of, log_messages, ok, record_ends, run_tool, snapshot, spawn, try_spawn,
    Snapshot,
};
use support::{require_tool, unique_dir, Client, Flavor};

const ARGS: &[&str] = &[
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--aof-load-truncated",
    "yes",
];

/// BGREWRITEAOF and wait until INFO says it is over.
fn rewrite(c: &mut Client) {
    ok(c, &["BGREWRITEAOF"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0") {
            return;
        }
        assert!(Instant::now() < deadline, "rewrite never ended: {info}");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// An appendonly dir by redis-server: base 2 (after a rewrite) and incr 2 holding the records
/// of the test. Returns the dir and the incr file's name.
fn seed(dir: &Path) -> String {
    let r = spawn(Flavor::Redis, dir, ARGS);
    let mut c = r.client();
    ok(&mut c, &["SET", "before", "rewrite"]);
    ok(&mut c, &["RPUSH", "list", "a", "b", "c"]);
    rewrite(&mut c);
    ok(&mut c, &["SET", "a", "1"]);
    ok(&mut c, &["MULTI"]);
    ok(&mut c, &["SET", "b", "2"]);
    ok(&mut c, &["INCR", "a"]);
    ok(&mut c, &["EXEC"]);
    ok(&mut c, &["RPUSH", "l", "x", "y"]);
    ok(&mut c, &["SET", "c", "3"]);
    r.shutdown("NOSAVE");
    let files = files_of(&dir.join("appendonlydir"));
    let incr: Vec<&String> = files.keys().filter(|n| n.ends_with(".incr.aof")).collect();
    assert_eq!(incr.len(), 1, "{:?}", files.keys());
    incr[0].clone()
}

/// What one server left behind after starting on a torn dir.
#[derive(Debug, PartialEq)]
struct Outcome {
    files: std::collections::BTreeMap<String, Vec<u8>>,
    data: Snapshot,
    log: Vec<(char, String)>,
    /// `redis-check-aof` called the dir valid.
    valid: bool,
}

/// Start `flavor` on a copy of `seed` whose `incr` is cut to `cut` bytes, write once, shut
/// down, check the dir with redis-check-aof.
fn run(flavor: Flavor, seed: &Path, incr: &str, cut: usize, check: &Path) -> Outcome {
    let dir = unique_dir("aof-cut");
    let aof = dir.join("appendonlydir");
    copy_files(&seed.join("appendonlydir"), &aof);
    let bytes = std::fs::read(aof.join(incr)).unwrap();
    std::fs::write(aof.join(incr), &bytes[..cut]).unwrap();
    let p = try_spawn(flavor, &dir, ARGS)
        .unwrap_or_else(|log| panic!("{} refused cut {cut}:\n{log}", flavor.label()));
    let mut c = p.client();
    ok(&mut c, &["SET", "after", "restart"]);
    let data = snapshot(&mut c, 1);
    let log_path = p.log.clone();
    p.shutdown("NOSAVE");
    let (good, text) = run_tool(check, &[&aof.join("appendonly.aof.manifest")]);
    let valid = good && text.contains("is valid");
    let wanted = [
        "short read while loading",
        "Truncating the AOF",
        "loaded anyway because aof-load-truncated",
        "Revert incomplete MULTI/EXEC",
        "AOF incr file",
        "AOF base file",
    ];
    let log = log_messages(&std::fs::read_to_string(&log_path).unwrap_or_default())
        .into_iter()
        .filter(|(_, m)| wanted.iter().any(|w| m.contains(w)))
        .collect();
    let out = Outcome {
        files: files_of(&aof),
        data,
        log,
        valid,
    };
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn a_torn_incr_is_cut_in_place_as_redis_cuts_it() {
    let (Some(_), Some(check)) = (
        require_tool("redis-server"),
        require_tool("redis-check-aof"),
    ) else {
        return;
    };
    let seed_dir = unique_dir("aof-cut-seed");
    let incr = seed(&seed_dir);
    let bytes = std::fs::read(seed_dir.join("appendonlydir").join(&incr)).unwrap();
    let ends = record_ends(&bytes);
    assert_eq!(ends.last(), Some(&bytes.len()), "whole records");
    assert!(ends.len() >= 8, "{} records", ends.len());
    // Inside the first record, one byte short of a record's end, at the end of a command
    // inside the transaction (the file ends cleanly inside it), inside the last record.
    let cuts = [
        1,
        ends[1] - 1,
        ends[3],
        ends[ends.len() - 2] + 5,
        bytes.len() - 1,
    ];
    for cut in cuts {
        let theirs = run(Flavor::Redis, &seed_dir, &incr, cut, &check);
        let ours = run(Flavor::Node, &seed_dir, &incr, cut, &check);
        assert!(
            theirs
                .log
                .iter()
                .any(|(_, m)| m.contains("Truncating the AOF")),
            "cut {cut}: redis-server did not truncate: {:?}",
            theirs.log
        );
        assert!(theirs.valid && ours.valid, "cut {cut}: redis-check-aof");
        assert_same_outcome(cut, &ours, &theirs);
    }

    // Torn inside a command inside the transaction: the one difference (see the module docs).
    let (multi_start, cut) = (ends[1], ends[3] + 2);
    let theirs = run(Flavor::Redis, &seed_dir, &incr, cut, &check);
    let ours = run(Flavor::Node, &seed_dir, &incr, cut, &check);
    assert!(
        !theirs.valid,
        "redis-server's file now passes: drop the difference"
    );
    assert!(ours.valid, "ours must stay valid");
    assert_eq!(ours.data, theirs.data, "torn in the transaction: data");
    let theirs_incr = &theirs.files[&incr];
    let open_multi = ends[3] - multi_start;
    let mut want = theirs_incr[..multi_start].to_vec();
    want.extend_from_slice(&theirs_incr[multi_start + open_multi..]);
    assert!(
        ours.files[&incr] == want,
        "ours is Redis's file without the open transaction"
    );
    let msgs: Vec<&str> = ours.log.iter().map(|(_, m)| m.as_str()).collect();
    assert!(
        msgs.iter().any(|m| m.contains(&format!(
            "Truncating the AOF {incr} at offset {multi_start} "
        ))),
        "{msgs:?}"
    );
    let _ = std::fs::remove_dir_all(&seed_dir);
}

/// Same file names and bytes, data and log lines.
fn assert_same_outcome(cut: usize, ours: &Outcome, theirs: &Outcome) {
    assert_eq!(
        ours.files.keys().collect::<Vec<_>>(),
        theirs.files.keys().collect::<Vec<_>>(),
        "cut {cut}: file names"
    );
    for (name, want) in &theirs.files {
        assert!(
            ours.files[name] == *want,
            "cut {cut}: {name} differs:\nours   {:?}\ntheirs {:?}",
            String::from_utf8_lossy(&ours.files[name]),
            String::from_utf8_lossy(want)
        );
    }
    assert_eq!(ours.data, theirs.data, "cut {cut}: data");
    assert_eq!(ours.log, theirs.log, "cut {cut}: log lines");
}
