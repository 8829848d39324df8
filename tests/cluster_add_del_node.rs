//! `redis-cli --cluster add-node` (as a master and with `--cluster-slave`) and `del-node`
//! against our nodes; and the "not empty" refusal for a new node that holds a key.
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    all_logs, have_tools, plain, redis_cli, redis_cli_create, start_nodes, wait_agree, wait_for,
    Kind, Node, Reply, TempDir, NODE_TIMEOUT_MS,
};

#[test]
fn add_node_as_master_and_replica_then_del_node() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("add-del");
    let mut nodes = start_nodes(Kind::Ours, 3, &root.0, NODE_TIMEOUT_MS);
    redis_cli_create(&nodes, 0);
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    let existing = nodes[0].addr();

    // A new master.
    nodes.push(Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS));
    let new_master = nodes[3].addr();
    let run = redis_cli(&["--cluster", "add-node", &new_master, &existing], within);
    run.assert_success("add-node");
    let out = plain(&run.stdout);
    assert!(out.contains("[OK] New node added correctly."), "{out}");
    wait_agree(&nodes, within);
    let master_id = nodes[3].myid();
    for n in &nodes {
        let line = n.nodes().into_iter().find(|l| l.id == master_id).unwrap();
        assert!(
            line.is_master() && line.slots.is_empty(),
            "{}: {line:?}",
            n.port
        );
    }

    // A new replica (of the master with the fewest replicas: redis-cli picks it).
    nodes.push(Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS));
    let new_replica = nodes[4].addr();
    let run = redis_cli(
        &[
            "--cluster",
            "add-node",
            &new_replica,
            &existing,
            "--cluster-slave",
        ],
        within,
    );
    run.assert_success("add-node --cluster-slave");
    let out = plain(&run.stdout);
    assert!(out.contains("[OK] New node added correctly."), "{out}");
    wait_agree(&nodes, within);
    let replica_id = nodes[4].myid();
    for n in &nodes {
        let line = n.nodes().into_iter().find(|l| l.id == replica_id).unwrap();
        assert!(
            line.has("slave") && line.master != "-",
            "{}: {line:?}",
            n.port
        );
    }

    // Remove both again: everyone forgets them, and each removed node is reset.
    for id in [&replica_id, &master_id] {
        let run = redis_cli(&["--cluster", "del-node", &existing, id], within);
        run.assert_success("del-node");
        let out = plain(&run.stdout);
        assert!(
            out.contains("Sending CLUSTER RESET SOFT to the deleted node."),
            "{out}"
        );
    }
    let removed: Vec<Node> = nodes.drain(3..).collect();
    wait_for("the removed nodes to be forgotten", within, || {
        for n in &nodes {
            let lines = n.nodes();
            if lines
                .iter()
                .any(|l| l.id == replica_id || l.id == master_id)
            {
                return Err(format!("{} still lists a removed node", n.port));
            }
        }
        Ok(())
    });
    wait_agree(&nodes, within);
    for n in &removed {
        // del-node ends with CLUSTER RESET SOFT: the removed node is alone again.
        wait_for("the removed node to be reset", within, || {
            let known = n.info_field("cluster_known_nodes");
            match known.as_deref() {
                Some("1") => Ok(()),
                _ => Err(format!(
                    "{} knows {known:?} nodes\n{}",
                    n.port,
                    all_logs(&removed)
                )),
            }
        });
    }
}

#[test]
fn add_node_refuses_a_node_that_holds_a_key() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("not-empty");
    let nodes = start_nodes(Kind::Ours, 3, &root.0, NODE_TIMEOUT_MS);
    redis_cli_create(&nodes, 0);
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);

    // A lone node that holds a key and no slot (it served the key's slot for a moment).
    let new = Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS);
    let slot = match new.ok(&["CLUSTER", "KEYSLOT", "leftover"]) {
        Reply::Int(s) => s.to_string(),
        r => panic!("KEYSLOT: {r:?}"),
    };
    // Serving one slot of 16384 takes `cluster-require-full-coverage no` (and, for a master
    // that just started, Redis's 2 s writable delay: hence the wait).
    new.ok(&["CONFIG", "SET", "cluster-require-full-coverage", "no"]);
    new.ok(&["CLUSTER", "ADDSLOTS", &slot]);
    wait_for("the lone node to accept a write", within, || {
        match new.cmd(&["SET", "leftover", "1"]) {
            Reply::Status(_) => Ok(()),
            r => Err(format!("{r:?}")),
        }
    });
    new.ok(&["CLUSTER", "DELSLOTS", &slot]);

    let run = redis_cli(
        &["--cluster", "add-node", &new.addr(), &nodes[0].addr()],
        within,
    );
    let out = plain(&run.stdout);
    assert!(
        out.contains(&format!(
            "[ERR] Node {} is not empty. Either the node already knows other nodes (check with \
             CLUSTER NODES) or contains some key in database 0.",
            new.addr()
        )),
        "{out}\n{}",
        run.stderr
    );
    assert_eq!(run.success, Some(false), "add-node must fail: {out}");
    // Nothing changed: the new node is still alone, the cluster still has three nodes.
    assert_eq!(new.info_field("cluster_known_nodes").as_deref(), Some("1"));
    for n in &nodes {
        assert_eq!(n.nodes().len(), 3);
    }
}
