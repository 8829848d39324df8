//! A master stops answering: the others flag it PFAIL, exchange failure reports, agree on FAIL.
mod common;

use common::Net;

#[test]
fn pfail_becomes_fail_by_majority_reports() {
    let mut net = Net::three_masters(2000, 3);
    let id2 = net.nodes[2].myself_id().to_string();
    net.crash(2);
    net.run_until(4_000, "PFAIL seen", |n| n.flags_seen(0, 2).contains("fail"));
    net.run_until(10_000, "FAIL agreed", |n| {
        n.flags_seen(0, 2) == "master,fail" && n.flags_seen(1, 2) == "master,fail"
    });
    // Its slots are on a FAIL node: the cluster is down.
    net.run_until(2_000, "state fail", |n| {
        !n.nodes[0].is_state_ok() && !n.nodes[1].is_state_ok()
    });
    let info = net.nodes[0].info_text();
    assert!(info.contains("cluster_slots_fail:5461\r\n"), "{info}");
    assert!(net.nodes[0]
        .nodes_text()
        .contains(&format!("{id2} 127.0.0.1:7002@17002 master,fail")));
    assert!(
        net.delivered.iter().any(|d| d.2 == 3),
        "a FAIL message was broadcast"
    );
}

#[test]
fn partition_and_heal() {
    let mut net = Net::three_masters(1000, 4);
    net.group = vec![1, 0, 0];
    // Minority: node 0 sees the two others unreachable and stops serving.
    net.run_until(6_000, "minority down", |n| !n.nodes[0].is_state_ok());
    net.run_until(6_000, "majority marks node 0 FAIL", |n| {
        n.flags_seen(1, 0) == "master,fail"
    });
    net.group = vec![0, 0, 0];
    net.run_until(20_000, "healed: FAIL cleared and ok everywhere", |n| {
        n.flags_seen(1, 0) == "master"
            && n.flags_seen(2, 0) == "master"
            && n.nodes.iter().all(|c| c.is_state_ok())
    });
}
