//! Our nodes and real `redis-server` 7.0.15 nodes in one cluster: MEET both ways, a mixed
//! `redis-cli --cluster create`, redirects across kinds, failure detection by both kinds (a
//! killed Redis node flagged by ours; a killed node of ours flagged by both).
//! (Replication between kinds is not checked here: topology only.)
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    have_tools, plain, redis_cli, redis_cli_create, redis_cli_stdin, wait_agree, wait_for,
    wait_state_ok, Kind, Node, Reply, TempDir, NODE_TIMEOUT_MS,
};

fn keyslot(n: &Node, key: &str) -> u16 {
    match n.ok(&["CLUSTER", "KEYSLOT", key]) {
        Reply::Int(s) => s as u16,
        r => panic!("KEYSLOT: {r:?}"),
    }
}

#[test]
fn meet_between_redis_and_ours_forms_one_cluster() {
    if !have_tools(&["redis-server"]) {
        return;
    }
    let root = TempDir::new("mixed-meet");
    let nodes = vec![
        Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS),
        Node::start(Kind::Redis, &root.0, NODE_TIMEOUT_MS),
        Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS),
    ];
    let ids: Vec<String> = nodes.iter().map(Node::myid).collect();
    let ranges = [(0, 5460), (5461, 10922), (10923, 16383)];
    for (i, n) in nodes.iter().enumerate() {
        let (a, b) = ranges[i];
        n.ok(&["CLUSTER", "ADDSLOTSRANGE", &a.to_string(), &b.to_string()]);
        n.ok(&["CLUSTER", "SET-CONFIG-EPOCH", &(i + 1).to_string()]);
    }
    // Ours meets Redis; Redis meets the other of ours.
    nodes[0].ok(&["CLUSTER", "MEET", "127.0.0.1", &nodes[1].port.to_string()]);
    nodes[1].ok(&["CLUSTER", "MEET", "127.0.0.1", &nodes[2].port.to_string()]);
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    // Each side lists each node with its address, bus port, role, epoch and slots.
    for n in &nodes {
        let lines = n.nodes();
        for (i, other) in nodes.iter().enumerate() {
            let l = lines.iter().find(|l| l.id == ids[i]).unwrap();
            assert_eq!(
                (l.ip.as_str(), l.port, l.cport),
                ("127.0.0.1", other.port, other.port + 10000)
            );
            assert!(l.is_master() && l.master == "-", "{}: {l:?}", n.port);
            assert_eq!(l.config_epoch, i as u64 + 1, "{}: {l:?}", n.port);
            assert_eq!(l.slots, vec![format!("{}-{}", ranges[i].0, ranges[i].1)]);
            assert_eq!(l.has("myself"), n.port == other.port);
        }
    }

    // Kill the Redis node: our two masters are the quorum that flags it `fail`.
    let mut nodes = nodes;
    nodes[1].kill9();
    let within = Duration::from_millis(NODE_TIMEOUT_MS) + Duration::from_secs(15);
    wait_for(
        "our nodes to flag the killed Redis node `fail`",
        within,
        || {
            for n in nodes.iter().filter(|n| n.is_running()) {
                let lines = n.try_nodes().ok_or("no CLUSTER NODES")?;
                let l = lines.iter().find(|l| l.id == ids[1]).ok_or("forgotten")?;
                if !l.has("fail") {
                    return Err(format!("{} shows {:?}", n.port, l.flags));
                }
            }
            Ok(())
        },
    );
}

#[test]
fn redis_cli_creates_a_mixed_cluster_that_redirects_and_detects_failures() {
    if !have_tools(&["redis-server", "redis-cli"]) {
        return;
    }
    let root = TempDir::new("mixed-create");
    // Masters are the first three (same ip): Redis, ours, Redis; replicas: ours, Redis, ours.
    let kinds = [
        Kind::Redis,
        Kind::Ours,
        Kind::Redis,
        Kind::Ours,
        Kind::Redis,
        Kind::Ours,
    ];
    let mut nodes: Vec<Node> = kinds
        .iter()
        .map(|&k| Node::start(k, &root.0, NODE_TIMEOUT_MS))
        .collect();
    let run = redis_cli_create(&nodes, 1);
    assert!(plain(&run.stdout).contains("[OK] All 16384 slots covered."));
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);
    let check = redis_cli(&["--cluster", "check", &nodes[1].addr()], within);
    let out = plain(&check.stdout);
    assert!(
        out.contains("[OK] All nodes agree about slots configuration."),
        "{out}"
    );
    assert!(out.contains("[OK] All 16384 slots covered."), "{out}");

    // Redirects both ways: a key owned by each master, asked at a master of the other kind.
    let masters: Vec<usize> = (0..3).collect();
    let owner_of = |slot: u16| {
        let lines = nodes[0].nodes();
        let owner = lines
            .iter()
            .find(|l| {
                l.slots.iter().filter(|s| !s.starts_with('[')).any(|s| {
                    let (a, b) = s.split_once('-').unwrap_or((s, s));
                    (a.parse::<u16>().unwrap()..=b.parse::<u16>().unwrap()).contains(&slot)
                })
            })
            .unwrap()
            .port;
        nodes.iter().position(|n| n.port == owner).unwrap()
    };
    for &m in &masters {
        // A key this master owns.
        let key = (0..)
            .map(|i| format!("key:{i}"))
            .find(|k| owner_of(keyslot(&nodes[0], k)) == m)
            .unwrap();
        let ask = masters
            .iter()
            .copied()
            .find(|&a| nodes[a].kind != nodes[m].kind)
            .unwrap();
        let port = nodes[ask].port.to_string();
        let set = redis_cli_stdin(
            &["-c", "-p", &port],
            Some(&format!("set {key} v\n")),
            within,
        );
        let slot = keyslot(&nodes[0], &key);
        assert_eq!(
            set.stdout,
            format!(
                "-> Redirected to slot [{slot}] located at 127.0.0.1:{}\nOK\n",
                nodes[m].port
            ),
            "asked {} ({}) for a key of {} ({})",
            nodes[ask].port,
            nodes[ask].kind.label(),
            nodes[m].port,
            nodes[m].kind.label()
        );
        let get = redis_cli(
            &["-c", "-p", &nodes[m].port.to_string(), "get", &key],
            within,
        );
        assert_eq!(get.stdout, "v\n");
    }

    // Kill our master: Redis nodes and ours all flag it `fail`.
    let victim = 1;
    let victim_id = nodes[victim].myid();
    nodes[victim].kill9();
    let within = Duration::from_millis(NODE_TIMEOUT_MS) + Duration::from_secs(15);
    wait_for(
        "every survivor to flag the killed node `fail`",
        within,
        || {
            for n in nodes.iter().filter(|n| n.is_running()) {
                let lines = n.try_nodes().ok_or("no CLUSTER NODES")?;
                let l = lines
                    .iter()
                    .find(|l| l.id == victim_id)
                    .ok_or("forgotten")?;
                if !l.has("fail") {
                    return Err(format!(
                        "{} ({}) shows {:?}",
                        n.port,
                        n.kind.label(),
                        l.flags
                    ));
                }
            }
            Ok(())
        },
    );
}
