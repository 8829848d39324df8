//! HyperLogLogs move between redis-server and our node with DUMP/RESTORE and keep counting the
//! same: sparse and dense HLLs made by Redis, RESTOREd on ours, give the same PFCOUNT (single,
//! union, after further PFADDs and a PFMERGE), and the reverse direction too.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use persistence_support::{ok, spawn};
use support::{require_tool, unique_dir, Client, Flavor, Value};

/// Sparse (`small`, `mid`) and dense (`big`) HLLs, with a stale and a fresh cached cardinality.
fn fill(c: &mut Client) {
    let add = |c: &mut Client, key: &str, from: usize, n: usize| {
        let mut args = vec!["PFADD".to_string(), key.to_string()];
        args.extend((from..from + n).map(|i| format!("el:{i}")));
        ok(c, &args);
    };
    add(c, "small", 0, 5);
    add(c, "mid", 3, 700);
    add(c, "big", 500, 20000);
    ok(c, &["PFCOUNT", "mid"]);
}

fn dump(c: &mut Client, key: &str) -> Vec<u8> {
    let v = Value::parse(&c.cmd(&["DUMP", key])).unwrap();
    v.bytes().expect("a payload").to_vec()
}

/// What both servers must answer alike once they hold the same HLLs.
fn probe(c: &mut Client) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = |args: &[&str]| out.push(String::from_utf8_lossy(&c.cmd(args)).into_owned());
    for key in ["small", "mid", "big"] {
        run(&["PFCOUNT", key]);
        run(&["PFDEBUG", "ENCODING", key]);
        run(&["GET", key]);
    }
    run(&["PFCOUNT", "small", "mid", "big"]);
    run(&["PFADD", "small", "x1", "x2", "x3"]);
    run(&["PFADD", "big", "y1", "y2", "y3", "y4"]);
    run(&["PFMERGE", "all", "small", "mid", "big"]);
    run(&["PFCOUNT", "all"]);
    run(&["GET", "all"]);
    run(&["PFCOUNT", "small"]);
    run(&["GET", "small"]);
    run(&["PFCOUNT", "big"]);
    out
}

#[test]
fn hll_dump_restore_counts_the_same_both_ways() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let (dir_r, dir_o) = (unique_dir("hll-r"), unique_dir("hll-o"));
    let args = ["--save", "", "--appendonly", "no"];
    for from_redis in [true, false] {
        let r = spawn(Flavor::Redis, &dir_r, &args);
        let o = spawn(Flavor::Node, &dir_o, &args);
        let (src, dst) = if from_redis { (&r, &o) } else { (&o, &r) };
        let (mut a, mut b) = (src.client(), dst.client());
        fill(&mut a);
        for key in ["small", "mid", "big"] {
            let payload = dump(&mut a, key);
            let reply = b.cmd(&[b"RESTORE".as_slice(), key.as_bytes(), b"0", &payload]);
            assert_eq!(reply, b"+OK\r\n", "RESTORE {key}");
        }
        let (want, got) = (probe(&mut a), probe(&mut b));
        let what = if from_redis {
            "redis → ours"
        } else {
            "ours → redis"
        };
        for (i, (w, g)) in want.iter().zip(&got).enumerate() {
            assert_eq!(g, w, "{what}: probe step {i}");
        }
    }
    let _ = (
        std::fs::remove_dir_all(dir_r),
        std::fs::remove_dir_all(dir_o),
    );
}
