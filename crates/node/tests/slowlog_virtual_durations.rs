//! Command timing with an injected stopwatch: each reading of the fake clock advances it by a
//! step, so every command "runs" for exactly one step. The slow log logs by its threshold and
//! trims to `slowlog-max-len`; INFO commandstats sums the durations; LATENCY HISTOGRAM puts
//! them in Redis's bucket; the latency monitor sees a `command` event; a DEBUG SLEEP counts its
//! virtual length; and without a stopwatch every command takes 0 µs.
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::{config, Harness};
use hashslot_node::Stopwatch;

/// A stopwatch that moves by `step` µs at each reading (two readings per command).
fn stepping(h: &mut Harness) -> Arc<AtomicU64> {
    let step = Arc::new(AtomicU64::new(0));
    let clock = Arc::new(AtomicU64::new(0));
    let s = Arc::clone(&step);
    h.node.set_stopwatch(Stopwatch::new(move || {
        clock.fetch_add(s.load(Ordering::Relaxed), Ordering::Relaxed)
    }));
    step
}

fn field<'a>(info: &'a str, prefix: &str) -> &'a str {
    info.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("{prefix} not in {info}"))
}

#[test]
fn durations_from_the_stopwatch_drive_slowlog_stats_and_latency() {
    let mut h = Harness::with_config(config(&[
        ("slowlog-log-slower-than", "1000"),
        ("slowlog-max-len", "2"),
        ("latency-monitor-threshold", "1"),
        ("enable-debug-command", "yes"),
    ]));
    let c = h.connect();
    let step = stepping(&mut h);
    // 600 µs: under the threshold, not logged.
    step.store(600, Ordering::Relaxed);
    h.cmd(c, &["SET", "a", "1"]);
    step.store(0, Ordering::Relaxed);
    assert_eq!(h.cmd_str(c, &["SLOWLOG", "LEN"]), ":0\r\n");
    // 1500 µs: logged, three times, trimmed to the two newest.
    step.store(1500, Ordering::Relaxed);
    for k in ["x", "y", "z"] {
        h.cmd(c, &["SET", k, "1"]);
    }
    step.store(0, Ordering::Relaxed);
    let log = h.cmd_str(c, &["SLOWLOG", "GET", "-1"]);
    assert!(
        log.starts_with("*2\r\n*6\r\n:2\r\n:1700000000\r\n:1500\r\n"),
        "{log}"
    );
    assert!(
        log.contains("$1\r\nz\r\n") && log.contains("$1\r\ny\r\n"),
        "{log}"
    );
    assert!(!log.contains("$1\r\nx\r\n"), "{log}");
    assert!(log.contains("$15\r\n127.0.0.1:40001\r\n$0\r\n"), "{log}");
    // usec: 600 + 3 × 1500.
    let info = h.cmd_str(c, &["INFO", "commandstats"]);
    assert_eq!(
        field(&info, "cmdstat_set:"),
        "cmdstat_set:calls=4,usec=5100,usec_per_call=1275.00,rejected_calls=0,failed_calls=0"
    );
    // 600 µs lands under Redis's 1056 µs label, 1500 µs under 2113.
    let hist = h.cmd_str(c, &["LATENCY", "HISTOGRAM", "set"]);
    assert_eq!(
        hist,
        "*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:4\r\n$14\r\nhistogram_usec\r\n\
         *4\r\n:1056\r\n:1\r\n:2113\r\n:4\r\n"
    );
    let stats = h.cmd_str(c, &["INFO", "latencystats"]);
    assert!(
        stats.contains("latency_percentiles_usec_set:p50=1507.327,p99=1507.327,p99.9=1507.327"),
        "{stats}"
    );
    // 1500 µs is a 1 ms `command` event at the threshold of 1 ms.
    let latest = h.cmd_str(c, &["LATENCY", "LATEST"]);
    assert_eq!(
        latest,
        "*1\r\n*4\r\n$7\r\ncommand\r\n:1700000000\r\n:1\r\n:1\r\n"
    );
    // DEBUG SLEEP stops the node for its length in virtual time: that is its duration.
    h.cmd(c, &["CONFIG", "SET", "slowlog-max-len", "10"]);
    h.feed(c, b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$4\r\n0.25\r\n");
    h.advance(300);
    let log = h.cmd_str(c, &["SLOWLOG", "GET", "1"]);
    assert!(log.contains(":250000\r\n*3\r\n$5\r\nDEBUG\r\n"), "{log}");
    let latest = h.cmd_str(c, &["LATENCY", "HISTORY", "command"]);
    assert!(latest.ends_with(":250\r\n"), "{latest}");
}

#[test]
fn without_a_stopwatch_commands_take_no_time() {
    let mut h = Harness::with_config(config(&[("slowlog-log-slower-than", "0")]));
    let c = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    let log = h.cmd_str(c, &["SLOWLOG", "GET"]);
    assert!(
        log.starts_with("*1\r\n*6\r\n:0\r\n:1700000000\r\n:0\r\n"),
        "{log}"
    );
    let info = h.cmd_str(c, &["INFO", "commandstats"]);
    assert!(
        field(&info, "cmdstat_set:").contains("usec=0,usec_per_call=0.00"),
        "{info}"
    );
    let hist = h.cmd_str(c, &["LATENCY", "HISTOGRAM", "set"]);
    assert!(hist.ends_with("*2\r\n:1\r\n:1\r\n"), "{hist}");
}
