//! A replica restarted while its master is down never completes a sync with it; Redis 7.0
//! counts its data as infinitely old (`repl_down_since` is 0 until a connected master link is
//! lost, and the data age is `now - repl_down_since`). The same scenario runs on a cluster of
//! real `redis-server` 7.0.15 nodes and on one of ours, and both must behave alike:
//!
//! - with the default `cluster-replica-validity-factor 10` the replica does not fail over once
//!   its master is FAIL, and logs "Currently unable to failover: Disconnected from master for
//!   longer than allowed. …" (INFO says `master_link_down_since_seconds:-1`: never up);
//! - after `CONFIG SET cluster-replica-validity-factor 0` (no data-age limit) it fails over.
//!
//! Skipped when redis-server is missing unless HASHSLOT_REQUIRE_REDIS=1 (our run needs the
//! Redis run beside it to mean anything).
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;

use std::time::{Duration, Instant};

use cluster_support::{all_logs, create_cluster, have_tools, wait_for, Kind, Node, TempDir};

const NODE_TIMEOUT_MS: u64 = 1000;
/// Masters are nodes 0..3; node 3 + m replicates master m (see `create_cluster`).
const MASTER: usize = 0;
const REPLICA: usize = 3;
const DATA_AGE_LOG: &str = "Currently unable to failover: Disconnected from master for longer \
                            than allowed. Please check the 'cluster-replica-validity-factor' \
                            configuration option.";

fn repl_field(n: &Node, name: &str) -> Option<String> {
    let info = n.try_cmd(&["INFO", "replication"]).ok()?.text_opt()?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

fn log_of(n: &Node) -> String {
    std::fs::read_to_string(n.dir.join("out.log")).unwrap_or_default()
}

/// Whether node `i` is a master serving slots in its own view.
fn serves_slots(nodes: &[Node], i: usize) -> bool {
    nodes[i]
        .try_nodes()
        .and_then(|l| l.into_iter().find(|l| l.port == nodes[i].port))
        .is_some_and(|me| me.is_master() && me.slot_count() > 0)
}

/// The scenario on a cluster of `kind` nodes; returns what was observed, for the message.
fn scenario(kind: Kind) {
    let root = TempDir::new(&format!("never-synced-{}", kind.label()));
    let mut nodes: Vec<Node> = (0..6)
        .map(|_| Node::start(kind, &root.0, NODE_TIMEOUT_MS))
        .collect();
    create_cluster(&nodes, 3);
    let what = format!("{}: the replica's first sync", kind.label());
    wait_for(&what, Duration::from_secs(30), || {
        match repl_field(&nodes[REPLICA], "master_link_status").as_deref() {
            Some("up") => Ok(()),
            s => Err(format!("link {s:?}")),
        }
    });
    let master_id = nodes[MASTER].myid();

    // The replica dies, then its master; the replica starts again alone.
    nodes[REPLICA].kill9();
    nodes[MASTER].kill9();
    nodes[REPLICA]
        .restart()
        .unwrap_or_else(|e| panic!("{}: restart: {e}", kind.label()));
    let restarted = Instant::now();

    // The others flag the master FAIL; the replica logs Redis's line once the failure is no
    // longer recent (node timeout + 5 s after FAIL) and stays a replica.
    let what = format!("{}: the data-age line", kind.label());
    wait_for(&what, Duration::from_secs(30), || {
        if serves_slots(&nodes, REPLICA) {
            panic!(
                "{}: the never-synced replica was promoted after {:?}\n{}",
                kind.label(),
                restarted.elapsed(),
                all_logs(&nodes)
            );
        }
        if log_of(&nodes[REPLICA]).contains(DATA_AGE_LOG) {
            Ok(())
        } else {
            Err("not logged yet".into())
        }
    });
    let failed = nodes[1]
        .nodes()
        .into_iter()
        .any(|l| l.id == master_id && l.has("fail"));
    assert!(failed, "{}: the master is not FAIL", kind.label());
    assert!(
        !log_of(&nodes[REPLICA]).contains("Starting a failover election"),
        "{}: the never-synced replica asked for votes\n{}",
        kind.label(),
        nodes[REPLICA].log_tail()
    );
    assert_eq!(
        repl_field(&nodes[REPLICA], "master_link_down_since_seconds").as_deref(),
        Some("-1"),
        "{}: the link was never up since the restart",
        kind.label()
    );
    assert!(!serves_slots(&nodes, REPLICA), "{}", kind.label());

    // No data-age limit: it fails over.
    nodes[REPLICA].ok(&["CONFIG", "SET", "cluster-replica-validity-factor", "0"]);
    let what = format!("{}: the promotion with factor 0", kind.label());
    wait_for(&what, Duration::from_secs(20), || {
        if serves_slots(&nodes, REPLICA) {
            Ok(())
        } else {
            Err(nodes[REPLICA].log_tail())
        }
    });
}

#[test]
fn redis_never_synced_replica_does_not_fail_over() {
    if !have_tools(&["redis-server"]) {
        return;
    }
    scenario(Kind::Redis);
}

#[test]
fn ours_never_synced_replica_does_not_fail_over() {
    if !have_tools(&["redis-server"]) {
        return;
    }
    scenario(Kind::Ours);
}
