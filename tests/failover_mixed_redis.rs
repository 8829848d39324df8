//! Failover across implementations (issue 6): one cluster of real `redis-server` 7.0.15 nodes
//! and ours. Masters R1 (Redis), O2 (ours), R3 (Redis); O1 (ours) replicates R1 and R2 (Redis)
//! replicates O2.
//!
//! - Our replica of a Redis master syncs in full, resyncs partially after its link is killed,
//!   and is promoted when that master is killed (voters: O2 ours, R3 Redis).
//! - A Redis replica of our master syncs in full, resyncs partially after it drops its link,
//!   and is promoted when ours is killed (voters: O1 ours, R3 Redis).
//! - Every key written survives each promotion; the killed masters, restarted, rejoin as
//!   replicas of the nodes that replaced them (Redis following ours, ours following Redis).
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    all_logs, create_cluster, have_tools, wait_for, wait_state_ok, ClusterClient, Kind, Node,
    Reply, TempDir,
};

const NODE_TIMEOUT_MS: u64 = 1000;

fn section_field(n: &Node, section: &str, name: &str) -> Option<String> {
    let info = n.try_cmd(&["INFO", section]).ok()?.text_opt()?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

fn repl_field(n: &Node, name: &str) -> Option<String> {
    section_field(n, "replication", name)
}

/// `replica` has processed all of `master`'s stream, its link up.
fn wait_caught_up(master: &Node, replica: &Node, within: Duration) {
    wait_for("the replica caught up", within, || {
        let link = repl_field(replica, "master_link_status");
        let mo = repl_field(master, "master_repl_offset");
        let ro = repl_field(replica, "slave_repl_offset");
        if link.as_deref() == Some("up") && mo.is_some() && mo == ro {
            Ok(())
        } else {
            Err(format!(
                "{} {link:?}: {ro:?} of {mo:?}",
                replica.kind.label()
            ))
        }
    });
}

/// Every running node sees `nodes[i]` as a master serving slots.
fn wait_promoted(nodes: &[Node], i: usize, within: Duration) {
    wait_for("the replica promoted", within, || {
        for n in nodes.iter().filter(|n| n.is_running()) {
            let lines = n.try_nodes().ok_or("no CLUSTER NODES")?;
            let l = lines
                .iter()
                .find(|l| l.port == nodes[i].port)
                .ok_or("missing")?;
            if !l.is_master() || l.slot_count() == 0 {
                return Err(format!("{} {} sees {l:?}", n.kind.label(), n.port));
            }
        }
        Ok(())
    });
}

/// Whether `voter`'s log says it granted its vote to `requester` (the line both kinds write).
fn granted_vote(voter: &Node, requester: &str) -> bool {
    let log = std::fs::read_to_string(voter.dir.join("out.log")).unwrap_or_default();
    log.contains(&format!("Failover auth granted to {requester} for epoch"))
}

/// Both remaining masters (one of each kind) voted for `winner`: with three masters a
/// promotion needs two votes, so neither kind's vote was optional.
fn assert_voted_by(nodes: &[Node], voters: [usize; 2], winner: usize) {
    let id = nodes[winner].myid();
    for v in voters {
        assert!(
            granted_vote(&nodes[v], &id),
            "{} {} did not vote for {id}\n{}",
            nodes[v].kind.label(),
            nodes[v].port,
            nodes[v].log_tail()
        );
    }
}

fn write_keys(client: &mut ClusterClient, tag: &str, n: usize) -> Vec<(String, String)> {
    let kv: Vec<(String, String)> = (0..n)
        .map(|i| (format!("{tag}:{i}"), format!("{tag}-value-{i}")))
        .collect();
    let sets: Vec<Vec<String>> = kv
        .iter()
        .map(|(k, v)| vec!["SET".into(), k.clone(), v.clone()])
        .collect();
    for (r, (k, _)) in client.exec_many(&sets).into_iter().zip(&kv) {
        assert_eq!(r, Ok(Reply::Status("OK".into())), "SET {k}");
    }
    kv
}

fn check_keys(client: &mut ClusterClient, nodes: &[Node], kv: &[(String, String)], when: &str) {
    let seeds: Vec<u16> = nodes
        .iter()
        .filter(|n| n.is_running())
        .map(|n| n.port)
        .collect();
    client.set_seeds(&seeds);
    client.refresh().expect("CLUSTER SLOTS");
    let gets: Vec<Vec<String>> = kv
        .iter()
        .map(|(k, _)| vec!["GET".into(), k.clone()])
        .collect();
    for (r, (k, v)) in client.exec_many(&gets).into_iter().zip(kv) {
        assert_eq!(
            r,
            Ok(Reply::Bulk(Some(v.clone().into_bytes()))),
            "GET {k} {when}\n{}",
            all_logs(nodes)
        );
    }
}

#[test]
fn replicas_of_either_kind_take_over_from_masters_of_the_other() {
    if !have_tools(&["redis-server", "redis-cli"]) {
        return;
    }
    let root = TempDir::new("failover-mixed");
    let start = |kind| Node::start(kind, &root.0, NODE_TIMEOUT_MS);
    // Masters first (create_cluster gives them the slots), then replica j follows master j.
    let mut nodes = vec![
        start(Kind::Redis),
        start(Kind::Ours),
        start(Kind::Redis),
        start(Kind::Ours),
        start(Kind::Redis),
    ];
    const R1: usize = 0;
    const O2: usize = 1;
    const R3: usize = 2;
    const O1: usize = 3;
    const R2: usize = 4;
    create_cluster(&nodes, 3);
    let within = Duration::from_secs(30);
    let seeds: Vec<u16> = nodes.iter().map(|n| n.port).collect();
    let mut client = ClusterClient::new(&seeds);
    let mut kv = write_keys(&mut client, "before", 2000);
    wait_caught_up(&nodes[R1], &nodes[O1], within);
    wait_caught_up(&nodes[O2], &nodes[R2], within);
    // Both replicas synced in full, once.
    assert_eq!(
        section_field(&nodes[R1], "stats", "sync_full").as_deref(),
        Some("1")
    );

    // Our replica's link dropped by the Redis master: it continues from the backlog.
    assert!(matches!(
        nodes[R1].cmd(&["CLIENT", "KILL", "TYPE", "replica"]),
        Reply::Int(1)
    ));
    kv.extend(write_keys(&mut client, "during", 500));
    wait_caught_up(&nodes[R1], &nodes[O1], within);
    assert_eq!(
        (
            section_field(&nodes[R1], "stats", "sync_full"),
            section_field(&nodes[R1], "stats", "sync_partial_ok"),
        ),
        (Some("1".into()), Some("1".into())),
        "a partial resync after the link drop\n{}",
        nodes[O1].log_tail()
    );
    assert_eq!(nodes[O1].ok(&["DBSIZE"]), nodes[R1].ok(&["DBSIZE"]));

    // The Redis replica drops its link to our master: it continues from our backlog.
    let accepted = |n: &Node| {
        std::fs::read_to_string(n.dir.join("out.log"))
            .unwrap_or_default()
            .matches("Master accepted a Partial Resynchronization")
            .count()
    };
    let before = accepted(&nodes[R2]);
    assert!(matches!(
        nodes[R2].cmd(&["CLIENT", "KILL", "TYPE", "master"]),
        Reply::Int(1)
    ));
    kv.extend(write_keys(&mut client, "during-b", 500));
    wait_caught_up(&nodes[O2], &nodes[R2], within);
    assert_eq!(
        accepted(&nodes[R2]),
        before + 1,
        "the Redis replica resynced partially\n{}",
        nodes[R2].log_tail()
    );
    assert_eq!(nodes[R2].ok(&["DBSIZE"]), nodes[O2].ok(&["DBSIZE"]));

    // (a) The Redis master dies: our replica takes over, voted in by ours and Redis.
    nodes[R1].kill9();
    wait_promoted(&nodes, O1, within);
    wait_state_ok(&nodes, within);
    assert_eq!(repl_field(&nodes[O1], "role").as_deref(), Some("master"));
    assert_voted_by(&nodes, [O2, R3], O1);
    check_keys(
        &mut client,
        &nodes,
        &kv,
        "after our replica took over from Redis",
    );
    kv.extend(write_keys(&mut client, "after-a", 500));

    // (b) Our master dies: the Redis replica takes over, voted in by ours and Redis.
    wait_caught_up(&nodes[O2], &nodes[R2], within);
    nodes[O2].kill9();
    wait_promoted(&nodes, R2, within);
    wait_state_ok(&nodes, within);
    assert_eq!(repl_field(&nodes[R2], "role").as_deref(), Some("master"));
    assert_voted_by(&nodes, [O1, R3], R2);
    check_keys(
        &mut client,
        &nodes,
        &kv,
        "after the Redis replica took over from ours",
    );
    kv.extend(write_keys(&mut client, "after-b", 500));

    // The dead come back as replicas of their replacements, across kinds, with the data.
    nodes[R1].restart().expect("restart R1");
    nodes[O2].restart().expect("restart O2");
    for (old, new) in [(R1, O1), (O2, R2)] {
        wait_for("an old master rejoins as a replica", within, || {
            let port = repl_field(&nodes[old], "master_port");
            let link = repl_field(&nodes[old], "master_link_status");
            if port == Some(nodes[new].port.to_string()) && link.as_deref() == Some("up") {
                Ok(())
            } else {
                Err(format!("{} {port:?} {link:?}", nodes[old].kind.label()))
            }
        });
        wait_caught_up(&nodes[new], &nodes[old], within);
        assert_eq!(nodes[old].ok(&["DBSIZE"]), nodes[new].ok(&["DBSIZE"]));
    }
    wait_state_ok(&nodes, within);
    check_keys(&mut client, &nodes, &kv, "after the restarts");
}
