//! Master-side voting: the ACK leaves only after `lastVoteEpoch` is on disk, and a master never
//! votes twice in one epoch, even after a crash and a restart from its nodes.conf.
mod failover_support;

use std::net::SocketAddr;

use failover_support::*;
use hashslot_bus::{decode, encode, Header, Message, MessageFlags, NodeFlags, Payload};
use hashslot_gossip::{ManualMode, Output};
use hashslot_types::{Epoch, LinkId, Slot, SlotSet};

const AUTH_ACK: u16 = 6;

fn last_vote_epoch_in(conf: &str) -> u64 {
    let vars = conf.lines().find(|l| l.starts_with("vars ")).unwrap();
    let f: Vec<&str> = vars.split(' ').collect();
    let i = f.iter().position(|w| *w == "lastVoteEpoch").unwrap();
    f[i + 1].parse().unwrap()
}

#[test]
fn ack_is_not_sent_before_the_vote_is_durable() {
    let mut net = cluster_with_replicas(&[0], 2000, 41);
    net.hold_persist[1] = true;
    let since = net.delivered.len();
    let now = net.now;
    net.nodes[3]
        .manual_failover(now, ManualMode::Force)
        .unwrap();
    net.settle();
    net.run(300);
    let epoch = net.nodes[1].last_vote_epoch();
    assert!(epoch > Epoch(3), "node 1 voted: {epoch:?}");
    // The vote was written (the write is in flight) but its completion is held: no ACK left.
    assert_eq!(
        last_vote_epoch_in(net.persisted[1].as_ref().unwrap()),
        epoch.0
    );
    assert!(net.nodes[1].is_holding_for_durability());
    assert_eq!(delivered_from(&net, since, 1, AUTH_ACK), 0);
    // Masters 0 and 2 voted without delay: the replica already won.
    assert_eq!(delivered_from(&net, since, 0, AUTH_ACK), 1);
    assert_eq!(delivered_from(&net, since, 2, AUTH_ACK), 1);
    assert!(is_master(&net, 3));
    // The write completes: the ACK goes out.
    net.hold_persist[1] = false;
    net.complete_persists(1);
    assert_eq!(delivered_from(&net, since, 1, AUTH_ACK), 1);
    assert!(!net.nodes[1].is_holding_for_durability());
}

/// A FAILOVER_AUTH_REQUEST from node `from` (a replica of master 0) in `epoch`, delivered to
/// node `to` on a new inbound link; returns `to`'s outputs.
fn request_vote(net: &mut Net, from: usize, to: usize, epoch: Epoch, link: u64) -> Vec<Output> {
    let mut header = Header::new(net.nodes[from].myself_id());
    header.port = 7000 + from as u16;
    header.cport = 17000 + from as u16;
    header.current_epoch = epoch;
    header.config_epoch = Epoch(1);
    header.flags = NodeFlags::SLAVE | NodeFlags::MYSELF;
    header.slaveof = Some(net.nodes[0].myself_id());
    header.mflags = MessageFlags::FORCEACK;
    let mut slots = SlotSet::new();
    for s in 0..=5460 {
        slots.insert(Slot::new(s).unwrap());
    }
    header.myslots = slots;
    let msg = Message {
        header,
        payload: Payload::FailoverAuthRequest,
    };
    let mut wire = Vec::new();
    encode(&msg, &mut wire).unwrap();
    let a: SocketAddr = format!("127.0.0.1:{}", 46000 + link % 1000)
        .parse()
        .unwrap();
    let b: SocketAddr = format!("127.0.0.1:{}", 17000 + to).parse().unwrap();
    let now = net.now;
    net.nodes[to].handle_link_accepted(now, LinkId(link), a, b);
    net.nodes[to].handle_link_data(now, LinkId(link), &wire);
    std::iter::from_fn(|| net.nodes[to].poll_output()).collect()
}

fn logs(outs: &[Output]) -> String {
    outs.iter()
        .filter_map(|o| match o {
            Output::Log { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn acks(outs: &[Output]) -> usize {
    outs.iter()
        .filter(|o| match o {
            Output::Send { data, .. } => decode(data)
                .ok()
                .flatten()
                .is_some_and(|(m, _)| m.msg_type().0 == AUTH_ACK),
            _ => false,
        })
        .count()
}

#[test]
fn no_second_vote_in_an_epoch_across_a_restart() {
    let mut net = cluster_with_replicas(&[0, 0], 2000, 42);
    net.hold_persist[1] = true;
    let now = net.now;
    net.nodes[3]
        .manual_failover(now, ManualMode::Force)
        .unwrap();
    net.settle();
    net.run(300);
    let epoch = net.nodes[1].last_vote_epoch();
    assert!(epoch > Epoch(3));
    assert_eq!(
        last_vote_epoch_in(net.persisted[1].as_ref().unwrap()),
        epoch.0
    );

    // Crash after the write reached the disk but before its completion was reported.
    net.crash(1);
    restart(&mut net, 1, 4242);
    assert_eq!(net.nodes[1].last_vote_epoch(), epoch);
    assert_eq!(net.nodes[1].current_epoch(), epoch);

    // The other replica of master 0 asks in the same epoch: refused.
    let outs = request_vote(&mut net, 4, 1, epoch, 90_001);
    assert_eq!(acks(&outs), 0);
    assert!(
        logs(&outs).contains(&format!("already voted for epoch {}", epoch.0)),
        "{}",
        logs(&outs)
    );
    assert_eq!(net.nodes[1].last_vote_epoch(), epoch);

    // In the next epoch it may vote again (voted_time is not persisted, as in Redis).
    let next = Epoch(epoch.0 + 1);
    let outs = request_vote(&mut net, 4, 1, next, 90_002);
    assert!(
        logs(&outs).contains(&format!(
            "Failover auth granted to {} for epoch {}",
            net.nodes[4].myself_id(),
            next.0
        )),
        "{}",
        logs(&outs)
    );
    // Its write waits behind the one still in flight; the ACK waits for both.
    assert!(net.nodes[1].is_holding_for_durability());
    assert_eq!(acks(&outs), 0);
    assert_eq!(net.nodes[1].last_vote_epoch(), next);
}

#[test]
fn masters_refuse_requests_like_redis() {
    let mut net = cluster_with_replicas(&[0], 2000, 43);
    let e = Epoch(net.nodes[1].current_epoch().0 + 1);
    // Master 0 is up and the request has no FORCEACK: "its master is up".
    let mut outs = {
        let mut header = Header::new(net.nodes[3].myself_id());
        header.current_epoch = e;
        header.flags = NodeFlags::SLAVE;
        header.slaveof = Some(net.nodes[0].myself_id());
        let msg = Message {
            header,
            payload: Payload::FailoverAuthRequest,
        };
        let mut wire = Vec::new();
        encode(&msg, &mut wire).unwrap();
        let now = net.now;
        let a: SocketAddr = "127.0.0.1:46999".parse().unwrap();
        net.nodes[2].handle_link_accepted(now, LinkId(91_000), a, a);
        net.nodes[2].handle_link_data(now, LinkId(91_000), &wire);
        std::iter::from_fn(|| net.nodes[2].poll_output()).collect::<Vec<_>>()
    };
    assert!(logs(&outs).contains("its master is up"), "{}", logs(&outs));
    assert_eq!(acks(&outs), 0);
    // A replica never votes.
    outs = request_vote(&mut net, 3, 3, e, 91_001);
    assert_eq!(acks(&outs), 0);
    assert_eq!(net.nodes[3].last_vote_epoch(), Epoch(0));
}
