//! Master-side voting (`clusterSendFailoverAuthIfNeeded`).
//!
//! Ref: cluster spec §4.3 "Requesting and granting votes".

use hashslot_types::{Epoch, NodeId, Slot, SlotSet};

use crate::Millis;

/// A FAILOVER_AUTH_REQUEST as the voter sees it (all from the request's header).
#[derive(Debug, Clone, Copy)]
pub struct VoteRequest<'a> {
    /// The requesting replica.
    pub requester: NodeId,
    /// `hdr.currentEpoch`: the election epoch.
    pub request_epoch: Epoch,
    /// `hdr.configEpoch`: the configEpoch of the requester's master.
    pub request_config_epoch: Epoch,
    /// `hdr.myslots`: the slots of the requester's master.
    pub claimed_slots: &'a SlotSet,
    /// `CLUSTERMSG_FLAG0_FORCEACK`: manual failover.
    pub force_ack: bool,
}

/// The requester's master as the voter knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequesterMaster {
    /// Flagged FAIL.
    pub failed: bool,
    /// When I last voted for a replica of it (monotonic ms).
    pub voted_time: Option<Millis>,
}

/// The voter's state.
#[derive(Clone, Copy)]
pub struct VoterView<'a> {
    /// Monotonic ms.
    pub now: Millis,
    /// `cluster-node-timeout` in ms.
    pub node_timeout: Millis,
    /// I am a master.
    pub i_am_master: bool,
    /// Slots I serve.
    pub my_slots: usize,
    /// My `currentEpoch` (already raised to the request's by the header processing).
    pub current_epoch: Epoch,
    /// My `lastVoteEpoch`.
    pub last_vote_epoch: Epoch,
    /// The requester is flagged master in my table.
    pub requester_is_master: bool,
    /// The requester's master, if known.
    pub requester_master: Option<RequesterMaster>,
    /// For a slot: the configEpoch of its current owner, `None` when unassigned or when the
    /// owner no longer claims it (`isSlotUnclaimed`).
    pub slot_owner_epoch: &'a dyn Fn(Slot) -> Option<Epoch>,
}

impl std::fmt::Debug for VoterView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoterView")
            .field("now", &self.now)
            .field("i_am_master", &self.i_am_master)
            .field("my_slots", &self.my_slots)
            .field("current_epoch", &self.current_epoch)
            .field("last_vote_epoch", &self.last_vote_epoch)
            .field("requester_is_master", &self.requester_is_master)
            .field("requester_master", &self.requester_master)
            .finish_non_exhaustive()
    }
}

/// Why a vote is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefuseReason {
    /// I am not a master serving slots (Redis returns silently).
    NotAVoter,
    /// The request's epoch is older than mine.
    StaleEpoch {
        /// The request's epoch.
        request: Epoch,
        /// Mine.
        current: Epoch,
    },
    /// I already voted in this epoch.
    AlreadyVoted {
        /// The epoch.
        epoch: Epoch,
    },
    /// The requester is a master.
    RequesterIsMaster,
    /// I do not know the requester's master.
    UnknownMaster,
    /// The requester's master is not FAIL and FORCEACK is not set.
    MasterUp,
    /// I voted for a replica of that master less than `2 × node_timeout` ago.
    TooSoon {
        /// Ms until I may vote for that master again.
        remaining: Millis,
    },
    /// A claimed slot is served with a newer configEpoch than the request's.
    SlotEpoch {
        /// The slot.
        slot: Slot,
        /// Its owner's configEpoch.
        owner_epoch: Epoch,
        /// The request's configEpoch.
        request_epoch: Epoch,
    },
}

impl RefuseReason {
    /// Redis's warning line for the refusal to `requester`, `None` where Redis logs nothing.
    pub fn log_line(&self, requester: &NodeId) -> Option<String> {
        let why = match *self {
            RefuseReason::NotAVoter => return None,
            RefuseReason::StaleEpoch { request, current } => {
                format!("reqEpoch ({}) < curEpoch({})", request.0, current.0)
            }
            RefuseReason::AlreadyVoted { epoch } => format!("already voted for epoch {}", epoch.0),
            RefuseReason::RequesterIsMaster => "it is a master node".to_owned(),
            RefuseReason::UnknownMaster => "I don't know its master".to_owned(),
            RefuseReason::MasterUp => "its master is up".to_owned(),
            RefuseReason::TooSoon { remaining } => {
                format!("can't vote about this master before {remaining} milliseconds")
            }
            RefuseReason::SlotEpoch {
                slot,
                owner_epoch,
                request_epoch,
            } => format!(
                "slot {slot} epoch ({}) > reqEpoch ({})",
                owner_epoch.0, request_epoch.0
            ),
        };
        Some(format!("Failover auth denied to {requester}: {why}"))
    }
}

/// The outcome of [`VoteDecision::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteDecision {
    /// Grant: set `lastVoteEpoch = epoch` and the master's `voted_time = now`, write both
    /// durably, and only then send FAILOVER_AUTH_ACK to the requester.
    Vote {
        /// The epoch voted in (my `currentEpoch`).
        epoch: Epoch,
    },
    /// Refuse; nothing is sent.
    Refuse(RefuseReason),
}

impl VoteDecision {
    /// `clusterSendFailoverAuthIfNeeded`, the checks in Redis's order.
    pub fn decide(req: &VoteRequest<'_>, me: &VoterView<'_>) -> VoteDecision {
        use RefuseReason::*;
        let refuse = VoteDecision::Refuse;
        if !me.i_am_master || me.my_slots == 0 {
            return refuse(NotAVoter);
        }
        if req.request_epoch < me.current_epoch {
            return refuse(StaleEpoch {
                request: req.request_epoch,
                current: me.current_epoch,
            });
        }
        // One vote per epoch. `last_vote_epoch` is durable before any ACK leaves, so this
        // holds across a crash and restart.
        if me.last_vote_epoch == me.current_epoch {
            return refuse(AlreadyVoted {
                epoch: me.current_epoch,
            });
        }
        if me.requester_is_master {
            return refuse(RequesterIsMaster);
        }
        let Some(master) = me.requester_master else {
            return refuse(UnknownMaster);
        };
        if !master.failed && !req.force_ack {
            return refuse(MasterUp);
        }
        // Ref: one replica per master every 2 × node_timeout, so that the second-best replica
        // cannot win right after the best one (it would have to wait for the first to expire).
        if let Some(t) = master.voted_time {
            let elapsed = me.now - t;
            if elapsed < me.node_timeout * 2 {
                return refuse(TooSoon {
                    remaining: me.node_timeout * 2 - elapsed,
                });
            }
        }
        // Ref: every claimed slot must be served by an epoch not newer than the request's:
        // a replica of an old master cannot win slots that moved on.
        for slot in req.claimed_slots.iter() {
            if let Some(owner_epoch) = (me.slot_owner_epoch)(slot) {
                if owner_epoch > req.request_config_epoch {
                    return refuse(SlotEpoch {
                        slot,
                        owner_epoch,
                        request_epoch: req.request_config_epoch,
                    });
                }
            }
        }
        VoteDecision::Vote {
            epoch: me.current_epoch,
        }
    }

    /// Redis's log line for a grant.
    pub fn granted_line(requester: &NodeId, epoch: Epoch) -> String {
        format!("Failover auth granted to {requester} for epoch {}", epoch.0)
    }
}
