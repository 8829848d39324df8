//! Manual measurement (ignored by default; run on a release build): what reading
//! `Db::used_memory` costs (the node reads it on every cron tick, 10 a second) beside the full
//! walk it replaced (`used_memory_walk`), on 1M keys shaped like scripts/bench-persist-vs-redis's
//! data set: 70% strings, 10% each small hashes, lists and sets.
//!
//! ```text
//! cargo test --release -p hashslot-keyspace --test used_memory_cost -- --ignored --nocapture
//! ```
//!
//! Knob: `MEM_KEYS` (default 1000000).
// A measurement: it reads the wall clock and asserts nothing about time.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::Instant;

use common::Node;

#[test]
#[ignore = "measurement: run on a release build with --ignored --nocapture"]
fn used_memory_read_cost() {
    let n: usize = std::env::var("MEM_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut node = Node::new(1_700_000_000_000);
    for i in 0..n {
        let k = format!("key:{i}");
        match i % 10 {
            0 => node.cmd(&format!("HSET {k} f1 v1 f2 v2 f3 v3")),
            1 => node.cmd(&format!("RPUSH {k} a b c d e")),
            2 => node.cmd(&format!("SADD {k} 1 2 3 4 5")),
            _ => node.cmd(&format!("SET {k} value:{i}")),
        };
    }
    let db = &node.dbs[0];
    let time = |f: &dyn Fn() -> usize| {
        let mut runs: Vec<f64> = (0..21)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        runs.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        runs[runs.len() / 2]
    };
    let kept = time(&|| db.used_memory());
    let walk = time(&|| db.used_memory_walk());
    assert_eq!(db.used_memory(), db.used_memory_walk());
    eprintln!(
        "{n} keys: used_memory {kept:.2} µs, full walk {walk:.0} µs (median of 21), {} bytes",
        db.used_memory()
    );
}
