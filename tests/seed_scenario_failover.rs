//! The seed scenario (issue 6; operator notes 000_86267abf94cb0e53), end to end: six of our
//! nodes made a cluster by `redis-cli --cluster create --cluster-replicas 1`, 10,000 keys
//! written through a cluster client; the three masters killed with SIGKILL one at a time, a few
//! seconds apart. Each time the dead master's replica takes over with the data: every key stays
//! readable (all through the test's cluster client, a sample through `redis-cli -c`). The
//! killed nodes, restarted, rejoin as replicas of the nodes that replaced them and sync;
//! `redis-cli --cluster check` is OK. Then the operator gives one old master its role back
//! with a manual failover while a client writes, and no acknowledged write is lost.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    all_logs, have_tools, redis_cli_create, redis_cli_stdin, start_nodes, wait_cluster_check_ok,
    wait_for, wait_state_ok, ClusterClient, Kind, Node, Reply, TempDir,
};

/// Small, so three failovers fit well inside a minute in a debug build.
const NODE_TIMEOUT_MS: u64 = 1000;
const KEYS: usize = 10_000;

fn repl_field(n: &Node, name: &str) -> Option<String> {
    let info = n.try_cmd(&["INFO", "replication"]).ok()?.text_opt()?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

fn alive_ports(nodes: &[Node]) -> Vec<u16> {
    nodes
        .iter()
        .filter(|n| n.is_running())
        .map(|n| n.port)
        .collect()
}

/// Every key of `0..KEYS` read back through the cluster client has the value written
/// (`key:0` may have been overwritten with `after`).
fn check_all_keys(client: &mut ClusterClient, nodes: &[Node], when: &str) {
    let gets: Vec<Vec<String>> = (0..KEYS)
        .map(|i| vec!["GET".into(), format!("key:{i}")])
        .collect();
    for (i, r) in client.exec_many(&gets).into_iter().enumerate() {
        let want = format!("value:{i}").into_bytes();
        let ok = match &r {
            Ok(Reply::Bulk(Some(v))) => *v == want || (i == 0 && v == b"after"),
            _ => false,
        };
        assert!(ok, "GET key:{i} {when}: {r:?}\n{}", all_logs(nodes));
    }
}

/// A sample of keys read with one `redis-cli -c` per start node, which must follow the
/// redirects itself.
fn check_sample_with_redis_cli(nodes: &[Node], when: &str) {
    // (key:0 is overwritten later, so the sample starts at 1.)
    let sample: Vec<usize> = (1..KEYS).step_by(KEYS / 25).chain([2, KEYS - 1]).collect();
    let script: String = sample.iter().map(|i| format!("GET key:{i}\n")).collect();
    for port in alive_ports(nodes).iter().take(2) {
        let run = redis_cli_stdin(
            &["-c", "-p", &port.to_string()],
            Some(&script),
            Duration::from_secs(20),
        );
        run.assert_success("redis-cli -c GET");
        let values: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| !l.starts_with("-> Redirected"))
            .collect();
        let want: Vec<String> = sample.iter().map(|i| format!("value:{i}")).collect();
        assert_eq!(values, want, "redis-cli -c -p {port} {when}");
    }
}

/// A node that, seen from `observer`, is a master serving slots with a live replica; returns
/// (master index, replica index), or what the observer sees while roles still spread.
fn pick_master_with_replica(nodes: &[Node], observer: usize) -> Result<(usize, usize), String> {
    let lines = nodes[observer].try_nodes().ok_or("no CLUSTER NODES")?;
    for (mi, m) in nodes.iter().enumerate() {
        if !m.is_running() {
            continue;
        }
        let Some(ml) = lines.iter().find(|l| l.port == m.port) else {
            continue;
        };
        if !ml.is_master() || ml.slot_count() == 0 {
            continue;
        }
        let replica = lines
            .iter()
            .filter(|l| l.master == ml.id && !l.has("fail"))
            .find_map(|l| {
                nodes
                    .iter()
                    .position(|n| n.port == l.port && n.is_running())
            });
        if let Some(ri) = replica {
            return Ok((mi, ri));
        }
    }
    Err(format!("no master with a live replica: {lines:?}"))
}

/// Every live replica has processed all of its master's stream.
fn wait_replicas_caught_up(nodes: &[Node], within: Duration) {
    wait_for("replicas caught up", within, || {
        for n in nodes.iter().filter(|n| n.is_running()) {
            if repl_field(n, "role").as_deref() != Some("slave") {
                continue;
            }
            if repl_field(n, "master_link_status").as_deref() != Some("up") {
                return Err(format!("{}: link down", n.port));
            }
            let master_port: u16 = repl_field(n, "master_port")
                .and_then(|p| p.parse().ok())
                .ok_or("no master_port")?;
            let m = nodes
                .iter()
                .find(|m| m.port == master_port)
                .ok_or("no master")?;
            let mo = repl_field(m, "master_repl_offset");
            let ro = repl_field(n, "slave_repl_offset");
            if mo != ro || mo.is_none() {
                return Err(format!("{}: {ro:?} of {mo:?}", n.port));
            }
        }
        Ok(())
    });
}

#[test]
fn three_masters_killed_one_at_a_time_are_replaced_and_rejoin_as_replicas() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("seed-failover");
    let mut nodes = start_nodes(Kind::Ours, 6, &root.0, NODE_TIMEOUT_MS);
    redis_cli_create(&nodes, 1);
    let within = Duration::from_secs(30);
    wait_state_ok(&nodes, within);
    wait_for("three replicas in sync", within, || {
        let up = nodes
            .iter()
            .filter(|n| repl_field(n, "master_link_status").as_deref() == Some("up"))
            .count();
        if up == 3 {
            Ok(())
        } else {
            Err(format!("{up} replicas up"))
        }
    });

    let mut client = ClusterClient::new(&alive_ports(&nodes));
    let sets: Vec<Vec<String>> = (0..KEYS)
        .map(|i| vec!["SET".into(), format!("key:{i}"), format!("value:{i}")])
        .collect();
    for (i, r) in client.exec_many(&sets).into_iter().enumerate() {
        assert_eq!(r, Ok(Reply::Status("OK".into())), "SET key:{i}");
    }

    // (killed node, the replica that replaced it)
    let mut replaced: Vec<(usize, usize)> = Vec::new();
    for round in 0..3 {
        // Asynchronous replication: the replicas acknowledge the whole stream before the kill
        // (the operator waited too).
        wait_replicas_caught_up(&nodes, within);
        let observer = alive_ports(&nodes)[0];
        let observer = nodes.iter().position(|n| n.port == observer).unwrap();
        let (victim, replica) = wait_for("a master with a live replica", within, || {
            pick_master_with_replica(&nodes, observer)
        });
        assert_eq!(
            nodes[replica].ok(&["DBSIZE"]),
            nodes[victim].ok(&["DBSIZE"]),
            "round {round}: the replica holds its master's keys"
        );
        let victim_port = nodes[victim].port;
        let killed_at = std::time::Instant::now();
        nodes[victim].kill9();

        wait_for("the replica promoted", within, || {
            for n in nodes.iter().filter(|n| n.is_running()) {
                let lines = n.try_nodes().ok_or("no CLUSTER NODES")?;
                let me = lines
                    .iter()
                    .find(|l| l.port == nodes[replica].port)
                    .ok_or("missing")?;
                if !me.is_master() || me.slot_count() == 0 {
                    return Err(format!("{} sees {me:?}", n.port));
                }
            }
            Ok(())
        });
        let promoted_after = killed_at.elapsed();
        wait_state_ok(&nodes, within);
        // For the log (not asserted): how long the shard was without a master, as seen here.
        eprintln!(
            "round {round}: promoted in {promoted_after:?}, cluster_state:ok everywhere after {:?} \
             (node timeout {NODE_TIMEOUT_MS} ms)",
            killed_at.elapsed()
        );
        assert_eq!(
            repl_field(&nodes[replica], "role").as_deref(),
            Some("master"),
            "round {round}"
        );
        let when = format!("after killing master {victim_port} (round {round})");
        client.set_seeds(&alive_ports(&nodes));
        client.refresh().expect("CLUSTER SLOTS");
        check_all_keys(&mut client, &nodes, &when);
        check_sample_with_redis_cli(&nodes, &when);
        replaced.push((victim, replica));
        // A few seconds between kills, as the operator did.
        std::thread::sleep(Duration::from_secs(2));
    }
    // Writes go to the new masters.
    assert_eq!(
        client.exec(&["SET", "key:0", "after"]),
        Ok(Reply::Status("OK".into()))
    );

    // The killed nodes come back as replicas of the nodes that replaced them, and sync.
    for &(victim, _) in &replaced {
        nodes[victim].restart().expect("restart");
    }
    for &(victim, replica) in &replaced {
        let replica_id = nodes[replica].myid();
        wait_for("an old master rejoins as a replica", within, || {
            let lines = nodes[victim].try_nodes().ok_or("no CLUSTER NODES")?;
            let me = lines.iter().find(|l| l.has("myself")).ok_or("no myself")?;
            if me.has("slave") && me.master == replica_id {
                Ok(())
            } else {
                Err(format!("{me:?}"))
            }
        });
        wait_for("an old master synced", within, || {
            let link = repl_field(&nodes[victim], "master_link_status");
            let port = repl_field(&nodes[victim], "master_port");
            if link.as_deref() == Some("up") && port == Some(nodes[replica].port.to_string()) {
                Ok(())
            } else {
                Err(format!("link {link:?} master_port {port:?}"))
            }
        });
    }
    wait_replicas_caught_up(&nodes, within);
    for &(victim, replica) in &replaced {
        assert_eq!(
            nodes[victim].ok(&["DBSIZE"]),
            nodes[replica].ok(&["DBSIZE"]),
            "a restarted old master holds its new master's keys"
        );
        // Its own copy, read on the replica itself.
        let conn = nodes[victim].port;
        let probe = (0..KEYS)
            .map(|i| format!("key:{i}"))
            .find(|k| {
                matches!(nodes[replica].cmd(&["GET", k]), Reply::Bulk(Some(_)))
                    && !k.ends_with(":0")
            })
            .expect("a key of the shard");
        assert_eq!(
            redis_cli_stdin(
                &["-p", &conn.to_string()],
                Some(&format!("READONLY\nGET {probe}\n")),
                Duration::from_secs(10)
            )
            .stdout
            .lines()
            .nth(1)
            .map(str::to_owned),
            Some(format!("value:{}", &probe[4..])),
            "READONLY GET {probe} on the restarted node {conn}"
        );
    }
    wait_state_ok(&nodes, within);
    wait_cluster_check_ok(nodes[0].port, within);
    check_all_keys(&mut client, &nodes, "after the restarts");
    check_sample_with_redis_cli(&nodes, "after the restarts");

    // The operator gives one old master its role back with a manual failover: the master
    // pauses writes and the replica catches up with its offset first, so no acknowledged
    // write is lost, even with a client writing to that shard throughout.
    let (victim, replica) = replaced[0];
    let victim_id = nodes[victim].myid();
    let tag = (0..KEYS)
        .map(|i| format!("key:{i}"))
        .find(|k| matches!(nodes[replica].cmd(&["GET", k]), Reply::Bulk(Some(_))))
        .expect("a key of the shard");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let seeds = alive_ports(&nodes);
        let tag = tag.clone();
        std::thread::spawn(move || {
            let mut c = ClusterClient::new(&seeds);
            let mut acked = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let k = format!("{{{tag}}}:mf:{i}");
                if c.exec(&["SET", &k, "v"]) == Ok(Reply::Status("OK".into())) {
                    acked.push(k);
                }
                i += 1;
            }
            acked
        })
    };
    std::thread::sleep(Duration::from_millis(200)); // let the writer get going
    assert_eq!(
        nodes[victim].cmd(&["CLUSTER", "FAILOVER"]),
        Reply::Status("OK".into())
    );
    wait_for("the manual failover", within, || {
        let lines = nodes[victim].try_nodes().ok_or("no CLUSTER NODES")?;
        let me = lines
            .iter()
            .find(|l| l.id == victim_id)
            .ok_or("no myself")?;
        if me.is_master() && me.slot_count() > 0 {
            Ok(())
        } else {
            Err(format!(
                "{me:?}\n{}\n{}",
                nodes[victim].log_tail(),
                nodes[replica].log_tail()
            ))
        }
    });
    wait_for("roles swapped in replication", within, || {
        let mine = repl_field(&nodes[victim], "role");
        let theirs = repl_field(&nodes[replica], "master_link_status");
        if mine.as_deref() == Some("master") && theirs.as_deref() == Some("up") {
            Ok(())
        } else {
            Err(format!("victim role {mine:?}, old replica link {theirs:?}"))
        }
    });
    wait_state_ok(&nodes, within);
    std::thread::sleep(Duration::from_millis(300)); // a few writes after the switch too
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acked = writer.join().expect("writer");
    assert!(!acked.is_empty(), "the writer got no write acknowledged");
    client.refresh().expect("CLUSTER SLOTS");
    let gets: Vec<Vec<String>> = acked
        .iter()
        .map(|k| vec!["GET".into(), k.clone()])
        .collect();
    for (k, r) in acked.iter().zip(client.exec_many(&gets)) {
        assert_eq!(
            r,
            Ok(Reply::Bulk(Some(b"v".to_vec()))),
            "acknowledged {k} lost in the manual failover ({} acked)",
            acked.len()
        );
    }
    check_all_keys(&mut client, &nodes, "after the manual failover");
}
