//! `redis-cli --cluster add-node` an empty master, `rebalance --cluster-use-empty-masters`
//! gives it its share of slots (keys move with MIGRATE); then its slots are resharded away
//! and `del-node` removes it. No key is lost on the way.
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    have_tools, plain, redis_cli, redis_cli_create, start_nodes, wait_agree, wait_state_ok, Kind,
    Node, Reply, TempDir, NODE_TIMEOUT_MS,
};

fn dbsize(n: &Node) -> i64 {
    match n.cmd(&["DBSIZE"]) {
        Reply::Int(k) => k,
        r => panic!("{r:?}"),
    }
}

fn check_ok(addr: &str) {
    let run = redis_cli(&["--cluster", "check", addr], Duration::from_secs(30));
    let out = plain(&run.stdout);
    assert!(
        out.contains("[OK] All nodes agree about slots configuration."),
        "{out}"
    );
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
    assert!(
        !out.contains("[WARNING]") && !out.contains("[ERR]"),
        "{out}"
    );
}

#[test]
fn rebalance_onto_empty_master_then_drain_and_del_node() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("reshard-rebalance");
    let mut nodes = start_nodes(Kind::Ours, 3, &root.0, NODE_TIMEOUT_MS);
    redis_cli_create(&nodes, 0);
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);

    // 1000 keys, written with redis-cli -c (it follows MOVED).
    let mut script = String::new();
    for i in 0..1000 {
        script.push_str(&format!("SET k{i} v{i}\n"));
    }
    let run = cluster_support::redis_cli_stdin(
        &["-c", "-p", &nodes[0].port.to_string()],
        Some(&script),
        Duration::from_secs(60),
    );
    run.assert_success("writing keys");
    assert_eq!(nodes.iter().map(dbsize).sum::<i64>(), 1000);

    nodes.push(Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS));
    let new_addr = nodes[3].addr();
    let run = redis_cli(
        &["--cluster", "add-node", &new_addr, &nodes[0].addr()],
        within,
    );
    run.assert_success("add-node");
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);

    let run = redis_cli(
        &[
            "--cluster",
            "rebalance",
            &nodes[0].addr(),
            "--cluster-use-empty-masters",
        ],
        Duration::from_secs(300),
    );
    run.assert_success("rebalance");
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    let new_id = nodes[3].myid();
    let owned = nodes[0]
        .nodes()
        .into_iter()
        .find(|l| l.id == new_id)
        .unwrap()
        .slot_count();
    // 16384 / 4 = 4096 each, within redis-cli's 2% threshold.
    assert!(
        (4000..=4200).contains(&owned),
        "new master owns {owned} slots"
    );
    assert!(dbsize(&nodes[3]) > 0, "no keys moved to the new master");
    assert_eq!(nodes.iter().map(dbsize).sum::<i64>(), 1000);
    check_ok(&nodes[0].addr());

    // Drain it back and remove it.
    let to = nodes[0].myid();
    let run = redis_cli(
        &[
            "--cluster",
            "reshard",
            &nodes[0].addr(),
            "--cluster-from",
            &new_id,
            "--cluster-to",
            &to,
            "--cluster-slots",
            &owned.to_string(),
            "--cluster-yes",
        ],
        Duration::from_secs(300),
    );
    run.assert_success("reshard away");
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    assert_eq!(dbsize(&nodes[3]), 0);
    let run = redis_cli(
        &["--cluster", "del-node", &nodes[0].addr(), &new_id],
        within,
    );
    run.assert_success("del-node");
    // redis-cli 7.0 resets the removed node (older ones shut it down).
    let out = plain(&run.stdout);
    assert!(
        out.contains("Sending CLUSTER RESET SOFT to the deleted node.")
            || out.contains("SHUTDOWN the node."),
        "{out}"
    );
    let removed = nodes.pop().unwrap();
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    for n in &nodes {
        assert!(
            n.nodes().iter().all(|l| l.id != new_id),
            "{} still knows it",
            n.port
        );
    }
    drop(removed);
    assert_eq!(nodes.iter().map(dbsize).sum::<i64>(), 1000);
    check_ok(&nodes[0].addr());
    // Every key readable with its value through redis-cli -c.
    let mut script = String::new();
    for i in (0..1000).step_by(37) {
        script.push_str(&format!("GET k{i}\n"));
    }
    let run = cluster_support::redis_cli_stdin(
        &["-c", "-p", &nodes[0].port.to_string()],
        Some(&script),
        Duration::from_secs(60),
    );
    let got: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("-> Redirected"))
        .collect();
    let want: Vec<String> = (0..1000).step_by(37).map(|i| format!("v{i}")).collect();
    assert_eq!(got, want, "{}", run.stdout);
}
