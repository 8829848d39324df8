//! A runaway script is stopped once it ran longer than `busy-reply-threshold`, as read on the
//! node's stopwatch (here a virtual one that advances 1 ms per reading), with the error Redis
//! gives a killed script; a `pcall` inside the script does not keep it alive, a write it made
//! before stays, and the node serves the next command. The sans-IO node runs a script to its
//! end inside one input, so it cannot answer BUSY to other clients meanwhile as Redis does:
//! the time limit is what ends the script instead of SCRIPT KILL.
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::{config, Harness};
use hashslot_node::Stopwatch;

fn harness() -> Harness {
    let mut h = Harness::with_config(config(&[("busy-reply-threshold", "50")]));
    let clock = Arc::new(AtomicU64::new(0));
    h.node.set_stopwatch(Stopwatch::new(move || {
        clock.fetch_add(1_000, Ordering::Relaxed) + 1_000
    }));
    h
}

#[test]
fn an_endless_loop_is_stopped_with_redis_killed_error() {
    let mut h = harness();
    let c = h.connect();
    let r = h.cmd_str(c, &["EVAL", "while true do end", "0"]);
    assert!(
        r.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{r}"
    );
    assert!(r.ends_with(", on @user_script:1.\r\n"), "{r}");
    assert_eq!(h.cmd_str(c, &["PING"]), "+PONG\r\n");
}

#[test]
fn pcall_does_not_keep_a_runaway_script_alive_and_earlier_writes_stay() {
    let mut h = harness();
    let c = h.connect();
    let script = "redis.call('set','k','v')\n\
                  pcall(function() while true do end end)\n\
                  while true do end";
    let r = h.cmd_str(c, &["EVAL", script, "0"]);
    assert!(r.starts_with("-ERR Script killed by user"), "{r}");
    assert_eq!(h.cmd_str(c, &["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn a_script_within_the_limit_runs_to_its_end() {
    let mut h = harness();
    let c = h.connect();
    let r = h.cmd_str(
        c,
        &[
            "EVAL",
            "local n = 0 for i = 1, 1000 do n = n + i end return n",
            "0",
        ],
    );
    assert_eq!(r, ":500500\r\n");
}

#[test]
fn an_endless_loop_inside_a_coroutine_is_stopped() {
    let mut h = harness();
    let c = h.connect();
    for script in [
        "coroutine.wrap(function() while true do end end)()",
        "local co = coroutine.create(function() while true do end end) \
         return coroutine.resume(co)",
        // Switching threads forever: every switch restarts the hook's count, so the switch
        // itself has to look at the clock.
        "local co = coroutine.wrap(function() while true do coroutine.yield() end end) \
         while true do co() end",
        "local co = coroutine.create(function() \
           local inner = coroutine.wrap(function() while true do end end) inner() end) \
         return coroutine.resume(co)",
    ] {
        let r = h.cmd_str(c, &["EVAL", script, "0"]);
        assert!(
            r.contains("Script killed by user with SCRIPT KILL..."),
            "{script}: {r}"
        );
        assert_eq!(h.cmd_str(c, &["PING"]), "+PONG\r\n");
    }
}
