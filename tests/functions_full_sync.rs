//! FUNCTION libraries travel in a full sync's RDB and replace the replica's own, as with
//! redis-server 7.0.15 (`readSyncBulkPayload` empties the functions with the data before
//! loading): our master to a redis-server replica and to our replica, a redis-server master
//! to our replica. Each replica first holds a library the master lacks and one of the same
//! name with other code; after the sync it lists exactly the master's libraries.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{require_tool, Client, Flavor, Server};

const ALPHA: &str = "#!lua name=alpha\nredis.register_function{function_name='a_get', \
                     callback=function(keys) return redis.call('get', keys[1]) end, \
                     flags={'no-writes'}}";
const BETA: &str = "#!lua name=beta\nredis.register_function('b_seven', \
                    function() return 7 end)";
/// The replica's own libraries before the sync: `beta` with other code, and `stale`.
const OTHER_BETA: &str = "#!lua name=beta\nredis.register_function('b_other', \
                          function() return 0 end)";
const STALE: &str = "#!lua name=stale\nredis.register_function('s_one', \
                     function() return 1 end)";

fn ok(c: &mut Client, args: &[&str]) {
    let r = c.cmd(args);
    assert!(
        !r.starts_with(b"-"),
        "{args:?}: {}",
        String::from_utf8_lossy(&r)
    );
}

/// FUNCTION LIST WITHCODE per library name (one reply's library order is a hash order).
fn libraries(c: &mut Client) -> Vec<String> {
    ["alpha", "beta", "stale"]
        .iter()
        .map(|n| {
            String::from_utf8_lossy(&c.cmd(&["FUNCTION", "LIST", "LIBRARYNAME", n, "WITHCODE"]))
                .into_owned()
        })
        .collect()
}

fn link_up(c: &mut Client) -> bool {
    String::from_utf8_lossy(&c.cmd(&["INFO", "replication"])).contains("master_link_status:up")
}

/// Start `master` with the libraries, a replica with its own, sync, and compare.
fn sync_and_compare(master: Flavor, replica: Flavor) {
    let what = format!("{} master, {} replica", master.label(), replica.label());
    let m = Server::start(master, &["--repl-diskless-sync-delay", "0"]);
    let mut mc = m.connect();
    ok(&mut mc, &["FUNCTION", "LOAD", ALPHA]);
    ok(&mut mc, &["FUNCTION", "LOAD", BETA]);
    ok(&mut mc, &["SET", "k", "v"]);
    let want = libraries(&mut mc);
    assert!(
        want[2].starts_with("*0"),
        "{what}: the master has no `stale`"
    );

    let r = Server::start(replica, &[]);
    let mut rc = r.connect();
    ok(&mut rc, &["FUNCTION", "LOAD", OTHER_BETA]);
    ok(&mut rc, &["FUNCTION", "LOAD", STALE]);
    ok(&mut rc, &["REPLICAOF", "127.0.0.1", &m.port().to_string()]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !link_up(&mut rc) {
        assert!(
            Instant::now() < deadline,
            "{what}: no sync\n{}\n{}",
            m.logs(),
            r.logs()
        );
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
    assert_eq!(libraries(&mut rc), want, "{what}");
    assert_eq!(
        rc.cmd(&["FCALL_RO", "a_get", "1", "k"]),
        b"$1\r\nv\r\n",
        "{what}"
    );
    // `b_seven` may write (no `no-writes` flag): a read-only replica refuses to run it.
    let refused = rc.cmd(&["FCALL", "b_seven", "0"]);
    assert!(refused.starts_with(b"-READONLY"), "{what}: {refused:?}");
    assert!(
        rc.cmd(&["FCALL", "b_other", "0"])
            .starts_with(b"-ERR Function not found"),
        "{what}"
    );
}

#[test]
fn our_master_to_redis_replica() {
    if require_tool("redis-server").is_none() {
        return;
    }
    sync_and_compare(Flavor::Node, Flavor::Redis);
}

#[test]
fn redis_master_to_our_replica() {
    if require_tool("redis-server").is_none() {
        return;
    }
    sync_and_compare(Flavor::Redis, Flavor::Node);
}

#[test]
fn our_master_to_our_replica() {
    sync_and_compare(Flavor::Node, Flavor::Node);
}

#[test]
fn the_reference_behaves_as_the_test_expects() {
    if require_tool("redis-server").is_none() {
        return;
    }
    sync_and_compare(Flavor::Redis, Flavor::Redis);
}
