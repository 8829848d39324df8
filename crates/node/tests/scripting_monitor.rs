//! MONITOR shows EVAL and FCALL (flagged `skip_monitor`) as their handler starts, before the
//! commands the script runs (shown as from `lua`), and even when they then fail (an unknown
//! function), as redis-server 7.0.15 does.
mod common;

use common::{sent_to, Harness};

#[test]
fn script_commands_are_shown_before_what_they_run() {
    let mut h = Harness::new();
    let mon = h.connect();
    let c = h.connect();
    assert_eq!(h.cmd_str(mon, &["MONITOR"]), "+OK\r\n");
    let out = h.feed(
        c,
        &common::encode(&["EVAL", "return redis.call('set','a','1')", "1", "a"]),
    );
    let shown = String::from_utf8(sent_to(&out, mon)).unwrap();
    let eval_at = shown
        .find("\"EVAL\" \"return redis.call('set','a','1')\" \"1\" \"a\"")
        .unwrap_or_else(|| panic!("{shown}"));
    let set_at = shown
        .find("\"set\" \"a\" \"1\"")
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(eval_at < set_at, "{shown}");
    // The script's own command is shown as from `lua`, the EVAL as from the caller's address
    // (redis-server 7.0.15: `[0 lua] "set" "a" "1"`, `[0 127.0.0.1:PORT] "EVAL" ...`).
    assert!(shown.contains("[0 lua] \"set\" \"a\" \"1\""), "{shown}");
    assert!(!shown.contains("[0 lua] \"EVAL\""), "{shown}");
    let out = h.feed(c, &common::encode(&["FCALL", "nosuch", "0"]));
    let shown = String::from_utf8(sent_to(&out, mon)).unwrap();
    assert!(shown.contains("\"FCALL\" \"nosuch\" \"0\""), "{shown}");
}
