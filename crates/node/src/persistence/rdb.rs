//! RDB saves: SAVE (serialize at once, reply after the commit), BGSAVE (copy-on-write per slot,
//! serialized between commands), and their completions.

use bytes::Bytes;
use hashslot_keyspace::Db;
use hashslot_persist::{AofWriter, Aux, Options, RdbWriter, SaveError};

use super::base_writer::SnapshotWriter;
use hashslot_types::{ConnId, Instant, Now, Slot, SLOT_COUNT};

use super::Wait;
use crate::output::FileId;
use crate::{LogLevel, Node, Output};

/// Bytes kept in the writer before they are handed to the driver.
const CHUNK: usize = 256 * 1024;

/// A BGSAVE under way.
#[derive(Debug)]
pub(crate) struct BgSave {
    pub(crate) file: FileId,
    writer: Option<SnapshotWriter>,
    final_path: String,
    /// The snapshot is an AOF rewrite's new base.
    pub(crate) for_aof: bool,
    /// Per db, one bit per slot: saved already.
    saved: Vec<Vec<u64>>,
    /// The db whose `SELECTDB` was written last.
    cur_db: Option<usize>,
    /// Where the in-order walk resumes.
    cursor: (usize, usize),
    pub(crate) keys_done: u64,
    pub(crate) keys_total: u64,
    pub(crate) started: Instant,
    pub(crate) dirty_before: u64,
    /// The commit was emitted; waiting for its completion.
    pub(crate) committing: bool,
    /// When the next step is due (at once: the loop interleaves it with I/O).
    pub(crate) next_step: Instant,
    pub(crate) error: Option<SaveError>,
    /// Bytes handed to the driver so far: an AOF rewrite's new base size when it completes.
    pub(crate) bytes: u64,
}

impl BgSave {
    fn is_saved(&self, db: usize, slot: usize) -> bool {
        self.saved[db][slot / 64] & (1 << (slot % 64)) != 0
    }
    fn mark(&mut self, db: usize, slot: usize) {
        self.saved[db][slot / 64] |= 1 << (slot % 64);
    }
}

/// Write every key of `slot` in `db` (as it is now) to `w`; returns the keys written.
fn write_slot(
    w: &mut SnapshotWriter,
    cur_db: &mut Option<usize>,
    dbs: &[Db],
    db: usize,
    slot: usize,
) -> Result<usize, SaveError> {
    let d = &dbs[db];
    let slot_id = Slot::new(slot as u16).expect("slot < 16384");
    if d.count_keys_in_slot(slot_id) == 0 {
        return Ok(0);
    }
    if *cur_db != Some(db) {
        w.select_db(db as u32, d.len() as u64, d.expires_len() as u64);
        *cur_db = Some(db);
    }
    let keys = d.keys_in_slot(slot_id, usize::MAX);
    for k in &keys {
        if let Some(v) = d.peek(k) {
            w.write_key(k, v, d.expire_time(k))?;
        }
    }
    Ok(keys.len())
}

impl Node {
    /// `rdbcompression` / `rdbchecksum`.
    pub(crate) fn rdb_options(&self) -> Options {
        let yes = |n: &str| self.config.get(n).map_or(true, |v| v == "yes");
        Options {
            compression: yes("rdbcompression"),
            checksum: yes("rdbchecksum"),
        }
    }

    /// The aux fields of a save now: with `repl-stream-db`, `repl-id` and `repl-offset` when
    /// the node has a replication history worth keeping (Redis's `rdbPopulateSaveInfo`).
    pub(crate) fn rdb_aux(&self, aof_base: bool) -> Aux {
        Aux {
            used_mem: self.used_memory(),
            aof_base,
            repl: self.rdb_repl_aux(),
            ..Aux::default()
        }
    }

    /// Ref: rdb.c rdbPopulateSaveInfo (7.0): a master with a backlog, or a replica that is
    /// (or was) in sync with its master, saves its replication id and offset so that, loaded
    /// again, it can offer them to a partial resync. A fresh master saves none.
    ///
    /// `repl-stream-db` is the db the stream last selected: a master's `slaveseldb`, a
    /// replica's master client's db (so a replica restarted from the file and continued with
    /// `+CONTINUE` applies the stream to the right db until the next SELECT).
    pub(crate) fn rdb_repl_aux(&self) -> Option<hashslot_persist::ReplAux> {
        use crate::replication::Role;
        let (history, stream_db) = match &self.repl.role {
            Role::Master(m) if m.history().backlog.is_some() => (m.history(), m.stream_db()),
            Role::Replica(r)
                if r.state() == hashslot_repl::LinkState::Connected
                    || r.history().backlog.is_some() =>
            {
                (r.history(), r.stream_db())
            }
            _ => return None,
        };
        Some(hashslot_persist::ReplAux {
            stream_db,
            repl_id: history.replid.as_str().into_owned(),
            repl_offset: history.master_repl_offset,
        })
    }

    /// The whole dataset as one RDB image with `aux`: the FUNCTION libraries, then every db
    /// (SAVE, an AOF rewrite's base, a full sync's snapshot).
    pub(crate) fn rdb_image(&self, now: Now, aux: &Aux) -> Result<Vec<u8>, SaveError> {
        let codes = self.function_codes();
        let refs: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
        hashslot_persist::save_dbs_with_functions(
            &self.dbs,
            &refs,
            now.wall,
            aux,
            &self.rdb_options(),
        )
    }

    /// `aof-use-rdb-preamble` (default yes): an AOF base is an RDB image, else commands.
    pub(crate) fn aof_use_rdb_preamble(&self) -> bool {
        self.config.get("aof-use-rdb-preamble").as_deref() != Some("no")
    }

    /// A new AOF base image of the whole dataset now, in the form `aof-use-rdb-preamble` asks
    /// for (Redis's synchronous `rewriteAppendOnlyFile`, used at start).
    pub(crate) fn aof_base_image(&self, now: Now) -> Result<Vec<u8>, SaveError> {
        if self.aof_use_rdb_preamble() {
            return self.rdb_image(now, &self.rdb_aux(true));
        }
        let codes = self.function_codes();
        let refs: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
        hashslot_persist::rewrite_dbs(&self.dbs, &refs)
    }

    /// A temporary file name beside `dbfilename` (Redis's `temp-<pid>.rdb`, made unique).
    fn temp_rdb(&self, file: FileId) -> String {
        format!("temp-{}-{}.rdb", self.process.pid, file.0)
    }

    /// SAVE (and SHUTDOWN's final save): serialize every db now, write it through the driver,
    /// and complete when the file is committed (`conn`, if any, is held until then).
    pub(crate) fn rdb_save_sync(
        &mut self,
        now: Now,
        conn: Option<ConnId>,
        shutdown: bool,
    ) -> Result<(), SaveError> {
        let image = self.rdb_image(now, &self.rdb_aux(false))?;
        self.rdb_save_image(now, conn, Bytes::from(image), shutdown, true);
        Ok(())
    }

    /// Write `image` to `dbfilename` as SAVE does (a temporary file committed over it) and
    /// complete as a SAVE when the commit does (`conn`, if any, gets `+OK` or `-ERR` then);
    /// `counted`: in INFO's `rdb_saves`.
    pub(crate) fn rdb_save_image(
        &mut self,
        now: Now,
        conn: Option<ConnId>,
        image: Bytes,
        shutdown: bool,
        counted: bool,
    ) {
        let file = self.persistence.file();
        let token = self.persistence.token();
        let path = self.temp_rdb(file);
        self.outputs.push_back(Output::FileOpen {
            file,
            path,
            append: false,
        });
        self.outputs
            .push_back(Output::FileWrite { file, data: image });
        self.outputs.push_back(Output::FileCommit {
            file,
            token,
            final_path: self.config.dbfilename.clone(),
        });
        self.persistence.save_in_flight = true;
        self.persistence.waits.insert(
            token.0,
            Wait::Save {
                conn,
                dirty_before: self.dirty,
                bg: false,
                shutdown,
                started: now.mono,
                counted,
            },
        );
    }

    /// Let the foreground saves `conn` waits for complete without answering it (it was
    /// answered another way).
    pub(crate) fn detach_save_waiter(&mut self, conn: ConnId) {
        for w in self.persistence.waits.values_mut() {
            if let Wait::Save { conn: waiter, .. } = w {
                if *waiter == Some(conn) {
                    *waiter = None;
                }
            }
        }
    }

    /// BGSAVE: start a copy-on-write snapshot (see the module docs of `persistence`).
    pub(crate) fn bgsave_start(&mut self, now: Now) -> Result<(), &'static str> {
        if self.persistence.aof.rewriting.is_some() {
            return Err("ERR Background append only file rewriting in progress");
        }
        let path = self.config.dbfilename.clone();
        self.bgsave_start_to(now, path, false)
    }

    /// Start a snapshot into `final_path` (the RDB file, or a new AOF base when `for_aof`).
    pub(crate) fn bgsave_start_to(
        &mut self,
        now: Now,
        final_path: String,
        for_aof: bool,
    ) -> Result<(), &'static str> {
        if self.persistence.bgsave.is_some() {
            return Err("ERR Background save already in progress");
        }
        let file = self.persistence.file();
        // Ref: aof.c rewriteAppendOnlyFile (7.0): an AOF base is an RDB image only with
        // `aof-use-rdb-preamble yes`; otherwise commands.
        let mut writer = if for_aof && !self.aof_use_rdb_preamble() {
            SnapshotWriter::Aof(AofWriter::new())
        } else {
            SnapshotWriter::Rdb(RdbWriter::new(
                now.wall,
                &self.rdb_aux(for_aof),
                &self.rdb_options(),
            ))
        };
        // The libraries go first, whole: they are small, and Redis writes them before the keys.
        for code in self.function_codes() {
            writer.write_function(&code);
        }
        let path = self.temp_rdb(file);
        self.outputs.push_back(Output::FileOpen {
            file,
            path,
            append: false,
        });
        self.persistence.last_bgsave_try = now.wall.as_secs();
        let keys_total = self.dbs.iter().map(|d| d.len() as u64).sum();
        self.persistence.bgsave = Some(Box::new(BgSave {
            file,
            writer: Some(writer),
            final_path,
            for_aof,
            saved: vec![vec![0; SLOT_COUNT / 64]; self.dbs.len()],
            cur_db: None,
            cursor: (0, 0),
            keys_done: 0,
            keys_total,
            started: now.mono,
            dirty_before: self.dirty,
            committing: false,
            next_step: now.mono,
            error: None,
            bytes: 0,
        }));
        if !for_aof {
            self.log(LogLevel::Notice, "Background saving started".to_owned());
        }
        Ok(())
    }

    /// Serialize `(db, slot)` now if the BGSAVE has not yet.
    pub(crate) fn bgsave_save_slot(&mut self, db: usize, slot: usize) {
        let Some(bg) = self.persistence.bgsave.as_mut() else {
            return;
        };
        if bg.committing || db >= bg.saved.len() || bg.is_saved(db, slot) {
            return;
        }
        bg.mark(db, slot);
        let Some(w) = bg.writer.as_mut() else { return };
        match write_slot(w, &mut bg.cur_db, &self.dbs, db, slot) {
            Ok(n) => bg.keys_done += n as u64,
            Err(e) => bg.error = Some(e),
        }
    }

    /// Hand the BGSAVE's pending bytes to the driver once there are enough of them.
    pub(crate) fn bgsave_flush_pending(&mut self) {
        let Some(bg) = self.persistence.bgsave.as_mut() else {
            return;
        };
        if let Some(w) = bg.writer.as_mut() {
            if w.pending() >= CHUNK {
                let data = Bytes::from(w.take_output());
                let file = bg.file;
                bg.bytes += data.len() as u64;
                self.outputs.push_back(Output::FileWrite { file, data });
            }
        }
    }

    /// Save up to `budget` keys' worth of slots in order; finish the file when all are saved.
    pub(crate) fn bgsave_step(&mut self, now: Now, budget: usize) {
        let ndb = self.dbs.len();
        let mut done = 0usize;
        loop {
            let Some(bg) = self.persistence.bgsave.as_mut() else {
                return;
            };
            if bg.committing {
                return;
            }
            let (db, slot) = bg.cursor;
            if db >= ndb || bg.error.is_some() {
                break;
            }
            if done >= budget {
                bg.next_step = now.mono;
                self.bgsave_flush_pending();
                return;
            }
            bg.cursor = if slot + 1 >= SLOT_COUNT {
                (db + 1, 0)
            } else {
                (db, slot + 1)
            };
            if self.dbs[db].is_empty() {
                bg.cursor = (db + 1, 0);
                for s in 0..SLOT_COUNT {
                    bg.mark(db, s);
                }
                continue;
            }
            let before = bg.keys_done;
            self.bgsave_save_slot(db, slot);
            let bg = self.persistence.bgsave.as_ref().expect("still saving");
            done += (bg.keys_done - before) as usize + 1;
            if done % 64 == 0 {
                self.bgsave_flush_pending();
            }
        }
        self.bgsave_commit(now);
    }

    /// Every slot is saved: end the file and commit it.
    fn bgsave_commit(&mut self, now: Now) {
        let token = self.persistence.token();
        let Some(bg) = self.persistence.bgsave.as_mut() else {
            return;
        };
        let file = bg.file;
        if let Some(e) = bg.error.take() {
            self.log(
                LogLevel::Warning,
                format!("Write error saving DB on disk: {e}"),
            );
            self.outputs
                .push_back(Output::FileClose { file, remove: true });
            self.persistence.bgsave = None;
            self.persistence.last_bgsave_ok = false;
            return;
        }
        let w = bg.writer.take().expect("writer until commit");
        bg.committing = true;
        let mut data = Vec::new();
        let mut w = w;
        if w.pending() > 0 {
            data = w.take_output();
        }
        data.extend(w.finish());
        bg.bytes += data.len() as u64;
        let final_path = bg.final_path.clone();
        let (dirty_before, started, for_aof) = (bg.dirty_before, bg.started, bg.for_aof);
        self.outputs.push_back(Output::FileWrite {
            file,
            data: Bytes::from(data),
        });
        self.outputs.push_back(Output::FileCommit {
            file,
            token,
            final_path,
        });
        self.persistence.waits.insert(
            token.0,
            Wait::Save {
                conn: None,
                dirty_before,
                bg: true,
                shutdown: false,
                started,
                // An AOF rewrite's base is not an RDB save.
                counted: !for_aof,
            },
        );
        let _ = now;
    }

    /// Drop a BGSAVE under way and its temporary file.
    pub(crate) fn bgsave_abort(&mut self) {
        if let Some(bg) = self.persistence.bgsave.take() {
            if !bg.committing {
                self.outputs.push_back(Output::FileClose {
                    file: bg.file,
                    remove: true,
                });
            }
            // A commit already emitted still completes; its Wait updates the status.
        }
    }

    /// The completion of an RDB commit.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn rdb_save_done(
        &mut self,
        now: Now,
        result: Result<(), String>,
        conn: Option<ConnId>,
        dirty_before: u64,
        bg: bool,
        shutdown: bool,
        started: Instant,
    ) {
        let ok = result.is_ok();
        if bg && self.persistence.bgsave.as_ref().is_some_and(|b| b.for_aof) {
            let base_bytes = self.persistence.bgsave.take().map_or(0, |b| b.bytes);
            self.aof_rewrite_done(ok, base_bytes);
            return;
        }
        if ok {
            self.dirty = self.dirty.saturating_sub(dirty_before);
            self.lastsave = now.wall.as_secs();
        }
        if bg {
            self.persistence.bgsave = None;
            self.persistence.last_bgsave_ok = ok;
            self.persistence.last_bgsave_time_sec =
                now.mono.saturating_duration_since(started).as_secs() as i64;
            match &result {
                Ok(()) => {
                    self.log(LogLevel::Notice, "DB saved on disk".to_owned());
                    self.log(
                        LogLevel::Notice,
                        "Background saving terminated with success".to_owned(),
                    );
                }
                Err(e) => {
                    self.log(
                        LogLevel::Warning,
                        format!("Write error saving DB on disk: {e}"),
                    );
                    self.log(LogLevel::Warning, "Background saving error".to_owned());
                }
            }
            self.aof_after_bgsave(now);
            return;
        }
        self.persistence.save_in_flight = false;
        if ok {
            // Ref: rdbSave: a successful foreground save (SAVE, DEBUG RELOAD, FLUSHALL's)
            // clears a failed BGSAVE's status, and with it the MISCONF refusal.
            self.persistence.last_bgsave_ok = true;
        }
        match &result {
            Ok(()) => self.log(LogLevel::Notice, "DB saved on disk".to_owned()),
            Err(e) => self.log(
                LogLevel::Warning,
                format!("Write error saving DB on disk: {e}"),
            ),
        }
        if shutdown {
            self.finish_shutdown_after_save(now, conn, ok);
            return;
        }
        if let Some(conn) = conn {
            self.reply_waiting(now, conn, |c| {
                if ok {
                    c.reply().ok();
                } else {
                    c.reply().error(&hashslot_resp::ErrorReply::msg("ERR"));
                }
            });
        }
    }
}
