//! redis-server 7.0 loads our file and then holds exactly our data.

mod support;

use hashslot_keyspace::Db;
use hashslot_persist::{save_dbs, Aux, Options};
use hashslot_types::UnixMillis;
use support::*;

#[test]
fn redis_server_loads_our_file() {
    if !have("redis-server") {
        return;
    }
    let now = UnixMillis(wall_ms());
    let data = varied(now.0);
    let dir = TempDir::new("ours");
    let file = save_dbs(
        &[to_db(&data, now), Db::new(), to_db(&data[..3], now)],
        now,
        &Aux::default(),
        &Options::default(),
    )
    .unwrap();
    std::fs::write(dir.0.join("ours.rdb"), &file).unwrap();
    let Some(server) = Server::start(&dir.0, "ours.rdb") else {
        return;
    };
    let mut c = server.client();
    assert_eq!(c.cmd("DBSIZE").int(), data.len() as i64);
    for (k, m, exp) in &data {
        let got = fetch(&mut c, k);
        assert!(same(&got, m), "key {}: {got:?}", String::from_utf8_lossy(k));
        let pttl = c.run(&[b"PTTL".as_slice(), k]).int();
        match exp {
            None => assert_eq!(pttl, -1, "{}", String::from_utf8_lossy(k)),
            Some(e) => {
                let want = e - wall_ms();
                assert!((pttl - want).abs() < 60_000, "pttl {pttl} want ~{want}");
            }
        }
    }
    assert_eq!(c.cmd("SELECT 2"), Reply::Status("OK".into()));
    assert_eq!(c.cmd("DBSIZE").int(), 3);
}
