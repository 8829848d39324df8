//! While clients are paused (`CLIENT PAUSE … WRITE`) the dataset stays as it is, side by side
//! with redis-server 7.0.15: keys whose TTL passes during the pause read as missing (GET,
//! EXISTS, TTL, TYPE, KEYS, SCAN, RANDOMKEY) but are not deleted: DBSIZE and INFO keyspace
//! still count them, `expired_keys` stays 0, no `expired` event and no tracking invalidation
//! goes out, and the AOF gets no DEL. A WATCH taken while a key was live fails EXEC once the
//! key expired, one taken on an already expired key does not. After CLIENT UNPAUSE the keys
//! expire as usual (lazily on access or by active expiry), with their DELs, events and
//! invalidation. Every reply, the keyspace counters and the AOF's commands are compared.
// Real processes: deadlines from the clock.
#![allow(clippy::disallowed_methods)]

mod persistence_support;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{encode_command, Client, Flavor, Server, Value};

/// Keys that expire during the pause, one of each common type.
const EXPIRING: [&str; 4] = ["s", "h", "l", "z"];

/// How long the expiring keys live: long enough that a slow (debug, shared) machine has paused
/// the server before they expire.
const TTL_MS: &str = "800";

/// Everything compared between the two servers.
#[derive(Debug, PartialEq)]
struct Seen {
    /// Replies in order, as text.
    replies: Vec<String>,
    /// Pub/sub messages (expired events, invalidations) received during the pause.
    messages_paused: Vec<String>,
    /// Those received after it, sorted (active and lazy expiry may order them differently).
    messages_after: Vec<String>,
    /// The AOF's commands (name and key) up to the marker written at unpause.
    aof_paused: Vec<String>,
    /// The AOF's commands after the marker, sorted.
    aof_after: Vec<String>,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A reply's elements sorted (KEYS and SCAN order differ between the two servers).
fn sorted_keys(reply: &[u8]) -> String {
    let v = Value::parse(reply).expect("reply");
    let mut keys: Vec<String> = match v {
        Value::Agg(_, Some(items)) => items
            .iter()
            .map(|i| text(i.bytes().expect("bulk")))
            .collect(),
        other => panic!("not an array: {other:?}"),
    };
    keys.sort();
    keys.join(",")
}

/// The keys of a SCAN walked from 0 to the end, sorted.
fn scan_all(c: &mut Client) -> String {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    loop {
        let v = Value::parse(&c.cmd(&["SCAN", &cursor, "COUNT", "3"])).expect("reply");
        let Value::Agg(_, Some(parts)) = v else {
            panic!("SCAN reply {v:?}");
        };
        cursor = text(parts[0].bytes().expect("cursor"));
        if let Value::Agg(_, Some(items)) = &parts[1] {
            keys.extend(items.iter().map(|i| text(i.bytes().expect("key"))));
        }
        if cursor == "0" {
            break;
        }
    }
    keys.sort();
    keys.dedup();
    keys.join(",")
}

/// `field:value` pairs of INFO `section` for the given fields (or the `db0` line's `keys` and
/// `expires`, leaving out `avg_ttl`, which depends on the clock).
fn info_fields(c: &mut Client, section: &str, fields: &[&str]) -> String {
    let info = text(&c.cmd(&["INFO", section]));
    let mut out = Vec::new();
    for line in info.lines() {
        if let Some((k, v)) = line.split_once(':') {
            if k == "db0" {
                let kept: Vec<&str> = v
                    .split(',')
                    .filter(|p| !p.starts_with("avg_ttl="))
                    .collect();
                out.push(format!("db0:{}", kept.join(",")));
            } else if fields.contains(&k) {
                out.push(format!("{k}:{v}"));
            }
        }
    }
    out.join(" ")
}

/// The messages `sub` received so far: a PING goes after them on the same connection, so every
/// message published before the PING is read before its `pong`.
fn messages_so_far(sub: &mut Client) -> Vec<String> {
    sub.send(&["PING"]).expect("send PING");
    let mut out = Vec::new();
    loop {
        let r = sub.read_reply().expect("subscriber reply");
        let v = Value::parse(&r).expect("parse");
        let Value::Agg(_, Some(items)) = &v else {
            panic!("subscriber got {v:?}");
        };
        if items[0].bytes() == Some(b"pong") {
            return out;
        }
        out.push(text(&v.encode()).replace("\r\n", " "));
    }
}

/// Poll `cond` until it holds, within a deadline.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The commands of the incr AOF files, in order, as `name key` (SELECT left out).
fn aof_commands(dir: &Path) -> Vec<String> {
    persistence_support::incr_aof_commands(dir)
        .into_iter()
        .filter_map(|args| {
            let name = args[0].to_ascii_lowercase();
            (name != "select").then(|| format!("{name} {}", args.get(1).map_or("", String::as_str)))
        })
        .collect()
}

fn run(flavor: Flavor) -> Seen {
    let server = Server::start(flavor, &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut admin = server.connect();
    let mut reader = server.connect();
    let mut tracker = server.connect();
    let mut watcher = server.connect();
    let mut late_watcher = server.connect();
    let mut sub = server.connect();
    let mut replies = Vec::new();
    let mut r = |b: Vec<u8>| replies.push(text(&b));

    r(admin.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Ex"]));
    let sub_id = text(&sub.cmd(&["CLIENT", "ID"]));
    let sub_id = sub_id.trim_start_matches(':').trim();
    sub.cmd(&[
        "SUBSCRIBE",
        "__keyevent@0__:expired",
        "__redis__:invalidate",
    ]);
    sub.read_reply().expect("second subscribe confirmation");
    r(tracker.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", sub_id]));

    r(admin.cmd(&["SET", "live", "v"]));
    r(admin.cmd(&["SET", "s", "12", "PX", TTL_MS]));
    r(admin.cmd(&["HSET", "h", "f", "v"]));
    r(admin.cmd(&["RPUSH", "l", "a", "b"]));
    r(admin.cmd(&["ZADD", "z", "1", "m"]));
    for k in ["h", "l", "z"] {
        r(admin.cmd(&["PEXPIRE", k, TTL_MS]));
    }
    r(tracker.cmd(&["GET", "s"]));
    r(watcher.cmd(&["WATCH", "s"]));
    r(admin.cmd(&["CLIENT", "PAUSE", "60000", "WRITE"]));

    // Wait until the server reports every expiring key gone (PTTL -2), as a reader sees it.
    wait_until("the keys' TTLs to pass", || {
        EXPIRING
            .iter()
            .all(|k| reader.cmd(&["PTTL", k]) == b":-2\r\n")
    });
    r(late_watcher.cmd(&["WATCH", "h"]));
    for args in [
        &["GET", "s"][..],
        &["EXISTS", "s", "h", "l", "z", "live"],
        &["TTL", "s"],
        &["TYPE", "l"],
        &["HGET", "h", "f"],
        &["LRANGE", "l", "0", "-1"],
        &["ZRANGE", "z", "0", "-1"],
        &["RANDOMKEY"],
        &["DBSIZE"],
    ] {
        r(reader.cmd(args));
    }
    r(sorted_keys(&reader.cmd(&["KEYS", "*"])).into_bytes());
    r(scan_all(&mut reader).into_bytes());
    r(info_fields(&mut reader, "keyspace", &[]).into_bytes());
    r(info_fields(&mut reader, "stats", &["expired_keys"]).into_bytes());
    // The WATCH taken while `s` was live fails; the one taken on an expired `h` does not.
    for w in [&mut watcher, &mut late_watcher] {
        r(w.cmd(&["MULTI"]));
        r(w.cmd(&["GET", "live"]));
        r(w.cmd(&["EXEC"]));
    }
    let messages_paused = messages_so_far(&mut sub);

    // Unpause and write a marker in one read, so that nothing (active expiry included) runs
    // between them: every DEL the pause held back lands after the marker in the AOF.
    let mut both = encode_command(&["CLIENT", "UNPAUSE"]);
    both.extend(encode_command(&["SET", "marker", "1"]));
    admin.send_raw(&both).expect("send");
    r(admin.read_reply().expect("UNPAUSE reply"));
    r(admin.read_reply().expect("SET reply"));
    // One key a command: Redis wraps the DELs of several keys one command expires in
    // MULTI/EXEC, which is not what this test is about.
    for args in [
        &["GET", "s"][..],
        &["EXISTS", "h"],
        &["TYPE", "l"],
        &["ZCARD", "z"],
    ] {
        r(reader.cmd(args));
    }
    wait_until("the expired keys to be deleted", || {
        reader.cmd(&["DBSIZE"]) == b":2\r\n"
    });
    r(sorted_keys(&reader.cmd(&["KEYS", "*"])).into_bytes());
    r(scan_all(&mut reader).into_bytes());
    r(info_fields(&mut reader, "keyspace", &[]).into_bytes());
    r(info_fields(&mut reader, "stats", &["expired_keys"]).into_bytes());
    let mut messages_after = messages_so_far(&mut sub);
    messages_after.sort();

    let aof = aof_commands(server.dir());
    let marker = aof
        .iter()
        .position(|c| c == "set marker")
        .unwrap_or_else(|| panic!("{}: no marker in the AOF: {aof:?}", flavor.label()));
    let aof_paused = aof[..marker].to_vec();
    let mut aof_after = aof[marker + 1..].to_vec();
    aof_after.sort();
    Seen {
        replies,
        messages_paused,
        messages_after,
        aof_paused,
        aof_after,
    }
}

#[test]
fn client_pause_keeps_the_dataset_static() {
    let ours = run(Flavor::Node);
    // What the pause must show whatever the reference says.
    assert!(
        ours.messages_paused.is_empty(),
        "{:?}",
        ours.messages_paused
    );
    assert!(
        !ours.aof_paused.iter().any(|c| c.starts_with("del ")),
        "DEL during the pause: {:?}",
        ours.aof_paused
    );
    assert_eq!(ours.aof_after, ["del h", "del l", "del s", "del z"]);
    if support::require_tool("redis-server").is_some() {
        let theirs = run(Flavor::Redis);
        for (i, (o, t)) in ours.replies.iter().zip(&theirs.replies).enumerate() {
            assert_eq!(o, t, "reply {i}");
        }
        assert_eq!(ours.replies.len(), theirs.replies.len());
        assert_eq!(ours, theirs);
    }
}
