//! Active expiry removes keys as virtual time advances, without any client touching them.
mod common;
use common::*;

#[test]
fn keys_expire_in_the_cron() {
    let mut h = Harness::new();
    let c = h.connect();
    for i in 0..50 {
        assert_eq!(
            h.cmd_str(c, &["SET", &format!("k{i}"), "v", "PX", "500"]),
            "+OK\r\n"
        );
    }
    assert_eq!(h.cmd_str(c, &["SET", "forever", "v"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["DBSIZE"]), ":51\r\n");
    let info = bulk_text(&h.cmd(c, &["INFO", "keyspace"]));
    assert!(info.contains("db0:keys=51,expires=50,avg_ttl="), "{info}");
    h.advance(400);
    assert_eq!(h.cmd_str(c, &["DBSIZE"]), ":51\r\n");
    h.advance(1_000);
    assert_eq!(h.cmd_str(c, &["DBSIZE"]), ":1\r\n");
    let info = bulk_text(&h.cmd(c, &["INFO", "stats"]));
    assert!(info.contains("\r\nexpired_keys:50\r\n"), "{info}");
    let info = bulk_text(&h.cmd(c, &["INFO", "keyspace"]));
    assert!(info.contains("db0:keys=1,expires=0,avg_ttl=0"), "{info}");
}

#[test]
fn one_tick_does_bounded_work_and_later_ticks_finish() {
    let mut h = Harness::new();
    let c = h.connect();
    let mut batch = Vec::new();
    for i in 0..25_000 {
        batch.extend(encode(&["SET", &format!("k{i}"), "v", "PX", "50"]));
    }
    h.raw(c, &batch);
    assert_eq!(h.cmd_str(c, &["DBSIZE"]), ":25000\r\n");
    // Past the TTL, up to the first cron tick after it: one tick removes at most its budget.
    h.advance(100);
    let left: usize = h
        .cmd_str(c, &["DBSIZE"])
        .trim_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap();
    assert!(left > 0 && left < 25_000, "{left}");
    h.advance(200);
    assert_eq!(h.cmd_str(c, &["DBSIZE"]), ":0\r\n");
}
