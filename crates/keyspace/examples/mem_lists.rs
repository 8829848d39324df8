//! Resident bytes per list: N lists `list:N` of 10 small elements, each created by one RPUSH
//! through the command table, comparing VmRSS before and after (Linux only).
//!
//! `cargo run --release -p hashslot-keyspace --example mem_lists [N] [str|int]`
//!
//! `str` elements are `elem:0`..`elem:9` (6 bytes), `int` elements `1000`..`1009`. Compare with
//! redis-server 7.0 loaded the same way (`used_memory` delta from INFO memory, jemalloc): see
//! the numbers in the keyspace list report.

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
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let ints = args.next().as_deref() == Some("int");
    let rpush = commands()
        .iter()
        .find(|c| c.name == "rpush")
        .and_then(|c| c.handler)
        .expect("rpush");
    let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
    let elems: Vec<Vec<u8>> = (0..10)
        .map(|j| {
            if ints {
                format!("{}", 1000 + j).into_bytes()
            } else {
                format!("elem:{j}").into_bytes()
            }
        })
        .collect();
    let (mut rng, mut stats, mut out) = (Rng::from_seed(1), KeyspaceStats::default(), Vec::new());
    let before = vm_rss_kb();
    let mut dbs = vec![Db::with_seed(1)];
    for i in 0..n {
        let key = format!("list:{i}").into_bytes();
        let mut argv: Vec<&[u8]> = vec![b"rpush", &key];
        argv.extend(elems.iter().map(|e| e.as_slice()));
        out.clear();
        let mut ctx = Ctx::new(
            &mut dbs,
            0,
            now,
            Reply::new(&mut out, Proto::Resp2),
            &mut rng,
            &mut stats,
        );
        rpush(&mut ctx, &argv);
    }
    let after = vm_rss_kb();
    let rss = (after - before) * 1024;
    println!(
        "lists: {} of 10 {} elements",
        dbs[0].len(),
        if ints { "int" } else { "6-byte string" }
    );
    println!(
        "resident: {:.1} bytes/list (VmRSS delta {} KiB)",
        rss as f64 / n as f64,
        after - before
    );
    println!(
        "used_memory estimate: {:.1} bytes/list",
        dbs[0].used_memory() as f64 / n as f64
    );
}
