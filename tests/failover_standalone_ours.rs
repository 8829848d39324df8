//! Standalone `FAILOVER` between two of our nodes: the master hands over to its replica (no
//! target named: the first replica caught up), then the new master hands back with
//! `TO host port TIMEOUT ms`. Each switch is a clean handover: partial resync, one history,
//! the paused write refused with `-READONLY` afterwards, data flowing the new way.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod failover_standalone_support;
mod support;

use failover_standalone_support::switch_and_check;
use support::{Flavor, Server};

#[test]
fn our_master_hands_over_to_our_replica_and_back() {
    let a = Server::start(Flavor::Node, &["--repl-diskless-sync-delay", "0"]);
    let a_port = a.port().to_string();
    let b = Server::start(
        Flavor::Node,
        &[
            "--repl-diskless-sync-delay",
            "0",
            "--replicaof",
            "127.0.0.1",
            &a_port,
        ],
    );
    switch_and_check(&a, &b, "first", &["FAILOVER"]);
    switch_and_check(
        &b,
        &a,
        "back",
        &["FAILOVER", "TO", "127.0.0.1", &a_port, "TIMEOUT", "20000"],
    );
}
