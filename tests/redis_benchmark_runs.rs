//! `redis-benchmark -t ping,set,get,incr,mset -n 20000 -q` completes without errors against
//! hashslot-node, with and without `-P 16`: exit status 0, one "requests per second" line per
//! test, and no error text. (Throughput is measured by `scripts/bench-vs-redis`, never asserted.)
// Real processes: a deadline from the clock and a polling interval.
#![allow(clippy::disallowed_methods)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let dir = server.dir();
    let out_path = dir.join(format!("bench-P{pipeline}.out"));
    let err_path = dir.join(format!("bench-P{pipeline}.err"));
    let mut child = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &server.port().to_string()])
        .args([
            "-t",
            "ping,set,get,incr,mset",
            "-n",
            "20000",
            "-q",
            "-P",
            pipeline,
        ])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("spawn redis-benchmark");
    let end = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "redis-benchmark -P {pipeline} did not finish within {DEADLINE:?}; output so far:\n{}\n{}",
                std::fs::read_to_string(&out_path).unwrap_or_default(),
                server.logs()
            );
        }
        std::thread::sleep(Duration::from_millis(50)); // polling interval
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
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
