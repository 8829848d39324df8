//! The seed scenario (operator notes 000_86267abf94cb0e53): six of our nodes made a cluster by
//! `redis-cli --cluster create --cluster-replicas 1`, 2,000 keys written through a
//! cluster-aware client; a master killed with SIGKILL is replaced by its replica, which holds
//! the data (every key stays readable through the test client and `redis-cli -c`); the killed
//! node, restarted, rejoins as a replica of the new master and syncs.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    all_logs, call, have_tools, redis_cli, redis_cli_create, start_nodes, wait_for, wait_state_ok,
    Kind, Node, Reply, TempDir,
};

const NODE_TIMEOUT_MS: u64 = 2000;
const KEYS: usize = 2000;

/// One command, following MOVED/ASK redirects (a minimal cluster client).
fn cluster_cmd(start_port: u16, args: &[&str]) -> Result<Reply, String> {
    let mut port = start_port;
    let mut asking = false;
    for _ in 0..8 {
        let reply = if asking {
            let stream_args: Vec<&str> = args.to_vec();
            call(port, &["ASKING"]).map_err(|e| e.to_string())?;
            call(port, &stream_args)
        } else {
            call(port, args)
        }
        .map_err(|e| format!("{port}: {e}"))?;
        match &reply {
            Reply::Error(e) if e.starts_with("MOVED ") || e.starts_with("ASK ") => {
                let addr = e.split(' ').nth(2).ok_or("bad redirect")?;
                port = addr
                    .rsplit_once(':')
                    .and_then(|(_, p)| p.parse().ok())
                    .ok_or("bad redirect port")?;
                asking = e.starts_with("ASK ");
            }
            _ => return Ok(reply),
        }
    }
    Err(format!("too many redirects for {args:?}"))
}

fn repl_field(n: &Node, name: &str) -> Option<String> {
    let info = n.try_cmd(&["INFO", "replication"]).ok()?.text_opt()?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

#[test]
fn killed_master_is_replaced_by_its_replica_with_the_data() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("seed-failover");
    let mut nodes = start_nodes(Kind::Ours, 6, &root.0, NODE_TIMEOUT_MS);
    redis_cli_create(&nodes, 1);
    wait_state_ok(&nodes, Duration::from_secs(30));

    // Every replica's link comes up.
    let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
    wait_for("three replicas in sync", Duration::from_secs(30), || {
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

    for i in 0..KEYS {
        let (k, v) = (format!("key:{i}"), format!("value:{i}"));
        let r = cluster_cmd(ports[i % 6], &["SET", &k, &v]);
        assert_eq!(r, Ok(Reply::Status("OK".into())), "SET {k}");
    }
    // Asynchronous replication: let every replica acknowledge all of its master's stream
    // before the kill (the operator waited too).
    wait_for("replicas caught up", Duration::from_secs(30), || {
        for n in &nodes {
            if repl_field(n, "role").as_deref() != Some("slave") {
                continue;
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

    // Kill the master that owns key:0's slot; remember its replica.
    let victim_port = match cluster_cmd(ports[0], &["CLUSTER", "KEYSLOT", "key:0"]) {
        Ok(Reply::Int(slot)) => {
            let lines = nodes[0].nodes();
            let owner = lines
                .iter()
                .find(|l| l.is_master() && slot_in(&l.slots, slot as usize))
                .expect("an owner of key:0's slot");
            owner.port
        }
        other => panic!("CLUSTER KEYSLOT: {other:?}"),
    };
    let victim = nodes.iter().position(|n| n.port == victim_port).unwrap();
    let victim_id = nodes[victim].myid();
    let replica_port = nodes
        .iter()
        .find(|n| repl_field(n, "master_port").as_deref() == Some(&victim_port.to_string()))
        .map(|n| n.port)
        .expect("the victim's replica");
    let replica = nodes.iter().position(|n| n.port == replica_port).unwrap();
    let replica_keys = nodes[replica].ok(&["DBSIZE"]);
    let victim_keys = nodes[victim].ok(&["DBSIZE"]);
    assert_eq!(
        replica_keys, victim_keys,
        "the replica holds its master's keys"
    );
    nodes[victim].kill9();

    // The replica takes over, and the cluster is whole again.
    let within = Duration::from_millis(NODE_TIMEOUT_MS * 4) + Duration::from_secs(30);
    wait_for("the replica promoted", within, || {
        let observer = (0..6).find(|&i| i != victim && i != replica).unwrap();
        let lines = nodes[observer].try_nodes().ok_or("no CLUSTER NODES")?;
        let me = lines
            .iter()
            .find(|l| l.port == replica_port)
            .ok_or("missing")?;
        if me.is_master() && me.slot_count() > 0 {
            Ok(())
        } else {
            Err(format!("{me:?}"))
        }
    });
    wait_state_ok(&nodes, within);
    assert_eq!(
        repl_field(&nodes[replica], "role").as_deref(),
        Some("master")
    );

    let alive: Vec<u16> = nodes
        .iter()
        .filter(|n| n.is_running())
        .map(|n| n.port)
        .collect();
    for i in 0..KEYS {
        let k = format!("key:{i}");
        let r = cluster_cmd(alive[i % alive.len()], &["GET", &k]);
        assert_eq!(
            r,
            Ok(Reply::Bulk(Some(format!("value:{i}").into_bytes()))),
            "GET {k} after the failover\n{}",
            all_logs(&nodes)
        );
    }
    // And through redis-cli -c.
    for i in [0usize, 1, 2, 999, 1999] {
        let port = alive[0].to_string();
        let k = format!("key:{i}");
        let run = redis_cli(&["-c", "-p", &port, "GET", &k], Duration::from_secs(10));
        run.assert_success("redis-cli -c GET");
        assert_eq!(
            run.stdout.trim(),
            format!("value:{i}"),
            "redis-cli -c GET {k}"
        );
    }
    // Writes go to the new master.
    assert_eq!(
        cluster_cmd(alive[0], &["SET", "key:0", "after"]),
        Ok(Reply::Status("OK".into()))
    );

    // The killed node comes back as a replica of the node that replaced it, and syncs.
    nodes[victim].restart().expect("restart");
    wait_for("the old master rejoins as a replica", within, || {
        let lines = nodes[victim].try_nodes().ok_or("no CLUSTER NODES")?;
        let me = lines.iter().find(|l| l.has("myself")).ok_or("no myself")?;
        if me.has("slave") && me.master != "-" {
            Ok(())
        } else {
            Err(format!("{me:?}"))
        }
    });
    wait_for("the old master synced", within, || {
        let link = repl_field(&nodes[victim], "master_link_status");
        let port = repl_field(&nodes[victim], "master_port");
        if link.as_deref() == Some("up") && port == Some(replica_port.to_string()) {
            Ok(())
        } else {
            Err(format!("link {link:?} master_port {port:?}"))
        }
    });
    wait_for("the old master has the data", within, || {
        let theirs = nodes[replica].ok(&["DBSIZE"]);
        let mine = nodes[victim].ok(&["DBSIZE"]);
        if mine == theirs {
            Ok(())
        } else {
            Err(format!("{mine:?} vs {theirs:?}"))
        }
    });

    // The operator gives the old master its role back with a manual failover: the master
    // pauses writes and the replica catches up with its offset first, so no acknowledged
    // write is lost, even with a client writing to that shard throughout.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let start = replica_port;
        std::thread::spawn(move || {
            let mut acked = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let k = format!("{{key:0}}:mf:{i}");
                if cluster_cmd(start, &["SET", &k, "v"]) == Ok(Reply::Status("OK".into())) {
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
            let info = |n: &Node| n.cmd(&["INFO", "replication"]).text();
            Err(format!(
                "{me:?}\n{}\n{}\n{}\n{}",
                nodes[victim].log_tail(),
                nodes[replica].log_tail(),
                info(&nodes[victim]),
                info(&nodes[replica])
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
    let alive: Vec<u16> = nodes.iter().map(|n| n.port).collect();
    for k in &acked {
        assert_eq!(
            cluster_cmd(alive[0], &["GET", k]),
            Ok(Reply::Bulk(Some(b"v".to_vec()))),
            "acknowledged {k} lost in the manual failover ({} acked)",
            acked.len()
        );
    }
    for i in 0..KEYS {
        let k = format!("key:{i}");
        let want = if i == 0 {
            "after".to_owned()
        } else {
            format!("value:{i}")
        };
        let r = cluster_cmd(alive[i % alive.len()], &["GET", &k]);
        assert_eq!(
            r,
            Ok(Reply::Bulk(Some(want.into_bytes()))),
            "GET {k} after the manual failover\n{}",
            all_logs(&nodes)
        );
    }
}

/// Whether `slot` is in the CLUSTER NODES slot fields.
fn slot_in(slots: &[String], slot: usize) -> bool {
    slots.iter().filter(|s| !s.starts_with('[')).any(|s| {
        let (a, b) = s.split_once('-').unwrap_or((s, s));
        let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
        (a..=b).contains(&slot)
    })
}
