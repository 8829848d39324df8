//! Resident bytes per key: load N keys `key:N` with 16-byte values and compare VmRSS before and
//! after (Linux only). Run with `cargo run --release -p hashslot-keyspace --example mem_per_key
//! [N]`. Redis 7.0 needs about 104 bytes/key for the same load (INFO memory, jemalloc).

use hashslot_keyspace::Db;
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
        .unwrap_or(1_000_000);
    let now = UnixMillis(1_700_000_000_000);
    let before = vm_rss_kb();
    let mut db = Db::with_seed(1);
    let mut key = Vec::with_capacity(32);
    let mut val = Vec::with_capacity(32);
    for i in 0..n {
        key.clear();
        val.clear();
        use std::io::Write;
        let _ = write!(key, "key:{i}");
        let _ = write!(val, "value-{i:010}");
        debug_assert_eq!(val.len(), 16);
        db.set_str(&key, &val, false, now);
    }
    let after = vm_rss_kb();
    let rss = (after - before) * 1024;
    println!("keys: {}", db.len());
    println!(
        "resident: {} bytes/key (VmRSS delta {} KiB)",
        rss as f64 / n as f64,
        after - before
    );
    println!(
        "used_memory estimate: {} bytes/key",
        db.used_memory() as f64 / n as f64
    );
}
