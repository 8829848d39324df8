//! `CLUSTER FAILOVER [FORCE|TAKEOVER]` (`clusterCommand`): Redis's argument handling and error
//! texts; the checks and the work are the cluster's ([`Cluster::manual_failover`]).
//!
//! Ref: cluster spec §4.5.

use hashslot_gossip::{Cluster, ManualMode};
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cluster, err, syntax_sub};
use crate::cluster::failover_tuning;
use crate::session::Client;
use crate::Node;

/// CLUSTER FAILOVER: `+OK` once accepted (the failover itself continues in the background;
/// TAKEOVER's reply waits until its new epoch is on disk, as Redis saves before replying).
pub(super) fn failover(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let start = c.out.len();
    let tuning = failover_tuning(&node.config);
    let Some(cl) = cluster(node, c) else { return };
    if args.len() > 3 {
        return syntax_sub(c, args);
    }
    let mode = match args.get(2).map(|a| a.to_ascii_lowercase()) {
        None => ManualMode::Default,
        Some(o) if o == b"force" => ManualMode::Force,
        Some(o) if o == b"takeover" => ManualMode::Takeover,
        Some(_) => return c.reply().error(&ErrorReply::Syntax),
    };
    cl.set_failover_tuning(tuning);
    match Cluster::manual_failover(cl, now, mode) {
        Ok(()) => c.reply().ok(),
        Err(e) => return err(c, format!("ERR {e}")),
    }
    let gen = cl.config_generation();
    node.cluster_drain(now);
    if mode == ManualMode::Takeover {
        node.hold_reply_until_saved(c, start, gen, false);
    }
}
