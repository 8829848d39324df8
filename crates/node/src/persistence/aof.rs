//! The append-only file, Redis 7.0's multi-part layout: in `appenddirname`, a manifest
//! (`<appendfilename>.manifest`, lines `file <name> seq <n> type b|h|i`), one base file
//! (`<appendfilename>.<seq>.base.rdb`, an RDB image with `aof-base 1`) and incr files
//! (`<appendfilename>.<seq>.incr.aof`, commands in RESP).
//!
//! - Every write command that changed the dataset is appended to a buffer as Redis propagates
//!   it, rewritten once by `crate::propagation` for the AOF and replicas alike (relative
//!   expiries made absolute, SPOP as SREM…), with SELECT on a db change. The buffer leaves as one
//!   `FileWrite` when a client's replies are flushed (Redis's `beforeSleep`).
//! - `appendfsync always`: a `FileSync` follows each write, and every reply produced after the
//!   write is held by the node (`Node::push_send`) until that sync completes. While one fsync
//!   is in flight, later writes wait in the buffer and go out together under the next one
//!   (group commit, as Redis's one fsync per event-loop turn). `everysec`: a `FileSync` at
//!   most once a second from the cron. `no`: never.
//! - The writes of an EXEC are wrapped in `MULTI`/`EXEC` by `crate::propagation`; at load a
//!   transaction runs at its `EXEC`, and one the file ends inside is dropped whole.
//! - All AOF file work (incr appends, base commits, manifest commits) goes through the one
//!   ordered file writer, so a manifest naming a base is committed after the base is.
//! - BGREWRITEAOF: a new incr file is opened and named in the manifest at once; the new base
//!   is the copy-on-write snapshot of that instant (the BGSAVE machinery, see `persistence`);
//!   when it is committed the manifest is replaced (`base = new`, `incr = [new]`) and the old
//!   files are removed after that commit completes.
//! - Start: the manifest's base and incr files are replayed. With no manifest (or a legacy
//!   single `appendfilename` in `dir`, plain or with an RDB preamble, or a torn tail that was
//!   skipped), a new base is written from the loaded dataset before serving, so a file is never
//!   appended after a torn record. Redis `truncate(2)`s the torn file instead; the data and
//!   the log lines are the same, only the file layout differs.

use bytes::Bytes;
use hashslot_resp::{Limits, RequestParser};
use hashslot_types::{ConnId, Instant, Now};

use super::load::{LoadError, LoadReport, ReadFile};
use super::Wait;
use crate::config::AppendFsync;
use crate::output::{FileId, PersistToken};
use crate::{LogLevel, Node, Output};

/// What an AOF completion is for.
#[derive(Debug)]
pub(crate) enum AofWait {
    /// An fsync of the incr file: replies held for it can go.
    Sync,
    /// A manifest commit; then these files can be removed.
    Manifest { remove: Vec<String> },
}

/// One manifest entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub name: String,
    pub seq: u64,
}

/// AOF state.
#[derive(Debug, Default)]
pub(crate) struct Aof {
    /// On (`appendonly yes` and started).
    pub on: bool,
    pub file: Option<FileId>,
    pub base: Option<Part>,
    pub incrs: Vec<Part>,
    /// Commands not yet handed to the driver.
    pub buf: Vec<u8>,
    /// The db the file last selected.
    pub selected: Option<usize>,
    /// Bytes written since the last fsync asked for (everysec).
    pub unsynced: bool,
    pub last_fsync: Option<Instant>,
    /// The highest sync token asked for and the highest completed (`always`).
    pub sync_asked: u64,
    pub sync_done: u64,
    /// Outputs held until a sync completes: (token, output); [`NEXT_SYNC`] for the sync not
    /// asked for yet (the buffer waiting behind the fsync in flight).
    pub held: std::collections::VecDeque<(u64, Output)>,
    /// `always`: the buffer waits for the fsync in flight to complete (group commit).
    pub deferred: bool,
    /// A rewrite's new incr (and base) under way.
    pub rewriting: Option<(Part, Part)>,
    pub rewrite_scheduled: bool,
    pub rewrites: u64,
    pub last_rewrite_ok: bool,
    pub last_write_ok: bool,
    /// Replaying at start: nothing is fed.
    pub loading: bool,
    pub size: u64,
    /// A torn tail was skipped at load: start from a new base.
    pub truncated: bool,
}

/// A transaction being read from an AOF: where the file was valid before its `MULTI`, and
/// its commands (table index, arguments) to run at `EXEC`.
type OpenMulti = (usize, Vec<(usize, Vec<Vec<u8>>)>);

/// The held-output mark of the sync that will cover the deferred buffer (see
/// `Node::aof_write_buffer`); relabelled with its token when it is asked for.
const NEXT_SYNC: u64 = u64::MAX;

fn resp(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Parse a manifest: (base, incrs) in file order.
fn parse_manifest(text: &str) -> Result<(Option<Part>, Vec<Part>), String> {
    let (mut base, mut incrs) = (None, Vec::new());
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        let (mut name, mut seq, mut ty) = (None, None, None);
        for kv in w.chunks(2) {
            match kv {
                ["file", v] => name = Some(v.trim_matches('"').to_owned()),
                ["seq", v] => seq = v.parse::<u64>().ok(),
                ["type", v] => ty = Some(*v),
                _ => {}
            }
        }
        let (Some(name), Some(seq), Some(ty)) = (name, seq, ty) else {
            return Err(format!("Invalid AOF manifest line: {line}"));
        };
        let part = Part { name, seq };
        match ty {
            "b" => base = Some(part),
            "i" => incrs.push(part),
            "h" => {}
            _ => return Err(format!("Unknown AOF file type: {ty}")),
        }
    }
    Ok((base, incrs))
}

impl Node {
    fn aof_path(&self, name: &str) -> String {
        format!("{}/{}", self.config.appenddirname, name)
    }

    fn aof_name(&self, seq: u64, kind: &str) -> String {
        format!("{}.{seq}.{kind}", self.config.appendfilename)
    }

    pub(crate) fn aof_rewrite_in_progress(&self) -> bool {
        self.persistence.aof.rewriting.is_some()
    }

    /// Load the AOF at start (see the module docs).
    pub(crate) fn aof_load(
        &mut self,
        now: Now,
        read: &mut ReadFile<'_>,
    ) -> Result<LoadReport, LoadError> {
        let manifest = self.aof_path(&format!("{}.manifest", self.config.appendfilename));
        let text = match read(&manifest) {
            Err(error) => {
                return Err(LoadError::Read {
                    file: manifest,
                    error,
                })
            }
            Ok(t) => t,
        };
        let mut report = LoadReport::default();
        self.persistence.aof.loading = true;
        let r = (|| {
            let Some(text) = text else {
                // A legacy single file in `dir` (Redis < 7.0), loaded then upgraded.
                let legacy = self.config.appendfilename.clone();
                if let Some(bytes) = read(&legacy).map_err(|error| LoadError::Read {
                    file: legacy.clone(),
                    error,
                })? {
                    self.aof_load_file(now, &legacy, &bytes, true, &mut report)?;
                }
                return Ok(());
            };
            let text = String::from_utf8_lossy(&text);
            let (base, incrs) = parse_manifest(&text).map_err(|error| LoadError::Aof {
                file: manifest.clone(),
                error,
            })?;
            let mut files: Vec<String> = base.iter().map(|p| p.name.clone()).collect();
            files.extend(incrs.iter().map(|p| p.name.clone()));
            let n = files.len();
            for (i, name) in files.iter().enumerate() {
                let path = self.aof_path(name);
                match read(&path) {
                    Err(error) => return Err(LoadError::Read { file: path, error }),
                    Ok(None) => {
                        return Err(LoadError::Aof {
                            file: path,
                            error: "The AOF file named in the manifest doesn't exist".into(),
                        })
                    }
                    Ok(Some(bytes)) => {
                        self.aof_load_file(now, &path, &bytes, i + 1 == n, &mut report)?
                    }
                }
            }
            self.persistence.aof.base = base;
            self.persistence.aof.incrs = incrs;
            Ok(())
        })();
        self.persistence.aof.loading = false;
        r?;
        report.keys = self.dbs.iter().map(|d| d.len() as u64).sum();
        if !report.files.is_empty() {
            self.log(
                LogLevel::Notice,
                format!(
                    "DB loaded from append only file: {} files",
                    report.files.len()
                ),
            );
        }
        Ok(report)
    }

    /// Replay one AOF file (an RDB base or preamble, then commands). Ref: aof.c
    /// `loadSingleAppendOnlyFile` (7.0): commands between `MULTI` and `EXEC` are queued and run
    /// at `EXEC`; a file that ends inside a command, or inside a transaction, is cut back to the
    /// last complete command outside a transaction when `aof-load-truncated yes` and it is the
    /// last file, and is an error otherwise.
    fn aof_load_file(
        &mut self,
        now: Now,
        path: &str,
        bytes: &[u8],
        last: bool,
        report: &mut LoadReport,
    ) -> Result<(), LoadError> {
        report.files.push(path.to_owned());
        let name = path.rsplit('/').next().unwrap_or(path).to_owned();
        let mut pos = 0;
        if bytes.starts_with(b"REDIS") {
            // An RDB base (or a preamble followed by commands, as Redis 4 to 6 wrote).
            let info = self
                .load_rdb_bytes(now, bytes)
                .map_err(|error| LoadError::Rdb {
                    file: path.to_owned(),
                    error,
                })?;
            report.expired += info.expired_skipped;
            pos = info.consumed;
        }
        let mut parser = RequestParser::new(Limits::default());
        let conn = ConnId(u64::MAX);
        let addr = crate::ClientAddr {
            peer: "127.0.0.1:0".parse().expect("addr"),
            local: "127.0.0.1:0".parse().expect("addr"),
            fd: -1,
        };
        let mut client = crate::session::Client::new(conn, 0, addr, now.mono, true);
        // The commands of an open MULTI, and where the file was valid before it.
        let mut queued: Option<OpenMulti> = None;
        let format_error = |detail: String| LoadError::Aof {
            file: path.to_owned(),
            error: detail,
        };
        let eof_at = loop {
            if pos >= bytes.len() {
                break None;
            }
            let buf = &bytes[pos..];
            if buf[0] != b'*' {
                // Ref: the loader reads `*<argc>` first and calls anything else a format error
                // (an inline command is not an AOF record).
                break Some(Err(format_error(format!(
                    "Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
                ))));
            }
            match parser.parse(buf) {
                Ok(Some(n)) => {
                    let args: Vec<&[u8]> = parser.args(buf).collect();
                    let cmd = args.first().copied().unwrap_or(b"");
                    if cmd.eq_ignore_ascii_case(b"multi") {
                        queued = Some((pos, Vec::new()));
                    } else if cmd.eq_ignore_ascii_case(b"exec") {
                        if let Some((_, cmds)) = queued.take() {
                            for (idx, argv) in cmds {
                                let a: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
                                self.call(now, &mut client, idx, &a);
                                client.out.clear();
                            }
                        }
                    } else if let crate::table::Lookup::Found(idx) = self.table.lookup(&args) {
                        match queued.as_mut() {
                            Some((_, cmds)) => {
                                cmds.push((idx, args.iter().map(|a| a.to_vec()).collect()))
                            }
                            None => {
                                self.call(now, &mut client, idx, &args);
                                client.out.clear();
                            }
                        }
                    } else {
                        break Some(Err(format_error(format!(
                            "Unknown command '{}' reading the append only file {name}",
                            String::from_utf8_lossy(cmd)
                        ))));
                    }
                    parser.reset();
                    pos += n;
                }
                // The file ends inside this command.
                Ok(None) => break Some(Ok(())),
                Err(_) => {
                    break Some(Err(format_error(format!(
                        "Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
                    ))))
                }
            }
        };
        let valid_up_to = match (eof_at, queued) {
            (None, None) => return Ok(()),
            (Some(Err(e)), _) => return Err(e),
            (_, Some((before_multi, _))) => {
                self.log(
                    LogLevel::Warning,
                    format!("Revert incomplete MULTI/EXEC transaction in AOF file {name}"),
                );
                before_multi
            }
            (Some(Ok(())), None) => pos,
        };
        let allowed = self.config.get("aof-load-truncated").as_deref() != Some("no");
        if allowed {
            self.log(
                LogLevel::Warning,
                format!("!!! Warning: short read while loading the AOF file {name}!!!"),
            );
            // Redis truncate(2)s the file here; we drop the torn bytes by starting from a new
            // base written from what was loaded (see `aof_start`), so no file is cut in place.
            self.log(
                LogLevel::Warning,
                format!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!"),
            );
            if !last {
                return Err(LoadError::AofTruncated {
                    file: path.to_owned(),
                    error: "Fatal error: the truncated file is not the last file".into(),
                });
            }
            self.log(
                LogLevel::Warning,
                format!("AOF {name} loaded anyway because aof-load-truncated is enabled"),
            );
            report.truncated = true;
            self.persistence.aof.truncated = true;
            return Ok(());
        }
        Err(LoadError::AofTruncated {
            file: path.to_owned(),
            error: format!("Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."),
        })
    }

    /// After loading: open the AOF for appending (a new base first when there is no manifest,
    /// or a torn tail was skipped).
    pub(crate) fn aof_start(&mut self, now: Now) {
        if !self.config.appendonly || self.persistence.aof.on {
            return;
        }
        let aof = &mut self.persistence.aof;
        aof.on = true;
        aof.last_write_ok = true;
        aof.last_rewrite_ok = true;
        aof.last_fsync = Some(now.mono);
        let fresh = aof.incrs.is_empty();
        if fresh || self.loaded_truncated() {
            self.aof_write_base_sync(now);
            return;
        }
        let last = self.persistence.aof.incrs.last().cloned().expect("an incr");
        let file = self.persistence.file();
        let path = self.aof_path(&last.name);
        self.outputs.push_back(Output::FileOpen {
            file,
            path,
            append: true,
        });
        self.persistence.aof.file = Some(file);
    }

    fn loaded_truncated(&self) -> bool {
        self.persistence.aof.truncated
    }

    /// Write a new base from the dataset now, a new incr, and a manifest naming them; remove
    /// the old files once the manifest is committed.
    fn aof_write_base_sync(&mut self, now: Now) {
        let seq = self.persistence.aof.base.as_ref().map_or(0, |p| p.seq).max(
            self.persistence
                .aof
                .incrs
                .iter()
                .map(|p| p.seq)
                .max()
                .unwrap_or(0),
        ) + 1;
        let image = match hashslot_persist::save_dbs(
            &self.dbs,
            now.wall,
            &self.rdb_aux(true),
            &self.rdb_options(),
        ) {
            Ok(i) => i,
            Err(e) => {
                self.log(LogLevel::Warning, format!("Can't write the AOF base: {e}"));
                return;
            }
        };
        let base = Part {
            name: self.aof_name(seq, "base.rdb"),
            seq,
        };
        let incr = Part {
            name: self.aof_name(seq, "incr.aof"),
            seq,
        };
        let f = self.persistence.file();
        let token = self.persistence.token();
        self.outputs.push_back(Output::FileOpen {
            file: f,
            path: self.aof_path(&format!("{}.tmp", base.name)),
            append: false,
        });
        self.outputs.push_back(Output::FileWrite {
            file: f,
            data: Bytes::from(image),
        });
        self.outputs.push_back(Output::FileCommit {
            file: f,
            token,
            final_path: self.aof_path(&base.name),
        });
        self.persistence
            .waits
            .insert(token.0, Wait::Aof(AofWait::Sync));
        let mut remove: Vec<String> = self
            .persistence
            .aof
            .base
            .iter()
            .map(|p| p.name.clone())
            .collect();
        remove.extend(self.persistence.aof.incrs.iter().map(|p| p.name.clone()));
        self.aof_switch_incr(incr.clone());
        self.persistence.aof.base = Some(base);
        self.persistence.aof.incrs = vec![incr];
        self.aof_commit_manifest(remove);
    }

    /// Close the current incr file and open `incr` (new, empty) for appending.
    fn aof_switch_incr(&mut self, incr: Part) {
        // Everything written so far belongs to the old file (a rewrite's base is taken after
        // it), even what waits behind an fsync in flight.
        self.aof_flush_buffer();
        if let Some(old) = self.persistence.aof.file.take() {
            let token = self.aof_sync_token();
            self.outputs
                .push_back(Output::FileSync { file: old, token });
            self.outputs.push_back(Output::FileClose {
                file: old,
                remove: false,
            });
        }
        let file = self.persistence.file();
        self.outputs.push_back(Output::FileOpen {
            file,
            path: self.aof_path(&incr.name),
            append: false,
        });
        self.persistence.aof.file = Some(file);
        self.persistence.aof.selected = None;
    }

    /// Write the manifest for the current base and incrs through the ordered writer.
    fn aof_commit_manifest(&mut self, remove: Vec<String>) {
        let mut text = String::new();
        let aof = &self.persistence.aof;
        if let Some(b) = &aof.base {
            text.push_str(&format!("file {} seq {} type b\n", b.name, b.seq));
        }
        for i in &aof.incrs {
            text.push_str(&format!("file {} seq {} type i\n", i.name, i.seq));
        }
        let name = format!("{}.manifest", self.config.appendfilename);
        let f = self.persistence.file();
        let token = self.persistence.token();
        self.outputs.push_back(Output::FileOpen {
            file: f,
            path: self.aof_path(&format!("temp-{name}")),
            append: false,
        });
        self.outputs.push_back(Output::FileWrite {
            file: f,
            data: Bytes::from(text),
        });
        self.outputs.push_back(Output::FileCommit {
            file: f,
            token,
            final_path: self.aof_path(&name),
        });
        self.persistence
            .waits
            .insert(token.0, Wait::Aof(AofWait::Manifest { remove }));
    }

    /// A sync token whose completion releases held replies (`always`), including those held
    /// for the next sync.
    fn aof_sync_token(&mut self) -> PersistToken {
        let token = self.persistence.token();
        self.persistence.aof.sync_asked = token.0;
        for (t, _) in self.persistence.aof.held.iter_mut().rev() {
            if *t != NEXT_SYNC {
                break;
            }
            *t = token.0;
        }
        self.persistence
            .waits
            .insert(token.0, Wait::Aof(AofWait::Sync));
        token
    }

    /// Whether propagated writes go to the AOF now (on, not loading, a file open).
    pub(crate) fn aof_accepts_feed(&self) -> bool {
        let aof = &self.persistence.aof;
        aof.on && !aof.loading && aof.file.is_some()
    }

    /// Append already-rewritten commands (see `crate::propagation`) to the AOF buffer, with a
    /// SELECT when the db differs from the last one written.
    pub(crate) fn aof_append(&mut self, db: usize, cmds: &[Vec<Vec<u8>>]) {
        let mut out = std::mem::take(&mut self.persistence.aof.buf);
        if self.persistence.aof.selected != Some(db) {
            resp(&[b"SELECT", db.to_string().as_bytes()], &mut out);
            self.persistence.aof.selected = Some(db);
        }
        for argv in cmds {
            let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            resp(&args, &mut out);
        }
        self.persistence.aof.buf = out;
    }

    /// Hand the buffered commands to the driver (and, under `always`, ask for the fsync that
    /// releases the replies produced from now on). Called before a client's replies leave.
    ///
    /// Group commit under `always` (Redis fsyncs once per event-loop turn for every client
    /// served in it): while an fsync is in flight, the buffer is kept and every reply is held
    /// behind the *next* fsync, which is asked for, covering all of them, when the one in
    /// flight completes. One fsync per round trip of the disk, not one per client.
    pub(crate) fn aof_write_buffer(&mut self) {
        let always = self.config.appendfsync == AppendFsync::Always;
        let aof = &self.persistence.aof;
        if always && aof.sync_asked > aof.sync_done && !aof.buf.is_empty() {
            self.persistence.aof.deferred = true;
            return;
        }
        self.aof_flush_buffer();
    }

    /// Write the buffer now (and, under `always`, ask for its fsync), in flight or not.
    fn aof_flush_buffer(&mut self) {
        let aof = &mut self.persistence.aof;
        aof.deferred = false;
        if aof.buf.is_empty() {
            return;
        }
        let Some(file) = aof.file else {
            aof.buf.clear();
            return;
        };
        let data = std::mem::take(&mut aof.buf);
        aof.size += data.len() as u64;
        aof.unsynced = true;
        self.outputs.push_back(Output::FileWrite {
            file,
            data: Bytes::from(data),
        });
        if self.config.appendfsync == AppendFsync::Always {
            let token = self.aof_sync_token();
            self.persistence.aof.unsynced = false;
            self.outputs.push_back(Output::FileSync { file, token });
        }
    }

    /// Queue a client's bytes: at once, or behind the fsync of AOF data they may depend on.
    pub(crate) fn push_send(&mut self, conn: ConnId, data: Bytes) {
        self.aof_write_buffer();
        self.push_held(Output::Send { conn, data });
    }

    /// Queue an output behind pending `always` fsyncs, if any.
    pub(crate) fn push_held(&mut self, out: Output) {
        let aof = &mut self.persistence.aof;
        if aof.deferred {
            aof.held.push_back((NEXT_SYNC, out));
        } else if aof.sync_asked > aof.sync_done || !aof.held.is_empty() {
            let t = aof.sync_asked;
            aof.held.push_back((t, out));
        } else {
            self.outputs.push_back(out);
        }
    }

    pub(crate) fn aof_done(
        &mut self,
        now: Now,
        token: PersistToken,
        w: AofWait,
        result: Result<(), String>,
    ) {
        let _ = now;
        match w {
            AofWait::Sync => {
                if let Err(e) = result {
                    // Ref: aof.c flushAppendOnlyFile: with `always`, a failed write or fsync
                    // cannot be answered as success, so the process exits.
                    self.persistence.aof.last_write_ok = false;
                    self.log(
                        LogLevel::Warning,
                        format!("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting... ({e})"),
                    );
                    self.shutting_down = true;
                    self.outputs.push_back(Output::Shutdown);
                    return;
                }
                let aof = &mut self.persistence.aof;
                aof.sync_done = aof.sync_done.max(token.0);
                while let Some((t, _)) = aof.held.front() {
                    if *t > aof.sync_done {
                        break;
                    }
                    let (_, out) = aof.held.pop_front().expect("front");
                    self.outputs.push_back(out);
                }
                // The writes that waited behind this fsync go now, under one fsync.
                if self.persistence.aof.deferred {
                    self.aof_flush_buffer();
                }
            }
            AofWait::Manifest { remove } => match result {
                Ok(()) => {
                    for name in remove {
                        let path = self.aof_path(&name);
                        self.outputs.push_back(Output::FileRemove { path });
                    }
                }
                Err(e) => {
                    self.persistence.aof.last_write_ok = false;
                    self.log(
                        LogLevel::Warning,
                        format!("Can't persist the AOF manifest: {e}"),
                    );
                }
            },
        }
    }

    pub(crate) fn aof_poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// everysec: fsync once a second when something was written. A scheduled rewrite starts.
    pub(crate) fn aof_cron(&mut self, now: Now) {
        if !self.persistence.aof.on {
            return;
        }
        if self.persistence.aof.rewrite_scheduled
            && self.persistence.bgsave.is_none()
            && !self.persistence.save_in_flight
        {
            self.persistence.aof.rewrite_scheduled = false;
            self.aof_rewrite_start(now);
        }
        self.aof_write_buffer();
        let aof = &self.persistence.aof;
        if self.config.appendfsync == AppendFsync::Everysec
            && aof.unsynced
            && aof.last_fsync.map_or(true, |t| {
                now.mono.saturating_duration_since(t).as_millis() >= 1000
            })
        {
            if let Some(file) = aof.file {
                let token = self.persistence.token();
                self.persistence
                    .waits
                    .insert(token.0, Wait::Aof(AofWait::Sync));
                self.persistence.aof.unsynced = false;
                self.persistence.aof.last_fsync = Some(now.mono);
                self.outputs.push_back(Output::FileSync { file, token });
            }
        }
    }

    /// SHUTDOWN: write and fsync what is buffered.
    pub(crate) fn aof_shutdown(&mut self, now: Now) {
        let _ = now;
        if !self.persistence.aof.on {
            return;
        }
        self.aof_flush_buffer();
        if let Some(file) = self.persistence.aof.file {
            let token = self.aof_sync_token();
            self.outputs.push_back(Output::FileSync { file, token });
        }
    }

    /// BGREWRITEAOF: a new incr now, a new base from the copy-on-write snapshot of now.
    pub(crate) fn aof_rewrite_start(&mut self, now: Now) {
        let aof = &self.persistence.aof;
        let seq = aof
            .base
            .as_ref()
            .map_or(0, |p| p.seq)
            .max(aof.incrs.iter().map(|p| p.seq).max().unwrap_or(0))
            + 1;
        let base = Part {
            name: self.aof_name(seq, "base.rdb"),
            seq,
        };
        let incr = Part {
            name: self.aof_name(seq, "incr.aof"),
            seq,
        };
        self.aof_switch_incr(incr.clone());
        self.persistence.aof.incrs.push(incr.clone());
        self.aof_commit_manifest(Vec::new());
        let path = self.aof_path(&base.name);
        if self.bgsave_start_to(now, path, true).is_err() {
            self.persistence.aof.rewrite_scheduled = true;
            return;
        }
        self.persistence.aof.rewriting = Some((base, incr));
        self.log(
            LogLevel::Notice,
            "Background append only file rewriting started".to_owned(),
        );
    }

    /// A base commit of a rewrite completed.
    pub(crate) fn aof_rewrite_done(&mut self, ok: bool) {
        let Some((base, incr)) = self.persistence.aof.rewriting.take() else {
            return;
        };
        self.persistence.aof.last_rewrite_ok = ok;
        if !ok {
            self.log(
                LogLevel::Warning,
                "Background AOF rewrite failed".to_owned(),
            );
            return;
        }
        self.persistence.aof.rewrites += 1;
        let aof = &mut self.persistence.aof;
        let mut remove: Vec<String> = aof.base.iter().map(|p| p.name.clone()).collect();
        let keep = aof.incrs.iter().position(|p| *p == incr).unwrap_or(0);
        remove.extend(aof.incrs[..keep].iter().map(|p| p.name.clone()));
        aof.incrs.drain(..keep);
        aof.base = Some(base);
        self.aof_commit_manifest(remove);
        self.log(
            LogLevel::Notice,
            "Background AOF rewrite finished successfully".to_owned(),
        );
    }

    /// After any BGSAVE ends: a rewrite scheduled behind it may start.
    pub(crate) fn aof_after_bgsave(&mut self, now: Now) {
        let _ = now;
    }
}
