//! `redis-benchmark -t ping,set,get,incr,mset -n 20000 -q` completes without errors against
//! hashslot-node, with and without `-P 16`: exit status 0, one "requests per second" line per
//! test, and no error text. (Throughput is measured by `scripts/bench-vs-redis`, never asserted.)
// Real processes: a deadline from the clock and a polling interval.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::Duration;

use support::{Flavor, Server};

/// The lines `-t ping,set,get,incr,mset` prints, by test name.
const TESTS: &[&str] = &[
    "PING_INLINE",
    "PING_MBULK",
    "SET",
    "GET",
    "INCR",
    "MSET (10 keys)",
];
const DEADLINE: Duration = Duration::from_secs(120);

fn run_benchmark(server: &Server, pipeline: &str) {
    let support::benchmark::Run {
        status,
        stdout,
        stderr,
    } = support::benchmark::run(
        server,
        &format!("P{pipeline}"),
        &[
            "-t",
            "ping,set,get,incr,mset",
            "-n",
            "20000",
            "-q",
            "-P",
            pipeline,
        ],
        DEADLINE,
    );
    // -q rewrites a progress line with \r; the final line of each test ends with \n.
    let lines: Vec<&str> = stdout
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let report = format!(
        "{} with -P {pipeline}: status {status}\nstdout lines:\n  {}\nstderr:\n{stderr}",
        server.flavor().label(),
        lines.join("\n  ")
    );
    assert!(status.success(), "{report}");
    for t in TESTS {
        let prefix = format!("{t}: ");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&prefix) && l.contains(" requests per second")),
            "no result line for {t}\n{report}"
        );
    }
    let all = format!("{stdout}\n{stderr}");
    for bad in ["ERR", "error", "Error", "WRONGTYPE", "MOVED", "CLUSTERDOWN"] {
        assert!(!all.contains(bad), "output mentions {bad:?}\n{report}");
    }
    eprintln!("{report}");
}

fn check(flavor: Flavor) {
    if support::require_tool("redis-benchmark").is_none() {
        return;
    }
    let mut server = Server::start(flavor, &[]);
    run_benchmark(&server, "1");
    run_benchmark(&server, "16");
    assert!(
        server.is_alive(),
        "server died during the benchmark\n{}",
        server.logs()
    );
    // The data the benchmark wrote is there (SET/INCR/MSET used key:__rand_int__ → "key:000000000000").
    let mut c = server.connect();
    assert_ne!(c.cmd(&["DBSIZE"]), b":0\r\n", "benchmark left no keys");
}

#[test]
fn redis_benchmark_runs_against_hashslot() {
    check(Flavor::Node);
}

#[test]
fn redis_benchmark_runs_against_redis_reference() {
    if support::require_tool("redis-server").is_some() {
        check(Flavor::Redis);
    }
}
