//! DEBUG SLEEP on a cluster master, longer than the node timeout, looks to the cluster like a
//! dead master, as with Redis (its bus goes quiet too): the others mark it `fail` and its
//! replica takes its slots over. When the sleep ends, the sleeper gets its `+OK`, learns it was
//! replaced and turns into a replica of the new master. Run with
//! `HASHSLOT_CLUSTER_NODE_BIN=redis-server` to see Redis do the same.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;

use std::io::{BufReader, ErrorKind, Write};
use std::net::TcpStream;
use std::time::Duration;

use cluster_support::{
    have_tools, read_reply, redis_cli_create, start_nodes, wait_agree, wait_for, wait_state_ok,
    Kind, Reply, TempDir, NODE_TIMEOUT_MS,
};

#[test]
fn a_sleeping_master_is_failed_over() {
    if !have_tools(&["redis-cli"]) {
        return;
    }
    let root = TempDir::new("debug-sleep-failover");
    let nodes = start_nodes(Kind::Ours, 6, &root.0, NODE_TIMEOUT_MS);
    redis_cli_create(&nodes, 1);
    let within = Duration::from_secs(30);
    wait_agree(&nodes, within);
    wait_state_ok(&nodes, within);

    let lines = nodes[0].nodes();
    let sleeper = lines
        .iter()
        .find(|l| l.is_master() && l.slots.iter().any(|s| s.starts_with("0-")))
        .unwrap()
        .clone();
    let replica = lines
        .iter()
        .find(|l| l.master == sleeper.id)
        .unwrap()
        .clone();
    let sleeper_node = nodes.iter().find(|n| n.port == sleeper.port).unwrap();
    // A replica that never completed its first sync does not stand for election (Redis's
    // first transfer waits `repl-diskless-sync-delay`, 5 s).
    let replica_node = nodes.iter().find(|n| n.port == replica.port).unwrap();
    wait_for("the replica's first sync", within, || {
        let info = replica_node.cmd(&["INFO", "replication"]).text();
        if info.contains("master_link_status:up") {
            Ok(())
        } else {
            Err(info)
        }
    });
    let observer = nodes
        .iter()
        .find(|n| n.port != sleeper.port && n.port != replica.port)
        .unwrap();

    // Asleep for five node timeouts: failure detection and the election fit in it (Redis's
    // replica waits up to a second more before its election).
    let secs = (5 * NODE_TIMEOUT_MS / 1000).to_string();
    let mut s = TcpStream::connect(("127.0.0.1", sleeper.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let cmd = format!(
        "*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n${}\r\n{secs}\r\n",
        secs.len()
    );
    s.write_all(cmd.as_bytes()).unwrap();
    // No reply while asleep.
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut first = [0u8; 256];
    match std::io::Read::read(&mut s, &mut first) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!(
            "a reply before the sleep ended: {other:?} {:?}",
            String::from_utf8_lossy(&first)
        ),
    }
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();

    wait_for("the replica to take over the slots", within, || {
        let view = observer.nodes();
        let old = view.iter().find(|l| l.id == sleeper.id).unwrap();
        let new = view.iter().find(|l| l.id == replica.id).unwrap();
        if old.has("fail") && new.is_master() && new.slots.iter().any(|s| s.starts_with("0-")) {
            Ok(())
        } else {
            Err(format!("{old:?}\n{new:?}"))
        }
    });
    // The sleeper answers only after its sleep, then follows the new master.
    let mut r = BufReader::new(s);
    assert_eq!(read_reply(&mut r).unwrap(), Reply::Status("OK".into()));
    wait_for("the sleeper to become a replica", within, || {
        let view = sleeper_node.nodes();
        let me = view.iter().find(|l| l.has("myself")).unwrap();
        if me.has("slave") && me.master == replica.id {
            Ok(())
        } else {
            Err(format!("{me:?}"))
        }
    });
    wait_state_ok(&nodes, within);
}
