//! FUNCTION libraries in RDB files, beside redis-server 7.0.15: our BGSAVE's dump.rdb with
//! libraries passes `redis-check-rdb` and redis-server started on it lists the same libraries;
//! our node restarted on it (and on an AOF whose rewritten base is an RDB) lists them again;
//! our node started on the dump.rdb redis-server wrote lists redis-server's libraries; and a
//! file whose library does not load (a name listed twice) stops both servers at start.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use persistence_support::{ok, run_tool, spawn, try_spawn};
use support::{require_tool, unique_dir, Client, Flavor};

const NO_AOF: &[&str] = &["--save", "", "--appendonly", "no"];

/// One function per library: FUNCTION LIST orders a library's functions by hash, so a reply
/// with several could differ between servers for no fault of either.
const ALPHA: &str = "#!lua name=alpha\nredis.register_function{function_name='a_get', \
                     callback=function(keys) return redis.call('get', keys[1]) end, \
                     flags={'no-writes'}, description='reads a key'}";
const BETA: &str = "#!lua name=beta\nredis.register_function('b_seven', \
                    function() return 7 end)";

/// FUNCTION LIST WITHCODE of each library, by name (the order of libraries in one reply is a
/// hash order, so each is asked for alone).
fn libraries(c: &mut Client) -> Vec<Vec<u8>> {
    ["alpha", "beta"]
        .iter()
        .map(|name| c.cmd(&["FUNCTION", "LIST", "LIBRARYNAME", name, "WITHCODE"]))
        .collect()
}

fn load_libraries(c: &mut Client) {
    ok(c, &["FUNCTION", "LOAD", ALPHA]);
    ok(c, &["FUNCTION", "LOAD", BETA]);
    ok(c, &["SET", "k", "v"]);
}

/// The libraries answer as loaded: both listed with their code, both callable.
fn assert_loaded(what: &str, c: &mut Client, want: &[Vec<u8>]) {
    let got = libraries(c);
    assert_eq!(
        got.iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect::<Vec<_>>(),
        want.iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect::<Vec<_>>(),
        "{what}"
    );
    assert!(
        want.iter().all(|r| r.len() > 20),
        "{what}: a library is missing"
    );
    assert_eq!(c.cmd(&["FCALL", "b_seven", "0"]), b":7\r\n", "{what}");
    assert_eq!(
        c.cmd(&["FCALL_RO", "a_get", "1", "k"]),
        b"$1\r\nv\r\n",
        "{what}"
    );
}

/// Poll INFO persistence until `field` reads `value`.
fn wait_info(c: &mut Client, field: &str, value: &str) {
    let want = format!("{field}:{value}\r\n");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).contains(&want) {
        assert!(Instant::now() < deadline, "{field} never became {value}");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

#[test]
fn functions_survive_rdb_files_both_ways() {
    let (Some(_), Some(check)) = (
        require_tool("redis-server"),
        require_tool("redis-check-rdb"),
    ) else {
        return;
    };
    // The reference: what redis-server lists for the same libraries.
    let rdir = unique_dir("fn-rdb-theirs");
    let r = spawn(Flavor::Redis, &rdir, NO_AOF);
    let mut rc = r.client();
    load_libraries(&mut rc);
    let want = libraries(&mut rc);
    ok(&mut rc, &["SAVE"]);
    drop(r);

    // Ours: SAVE and BGSAVE, redis-check-rdb, restart, redis-server on our file.
    let mut dirs = Vec::new();
    for save in ["SAVE", "BGSAVE"] {
        let dir = unique_dir("fn-rdb-ours");
        let p = spawn(Flavor::Node, &dir, NO_AOF);
        let mut c = p.client();
        load_libraries(&mut c);
        assert_loaded("ours before the save", &mut c, &want);
        ok(&mut c, &[save]);
        // SAVE has ended when it replies; a BGSAVE when INFO counts it.
        wait_info(&mut c, "rdb_saves", "1");
        p.shutdown("NOSAVE");
        // redis-check-rdb reads FUNCTION2 records without naming them in its output.
        let (good, text) = run_tool(&check, &[&dir.join("dump.rdb")]);
        assert!(good && text.contains("RDB looks OK"), "{save}: {text}");
        let p = spawn(Flavor::Node, &dir, NO_AOF);
        assert_loaded(
            &format!("ours restarted on our {save}"),
            &mut p.client(),
            &want,
        );
        drop(p);
        let r = spawn(Flavor::Redis, &dir, NO_AOF);
        assert_loaded(
            &format!("redis-server on our {save}"),
            &mut r.client(),
            &want,
        );
        drop(r);
        dirs.push(dir);
    }

    // Ours on the file redis-server wrote.
    let p = spawn(Flavor::Node, &rdir, NO_AOF);
    assert_loaded("ours on redis's dump.rdb", &mut p.client(), &want);
    drop(p);
    for dir in dirs {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir_all(&rdir);
}

#[test]
fn functions_survive_an_aof_rewrite_with_an_rdb_base() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let aof = &[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "yes",
    ];
    let rdir = unique_dir("fn-aof-theirs");
    let r = spawn(Flavor::Redis, &rdir, aof);
    let mut rc = r.client();
    load_libraries(&mut rc);
    let want = libraries(&mut rc);
    drop(r);
    let _ = std::fs::remove_dir_all(&rdir);

    let dir = unique_dir("fn-aof-ours");
    let p = spawn(Flavor::Node, &dir, aof);
    let mut c = p.client();
    load_libraries(&mut c);
    ok(&mut c, &["BGREWRITEAOF"]);
    wait_info(&mut c, "aof_rewrite_in_progress", "0");
    wait_info(&mut c, "aof_last_bgrewrite_status", "ok");
    p.shutdown("NOSAVE");
    // After the rewrite the libraries are only in the base: the incr file holds no LOAD.
    let aof_dir = dir.join("appendonlydir");
    let mut incr = Vec::new();
    for e in std::fs::read_dir(&aof_dir).expect("appendonlydir") {
        let path = e.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".incr.aof") {
            incr.extend(std::fs::read(&path).expect("incr"));
        } else if name.ends_with(".base.rdb") {
            let base = std::fs::read(&path).expect("base");
            assert!(base.starts_with(b"REDIS"), "{name}");
        }
    }
    assert!(
        !String::from_utf8_lossy(&incr).contains("FUNCTION"),
        "the libraries are still in the incr file"
    );
    let p = spawn(Flavor::Node, &dir, aof);
    assert_loaded(
        "ours restarted on the rewritten AOF",
        &mut p.client(),
        &want,
    );
    drop(p);
    // redis-server reads the same AOF directory.
    let r = spawn(Flavor::Redis, &dir, aof);
    assert_loaded("redis-server on our rewritten AOF", &mut r.client(), &want);
    drop(r);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A dump.rdb listing one library twice, written with our codec.
fn write_duplicate_library_file(dir: &Path) {
    let file = hashslot_persist::save_dbs_with_functions(
        &[],
        &[BETA.as_bytes(), BETA.as_bytes()],
        hashslot_types::UnixMillis(1_700_000_000_000),
        &hashslot_persist::Aux::default(),
        &hashslot_persist::Options::default(),
    )
    .expect("save");
    std::fs::write(dir.join("dump.rdb"), file).expect("write dump.rdb");
}

#[test]
fn a_library_that_does_not_load_stops_the_start() {
    if require_tool("redis-server").is_none() {
        return;
    }
    for flavor in [Flavor::Redis, Flavor::Node] {
        let dir = unique_dir("fn-rdb-dup");
        write_duplicate_library_file(&dir);
        match try_spawn(flavor, &dir, NO_AOF) {
            Ok(_) => panic!("{} started on a file with a library twice", flavor.label()),
            Err(log) => assert!(
                log.contains("Failed loading library") || log.contains("already exists"),
                "{}: {log}",
                flavor.label()
            ),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
