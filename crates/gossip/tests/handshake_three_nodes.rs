//! Three nodes, one MEET each to node 0: everyone learns everyone through gossip.
mod common;

use common::Net;

#[test]
fn three_nodes_meet_and_gossip() {
    let mut net = Net::new(3, 15000, 1);
    net.meet(1, 0);
    net.meet(2, 0);
    net.run_until(10_000, "full mesh", |n| n.converged());
    for i in 0..3 {
        let text = net.nodes[i].nodes_text();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert_eq!(text.matches("myself,master").count(), 1);
        assert!(!text.contains("handshake"), "{text}");
        for j in 0..3 {
            assert!(
                text.contains(&format!(
                    "{} 127.0.0.1:{}@{} ",
                    net.nodes[j].myself_id(),
                    7000 + j,
                    17000 + j
                )),
                "{text}"
            );
        }
        // nodes.conf was written and has no handshake node.
        let conf = net.persisted[i].as_ref().unwrap();
        assert!(
            conf.lines()
                .last()
                .unwrap()
                .starts_with("vars currentEpoch "),
            "{conf}"
        );
    }
    // The transcript starts MEET → PONG on node 1's link to node 0.
    let first: Vec<_> = net
        .delivered
        .iter()
        .filter(|d| d.0 == 1 || d.1 == 1)
        .take(2)
        .collect();
    assert_eq!(first, [&(1, 0, 2), &(0, 1, 1)]);
    let info = net.nodes[0].info_text();
    assert!(info.contains("cluster_known_nodes:3\r\n"), "{info}");
    assert!(
        info.contains("cluster_stats_messages_meet_received:2\r\n"),
        "{info}"
    );
}

#[test]
fn three_masters_reach_ok() {
    let net = Net::three_masters(15000, 2);
    for c in &net.nodes {
        let info = c.info_text();
        assert!(
            info.starts_with(
                "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"
            ),
            "{info}"
        );
        assert!(info.contains("cluster_size:3\r\n"), "{info}");
        assert!(info.contains("cluster_current_epoch:3\r\n"), "{info}");
    }
}
