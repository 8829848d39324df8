//! Shared steps of the standalone FAILOVER process tests: a master/replica pair of any two
//! flavors, one coordinated switch, and the checks that it was a clean handover (roles swapped,
//! one history, a partial resync, the held write refused, the data on both sides).
#![allow(dead_code)]

use std::time::{Duration, Instant};

use crate::support::{Client, Server};

/// A reply as text.
pub fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

/// One `INFO <section>` field.
pub fn info_field(c: &mut Client, section: &str, name: &str) -> Option<String> {
    let info = text(c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

/// One `INFO replication` field.
pub fn field(c: &mut Client, name: &str) -> Option<String> {
    info_field(c, "replication", name)
}

/// Poll `f` every 50 ms until it gives a value; panic with the servers' logs after 20 s.
pub fn wait_for<T>(what: &str, servers: &[&Server], mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
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

/// Wait until `replica` follows `master` with its link up, and `master` counts it online (a
/// master may learn that its snapshot was delivered after the replica loaded it).
pub fn wait_linked(master: &Server, replica: &Server) {
    let mut r = replica.connect();
    let mut m = master.connect();
    let port = master.port().to_string();
    let online = format!("port={},state=online", replica.port());
    wait_for("the replica link", &[master, replica], || {
        let up = field(&mut r, "master_link_status").as_deref() == Some("up")
            && field(&mut r, "master_port").as_deref() == Some(port.as_str());
        let listed = (0..4)
            .any(|i| field(&mut m, &format!("slave{i}")).is_some_and(|l| l.contains(&online)));
        (up && listed).then_some(())
    });
}

/// Run `failover` (a FAILOVER command) on `master`, whose replica is `replica`, and check the
/// handover: `replica` becomes the master of `master` through a partial resync, both end with
/// `master_failover_state:no-failover` and one replication id, a write held by the round's pause
/// is refused with `-READONLY` once it is over, and data flows both before and after.
pub fn switch_and_check(master: &Server, replica: &Server, tag: &str, failover: &[&str]) {
    let servers = [master, replica];
    let mut m = master.connect();
    let mut r = replica.connect();
    wait_linked(master, replica);
    for i in 0..50 {
        assert_eq!(m.cmd(&["SET", &format!("{tag}:{i}"), "v"]), b"+OK\r\n");
    }
    let old_replid = field(&mut m, "master_replid").expect("master_replid");
    let partial_before: u64 = info_field(&mut r, "stats", "sync_partial_ok")
        .and_then(|v| v.parse().ok())
        .expect("sync_partial_ok");

    let mut writer = master.connect();
    assert_eq!(text(m.cmd(failover)), "+OK\r\n", "{failover:?}");
    // Sent while the round pauses writes: it waits, and runs once the master is a replica.
    writer
        .send(&["SET", &format!("{tag}:held"), "x"])
        .expect("send the held write");

    let new_port = replica.port().to_string();
    wait_for("the old master to follow the new one", &servers, || {
        let follows = field(&mut m, "role").as_deref() == Some("slave")
            && field(&mut m, "master_port").as_deref() == Some(new_port.as_str())
            && field(&mut m, "master_link_status").as_deref() == Some("up")
            && field(&mut m, "master_failover_state").as_deref() == Some("no-failover");
        follows.then_some(())
    });
    assert_eq!(field(&mut r, "role").as_deref(), Some("master"));
    assert_eq!(
        field(&mut r, "master_failover_state").as_deref(),
        Some("no-failover")
    );
    assert_eq!(
        text(writer.read_reply().expect("the held write's reply")),
        "-READONLY You can't write against a read only replica.\r\n"
    );

    // One history: the new master continued the old one (its id moved to replid2) and the old
    // master joined it with a partial resync.
    assert_eq!(
        field(&mut m, "master_replid"),
        field(&mut r, "master_replid")
    );
    assert_eq!(field(&mut r, "master_replid2"), Some(old_replid));
    let partial_after: u64 = info_field(&mut r, "stats", "sync_partial_ok")
        .and_then(|v| v.parse().ok())
        .expect("sync_partial_ok");
    assert_eq!(partial_after, partial_before + 1, "a partial resync");
    let old_port = format!("port={},state=online", master.port());
    wait_for("the old master online at the new one", &servers, || {
        field(&mut r, "slave0")
            .filter(|l| l.contains(&old_port))
            .map(|_| ())
    });

    // The data is on the new master, and its writes reach the old one.
    assert_eq!(text(r.cmd(&["GET", &format!("{tag}:49")])), "$1\r\nv\r\n");
    assert_eq!(text(r.cmd(&["GET", &format!("{tag}:held")])), "$-1\r\n");
    assert_eq!(
        text(r.cmd(&["SET", &format!("{tag}:after"), "w"])),
        "+OK\r\n"
    );
    wait_for("the new master's write on the old one", &servers, || {
        (m.cmd(&["GET", &format!("{tag}:after")]) == b"$1\r\nw\r\n").then_some(())
    });
}
