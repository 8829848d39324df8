//! Malformed files are values, never panics: truncation at every offset, every flipped byte,
//! random input, refused record kinds and versions.

mod support;

use hashslot_persist::{load, save_dbs, Aux, LoadOptions, Options, RdbError};
use hashslot_types::UnixMillis;
use proptest::prelude::*;
use support::*;

const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

fn small_file() -> Vec<u8> {
    let data: Vec<Entry> = varied(NOW.0)
        .into_iter()
        .filter(|e| {
            !e.0.starts_with(b"key:")
                && !e.0.windows(3).any(|w| w == b"big")
                && e.0 != b"l:huge-elem"
        })
        .collect();
    save_dbs(
        &[to_db(&data, NOW)],
        NOW,
        &Aux::default(),
        &Options::default(),
    )
    .unwrap()
}

#[test]
fn truncation_at_every_offset_is_an_error() {
    let file = small_file();
    assert!(load(&file, &LoadOptions::default()).is_ok());
    let mut truncated = 0;
    for n in 0..file.len() {
        match load(&file[..n], &LoadOptions::default()) {
            Ok(_) => panic!("prefix of {n} bytes loaded"),
            Err(RdbError::Truncated { offset }) => {
                assert!(offset <= n);
                truncated += 1;
            }
            Err(_) => {}
        }
    }
    assert!(truncated > file.len() / 2, "{truncated} of {}", file.len());
}

#[test]
fn every_flipped_byte_is_an_error_and_data_flips_are_checksum_errors() {
    let file = small_file();
    // Every byte of the first 2 KiB and every 7th after (each check is a full load).
    for i in (9..file.len()).filter(|&i| i < 2048 || i % 7 == 0) {
        let mut f = file.clone();
        f[i] ^= 0x20;
        assert!(
            load(&f, &LoadOptions::default()).is_err(),
            "flip at {i} loaded"
        );
    }
    // Inside the string value "hello": structurally fine, so only the CRC can tell.
    let at = file.windows(5).position(|w| w == b"hello").unwrap();
    let mut f = file.clone();
    f[at] = b'j';
    assert!(matches!(
        load(&f, &LoadOptions::default()),
        Err(RdbError::Checksum { .. })
    ));
    let no_check = LoadOptions {
        verify_checksum: false,
        ..LoadOptions::default()
    };
    assert!(load(&f, &no_check).is_ok());
}

#[test]
fn versions_and_unsupported_records() {
    let file = small_file();
    let mut v11 = file.clone();
    v11[5..9].copy_from_slice(b"0011");
    assert_eq!(
        load(&v11, &LoadOptions::default()).unwrap_err(),
        RdbError::Version(11)
    );
    assert!(load(b"RUBBISH00", &LoadOptions::default()).is_err());
    // Version 9 with no checksum footer check differences: accepted.
    let mut v9 = file.clone();
    v9[5..9].copy_from_slice(b"0009");
    assert!(matches!(
        load(&v9, &LoadOptions::default()),
        Err(RdbError::Checksum { .. })
    ));
    let no_check = LoadOptions {
        verify_checksum: false,
        ..LoadOptions::default()
    };
    assert!(load(&v9, &no_check).is_ok());
    // A FUNCTION2 record, a module aux record: named errors.
    for (byte, kind) in [
        (245u8, "FUNCTION2"),
        (247, "module aux"),
        (7, "module value"),
    ] {
        let mut f = b"REDIS0010".to_vec();
        f.push(byte);
        f.extend_from_slice(&[1, b'k', 0, 0, 0, 0]);
        match load(&f, &no_check) {
            Err(RdbError::Unsupported { kind: k, offset: 9 }) => assert_eq!(k, kind),
            other => panic!("{byte}: {other:?}"),
        }
    }
    // Streams load now; a stream record cut short is a truncation, not a panic.
    for byte in [15u8, 19] {
        let mut f = b"REDIS0010".to_vec();
        f.push(byte);
        f.extend_from_slice(&[1, b'k', 0, 0, 0]);
        assert!(
            matches!(load(&f, &no_check), Err(RdbError::Truncated { .. })),
            "{byte}"
        );
    }
    let mut f = b"REDIS0010".to_vec();
    f.extend_from_slice(&[254, 20, 255, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(
        load(&f, &LoadOptions::default()),
        Err(RdbError::DbIndex { index: 20, .. })
    ));
}

#[test]
fn old_encodings_load() {
    // Seconds expiry, LRU/LFU opcodes, type 1 list, type 3 zset with text scores, type 2 set,
    // a zipmap hash: as Redis 2.x–6.x wrote them.
    let mut f = b"REDIS0006".to_vec();
    f.extend_from_slice(&[254, 0]);
    f.push(253);
    f.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    f.extend_from_slice(&[248, 5]); // IDLE
    f.extend_from_slice(&[1, 1, b'l', 2, 1, b'a', 0xC0, 7]);
    f.extend_from_slice(&[249, 3]); // FREQ
    f.extend_from_slice(&[3, 1, b'z', 2, 1, b'a', 3, b'1', b'.', b'5', 1, b'b', 254]);
    f.extend_from_slice(&[2, 1, b's', 2, 1, b'x', 0xC1, 0x10, 0x27]);
    let zm = [1u8, 1, b'f', 1, 0, b'v', 0xFF];
    f.extend_from_slice(&[9, 1, b'h', zm.len() as u8]);
    f.extend_from_slice(&zm);
    f.push(255);
    let crc = hashslot_persist::crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    let l = load(&f, &LoadOptions::default()).unwrap();
    let db = &l.dbs[0];
    assert_eq!(db.expire_time(b"l"), Some(2_000_000_000_000));
    assert_eq!(
        model_of(db.peek(b"l").unwrap()),
        Model::List(vec![b"a".to_vec(), b"7".to_vec()])
    );
    assert!(same(
        &model_of(db.peek(b"z").unwrap()),
        &Model::ZSet(vec![(b"a".to_vec(), 1.5), (b"b".to_vec(), f64::INFINITY)])
    ));
    assert_eq!(
        model_of(db.peek(b"s").unwrap()),
        Model::Set(vec![b"10000".to_vec(), b"x".to_vec()])
    );
    assert_eq!(db.peek(b"s").unwrap().encoding().name(), "hashtable");
    assert_eq!(
        model_of(db.peek(b"h").unwrap()),
        Model::Hash(vec![(b"f".to_vec(), b"v".to_vec())])
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn random_input_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..200), v in 1u32..=10) {
        let mut f = format!("REDIS{v:04}").into_bytes();
        f.extend_from_slice(&tail);
        let _ = load(&f, &LoadOptions::default());
        let _ = hashslot_persist::restore_payload(&tail);
    }

    #[test]
    fn mutated_files_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut f = small_file();
        for (i, b) in edits {
            let n = f.len();
            f[9 + i % (n - 9)] = b;
        }
        let _ = load(&f, &LoadOptions { verify_checksum: false, ..LoadOptions::default() });
    }
}
