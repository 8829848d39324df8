//! Shared by the data-age failover tests: a 3-master, 1-replica-each cluster with a short node
//! timeout, the replica of master 0 under test, and probes of its replication state and log.
#![allow(dead_code)] // each test file uses a part

use hashslot_resp::Frame;
use hashslot_sim::{Failure, Sim};

/// `cluster-node-timeout` in ms.
pub const NT: u64 = 1_000;
/// Masters are nodes 0..3; node 3 + m replicates master m.
pub const MASTER: usize = 0;
pub const REPLICA: usize = 3;
/// The data-age limit with the defaults (factor 10, ping period 10 s) and `NT`, plus the
/// node timeout that Redis subtracts first.
pub const LIMIT_MS: u64 = 10 * NT + 10_000 + NT;
/// Redis's line, as the node logs it.
pub const DATA_AGE_LOG: &str = "Currently unable to failover: Disconnected from master for \
                                longer than allowed. Please check the \
                                'cluster-replica-validity-factor' configuration option.";

/// A field of `INFO replication` on node `i`.
pub fn repl_field(sim: &mut Sim, i: usize, name: &str) -> Option<String> {
    let Some(Frame::Bulk(b)) = sim.probe(i, &[b"INFO", b"replication"]) else {
        return None;
    };
    String::from_utf8_lossy(&b)
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::to_owned))
}

/// Run until the replica's link is `status` ("up" or "down"), within `ms`.
pub fn until_link(sim: &mut Sim, status: &str, ms: u64) -> Result<(), Failure> {
    let start = sim.now_ms();
    while repl_field(sim, REPLICA, "master_link_status").as_deref() != Some(status) {
        if sim.now_ms() > start + ms {
            return Err(Failure::new(sim, format!("link not {status} in {ms} ms")));
        }
        sim.run_for(100);
    }
    Ok(())
}

/// Whether node `i` says it is a master serving slots.
pub fn serves_slots(sim: &Sim, i: usize) -> bool {
    sim.view(i)
        .and_then(|v| v.myself().cloned())
        .is_some_and(|m| m.is_master() && !m.slots.is_empty())
}

/// Trace lines of node `i`'s log that contain `text`.
pub fn logged(sim: &Sim, i: usize, text: &str) -> usize {
    let who = format!(" n{i} log ");
    sim.trace()
        .lines()
        .unwrap_or_default()
        .iter()
        .filter(|l| l.contains(&who) && l.contains(text))
        .count()
}
