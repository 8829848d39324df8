//! A client blocked on a key (BLPOP with no timeout) is released when the key's slot stops
//! being served by the node it waits on, with the error a new command would get: `-MOVED` when
//! the slot was given to another master, `-CLUSTERDOWN` when it was left unassigned. Without
//! this the client would wait forever for a push that can never reach that node. Run side by
//! side on two-node clusters of ours and of redis-server 7.0.15: the replies must match.
// Real processes: deadlines from the clock and a polling interval.
#![allow(clippy::disallowed_methods)]

mod cluster_support;
mod support;

use std::time::Duration;

use cluster_support::{have_tools, wait_for, Kind, Node, Reply, TempDir, NODE_TIMEOUT_MS};
use support::Client;

/// Two keys in different slots (looked up through CLUSTER KEYSLOT).
const KEYS: [&str; 2] = ["{m}q", "{u}q"];

/// The replies the two blocked clients got, with the other node's port written `PORT`.
fn run(kind: Kind) -> Vec<String> {
    let root = TempDir::new("blocked-redirect");
    let a = Node::start(kind, &root.0, NODE_TIMEOUT_MS);
    let b = Node::start(kind, &root.0, NODE_TIMEOUT_MS);
    a.ok(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
    a.ok(&["CLUSTER", "MEET", "127.0.0.1", &b.port.to_string()]);
    let b_id = b.myid();
    wait_for("the nodes to meet", Duration::from_secs(20), || {
        match a.try_nodes() {
            Some(n) if n.iter().any(|l| l.id == b_id && !l.has("handshake")) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    wait_for("cluster_state:ok", Duration::from_secs(20), || {
        match a.info_field("cluster_state").as_deref() {
            Some("ok") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });

    let slots: Vec<String> = KEYS
        .iter()
        .map(|k| match a.ok(&["CLUSTER", "KEYSLOT", k]) {
            Reply::Int(n) => n.to_string(),
            other => panic!("CLUSTER KEYSLOT {k}: {other:?}"),
        })
        .collect();
    let addr = format!("127.0.0.1:{}", a.port);
    let mut blocked: Vec<Client> = KEYS
        .iter()
        .map(|k| {
            let mut c = Client::connect(&addr).expect("connect");
            c.send(&["BLPOP", k, "0"]).expect("send");
            c
        })
        .collect();
    wait_for("both clients blocked", Duration::from_secs(20), || match a
        .ok(&["INFO", "clients"])
        .text()
        .contains("blocked_clients:2")
    {
        true => Ok(()),
        false => Err("not yet".into()),
    });

    let mut got = Vec::new();
    // The slot moves to b: the client is told where it went.
    a.ok(&["CLUSTER", "SETSLOT", &slots[0], "NODE", &b_id]);
    got.push(read_within(&mut blocked[0]));
    // The other client's slot is still served: it still waits, and a push serves it.
    assert!(
        a.ok(&["INFO", "clients"])
            .text()
            .contains("blocked_clients:1"),
        "{}",
        kind.label()
    );
    // The slot is left unassigned: the cluster goes down and the client is told so.
    a.ok(&["CLUSTER", "DELSLOTS", &slots[1]]);
    got.push(read_within(&mut blocked[1]));
    got.iter()
        .map(|r| r.replace(&b.port.to_string(), "PORT"))
        .collect()
}

/// The next reply of `c`, as text; fails after a deadline (Redis releases within a second).
fn read_within(c: &mut Client) -> String {
    c.stream()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let r = c
        .read_reply()
        .expect("the blocked client was never released");
    String::from_utf8_lossy(&r).into_owned()
}

#[test]
fn blocked_client_is_redirected_when_its_slot_leaves() {
    let ours = run(Kind::Ours);
    assert!(ours[0].starts_with("-MOVED "), "{ours:?}");
    assert!(ours[1].starts_with("-CLUSTERDOWN "), "{ours:?}");
    if have_tools(&["redis-server"]) {
        let theirs = run(Kind::Redis);
        assert_eq!(ours, theirs);
    }
}
