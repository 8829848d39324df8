//! Save → load gives back the same data: a fixed varied dataset and random datasets of every
//! type and encoding, with and without compression and checksums.

mod support;

use hashslot_keyspace::Db;
use hashslot_persist::{load, save_dbs, Aux, LoadOptions, Options};
use hashslot_types::UnixMillis;
use proptest::prelude::*;
use support::*;

const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

fn round(data: &[Entry], opts: Options) {
    let db = to_db(data, NOW);
    let file = save_dbs(&[Db::new(), db], NOW, &Aux::default(), &opts).unwrap();
    let loaded = load(&file, &LoadOptions::default()).unwrap();
    assert!(loaded.dbs[0].is_empty());
    assert_db_holds(&loaded.dbs[1], data);
    assert_eq!(loaded.info.version, 10);
    assert_eq!(loaded.info.keys, data.len() as u64);
    // Encodings survive (a big list stays a quicklist, a small hash a listpack…).
    let orig = to_db(data, NOW);
    for (k, _, _) in data {
        assert_eq!(
            loaded.dbs[1].peek(k).unwrap().encoding(),
            orig.peek(k).unwrap().encoding(),
            "encoding of {}",
            String::from_utf8_lossy(k)
        );
    }
}

#[test]
fn varied_dataset_round_trips_in_every_mode() {
    let data = varied(NOW.0);
    for (compression, checksum) in [(true, true), (false, true), (true, false), (false, false)] {
        round(
            &data,
            Options {
                compression,
                checksum,
            },
        );
    }
}

#[test]
fn aux_fields_and_expiry_filter() {
    let data = varied(NOW.0);
    let aux = Aux {
        used_mem: 12345,
        repl: Some(hashslot_persist::ReplAux {
            stream_db: 0,
            repl_id: "a".repeat(40),
            repl_offset: 99,
        }),
        ..Aux::default()
    };
    let file = save_dbs(&[to_db(&data, NOW)], NOW, &aux, &Options::default()).unwrap();
    let l = load(&file, &LoadOptions::default()).unwrap();
    assert_eq!(
        l.info.aux_field("ctime"),
        Some(NOW.as_secs().to_string().as_bytes())
    );
    assert_eq!(l.info.aux_field("redis-bits"), Some(&b"64"[..]));
    assert_eq!(l.info.aux_field("used-mem"), Some(&b"12345"[..]));
    assert_eq!(l.info.aux_field("repl-offset"), Some(&b"99"[..]));
    assert_eq!(l.info.aux_field("aof-base"), Some(&b"0"[..]));
    // Loading two hours later as a master drops the keys that expired by then.
    let later = LoadOptions {
        drop_expired_at: Some(UnixMillis(NOW.0 + 2 * 3_600_000 + 1)),
        ..LoadOptions::default()
    };
    let l = load(&file, &later).unwrap();
    let expired = data
        .iter()
        .filter(|e| e.2.is_some_and(|t| t < NOW.0 + 2 * 3_600_000 + 1))
        .count();
    assert_eq!(l.info.expired_skipped, expired as u64);
    assert_eq!(l.dbs[0].len(), data.len() - expired);
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string().into_bytes()),
        (-200i64..200).prop_map(|i| i.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..30),
        proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b')], 0..200),
        proptest::collection::vec(any::<u8>(), 60..80),
    ]
}

fn score_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        // Redis reports a -0 score as 0 (and so does the keyspace's listpack form).
        any::<f64>()
            .prop_filter("no NaN", |f| !f.is_nan())
            .prop_map(|f| if f == 0.0 { 0.0 } else { f }),
        (-1000i32..1000).prop_map(f64::from),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
    ]
}

fn model_strategy() -> impl Strategy<Value = Model> {
    prop_oneof![
        bytes_strategy().prop_map(Model::Str),
        proptest::collection::vec(bytes_strategy(), 1..700).prop_map(Model::List),
        proptest::collection::btree_map(bytes_strategy(), bytes_strategy(), 1..600)
            .prop_map(|m| Model::Hash(m.into_iter().collect())),
        proptest::collection::btree_set(bytes_strategy(), 1..600)
            .prop_map(|s| Model::Set(s.into_iter().collect())),
        proptest::collection::btree_set(
            any::<i64>().prop_map(|i| i.to_string().into_bytes()),
            1..600
        )
        .prop_map(|s| Model::Set(s.into_iter().collect())),
        proptest::collection::btree_map(bytes_strategy(), score_strategy(), 1..200)
            .prop_map(|m| Model::ZSet(m.into_iter().collect())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_datasets_round_trip(
        entries in proptest::collection::btree_map(
            proptest::collection::vec(any::<u8>(), 0..24),
            (model_strategy(), proptest::option::of(0i64..10_000_000_000_000)),
            0..12,
        ),
        compression in any::<bool>(),
    ) {
        let data: Vec<Entry> = entries.into_iter().map(|(k, (m, e))| (k, m, e)).collect();
        round(&data, Options { compression, checksum: true });
    }
}
