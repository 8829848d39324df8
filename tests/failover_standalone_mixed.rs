//! Standalone `FAILOVER` across implementations: our master hands over to a real `redis-server`
//! replica (Redis answers our `PSYNC ... FAILOVER` by promoting itself), and a real
//! `redis-server` master hands over to our replica (we answer its `PSYNC ... FAILOVER`).
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod failover_standalone_support;
mod support;

use failover_standalone_support::switch_and_check;
use support::{require_tool, Flavor, Server};

fn pair(master: Flavor, replica: Flavor) -> (Server, Server) {
    let m = Server::start(master, &["--repl-diskless-sync-delay", "0"]);
    let port = m.port().to_string();
    let r = Server::start(
        replica,
        &[
            "--repl-diskless-sync-delay",
            "0",
            "--replicaof",
            "127.0.0.1",
            &port,
        ],
    );
    (m, r)
}

#[test]
fn our_master_hands_over_to_a_redis_replica() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let (m, r) = pair(Flavor::Node, Flavor::Redis);
    let port = r.port().to_string();
    switch_and_check(&m, &r, "to-redis", &["FAILOVER", "TO", "127.0.0.1", &port]);
}

#[test]
fn a_redis_master_hands_over_to_our_replica() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let (m, r) = pair(Flavor::Redis, Flavor::Node);
    switch_and_check(&m, &r, "from-redis", &["FAILOVER", "TIMEOUT", "20000"]);
}
