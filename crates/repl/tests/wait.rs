//! WAIT numreplicas timeout: counts ACKed replicas, asks with GETACK, times out.
mod common;
use common::*;
use hashslot_types::ConnId;
use std::time::Duration;

#[test]
fn wait_counts_acks_and_times_out() {
    let mut net = Net::disk();
    let _a = net.add_replica(Default::default());
    let b = net.add_replica(Default::default());
    let client = ConnId(1);
    net.write(0, &["SET", "k", "v"]);
    let off = net.master.master_repl_offset();
    let now = net.now;
    // Nobody ACKed this write yet (ACKs come each second or on GETACK).
    net.master.handle_wait(now, client, 0, None, off);
    net.pump();
    assert_eq!(net.wait_replies, vec![(client, 0)]);
    net.master
        .handle_wait(now, client, 2, Some(Duration::from_millis(1000)), off);
    net.pump(); // GETACK goes out, both answer at once
    assert_eq!(net.wait_replies[1], (client, 2));

    net.reps[b].cut = true;
    net.write(0, &["SET", "k", "w"]);
    let off = net.master.master_repl_offset();
    let now = net.now;
    net.master
        .handle_wait(now, client, 2, Some(Duration::from_millis(500)), off);
    net.pump();
    assert_eq!(net.wait_replies.len(), 2, "blocked");
    net.advance(499);
    assert_eq!(net.wait_replies.len(), 2);
    net.advance(1);
    assert_eq!(net.wait_replies[2], (client, 1));
}

#[test]
fn wait_forever_unblocks_on_ack_and_closed_client_is_forgotten() {
    let mut net = Net::disk();
    let r = net.add_replica(Default::default());
    net.reps[r].cut = true;
    net.write(0, &["SET", "k", "v"]);
    let off = net.master.master_repl_offset();
    let now = net.now;
    net.master.handle_wait(now, ConnId(1), 1, None, off);
    net.master.handle_wait(now, ConnId(2), 1, None, off);
    net.master.handle_conn_closed(now, ConnId(2));
    net.pump();
    assert!(net.wait_replies.is_empty());
    net.reps[r].cut = false;
    net.advance(1_000); // the periodic ACK covers the write (not the lost GETACKs)
    assert!(
        net.wait_replies.is_empty(),
        "the lost GETACKs left the replica behind the master"
    );
    // The replica missed stream bytes while cut: it is behind; a reconnect brings it back.
    net.break_link(r);
    net.advance(1_000);
    net.advance(1_000);
    assert_eq!(net.wait_replies, vec![(ConnId(1), 1)]);
}
