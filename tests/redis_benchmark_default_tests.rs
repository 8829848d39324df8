//! `redis-benchmark -q -n 2000` with its DEFAULT test list (no `-t`: PING_INLINE, PING_MBULK,
//! SET, GET, INCR, LPUSH, RPUSH, LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN, LPUSH (needed to
//! benchmark LRANGE), LRANGE_100/300/500/600, MSET) completes against hashslot-node with and
//! without `-P 16`: exit status 0, one "requests per second" line per test, no error text.
//! The same run against redis-server checks the test itself. Throughput is never asserted.
// Real processes: a deadline from the clock and a polling interval.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::Duration;

use support::{Flavor, Server};

/// The result lines redis-benchmark 7.0 prints for its default list, by test name.
const TESTS: &[&str] = &[
    "PING_INLINE",
    "PING_MBULK",
    "SET",
    "GET",
    "INCR",
    "LPUSH",
    "RPUSH",
    "LPOP",
    "RPOP",
    "SADD",
    "HSET",
    "SPOP",
    "ZADD",
    "ZPOPMIN",
    "LPUSH (needed to benchmark LRANGE)",
    "LRANGE_100 (first 100 elements)",
    "LRANGE_300 (first 300 elements)",
    "LRANGE_500 (first 500 elements)",
    "LRANGE_600 (first 600 elements)",
    "MSET (10 keys)",
];
const DEADLINE: Duration = Duration::from_secs(180);

fn run_benchmark(server: &Server, pipeline: &str) {
    let support::benchmark::Run {
        status,
        stdout,
        stderr,
    } = support::benchmark::run(
        server,
        &format!("default-P{pipeline}"),
        &["-q", "-n", "2000", "-P", pipeline],
        DEADLINE,
    );
    // -q rewrites a progress line with \r; the final line of each test ends with \n.
    let finals: Vec<&str> = stdout
        .split('\n')
        .map(|l| l.rsplit('\r').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let report = format!(
        "{} with -P {pipeline}: status {status}\nresult lines:\n  {}\nstderr:\n{stderr}",
        server.flavor().label(),
        finals.join("\n  ")
    );
    assert!(status.success(), "{report}");
    for t in TESTS {
        let prefix = format!("{t}: ");
        let n = finals
            .iter()
            .filter(|l| l.starts_with(&prefix) && l.contains(" requests per second"))
            .count();
        assert_eq!(n, 1, "want exactly one result line for {t}\n{report}");
    }
    assert_eq!(
        finals.len(),
        TESTS.len(),
        "unexpected extra lines\n{report}"
    );
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
    // What the default list leaves behind: the list the LRANGE tests read ("mylist"), the
    // counter, the set, the hash, the sorted set may be empty again (SPOP/ZPOPMIN).
    let mut c = server.connect();
    assert_eq!(c.cmd(&["TYPE", "mylist"]), b"+list\r\n");
    assert_eq!(c.cmd(&["TYPE", "counter:__rand_int__"]), b"+string\r\n");
    assert_eq!(c.cmd(&["TYPE", "myhash"]), b"+hash\r\n");
}

#[test]
fn default_benchmark_list_runs_against_hashslot() {
    check(Flavor::Node);
}

#[test]
fn default_benchmark_list_runs_against_redis_reference() {
    if support::require_tool("redis-server").is_some() {
        check(Flavor::Redis);
    }
}
