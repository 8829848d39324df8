//! We load the dump.rdb redis-server 7.0 writes for a varied dataset: same data, and the
//! encodings OBJECT ENCODING reports there.

mod support;

use hashslot_persist::{load, LoadOptions};
use support::*;

#[test]
fn we_load_redis_servers_file() {
    let dir = TempDir::new("theirs");
    let Some(server) = Server::start(&dir.0, "dump.rdb") else {
        return;
    };
    let mut c = server.client();
    let data = varied(wall_ms());
    for cmd in commands(&data) {
        let r = c.run(&cmd);
        assert!(!matches!(r, Reply::Error(_)), "{r:?}");
    }
    // Old-style sorted-set and list entries too: a second db with small values.
    assert_eq!(c.cmd("SELECT 3"), Reply::Status("OK".into()));
    c.cmd("SET only-in-3 x");
    c.cmd("SELECT 0");
    let mut encodings = Vec::new();
    for (k, _, _) in &data {
        encodings.push(c.run(&[b"OBJECT".as_slice(), b"ENCODING", k]).bytes());
    }
    assert_eq!(c.cmd("SAVE"), Reply::Status("OK".into()));
    let file = std::fs::read(dir.0.join("dump.rdb")).unwrap();
    let loaded = load(&file, &LoadOptions::default()).unwrap();
    assert_db_holds(&loaded.dbs[0], &data);
    assert_eq!(loaded.dbs[3].len(), 1);
    assert_eq!(loaded.info.version, 10);
    assert_eq!(loaded.info.aux_field("redis-ver"), Some(&b"7.0.15"[..]));
    for ((k, _, _), enc) in data.iter().zip(&encodings) {
        let ours = loaded.dbs[0].peek(k).unwrap().encoding().name();
        assert_eq!(
            ours.as_bytes(),
            enc.as_slice(),
            "encoding of {}",
            String::from_utf8_lossy(k)
        );
    }
}
