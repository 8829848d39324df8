//! A watched key that expires before EXEC aborts it (7.0's `isWatchedKeyExpired`, and the
//! expiry deletion touching the key); a key already expired when watched does not (checked
//! against redis-server 7.0.15).
mod common;
use common::*;

#[test]
fn expiring_after_watch_aborts() {
    let mut h = Harness::new();
    let a = h.connect();
    h.cmd(a, &["SET", "e", "v", "PX", "300"]);
    h.cmd(a, &["WATCH", "e"]);
    h.advance(400); // active expiry may or may not have removed it: either way it aborts
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*-1\r\n");
}

#[test]
fn expired_but_not_yet_deleted_aborts() {
    let mut h = Harness::with_config(config(&[("hz", "1")]));
    let a = h.connect();
    h.cmd(a, &["SET", "e", "v", "PX", "100"]);
    h.cmd(a, &["WATCH", "e"]);
    h.now = h.now.advance_millis(150); // no timer fires: the key is expired, still stored
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*-1\r\n");
}

#[test]
fn lazily_deleted_by_another_client_aborts() {
    let mut h = Harness::with_config(config(&[("hz", "1")]));
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["SET", "e", "v", "PX", "100"]);
    h.cmd(a, &["WATCH", "e"]);
    h.now = h.now.advance_millis(150);
    assert_eq!(h.cmd_str(b, &["GET", "e"]), "$-1\r\n");
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*-1\r\n");
}

#[test]
fn already_expired_when_watched_then_deleted_runs() {
    let mut h = Harness::with_config(config(&[("hz", "1")]));
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["SET", "e", "v", "PX", "100"]);
    h.now = h.now.advance_millis(150);
    h.cmd(a, &["WATCH", "e"]);
    assert_eq!(h.cmd_str(b, &["GET", "e"]), "$-1\r\n");
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*0\r\n");
}

#[test]
fn already_expired_when_watched_then_rewritten_aborts() {
    let mut h = Harness::with_config(config(&[("hz", "1")]));
    let (a, b) = (h.connect(), h.connect());
    h.cmd(a, &["SET", "e", "v", "PX", "100"]);
    h.now = h.now.advance_millis(150);
    h.cmd(a, &["WATCH", "e"]);
    h.cmd(b, &["SET", "e", "new"]);
    h.cmd(a, &["MULTI"]);
    assert_eq!(h.cmd_str(a, &["EXEC"]), "*-1\r\n");
}
