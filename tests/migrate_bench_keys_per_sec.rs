//! Benchmark (ignored by default; run it on a release build): keys per second moved between
//! two masters, on the same data, by
//!
//! - `CLUSTER MIGRATESLOTS` on our nodes (one command; the source drives the move),
//! - `redis-cli --cluster reshard` between our nodes,
//! - `redis-cli --cluster reshard` between two `redis-server` 7.0 nodes.
//!
//! Each round starts fresh two-master clusters and runs the three variants one after the
//! other (interleaved, so machine noise hits all alike); the medians are printed.
//!
//! ```text
//! cargo test --release --test migrate_bench_keys_per_sec -- --ignored --nocapture
//! ```
//!
//! Knobs: `MIGRATE_BENCH_SLOTS` (default 200), `MIGRATE_BENCH_KEYS_PER_SLOT` (100),
//! `MIGRATE_BENCH_VALUE_BYTES` (100), `MIGRATE_BENCH_ROUNDS` (3),
//! `MIGRATE_BENCH_PIPELINE` (redis-cli's `--cluster-pipeline`, default 10 as redis-cli's).
// A benchmark: it times real processes with the wall clock.
#![allow(clippy::disallowed_methods)]
mod cluster_support;
mod migrate_support;

use std::time::{Duration, Instant};

use cluster_support::{
    create_cluster, have_tools, plain, redis_cli, start_nodes, wait_agree, Kind, Reply, TempDir,
    NODE_TIMEOUT_MS,
};
use migrate_support::{run_all, slot_tags, Conn};

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, Debug)]
enum Variant {
    MigrateSlots,
    ReshardOurs,
    ReshardRedis,
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::MigrateSlots => "CLUSTER MIGRATESLOTS (ours)",
            Variant::ReshardOurs => "redis-cli reshard (ours)",
            Variant::ReshardRedis => "redis-cli reshard (redis-server)",
        }
    }
}

/// One timed move of `slots` slots holding `keys` keys; returns the seconds it took.
fn run(v: Variant, slots: usize, per_slot: usize, value: usize, pipeline: usize) -> f64 {
    let kind = match v {
        Variant::ReshardRedis => Kind::Redis,
        _ => Kind::Ours,
    };
    let root = TempDir::new("migrate-bench");
    let nodes = start_nodes(kind, 2, &root.0, NODE_TIMEOUT_MS);
    create_cluster(&nodes, 2);
    let (src, dst) = (&nodes[0], &nodes[1]);
    let tags = slot_tags();
    let filler = "v".repeat(value);
    let mut data = Vec::with_capacity(slots * per_slot);
    for tag in &tags[..slots] {
        for j in 0..per_slot {
            let k = format!("{{{tag}}}:{j}");
            data.push(vec!["SET".to_string(), k, filler.clone()]);
        }
    }
    run_all(src.port, &data);
    let dst_id = dst.myid();
    let started = Instant::now();
    match v {
        Variant::MigrateSlots => {
            let end = (slots - 1).to_string();
            let mut c = Conn::connect(src.port).unwrap();
            let r = c
                .cmd(&[
                    "CLUSTER",
                    "MIGRATESLOTS",
                    "SLOTSRANGE",
                    "0",
                    &end,
                    "NODE",
                    &dst_id,
                ])
                .unwrap();
            assert_eq!(r, Reply::Status("OK".into()));
            loop {
                let text = c
                    .cmd(&["CLUSTER", "MIGRATESLOTS", "STATUS"])
                    .unwrap()
                    .text();
                if text.contains("state:done") {
                    break;
                }
                assert!(text.contains("state:running"), "{text}");
                assert!(started.elapsed() < Duration::from_secs(600), "too slow");
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        Variant::ReshardOurs | Variant::ReshardRedis => {
            let (n, p) = (slots.to_string(), pipeline.to_string());
            let src_id = src.myid();
            let run = redis_cli(
                &[
                    "--cluster",
                    "reshard",
                    &src.addr(),
                    "--cluster-from",
                    &src_id,
                    "--cluster-to",
                    &dst_id,
                    "--cluster-slots",
                    &n,
                    "--cluster-pipeline",
                    &p,
                    "--cluster-yes",
                ],
                Duration::from_secs(600),
            );
            assert_eq!(run.success, Some(true), "{}", plain(&run.stdout));
        }
    }
    let took = started.elapsed().as_secs_f64();
    let moved: i64 = (0..slots)
        .map(
            |s| match dst.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &s.to_string()]) {
                Reply::Int(n) => n,
                r => panic!("{r:?}"),
            },
        )
        .sum();
    assert_eq!(
        moved as usize,
        data.len(),
        "{}: keys on the target",
        v.label()
    );
    wait_agree(&nodes, Duration::from_secs(30));
    took
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[test]
#[ignore = "benchmark: run on a release build with --ignored --nocapture"]
fn keys_per_second_moved() {
    if !have_tools(&["redis-server", "redis-cli"]) {
        return;
    }
    let slots = knob("MIGRATE_BENCH_SLOTS", 200).clamp(1, 8192);
    let per_slot = knob("MIGRATE_BENCH_KEYS_PER_SLOT", 100).max(1);
    let value = knob("MIGRATE_BENCH_VALUE_BYTES", 100);
    let rounds = knob("MIGRATE_BENCH_ROUNDS", 3).max(1);
    let pipeline = knob("MIGRATE_BENCH_PIPELINE", 10).max(1);
    let keys = (slots * per_slot) as f64;
    let variants = [
        Variant::MigrateSlots,
        Variant::ReshardOurs,
        Variant::ReshardRedis,
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for round in 0..rounds {
        for (i, v) in variants.iter().enumerate() {
            let t = run(*v, slots, per_slot, value, pipeline);
            eprintln!(
                "round {round}: {:<34} {:>7.3} s  {:>9.0} keys/s",
                v.label(),
                t,
                keys / t
            );
            times[i].push(t);
        }
    }
    eprintln!(
        "\n{slots} slots x {per_slot} keys of {value} B, redis-cli --cluster-pipeline {pipeline}, \
         median of {rounds}:"
    );
    let base = median(&mut times[2].clone());
    for (i, v) in variants.iter().enumerate() {
        let m = median(&mut times[i]);
        eprintln!(
            "  {:<34} {:>7.3} s  {:>9.0} keys/s  {:>5.2}x redis-server reshard",
            v.label(),
            m,
            keys / m,
            base / m
        );
    }
}
