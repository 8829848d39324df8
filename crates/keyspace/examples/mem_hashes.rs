//! Resident bytes per key for 100,000 hashes of 10 small fields (`listpack`): HSET `hash:N
//! field:0 value:N … field:9 value:N` through the command table, and VmRSS before and after
//! (Linux only). Run with `cargo run --release -p hashslot-keyspace --example mem_hashes [N]`.
//! Compare with Redis: the same load via `redis-cli` and `INFO memory` (see the report).

use hashslot_keyspace::{commands, Ctx, Db, KeyspaceStats};
use hashslot_resp::{Proto, Reply};
use hashslot_types::{Instant, Now, Rng, UnixMillis};

fn vm_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    line.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value")
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let hset = commands()
        .iter()
        .find(|c| c.name == "hset")
        .and_then(|c| c.handler)
        .expect("hset");
    let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
    let (mut rng, mut stats, mut out) = (Rng::from_seed(1), KeyspaceStats::default(), Vec::new());
    let before = vm_rss_kb();
    let mut dbs = vec![Db::with_seed(1)];
    for i in 0..n {
        let key = format!("hash:{i}");
        let fields: Vec<(String, String)> = (0..10)
            .map(|j| (format!("field:{j}"), format!("value:{i}")))
            .collect();
        let mut argv: Vec<&[u8]> = vec![b"hset", key.as_bytes()];
        for (f, v) in &fields {
            argv.push(f.as_bytes());
            argv.push(v.as_bytes());
        }
        out.clear();
        let mut ctx = Ctx::new(
            &mut dbs,
            0,
            now,
            Reply::new(&mut out, Proto::Resp2),
            &mut rng,
            &mut stats,
        );
        hset(&mut ctx, &argv);
    }
    let after = vm_rss_kb();
    println!("keys: {}", dbs[0].len());
    println!(
        "resident: {:.1} bytes/key (VmRSS delta {} KiB)",
        (after - before) as f64 * 1024.0 / n as f64,
        after - before
    );
    println!(
        "used_memory estimate: {:.1} bytes/key",
        dbs[0].used_memory() as f64 / n as f64
    );
}
