//! Failover scenarios on top of the in-test network (`common`): clusters with replicas,
//! restarts from the persisted nodes.conf, and views of who owns what.
#![allow(dead_code)]

use hashslot_bus::NodeFlags;
use hashslot_gossip::Cluster;
use hashslot_types::{Epoch, NodeId, Rng, Slot};

mod net;
pub use net::*;

/// The slot ranges of the three masters.
pub const RANGES: [(u16, u16); 3] = [(0, 5460), (5461, 10922), (10923, 16383)];

/// Nodes 0..3 are masters with epochs 1..3; node `3 + k` replicates master `masters_of[k]`.
pub fn cluster_with_replicas(masters_of: &[usize], node_timeout: u64, seed: u64) -> Net {
    let n = 3 + masters_of.len();
    let mut net = Net::new(n, node_timeout, seed);
    let now = net.now;
    for (i, (a, b)) in RANGES.into_iter().enumerate() {
        net.add_slots(i, a, b);
        net.nodes[i].set_config_epoch(now, i as i64 + 1).unwrap();
    }
    for i in 1..n {
        net.meet(i, 0);
    }
    net.run_until(30_000, "all nodes converge", |n| n.converged());
    for (k, &m) in masters_of.iter().enumerate() {
        let id = net.nodes[m].myself_id().to_string();
        let now = net.now;
        net.nodes[3 + k]
            .replicate(now, id.as_bytes(), true)
            .unwrap();
        net.settle();
    }
    let want: Vec<(usize, usize)> = masters_of
        .iter()
        .enumerate()
        .map(|(k, &m)| (3 + k, m))
        .collect();
    net.run_until(30_000, "replicas known everywhere", |n| {
        (0..n.nodes.len()).all(|v| want.iter().all(|&(r, m)| master_seen(n, v, r) == Some(m)))
    });
    net.run_until(30_000, "cluster state ok", |n| {
        n.nodes.iter().all(|c| c.is_state_ok())
    });
    net
}

/// Index of the node with id `id`.
pub fn index_of(net: &Net, id: NodeId) -> Option<usize> {
    (0..net.nodes.len()).find(|&i| net.nodes[i].myself_id() == id)
}

/// The master of `about` as `viewer` sees it, as a node index.
pub fn master_seen(net: &Net, viewer: usize, about: usize) -> Option<usize> {
    let c = &net.nodes[viewer];
    let r = c.lookup(&net.nodes[about].myself_id())?;
    let n = c.node(r)?;
    if !n.has(NodeFlags::SLAVE) {
        return None;
    }
    let m = n.slaveof?;
    index_of(net, c.node(m)?.name)
}

/// Owner of `slot` as `viewer` sees it, as a node index.
pub fn owner_seen(net: &Net, viewer: usize, slot: u16) -> Option<usize> {
    let c = &net.nodes[viewer];
    let r = c.slot_map().owner(Slot::new(slot).unwrap())?;
    index_of(net, c.node(r)?.name)
}

/// Whether every live node sees `owner` as the owner of the first slot of each of `slots`.
pub fn all_agree_owner(net: &Net, slot: u16, owner: usize) -> bool {
    (0..net.nodes.len())
        .filter(|&i| !net.down[i])
        .all(|i| owner_seen(net, i, slot) == Some(owner))
}

/// Whether node `i` is a master in its own view.
pub fn is_master(net: &Net, i: usize) -> bool {
    !net.nodes[i].is_replica()
}

/// My configEpoch.
pub fn my_epoch(net: &Net, i: usize) -> Epoch {
    let c = &net.nodes[i];
    c.node(c.myself_ref()).unwrap().config_epoch
}

/// Restart crashed node `i` from the nodes.conf it last wrote.
pub fn restart(net: &mut Net, i: usize, seed: u64) {
    let conf = net.persisted[i].clone().expect("a persisted nodes.conf");
    let cfg = net.nodes[i].config().clone();
    net.nodes[i] = Cluster::load(cfg, Rng::from_seed(seed), net.now, conf.as_bytes()).unwrap();
    net.down[i] = false;
    net.settle();
}

/// Messages of type `t` delivered from `from` since index `since` of the transcript.
pub fn delivered_from(net: &Net, since: usize, from: usize, t: u16) -> usize {
    net.delivered[since..]
        .iter()
        .filter(|&&(f, _, ty)| f == from && ty == t)
        .count()
}
