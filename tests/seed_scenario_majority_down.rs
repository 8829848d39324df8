//! The seed scenario's limit (issue 6): killing a majority of the masters at once leaves too few
//! masters to flag the dead ones FAIL or to elect their replicas, so the cluster refuses service
//! with `-CLUSTERDOWN` instead of serving a minority's view. What clients and `CLUSTER INFO` show
//! is compared with a `redis-server` cluster of the same shape, driven through the same steps;
//! when the killed masters come back the cluster serves again.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;

use std::time::Duration;

use cluster_support::{
    have_tools, redis_cli_create, start_nodes, wait_for, wait_state_ok, Kind, Node, Reply, TempDir,
};

const NODE_TIMEOUT_MS: u64 = 1000;

/// What the surviving nodes show once the majority is gone.
#[derive(Debug, PartialEq)]
struct Observed {
    /// Per survivor (master first, then replicas by the first slot of their master):
    /// `CLUSTER INFO` fields that do not depend on ids or timing.
    info: Vec<Vec<String>>,
    /// Replies of the surviving master to a GET of a key it owns, a GET of a key a dead master
    /// owned, a SET of its own key and a keyless command.
    master_replies: Vec<Reply>,
    /// The same GETs on a replica of a dead master (READONLY) and on the live master's replica.
    replica_replies: Vec<Reply>,
    /// Roles seen by the survivors (no replica was promoted).
    roles: Vec<String>,
}

fn info_fields(n: &Node) -> Vec<String> {
    const KEEP: [&str; 7] = [
        "cluster_state",
        "cluster_slots_assigned",
        "cluster_slots_ok",
        "cluster_slots_pfail",
        "cluster_slots_fail",
        "cluster_known_nodes",
        "cluster_size",
    ];
    KEEP.iter()
        .map(|f| format!("{f}:{}", n.info_field(f).unwrap_or_default()))
        .collect()
}

/// A key whose slot is in `lo..=hi`.
fn key_in(lo: u16, hi: u16) -> String {
    (0..)
        .map(|i| format!("k{i}"))
        .find(|k| (lo..=hi).contains(&hashslot::slots::key_slot(k.as_bytes()).get()))
        .expect("some key")
}

/// Make a 3-master/3-replica cluster of `kind`, kill the masters of the first two slot ranges
/// at once, and record what the survivors show; then restart the dead and see the cluster
/// come back.
fn run(kind: Kind) -> Observed {
    let root = TempDir::new(&format!("majority-down-{}", kind.label()));
    let mut nodes = start_nodes(kind, 6, &root.0, NODE_TIMEOUT_MS);
    redis_cli_create(&nodes, 1);
    let within = Duration::from_secs(30);
    wait_state_ok(&nodes, within);

    // Masters in slot order, and each one's replica (once every replica's role has reached
    // the node asked: slots settle before the CLUSTER REPLICATEs have spread).
    let lines = wait_for("three masters with a replica each", within, || {
        let lines = nodes[0].try_nodes().ok_or("no CLUSTER NODES")?;
        let masters = lines.iter().filter(|l| l.is_master() && l.slot_count() > 0);
        let with_replica = masters
            .filter(|m| lines.iter().any(|l| l.master == m.id))
            .count();
        if with_replica == 3 {
            Ok(lines)
        } else {
            Err(format!("{with_replica} masters with a replica: {lines:?}"))
        }
    });
    let mut masters: Vec<_> = lines
        .iter()
        .filter(|l| l.is_master() && l.slot_count() > 0)
        .collect();
    masters.sort_by_key(|l| {
        l.slots[0]
            .split('-')
            .next()
            .unwrap()
            .parse::<u16>()
            .unwrap()
    });
    let idx = |port: u16| nodes.iter().position(|n| n.port == port).unwrap();
    let ranges: Vec<(u16, u16)> = masters
        .iter()
        .map(|l| {
            let (a, b) = l.slots[0].split_once('-').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    let m: Vec<usize> = masters.iter().map(|l| idx(l.port)).collect();
    let r: Vec<usize> = masters
        .iter()
        .map(|ml| idx(lines.iter().find(|l| l.master == ml.id).unwrap().port))
        .collect();
    let own_key = key_in(ranges[2].0, ranges[2].1);
    let dead_key = key_in(ranges[0].0, ranges[0].1);
    assert_eq!(
        nodes[m[2]].cmd(&["SET", &own_key, "v"]),
        Reply::Status("OK".into())
    );
    assert_eq!(
        nodes[m[0]].cmd(&["SET", &dead_key, "v"]),
        Reply::Status("OK".into())
    );

    nodes[m[0]].kill9();
    nodes[m[1]].kill9();
    let survivors = [m[2], r[2], r[0], r[1]];
    wait_for("cluster_state:fail on every survivor", within, || {
        for &i in &survivors {
            let state = nodes[i].info_field("cluster_state");
            if state.as_deref() != Some("fail") {
                return Err(format!("{}: {state:?}", nodes[i].port));
            }
        }
        Ok(())
    });
    // Long enough for a failure report quorum or an election, had either been possible.
    std::thread::sleep(Duration::from_millis(NODE_TIMEOUT_MS * 4));
    let roles = survivors
        .iter()
        .map(|&i| {
            let lines = nodes[i].nodes();
            let mut v: Vec<String> = survivors
                .iter()
                .map(|&j| {
                    let l = lines.iter().find(|l| l.port == nodes[j].port).unwrap();
                    let role = if l.is_master() { "master" } else { "slave" };
                    format!("{role}:{}", l.slot_count())
                })
                .collect();
            v.insert(
                0,
                format!(
                    "survivor {}",
                    survivors.iter().position(|&j| j == i).unwrap()
                ),
            );
            v.join(" ")
        })
        .collect();
    let info = survivors.iter().map(|&i| info_fields(&nodes[i])).collect();
    let master_replies = vec![
        nodes[m[2]].cmd(&["GET", &own_key]),
        nodes[m[2]].cmd(&["GET", &dead_key]),
        nodes[m[2]].cmd(&["SET", &own_key, "w"]),
        nodes[m[2]].cmd(&["PING"]),
    ];
    let readonly_get = |n: &Node, key: &str| -> Reply {
        // One connection: READONLY then GET.
        let s = std::net::TcpStream::connect(("127.0.0.1", n.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        use std::io::Write;
        (&s).write_all(
            format!(
                "*1\r\n$8\r\nREADONLY\r\n*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n",
                key.len()
            )
            .as_bytes(),
        )
        .unwrap();
        let mut r = std::io::BufReader::new(s);
        let _ = cluster_support::read_one(&mut r).unwrap();
        cluster_support::read_one(&mut r).unwrap()
    };
    let replica_replies = vec![
        readonly_get(&nodes[r[0]], &dead_key),
        readonly_get(&nodes[r[2]], &own_key),
    ];

    // The dead come back: the cluster serves again, with the data.
    nodes[m[0]].restart().expect("restart");
    nodes[m[1]].restart().expect("restart");
    wait_state_ok(&nodes, within);
    assert_eq!(
        nodes[m[2]].cmd(&["GET", &own_key]),
        Reply::Bulk(Some(b"v".to_vec()))
    );
    Observed {
        info,
        master_replies,
        replica_replies,
        roles,
    }
}

#[test]
fn killing_most_masters_at_once_makes_the_cluster_refuse_service_as_redis_does() {
    if !have_tools(&["redis-cli", "redis-server"]) {
        return;
    }
    let redis = run(Kind::Redis);
    eprintln!("redis-server: {redis:#?}");
    let down = Reply::Error("CLUSTERDOWN The cluster is down".into());
    assert_eq!(redis.master_replies[0], down, "{redis:?}");
    let ours = run(Kind::Ours);
    assert_eq!(ours, redis);
}
