//! FLUSHDB/FLUSHALL touch the watched keys that existed; SWAPDB those in either database
//! (Redis 7.0 `touchAllWatchedKeysInDb`; checked against redis-server 7.0.15).
mod common;
use common::*;

#[test]
fn flush_touches_only_existing_keys() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["WATCH", "nokey"]);
    h.cmd(b, &["SET", "x", "1"]);
    h.cmd(b, &["FLUSHALL"]);
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*0\r\n");

    h.cmd(a, &["SET", "f", "1"]);
    h.cmd(a, &["WATCH", "f"]);
    h.cmd(b, &["FLUSHDB"]);
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*-1\r\n");
}

#[test]
fn swapdb_touches_keys_in_either_db() {
    let mut h = Harness::new();
    let (a, b) = (h.connect(), h.connect());
    h.cmd(b, &["SELECT", "1"]);
    h.cmd(b, &["SET", "k", "in-db1"]);
    h.cmd(a, &["WATCH", "k"]); // absent in db 0
    h.cmd(b, &["SWAPDB", "0", "1"]);
    h.cmd(a, &["MULTI"]);
    h.cmd(a, &["GET", "k"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*-1\r\n");

    h.cmd(a, &["WATCH", "absent"]);
    h.cmd(b, &["SWAPDB", "0", "1"]);
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*0\r\n");
}
