//! `DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]` beside redis-server 7.0: the same script on both
//! gives the same replies, and the dataset (every type, TTLs, streams with groups, FUNCTION
//! libraries) is the same after a reload as before it (DEBUG DIGEST, the shared snapshot, XINFO
//! STREAM FULL without times). The options: NOSAVE loads the file on disk (a missing file is an
//! error after the dataset was emptied), NOFLUSH loads on top, MERGE lets the file win; a bad
//! option gets Redis's error; a WATCH is touched by the reload; INFO counts as Redis does.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;

use persistence_support::{assert_same, fill_varied, ok, snapshot, spawn, Proc};
use support::{require_tool, unique_dir, Client, Flavor};

const ARGS: &[&str] = &["--save", "", "--enable-debug-command", "yes"];

const LIBRARY: &str =
    "#!lua name=reloadlib\nredis.register_function('seven', function() return 7 end)";

/// A reply with every integer of 13 digits or more (times) replaced by `:T`.
fn mask_times(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply)
        .split("\r\n")
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

/// Streams (with deletions, groups, pending entries, an idle consumer) in db 4, and a library.
fn fill_streams(c: &mut Client) {
    ok(c, &["FUNCTION", "LOAD", LIBRARY]);
    ok(c, &["SELECT", "4"]);
    for i in 1..=20 {
        ok(c, &["XADD", "st", &format!("{i}-0"), "f", &i.to_string()]);
    }
    ok(c, &["XDEL", "st", "20-0"]);
    ok(c, &["XGROUP", "CREATE", "st", "g", "0"]);
    ok(
        c,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "ann",
            "COUNT",
            "3",
            "STREAMS",
            "st",
            ">",
        ],
    );
    ok(c, &["XGROUP", "CREATECONSUMER", "st", "g", "idle"]);
    ok(
        c,
        &[
            "PEXPIREAT",
            "st",
            &persistence_support::EXPIRE_AT.to_string(),
        ],
    );
    ok(c, &["SELECT", "0"]);
}

/// Everything the reload must keep: digest, the shared snapshot's text, the stream, the
/// library at work, the keys per db.
fn state(c: &mut Client) -> Vec<String> {
    let mut out = vec![String::from_utf8_lossy(&c.cmd(&["DEBUG", "DIGEST"])).into_owned()];
    out.push(format!("{:?}", snapshot(c, 3)));
    ok(c, &["SELECT", "4"]);
    out.push(mask_times(&c.cmd(&["XINFO", "STREAM", "st", "FULL"])));
    out.push(String::from_utf8_lossy(&c.cmd(&["PEXPIRETIME", "st"])).into_owned());
    ok(c, &["SELECT", "0"]);
    out.push(String::from_utf8_lossy(&c.cmd(&["FCALL", "seven", "0"])).into_owned());
    // Keys and expires per db (avg_ttl is a sampled estimate, reset by a reload).
    let keyspace = String::from_utf8_lossy(&c.cmd(&["INFO", "keyspace"])).into_owned();
    out.extend(
        keyspace
            .lines()
            .filter(|l| l.starts_with("db"))
            .map(|l| l.split(",avg_ttl").next().unwrap_or(l).to_owned()),
    );
    out
}

/// Assert two [`state`]s are equal, naming the first part that differs.
fn same_state(got: &[String], want: &[String], what: &str) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g == w, "{what}: part {i} differs:\n{g}\nvs\n{w}");
    }
}

/// INFO persistence fields a reload changes.
fn load_info(c: &mut Client) -> Vec<String> {
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
    info.lines()
        .filter(|l| {
            l.starts_with("rdb_saves:")
                || l.starts_with("rdb_last_load_keys")
                || l.starts_with("rdb_changes_since_last_save:")
        })
        .map(str::to_owned)
        .collect()
}

/// The script, on one server in `dir`: a transcript of replies and states.
fn script(p: &Proc, dir: &Path) -> Vec<String> {
    let mut t = Vec::new();
    let mut c = p.client();
    let note = |t: &mut Vec<String>, c: &mut Client, args: &[&str]| {
        t.push(format!(
            "{args:?} -> {}",
            String::from_utf8_lossy(&c.cmd(args))
        ));
    };
    // No file yet: NOSAVE fails, after emptying.
    note(&mut t, &mut c, &["SET", "early", "1"]);
    note(&mut t, &mut c, &["DEBUG", "RELOAD", "NOSAVE"]);
    note(&mut t, &mut c, &["DBSIZE"]);
    note(&mut t, &mut c, &["DEBUG", "RELOAD", "BOGUS"]);
    note(&mut t, &mut c, &["DEBUG", "RELOAD", "NOSAVE", "MERGE", "x"]);

    fill_varied(&mut c);
    fill_streams(&mut c);
    let before = state(&mut c);
    assert_eq!(before[4], ":7\r\n", "the library works");

    // A WATCH on an existing key is touched by the reload.
    let mut w = p.client();
    ok(&mut w, &["WATCH", "s:small"]);
    note(&mut t, &mut c, &["DEBUG", "RELOAD"]);
    same_state(&state(&mut c), &before, "after DEBUG RELOAD");
    t.extend(load_info(&mut c));
    ok(&mut w, &["MULTI"]);
    ok(&mut w, &["SET", "s:small", "from-watcher"]);
    t.push(format!(
        "EXEC after reload -> {}",
        String::from_utf8_lossy(&w.cmd(&["EXEC"]))
    ));
    assert!(dir.join("dump.rdb").exists(), "DEBUG RELOAD saved");

    // NOSAVE: back to the file.
    note(&mut t, &mut c, &["SET", "s:small", "changed"]);
    note(&mut t, &mut c, &["SET", "new", "key"]);
    note(&mut t, &mut c, &["DEBUG", "RELOAD", "NOSAVE"]);
    note(&mut t, &mut c, &["GET", "s:small"]);
    note(&mut t, &mut c, &["EXISTS", "new"]);
    same_state(&state(&mut c), &before, "after DEBUG RELOAD NOSAVE");

    // NOFLUSH without MERGE: the library is there already.
    note(&mut t, &mut c, &["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"]);
    // NOFLUSH MERGE: the file wins on its keys, other keys stay.
    note(&mut t, &mut c, &["SET", "s:small", "changed"]);
    note(&mut t, &mut c, &["SET", "extra", "stays"]);
    note(
        &mut t,
        &mut c,
        &["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"],
    );
    note(&mut t, &mut c, &["GET", "s:small"]);
    note(&mut t, &mut c, &["GET", "extra"]);
    note(&mut t, &mut c, &["DEL", "extra"]);
    assert_eq!(
        state(&mut c),
        before,
        "after DEBUG RELOAD NOSAVE NOFLUSH MERGE"
    );
    t.extend(load_info(&mut c));

    // A TTL that passes before the reload: the key is saved but not loaded. Active expiry
    // is off meanwhile, or its cycle may delete the key first on one server and not the
    // other (the loaded-expired count would differ).
    note(&mut t, &mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    note(&mut t, &mut c, &["SET", "short", "v", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(5)); // let the 1 ms TTL pass
    note(&mut t, &mut c, &["DEBUG", "RELOAD", "MERGE"]);
    note(&mut t, &mut c, &["EXISTS", "short"]);
    note(&mut t, &mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    t.extend(load_info(&mut c));

    // The file gone: NOSAVE empties, then fails.
    std::fs::remove_file(dir.join("dump.rdb")).expect("remove dump.rdb");
    note(&mut t, &mut c, &["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"]);
    note(&mut t, &mut c, &["DBSIZE"]);
    note(&mut t, &mut c, &["DEBUG", "RELOAD", "NOSAVE"]);
    note(&mut t, &mut c, &["DBSIZE"]);
    note(&mut t, &mut c, &["FUNCTION", "LIST"]);
    t
}

#[test]
fn debug_reload_matches_redis() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let mut transcripts = Vec::new();
    let mut snapshots = Vec::new();
    for flavor in [Flavor::Node, Flavor::Redis] {
        let dir = unique_dir("debug-reload");
        let p = spawn(flavor, &dir, ARGS);
        transcripts.push(script(&p, &dir));
        let mut c = p.client();
        fill_varied(&mut c);
        snapshots.push(snapshot(&mut c, 3));
        p.shutdown("NOSAVE");
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (ours, theirs) = (&transcripts[0], &transcripts[1]);
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a, b, "first difference");
    }
    assert_eq!(ours.len(), theirs.len());
    assert_same("refilled", &snapshots[0], &snapshots[1]);
}
