//! Stop all six nodes with SIGTERM and start them again from their directories: each reloads
//! its nodes.conf and the cluster comes back to `cluster_state:ok` with the same ids, roles,
//! slots and epochs.
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    create_cluster, start_nodes, wait_agree, wait_state_ok, Kind, Node, TempDir, NODE_TIMEOUT_MS,
};

/// Each node's view: per known node (sorted by id) its id, port, role, master, config epoch and
/// slots; plus the node's own id and current epoch.
fn snapshot(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| {
            let mut lines: Vec<String> = n
                .nodes()
                .iter()
                .map(|l| {
                    let role = if l.is_master() { "master" } else { "slave" };
                    let me = if l.has("myself") { " myself" } else { "" };
                    format!(
                        "{} {} {role}{me} {} epoch={} {}",
                        l.id,
                        l.port,
                        l.master,
                        l.config_epoch,
                        l.slots.join(",")
                    )
                })
                .collect();
            lines.sort();
            format!(
                "node {} current_epoch={:?}\n{}",
                n.port,
                n.info_field("cluster_current_epoch"),
                lines.join("\n")
            )
        })
        .collect()
}

#[test]
fn a_stopped_cluster_restarts_from_its_nodes_conf_files() {
    let root = TempDir::new("restart");
    let mut nodes = start_nodes(Kind::Ours, 6, &root.0, NODE_TIMEOUT_MS);
    create_cluster(&nodes, 3);
    let before = snapshot(&nodes);
    // Every node wrote its file (the ids are in it).
    for n in &nodes {
        let conf = std::fs::read_to_string(n.dir.join("nodes.conf")).unwrap();
        assert!(conf.contains(&n.myid()), "{}: {conf}", n.port);
        assert!(
            conf.lines().any(|l| l.starts_with("vars currentEpoch ")),
            "{conf}"
        );
    }

    for n in &mut nodes {
        n.terminate();
    }
    for n in &mut nodes {
        n.restart().unwrap();
    }
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    let after = snapshot(&nodes);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "the cluster changed across the restart");
    }
}
