//! `aof-use-rdb-preamble no`: the AOF base is written as commands (`appendonly.aof.N.base.aof`,
//! Redis's `rewriteAppendOnlyFileRio`), beside redis-server 7.0 doing the same:
//!
//! - at start and after BGREWRITEAOF both dirs hold the same file names and manifest, and the
//!   bases hold the same commands per key (name, key, argument count: RPUSH/SADD/ZADD/HMSET
//!   batched by 64, PEXPIREAT, XADD/XSETID/XGROUP/XCLAIM, FUNCTION LOAD);
//! - our dir passes `redis-check-aof`; redis-server started on our dir holds exactly our data
//!   and we hold exactly Redis's on its dir (strings, lists, sets, sorted sets, hashes, streams
//!   with groups and pending entries, TTLs, FUNCTION libraries);
//! - `CONFIG SET aof-use-rdb-preamble` switches the form of the next base, both ways.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{
    aof_commands, assert_same, fill_varied, ok, run_tool, settled_aof_files, snapshot, spawn,
    Snapshot, EXPIRE_AT,
};
use support::{require_tool, unique_dir, Client, Flavor};

const ARGS: &[&str] = &[
    "--save",
    "",
    "--appendonly",
    "yes",
    "--aof-use-rdb-preamble",
    "no",
];

/// The db holding the streams (the shared snapshot reads the other types only).
const STREAM_DB: &str = "5";

const LIBRARY: &str = "#!lua name=rewritelib\nredis.register_function('answer', function() return 42 end)\nredis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes'}}";

/// Streams with deleted entries, consumer groups, pending entries (delivered twice), a
/// consumer without pending entries, an empty stream and a TTL; and a FUNCTION library.
fn fill_streams_and_functions(c: &mut Client) {
    ok(c, &["FUNCTION", "LOAD", LIBRARY]);
    ok(c, &["SELECT", STREAM_DB]);
    for i in 1..=150 {
        ok(
            c,
            &[
                "XADD",
                "st:groups",
                &format!("{i}-1"),
                "field",
                &format!("v{i}"),
                "n",
                &i.to_string(),
            ],
        );
    }
    ok(c, &["XDEL", "st:groups", "150-1", "3-1"]);
    ok(c, &["XGROUP", "CREATE", "st:groups", "g1", "0"]);
    ok(c, &["XGROUP", "CREATE", "st:groups", "g2", "$"]);
    ok(
        c,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "alice",
            "COUNT",
            "5",
            "STREAMS",
            "st:groups",
            ">",
        ],
    );
    ok(
        c,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "bob",
            "COUNT",
            "2",
            "STREAMS",
            "st:groups",
            ">",
        ],
    );
    // Delivered again: a delivery count of 2.
    ok(c, &["XCLAIM", "st:groups", "g1", "bob", "0", "1-1"]);
    ok(c, &["XACK", "st:groups", "g1", "2-1"]);
    ok(c, &["XGROUP", "CREATECONSUMER", "st:groups", "g2", "carol"]);
    ok(c, &["XADD", "st:empty", "MAXLEN", "0", "7-7", "a", "b"]);
    ok(c, &["XADD", "st:ttl", "1-1", "only", "entry"]);
    ok(c, &["PEXPIREAT", "st:ttl", &EXPIRE_AT.to_string()]);
    ok(c, &["SELECT", "0"]);
}

/// A reply with every integer of 13 digits or more (delivery and seen times, which differ
/// between two servers filled at different moments) replaced by `:T`.
fn mask_times(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply);
    text.split("\r\n")
        .map(|l| {
            if l.len() >= 14 && l.starts_with(':') && l[1..].bytes().all(|b| b.is_ascii_digit()) {
                ":T"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The streams (XINFO STREAM FULL, times masked, and PEXPIRETIME) and the FUNCTION libraries.
fn extras(c: &mut Client) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    ok(c, &["SELECT", STREAM_DB]);
    for key in ["st:groups", "st:empty", "st:ttl"] {
        let full = c.cmd(&["XINFO", "STREAM", key, "FULL"]);
        out.insert(format!("{key} full"), mask_times(&full));
        let ttl = c.cmd(&["PEXPIRETIME", key]);
        out.insert(
            format!("{key} ttl"),
            String::from_utf8_lossy(&ttl).into_owned(),
        );
    }
    ok(c, &["SELECT", "0"]);
    // The library by its code and its functions at work (FUNCTION LIST orders a library's
    // functions by Redis's dict, randomly seeded, so its bytes are not compared).
    let libs = String::from_utf8_lossy(&c.cmd(&["FUNCTION", "LIST", "WITHCODE"])).into_owned();
    let answer = c.cmd(&["FCALL", "answer", "0"]);
    let ro = c.cmd(&["FCALL_RO", "ro", "0"]);
    out.insert(
        "functions".into(),
        format!(
            "code present: {}, answer: {}, ro: {}",
            libs.contains(LIBRARY),
            String::from_utf8_lossy(&answer),
            String::from_utf8_lossy(&ro)
        ),
    );
    out
}

/// BGREWRITEAOF and wait until INFO says it is over.
fn rewrite(c: &mut Client) {
    let before = persistence_support::aof_info(c)["aof_rewrites"].clone();
    ok(c, &["BGREWRITEAOF"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = persistence_support::aof_info(c);
        if info["aof_rewrite_in_progress"] == "0"
            && info["aof_rewrite_scheduled"] == "0"
            && info["aof_rewrites"] != before
        {
            assert_eq!(info["aof_last_bgrewrite_status"], "ok");
            return;
        }
        assert!(Instant::now() < deadline, "rewrite never ended: {info:?}");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// The shape of a command-form base: per command its name, its key (the db for SELECT, the
/// subcommand and key for XGROUP and FUNCTION) and argument count, sorted (the servers visit
/// keys, and members of unordered collections, in different orders).
fn shape(base: &[u8]) -> Vec<(String, String, usize)> {
    let mut out: Vec<(String, String, usize)> = aof_commands(base)
        .iter()
        .map(|c| {
            let s = |i: usize| String::from_utf8_lossy(&c[i]).into_owned();
            let what = match s(0).as_str() {
                "XGROUP" => format!("{} {}", s(1), s(2)),
                "FUNCTION" => s(1),
                _ => s(1),
            };
            (s(0), what, c.len())
        })
        .collect();
    out.sort();
    out
}

/// The appendonly dir's manifest text and its base file's bytes.
fn manifest_and_base(files: &BTreeMap<String, Vec<u8>>) -> (String, Vec<u8>) {
    let manifest = String::from_utf8_lossy(&files["appendonly.aof.manifest"]).into_owned();
    let base = manifest
        .lines()
        .find(|l| l.ends_with("type b"))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("a base in the manifest");
    (manifest.clone(), files[base].clone())
}

struct Filled {
    files: BTreeMap<String, Vec<u8>>,
    snapshot: Snapshot,
    extras: BTreeMap<String, String>,
    start_names: Vec<String>,
}

/// Start `flavor` on a fresh dir with the command-form base, note the files it made at start,
/// fill it, rewrite, read everything back, stop it.
fn fill_and_rewrite(flavor: Flavor, dir: &Path) -> Filled {
    let p = spawn(flavor, dir, ARGS);
    // Our file writer runs beside the event loop: the files may land just after PING works.
    let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !manifest.exists() {
        assert!(Instant::now() < deadline, "no manifest at start");
        std::thread::sleep(Duration::from_millis(10)); // polling interval
    }
    let start_names = settled_aof_files(&dir.join("appendonlydir"))
        .into_keys()
        .collect();
    let mut c = p.client();
    fill_varied(&mut c);
    fill_streams_and_functions(&mut c);
    rewrite(&mut c);
    let snapshot = snapshot(&mut c, 3);
    let extras = extras(&mut c);
    p.shutdown("NOSAVE");
    Filled {
        files: settled_aof_files(&dir.join("appendonlydir")),
        snapshot,
        extras,
        start_names,
    }
}

/// What a server started with [`ARGS`] on `dir` holds.
fn load(flavor: Flavor, dir: &Path) -> (Snapshot, BTreeMap<String, String>) {
    let p = spawn(flavor, dir, ARGS);
    let mut c = p.client();
    let got = (snapshot(&mut c, 3), extras(&mut c));
    p.shutdown("NOSAVE");
    got
}

#[test]
fn command_base_matches_redis_and_loads_both_ways() {
    let (Some(_), Some(check)) = (
        require_tool("redis-server"),
        require_tool("redis-check-aof"),
    ) else {
        return;
    };
    let ours_dir = unique_dir("aof-cmdbase-ours");
    let theirs_dir = unique_dir("aof-cmdbase-theirs");
    let ours = fill_and_rewrite(Flavor::Node, &ours_dir);
    let theirs = fill_and_rewrite(Flavor::Redis, &theirs_dir);

    assert_eq!(
        ours.start_names,
        [
            "appendonly.aof.1.base.aof",
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.manifest"
        ]
    );
    assert_eq!(ours.start_names, theirs.start_names, "files made at start");
    assert_eq!(
        ours.files.keys().collect::<Vec<_>>(),
        theirs.files.keys().collect::<Vec<_>>(),
        "files after the rewrite"
    );
    let (our_manifest, our_base) = manifest_and_base(&ours.files);
    let (their_manifest, their_base) = manifest_and_base(&theirs.files);
    assert_eq!(our_manifest, their_manifest);
    assert!(our_manifest.contains("appendonly.aof.2.base.aof seq 2 type b"));
    assert!(!our_base.starts_with(b"REDIS"), "an RDB base");
    let (ours_shape, theirs_shape) = (shape(&our_base), shape(&their_base));
    for (a, b) in ours_shape.iter().zip(&theirs_shape) {
        assert_eq!(a, b, "first difference in the base's commands");
    }
    assert_eq!(ours_shape.len(), theirs_shape.len());
    // The 600-element list went out in commands of 64 elements at most.
    let rpush: Vec<usize> = ours_shape
        .iter()
        .filter(|(n, k, _)| n == "RPUSH" && k == "l:big")
        .map(|s| s.2 - 2)
        .collect();
    assert_eq!(rpush.iter().sum::<usize>(), 600);
    assert!(rpush.iter().all(|&n| n <= 64), "{rpush:?}");

    // Both filled alike.
    assert_eq!(ours.snapshot.len(), 121, "the dataset");
    assert_eq!(
        ours.extras["functions"],
        "code present: true, answer: :42\r\n, ro: :1\r\n"
    );
    assert_same("ours vs redis", &ours.snapshot, &theirs.snapshot);
    assert_eq!(ours.extras, theirs.extras);

    let manifest = ours_dir.join("appendonlydir/appendonly.aof.manifest");
    let (good, text) = run_tool(&check, &[&manifest]);
    assert!(good && text.contains("is valid"), "{text}");

    let (snap, extra) = load(Flavor::Redis, &ours_dir);
    assert_same("redis on our dir", &snap, &ours.snapshot);
    assert_eq!(extra, ours.extras, "redis on our dir");
    let (snap, extra) = load(Flavor::Node, &theirs_dir);
    assert_same("ours on redis's dir", &snap, &theirs.snapshot);
    assert_eq!(extra, theirs.extras, "ours on redis's dir");
    let _ = std::fs::remove_dir_all(&ours_dir);
    let _ = std::fs::remove_dir_all(&theirs_dir);
}

/// CONFIG SET/GET of the directive, and the base it makes next, on `flavor`.
fn switch_forms(flavor: Flavor) -> Vec<String> {
    let dir = unique_dir("aof-cmdbase-switch");
    let p = spawn(flavor, &dir, &["--save", "", "--appendonly", "yes"]);
    let mut c = p.client();
    let mut seen = Vec::new();
    let note = |seen: &mut Vec<String>, c: &mut Client, what: &[&str]| {
        seen.push(String::from_utf8_lossy(&c.cmd(what)).into_owned());
    };
    note(
        &mut seen,
        &mut c,
        &["CONFIG", "GET", "aof-use-rdb-preamble"],
    );
    note(
        &mut seen,
        &mut c,
        &["CONFIG", "SET", "aof-use-rdb-preamble", "maybe"],
    );
    ok(&mut c, &["SET", "k", "v"]);
    for value in ["no", "yes", "no"] {
        note(
            &mut seen,
            &mut c,
            &["CONFIG", "SET", "aof-use-rdb-preamble", value],
        );
        note(
            &mut seen,
            &mut c,
            &["CONFIG", "GET", "aof-use-rdb-preamble"],
        );
        rewrite(&mut c);
        let files = settled_aof_files(&dir.join("appendonlydir"));
        let (manifest, base) = manifest_and_base(&files);
        seen.push(manifest);
        seen.push(format!("rdb image: {}", base.starts_with(b"REDIS")));
    }
    p.shutdown("NOSAVE");
    // The last base (commands) loads.
    let p = spawn(flavor, &dir, &["--save", "", "--appendonly", "yes"]);
    note(&mut seen, &mut p.client(), &["GET", "k"]);
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
    seen
}

#[test]
fn config_set_switches_the_form_of_the_next_base() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let ours = switch_forms(Flavor::Node);
    let theirs = switch_forms(Flavor::Redis);
    assert_eq!(ours, theirs);
    assert!(ours
        .iter()
        .any(|l| l.contains("appendonly.aof.4.base.aof seq 4 type b")));
}
