//! The per-slot index agrees with a brute-force count after inserts, deletes and renames.

use std::collections::BTreeMap;

use hashslot_keyspace::Db;
use hashslot_slots::key_slot;
use hashslot_types::{Slot, UnixMillis};

fn brute(db: &Db) -> BTreeMap<u16, Vec<Vec<u8>>> {
    let mut m: BTreeMap<u16, Vec<Vec<u8>>> = BTreeMap::new();
    for k in db.keys() {
        m.entry(key_slot(k).get()).or_default().push(k.to_vec());
    }
    m
}

#[test]
fn slot_counts_and_listings_match_brute_force() {
    let now = UnixMillis(1_000);
    let mut db = Db::with_seed(5);
    // Hash tags pile many keys into few slots, plain keys spread over all of them.
    for i in 0..3000 {
        db.set_str(format!("{{tag{}}}:{i}", i % 7).as_bytes(), b"v", false, now);
        db.set_str(format!("plain:{i}").as_bytes(), b"v", false, now);
    }
    for i in (0..3000).step_by(3) {
        assert!(db.remove(format!("{{tag{}}}:{i}", i % 7).as_bytes()));
    }
    for i in (0..3000).step_by(5) {
        assert!(db.rename(
            format!("plain:{i}").as_bytes(),
            format!("moved:{i}").as_bytes()
        ));
    }
    let want = brute(&db);
    let mut total = 0;
    for s in 0..16384u16 {
        let slot = Slot::new(s).unwrap();
        let expected = want.get(&s).map_or(0, Vec::len);
        assert_eq!(db.count_keys_in_slot(slot), expected, "slot {s}");
        let mut listed = db.keys_in_slot(slot, usize::MAX);
        listed.sort();
        let mut exp = want.get(&s).cloned().unwrap_or_default();
        exp.sort();
        assert_eq!(listed, exp, "slot {s}");
        assert_eq!(db.keys_in_slot(slot, 2).len(), expected.min(2));
        total += expected;
    }
    assert_eq!(total, db.len());
    assert!(db.contains_key_raw(b"moved:0"));
    assert!(!db.contains_key_raw(b"plain:0"));
}
