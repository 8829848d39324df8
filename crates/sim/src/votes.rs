//! The votes masters granted, as the simulator saw them, for the "at most one vote per epoch"
//! checker.
//!
//! A master logs `Failover auth granted to <id> for epoch <n>` when it decides to vote; its
//! ACK only leaves once the nodes.conf holding `lastVoteEpoch` is on disk (the durability
//! barrier). So a grant counts from the moment the first nodes.conf write issued after it
//! completes. A grant whose write never completes (the machine crashed first) never reached the
//! requester and may legitimately be granted again after the restart; it is not counted.

use std::collections::BTreeMap;

use hashslot_node::PersistToken;

use crate::Sim;

/// One vote a master granted (durably).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The voting node.
    pub node: usize,
    /// The epoch voted in.
    pub epoch: u64,
    /// The replica voted for.
    pub requester: String,
    /// Virtual time of the decision, in ms.
    pub at_ms: u64,
}

/// Grants, by how far they got.
#[derive(Debug, Default)]
pub(crate) struct Votes {
    /// Decided, waiting for the next nodes.conf write (per node).
    awaiting: BTreeMap<usize, Vec<Grant>>,
    /// Waiting for this write of this node to complete.
    writing: BTreeMap<(usize, u64), Vec<Grant>>,
    /// Durable: the ACK may have left.
    pub done: Vec<Grant>,
}

/// `Some((requester, epoch))` for a grant log line.
fn parse(message: &str) -> Option<(String, u64)> {
    let rest = message.strip_prefix("Failover auth granted to ")?;
    let (id, epoch) = rest.split_once(" for epoch ")?;
    Some((id.to_owned(), epoch.trim().parse().ok()?))
}

impl Sim {
    /// A node log line: note a grant.
    pub(crate) fn votes_log(&mut self, i: usize, message: &str) {
        if let Some((requester, epoch)) = parse(message) {
            let g = Grant {
                node: i,
                epoch,
                requester,
                at_ms: self.now_ms(),
            };
            self.votes.awaiting.entry(i).or_default().push(g);
        }
    }

    /// A nodes.conf write was issued: it carries the grants decided before it.
    pub(crate) fn votes_write(&mut self, i: usize, token: PersistToken) {
        if let Some(g) = self.votes.awaiting.remove(&i) {
            self.votes.writing.insert((i, token.0), g);
        }
    }

    /// A nodes.conf write completed.
    pub(crate) fn votes_durable(&mut self, i: usize, token: PersistToken) {
        if let Some(g) = self.votes.writing.remove(&(i, token.0)) {
            self.votes.done.extend(g);
        }
    }

    /// Node `i` crashed: grants not yet durable are void.
    pub(crate) fn votes_crash(&mut self, i: usize) {
        self.votes.awaiting.remove(&i);
        self.votes.writing.retain(|&(n, _), _| n != i);
    }

    /// Every vote granted durably so far, in order.
    pub fn grants(&self) -> &[Grant] {
        &self.votes.done
    }
}
