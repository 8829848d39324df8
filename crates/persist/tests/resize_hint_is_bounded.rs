//! A file's `RESIZEDB` counts are hints that size the loader's tables: a false count (here
//! 2^60 keys for a file of three) must neither allocate for it nor fail the load.

use hashslot_keyspace::{Db, Encoding, StrRef, ValueRef};
use hashslot_persist::{load, load_events, Aux, LoadEvent, LoadOptions, Options, RdbWriter};
use hashslot_types::UnixMillis;

const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

fn file_announcing(keys: u64) -> Vec<u8> {
    let mut w = RdbWriter::new(NOW, &Aux::default(), &Options::default());
    w.select_db(0, keys, 0);
    for k in ["a", "b", "c"] {
        w.write_key(
            k.as_bytes(),
            ValueRef::Str(StrRef::Bytes(b"v"), Encoding::Embstr),
            None,
        )
        .expect("write");
    }
    w.finish()
}

#[test]
fn a_huge_announced_count_loads_the_real_keys() {
    let bytes = file_announcing(1 << 60);
    let mut hints = Vec::new();
    load_events(&bytes, &LoadOptions::default(), |ev| {
        if let LoadEvent::Resize { db, keys, .. } = ev {
            hints.push((db, keys));
        }
    })
    .expect("loads");
    assert_eq!(hints, vec![(0, 1 << 60)]);
    let loaded = load(&bytes, &LoadOptions::default()).expect("loads");
    assert_eq!(loaded.dbs[0].len(), 3);
    // What a table may be given for the claim is bounded by the file's size.
    assert_eq!(Db::slot_room_for_keys(1 << 60, bytes.len()), 1);
    let honest = load(&file_announcing(3), &LoadOptions::default()).expect("loads");
    assert_eq!(loaded.dbs[0].used_memory(), honest.dbs[0].used_memory());
}

#[test]
fn an_honest_count_gives_about_the_keys_per_slot() {
    // 1M keys over 16384 slots: 61 a slot, plus three standard deviations.
    assert_eq!(Db::slot_room_for_keys(1_000_000, 31_000_000), 85);
    assert_eq!(Db::slot_room_for_keys(0, 100), 0);
}
