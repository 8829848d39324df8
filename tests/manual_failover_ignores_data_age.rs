//! A manual `CLUSTER FAILOVER` (no FORCE, no TAKEOVER) is not stopped by the data-age rule
//! (Redis 7.0 checks `cluster-replica-validity-factor` only for automatic failovers). The same
//! scenario runs on a cluster of real `redis-server` 7.0.15 nodes and on one of ours: the
//! master starts refusing replication (`requirepass`, the replica has no `masterauth`) and the
//! replica's link is killed, so its data ages past the limit (`10 × node timeout + 10 s`,
//! after subtracting the node timeout) while the bus stays up and no write moves the master's
//! offset; then `CLUSTER FAILOVER` on the replica promotes it.
//!
//! Skipped when redis-server is missing unless HASHSLOT_REQUIRE_REDIS=1.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;

use std::time::Duration;

use cluster_support::{all_logs, create_cluster, have_tools, wait_for, Kind, Node, Reply, TempDir};

const NODE_TIMEOUT_MS: u64 = 1000;
/// Masters are nodes 0..3; node 3 + m replicates master m (see `create_cluster`).
const MASTER: usize = 0;
const REPLICA: usize = 3;
/// The data-age limit, plus the node timeout subtracted first, in seconds.
const LIMIT_S: u64 = (10 * NODE_TIMEOUT_MS + 10_000 + NODE_TIMEOUT_MS) / 1000;

fn repl_field(n: &Node, name: &str) -> Option<String> {
    let info = n.try_cmd(&["INFO", "replication"]).ok()?.text_opt()?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

/// Whether node `i` is a master serving slots in its own view.
fn serves_slots(nodes: &[Node], i: usize) -> bool {
    nodes[i]
        .try_nodes()
        .and_then(|l| l.into_iter().find(|l| l.port == nodes[i].port))
        .is_some_and(|me| me.is_master() && me.slot_count() > 0)
}

fn scenario(kind: Kind) {
    let label = kind.label();
    let root = TempDir::new(&format!("manual-data-age-{label}"));
    let nodes: Vec<Node> = (0..6)
        .map(|_| Node::start(kind, &root.0, NODE_TIMEOUT_MS))
        .collect();
    create_cluster(&nodes, 3);
    wait_for(
        &format!("{label}: the replica's sync"),
        Duration::from_secs(30),
        || match repl_field(&nodes[REPLICA], "master_link_status").as_deref() {
            Some("up") => Ok(()),
            s => Err(format!("link {s:?}")),
        },
    );
    nodes[MASTER].ok(&["CONFIG", "SET", "requirepass", "s3"]);
    assert_eq!(
        nodes[REPLICA].cmd(&["CLIENT", "KILL", "TYPE", "master"]),
        Reply::Int(1),
        "{label}"
    );
    let what = format!("{label}: the link down for longer than the limit");
    wait_for(&what, Duration::from_secs(LIMIT_S + 15), || {
        let status = repl_field(&nodes[REPLICA], "master_link_status");
        let down = repl_field(&nodes[REPLICA], "master_link_down_since_seconds");
        if status.as_deref() != Some("down") {
            panic!("{label}: the replica resynced\n{}", all_logs(&nodes));
        }
        match down.as_deref().and_then(|d| d.parse::<u64>().ok()) {
            Some(s) if s > LIMIT_S + 1 => Ok(()),
            _ => Err(format!("down since {down:?} s")),
        }
    });
    nodes[REPLICA].ok(&["CLUSTER", "FAILOVER"]);
    let what = format!("{label}: the manual failover");
    wait_for(&what, Duration::from_secs(10), || {
        if serves_slots(&nodes, REPLICA) {
            Ok(())
        } else {
            Err(nodes[REPLICA].log_tail())
        }
    });
    let log = std::fs::read_to_string(nodes[REPLICA].dir.join("out.log")).unwrap_or_default();
    assert!(
        !log.contains("Disconnected from master for longer than allowed"),
        "{label}: the data-age rule was applied\n{}",
        nodes[REPLICA].log_tail()
    );
}

#[test]
fn redis_manual_failover_ignores_data_age() {
    if !have_tools(&["redis-server"]) {
        return;
    }
    scenario(Kind::Redis);
}

#[test]
fn ours_manual_failover_ignores_data_age() {
    if !have_tools(&["redis-server"]) {
        return;
    }
    scenario(Kind::Ours);
}
