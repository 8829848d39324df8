//! The standalone `FAILOVER` command's coordination (Redis 6.2+): a master hands its role to
//! one of its replicas without losing writes.
//! Ref: replication.c (7.0) failoverCommand, updateFailoverStatus, abortFailover,
//! clearFailoverState, and the FAILOVER parts of syncCommand and syncWithMaster.
//!
//! The round, on the master that got `FAILOVER`:
//! 1. `waiting-for-sync`: client writes are paused (the failover's own pause purpose, so
//!    `CLIENT UNPAUSE` does not end it) and every cron tick looks for the target (or, with no
//!    `TO`, any replica) whose acknowledged offset equals `master_repl_offset`. `TIMEOUT`
//!    bounds this wait: then the round is aborted, or with `FORCE` it goes on anyway.
//! 2. `failover-in-progress`: this node becomes a replica of the target, keeping its own
//!    history as a cached master, and its `PSYNC` carries a third argument, `FAILOVER`.
//! 3. The target, on `PSYNC <its replid> <offset> FAILOVER` from anyone, promotes itself and
//!    answers the `PSYNC` as the new master (`+CONTINUE <new id>` normally). On that answer
//!    (or `+FULLRESYNC`) the old master's round is over and its writers, released, meet
//!    `-READONLY`; on an error it becomes a master again (`abortFailover`).
//!
//! The replica machine (`hashslot-repl`) knows nothing of this: the node adds the `FAILOVER`
//! argument to the `PSYNC` it sends while a round is in progress, and reads the answer from the
//! state the machine moved to (`Transfer`/`Connected`: accepted; a `SYNC` fallback or a dropped
//! link: rejected).
//!
//! The other replicas of the old master stay connected to it through the switch (a replica
//! serves sub-replicas, see `hashslot_repl::ReplicationReplica::downstream`): when the old
//! master's `PSYNC FAILOVER` is answered `+CONTINUE <new id>`, its history changes, so it
//! disconnects them and they continue with it at once through its `replid2` — a chain
//! new master → old master → other replicas, as with Redis. The `REPLCONF` options a future
//! master needs (the old master's handshake with the target came before the `PSYNC FAILOVER`)
//! are kept by the replica's sub-replica machine, which the promotion turns into the master's.

use std::time::Duration;

use bytes::Bytes;
use hashslot_repl::{encode_command, LinkState, ReplicaOutput, ReplicaState};
use hashslot_resp::{ErrorReply, Limits, RequestParser};
use hashslot_types::{Instant, Now};

use super::Role;
use crate::session::Client;
use crate::{LogLevel, Node};

/// Redis's `failover_state` (INFO `master_failover_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum FailoverState {
    /// `no-failover`.
    #[default]
    NoFailover,
    /// `waiting-for-sync`: writes paused, waiting for a replica to reach our offset.
    WaitForSync,
    /// `failover-in-progress`: we follow the target and ask it to take over.
    InProgress,
}

impl FailoverState {
    /// The INFO word.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FailoverState::NoFailover => "no-failover",
            FailoverState::WaitForSync => "waiting-for-sync",
            FailoverState::InProgress => "failover-in-progress",
        }
    }
}

/// A parsed `FAILOVER [TO host port [FORCE]] [TIMEOUT ms]` (without `ABORT`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct FailoverRequest {
    /// `TO host port`: Redis keeps the port as a `long` and compares it with the replicas'
    /// listening ports, so an out-of-range port is simply "not a replica".
    pub target: Option<(String, i64)>,
    /// `TIMEOUT ms` (positive), `None` to wait forever.
    pub timeout_ms: Option<i64>,
    /// `FORCE`.
    pub force: bool,
}

/// The failover round's state (Redis's `failover_*` and `target_replica_*` fields).
#[derive(Debug, Default)]
pub(crate) struct Failover {
    state: FailoverState,
    /// `target_replica_host`/`port`: given by `TO`, or the first replica found caught up.
    target: Option<(String, u16)>,
    /// `failover_end_time` (monotonic here).
    end: Option<Instant>,
    /// `force_failover`.
    force: bool,
    /// The `PSYNC ... FAILOVER` went out on the current link to the target.
    psync_sent: bool,
    /// The target answered it with an error (the replica machine fell back to `SYNC`).
    rejected: bool,
}

impl Failover {
    /// Replace the `master_failover_state:` line of a `# Replication` body (the replication
    /// machines always write `no-failover`: they know nothing of the round).
    pub(crate) fn patch_info(&self, body: String) -> String {
        if self.state == FailoverState::NoFailover {
            return body;
        }
        body.replace(
            "master_failover_state:no-failover\r\n",
            &format!("master_failover_state:{}\r\n", self.state.as_str()),
        )
    }
}

impl Node {
    /// `FAILOVER ABORT`. Ref: failoverCommand.
    pub(crate) fn failover_abort_command(&mut self, now: Now) -> Result<(), &'static str> {
        if self.repl.failover.state == FailoverState::NoFailover {
            return Err("ERR No failover in progress.");
        }
        self.failover_abort(now, "Failover manually aborted");
        Ok(())
    }

    /// Start a round (`FAILOVER` without `ABORT`, already parsed); the error text on refusal,
    /// checked in Redis's order.
    pub(crate) fn failover_start(
        &mut self,
        now: Now,
        req: FailoverRequest,
    ) -> Result<(), &'static str> {
        if self.repl.failover.state != FailoverState::NoFailover {
            return Err("ERR FAILOVER already in progress.");
        }
        let Role::Master(m) = &self.repl.role else {
            return Err("ERR FAILOVER is not valid when server is a replica.");
        };
        if !m.replicas().any(|s| s.is_replica()) {
            return Err("ERR FAILOVER requires connected replicas.");
        }
        if req.force && (req.timeout_ms.is_none() || req.target.is_none()) {
            return Err(
                "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
            );
        }
        let mut target = None;
        let line = match &req.target {
            Some((host, port)) => {
                let online = match find_replica(m, host, *port) {
                    None => return Err("ERR FAILOVER target HOST and PORT is not a replica."),
                    Some(s) => s.state == ReplicaState::Online,
                };
                if !online {
                    return Err("ERR FAILOVER target replica is not online.");
                }
                // find_replica matched the port against a u16 listening port.
                target = Some((host.clone(), *port as u16));
                format!("FAILOVER requested to {host}:{port}.")
            }
            None => "FAILOVER requested to any replica.".to_owned(),
        };
        self.log(LogLevel::Notice, line);
        let f = &mut self.repl.failover;
        f.target = target;
        f.end = req
            .timeout_ms
            .map(|ms| now.mono.saturating_add(Duration::from_millis(ms as u64)));
        f.force = req.force;
        f.psync_sent = false;
        f.rejected = false;
        f.state = FailoverState::WaitForSync;
        // Ref: failoverCommand pauses writes with no end; the round's end unpauses.
        self.repl_pause_writes(Instant::from_nanos(u64::MAX));
        Ok(())
    }

    /// The cron's check of a round waiting for sync (Redis's `updateFailoverStatus`, run at
    /// the top of `replicationCron`, every 100 ms while a round is on).
    pub(crate) fn failover_cron(&mut self, now: Now) {
        let f = &self.repl.failover;
        if f.state != FailoverState::WaitForSync {
            return;
        }
        if f.end.is_some_and(|end| end <= now.mono) {
            if f.force {
                // `FORCE` was only accepted with a target.
                let Some((host, port)) = f.target.clone() else {
                    return self.failover_abort(now, "Replica never caught up before timeout");
                };
                self.log(
                    LogLevel::Notice,
                    format!("FAILOVER to {host}:{port} time out exceeded, failing over."),
                );
                return self.failover_switch(now, &host, port);
            }
            return self.failover_abort(now, "Replica never caught up before timeout");
        }
        let Role::Master(m) = &self.repl.role else {
            return;
        };
        let offset = m.master_repl_offset();
        let caught_up = match &f.target {
            Some((host, port)) => find_replica(m, host, i64::from(*port))
                .filter(|s| s.ack_offset == offset)
                .map(|_| (host.clone(), *port)),
            None => m
                .replicas()
                .filter(|s| s.is_replica())
                .find(|s| s.ack_offset == offset)
                .map(|s| {
                    let ip = s.announced_ip.as_deref().unwrap_or(&s.peer_ip);
                    (ip.to_owned(), s.listening_port)
                }),
        };
        if let Some((host, port)) = caught_up {
            self.repl.failover.target = Some((host.clone(), port));
            self.log(
                LogLevel::Notice,
                format!("Failover target {host}:{port} is synced, failing over."),
            );
            self.failover_switch(now, &host, port);
        }
    }

    /// Follow the target and ask it to take over (`replicationSetMaster` with the round in
    /// progress: our history becomes the cached master the `PSYNC FAILOVER` offers).
    fn failover_switch(&mut self, now: Now, host: &str, port: u16) {
        let f = &mut self.repl.failover;
        f.state = FailoverState::InProgress;
        f.psync_sent = false;
        f.rejected = false;
        self.repl_become_replica(now, host, port);
    }

    /// End the round without a switch (`abortFailover`): a node that already follows the
    /// target becomes a master again.
    pub(crate) fn failover_abort(&mut self, now: Now, why: &str) {
        let f = &self.repl.failover;
        if f.state == FailoverState::NoFailover {
            return;
        }
        let line = match &f.target {
            Some((host, port)) => format!("FAILOVER to {host}:{port} aborted: {why}"),
            None => format!("FAILOVER to any replica aborted: {why}"),
        };
        let was_in_progress = f.state == FailoverState::InProgress;
        self.log(LogLevel::Notice, line);
        // Cleared first: becoming a master drains the replication outputs, which looks at the
        // round again.
        self.failover_clear(now, false);
        if was_in_progress {
            self.repl_become_master(now);
            self.repl_drain(now, None);
        }
        self.repl_unpause_writes(now);
    }

    /// Forget the round (`clearFailoverState`), and end its pause when `unpause`.
    fn failover_clear(&mut self, now: Now, unpause: bool) {
        let f = &mut self.repl.failover;
        f.state = FailoverState::NoFailover;
        f.target = None;
        f.end = None;
        f.force = false;
        f.psync_sent = false;
        f.rejected = false;
        if unpause {
            self.repl_unpause_writes(now);
        }
    }

    /// What the replica machine asks to send, seen while a round is in progress: its `PSYNC`
    /// gets the `FAILOVER` argument, and a `SYNC` after it means the target answered with an
    /// error (the machine's fallback for masters without PSYNC), which ends the round instead.
    /// Returns the output to carry out, `None` to drop it.
    pub(crate) fn failover_filter_output(&mut self, out: ReplicaOutput) -> Option<ReplicaOutput> {
        let f = &mut self.repl.failover;
        if f.state != FailoverState::InProgress {
            return Some(out);
        }
        let ReplicaOutput::SendToMaster(data) = &out else {
            return Some(out);
        };
        let Some(argv) = parse_command(data) else {
            return Some(out);
        };
        let name = argv.first().map(Vec::as_slice).unwrap_or_default();
        if name.eq_ignore_ascii_case(b"psync") && argv.len() == 3 {
            f.psync_sent = true;
            let mut bytes = Vec::with_capacity(data.len() + 24);
            let failover: &[u8] = b"FAILOVER";
            encode_command(&[&argv[0][..], &argv[1], &argv[2], failover], &mut bytes);
            return Some(ReplicaOutput::SendToMaster(Bytes::from(bytes)));
        }
        if name.eq_ignore_ascii_case(b"sync") && f.psync_sent {
            f.rejected = true;
            return None;
        }
        Some(out)
    }

    /// After the replication outputs are drained: whether the target answered our
    /// `PSYNC FAILOVER`. Ref: syncWithMaster: `+CONTINUE` or `+FULLRESYNC` ends the round, any
    /// other answer aborts it.
    pub(crate) fn failover_after_drain(&mut self, now: Now) {
        let f = &self.repl.failover;
        if f.state != FailoverState::InProgress || !f.psync_sent {
            return;
        }
        let Role::Replica(r) = &self.repl.role else {
            return;
        };
        let accepted = match r.state() {
            _ if f.rejected => false,
            LinkState::Transfer | LinkState::Loading | LinkState::Connected => true,
            LinkState::Connect | LinkState::Connecting => false,
            _ => return,
        };
        if accepted {
            self.failover_clear(now, true);
        } else {
            self.failover_abort(now, "Failover target rejected psync request");
        }
    }

    /// Before a command runs (after its checks): the parts of the round other commands see.
    /// Ref: replicaofCommand and syncCommand. Returns the error to refuse the command with.
    ///
    /// - `REPLICAOF`/`SLAVEOF` are refused while a round is on;
    /// - `PSYNC <replid> <offset> FAILOVER` to a replica whose id is `replid` promotes it first
    ///   (the `PSYNC` then runs on the new master), and is refused otherwise;
    /// - `SYNC`/`PSYNC` are refused while a round is on.
    pub(crate) fn failover_refusal(
        &mut self,
        now: Now,
        client: &Client,
        name: &str,
        args: &[&[u8]],
    ) -> Option<ErrorReply> {
        let on = self.repl.failover.state != FailoverState::NoFailover;
        match name {
            "replicaof" | "slaveof" if on => Some(ErrorReply::msg(
                "ERR REPLICAOF not allowed while failing over.",
            )),
            "psync" | "sync" => {
                // A replica connection repeating SYNC is ignored by the normal path.
                if self.repl.is_replica_conn(client.conn) {
                    return None;
                }
                let failover = name == "psync"
                    && args
                        .get(3)
                        .is_some_and(|a| a.eq_ignore_ascii_case(b"failover"));
                if failover {
                    if let Some(err) = self.failover_requested(now, client, args[1]) {
                        return Some(err);
                    }
                }
                if self.repl.failover.state != FailoverState::NoFailover {
                    return Some(ErrorReply::msg(
                        "NOMASTERLINK Can't SYNC while failing over",
                    ));
                }
                None
            }
            _ => None,
        }
    }

    /// `PSYNC <replid> <offset> FAILOVER` from `client`: become a master when `replid` is ours.
    fn failover_requested(
        &mut self,
        now: Now,
        client: &Client,
        replid: &[u8],
    ) -> Option<ErrorReply> {
        self.log(
            LogLevel::Warning,
            format!(
                "Failover request received for replid {}.",
                String::from_utf8_lossy(replid)
            ),
        );
        let Role::Replica(r) = &self.repl.role else {
            return Some(ErrorReply::msg(
                "ERR PSYNC FAILOVER can't be sent to a master.",
            ));
        };
        // Ref: syncCommand compares with strcasecmp.
        let mine = r.history().replid;
        if !replid.eq_ignore_ascii_case(mine.as_str().as_bytes()) {
            return Some(ErrorReply::msg(
                "ERR PSYNC FAILOVER replid must match my replid.",
            ));
        }
        self.repl_become_master(now);
        self.log(
            LogLevel::Notice,
            format!(
                "MASTER MODE enabled (failover request from '{}')",
                client.addr.peer
            ),
        );
        self.repl_drain(now, None);
        None
    }
}

/// The replica Redis's `findReplica` picks: a replica (past its PSYNC) whose announced address
/// (else peer address) equals `host`, ignoring case, and whose listening port is `port`.
fn find_replica<'a>(
    m: &'a hashslot_repl::ReplicationMaster,
    host: &str,
    port: i64,
) -> Option<&'a hashslot_repl::ReplicaSession> {
    m.replicas().filter(|s| s.is_replica()).find(|s| {
        let ip = s.announced_ip.as_deref().unwrap_or(&s.peer_ip);
        ip.eq_ignore_ascii_case(host) && i64::from(s.listening_port) == port
    })
}

/// The one command in `data` (the replica machine sends each `PSYNC`/`SYNC` alone), or `None`
/// when it holds anything else.
fn parse_command(data: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut parser = RequestParser::new(Limits::default());
    match parser.parse(data) {
        Ok(Some(n)) if n == data.len() => Some(parser.args(data).map(<[u8]>::to_vec).collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_line_follows_the_state() {
        let mut f = Failover::default();
        let body = "role:master\r\nmaster_failover_state:no-failover\r\nmaster_replid:x\r\n";
        assert_eq!(f.patch_info(body.to_owned()), body);
        f.state = FailoverState::WaitForSync;
        assert_eq!(
            f.patch_info(body.to_owned()),
            "role:master\r\nmaster_failover_state:waiting-for-sync\r\nmaster_replid:x\r\n"
        );
        f.state = FailoverState::InProgress;
        assert!(f
            .patch_info(body.to_owned())
            .contains("master_failover_state:failover-in-progress\r\n"));
    }

    #[test]
    fn psync_is_recognised_alone() {
        let mut one = Vec::new();
        encode_command(&["PSYNC", "?", "-1"], &mut one);
        assert_eq!(
            parse_command(&one),
            Some(vec![b"PSYNC".to_vec(), b"?".to_vec(), b"-1".to_vec()])
        );
        let mut two = one.clone();
        two.extend_from_slice(&one);
        assert_eq!(parse_command(&two), None);
        assert_eq!(parse_command(b"*1\r\n$4\r\nPSY"), None);
    }
}
