//! Standalone `FAILOVER TO <target>` on a master with two replicas: the other replica is not
//! dropped. It stays connected to the old master, which now replicates from the target, so it
//! ends as a sub-replica (new master → old master → other replica): the old master, told a new
//! id by `+CONTINUE`, disconnects it and it continues at once through the old master's
//! `replid2`. Writes at the new master reach it. The same round with `redis-server` at every
//! place must end in the same shape, with the same sync counters on the old master.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod failover_standalone_support;
mod support;

use failover_standalone_support::{field, info_field, text, wait_for, wait_linked};
use support::{require_tool, Flavor, Server};

/// What the round leaves: the other replica's master port is the old master's (as text
/// `old`), its link is up, the old master lists it, and the old master's
/// (`sync_full`, `sync_partial_ok`, `sync_partial_err`).
fn failover_with_another_replica(flavor: Flavor) -> (bool, String, String, String, String) {
    let quiet = ["--repl-diskless-sync-delay", "0"];
    let master = Server::start(flavor, &quiet);
    let mport = master.port().to_string();
    let args = [
        "--replicaof",
        "127.0.0.1",
        mport.as_str(),
        quiet[0],
        quiet[1],
    ];
    let target = Server::start(flavor, &args);
    let other = Server::start(flavor, &args);
    let all = [&master, &target, &other];
    wait_linked(&master, &target);
    wait_linked(&master, &other);
    let mut m = master.connect();
    let mut t = target.connect();
    let mut o = other.connect();
    for i in 0..20 {
        m.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    let tport = target.port().to_string();
    assert_eq!(
        text(m.cmd(&["FAILOVER", "TO", "127.0.0.1", &tport])),
        "+OK\r\n"
    );
    wait_for("the target to be master", &all, || {
        (field(&mut t, "role").as_deref() == Some("master")).then_some(())
    });
    wait_for("the old master to follow the target", &all, || {
        let ok = field(&mut m, "master_port").as_deref() == Some(tport.as_str())
            && field(&mut m, "master_link_status").as_deref() == Some("up");
        ok.then_some(())
    });
    assert_eq!(text(t.cmd(&["SET", "after", "w"])), "+OK\r\n");
    wait_for("the new master's write at the other replica", &all, || {
        (o.cmd(&["GET", "after"]) == b"$1\r\nw\r\n").then_some(())
    });
    wait_for("the other replica's link up", &all, || {
        (field(&mut o, "master_link_status").as_deref() == Some("up")).then_some(())
    });
    let follows_old = field(&mut o, "master_port").as_deref() == Some(mport.as_str());
    let oport = format!("port={},state=online", other.port());
    wait_for("the old master to list the other replica", &all, || {
        field(&mut m, "slave0").filter(|l| l.contains(&oport))
    });
    let connected = field(&mut m, "connected_slaves").unwrap_or_default();
    let mut stat = |name| info_field(&mut m, "stats", name).unwrap_or_default();
    (
        follows_old,
        connected,
        stat("sync_full"),
        stat("sync_partial_ok"),
        stat("sync_partial_err"),
    )
}

#[test]
fn other_replicas_stay_with_the_old_master() {
    let ours = failover_with_another_replica(Flavor::Node);
    assert!(ours.0, "the other replica follows the old master: {ours:?}");
    assert_eq!(ours.1, "1");
    if require_tool("redis-server").is_none() {
        return;
    }
    let redis = failover_with_another_replica(Flavor::Redis);
    assert_eq!(ours, redis);
}
