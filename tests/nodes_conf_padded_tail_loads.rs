//! nodes.conf saves without fsync overwrite the file in place, padded with newlines to the old
//! length and then cut to size (as Redis 7.0's `clusterSaveConfig`). A node killed between the
//! write and the cut leaves the new content followed by blank lines: the node must load that
//! file as if the cut had happened (same id, same slots). `HASHSLOT_CLUSTER_NODE_BIN=redis-server`
//! runs the same steps on Redis.
// A process test: it polls a real process against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;

use cluster_support::{Node, Reply, TempDir, NODE_TIMEOUT_MS};

/// The `myself` line of CLUSTER NODES.
fn myself_line(node: &Node) -> String {
    match node.cmd(&["CLUSTER", "NODES"]) {
        Reply::Bulk(Some(b)) => String::from_utf8(b)
            .unwrap()
            .lines()
            .find(|l| l.contains("myself"))
            .unwrap()
            .to_owned(),
        r => panic!("CLUSTER NODES: {r:?}"),
    }
}

#[test]
fn a_save_cut_before_its_truncate_loads() {
    let root = TempDir::new("nodes-conf-padded");
    let mut node = Node::start(cluster_support::Kind::Ours, &root.0, NODE_TIMEOUT_MS);
    let id = node.myid();
    // Two slot ranges, then one: the second save is shorter than the first, so it is padded.
    node.ok(&["CLUSTER", "ADDSLOTSRANGE", "0", "99", "200", "299"]);
    node.ok(&["CLUSTER", "DELSLOTSRANGE", "200", "299"]);
    let conf = node.dir.join("nodes.conf");
    let saved = std::fs::read_to_string(&conf).unwrap();
    let mine = saved.lines().find(|l| l.contains("myself")).unwrap();
    assert!(
        mine.ends_with(" 0-99"),
        "the last save is on disk, cut to size: {saved:?}"
    );
    assert!(!saved.ends_with("\n\n"), "no padding left: {saved:?}");

    // What a kill between the padded write and the truncate leaves.
    node.kill9();
    std::fs::write(&conf, format!("{saved}{}", "\n".repeat(300))).unwrap();
    node.restart().unwrap();
    assert_eq!(node.myid(), id, "same identity");
    let line = myself_line(&node);
    assert!(line.ends_with(" 0-99"), "same slots: {line}");
    // The next save writes over the padding.
    node.ok(&["CLUSTER", "ADDSLOTS", "500"]);
    let saved = std::fs::read_to_string(&conf).unwrap();
    assert!(!saved.ends_with("\n\n"), "padding gone: {saved:?}");
    assert!(
        saved
            .lines()
            .any(|l| l.contains("myself") && l.ends_with(" 0-99 500")),
        "{saved:?}"
    );
    node.terminate();
}
