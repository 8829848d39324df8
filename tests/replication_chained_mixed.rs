//! Chained replication across implementations: a `redis-server` master → our replica → a
//! `redis-server` sub-replica, and our master → a `redis-server` replica → our sub-replica.
//! Writes at the top (in two dbs, and a transaction) arrive at the bottom, the three share one
//! replication id and offset, and the middle's `INFO replication` has the same fields, in the
//! same order, as a `redis-server` in the middle of an all-Redis chain.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod replication_chain_support;
mod support;

use replication_chain_support::{
    field, replication_shape, start_replica, text, wait_for, wait_synced, QUIET,
};
use support::{require_tool, Flavor, Server};

/// Run a chain of the three flavors and return the middle's `INFO replication` field names,
/// as `redis-cli` prints them.
fn chain(top: Flavor, middle: Flavor, bottom: Flavor) -> Vec<String> {
    let label = format!("{} > {} > {}", top.label(), middle.label(), bottom.label());
    let t_srv = Server::start(top, QUIET);
    let mut t = t_srv.connect();
    for i in 0..100 {
        t.cmd(&["SET", &format!("before:{i}"), "v"]);
    }
    let m_srv = start_replica(middle, &t_srv, QUIET);
    let mut m = m_srv.connect();
    wait_synced(&mut t, &mut m, &[&t_srv, &m_srv]);
    t.cmd(&["SELECT", "1"]);
    t.cmd(&["SET", "db1", "one"]);
    wait_synced(&mut t, &mut m, &[&t_srv, &m_srv]);
    let b_srv = start_replica(bottom, &m_srv, QUIET);
    let mut b = b_srv.connect();
    let all = [&t_srv, &m_srv, &b_srv];
    wait_synced(&mut m, &mut b, &all);
    // Still in db 1: no SELECT in the stream the sub-replica gets.
    t.cmd(&["SET", "db1-after", "two"]);
    t.cmd(&["SELECT", "0"]);
    for i in 0..100 {
        t.cmd(&["SET", &format!("after:{i}"), "v"]);
    }
    t.cmd(&["MULTI"]);
    t.cmd(&["INCR", "counter"]);
    t.cmd(&["SADD", "set", "a", "b"]);
    t.cmd(&["EXEC"]);
    wait_for(&format!("{label}: writes at the bottom"), &all, || {
        (b.cmd(&["GET", "counter"]) == b"$1\r\n1\r\n").then_some(())
    });
    wait_synced(&mut m, &mut b, &all);
    assert_eq!(text(b.cmd(&["DBSIZE"])), ":202\r\n", "{label}");
    b.cmd(&["SELECT", "1"]);
    assert_eq!(
        text(b.cmd(&["GET", "db1-after"])),
        "$3\r\ntwo\r\n",
        "{label}"
    );
    assert_eq!(text(b.cmd(&["DBSIZE"])), ":2\r\n", "{label}");
    let id = field(&mut t, "replication", "master_replid");
    assert_eq!(field(&mut m, "replication", "master_replid"), id, "{label}");
    assert_eq!(field(&mut b, "replication", "master_replid"), id, "{label}");
    let off = field(&mut t, "replication", "master_repl_offset");
    assert_eq!(
        field(&mut b, "replication", "master_repl_offset"),
        off,
        "{label}"
    );
    assert_eq!(
        field(&mut m, "replication", "connected_slaves").as_deref(),
        Some("1"),
        "{label}"
    );
    let line = field(&mut m, "replication", "slave0").expect("slave0 line");
    assert!(
        line.starts_with(&format!("ip=127.0.0.1,port={},state=online,", b_srv.port())),
        "{label}: {line}"
    );
    replication_shape(m_srv.port())
}

#[test]
fn chains_mixing_redis_and_our_node() {
    if require_tool("redis-server").is_none() || require_tool("redis-cli").is_none() {
        return;
    }
    let reference = chain(Flavor::Redis, Flavor::Redis, Flavor::Redis);
    let ours_in_middle = chain(Flavor::Redis, Flavor::Node, Flavor::Redis);
    assert_eq!(ours_in_middle, reference, "INFO replication of the middle");
    let redis_in_middle = chain(Flavor::Node, Flavor::Redis, Flavor::Node);
    assert_eq!(redis_in_middle, reference);
}
