//! DEBUG's subcommands on one node: digests (values Redis 7.0.15 gave for the same data; the
//! full comparison is the root test `differential_debug_digest`), logically expired keys still
//! digested, OBJECT's fields, SLEEP holding every client until its deadline, SET-ACTIVE-EXPIRE
//! stopping the cron's expiry, CHANGE-REPL-ID, HELP, and Redis's errors for the rest.
mod common;
use common::*;
use hashslot_types::ConnId;

fn debug_node() -> (Harness, ConnId) {
    let mut h = Harness::with_config(config(&[("enable-debug-command", "yes")]));
    let c = h.connect();
    (h, c)
}

#[test]
fn digests_match_redis_values() {
    let (mut h, c) = debug_node();
    h.cmd(c, &["SET", "str", "abc"]);
    h.cmd(
        c,
        &["ZADD", "z", "0.1", "a", "1", "b", "1e300", "c", "-2.5", "d"],
    );
    h.cmd(c, &["HSET", "h", "a", "1"]);
    assert_eq!(
        h.cmd_str(c, &["DEBUG", "DIGEST-VALUE", "str", "nokey", "z", "h"]),
        "*4\r\n+21ffcd2d36aebffca02995acb412bcb827d4c1db\r\n\
         +0000000000000000000000000000000000000000\r\n\
         +feb92303bef8a43d633882bcb1470834edab7fe4\r\n\
         +626a7b57a269f8f179a44902458ecb2f5920d35d\r\n"
    );
    assert_eq!(h.cmd_str(c, &["DEBUG", "DIGEST-VALUE"]), "*0\r\n");
    let before = h.cmd_str(c, &["DEBUG", "DIGEST"]);
    assert_eq!(before.len(), 43, "{before}");
    assert_ne!(before, "+0000000000000000000000000000000000000000\r\n");
    // Keys in another db change the dataset digest, not the values' digests.
    h.cmd(c, &["SELECT", "2"]);
    h.cmd(c, &["SET", "str", "abc"]);
    assert_ne!(h.cmd_str(c, &["DEBUG", "DIGEST"]), before);
    assert_eq!(
        h.cmd_str(c, &["DEBUG", "DIGEST-VALUE", "str"]),
        "*1\r\n+21ffcd2d36aebffca02995acb412bcb827d4c1db\r\n"
    );
}

#[test]
fn logically_expired_keys_are_still_digested() {
    let (mut h, c) = debug_node();
    h.cmd(c, &["DEBUG", "SLEEP", "0"]);
    h.cmd(c, &["SET", "k", "v", "PX", "10"]);
    let with_ttl = h.cmd_str(c, &["DEBUG", "DIGEST-VALUE", "k"]);
    h.now = h.now.advance_millis(50);
    // No cron ran (time moved without timers): the key is due but still stored.
    assert_eq!(h.cmd_str(c, &["DEBUG", "DIGEST-VALUE", "k"]), with_ttl);
    assert!(!with_ttl.contains("+0000000000"), "{with_ttl}");
}

#[test]
fn object_fields() {
    let (mut h, c) = debug_node();
    h.cmd(c, &["SET", "n", "123"]);
    h.cmd(c, &["SADD", "s", "1", "2", "3"]);
    h.cmd(
        c,
        &[
            "SET",
            "big",
            "01234567890123456789012345678901234567890123456789",
        ],
    );
    let n = h.cmd_str(c, &["DEBUG", "OBJECT", "n"]);
    assert!(n.starts_with("+Value at:"), "{n}");
    // Redis 7.0.15 gives these for the same values (its pointers and LRU clock differ).
    assert!(
        n.contains(" refcount:2147483647 encoding:int serializedlength:2 lru:"),
        "{n}"
    );
    let s = h.cmd_str(c, &["DEBUG", "OBJECT", "s"]);
    assert!(
        s.contains(" refcount:1 encoding:intset serializedlength:15 lru:"),
        "{s}"
    );
    // A compressible string is serialized LZF-compressed: shorter than its 50 bytes (Redis
    // says 21; our compressor finds other matches, so only "compressed" is checked).
    let big = h.cmd_str(c, &["DEBUG", "OBJECT", "big"]);
    let len: usize = big
        .split(" serializedlength:")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{big}"));
    assert!(big.contains(" encoding:raw ") && len < 50, "{big}");
    h.now = h.now.advance_millis(5_000);
    let idle = h.cmd_str(c, &["DEBUG", "OBJECT", "s"]);
    assert!(idle.ends_with(" lru_seconds_idle:5\r\n"), "{idle}");
    assert_eq!(
        h.cmd_str(c, &["DEBUG", "OBJECT", "nokey"]),
        "-ERR no such key\r\n"
    );
}

/// DEBUG SLEEP holds every client until its virtual deadline: the caller's reply, its
/// pipelined next command and another client's request are answered only when it passes;
/// zero, negative and unparsable times reply at once (Redis's `strtod` reads 0).
#[test]
fn sleep_holds_every_client_until_its_deadline() {
    let (mut h, c) = debug_node();
    for t in ["0", "0.0000001", "-1", "abc"] {
        assert_eq!(h.cmd_str(c, &["DEBUG", "SLEEP", t]), "+OK\r\n", "{t}");
    }
    let other = h.connect();
    let mut req = encode(&["DEBUG", "SLEEP", "0.5"]);
    req.extend(encode(&["PING"]));
    assert!(h.raw(c, &req).is_empty(), "no reply while asleep");
    assert!(h.cmd(other, &["PING"]).is_empty());
    let out = h.advance(499);
    assert!(sent_to(&out, c).is_empty() && sent_to(&out, other).is_empty());
    let out = h.advance(1);
    assert_eq!(sent_to(&out, c), b"+OK\r\n+PONG\r\n");
    assert_eq!(sent_to(&out, other), b"+PONG\r\n");
}

#[test]
fn help_and_unknown_subcommands() {
    let (mut h, c) = debug_node();
    let help = h.cmd_str(c, &["DEBUG", "help"]);
    assert!(
        help.starts_with(
            "*31\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CHANGE-REPL-ID\r\n"
        ),
        "{help}"
    );
    let unknown = |sub: &str| {
        format!(
            "-ERR unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP.\r\n"
        )
    };
    for args in [
        &["DEBUG", "foo"][..],
        &["DEBUG", "digest", "x"],
        &["DEBUG", "sleep"],
        &["DEBUG", "OBJECT"],
        &["DEBUG", "help", "x"],
        &["DEBUG", "segfault"],
        &["DEBUG", "set-active-expire"],
        &["DEBUG", "set-active-expire", "0", "1"],
        &["DEBUG", "change-repl-id", "x"],
    ] {
        assert_eq!(h.cmd_str(c, args), unknown(args[1]), "{args:?}");
    }
}

/// What redis-server 7.0.15 does with the same steps: with active expiry off, a due key stays
/// stored (DBSIZE counts it, `expired_keys` stays 0) until a lookup expires it; `abc` reads as
/// 0 (`atoi`); back on, the cron removes due keys again.
#[test]
fn set_active_expire_stops_and_restarts_the_cron() {
    let (mut h, c) = debug_node();
    assert_eq!(
        h.cmd_str(c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]),
        "+OK\r\n"
    );
    h.cmd(c, &["SET", "k", "v", "PX", "100"]);
    h.advance(1_200);
    assert_eq!(h.cmd_str(c, &["DBSIZE"]), ":1\r\n");
    let info = bulk_text(&h.cmd(c, &["INFO", "stats"]));
    assert!(info.contains("\r\nexpired_keys:0\r\n"), "{info}");
    assert_eq!(h.cmd_str(c, &["GET", "k"]), "$-1\r\n");
    assert_eq!(h.cmd_str(c, &["DBSIZE"]), ":0\r\n");
    h.cmd(c, &["SET", "k2", "v", "PX", "100"]);
    assert_eq!(
        h.cmd_str(c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]),
        "+OK\r\n"
    );
    h.advance(1_200);
    assert_eq!(h.cmd_str(c, &["DBSIZE"]), ":0\r\n");
    h.cmd(c, &["SET", "k3", "v", "PX", "100"]);
    assert_eq!(
        h.cmd_str(c, &["DEBUG", "SET-ACTIVE-EXPIRE", "abc"]),
        "+OK\r\n"
    );
    h.advance(1_200);
    assert_eq!(h.cmd_str(c, &["DBSIZE"]), ":1\r\n");
}

/// The INFO replication field `name`.
fn repl_field(h: &mut Harness, c: ConnId, name: &str) -> String {
    let info = bulk_text(&h.cmd(c, &["INFO", "replication"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {info}"))
        .to_owned()
}

/// As redis-server 7.0.15: after REPLICAOF host port / REPLICAOF NO ONE the old id is
/// `master_replid2` (valid to `second_repl_offset` 1); CHANGE-REPL-ID then gives a new id and
/// clears the secondary one (zeros, -1), the offset unchanged.
#[test]
fn change_repl_id_gives_a_new_id_and_clears_the_second() {
    let (mut h, c) = debug_node();
    let first = repl_field(&mut h, c, "master_replid");
    assert_eq!(h.cmd_str(c, &["REPLICAOF", "127.0.0.1", "1"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
    let promoted = repl_field(&mut h, c, "master_replid");
    assert_eq!(repl_field(&mut h, c, "master_replid2"), first);
    assert_eq!(repl_field(&mut h, c, "second_repl_offset"), "1");
    assert_eq!(h.cmd_str(c, &["DEBUG", "CHANGE-REPL-ID"]), "+OK\r\n");
    let changed = repl_field(&mut h, c, "master_replid");
    assert_eq!(changed.len(), 40, "{changed}");
    assert!(changed != promoted && changed != first, "{changed}");
    assert_eq!(
        repl_field(&mut h, c, "master_replid2"),
        "0000000000000000000000000000000000000000"
    );
    assert_eq!(repl_field(&mut h, c, "second_repl_offset"), "-1");
    assert_eq!(repl_field(&mut h, c, "master_repl_offset"), "0");
}
