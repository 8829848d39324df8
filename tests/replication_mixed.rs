//! Replication across implementations: a real `redis-server` replica of our master syncs (full
//! sync with our RDB, then the stream) and serves our data; our replica of a real
//! `redis-server` master syncs and follows its stream.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{require_tool, Client, Flavor, Server};

fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

fn field(c: &mut Client, name: &str) -> Option<String> {
    let info = text(c.cmd(&["INFO", "replication"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

fn wait_for<T>(what: &str, servers: &[&Server], mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = servers.iter().map(|s| s.logs()).collect();
            panic!("timed out waiting for {what}\n{}", logs.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50)); // polling interval
    }
}

/// Writes of every type, so the RDB and the stream carry each encoding.
fn write_dataset(c: &mut Client, tag: &str) {
    for i in 0..300 {
        c.cmd(&["SET", &format!("{tag}:s:{i}"), &format!("value-{i}")]);
    }
    c.cmd(&["RPUSH", &format!("{tag}:list"), "a", "b", "c"]);
    c.cmd(&["HSET", &format!("{tag}:hash"), "f1", "v1", "f2", "v2"]);
    c.cmd(&["SADD", &format!("{tag}:set"), "x", "y", "z"]);
    c.cmd(&["ZADD", &format!("{tag}:zset"), "1", "one", "2", "two"]);
    c.cmd(&["SET", &format!("{tag}:ttl"), "v", "EX", "1000"]);
    c.cmd(&["INCR", &format!("{tag}:counter")]);
}

fn check_dataset(c: &mut Client, tag: &str) {
    assert_eq!(
        text(c.cmd(&["GET", &format!("{tag}:s:299")])),
        "$9\r\nvalue-299\r\n"
    );
    assert_eq!(c.cmd(&["LLEN", &format!("{tag}:list")]), b":3\r\n");
    assert_eq!(
        text(c.cmd(&["HGET", &format!("{tag}:hash"), "f2"])),
        "$2\r\nv2\r\n"
    );
    assert_eq!(c.cmd(&["SCARD", &format!("{tag}:set")]), b":3\r\n");
    assert_eq!(
        text(c.cmd(&["ZSCORE", &format!("{tag}:zset"), "two"])),
        "$1\r\n2\r\n"
    );
    let ttl = text(c.cmd(&["TTL", &format!("{tag}:ttl")]));
    assert!(ttl.starts_with(":99") || ttl == ":1000\r\n", "{ttl}");
    assert_eq!(
        text(c.cmd(&["GET", &format!("{tag}:counter")])),
        "$1\r\n1\r\n"
    );
}

#[test]
fn redis_replica_of_our_master() {
    if require_tool("redis-server").is_none() {
        return;
    }
    // Both framings: disk-style `$<len>` and diskless `$EOF:`.
    for diskless in ["no", "yes"] {
        let master = Server::start(
            Flavor::Node,
            &[
                "--repl-diskless-sync",
                diskless,
                "--repl-diskless-sync-delay",
                "0",
            ],
        );
        let mut m = master.connect();
        write_dataset(&mut m, "rdb");
        let port = master.port().to_string();
        let replica = Server::start(Flavor::Redis, &["--replicaof", "127.0.0.1", &port]);
        let mut r = replica.connect();
        wait_for("redis replica link up", &[&master, &replica], || {
            (field(&mut r, "master_link_status").as_deref() == Some("up")).then_some(())
        });
        check_dataset(&mut r, "rdb");
        write_dataset(&mut m, "stream");
        m.cmd(&["SELECT", "3"]);
        m.cmd(&["SET", "in-db-3", "yes"]);
        wait_for("the stream on redis", &[&master, &replica], || {
            (r.cmd(&["GET", "stream:counter"]) == b"$1\r\n1\r\n").then_some(())
        });
        check_dataset(&mut r, "stream");
        r.cmd(&["SELECT", "3"]);
        wait_for("db 3 on redis", &[&master, &replica], || {
            (r.cmd(&["GET", "in-db-3"]) == b"$3\r\nyes\r\n").then_some(())
        });
        // Redis acknowledges our stream: WAIT counts it, offsets agree.
        assert_eq!(
            m.cmd(&["WAIT", "1", "5000"]),
            b":1\r\n",
            "diskless {diskless}"
        );
        wait_for("offsets to agree", &[&master, &replica], || {
            let mo = field(&mut m, "master_repl_offset");
            let ro = field(&mut r, "slave_repl_offset");
            (mo.is_some() && mo == ro).then_some(())
        });
        assert_eq!(
            field(&mut r, "master_replid"),
            field(&mut m, "master_replid"),
            "diskless {diskless}"
        );
        assert_eq!(field(&mut m, "connected_slaves").as_deref(), Some("1"));
    }
}

#[test]
fn our_replica_of_redis_master() {
    if require_tool("redis-server").is_none() {
        return;
    }
    for diskless in ["no", "yes"] {
        let master = Server::start(
            Flavor::Redis,
            &[
                "--repl-diskless-sync",
                diskless,
                "--repl-diskless-sync-delay",
                "0",
            ],
        );
        let mut m = master.connect();
        write_dataset(&mut m, "rdb");
        let port = master.port().to_string();
        let replica = Server::start(Flavor::Node, &["--replicaof", "127.0.0.1", &port]);
        let mut r = replica.connect();
        wait_for("our replica link up", &[&master, &replica], || {
            (field(&mut r, "master_link_status").as_deref() == Some("up")).then_some(())
        });
        check_dataset(&mut r, "rdb");
        write_dataset(&mut m, "stream");
        m.cmd(&["MULTI"]);
        m.cmd(&["INCR", "tx"]);
        m.cmd(&["INCR", "tx"]);
        m.cmd(&["EXEC"]);
        m.cmd(&["SPOP", "rdb:set"]);
        wait_for("the stream on our replica", &[&master, &replica], || {
            (r.cmd(&["GET", "tx"]) == b"$1\r\n2\r\n").then_some(())
        });
        check_dataset(&mut r, "stream");
        wait_for("spop replicated", &[&master, &replica], || {
            (r.cmd(&["SCARD", "rdb:set"]) == b":2\r\n").then_some(())
        });
        assert_eq!(
            r.cmd(&["SMEMBERS", "rdb:set"]).len(),
            m.cmd(&["SMEMBERS", "rdb:set"]).len()
        );
        // Redis counts our ACKs.
        assert_eq!(
            m.cmd(&["WAIT", "1", "5000"]),
            b":1\r\n",
            "diskless {diskless}"
        );
        wait_for("offsets to agree", &[&master, &replica], || {
            let mo = field(&mut m, "master_repl_offset");
            let ro = field(&mut r, "slave_repl_offset");
            (mo.is_some() && mo == ro).then_some(())
        });
        assert_eq!(
            field(&mut r, "master_replid"),
            field(&mut m, "master_replid")
        );
    }
}
