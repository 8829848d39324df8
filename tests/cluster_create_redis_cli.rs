//! The seed scenario: six nodes, `redis-cli --cluster create … --cluster-replicas 1`, then
//! `--cluster check` and a redirected `redis-cli -c` SET/GET.
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    all_logs, have_tools, plain, redis_cli, redis_cli_create, redis_cli_stdin, start_nodes,
    wait_agree, wait_state_ok, Kind, TempDir, NODE_TIMEOUT_MS,
};

#[test]
fn redis_cli_creates_a_six_node_cluster() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("create");
    let nodes = start_nodes(Kind::Ours, 6, &root.0, NODE_TIMEOUT_MS);
    let run = redis_cli_create(&nodes, 1);
    let out = plain(&run.stdout);
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);

    // Three masters with a third of the slots each and one replica each, in every view.
    for n in &nodes {
        let lines = n.nodes();
        let masters: Vec<_> = lines.iter().filter(|l| l.is_master()).collect();
        assert_eq!(masters.len(), 3, "{}: {lines:?}", n.port);
        assert_eq!(masters.iter().map(|m| m.slot_count()).sum::<usize>(), 16384);
        for m in &masters {
            let replicas = lines.iter().filter(|l| l.master == m.id).count();
            assert_eq!(replicas, 1, "{}: master {} replicas", n.port, m.port);
        }
    }

    let check = redis_cli(&["--cluster", "check", &nodes[0].addr()], within);
    let out = plain(&check.stdout);
    assert!(
        out.contains("[OK] All nodes agree about slots configuration."),
        "{out}\n{}",
        all_logs(&nodes)
    );
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");

    // id2 hashes to slot 5125 (the seed's first master holds 0-5460): ask another master.
    let lines = nodes[0].nodes();
    let owner = lines
        .iter()
        .find(|l| l.slots.iter().any(|s| s == "0-5460"))
        .expect("a master owns 0-5460")
        .port;
    let other = lines
        .iter()
        .find(|l| l.is_master() && l.port != owner)
        .unwrap()
        .port
        .to_string();
    // Commands fed on stdin, as typed at the prompt in the seed: redis-cli -c prints where it
    // was redirected.
    let set = redis_cli_stdin(&["-c", "-p", &other], Some("set id2 100\n"), within);
    set.assert_success("redis-cli -c set");
    assert_eq!(
        set.stdout,
        format!("-> Redirected to slot [5125] located at 127.0.0.1:{owner}\nOK\n")
    );
    let get = redis_cli_stdin(&["-c", "-p", &other], Some("get id2\n"), within);
    assert_eq!(
        get.stdout,
        format!("-> Redirected to slot [5125] located at 127.0.0.1:{owner}\n100\n")
    );
    // The owner answers directly.
    let get = redis_cli(&["-c", "-p", &owner.to_string(), "get", "id2"], within);
    assert_eq!(get.stdout, "100\n");
}
