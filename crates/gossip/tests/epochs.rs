//! Epoch collisions resolve to distinct configEpochs; stale slot claims get an UPDATE.
mod common;

use std::net::SocketAddr;

use common::Net;
use hashslot_bus::{decode, encode, Header, Message, NodeFlags, Payload};
use hashslot_gossip::Output;
use hashslot_types::{Epoch, LinkId, Slot, SlotSet};

#[test]
fn colliding_epochs_become_distinct() {
    let mut net = Net::new(4, 15000, 5);
    for i in 1..4 {
        net.meet(i, 0);
    }
    net.run_until(20_000, "converged", |n| n.converged());
    net.run_until(20_000, "distinct epochs", |n| {
        let mut e: Vec<_> = n
            .nodes
            .iter()
            .map(|c| c.node(c.myself_ref()).unwrap().config_epoch)
            .collect();
        e.sort();
        e.dedup();
        e.len() == 4
    });
    // The node with the greatest id never moved.
    let max = (0..4).max_by_key(|i| net.nodes[*i].myself_id()).unwrap();
    let c = &net.nodes[max];
    assert_eq!(c.node(c.myself_ref()).unwrap().config_epoch, Epoch(0));
}

#[test]
fn stale_claim_gets_update() {
    let mut net = Net::three_masters(15000, 6);
    let now = net.now;
    // Node 1 takes slot 0 from node 0 and bumps its epoch (as SETSLOT NODE after a migration).
    let id1 = net.nodes[1].myself_id().to_string();
    net.nodes[1]
        .set_slot_node(now, Slot::new(0).unwrap(), id1.as_bytes(), 0)
        .unwrap();
    let (bumped, epoch) = net.nodes[1].bump_epoch(now);
    assert!(bumped && epoch == Epoch(4));
    // Drain node 1's outputs but do not deliver (node 0 has not heard yet); its nodes.conf
    // writes complete (nothing carrying the new epoch leaves before they do).
    loop {
        let mut saved = Vec::new();
        while let Some(o) = net.nodes[1].poll_output() {
            if let Output::Persist { token, .. } = o {
                saved.push(token);
            }
        }
        if saved.is_empty() {
            break;
        }
        for token in saved {
            net.nodes[1].handle_persist_done(now, token, Ok(()));
        }
    }

    // A PING from node 0 with its stale claim on slot 0 (epoch 1), on an inbound link of node 1.
    let n0 = net.nodes[0].myself_id();
    let mut header = Header::new(n0);
    header.port = 7000;
    header.cport = 17000;
    header.config_epoch = Epoch(1);
    header.current_epoch = Epoch(3);
    header.flags = NodeFlags::MASTER | NodeFlags::MYSELF;
    let mut slots = SlotSet::new();
    for s in 0..=5460 {
        slots.insert(Slot::new(s).unwrap());
    }
    header.myslots = slots;
    let ping = Message {
        header,
        payload: Payload::Ping {
            gossip: vec![],
            extensions: vec![],
        },
    };
    let mut wire = Vec::new();
    encode(&ping, &mut wire).unwrap();
    let a: SocketAddr = "127.0.0.1:45000".parse().unwrap();
    let b: SocketAddr = "127.0.0.1:17001".parse().unwrap();
    net.nodes[1].handle_link_accepted(now, LinkId(9999), a, b);
    net.nodes[1].handle_link_data(now, LinkId(9999), &wire);
    let mut update = None;
    while let Some(o) = net.nodes[1].poll_output() {
        if let Output::Send { data, .. } = o {
            if let Ok(Some((m, _))) = decode(&data) {
                if let Payload::Update {
                    config_epoch,
                    nodename,
                    slots,
                } = m.payload
                {
                    update = Some((
                        config_epoch,
                        nodename,
                        slots.contains(Slot::new(0).unwrap()),
                    ));
                }
            }
        }
    }
    let (e, who, has0) = update.expect("an UPDATE to the stale sender");
    assert_eq!((e, who.to_string(), has0), (Epoch(4), id1.clone(), true));
    // And in the live network node 0 ends up agreeing.
    net.settle();
    net.run_until(5_000, "node 0 rebinds slot 0", |n| {
        let c = &n.nodes[0];
        c.slot_map()
            .owner(Slot::new(0).unwrap())
            .and_then(|r| c.node(r))
            .map(|x| x.name.to_string())
            == Some(id1.clone())
    });
}

#[test]
fn nothing_leaves_with_a_bumped_epoch_before_it_is_fsynced() {
    let mut net = Net::three_masters(15000, 7);
    let now = net.now;
    // Start from a quiet node: what the formed network left queued is not under test.
    while net.nodes[1].poll_output().is_some() {}
    let id1 = net.nodes[1].myself_id().to_string();
    net.nodes[1]
        .set_slot_node(now, Slot::new(0).unwrap(), id1.as_bytes(), 0)
        .unwrap();
    let (bumped, _) = net.nodes[1].bump_epoch(now);
    assert!(bumped);
    // A PING about to go out (the cron) must wait for the write that holds the new epoch: no
    // Send before an fsynced write has completed (an earlier, unsynced write of the SETSLOT
    // change may complete first).
    // Cron runs over a few node-timeout halves: pings are due to every peer.
    for k in 1..=80 {
        net.nodes[1].handle_timeout(now.advance_millis(100 * k));
    }
    let now = now.advance_millis(8_000);
    let mut synced = false;
    let mut sent = 0;
    loop {
        let mut writes = Vec::new();
        while let Some(o) = net.nodes[1].poll_output() {
            match o {
                Output::Send { .. } => {
                    assert!(
                        synced,
                        "a bus message left before the new epoch was on disk"
                    );
                    sent += 1;
                }
                Output::Persist { token, sync, .. } => writes.push((token, sync)),
                _ => {}
            }
        }
        if writes.is_empty() {
            break;
        }
        for (token, sync) in writes {
            net.nodes[1].handle_persist_done(now, token, Ok(()));
            synced |= sync;
        }
    }
    assert!(synced, "the epoch change was fsynced");
    assert!(
        sent > 0,
        "the held messages go out once the write completed"
    );
}
