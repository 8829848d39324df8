//! The collection encoding thresholds follow CONFIG, at startup and after CONFIG SET, as in
//! redis-server 7.0 (checked by hand against redis-server 7.0.15: the same commands give the
//! same OBJECT ENCODING replies).
mod common;
use common::*;

#[test]
fn config_set_hash_max_listpack_entries_converts_the_next_hset() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.cmd(c, &["CONFIG", "SET", "hash-max-listpack-entries", "2"]),
        b"+OK\r\n"
    );
    assert_eq!(
        h.cmd(c, &["HSET", "h", "a", "1", "b", "2", "c", "3"]),
        b":3\r\n"
    );
    assert_eq!(
        h.cmd(c, &["OBJECT", "ENCODING", "h"]),
        b"$9\r\nhashtable\r\n"
    );
    assert_eq!(h.cmd(c, &["HSET", "small", "a", "1"]), b":1\r\n");
    assert_eq!(
        h.cmd(c, &["OBJECT", "ENCODING", "small"]),
        b"$8\r\nlistpack\r\n"
    );
}

#[test]
fn config_set_applies_to_sets_and_zsets_and_values() {
    let mut h = Harness::new();
    let c = h.connect();
    let ok = b"+OK\r\n";
    assert_eq!(
        h.cmd(c, &["CONFIG", "SET", "set-max-intset-entries", "1"]),
        ok
    );
    assert_eq!(h.cmd(c, &["SADD", "s", "1", "2"]), b":2\r\n");
    assert_eq!(
        h.cmd(c, &["OBJECT", "ENCODING", "s"]),
        b"$9\r\nhashtable\r\n"
    );
    assert_eq!(
        h.cmd(c, &["CONFIG", "SET", "zset-max-ziplist-value", "3"]),
        ok
    );
    assert_eq!(h.cmd(c, &["ZADD", "z", "1", "abcd"]), b":1\r\n");
    assert_eq!(
        h.cmd(c, &["OBJECT", "ENCODING", "z"]),
        b"$8\r\nskiplist\r\n"
    );
    assert_eq!(
        h.cmd(c, &["CONFIG", "SET", "hash-max-listpack-value", "2"]),
        ok
    );
    assert_eq!(h.cmd(c, &["HSET", "hv", "f", "abc"]), b":1\r\n");
    assert_eq!(
        h.cmd(c, &["OBJECT", "ENCODING", "hv"]),
        b"$9\r\nhashtable\r\n"
    );
}

#[test]
fn startup_config_sets_the_limits() {
    let mut h = Harness::with_config(config(&[("zset-max-listpack-entries", "1")]));
    let c = h.connect();
    assert_eq!(h.cmd(c, &["ZADD", "z", "1", "a", "2", "b"]), b":2\r\n");
    assert_eq!(
        h.cmd(c, &["OBJECT", "ENCODING", "z"]),
        b"$8\r\nskiplist\r\n"
    );
}
