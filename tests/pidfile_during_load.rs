//! The pidfile is written before the dataset is loaded, as redis-server 7.0 writes it
//! (`createPidFile` right after `initServer`, before `loadDataFromDisk`), so it exists while a
//! large RDB file is still loading; SHUTDOWN removes it ("Removing the pid file."). The same
//! checks run against redis-server when it is installed.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use hashslot_keyspace::{Db, Value};
use hashslot_persist::{save_dbs, Aux, Options};
use hashslot_types::UnixMillis;
use persistence_support::try_spawn;
use support::{require_tool, unique_dir, Flavor};

/// Keys in the file: loading them took ~1.9 s in a debug build and ~0.6 s in redis-server on
/// the shared CI-like machine, hundreds of times the polling interval below.
const KEYS: usize = 300_000;

/// Write `dump.rdb` with [`KEYS`] string keys into `dir`.
fn write_big_rdb(dir: &Path) {
    let now = UnixMillis(1_700_000_000_000);
    let mut db = Db::new();
    for i in 0..KEYS {
        let key = format!("key:{i:07}");
        db.insert(
            key.as_bytes(),
            Value::Str(format!("value-{i}").into_bytes()),
            None,
            now,
        );
    }
    let opts = Options {
        compression: false,
        checksum: true,
    };
    let file = save_dbs(&[db], now, &Aux::default(), &opts).expect("save");
    std::fs::write(dir.join("dump.rdb"), file).expect("write dump.rdb");
}

/// Start `flavor` with a pidfile on `dir` (holding the big file), and watch: the pidfile must
/// appear while the log does not yet say the data is loaded. Then SHUTDOWN removes it.
fn check(flavor: Flavor, dir: &Path) {
    let pidfile = dir.join("server.pid");
    let log = dir.join(format!("{}.log", flavor.label()));
    let _ = std::fs::remove_file(&log);
    let pid_arg = pidfile.display().to_string();
    // `spawn` waits until the server answers PING, which it does only after loading; so the
    // process is started by hand here and polled from its first instant.
    let start = std::thread::spawn({
        let dir = dir.to_owned();
        move || try_spawn(flavor, &dir, &["--save", "", "--pidfile", pid_arg.as_str()])
    });
    let deadline = Instant::now() + Duration::from_secs(25);
    let seen_while_loading = loop {
        if let Ok(text) = std::fs::read_to_string(&pidfile) {
            if !text.is_empty() {
                let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                break !log_text.contains("Done loading RDB")
                    && !log_text.contains("Ready to accept");
            }
        }
        assert!(Instant::now() < deadline, "{}: no pidfile", flavor.label());
        std::thread::sleep(Duration::from_millis(2)); // polling interval
    };
    let p = start
        .join()
        .expect("spawn thread")
        .unwrap_or_else(|log| panic!("{} did not start:\n{log}", flavor.label()));
    assert!(
        seen_while_loading,
        "{}: the pidfile appeared only after loading:\n{}",
        flavor.label(),
        p.log_text()
    );
    let text = std::fs::read_to_string(&pidfile).expect("pidfile");
    assert_eq!(
        text.trim(),
        p.child.id().to_string(),
        "the pidfile holds the pid"
    );
    let dbsize = p.client().cmd(&["DBSIZE"]);
    assert_eq!(
        dbsize,
        format!(":{KEYS}\r\n").into_bytes(),
        "all keys loaded"
    );
    let log_path = p.log.clone();
    p.shutdown("NOSAVE");
    assert!(
        !pidfile.exists(),
        "{}: SHUTDOWN leaves the pidfile",
        flavor.label()
    );
    let log_text = std::fs::read_to_string(log_path).unwrap_or_default();
    assert!(log_text.contains("Removing the pid file."), "{log_text}");
}

#[test]
fn pidfile_exists_while_loading_and_goes_at_shutdown() {
    let dir = unique_dir("pidfile-load");
    write_big_rdb(&dir);
    check(Flavor::Node, &dir);
    if require_tool("redis-server").is_some() {
        check(Flavor::Redis, &dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
