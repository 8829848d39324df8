//! Standalone `FAILOVER` whose target refuses to take over: the target's replication id was
//! changed (`DEBUG CHANGE-REPL-ID`), so it answers the old master's `PSYNC <id> <offset>
//! FAILOVER` with `-ERR PSYNC FAILOVER replid must match my replid.`, and the old master aborts
//! the round: it is a master again, its held writes run, its replica follows it again. Checked
//! with our nodes on both sides and with `redis-server` on either side.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod failover_standalone_support;
mod support;

use failover_standalone_support::{field, text, wait_for, wait_linked};
use support::{require_tool, Flavor, Server};

fn refused_round(master_flavor: Flavor, replica_flavor: Flavor) {
    let debug = ["--enable-debug-command", "yes"];
    let master = Server::start(
        master_flavor,
        &[&debug[..], &["--repl-diskless-sync-delay", "0"]].concat(),
    );
    let port = master.port().to_string();
    let replica = Server::start(
        replica_flavor,
        &[&debug[..], &["--replicaof", "127.0.0.1", &port]].concat(),
    );
    let servers = [&master, &replica];
    wait_linked(&master, &replica);
    let mut m = master.connect();
    let mut r = replica.connect();
    assert_eq!(text(m.cmd(&["SET", "before", "1"])), "+OK\r\n");
    assert_eq!(text(r.cmd(&["DEBUG", "CHANGE-REPL-ID"])), "+OK\r\n");

    let rport = replica.port().to_string();
    assert_eq!(
        text(m.cmd(&["FAILOVER", "TO", "127.0.0.1", &rport])),
        "+OK\r\n"
    );
    let mut writer = master.connect();
    writer.send(&["SET", "held", "1"]).unwrap();
    // The held write runs once the round is over, on a master again.
    assert_eq!(text(writer.read_reply().unwrap()), "+OK\r\n");
    assert_eq!(field(&mut m, "role").as_deref(), Some("master"));
    assert_eq!(
        field(&mut m, "master_failover_state").as_deref(),
        Some("no-failover")
    );
    let logs = master.logs();
    assert!(
        logs.contains("aborted: Failover target rejected psync request"),
        "{logs}"
    );
    // The target never took over, and follows the old master again.
    assert_eq!(field(&mut r, "role").as_deref(), Some("slave"));
    wait_linked(&master, &replica);
    wait_for("the held write on the replica", &servers, || {
        (r.cmd(&["GET", "held"]) == b"$1\r\n1\r\n").then_some(())
    });
}

#[test]
fn our_replica_refuses_our_master() {
    refused_round(Flavor::Node, Flavor::Node);
}

#[test]
fn a_redis_replica_refuses_our_master() {
    if require_tool("redis-server").is_none() {
        return;
    }
    refused_round(Flavor::Node, Flavor::Redis);
}

#[test]
fn our_replica_refuses_a_redis_master() {
    if require_tool("redis-server").is_none() {
        return;
    }
    refused_round(Flavor::Redis, Flavor::Node);
}
