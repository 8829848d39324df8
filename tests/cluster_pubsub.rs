//! Pub/Sub across a cluster (spec §1.6 PUBLISH / PUBLISHSHARD, §1.9 step 7).
//!
//! * Three masters of ours: `redis-cli -p A SUBSCRIBE ch` (spawned, stdout captured) receives a
//!   `PUBLISH ch …` sent to B and one sent to C (forwarded over the bus) and one sent to A.
//! * Sharded: `SSUBSCRIBE` on the owner of the channel's slot receives an `SPUBLISH` sent to
//!   that owner; `SPUBLISH` / `SSUBSCRIBE` on a node that does not own the slot get `MOVED`.
//! * Mixed: a real redis-server master in the same cluster as two of ours receives a PUBLISH
//!   sent to ours, and ours receives one sent to the Redis node.
mod cluster_support;
mod cluster_verify_support;

use std::time::Duration;

use cluster_support::{create_cluster, have_tools, Kind, Node, Reply, TempDir, NODE_TIMEOUT_MS};
use cluster_verify_support::Subscriber;

const WAIT: Duration = Duration::from_secs(10);

fn publish(n: &Node, cmd: &str, ch: &str, msg: &str) -> Reply {
    n.cmd(&[cmd, ch, msg])
}

fn subscribe(n: &Node, cmd: &str, ch: &str) -> Subscriber {
    let mut s = Subscriber::spawn(&["-p", &n.port.to_string(), cmd, ch]);
    s.wait_lines(&[&cmd.to_ascii_lowercase(), ch, "1"], WAIT);
    s
}

/// The master owning `slot`, by CLUSTER NODES of `nodes[0]`.
fn owner_of(nodes: &[Node], slot: u16) -> usize {
    let lines = nodes[0].nodes();
    let line = lines
        .iter()
        .find(|l| {
            l.slots.iter().filter(|s| !s.starts_with('[')).any(|s| {
                let (a, b) = s.split_once('-').unwrap_or((s, s));
                (a.parse::<u16>().unwrap()..=b.parse::<u16>().unwrap()).contains(&slot)
            })
        })
        .unwrap_or_else(|| panic!("nobody owns slot {slot}"));
    nodes
        .iter()
        .position(|n| n.port == line.port)
        .expect("owner is one of ours")
}

#[test]
fn publish_reaches_subscribers_on_other_masters() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("pubsub");
    let nodes: Vec<Node> = (0..3)
        .map(|_| Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS))
        .collect();
    create_cluster(&nodes, 3);

    let mut sub = subscribe(&nodes[0], "SUBSCRIBE", "ch");
    for (i, n) in nodes.iter().enumerate().rev() {
        let msg = format!("hello-via-{i}");
        let r = publish(n, "PUBLISH", "ch", &msg);
        assert!(matches!(r, Reply::Int(_)), "PUBLISH on node {i}: {r:?}");
        sub.wait_lines(&["message", "ch", &msg], WAIT);
    }
    // A channel nobody subscribed to: PUBLISH counts 0 receivers and delivers nothing.
    assert_eq!(publish(&nodes[1], "PUBLISH", "other", "x"), Reply::Int(0));

    // Sharded pub/sub: the slot owner delivers SPUBLISH to its SSUBSCRIBErs.
    let ch = "sch";
    let slot = match nodes[0].ok(&["CLUSTER", "KEYSLOT", ch]) {
        Reply::Int(s) => s as u16,
        r => panic!("KEYSLOT {r:?}"),
    };
    let o = owner_of(&nodes, slot);
    let other = (o + 1) % nodes.len();
    let mut ssub = subscribe(&nodes[o], "SSUBSCRIBE", ch);
    assert_eq!(
        publish(&nodes[o], "SPUBLISH", ch, "shard-hello"),
        Reply::Int(1)
    );
    ssub.wait_lines(&["smessage", ch, "shard-hello"], WAIT);
    match publish(&nodes[other], "SPUBLISH", ch, "x") {
        Reply::Error(e) => assert!(
            e.starts_with(&format!("MOVED {slot} 127.0.0.1:{}", nodes[o].port)),
            "SPUBLISH on a non-owner: -{e}"
        ),
        r => panic!("SPUBLISH on a non-owner: {r:?}, expected MOVED"),
    }
    match nodes[other].cmd(&["SSUBSCRIBE", ch]) {
        Reply::Error(e) => assert!(e.starts_with("MOVED "), "SSUBSCRIBE on a non-owner: -{e}"),
        r => panic!("SSUBSCRIBE on a non-owner: {r:?}, expected MOVED"),
    }
    // The plain subscriber saw no shard message.
    assert!(
        !sub.output().contains("shard-hello"),
        "SPUBLISH leaked to a SUBSCRIBE client:\n{}",
        sub.output()
    );
}

#[test]
fn publish_crosses_between_redis_and_ours() {
    if !have_tools(&["redis-server", "redis-cli"]) {
        return;
    }
    let root = TempDir::new("pubsub-mixed");
    let nodes = vec![
        Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS),
        Node::start(Kind::Redis, &root.0, NODE_TIMEOUT_MS),
        Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS),
    ];
    create_cluster(&nodes, 3);

    let mut on_redis = subscribe(&nodes[1], "SUBSCRIBE", "mixed");
    let mut on_ours = subscribe(&nodes[0], "SUBSCRIBE", "mixed");
    // Ours → Redis (and to the other of ours).
    publish(&nodes[2], "PUBLISH", "mixed", "from-ours");
    on_redis.wait_lines(&["message", "mixed", "from-ours"], WAIT);
    on_ours.wait_lines(&["message", "mixed", "from-ours"], WAIT);
    // Redis → ours.
    publish(&nodes[1], "PUBLISH", "mixed", "from-redis");
    on_ours.wait_lines(&["message", "mixed", "from-redis"], WAIT);
    on_redis.wait_lines(&["message", "mixed", "from-redis"], WAIT);
}
