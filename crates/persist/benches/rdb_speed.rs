//! Save and load time for 1,000,000 `key:N` string keys, beside redis-server's `SAVE` and
//! `DEBUG RELOAD` on the same data when redis-server is on PATH.
//!
//! Run: `cargo bench -p hashslot-persist --bench rdb_speed`
#![allow(clippy::disallowed_methods)] // a benchmark reads the clock and waits for a process

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hashslot_keyspace::{Db, Value};
use hashslot_persist::{load, save_dbs, Aux, LoadOptions, Options};
use hashslot_types::UnixMillis;

const N: usize = 1_000_000;

fn main() {
    let now = UnixMillis(1_700_000_000_000);
    let mut db = Db::new();
    for i in 0..N {
        let k = format!("key:{i}");
        db.insert(
            k.as_bytes(),
            Value::Str(format!("value:{i}").into_bytes()),
            None,
            now,
        );
    }
    let dbs = [db];
    // Twice: the first run also pays for first-touching the output pages.
    let t = Instant::now();
    let first = save_dbs(&dbs, now, &Aux::default(), &Options::default()).unwrap();
    let save1 = t.elapsed();
    drop(first);
    let t = Instant::now();
    let file = save_dbs(&dbs, now, &Aux::default(), &Options::default()).unwrap();
    let save = t.elapsed();
    println!("hashslot: first save {:.0} ms", save1.as_secs_f64() * 1e3);
    let t = Instant::now();
    let loaded = load(&file, &LoadOptions::default()).unwrap();
    let load_t = t.elapsed();
    assert_eq!(loaded.dbs[0].len(), N);
    println!(
        "hashslot: save {:.0} ms, load {:.0} ms, file {} bytes",
        save.as_secs_f64() * 1e3,
        load_t.as_secs_f64() * 1e3,
        file.len()
    );
    redis_side();
}

fn cmd(w: &mut TcpStream, r: &mut BufReader<TcpStream>, line: &str) -> String {
    w.write_all(format!("{line}\r\n").as_bytes()).unwrap();
    let mut s = String::new();
    r.read_line(&mut s).unwrap();
    s.trim_end().to_owned()
}

fn redis_side() {
    let dir = std::env::temp_dir().join(format!("rdb-speed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Ok(mut child) = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--enable-debug-command", "yes"])
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn()
    else {
        println!("redis-server not on PATH: skipped");
        return;
    };
    let s = loop {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            break s;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut w, mut r) = (s.try_clone().unwrap(), BufReader::new(s));
    // DEBUG POPULATE makes key:N → value:N, the same data.
    cmd(&mut w, &mut r, &format!("DEBUG POPULATE {N} key"));
    let t = Instant::now();
    let ok = cmd(&mut w, &mut r, "SAVE");
    let save = t.elapsed();
    let t = Instant::now();
    let ok2 = cmd(&mut w, &mut r, "DEBUG RELOAD");
    let reload = t.elapsed();
    let size = std::fs::metadata(dir.join("dump.rdb"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "redis-server: SAVE {:.0} ms ({ok}), DEBUG RELOAD (save + load) {:.0} ms ({ok2}), file {size} bytes",
        save.as_secs_f64() * 1e3,
        reload.as_secs_f64() * 1e3
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
