//! A replica's config epoch loads from nodes.conf as written (its master's, as Redis's
//! `clusterLoadConfig` keeps it), so the first header from that replica, which carries the
//! same epoch, is not a config change: a formed cluster restarted from nodes.conf does not
//! rewrite the file once per replica on every node.
mod common;

use std::net::SocketAddr;

use common::config;
use hashslot_bus::{encode, Header, Message, MsgType, NodeFlags, Payload};
use hashslot_gossip::Cluster;
use hashslot_types::{Epoch, Instant, LinkId, NodeId, Now, Rng, UnixMillis};

const ME: &str = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";
const B: &str = "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1";
const R: &str = "07c37dfeb235213a872192d90877d0cd55635b91";

fn id(s: &str) -> NodeId {
    NodeId::from_bytes(s.as_bytes()).expect("40 hex characters")
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

#[test]
fn first_header_of_a_loaded_replica_is_not_a_config_change() {
    let now = Now::new(
        Instant::from_nanos(5_000_000_000),
        UnixMillis(1_700_000_100_000),
    );
    let text = format!(
        "{ME} 127.0.0.1:7000@17000 myself,master - 0 0 4 connected 0-8191\n\
         {B} 127.0.0.1:30002@31002 master - 0 0 2 disconnected 8192-16383\n\
         {R} 127.0.0.1:30004@31004 slave {B} 0 0 2 disconnected\n\
         vars currentEpoch 4 lastVoteEpoch 0\n"
    );
    let mut c = Cluster::load(config(0, 15000), Rng::from_seed(3), now, text.as_bytes())
        .expect("the file loads");
    let (b, r) = (c.lookup(&id(B)).unwrap(), c.lookup(&id(R)).unwrap());
    assert_eq!(c.node(r).unwrap().config_epoch, Epoch(2));
    assert_eq!(c.nodes_conf_text(), text, "the file round-trips");
    while c.poll_output().is_some() {}
    let generation = c.config_generation();

    // The replica opens a link to me and pings: its header carries its master's epoch and
    // slots, and the address the file holds.
    let link = LinkId(1);
    c.handle_link_accepted(now, link, addr("127.0.0.1:45000"), addr("127.0.0.1:17000"));
    let mut h = Header::new(id(R));
    h.port = 30004;
    h.cport = 31004;
    h.current_epoch = Epoch(4);
    h.config_epoch = Epoch(2);
    h.myslots = c.slot_map().slots_of(b);
    h.slaveof = Some(id(B));
    h.flags = NodeFlags::SLAVE;
    let msg = Message {
        header: h,
        payload: Payload::ping_like(MsgType::PING, Vec::new(), Vec::new()).unwrap(),
    };
    let mut buf = Vec::new();
    encode(&msg, &mut buf).unwrap();
    c.handle_link_data(now, link, &buf);

    assert_eq!(
        c.stats().received[usize::from(MsgType::PING.0)],
        1,
        "the ping was processed"
    );
    assert_eq!(
        c.stats().sent[usize::from(MsgType::PONG.0)],
        1,
        "and answered"
    );
    assert_eq!(c.node(r).unwrap().config_epoch, Epoch(2));
    assert_eq!(
        c.config_generation(),
        generation,
        "nothing to save after the replica's first header"
    );
}
