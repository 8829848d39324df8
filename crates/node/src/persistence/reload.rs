//! `DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]`: save the RDB file, empty the dataset, load the
//! file back. Ref: debug.c debugCommand "reload" (7.0).
//!
//! - Without NOSAVE the RDB image is made now (as SAVE does) and written to `dbfilename`
//!   through the ordered file writer; the dataset is emptied and loaded back from that same
//!   image at once, so the command is atomic as Redis's is. The reply waits for the file's
//!   commit: `+OK`, or Redis's bare `-ERR` when the save failed (Redis then neither empties nor
//!   loads; here the dataset has already gone through the image, which holds exactly what it
//!   held, so only the reply tells).
//! - With NOSAVE the file on disk is read (`Output::LoadRdbFile`, read by the driver inside
//!   the event-loop turn, as Redis's `rdbLoad` inside the command) and loaded when it arrives;
//!   a missing or unreadable file is `-ERR Error trying to load the RDB dump`, after the
//!   dataset was emptied, as in Redis.
//! - NOFLUSH keeps the dataset and loads the file on top of it; MERGE lets the file's keys and
//!   FUNCTION libraries replace existing ones of the same name (`RDBFLAGS_ALLOW_DUP`). Without
//!   MERGE a library of the same name fails the load; a duplicate key stops it there with the
//!   same error (Redis 7.0 panics: "Duplicated key found in RDB file"; a node must not).
//!
//! Inside MULTI/EXEC a reload replies `+OK` as soon as the dataset is reloaded (a failed save
//! is only logged), and NOSAVE is refused: the file cannot be read within the transaction.
//!
//! The emptying is Redis's `emptyData`: keys of every db and the FUNCTION libraries; WATCHes
//! on keys that existed are touched and tracking clients are told to drop everything.

use bytes::Bytes;
use hashslot_persist::{load_events, LoadEvent, LoadOptions, RdbError};
use hashslot_resp::ErrorReply;
use hashslot_types::{ConnId, Now};

use crate::session::Client;
use crate::{LogLevel, Node, Output};

/// The options of one DEBUG RELOAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reload {
    /// MERGE: the file's keys and libraries replace existing ones.
    pub merge: bool,
    /// Not NOFLUSH: empty the dataset first.
    pub flush: bool,
    /// Not NOSAVE: save the RDB file first.
    pub save: bool,
}

impl Reload {
    /// Parse the options after `DEBUG RELOAD`; `Err` is Redis's reply.
    pub(crate) fn parse(args: &[&[u8]]) -> Result<Reload, ErrorReply> {
        let mut r = Reload {
            merge: false,
            flush: true,
            save: true,
        };
        for opt in args {
            if opt.eq_ignore_ascii_case(b"merge") {
                r.merge = true;
            } else if opt.eq_ignore_ascii_case(b"noflush") {
                r.flush = false;
            } else if opt.eq_ignore_ascii_case(b"nosave") {
                r.save = false;
            } else {
                return Err(ErrorReply::msg(
                    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                ));
            }
        }
        Ok(r)
    }
}

/// The reply of a load that failed (Redis's words).
const LOAD_FAILED: &str = "ERR Error trying to load the RDB dump";

impl Node {
    /// DEBUG RELOAD with its options parsed (see the module docs).
    pub(crate) fn debug_reload(&mut self, now: Now, c: &mut Client, opts: Reload) {
        if c.in_exec && !opts.save {
            // Inside EXEC the reply cannot wait for a file read, and the transaction must not
            // be split around one.
            return c.reply().error(&ErrorReply::msg(
                "ERR DEBUG RELOAD NOSAVE is not supported inside MULTI/EXEC",
            ));
        }
        if !opts.save {
            self.persistence.reload.push((c.conn, opts));
            c.blocked = true;
            self.outputs.push_back(Output::LoadRdbFile {
                conn: c.conn,
                path: self.config.dbfilename.clone(),
            });
            return;
        }
        let image = match self.rdb_image(now, &self.rdb_aux(false)) {
            Ok(image) => Bytes::from(image),
            Err(_) => return c.reply().error(&ErrorReply::msg("ERR")),
        };
        // Inside EXEC the reply is part of the transaction's: `+OK` once reloaded, whatever
        // the commit's outcome (only logged then).
        let held = (!c.in_exec).then_some(c.conn);
        self.rdb_save_image(now, held, image.clone(), false, false);
        match self.reload_image(now, &image, opts) {
            Ok(()) if c.in_exec => c.reply().ok(),
            // The reply (`+OK` or `-ERR`) comes with the save's completion.
            Ok(()) => c.blocked = true,
            Err(e) => {
                // Answered now: the save completes with no client attached, or its reply
                // would answer this client's next blocked command.
                self.detach_save_waiter(c.conn);
                c.reply().error(&e)
            }
        }
    }

    /// The driver read the RDB file for a DEBUG RELOAD NOSAVE of `conn`: `Ok(None)` when it
    /// does not exist, `Err` with the OS error text when it could not be read.
    pub fn handle_rdb_file_read(
        &mut self,
        now: Now,
        conn: ConnId,
        result: Result<Option<Vec<u8>>, String>,
    ) {
        // Several clients may wait (paused clients rerun in one pass): each read answers
        // its own.
        let Some(at) = self
            .persistence
            .reload
            .iter()
            .position(|(who, _)| *who == conn)
        else {
            return;
        };
        let (_, opts) = self.persistence.reload.remove(at);
        let outcome = match result {
            Ok(Some(bytes)) => self.reload_image(now, &bytes, opts),
            other => {
                // Ref: the dataset is emptied before rdbLoad finds the file missing.
                if opts.flush {
                    self.reload_empty();
                }
                let _ = other;
                Err(ErrorReply::msg(LOAD_FAILED))
            }
        };
        self.reply_waiting(now, conn, |c| match outcome {
            Ok(()) => c.reply().ok(),
            Err(e) => c.reply().error(&e),
        });
    }

    /// Empty (unless NOFLUSH) and load `bytes`; logs Redis's line on success.
    fn reload_image(&mut self, now: Now, bytes: &[u8], opts: Reload) -> Result<(), ErrorReply> {
        // A BGSAVE under way saves what is left of its snapshot first, as before any write
        // without keys (see the copy-on-write notes in `persistence`).
        self.bgsave_step(now, usize::MAX);
        let result = if opts.flush {
            self.reload_empty();
            self.load_rdb_bytes(now, bytes).map(|info| {
                self.persistence.loaded_keys = info.keys;
                self.persistence.loaded_expired = info.expired_skipped;
            })
        } else {
            self.load_rdb_on_top(now, bytes, opts.merge)
        };
        match result {
            Ok(()) => {
                self.log(LogLevel::Warning, "DB reloaded by DEBUG RELOAD".to_owned());
                Ok(())
            }
            Err(e) => {
                self.log(
                    LogLevel::Warning,
                    format!("Error loading the RDB dump for DEBUG RELOAD: {e}"),
                );
                Err(ErrorReply::msg(LOAD_FAILED))
            }
        }
    }

    /// Redis's `emptyData(-1, EMPTYDB_NO_FLAGS)`: the keys of every db and the libraries;
    /// WATCHes on existing keys are touched, tracking clients told to flush.
    fn reload_empty(&mut self) {
        for d in 0..self.dbs.len() {
            for k in self.watches.keys_in_db(d) {
                let existed = self.dbs[d].contains_key_raw(&k);
                self.watches.db_replaced(d, &k, existed, None);
            }
        }
        self.tracking_flushed();
        for db in &mut self.dbs {
            db.clear();
        }
        let _ = self.load_functions_from_rdb(&[]);
    }

    /// NOFLUSH: load `bytes` on top of the dataset. The libraries first (as they come first in
    /// the file): with `merge` they replace libraries of the same name, else such a library
    /// fails the load before any key. Then the keys: with `merge` a key replaces the one of
    /// the same name; without, the first such key stops the load (what was loaded stays).
    fn load_rdb_on_top(&mut self, now: Now, bytes: &[u8], merge: bool) -> Result<(), RdbError> {
        let opts = LoadOptions {
            databases: self.dbs.len(),
            drop_expired_at: Some(now.wall),
            functions: true,
            ..LoadOptions::default()
        };
        let mut codes = Vec::new();
        load_events(bytes, &opts, |ev| {
            if let LoadEvent::Function(code) = ev {
                codes.push(code);
            }
        })?;
        if !codes.is_empty() {
            let rand = self.scripting.rand();
            let policy = if merge { "replace" } else { "append" };
            self.scripting
                .libs
                .restore(&codes, policy, rand)
                .map_err(|e| RdbError::Function(e.strip_prefix("ERR ").unwrap_or(&e).to_owned()))?;
        }
        let mut duplicate: Option<(usize, Vec<u8>, usize)> = None;
        let dbs = &mut self.dbs;
        let info = load_events(bytes, &opts, |ev| {
            let LoadEvent::Key(k, offset) = ev else {
                return;
            };
            if duplicate.is_some() {
                return;
            }
            let db = &mut dbs[k.db];
            if db.contains_key_raw(&k.key) {
                if !merge {
                    duplicate = Some((k.db, k.key, offset));
                    return;
                }
                db.remove(&k.key);
            }
            db.insert(&k.key, k.value, k.expire_ms, now.wall);
        })?;
        if let Some((db, key, offset)) = duplicate {
            self.log(
                LogLevel::Warning,
                format!(
                    "RDB has duplicated key '{}' in DB {db}",
                    String::from_utf8_lossy(&key)
                ),
            );
            return Err(RdbError::DuplicateKey { offset });
        }
        self.persistence.loaded_keys = info.keys;
        self.persistence.loaded_expired = info.expired_skipped;
        Ok(())
    }
}
