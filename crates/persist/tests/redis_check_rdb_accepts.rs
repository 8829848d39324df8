//! `redis-check-rdb` (7.0) accepts the files we write.

mod support;

use std::process::Command;

use hashslot_persist::{save_dbs, Aux, Options};
use hashslot_types::UnixMillis;
use support::*;

#[test]
fn redis_check_rdb_accepts_our_file() {
    if !have("redis-check-rdb") {
        return;
    }
    let now = UnixMillis(wall_ms());
    let dir = TempDir::new("check");
    for (i, opts) in [
        Options::default(),
        Options {
            compression: false,
            checksum: false,
        },
    ]
    .into_iter()
    .enumerate()
    {
        let data = varied(now.0);
        let dbs = [
            to_db(&data, now),
            hashslot_keyspace::Db::new(),
            to_db(&data[..5], now),
        ];
        let file = save_dbs(&dbs, now, &Aux::default(), &opts).unwrap();
        let path = dir.0.join(format!("ours{i}.rdb"));
        std::fs::write(&path, &file).unwrap();
        let out = Command::new("redis-check-rdb").arg(&path).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "redis-check-rdb failed:\n{text}");
        assert!(text.contains("RDB looks OK"), "{text}");
        assert!(
            text.contains(&format!("keys read: {}", data.len() + 5)) || text.contains("keys read"),
            "{text}"
        );
    }
}
