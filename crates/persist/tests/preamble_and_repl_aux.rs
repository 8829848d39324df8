//! An RDB image followed by other bytes (an AOF's RDB preamble and its commands): the loader
//! says where the image ends. The replication aux fields are written when given and read back.

mod support;

use hashslot_persist::{load, save_dbs, Aux, LoadOptions, Options, ReplAux};
use hashslot_types::UnixMillis;
use support::*;

const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

#[test]
fn consumed_is_where_the_image_ends() {
    let data = varied(NOW.0);
    for checksum in [true, false] {
        let opts = Options {
            compression: true,
            checksum,
        };
        let file = save_dbs(&[to_db(&data, NOW)], NOW, &Aux::default(), &opts).unwrap();
        let mut with_tail = file.clone();
        with_tail.extend_from_slice(b"*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
        let loaded = load(&with_tail, &LoadOptions::default()).unwrap();
        assert_eq!(loaded.info.consumed, file.len());
        assert_db_holds(&loaded.dbs[0], &data);
    }
}

#[test]
fn repl_aux_fields_round_trip_in_redis_order() {
    let aux = Aux {
        repl: Some(ReplAux {
            stream_db: 3,
            repl_id: "a".repeat(40),
            repl_offset: 123_456,
        }),
        ..Aux::default()
    };
    let file = save_dbs(&[], NOW, &aux, &Options::default()).unwrap();
    let info = load(&file, &LoadOptions::default()).unwrap().info;
    let names: Vec<&[u8]> = info.aux.iter().map(|(k, _)| k.as_slice()).collect();
    // Ref: rdbSaveInfoAuxFields: the replication fields come after used-mem, before aof-base.
    assert_eq!(
        names,
        [
            &b"redis-ver"[..],
            b"redis-bits",
            b"ctime",
            b"used-mem",
            b"repl-stream-db",
            b"repl-id",
            b"repl-offset",
            b"aof-base"
        ]
    );
    assert_eq!(info.aux_field("repl-stream-db"), Some(&b"3"[..]));
    assert_eq!(info.aux_field("repl-id"), Some("a".repeat(40).as_bytes()));
    assert_eq!(info.aux_field("repl-offset"), Some(&b"123456"[..]));
}
