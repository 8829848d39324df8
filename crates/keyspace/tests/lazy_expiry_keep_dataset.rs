//! `Ctx::keep_expired` (what a node sets while clients are paused): reads see expired keys as
//! missing but nothing is deleted, counted, logged for propagation or notified; writes still
//! delete what they find expired; with the mode off the same keys expire lazily as usual.
//! Virtual time throughout; the last test compares the replies with a redis-server 7.0.15 held
//! by `CLIENT PAUSE … WRITE` (skipped without redis-server unless HASHSLOT_REQUIRE_REDIS=1).

mod common;

use std::collections::BTreeSet;

use common::{split, RedisServer};
use hashslot_keyspace::digest::{dataset_digest, digest_hex};
use hashslot_keyspace::{commands, notify, Ctx, Db, KeyspaceStats};
use hashslot_resp::{Proto, Reply};
use hashslot_types::{Instant, Now, Rng, UnixMillis};

const T0: i64 = 1_700_000_000_000;

/// A node's keyspace state, with the keep mode and notifications under the test's control.
struct Node {
    dbs: Vec<Db>,
    rng: Rng,
    stats: KeyspaceStats,
    now: Now,
    keep_expired: bool,
    notify: u32,
}

impl Node {
    fn new() -> Node {
        let mut db = Db::with_seed(5);
        db.set_track_expired(true);
        Node {
            dbs: vec![db],
            rng: Rng::from_seed(9),
            stats: KeyspaceStats::default(),
            now: Now::new(Instant::from_nanos(0), UnixMillis(T0)),
            keep_expired: false,
            notify: notify::parse_flags(b"KEA").expect("flags"),
        }
    }

    /// Run one command line (leaf commands and OBJECT's subcommands); the RESP2 reply.
    fn cmd(&mut self, line: &str) -> Vec<u8> {
        let args = split(line);
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
        let mut spec = commands()
            .iter()
            .find(|c| c.name == name)
            .expect("known command");
        if spec.handler.is_none() {
            let full = format!("{name}|{}", String::from_utf8_lossy(argv[1]).to_lowercase());
            spec = spec
                .subcommands
                .iter()
                .find(|c| c.name == full)
                .expect("known subcommand");
        }
        let mut out = Vec::new();
        let reply = Reply::new(&mut out, Proto::Resp2);
        let mut ctx = Ctx::new(
            &mut self.dbs,
            0,
            self.now,
            reply,
            &mut self.rng,
            &mut self.stats,
        );
        ctx.keep_expired = self.keep_expired;
        ctx.limits.notify_keyspace_events = self.notify;
        (spec.handler.expect("leaf"))(&mut ctx, &argv);
        out
    }

    /// The reply as text.
    fn text(&mut self, line: &str) -> String {
        String::from_utf8_lossy(&self.cmd(line)).into_owned()
    }

    fn advance(&mut self, ms: u64) {
        self.now = self.now.advance_millis(ms);
    }

    fn db(&mut self) -> &mut Db {
        &mut self.dbs[0]
    }
}

/// The keys of a KEYS reply, or of a SCAN reply walked to its end, as a set.
fn key_set(reply: &[u8]) -> BTreeSet<String> {
    let text = String::from_utf8_lossy(reply);
    let lines: Vec<&str> = text.split("\r\n").collect();
    let mut keys = BTreeSet::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].starts_with('$') && i + 1 < lines.len() {
            keys.insert(lines[i + 1].to_string());
            i += 2;
        } else {
            i += 1;
        }
    }
    keys
}

/// SCAN from 0 to the end with a count that covers the dataset in one call.
fn scan_all(run: &mut dyn FnMut(&str) -> Vec<u8>) -> BTreeSet<String> {
    let mut keys = key_set(&run("SCAN 0 COUNT 1000"));
    // The cursor is the first bulk of the reply; a one-call scan returns "0".
    keys.remove("0");
    keys
}

/// Keys `live` (no TTL), `later` (a long TTL) and four keys of different types that expire
/// 100 ms after `T0`.
fn fill(n: &mut Node) {
    for line in [
        "SET live v",
        "SET later v PX 100000",
        "SET s 12 PX 100",
        "HSET h f v",
        "PEXPIRE h 100",
        "RPUSH l a b",
        "PEXPIRE l 100",
        "SADD z m",
        "PEXPIRE z 100",
    ] {
        n.cmd(line);
    }
    n.db().take_expired_keys();
    n.db().take_events();
}

#[test]
fn reads_hide_expired_keys_without_deleting_them() {
    let mut n = Node::new();
    fill(&mut n);
    n.advance(200);
    n.keep_expired = true;
    let digest = digest_hex(&dataset_digest(&n.dbs));

    assert_eq!(n.text("GET s"), "$-1\r\n");
    assert_eq!(n.text("EXISTS s h l z live later"), ":2\r\n");
    assert_eq!(n.text("TTL s"), ":-2\r\n");
    assert_eq!(n.text("PTTL h"), ":-2\r\n");
    assert_eq!(n.text("TYPE l"), "+none\r\n");
    assert_eq!(n.text("HGET h f"), "$-1\r\n");
    assert_eq!(n.text("LRANGE l 0 -1"), "*0\r\n");
    assert_eq!(n.text("SMEMBERS z"), "*0\r\n");
    assert_eq!(n.text("OBJECT ENCODING s"), "$-1\r\n");
    // DBSIZE counts what is stored, expired or not, as Redis's dictSize does.
    assert_eq!(n.text("DBSIZE"), ":6\r\n");
    let live: BTreeSet<String> = ["later", "live"].iter().map(|s| s.to_string()).collect();
    assert_eq!(key_set(&n.cmd("KEYS *")), live);
    assert_eq!(scan_all(&mut |l| n.cmd(l)), live);
    assert_eq!(
        n.text("SCAN 0 COUNT 1000 TYPE hash"),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    for _ in 0..50 {
        let k = key_set(&n.cmd("RANDOMKEY"));
        assert!(k.is_subset(&live) && k.len() == 1, "RANDOMKEY gave {k:?}");
    }

    // Nothing changed: no key, no counter, nothing to propagate or notify.
    assert_eq!(digest_hex(&dataset_digest(&n.dbs)), digest);
    assert_eq!(n.db().len(), 6);
    assert_eq!(n.stats.expired_keys, 0);
    assert!(n.db().take_expired_keys().is_empty());
    let events = n.db().take_events();
    assert!(
        events.iter().all(|e| e.event != "expired"),
        "expired events while kept: {events:?}"
    );

    // Mode off (the pause ended): the first access deletes and counts, as usual.
    n.keep_expired = false;
    assert_eq!(n.text("GET s"), "$-1\r\n");
    assert_eq!(n.text("DBSIZE"), ":5\r\n");
    assert_eq!(n.stats.expired_keys, 1);
    assert_eq!(n.db().take_expired_keys(), vec![b"s".to_vec()]);
    let events = n.db().take_events();
    assert!(events.iter().any(|e| e.event == "expired" && e.key == b"s"));
    assert_eq!(scan_all(&mut |l| n.cmd(l)), live);
    assert_eq!(n.text("DBSIZE"), ":2\r\n");
    assert_eq!(n.stats.expired_keys, 4);
    let mut gone = n.db().take_expired_keys();
    gone.sort();
    assert_eq!(gone, vec![b"h".to_vec(), b"l".to_vec(), b"z".to_vec()]);
}

#[test]
fn writes_still_delete_what_they_find_expired() {
    let mut n = Node::new();
    fill(&mut n);
    n.advance(200);
    n.keep_expired = true;
    // A write replaces the hidden key: the old one is deleted (and counted) first, so the new
    // value never sits beside it.
    assert_eq!(n.text("RPUSH l c"), ":1\r\n");
    assert_eq!(n.text("LRANGE l 0 -1"), "*1\r\n$1\r\nc\r\n");
    assert_eq!(n.text("RENAME live s"), "+OK\r\n");
    assert_eq!(n.text("GET s"), "$1\r\nv\r\n");
    assert_eq!(n.stats.expired_keys, 2);
    let mut gone = n.db().take_expired_keys();
    gone.sort();
    assert_eq!(gone, vec![b"l".to_vec(), b"s".to_vec()]);
    assert_eq!(n.text("DBSIZE"), ":5\r\n");
}

#[test]
fn randomkey_is_bounded_when_expired_keys_stay() {
    // Only expired keys: Redis 7.0 would spin; the pick ends and names one of them.
    let mut n = Node::new();
    for i in 0..200 {
        n.cmd(&format!("SET k{i} v PX 10"));
    }
    n.advance(50);
    n.keep_expired = true;
    let k = key_set(&n.cmd("RANDOMKEY"));
    assert_eq!(k.len(), 1);
    assert!(k.iter().all(|k| k.starts_with('k')));
    assert_eq!(n.db().len(), 200);

    // Many expired keys and one without a TTL: always that one, even when draws miss it.
    n.cmd("SET live v");
    for _ in 0..20 {
        assert_eq!(n.text("RANDOMKEY"), "$4\r\nlive\r\n");
    }
    assert_eq!((n.db().len(), n.stats.expired_keys), (201, 0));
}

/// The same reads against a redis-server whose clients are paused (WRITE) after its keys
/// expired, and again after CLIENT UNPAUSE: the replies, DBSIZE and `expired_keys` agree.
#[test]
fn matches_redis_during_and_after_a_write_pause() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut redis = server.connect();
    let mut ours = Node::new();
    // Active expiry off on both, so only the reads below can expire keys after the pause and
    // the counts compare exactly.
    redis.cmd("DEBUG SET-ACTIVE-EXPIRE 0");
    for line in [
        "SET live v",
        "SET s 12 PX 150",
        "HSET h f v",
        "PEXPIRE h 150",
        "RPUSH l a b",
        "PEXPIRE l 150",
        "ZADD z 1 m",
        "PEXPIRE z 150",
    ] {
        assert_eq!(redis.cmd(line), ours.cmd(line), "{line}");
    }
    assert_eq!(redis.cmd("CLIENT PAUSE 30000 WRITE"), b"+OK\r\n");
    // Wait on the real clock until Redis sees every key expired (PTTL -2), with a deadline.
    let deadline = common::wall_ms() + 10_000;
    for key in ["s", "h", "l", "z"] {
        while redis.cmd(&format!("PTTL {key}")) != b":-2\r\n" {
            assert!(common::wall_ms() < deadline, "{key} never expired");
        }
    }
    ours.advance(200);
    let reads = [
        "GET s",
        "EXISTS s h l z live",
        "TTL s",
        "PTTL h",
        "TYPE l",
        "HGET h f",
        "LRANGE l 0 -1",
        "ZRANGE z 0 -1",
        "OBJECT ENCODING s",
        "RANDOMKEY",
        "DBSIZE",
    ];
    let info_expired = |c: &mut common::Client| {
        let info = String::from_utf8_lossy(&c.cmd("INFO stats")).into_owned();
        info.lines()
            .find_map(|l| l.strip_prefix("expired_keys:"))
            .expect("expired_keys")
            .trim()
            .parse::<u64>()
            .expect("number")
    };
    for (phase, keep) in [("paused", true), ("unpaused", false)] {
        ours.keep_expired = keep;
        for line in reads {
            assert_eq!(
                String::from_utf8_lossy(&ours.cmd(line)),
                String::from_utf8_lossy(&redis.cmd(line)),
                "{phase}: {line}"
            );
        }
        assert_eq!(
            key_set(&ours.cmd("KEYS *")),
            key_set(&redis.cmd("KEYS *")),
            "{phase}: KEYS"
        );
        let theirs = scan_all(&mut |l| redis.cmd(l));
        assert_eq!(scan_all(&mut |l| ours.cmd(l)), theirs, "{phase}: SCAN");
        assert_eq!(ours.stats.expired_keys, info_expired(&mut redis), "{phase}");
        assert_eq!(
            ours.text("DBSIZE"),
            String::from_utf8_lossy(&redis.cmd("DBSIZE"))
        );
        if keep {
            assert_eq!(redis.cmd("CLIENT UNPAUSE"), b"+OK\r\n");
        }
    }
    assert_eq!(ours.text("DBSIZE"), ":1\r\n");
}
