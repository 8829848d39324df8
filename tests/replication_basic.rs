//! Replication between two hashslot nodes: a standalone master and a replica started with
//! `--replicaof`; writes on the master appear on the replica, which refuses writes of its own;
//! INFO replication on both lists what Redis lists; a dropped link comes back with a partial
//! resynchronization (`+CONTINUE`); REPLICAOF NO ONE promotes the replica and WAIT counts acks.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{Client, Flavor, Server};

fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

fn info(c: &mut Client) -> String {
    text(c.cmd(&["INFO", "replication"]))
}

fn field(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

/// Poll `f` until it returns `Some`, or fail with `what` and the logs.
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

#[test]
fn replica_follows_master_and_resyncs_partially() {
    let master = Server::start(Flavor::Node, &["--repl-diskless-sync-delay", "0"]);
    let mut m = master.connect();
    for i in 0..200 {
        let k = format!("before:{i}");
        assert_eq!(m.cmd(&["SET", &k, &i.to_string()]), b"+OK\r\n");
    }
    let port = master.port().to_string();
    let replica = Server::start(Flavor::Node, &["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.connect();

    // The full sync brings the earlier writes; the stream brings the later ones.
    wait_for("the replica's link up", &[&master, &replica], || {
        (field(&info(&mut r), "master_link_status").as_deref() == Some("up")).then_some(())
    });
    assert_eq!(r.cmd(&["GET", "before:7"]), b"$1\r\n7\r\n");
    for i in 0..200 {
        let k = format!("after:{i}");
        assert_eq!(m.cmd(&["SET", &k, &i.to_string()]), b"+OK\r\n");
    }
    m.cmd(&["RPUSH", "list", "a", "b", "c"]);
    m.cmd(&["EXPIRE", "before:1", "1000"]);
    wait_for("the stream on the replica", &[&master, &replica], || {
        (r.cmd(&["GET", "after:199"]) == b"$3\r\n199\r\n").then_some(())
    });
    assert_eq!(r.cmd(&["DBSIZE"]), b":401\r\n");
    assert_eq!(
        r.cmd(&["LRANGE", "list", "0", "-1"]),
        b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    let ttl = text(r.cmd(&["TTL", "before:1"]));
    assert!(ttl.starts_with(":99") || ttl == ":1000\r\n", "{ttl}");

    // A read-only replica refuses writes.
    assert_eq!(
        text(r.cmd(&["SET", "x", "1"])),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    assert!(text(r.cmd(&["WAIT", "1", "0"])).starts_with("-ERR WAIT cannot be used with replica"));

    // INFO replication, as Redis lists it.
    let mi = info(&mut m);
    assert_eq!(field(&mi, "role").as_deref(), Some("master"), "{mi}");
    assert_eq!(field(&mi, "connected_slaves").as_deref(), Some("1"), "{mi}");
    let slave0 = field(&mi, "slave0").expect("slave0 line");
    assert!(slave0.starts_with("ip=127.0.0.1,port="), "{slave0}");
    assert!(slave0.contains(",state=online,offset="), "{slave0}");
    assert_eq!(
        field(&mi, "repl_backlog_active").as_deref(),
        Some("1"),
        "{mi}"
    );
    let ri = info(&mut r);
    assert_eq!(field(&ri, "role").as_deref(), Some("slave"), "{ri}");
    assert_eq!(
        field(&ri, "master_host").as_deref(),
        Some("127.0.0.1"),
        "{ri}"
    );
    assert_eq!(
        field(&ri, "master_port").as_deref(),
        Some(port.as_str()),
        "{ri}"
    );
    assert_eq!(
        field(&ri, "master_link_status").as_deref(),
        Some("up"),
        "{ri}"
    );
    assert_eq!(
        field(&ri, "master_replid"),
        field(&mi, "master_replid"),
        "{ri}\n{mi}"
    );
    for name in [
        "master_last_io_seconds_ago",
        "master_sync_in_progress",
        "slave_read_repl_offset",
        "slave_repl_offset",
        "slave_priority",
        "slave_read_only",
        "replica_announced",
        "connected_slaves",
        "master_failover_state",
        "master_replid2",
        "master_repl_offset",
        "second_repl_offset",
        "repl_backlog_size",
        "repl_backlog_first_byte_offset",
        "repl_backlog_histlen",
    ] {
        assert!(field(&ri, name).is_some(), "{name} missing:\n{ri}");
    }
    // Offsets agree once the replica acknowledged.
    wait_for("offsets to agree", &[&master, &replica], || {
        let mo = field(&info(&mut m), "master_repl_offset");
        let ro = field(&info(&mut r), "slave_repl_offset");
        (mo.is_some() && mo == ro).then_some(())
    });

    // WAIT: the replica acknowledges this client's writes.
    m.cmd(&["SET", "waited", "1"]);
    assert_eq!(m.cmd(&["WAIT", "1", "5000"]), b":1\r\n");
    assert_eq!(m.cmd(&["WAIT", "2", "200"]), b":1\r\n");

    // Drop the replica's link on the master: it reconnects and continues with +CONTINUE.
    let list = text(m.cmd(&["CLIENT", "LIST"]));
    let line = list
        .lines()
        .find(|l| l.contains("cmd=replconf") || l.contains("cmd=psync"))
        .unwrap_or_else(|| panic!("no replica connection in CLIENT LIST:\n{list}"));
    let addr = line
        .split(' ')
        .find_map(|f| f.strip_prefix("addr="))
        .expect("addr=");
    assert_eq!(m.cmd(&["CLIENT", "KILL", "ADDR", addr]), b":1\r\n");
    for i in 0..50 {
        m.cmd(&["SET", &format!("during:{i}"), "v"]);
    }
    wait_for("the partial resync", &[&master, &replica], || {
        (r.cmd(&["GET", "during:49"]) == b"$1\r\nv\r\n").then_some(())
    });
    let logs = master.logs();
    assert!(
        logs.contains("Partial resynchronization request from"),
        "no +CONTINUE on the master:\n{logs}"
    );
    assert!(
        replica
            .logs()
            .contains("Master accepted a Partial Resynchronization"),
        "{}",
        replica.logs()
    );

    // REPLICAOF NO ONE: the replica becomes a master that keeps the data and accepts writes.
    assert_eq!(r.cmd(&["REPLICAOF", "NO", "ONE"]), b"+OK\r\n");
    assert_eq!(field(&info(&mut r), "role").as_deref(), Some("master"));
    assert_eq!(r.cmd(&["SET", "x", "1"]), b"+OK\r\n");
    assert_eq!(r.cmd(&["GET", "during:3"]), b"$1\r\nv\r\n");
    let ri = info(&mut r);
    assert_eq!(
        field(&ri, "master_replid2"),
        field(&mi, "master_replid"),
        "{ri}"
    );
}
