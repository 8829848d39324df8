//! Resident bytes for 100,000 sorted sets of 10 small members (`zset:N` → `member:0..9` with
//! scores 0..9), measured as the VmRSS delta (Linux only) and by `Db::used_memory`. Run with
//! `cargo run --release -p hashslot-keyspace --example mem_zsets [N]`, and compare with Redis:
//! `ZADD zset:N 0 member:0 … 9 member:9` for N keys, then the `used_memory` delta of INFO memory.

use hashslot_keyspace::{Db, Object, ZSet};
use hashslot_types::UnixMillis;

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
    let now = UnixMillis(1_700_000_000_000);
    let before = vm_rss_kb();
    let mut db = Db::with_seed(1);
    for i in 0..n {
        let mut z = ZSet::new();
        for j in 0..10 {
            z.insert(format!("member:{j}").as_bytes(), f64::from(j));
        }
        db.insert_object(format!("zset:{i}").as_bytes(), Object::ZSet(z), false, now);
    }
    let after = vm_rss_kb();
    let rss = (after - before) * 1024;
    println!("zsets: {} (encoding listpack)", db.len());
    println!(
        "resident: {:.1} bytes/zset (VmRSS delta {} KiB)",
        rss as f64 / n as f64,
        after - before
    );
    println!(
        "used_memory estimate: {:.1} bytes/zset",
        db.used_memory() as f64 / n as f64
    );
}
