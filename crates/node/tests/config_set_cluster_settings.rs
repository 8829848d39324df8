//! CONFIG SET of a cluster setting reaches the cluster on its next cron (every 100 ms), every
//! time it changes: the node pushes the settings only when the configuration moved, so a
//! change must never be missed, and an unrelated CONFIG SET or a quiet tick must not undo one.
mod common;
use common::*;

use hashslot_node::Output;

/// The cluster's cron period (`clusterCron` runs 10 times a second).
const CLUSTER_CRON_MS: u64 = 100;

/// Complete every nodes.conf write among `outputs` (as a driver would), returning what that
/// caused.
fn complete_persists(h: &mut Harness, outputs: Vec<Output>) -> Vec<Output> {
    let mut caused = Vec::new();
    let mut todo = outputs;
    while !todo.is_empty() {
        let mut next = Vec::new();
        for o in todo {
            if let Output::Persist { token, .. } = o {
                h.node.handle_persist_done(h.now, token, Ok(()));
                while let Some(o) = h.node.poll_output() {
                    next.push(o);
                }
            } else {
                caused.push(o);
            }
        }
        todo = next;
    }
    caused
}

fn node_timeout(h: &Harness) -> u64 {
    h.node
        .cluster_state()
        .expect("cluster mode")
        .config()
        .node_timeout
}

fn require_full_coverage(h: &Harness) -> bool {
    h.node
        .cluster_state()
        .expect("cluster mode")
        .config()
        .require_full_coverage
}

#[test]
fn node_timeout_follows_every_config_set_on_the_next_cluster_cron() {
    let mut h = Harness::with_config(config(&[("cluster-enabled", "yes")]));
    let c = h.connect();
    // Several crons with nothing changed: the settings are those of the configuration.
    h.advance(5 * CLUSTER_CRON_MS);
    assert_eq!(node_timeout(&h), 15000);

    assert_eq!(
        h.cmd_str(c, &["CONFIG", "SET", "cluster-node-timeout", "1234"]),
        "+OK\r\n"
    );
    h.advance(CLUSTER_CRON_MS);
    assert_eq!(node_timeout(&h), 1234);

    // An unrelated parameter and quiet crons keep it.
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "SET", "maxclients", "500"]),
        "+OK\r\n"
    );
    h.advance(3 * CLUSTER_CRON_MS);
    assert_eq!(node_timeout(&h), 1234);

    // A second change, and a change back, are each taken too.
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "SET", "cluster-node-timeout", "2000"]),
        "+OK\r\n"
    );
    h.advance(CLUSTER_CRON_MS);
    assert_eq!(node_timeout(&h), 2000);
    assert_eq!(
        h.cmd_str(
            c,
            &[
                "CONFIG",
                "SET",
                "cluster-node-timeout",
                "15000",
                "cluster-require-full-coverage",
                "no"
            ]
        ),
        "+OK\r\n"
    );
    assert!(require_full_coverage(&h));
    h.advance(CLUSTER_CRON_MS);
    assert_eq!(node_timeout(&h), 15000);
    assert!(!require_full_coverage(&h));

    // A refused CONFIG SET changes nothing.
    assert!(h
        .cmd_str(c, &["CONFIG", "SET", "cluster-node-timeout", "nope"])
        .starts_with("-ERR"));
    h.advance(CLUSTER_CRON_MS);
    assert_eq!(node_timeout(&h), 15000);
}

#[test]
fn allow_reads_when_down_follows_config_set_on_the_next_cluster_cron() {
    let mut h = Harness::with_config(config(&[("cluster-enabled", "yes")]));
    let c = h.connect();
    // Only the slot of `a` (15495) is served: with full coverage required the cluster is down.
    let out = h.feed(c, &encode(&["CLUSTER", "ADDSLOTS", "15495"]));
    let out = complete_persists(&mut h, out);
    assert_eq!(sent_to(&out, c), b"+OK\r\n");
    let out = h.advance(3000);
    complete_persists(&mut h, out);
    let down = "-CLUSTERDOWN The cluster is down\r\n";
    assert_eq!(h.cmd_str(c, &["GET", "a"]), down);

    assert_eq!(
        h.cmd_str(
            c,
            &["CONFIG", "SET", "cluster-allow-reads-when-down", "yes"]
        ),
        "+OK\r\n"
    );
    h.advance(CLUSTER_CRON_MS);
    assert_eq!(h.cmd_str(c, &["GET", "a"]), "$-1\r\n");
    // Writes stay refused while down.
    assert_eq!(
        h.cmd_str(c, &["SET", "a", "1"]),
        "-CLUSTERDOWN The cluster is down and only accepts read commands\r\n"
    );

    assert_eq!(
        h.cmd_str(c, &["CONFIG", "SET", "cluster-allow-reads-when-down", "no"]),
        "+OK\r\n"
    );
    h.advance(CLUSTER_CRON_MS);
    assert_eq!(h.cmd_str(c, &["GET", "a"]), down);
}
