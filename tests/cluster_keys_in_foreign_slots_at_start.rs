//! A master that starts with keys in slots its nodes.conf does not give it makes the slot table
//! agree with its data, as Redis 7.0 does (`verifyClusterConfigWithData`): a slot nobody owns is
//! taken ("I have keys for unassigned slot N. Taking responsibility for it."), a slot another
//! node owns is marked importing from that node ("… Setting it to importing state."), and the
//! table is saved. Without this the keys would be unreachable and invisible to
//! `redis-cli --cluster check`. Run side by side with redis-server 7.0.15.
// Real processes: deadlines from the clock and a polling interval.
#![allow(clippy::disallowed_methods)]

mod cluster_support;

use std::time::Duration;

use cluster_support::{
    have_tools, wait_for, wait_state_ok, Kind, Node, Reply, TempDir, NODE_TIMEOUT_MS,
};

/// Keys in two slots.
const KEYS: [&str; 3] = ["{a}1", "{a}2", "{b}1"];

/// The `I have keys for…` log lines of `node`.
fn verify_lines(node: &Node) -> Vec<String> {
    let text = std::fs::read_to_string(node.dir.join("out.log")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.find("I have keys for").map(|i| l[i..].to_owned()))
        .collect()
}

/// The slots field of `node`'s own CLUSTER NODES line, with `other`'s id written `OTHER`.
fn my_slots(node: &Node, other: &str) -> Vec<String> {
    let me = node.myid();
    let line = node
        .nodes()
        .into_iter()
        .find(|l| l.id == me)
        .expect("myself in CLUSTER NODES");
    line.slots
        .iter()
        .map(|s| s.replace(other, "OTHER"))
        .collect()
}

fn run(kind: Kind) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let root = TempDir::new("foreign-slots");
    // A node with every slot and a few keys; its nodes.conf is then lost.
    let mut a = Node::start(kind, &root.0, NODE_TIMEOUT_MS);
    a.ok(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
    wait_state_ok(std::slice::from_ref(&a), Duration::from_secs(20));
    for k in KEYS {
        a.ok(&["SET", k, "v"]);
    }
    a.ok(&["SAVE"]);
    a.terminate();
    std::fs::remove_file(a.dir.join("nodes.conf")).expect("remove nodes.conf");
    a.restart().expect("restart without nodes.conf");
    let taken_lines = verify_lines(&a);
    let taken = my_slots(&a, "-");
    // Two slots of 16384 are served: reads need the cluster up without full coverage.
    a.ok(&["CONFIG", "SET", "cluster-require-full-coverage", "no"]);
    wait_state_ok(std::slice::from_ref(&a), Duration::from_secs(20));
    for k in KEYS {
        match a.cmd(&["GET", k]) {
            Reply::Bulk(Some(v)) => assert_eq!(v, b"v", "{}", kind.label()),
            other => panic!("{}: GET {k} after taking the slot: {other:?}", kind.label()),
        }
    }

    // A node that knows another one owning every slot, restarted with a's keys.
    let mut c = Node::start(kind, &root.0, NODE_TIMEOUT_MS);
    let d = Node::start(kind, &root.0, NODE_TIMEOUT_MS);
    d.ok(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
    c.ok(&["CLUSTER", "MEET", "127.0.0.1", &d.port.to_string()]);
    let d_id = d.myid();
    wait_for("c to know d's slots", Duration::from_secs(20), || {
        match c.try_nodes() {
            Some(n) if n.iter().any(|l| l.id == d_id && l.slot_count() == 16384) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    c.terminate();
    std::fs::copy(a.dir.join("dump.rdb"), c.dir.join("dump.rdb")).expect("copy dump.rdb");
    c.restart().expect("restart with foreign keys");
    let importing_lines = verify_lines(&c);
    let importing = my_slots(&c, &d_id);
    // The table was saved: a restart shows the same.
    c.terminate();
    c.restart().expect("restart again");
    assert_eq!(my_slots(&c, &d_id), importing, "{}: saved", kind.label());
    (taken_lines, taken, importing_lines, importing)
}

#[test]
fn keys_in_slots_not_ours_are_claimed_or_imported_at_start() {
    let ours = run(Kind::Ours);
    assert_eq!(ours.1.len(), 2, "{ours:?}");
    assert!(ours.3.iter().all(|s| s.ends_with("-<-OTHER]")), "{ours:?}");
    if have_tools(&["redis-server"]) {
        let theirs = run(Kind::Redis);
        assert_eq!(ours, theirs);
    }
}
