//! Whole-slot migration driven by the source node (`CLUSTER MIGRATESLOTS`), built on the same
//! two pieces as the legacy `SETSLOT`/`MIGRATE` path.
//!
//! # Design
//!
//! Redis 7.0 moves a slot with an external tool (redis-cli) that makes four kinds of calls:
//! `SETSLOT s IMPORTING src` on the target, `SETSLOT s MIGRATING dst` on the source, repeated
//! `GETKEYSINSLOT` + `MIGRATE … KEYS …` on the source, and `SETSLOT s NODE dst` on the target and
//! then the source (the target bumps its config epoch, so the cluster adopts the change). Each
//! key move costs the tool a round trip. A job does the same calls from inside the source:
//!
//! Slots move one after the other, each through three steps:
//!
//! 1. **Open.** An op on the MIGRATE connection to the target sends `CLUSTER SETSLOT s
//!    IMPORTING <me>`; only on its `+OK` does the source mark the slot MIGRATING itself (the
//!    order redis-cli uses: a source never sends ASK to a target that would answer MOVED).
//!    Only the slot being moved is open (a failure leaves one slot to repair, not the range):
//!    each SETSLOT is a nodes.conf write on both sides, so opening them all first would
//!    cost as much as moving them.
//! 2. **Keys.** For the current slot, up to `BATCH` keys (and about 4 MB of payload) are sent as
//!    `RESTORE-ASKING key ttl payload REPLACE`, and the acknowledged ones deleted here with one
//!    `DEL` — the very op a client's MIGRATE runs (`super`), with the same atomicity: no client
//!    command runs while an op is in flight, and between ops every waiting client runs first.
//!    `REPLACE` is safe: while a slot is MIGRATING the source's copy is the truth (a client
//!    is sent to the target only for keys the source lacks), and it makes a batch resent after
//!    an unknown outcome idempotent.
//! 3. **Finalize.** When the slot has no key left here: `CLUSTER SETSLOT s NODE <target>` to
//!    the target, and on its `+OK` the same transition locally (`set_slot_node`), in the same
//!    step so no client command sees a half-finished slot. The next slot's `IMPORTING` rides in
//!    the same op (one round trip per slot boundary).
//!
//! Clients see what the legacy path shows them: ASK for keys already moved, TRYAGAIN for
//! multi-key commands over a half-moved slot, MOVED once the slot is final — routing reads the
//! same MIGRATING/IMPORTING states.
//!
//! # Failures
//!
//! Any error (connect or read timeout, the connection closed, the target refusing a command)
//! stops the job: it records the error and changes nothing more. Slots stay MIGRATING here and
//! IMPORTING there — the state a killed redis-cli leaves — so `redis-cli --cluster fix` or the
//! same `CLUSTER MIGRATESLOTS` again finishes them: a retry accepts slots already MIGRATING to
//! the same target and skips slots the target already owns (closing them here if they are
//! still MIGRATING: the target took them but its reply was lost). A key is deleted here only after
//! the target acknowledged it; a batch whose replies were lost may have left copies on the
//! target, which stay invisible (the source still serves those keys) until the retry
//! overwrites them with `REPLACE`. If the source dies, the job is gone but its slot states are
//! in nodes.conf; the retry resumes from what is left (keys whose local DEL the crash lost
//! made the restarted source mark their slot importing from the target, as Redis's startup
//! check does; the retry drops those keys and closes that mark). If the target dies after a `SETSLOT
//! NODE`, its bumped epoch reaches the source by gossip and closes the slot here.
//!
//! Known window (as with Redis's MIGRATE): a key whose batch outcome was lost and that a
//! client then deletes on the source keeps its stale copy on the target.

use hashslot_types::{Instant, Now, Slot};

use super::{Outcome, Owner, Request};
use crate::{LogLevel, Node};

/// Keys per batch unless the command says otherwise.
pub(crate) const DEFAULT_BATCH: usize = 256;
/// Read/connect timeout unless the command says otherwise (ms).
pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// A batch stops growing past this many request bytes (one large key may exceed it alone).
const BATCH_BYTES: usize = 4 << 20;

/// How a slot migration job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobState {
    /// Moving keys or slots.
    Running,
    /// Every slot moved.
    Done,
    /// Stopped by an error (see [`SlotMigrationStatus::last_error`]); open slots stay open.
    Failed,
    /// Stopped by `CLUSTER MIGRATESLOTS CANCEL`; open slots stay open.
    Cancelled,
}

/// The progress of the node's slot migration job (`CLUSTER MIGRATESLOTS STATUS` as a value),
/// from [`Node::slot_migration`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlotMigrationStatus {
    /// Where it stands.
    pub state: JobState,
    /// The target's node id.
    pub target: String,
    /// Slots the job moves.
    pub slots_total: usize,
    /// Of them, finished (owned by the target).
    pub slots_done: usize,
    /// Keys the target acknowledged.
    pub keys_moved: u64,
    /// Why it failed.
    pub last_error: Option<String>,
}

impl JobState {
    /// The word STATUS prints.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }
}

/// What the op in flight is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// `SETSLOT s IMPORTING me` on the target, then MIGRATING here.
    Open(Slot),
    Batch(Slot),
    /// `SETSLOT s NODE target` there then here; with the next slot's opening when `true`.
    Finalize(Slot, bool),
}

/// What `CLUSTER MIGRATESLOTS` asked for, checked.
#[derive(Debug, Clone)]
pub(crate) struct JobSpec {
    /// The target's node id (40 hex chars).
    pub target: String,
    pub host: String,
    pub port: u16,
    /// Slots to move, without duplicates: first the `skipped` ones the target owns already
    /// (only their `SETSLOT NODE` is sent again: idempotent on the target, and it repairs a
    /// finish the target lost in a crash), then the others, ascending.
    pub slots: Vec<Slot>,
    /// How many leading `slots` the target already owns.
    pub skipped: usize,
    pub batch_keys: usize,
    pub timeout_ms: u64,
    pub auth: Option<(Option<Vec<u8>>, Vec<u8>)>,
}

/// A slot migration job and its progress.
#[derive(Debug)]
pub(crate) struct SlotJob {
    spec: JobSpec,
    state: JobState,
    /// `spec.slots[..opened]` were opened (IMPORTING there, MIGRATING here).
    opened: usize,
    /// Index in `spec.slots` of the slot being moved (= slots finished).
    next: usize,
    in_flight: Option<Step>,
    cancel: bool,
    keys_moved: u64,
    batches: u64,
    started: Instant,
    ended: Option<Instant>,
    error: Option<String>,
}

impl SlotJob {
    /// Whether it still runs.
    pub(crate) fn is_running(&self) -> bool {
        self.state == JobState::Running
    }

    /// `CLUSTER MIGRATESLOTS STATUS`: `field:value` lines, as CLUSTER INFO.
    pub(crate) fn status_text(&self, now: Now) -> String {
        let end = self.ended.unwrap_or(now.mono);
        let elapsed = end.saturating_duration_since(self.started).as_millis();
        let current = match self.spec.slots.get(self.next) {
            Some(s) if self.state == JobState::Running || self.state == JobState::Failed => {
                s.get().to_string()
            }
            _ => "-".into(),
        };
        let secs = (elapsed as f64 / 1000.0).max(0.001);
        let mut t = String::new();
        let mut line = |k: &str, v: String| {
            t.push_str(k);
            t.push(':');
            t.push_str(&v);
            t.push_str("\r\n");
        };
        line("state", self.state.name().into());
        line("target", self.spec.target.clone());
        line(
            "target_addr",
            format!("{}:{}", self.spec.host, self.spec.port),
        );
        line("slots", ranges(&self.spec.slots));
        line("slots_total", self.spec.slots.len().to_string());
        line("slots_done", self.next.to_string());
        line("slots_skipped", self.spec.skipped.to_string());
        line("current_slot", current);
        line("keys_moved", self.keys_moved.to_string());
        line("batches", self.batches.to_string());
        line("elapsed_ms", elapsed.to_string());
        line(
            "keys_per_sec",
            format!("{:.0}", self.keys_moved as f64 / secs),
        );
        line("last_error", self.error.clone().unwrap_or_default());
        t
    }
}

/// `0-9,12,20-30`.
fn ranges(slots: &[Slot]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < slots.len() {
        let a = slots[i].get();
        let mut b = a;
        while i + 1 < slots.len() && slots[i + 1].get() == b + 1 {
            b += 1;
            i += 1;
        }
        out.push(if a == b {
            a.to_string()
        } else {
            format!("{a}-{b}")
        });
        i += 1;
    }
    out.join(",")
}

fn cmd(args: &[&[u8]]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.to_vec()).collect()
}

impl Node {
    /// Begin a job (the command checked `spec`). Fails if one is running.
    pub(crate) fn migrate_job_start(&mut self, now: Now, spec: JobSpec) -> Result<(), String> {
        if self.migrate.job.as_ref().is_some_and(SlotJob::is_running) {
            return Err(
                "ERR A slot migration is already in progress (CLUSTER MIGRATESLOTS \
                        STATUS shows it, CANCEL stops it)"
                    .into(),
            );
        }
        self.log(
            LogLevel::Notice,
            format!(
                "Slot migration of {} slots to {} ({}:{}) started",
                spec.slots.len(),
                spec.target,
                spec.host,
                spec.port
            ),
        );
        let (owned, target) = (spec.slots[..spec.skipped].to_vec(), spec.target.clone());
        for s in owned {
            // Keys left in a slot the target already owns are copies of what it holds (a slot
            // is finished only once empty here): a crash lost their local DEL. Drop them, as
            // Redis drops the keys of a slot taken over ("dirty slots").
            let orphans = self.dbs[0].keys_in_slot(s, usize::MAX);
            if !orphans.is_empty() {
                self.log(
                    LogLevel::Warning,
                    format!(
                        "Deleting {} keys of slot {} already owned by {target}",
                        orphans.len(),
                        s.get()
                    ),
                );
                self.migrate_delete(now, 0, &orphans);
            }
            // Those keys made this node mark the slot as importing from its owner when it
            // started (`cluster_verify`): with them gone the mark means nothing, and left
            // open it would stop `--cluster check` from passing.
            if let Some(cm) = self.cluster.as_mut() {
                let owner = cm.cluster.lookup_str(target.as_bytes());
                if owner.is_some() && cm.cluster.slot_map().importing_slots_from(s) == owner {
                    let _ = cm.cluster.set_slot_stable(now, s);
                    self.cluster_drain(now);
                }
            }
        }
        let done = spec.slots.is_empty();
        let skipped = spec.skipped;
        self.migrate.job = Some(SlotJob {
            spec,
            state: if done {
                JobState::Done
            } else {
                JobState::Running
            },
            // The target's slots need no opening: they go straight to their finish.
            opened: skipped,
            next: 0,
            in_flight: None,
            cancel: false,
            keys_moved: 0,
            batches: 0,
            started: now.mono,
            ended: done.then_some(now.mono),
            error: None,
        });
        self.migrate_job_step(now);
        Ok(())
    }

    /// `CANCEL`: stop after the op in flight (slots stay open). False if none runs.
    pub(crate) fn migrate_job_cancel(&mut self, now: Now) -> bool {
        let Some(job) = self.migrate.job.as_mut().filter(|j| j.is_running()) else {
            return false;
        };
        job.cancel = true;
        self.migrate_job_step(now);
        true
    }

    /// The job (running or last ended).
    pub(crate) fn migrate_job(&self) -> Option<&SlotJob> {
        self.migrate.job.as_ref()
    }

    /// The slot migration job started by `CLUSTER MIGRATESLOTS` (running, or the last one to
    /// end); `None` if this process never ran one.
    pub fn slot_migration(&self) -> Option<SlotMigrationStatus> {
        let job = self.migrate.job.as_ref()?;
        Some(SlotMigrationStatus {
            state: job.state,
            target: job.spec.target.clone(),
            slots_total: job.spec.slots.len(),
            slots_done: job.next,
            keys_moved: job.keys_moved,
            last_error: job.error.clone(),
        })
    }

    fn migrate_job_end(&mut self, now: Now, state: JobState, error: Option<String>) {
        let Some(job) = self.migrate.job.as_mut() else {
            return;
        };
        job.state = state;
        job.ended = Some(now.mono);
        job.in_flight = None;
        let msg = format!(
            "Slot migration to {} {}: {} of {} slots, {} keys moved{}",
            job.spec.target,
            state.name(),
            job.next,
            job.spec.slots.len(),
            job.keys_moved,
            error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
        job.error = error;
        let level = if state == JobState::Failed {
            LogLevel::Warning
        } else {
            LogLevel::Notice
        };
        self.log(level, msg);
    }

    /// Start the job's next op, if it runs, nothing is in flight and clients are not waiting
    /// on a client MIGRATE.
    pub(crate) fn migrate_job_step(&mut self, now: Now) {
        if self.migrate.busy() {
            return;
        }
        let Some(job) = self.migrate.job.as_ref() else {
            return;
        };
        if !job.is_running() || job.in_flight.is_some() {
            return;
        }
        if job.cancel {
            return self.migrate_job_end(now, JobState::Cancelled, None);
        }
        if job.next >= job.spec.slots.len() {
            return self.migrate_job_end(now, JobState::Done, None);
        }
        let Some(me) = self
            .cluster
            .as_ref()
            .map(|cm| cm.cluster.myself_id().as_str().as_bytes().to_vec())
        else {
            return self.migrate_job_end(now, JobState::Failed, Some("cluster disabled".into()));
        };
        let spec = &job.spec;
        let mut req = Request {
            host: spec.host.clone(),
            port: spec.port,
            dbid: 0,
            timeout_ms: spec.timeout_ms,
            copy: false,
            replace: true,
            auth: spec.auth.clone(),
            keys: Vec::new(),
        };
        let target = spec.target.as_bytes().to_vec();
        let slot = spec.slots[job.next];
        if job.opened <= job.next {
            let n = slot.get().to_string();
            let cmds = vec![cmd(&[
                b"CLUSTER",
                b"SETSLOT",
                n.as_bytes(),
                b"IMPORTING",
                &me,
            ])];
            return self.migrate_job_op(now, Step::Open(slot), req, cmds);
        }
        let following = spec
            .slots
            .get(job.next + 1)
            .copied()
            .filter(|_| job.opened <= job.next + 1);
        // A slot the target owns already sends no key (its orphans were dropped at start).
        let batch = if job.next < spec.skipped {
            0
        } else {
            spec.batch_keys
        };
        // Expired keys are dropped first (MIGRATE skips them, and they would keep the slot
        // non-empty forever).
        let db = &mut self.dbs[0];
        let mut keys = db.keys_in_slot(slot, batch);
        let mut expired = 0;
        keys.retain(|k| {
            let gone = db.expire_if_needed(k, now.wall);
            expired += gone as u64;
            !gone
        });
        self.ks_stats.expired_keys += expired;
        self.drain_expired(now);
        if expired > 0 && keys.is_empty() && self.dbs[0].count_keys_in_slot(slot) > 0 {
            // Only expired keys this round: look again (never empty-handed while keys remain).
            return self.migrate_job_step(now);
        }
        if keys.is_empty() {
            // Finish this slot and open the next one in the same round trip.
            let n = slot.get().to_string();
            let mut cmds = vec![cmd(&[
                b"CLUSTER",
                b"SETSLOT",
                n.as_bytes(),
                b"NODE",
                &target,
            ])];
            if let Some(f) = following {
                let n = f.get().to_string();
                cmds.push(cmd(&[
                    b"CLUSTER",
                    b"SETSLOT",
                    n.as_bytes(),
                    b"IMPORTING",
                    &me,
                ]));
            }
            let step = Step::Finalize(slot, following.is_some());
            return self.migrate_job_op(now, step, req, cmds);
        }
        req.keys = keys;
        self.migrate_job_op(now, Step::Batch(slot), req, Vec::new());
    }

    fn migrate_job_op(&mut self, now: Now, step: Step, req: Request, cmds: Vec<Vec<Vec<u8>>>) {
        if let Some(job) = self.migrate.job.as_mut() {
            job.in_flight = Some(step);
        }
        self.migrate_begin(now, Owner::Job, 0, req, cmds, BATCH_BYTES);
    }

    /// The job's op ended (called from the op's completion).
    pub(crate) fn migrate_job_done(&mut self, now: Now, outcome: Outcome) {
        let Some(job) = self.migrate.job.as_mut() else {
            return;
        };
        let Some(step) = job.in_flight.take() else {
            return;
        };
        let refused = outcome
            .cmd_lines
            .iter()
            .find(|l| l.first() != Some(&b'+'))
            .map(|l| String::from_utf8_lossy(l).into_owned());
        let io_error = outcome.result.as_ref().err().map(|e| e.to_string());
        let target = job.spec.target.clone();
        match step {
            Step::Open(slot) => {
                if let Some(e) = refused.or(io_error) {
                    let e = format!("opening slot {} on the target: {e}", slot.get());
                    return self.migrate_job_end(now, JobState::Failed, Some(e));
                }
                if let Err(e) = self.migrate_job_setslot(now, slot, &target, false) {
                    return self.migrate_job_end(now, JobState::Failed, Some(e));
                }
                if let Some(job) = self.migrate.job.as_mut() {
                    job.opened = job.next + 1;
                }
            }
            Step::Batch(_) => {
                job.keys_moved += outcome.moved as u64;
                job.batches += 1;
                if let Some(e) = io_error {
                    self.migrate_job_end(now, JobState::Failed, Some(e));
                }
            }
            Step::Finalize(slot, with_next) => {
                let first = outcome
                    .cmd_lines
                    .first()
                    .filter(|l| l.first() == Some(&b'+'));
                if first.is_none() {
                    let e = outcome
                        .cmd_lines
                        .first()
                        .map(|l| String::from_utf8_lossy(l).into_owned())
                        .or(io_error)
                        .unwrap_or_default();
                    let e = format!("finishing slot {} on the target: {e}", slot.get());
                    return self.migrate_job_end(now, JobState::Failed, Some(e));
                }
                if let Err(e) = self.migrate_job_setslot(now, slot, &target, true) {
                    return self.migrate_job_end(now, JobState::Failed, Some(e));
                }
                let Some(job) = self.migrate.job.as_mut() else {
                    return;
                };
                job.next += 1;
                if with_next {
                    let following = job.spec.slots[job.next];
                    if let Some(e) = refused.or(io_error) {
                        let e = format!("opening slot {} on the target: {e}", following.get());
                        return self.migrate_job_end(now, JobState::Failed, Some(e));
                    }
                    if let Err(e) = self.migrate_job_setslot(now, following, &target, false) {
                        return self.migrate_job_end(now, JobState::Failed, Some(e));
                    }
                    if let Some(job) = self.migrate.job.as_mut() {
                        job.opened = job.next + 1;
                    }
                }
            }
        }
    }

    /// `SETSLOT slot MIGRATING target` (or `NODE target` when `node`) here, through the same
    /// transition CLUSTER SETSLOT uses; saved and gossiped as it would be.
    fn migrate_job_setslot(
        &mut self,
        now: Now,
        slot: Slot,
        target: &str,
        node: bool,
    ) -> Result<(), String> {
        let keys = self.dbs[0].count_keys_in_slot(slot);
        let Some(cm) = self.cluster.as_mut() else {
            return Err("cluster disabled".into());
        };
        let cl = &mut cm.cluster;
        let r = if node {
            cl.set_slot_node(now, slot, target.as_bytes(), keys)
        } else {
            let to = cl.lookup_str(target.as_bytes());
            if to.is_some() && cl.slot_map().migrating_slots_to(slot) == to {
                Ok(())
            } else {
                cl.set_slot_migrating(now, slot, target.as_bytes())
            }
        };
        self.cluster_drain(now);
        r.map_err(|e| format!("slot {}: {e}", slot.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::ranges;
    use hashslot_types::Slot;

    #[test]
    fn slot_ranges_text() {
        let s = |v: &[u16]| v.iter().map(|&x| Slot::new(x).unwrap()).collect::<Vec<_>>();
        assert_eq!(ranges(&s(&[0, 1, 2, 5, 7, 8])), "0-2,5,7-8");
        assert_eq!(ranges(&s(&[])), "");
        assert_eq!(ranges(&s(&[16383])), "16383");
    }
}
