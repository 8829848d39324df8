//! Persistence: RDB saves (SAVE, BGSAVE, save points, SHUTDOWN's final save), the AOF, and
//! loading the dataset at start, all as outputs and completions (see `Output::FileOpen` and
//! its siblings, and `Node::handle_persist_done`).
//!
//! Tokens of this module have bit 61 set (the cluster's have bit 62), so
//! `handle_persist_done` can route a completion without a table lookup elsewhere.
//!
//! # BGSAVE without fork: copy-on-write per slot
//!
//! Redis forks and lets the kernel copy pages the parent changes. We cannot fork a sans-IO
//! state machine, so the snapshot is taken by the node itself, a slot at a time:
//!
//! - BGSAVE starts at time T0 with every `(db, slot)` unsaved. Each event-loop turn
//!   ([`BGSAVE_KEYS_PER_STEP`] keys at most, see `Node::persistence_timeout`) serializes the
//!   next unsaved slots in order and hands the bytes to the driver as `FileWrite`s.
//! - Before any write command runs (`Node::before_write`, called from `run_keyspace` and the
//!   node's own writing commands), every slot it names that is not yet saved is serialized
//!   first, *as it is before the write*. Writes without keys (FLUSHALL, FLUSHDB, SWAPDB) and
//!   writes that reach a second database (MOVE, COPY … DB) serialize everything left first.
//!
//! Guarantee: the file holds, for every key, its value and TTL as they were at T0 — the point
//! in time a fork would have captured — except keys that expired after T0 and were deleted
//! (actively or lazily) before their slot was saved: those are missing, and a loader would
//! drop them anyway because their TTL has passed. A write command never has to wait for more
//! than the slots it names (~61 keys per slot for 1M keys), except the keyless ones above.
//! RDB lets a database's keys appear in several runs (`SELECTDB` may repeat), which is what
//! makes out-of-order slots a valid file.

pub(crate) mod aof;
mod base_writer;
pub(crate) mod load;
pub(crate) mod rdb;
pub(crate) mod reload;

use std::collections::BTreeMap;

use hashslot_types::{ConnId, Instant, Now};

use crate::output::{FileId, PersistToken};
use crate::{LogLevel, Node, Output};

pub use load::{LoadError, LoadReport};

/// Bit set in every persistence token (the cluster uses bit 62).
pub(crate) const TOKEN_BIT: u64 = 1 << 61;

/// Keys serialized per event-loop turn by a BGSAVE. Measured (release, `scripts/
/// bench-persist-vs-redis`, 1M keys of mixed types): ~1.5 µs per key including the file
/// thread's share of the core, so a turn costs ~3 ms; 10,000 gave a PING p99 of ~19 ms.
pub(crate) const BGSAVE_KEYS_PER_STEP: usize = 2_000;

/// Redis's `CONFIG_BGSAVE_RETRY_DELAY`: after a failed BGSAVE, save points wait this long.
const BGSAVE_RETRY_DELAY_SECS: i64 = 5;

/// The save-point and AOF cron runs this often.
const CRON_PERIOD: std::time::Duration = std::time::Duration::from_millis(100);

/// What a completion is awaited for.
#[derive(Debug)]
pub(crate) enum Wait {
    /// An RDB file commit: SAVE (`conn`), BGSAVE (`bg`), or SHUTDOWN's final save.
    Save {
        conn: Option<ConnId>,
        dirty_before: u64,
        bg: bool,
        shutdown: bool,
        started: Instant,
        /// Counted in INFO's `rdb_saves` (SAVE and BGSAVE are; DEBUG RELOAD's save is not).
        counted: bool,
    },
    /// An AOF fsync (`appendfsync always`/`everysec`) or an AOF rewrite step.
    Aof(aof::AofWait),
}

/// The persistence state of a node.
#[derive(Debug)]
pub(crate) struct Persistence {
    next_token: u64,
    next_file: u64,
    pub(crate) waits: BTreeMap<u64, Wait>,
    pub(crate) bgsave: Option<Box<rdb::BgSave>>,
    pub(crate) bgsave_scheduled: bool,
    pub(crate) last_bgsave_ok: bool,
    /// Wall seconds of the last BGSAVE attempt (save points wait after a failure).
    pub(crate) last_bgsave_try: i64,
    pub(crate) last_bgsave_time_sec: i64,
    pub(crate) rdb_saves: u64,
    /// A SAVE or final save is written and awaits its commit.
    pub(crate) save_in_flight: bool,
    pub(crate) loaded_keys: u64,
    pub(crate) loaded_expired: u64,
    /// The replication aux fields of the RDB file loaded at start (see
    /// `Node::loaded_repl_info`).
    pub(crate) loaded_repl: Option<hashslot_persist::ReplAux>,
    /// MULTI/EXEC wrapping of what a transaction propagates (see `crate::propagation`).
    pub(crate) txn: crate::propagation::TxnPropagation,
    next_cron: Option<Instant>,
    /// The monotonic time of the last timeout handled (INFO's running durations).
    pub(crate) last_mono: Option<Instant>,
    pub(crate) aof: aof::Aof,
    /// A DEBUG RELOAD NOSAVE waiting for the driver to read the RDB file: its client and
    /// options (see `reload`).
    pub(crate) reload: Vec<(ConnId, reload::Reload)>,
}

impl Persistence {
    pub(crate) fn new(now: Now) -> Self {
        Persistence {
            next_token: 1,
            next_file: 1,
            waits: BTreeMap::new(),
            bgsave: None,
            bgsave_scheduled: false,
            last_bgsave_ok: true,
            last_bgsave_try: 0,
            last_bgsave_time_sec: -1,
            rdb_saves: 0,
            save_in_flight: false,
            loaded_keys: 0,
            loaded_expired: 0,
            loaded_repl: None,
            txn: Default::default(),
            next_cron: Some(now.mono + CRON_PERIOD),
            last_mono: Some(now.mono),
            aof: aof::Aof::default(),
            reload: Vec::new(),
        }
    }

    pub(crate) fn token(&mut self) -> PersistToken {
        let t = self.next_token;
        self.next_token += 1;
        PersistToken(TOKEN_BIT | t)
    }

    pub(crate) fn file(&mut self) -> FileId {
        let f = self.next_file;
        self.next_file += 1;
        FileId(f)
    }
}

impl Node {
    /// The replication position saved in the RDB file loaded at start (`repl-id`,
    /// `repl-offset`, `repl-stream-db` aux fields, all three present and set), as Redis's
    /// `loadDataFromDisk` keeps it in `rdbSaveInfo`: a restarted replica can offer it to its
    /// master in `PSYNC <repl-id> <repl-offset + 1>` instead of a full resync, and a
    /// restarted master can keep it as its secondary id. `None` when the file had none, the
    /// dataset came from the AOF (Redis ignores these fields there too), or nothing was
    /// loaded. Loading a replication payload does not change it.
    pub(crate) fn loaded_repl_info(&self) -> Option<&hashslot_persist::ReplAux> {
        self.persistence.loaded_repl.as_ref()
    }

    /// A completion for a persistence token; `false` when the token is not ours.
    pub(crate) fn persistence_done(
        &mut self,
        now: Now,
        token: PersistToken,
        result: Result<(), String>,
    ) -> bool {
        if token.0 & (1 << 62) != 0 {
            return self.cluster_save_failed_exits(&result);
        }
        if token.0 & TOKEN_BIT == 0 {
            return false;
        }
        let Some(wait) = self.persistence.waits.remove(&token.0) else {
            return true;
        };
        match wait {
            Wait::Save {
                conn,
                dirty_before,
                bg,
                shutdown,
                started,
                counted,
            } => {
                if counted && result.is_ok() {
                    self.persistence.rdb_saves += 1;
                }
                self.rdb_save_done(now, result, conn, dirty_before, bg, shutdown, started)
            }
            Wait::Aof(w) => self.aof_done(now, token, w, result),
        }
        true
    }

    /// A nodes.conf write completed: when it failed, exit as Redis's `clusterSaveConfigOrDie`
    /// does ("Fatal: can't update cluster config file.") and keep the completion from the
    /// cluster, so that no reply held for this save (`BUMPED`, `OK` of CLUSTER ADDSLOTS…) and
    /// no vote leaves. `true` when the completion is consumed.
    ///
    /// The exception is CLUSTER SAVECONFIG, which Redis saves with `clusterSaveConfig` and
    /// answers `-ERR error saving the cluster node config: …` without exiting: when the held
    /// replies are all SAVECONFIG's, the failure goes on to them.
    fn cluster_save_failed_exits(&mut self, result: &Result<(), String>) -> bool {
        if result.is_ok() {
            return false;
        }
        let only_saveconfig = self
            .cluster
            .as_ref()
            .is_some_and(|cm| !cm.waiters.is_empty() && cm.waiters.iter().all(|w| w.saveconfig));
        if only_saveconfig {
            return false;
        }
        self.log(
            LogLevel::Warning,
            "Fatal: can't update cluster config file.".to_owned(),
        );
        self.shutting_down = true;
        self.outputs.push_back(Output::Exit { status: 1 });
        true
    }

    /// When the persistence work next needs `handle_timeout`.
    pub(crate) fn persistence_poll_timeout(&self) -> Option<Instant> {
        let p = &self.persistence;
        let step = p
            .bgsave
            .as_ref()
            .filter(|b| !b.committing)
            .map(|b| b.next_step);
        [p.next_cron, step, self.aof_poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// BGSAVE steps, save points, the AOF's everysec fsync.
    pub(crate) fn persistence_timeout(&mut self, now: Now) {
        self.persistence.last_mono = Some(now.mono);
        if self
            .persistence
            .bgsave
            .as_ref()
            .is_some_and(|b| !b.committing && b.next_step <= now.mono)
        {
            self.bgsave_step(now, BGSAVE_KEYS_PER_STEP);
        }
        if self.persistence.next_cron.is_some_and(|t| t <= now.mono) {
            self.persistence.next_cron = Some(now.mono + CRON_PERIOD);
            self.save_points_cron(now);
            self.aof_cron(now);
        }
    }

    /// Redis's `serverCron` save points: BGSAVE when `changes` writes happened and `seconds`
    /// passed since the last save; a scheduled BGSAVE runs when nothing else does.
    fn save_points_cron(&mut self, now: Now) {
        if self.shutting_down
            || self.persistence.bgsave.is_some()
            || self.persistence.save_in_flight
            || self.aof_rewrite_in_progress()
        {
            return;
        }
        if std::mem::take(&mut self.persistence.bgsave_scheduled) {
            let _ = self.bgsave_start(now);
            return;
        }
        let secs = now.wall.as_secs();
        let p = &self.persistence;
        let retry_ok = p.last_bgsave_ok || secs - p.last_bgsave_try > BGSAVE_RETRY_DELAY_SECS;
        let hit = self
            .config
            .save
            .iter()
            .find(|(s, c)| self.dirty >= *c && secs - self.lastsave > *s as i64 && retry_ok);
        if let Some(&(s, c)) = hit {
            self.log(
                LogLevel::Notice,
                format!("{c} changes in {s} seconds. Saving..."),
            );
            let _ = self.bgsave_start(now);
        }
    }

    /// Before a write command runs: with a BGSAVE under way, save the slots it names first
    /// (copy-on-write per slot; see the module docs).
    pub(crate) fn before_write(&mut self, now: Now, db: usize, idx: usize, args: &[&[u8]]) {
        if self.persistence.bgsave.is_none() {
            return;
        }
        let entry = &self.table.entries[idx];
        let mut pos = Vec::new();
        self.table.key_positions(idx, args, &mut pos);
        let whole = pos.is_empty() || matches!(entry.name, "move" | "copy" | "swapdb");
        if whole {
            self.bgsave_step(now, usize::MAX);
            return;
        }
        for p in pos {
            let slot = hashslot_slots::key_slot(args[p]).index();
            self.bgsave_save_slot(db, slot);
        }
        self.bgsave_flush_pending();
    }

    /// Start a final save for SHUTDOWN or a signal when one is due: `true` when the caller
    /// must wait for its completion (which then emits `Output::Shutdown`, or replies the
    /// error to `conn`).
    pub(crate) fn shutdown_save(
        &mut self,
        now: Now,
        conn: Option<ConnId>,
        force_save: bool,
    ) -> bool {
        let want = force_save || !self.config.save.is_empty();
        self.aof_shutdown(now);
        if !want {
            return false;
        }
        self.log(LogLevel::Warning, "User requested shutdown...".to_owned());
        if self.persistence.bgsave.is_some() {
            self.log(
                LogLevel::Warning,
                "There is a child saving an .rdb. Killing it!".to_owned(),
            );
            self.bgsave_abort();
        }
        self.log(
            LogLevel::Notice,
            "Saving the final RDB snapshot before exiting.".to_owned(),
        );
        match self.rdb_save_sync(now, conn, true) {
            Ok(()) => {
                self.shutting_down = true;
                true
            }
            Err(e) => {
                self.log(
                    LogLevel::Warning,
                    format!("Error trying to save the DB: {e}"),
                );
                false
            }
        }
    }

    /// Emit `Output::Shutdown` after a successful final save (or reply the failure).
    pub(crate) fn finish_shutdown_after_save(&mut self, now: Now, conn: Option<ConnId>, ok: bool) {
        if ok {
            self.outputs.push_back(Output::Shutdown);
            return;
        }
        self.shutting_down = false;
        self.log(
            LogLevel::Warning,
            "Errors trying to shut down the server. Check the logs for more information."
                .to_owned(),
        );
        if let Some(conn) = conn {
            self.reply_waiting(now, conn, |c| {
                c.reply().error(&hashslot_resp::ErrorReply::msg(
                    "ERR Errors trying to SHUTDOWN. Check logs.",
                ))
            });
        }
    }

    /// Give a client held by a file operation its reply, and run its waiting requests.
    pub(crate) fn reply_waiting(
        &mut self,
        now: Now,
        conn: ConnId,
        f: impl FnOnce(&mut crate::session::Client),
    ) {
        let Some(mut sess) = self.sessions.remove(&conn) else {
            return;
        };
        if sess.client.blocked && !sess.closing {
            sess.client.blocked = false;
            let start = sess.client.out.len();
            f(&mut sess.client);
            self.after_reply(&mut sess.client, start);
            self.consume(now, &mut sess, &[]);
        }
        self.sessions.insert(conn, sess);
        self.process_unblocked(now);
    }
}

impl Node {
    /// INFO persistence, with Redis 7.0's fields in its order.
    pub(crate) fn info_persistence_fields(&self, s: &mut String) {
        use std::fmt::Write;
        let p = &self.persistence;
        let aof = &p.aof;
        let bg = p.bgsave.as_ref().filter(|b| !b.for_aof);
        let rw = p.bgsave.as_ref().filter(|b| b.for_aof);
        let secs = |b: &rdb::BgSave| {
            let mono = self.last_now_mono().unwrap_or(b.started);
            mono.saturating_duration_since(b.started).as_secs() as i64
        };
        let ok = |b: bool| if b { "ok" } else { "err" };
        let (processed, total) = p
            .bgsave
            .as_ref()
            .map_or((0, 0), |b| (b.keys_done, b.keys_total));
        let lines = [
            "loading:0".to_owned(),
            "async_loading:0".to_owned(),
            "current_cow_peak:0".to_owned(),
            "current_cow_size:0".to_owned(),
            "current_cow_size_age:0".to_owned(),
            "current_fork_perc:0.00".to_owned(),
            format!("current_save_keys_processed:{processed}"),
            format!("current_save_keys_total:{total}"),
            format!("rdb_changes_since_last_save:{}", self.dirty),
            format!("rdb_bgsave_in_progress:{}", u8::from(bg.is_some())),
            format!("rdb_last_save_time:{}", self.lastsave),
            format!("rdb_last_bgsave_status:{}", ok(p.last_bgsave_ok)),
            format!("rdb_last_bgsave_time_sec:{}", p.last_bgsave_time_sec),
            format!("rdb_current_bgsave_time_sec:{}", bg.map_or(-1, |b| secs(b))),
            format!("rdb_saves:{}", p.rdb_saves),
            "rdb_last_cow_size:0".to_owned(),
            format!("rdb_last_load_keys_expired:{}", p.loaded_expired),
            format!("rdb_last_load_keys_loaded:{}", p.loaded_keys),
            format!("aof_enabled:{}", u8::from(aof.on)),
            format!(
                "aof_rewrite_in_progress:{}",
                u8::from(aof.rewriting.is_some() || aof.rewrite_finishing)
            ),
            format!("aof_rewrite_scheduled:{}", u8::from(aof.rewrite_scheduled)),
            format!(
                "aof_last_rewrite_time_sec:{}",
                aof.last_rewrite_secs.map_or(-1, |s| s as i64)
            ),
            format!(
                "aof_current_rewrite_time_sec:{}",
                rw.map_or(-1, |b| secs(b))
            ),
            format!("aof_last_bgrewrite_status:{}", ok(!aof.last_rewrite_failed)),
            format!("aof_rewrites:{}", aof.rewrites),
            "aof_rewrites_consecutive_failures:0".to_owned(),
            format!("aof_last_write_status:{}", ok(aof.write_error.is_none())),
            "aof_last_cow_size:0".to_owned(),
            "module_fork_in_progress:0".to_owned(),
            "module_fork_last_cow_size:0".to_owned(),
        ];
        for l in lines {
            let _ = write!(s, "{l}\r\n");
        }
        if aof.on {
            let _ = write!(
                s,
                "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:0\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
                aof.size,
                aof.base_size,
                aof.buf.len()
            );
        }
    }

    /// The monotonic time of the last input, for durations in INFO.
    fn last_now_mono(&self) -> Option<Instant> {
        self.persistence.last_mono
    }
}
