//! Resident bytes per key for 100,000 sets of 10 small members: SADD `set:N M0 … M9` with
//! integer members `N*10+j` (`intset`), or `member:j:N` (`hashtable`) with the argument `str`, through the command table, and VmRSS before and after
//! (Linux only). Run with `cargo run --release -p hashslot-keyspace --example mem_sets [N] [int|str]`.
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
    let strings = std::env::args().nth(2).as_deref() == Some("str");
    let sadd = commands()
        .iter()
        .find(|c| c.name == "sadd")
        .and_then(|c| c.handler)
        .expect("sadd");
    let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
    let (mut rng, mut stats, mut out) = (Rng::from_seed(1), KeyspaceStats::default(), Vec::new());
    let before = vm_rss_kb();
    let mut dbs = vec![Db::with_seed(1)];
    for i in 0..n {
        let key = format!("set:{i}");
        let members: Vec<String> = (0..10)
            .map(|j| {
                if strings {
                    format!("member:{j}:{i}")
                } else {
                    (i * 10 + j).to_string()
                }
            })
            .collect();
        let mut argv: Vec<&[u8]> = vec![b"sadd", key.as_bytes()];
        for m in &members {
            argv.push(m.as_bytes());
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
        sadd(&mut ctx, &argv);
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
