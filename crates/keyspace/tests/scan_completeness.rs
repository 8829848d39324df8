//! SCAN returns every key present for the whole scan at least once, even while other keys are
//! inserted (tables grow) and deleted (tables shrink) between calls.

use std::collections::HashSet;

use hashslot_keyspace::Db;
use hashslot_types::UnixMillis;
use proptest::prelude::*;

fn run_scan(stable: usize, churn: usize, count: usize, seed: u64) {
    let now = UnixMillis(0);
    let mut db = Db::with_seed(seed);
    // Hash-tagged keys make a few big tables so that resizes happen mid-scan.
    let key = |p: &str, i: usize| format!("{{t{}}}{p}{i}", i % 3).into_bytes();
    for i in 0..stable {
        db.set_str(&key("s", i), b"v", false, now);
    }
    for i in 0..churn {
        db.set_str(&key("c", i), b"v", false, now);
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut step = 0usize;
    loop {
        let mut out = Vec::new();
        cursor = db.scan(cursor, count, &mut out);
        seen.extend(out);
        step += 1;
        // Churn: grow by adding, then shrink by deleting, alternating phases.
        if (step / 5) % 2 == 0 {
            for j in 0..churn / 4 + 1 {
                db.set_str(&key("g", step * 1000 + j), b"v", false, now);
            }
        } else {
            // Delete churn keys only ("c"/"g" after the tag), never stable ones ("s").
            let victims: Vec<Vec<u8>> = db
                .keys()
                .filter(|k| k[k.iter().position(|&b| b == b'}').unwrap() + 1] != b's')
                .take(churn / 3 + 1)
                .map(<[u8]>::to_vec)
                .collect();
            for v in victims {
                db.remove(&v);
            }
        }
        if cursor == 0 {
            break;
        }
        assert!(step < 1_000_000, "scan does not terminate");
    }
    for i in 0..stable {
        assert!(seen.contains(&key("s", i)), "stable key {i} missed");
    }
}

#[test]
fn scan_survives_growth_and_shrink() {
    run_scan(2000, 400, 10, 1);
    run_scan(50, 3000, 3, 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn scan_never_misses_stable_keys(stable in 1usize..400, churn in 0usize..600, count in 1usize..40, seed in any::<u64>()) {
        run_scan(stable, churn, count, seed);
    }
}
