//! Manual measurement (ignored by default; run on a release build): the time to empty one slot
//! holding many keys the way a slot migration does (take a batch of the slot's keys, delete
//! them, repeat), printed per tenth of the slot so that a slowdown as the slot empties shows.
//!
//! ```text
//! cargo test --release -p hashslot-keyspace --test slot_drain_timing -- --ignored --nocapture
//! ```
//!
//! Knobs: `DRAIN_KEYS` (default 60000), `DRAIN_BATCH` (default 100).
// A measurement: it reads the wall clock and asserts nothing about time.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use hashslot_keyspace::Db;
use hashslot_slots::key_slot;
use hashslot_types::UnixMillis;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "measurement: run on a release build with --ignored --nocapture"]
fn drain_one_slot() {
    let (n, batch) = (knob("DRAIN_KEYS", 60_000), knob("DRAIN_BATCH", 100).max(1));
    let now = UnixMillis(1_700_000_000_000);
    let mut db = Db::new();
    let value = vec![b'x'; 100];
    for i in 0..n {
        db.set_str(format!("{{tag}}key:{i}").as_bytes(), &value, false, now);
    }
    let slot = key_slot(b"{tag}");
    assert_eq!(db.count_keys_in_slot(slot), n);
    let start = Instant::now();
    let mut lap = Instant::now();
    let mut done = 0;
    let mut next_report = n / 10;
    while db.count_keys_in_slot(slot) > 0 {
        for k in db.keys_in_slot(slot, batch) {
            assert!(db.remove(&k));
            done += 1;
        }
        if done >= next_report {
            eprintln!(
                "{done:>8} deleted: last tenth {:>8.1} ms",
                lap.elapsed().as_secs_f64() * 1e3
            );
            lap = Instant::now();
            next_report += n / 10;
        }
    }
    let t = start.elapsed().as_secs_f64();
    eprintln!(
        "{n} keys, batches of {batch}: {:.3} s, {:.0} keys/s",
        t,
        n as f64 / t
    );
    assert_eq!(db.len(), 0);
}
