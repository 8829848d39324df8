//! Manual failover: `CLUSTER FAILOVER [FORCE|TAKEOVER]` on the replica, MFSTART and the write
//! pause on the master (`clusterCommand`, `clusterHandleManualFailover`,
//! `manualFailoverCheckTimeout`, `resetManualFailover`).
//!
//! Ref: cluster spec §4.5 and §4.6.

use hashslot_types::NodeId;

use crate::Millis;

/// `CLUSTER_MF_TIMEOUT` in ms.
pub const MF_TIMEOUT: Millis = 5000;
/// `CLUSTER_MF_PAUSE_MULT`: the master pauses writes for this many MF timeouts.
pub const MF_PAUSE_MULT: Millis = 2;

/// The option of CLUSTER FAILOVER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualMode {
    /// No option: coordinate with the master (MFSTART, paused offset), then elect.
    Default,
    /// FORCE: elect at once with FORCEACK, without the master.
    Force,
    /// TAKEOVER: no election; bump the epoch without consensus and take the slots.
    Takeover,
}

/// Why CLUSTER FAILOVER is refused. `Display` is Redis's text without `ERR `.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManualFailoverError {
    /// Sent to a master.
    #[error("You should send CLUSTER FAILOVER to a replica")]
    NotReplica,
    /// My master is not in my table.
    #[error("I'm a replica but my master is unknown to me")]
    MasterUnknown,
    /// Default mode while the master is FAIL or unlinked.
    #[error("Master is down or failed, please use CLUSTER FAILOVER FORCE")]
    MasterDown,
}

/// What the caller does once the request is accepted (reply `+OK` in every case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualStart {
    /// Send MFSTART to my master ("Manual failover user request accepted.").
    SendMfStart,
    /// The election may start at once ("Forced failover user request accepted.").
    ElectNow,
    /// Bump my epoch without consensus and replace my master now ("Taking over the master
    /// (user request).").
    TakeOver,
}

impl ManualStart {
    /// Redis's log line.
    pub fn log_line(self) -> &'static str {
        match self {
            ManualStart::SendMfStart => "Manual failover user request accepted.",
            ManualStart::ElectNow => "Forced failover user request accepted.",
            ManualStart::TakeOver => "Taking over the master (user request).",
        }
    }
}

/// The replica side: `mf_end`, `mf_can_start`, `mf_master_offset`.
#[derive(Debug, Clone, Default)]
pub struct ManualFailover {
    end: Option<Millis>,
    can_start: bool,
    master_offset: Option<i64>,
}

impl ManualFailover {
    /// No manual failover.
    pub fn new() -> Self {
        Self::default()
    }

    /// The checks of `CLUSTER FAILOVER`, in Redis's order. `master_down` is: my master is FAIL
    /// or I have no link to it.
    pub fn check_request(
        i_am_replica: bool,
        master_known: bool,
        master_down: bool,
        mode: ManualMode,
    ) -> Result<(), ManualFailoverError> {
        if !i_am_replica {
            return Err(ManualFailoverError::NotReplica);
        }
        if !master_known {
            return Err(ManualFailoverError::MasterUnknown);
        }
        if mode == ManualMode::Default && master_down {
            return Err(ManualFailoverError::MasterDown);
        }
        Ok(())
    }

    /// Accept a checked request at `now`: `mf_end = now + 5 s`.
    pub fn start(&mut self, now: Millis, mode: ManualMode) -> ManualStart {
        self.reset();
        self.end = Some(now + MF_TIMEOUT);
        match mode {
            ManualMode::Default => ManualStart::SendMfStart,
            ManualMode::Force => {
                self.can_start = true;
                ManualStart::ElectNow
            }
            ManualMode::Takeover => ManualStart::TakeOver,
        }
    }

    /// `mf_end != 0`.
    pub fn in_progress(&self) -> bool {
        self.end.is_some()
    }

    /// `mf_can_start`.
    pub fn can_start(&self) -> bool {
        self.can_start
    }

    /// The master's offset when it paused (`mf_master_offset`), once known.
    pub fn master_offset(&self) -> Option<i64> {
        self.master_offset
    }

    /// A packet from my master with PAUSED set carried `offset`: recorded the first time only.
    /// Returns whether it was recorded.
    pub fn handle_paused_offset(&mut self, offset: i64) -> bool {
        if self.end.is_none() || self.master_offset.is_some() {
            return false;
        }
        self.master_offset = Some(offset);
        true
    }

    /// `clusterHandleManualFailover`: once my processed offset reached the master's paused
    /// offset the election may start. Returns `true` when that just happened ("All master
    /// replication stream processed, manual failover can start.").
    pub fn handle_progress(&mut self, my_offset: i64) -> bool {
        if self.end.is_none() || self.can_start {
            return false;
        }
        match self.master_offset {
            Some(o) if o == my_offset => {
                self.can_start = true;
                true
            }
            _ => false,
        }
    }

    /// `manualFailoverCheckTimeout`: `true` when the attempt just timed out (and was reset):
    /// log "Manual failover timed out.".
    pub fn check_timeout(&mut self, now: Millis) -> bool {
        if self.end.is_some_and(|e| e < now) {
            self.reset();
            return true;
        }
        false
    }

    /// `resetManualFailover` on the replica side.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// The master side: paused for a replica's manual failover (`mf_end` and `mf_slave` on a
/// master). While active every message carries PAUSED and the replica is pinged each cron run.
#[derive(Debug, Clone, Default)]
pub struct ManualFailoverMaster {
    /// `(mf_end, mf_slave)`.
    active: Option<(Millis, NodeId)>,
}

impl ManualFailoverMaster {
    /// Not paused.
    pub fn new() -> Self {
        Self::default()
    }

    /// MFSTART from `replica` (the caller checked it is one of mine). Returns when the write
    /// pause ends (`now + 10 s`); log "Manual failover requested by replica %s." and send it a
    /// PING at once.
    pub fn handle_mfstart(&mut self, now: Millis, replica: NodeId) -> Millis {
        self.active = Some((now + MF_TIMEOUT, replica));
        now + MF_TIMEOUT * MF_PAUSE_MULT
    }

    /// The replica I am paused for, if any.
    pub fn replica(&self) -> Option<NodeId> {
        self.active.map(|(_, r)| r)
    }

    /// Whether messages carry PAUSED.
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// `manualFailoverCheckTimeout`: `true` when it just timed out (unpause writes).
    pub fn check_timeout(&mut self, now: Millis) -> bool {
        if self.active.is_some_and(|(end, _)| end < now) {
            self.active = None;
            return true;
        }
        false
    }

    /// `resetManualFailover` (e.g. I became a replica): `true` if I was paused (unpause).
    pub fn reset(&mut self) -> bool {
        self.active.take().is_some()
    }
}
