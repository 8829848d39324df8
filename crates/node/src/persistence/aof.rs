//! The append-only file, Redis 7.0's multi-part layout: in `appenddirname`, a manifest
//! (`<appendfilename>.manifest`, lines `file <name> seq <n> type b|h|i`), one base file
//! (`<appendfilename>.<seq>.base.rdb`, an RDB image with `aof-base 1`, or with
//! `aof-use-rdb-preamble no` `<appendfilename>.<seq>.base.aof`, commands as Redis's
//! `rewriteAppendOnlyFileRio` writes them: see `hashslot_persist::AofWriter`) and incr files
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
//!   files are removed after that commit completes. With the AOF off, only a base is written
//!   and the manifest then names it alone (every incr becomes history), as Redis 7.0 does.
//! - Start (Redis's `aofOpenIfNeededOnServerStart`): the manifest's base and incr files are
//!   replayed. With neither a base nor an incr (a fresh dir, or a legacy single
//!   `appendfilename` in `dir`, plain or with an RDB preamble), a new base is written from the
//!   loaded dataset before serving. A last file with a torn tail (`aof-load-truncated yes`) is
//!   cut back to its valid bytes, as Redis `truncate(2)`s it, but atomically (a temporary copy
//!   renamed over it) before anything is appended; the same names stay in the manifest. With a
//!   base and no incr, a new incr is created and named in the manifest.
//! - Base and incr sequence numbers are counted apart, as Redis does: a BGREWRITEAOF with the
//!   AOF off writes a base alone, so the two drift apart.
//! - `CONFIG SET appendonly yes` at runtime (Redis's `startAppendOnly`): writes go to
//!   `temp-<appendfilename>.incr` while a rewrite writes the base; when the base is committed
//!   the temporary incr takes the next incr name and the manifest names both. `no` closes the
//!   file and leaves the files as they are.

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
    /// A torn file replaced by its valid bytes (see `Node::aof_replace_file`).
    Replaced,
    /// A manifest commit; then these files can be removed. `ends_rewrite`: the commit of a
    /// rewrite's result, which counts as under way until then (as Redis writes the manifest
    /// before it reports the rewrite done).
    Manifest {
        remove: Vec<String>,
        ends_rewrite: bool,
    },
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
    /// On (`appendonly yes` and started, or being turned on at runtime: Redis's `AOF_ON` and
    /// `AOF_WAIT_REWRITE`, which INFO's `aof_enabled` both shows as 1).
    pub on: bool,
    /// `load_data` ran: from then on `appendonly` changes are applied (see
    /// `Node::aof_config_changed`).
    pub started: bool,
    /// Turned on at runtime, waiting for its first rewrite (Redis's `AOF_WAIT_REWRITE`): the
    /// open file is the temporary incr, and the manifest does not name it yet.
    pub wait_rewrite: bool,
    pub file: Option<FileId>,
    pub base: Option<Part>,
    pub incrs: Vec<Part>,
    /// The highest base and incr sequence numbers used, counted apart as Redis's
    /// `curr_base_file_seq` and `curr_incr_file_seq`: a new base takes `base_seq + 1`, a new
    /// incr `incr_seq + 1`.
    pub base_seq: u64,
    pub incr_seq: u64,
    /// History files the manifest named at start, removed by `aof_start`.
    pub history: Vec<String>,
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
    /// A rewrite under way: its new base, and the incr it opened (`None` when the AOF is off:
    /// Redis then writes only a base).
    pub rewriting: Option<(Part, Option<Part>)>,
    /// A rewrite's base is committed and its manifest commit is awaited.
    pub rewrite_finishing: bool,
    /// When the rewrite under way started (INFO's `aof_last_rewrite_time_sec`).
    pub rewrite_started: Option<Instant>,
    pub rewrite_scheduled: bool,
    /// Rewrites started (Redis counts `aof_rewrites` when the child is forked).
    pub rewrites: u64,
    /// The last rewrite failed (INFO's `aof_last_bgrewrite_status:err`).
    pub last_rewrite_failed: bool,
    /// Whole seconds the last rewrite took; `None` before the first (INFO shows -1).
    pub last_rewrite_secs: Option<u64>,
    /// The last AOF write or fsync failed, with the OS error text (Redis's
    /// `aof_last_write_status` and `aof_bio_fsync_status` with their errno, which this merges:
    /// a write error shows here only at the fsync that follows it). While set and the AOF is on,
    /// writes and PING are refused with `-MISCONF` (see `Node::aof_refuse_write`).
    pub write_error: Option<String>,
    /// Replaying at start: nothing is fed.
    pub loading: bool,
    /// INFO's `aof_current_size`: the files' sizes at load plus what was written since.
    pub size: u64,
    /// INFO's `aof_base_size` (Redis's `aof_rewrite_base_size`): the base's size at load, the
    /// whole AOF's size when the last rewrite finished; automatic rewrites measure growth
    /// against it.
    pub base_size: u64,
    /// Bytes in the incr file being appended to (Redis's `aof_last_incr_size`): a finished
    /// rewrite's size is its new base plus this.
    pub last_incr_size: u64,
    /// Rewrites that failed in a row (Redis's `stat_aofrw_consecutive_failures`): from
    /// [`AOF_REWRITE_LIMIT_THRESHOLD`] on, automatic and scheduled rewrites back off.
    pub consecutive_failures: u32,
    /// The back-off of a limited rewrite: the delay in minutes last used and the wall second
    /// (since the epoch) before which no automatic or scheduled rewrite starts; 0 when none.
    pub limit_delay_minutes: u64,
    pub limit_until: u64,
    /// The last file loaded had a torn tail (`aof-load-truncated yes`): its path and the valid
    /// bytes it is cut back to before anything is appended (Redis `truncate(2)`s it).
    pub truncate: Option<(String, Bytes)>,
}

/// Failed rewrites in a row from which rewrites not asked for by a client back off (Redis's
/// `AOF_REWRITE_LIMITE_THRESHOLD`).
const AOF_REWRITE_LIMIT_THRESHOLD: u32 = 3;
/// The longest back-off, in minutes (Redis's `AOF_REWRITE_LIMITE_MAX_MINUTES`).
const AOF_REWRITE_LIMIT_MAX_MINUTES: u64 = 60;

/// Redis's `shared.bgsaveerr` (without the `-`): writes refused after a failed BGSAVE.
const BGSAVE_ERR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

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

/// A parsed manifest.
#[derive(Debug, Default)]
struct Manifest {
    base: Option<Part>,
    /// In file order.
    incrs: Vec<Part>,
    /// The base's sequence number (0 without a base), as Redis's `curr_base_file_seq`.
    base_seq: u64,
    /// The last incr's sequence number (0 without one), as Redis's `curr_incr_file_seq`.
    incr_seq: u64,
    /// History files (`type h`): replaced by a rewrite, not yet removed.
    history: Vec<String>,
}

/// Parse a manifest (ref: aof.c `aofLoadManifestFromFile`: base at most once, incr sequence
/// numbers increasing; history lines name files already replaced, removed at start).
fn parse_manifest(text: &str) -> Result<Manifest, String> {
    let mut m = Manifest::default();
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
                ["seq", v] => seq = v.parse::<u64>().ok().filter(|&n| n > 0),
                ["type", v] => ty = Some(*v),
                _ => {}
            }
        }
        let (Some(name), Some(seq), Some(ty)) = (name, seq, ty) else {
            return Err(format!("Invalid AOF manifest line: {line}"));
        };
        let part = Part { name, seq };
        match ty {
            "b" if m.base.is_some() => return Err("Found duplicate base file information".into()),
            "b" => {
                m.base_seq = seq;
                m.base = Some(part);
            }
            "i" if seq <= m.incr_seq => return Err("Found a non-monotonic sequence number".into()),
            "i" => {
                m.incr_seq = seq;
                m.incrs.push(part);
            }
            "h" => m.history.push(part.name),
            _ => return Err(format!("Unknown AOF file type: {ty}")),
        }
    }
    Ok(m)
}

impl Node {
    fn aof_path(&self, name: &str) -> String {
        format!("{}/{}", self.config.appenddirname, name)
    }

    fn aof_name(&self, seq: u64, kind: &str) -> String {
        format!("{}.{seq}.{kind}", self.config.appendfilename)
    }

    /// The kind part of a new base's name (Redis's `getNewBaseFileNameAndMarkPreAsHistory`):
    /// `base.rdb` for an RDB image, `base.aof` for commands (`aof-use-rdb-preamble no`).
    fn aof_base_kind(&self) -> &'static str {
        if self.aof_use_rdb_preamble() {
            "base.rdb"
        } else {
            "base.aof"
        }
    }

    pub(crate) fn aof_rewrite_in_progress(&self) -> bool {
        self.persistence.aof.rewriting.is_some() || self.persistence.aof.rewrite_finishing
    }

    /// Ref: server.c finishShutdown (7.0): while the first rewrite after `CONFIG SET appendonly
    /// yes` runs (`AOF_WAIT_REWRITE` with the rewrite child alive) the dataset is in no AOF
    /// yet, so a shutdown without FORCE is refused (NOSAVE does not help), a signal's included;
    /// `true` when refused (logged as Redis does; the caller replies
    /// `-ERR Errors trying to SHUTDOWN. Check logs.` to a SHUTDOWN). With FORCE it is logged
    /// and the shutdown goes on.
    pub(crate) fn aof_refuses_shutdown(&mut self, force: bool) -> bool {
        if !self.persistence.aof.wait_rewrite || !self.aof_rewrite_in_progress() {
            return false;
        }
        if force {
            self.log(
                LogLevel::Warning,
                "Writing initial AOF. Exit anyway.".to_owned(),
            );
            return false;
        }
        for line in [
            "User requested shutdown...",
            "Writing initial AOF, can't exit.",
            "Errors trying to shut down the server. Check the logs for more information.",
        ] {
            self.log(LogLevel::Warning, line.to_owned());
        }
        true
    }

    /// With `appendonly no`, read the manifest only (Redis's `aofLoadManifestFromDisk` runs
    /// whatever the setting): a later BGREWRITEAOF then continues its sequence numbers and
    /// removes the files it replaces, and `CONFIG SET appendonly yes` starts from it. A missing
    /// manifest is no AOF; an unreadable or malformed one stops the start, as in Redis.
    /// `load_data` calls it before loading the RDB file.
    pub(crate) fn aof_read_manifest(&mut self, read: &mut ReadFile<'_>) -> Result<(), LoadError> {
        let manifest = self.aof_path(&format!("{}.manifest", self.config.appendfilename));
        let text = match read(&manifest) {
            Err(error) => {
                return Err(LoadError::Read {
                    file: manifest,
                    error,
                })
            }
            Ok(None) => return Ok(()),
            Ok(Some(t)) => t,
        };
        let m =
            parse_manifest(&String::from_utf8_lossy(&text)).map_err(|error| LoadError::Aof {
                file: manifest,
                error,
            })?;
        let aof = &mut self.persistence.aof;
        aof.base = m.base;
        aof.incrs = m.incrs;
        aof.base_seq = m.base_seq;
        aof.incr_seq = m.incr_seq;
        aof.history = m.history;
        Ok(())
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
            let m = parse_manifest(&text).map_err(|error| LoadError::Aof {
                file: manifest.clone(),
                error,
            })?;
            let mut files: Vec<String> = m.base.iter().map(|p| p.name.clone()).collect();
            files.extend(m.incrs.iter().map(|p| p.name.clone()));
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
                        // Redis's `aof_current_size` starts as the files' sizes before any
                        // torn tail is cut.
                        self.persistence.aof.size += bytes.len() as u64;
                        if i == 0 && m.base.is_some() {
                            self.persistence.aof.base_size = bytes.len() as u64;
                        } else if i + 1 == n {
                            // The incr appended to after start (cut back below if torn).
                            self.persistence.aof.last_incr_size = bytes.len() as u64;
                        }
                        self.aof_load_file(now, &path, &bytes, i + 1 == n, &mut report)?
                    }
                }
            }
            let aof = &mut self.persistence.aof;
            aof.base = m.base;
            aof.incrs = m.incrs;
            aof.base_seq = m.base_seq;
            aof.incr_seq = m.incr_seq;
            aof.history = m.history;
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
            // Redis truncate(2)s the file here; the node cannot touch a file while loading, so
            // `aof_start` replaces it with its valid bytes before anything is appended.
            self.log(
                LogLevel::Warning,
                format!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!"),
            );
            self.log(
                LogLevel::Warning,
                format!("AOF {name} loaded anyway because aof-load-truncated is enabled"),
            );
            if !last {
                // Redis has cut the file in place by now and then exits; we exit without
                // touching it (a file that fails to load is never written).
                return Err(LoadError::AofTruncated {
                    file: path.to_owned(),
                    error: "Fatal error: the truncated file is not the last file".into(),
                });
            }
            report.truncated = true;
            self.persistence.aof.truncate = Some((
                path.to_owned(),
                Bytes::copy_from_slice(&bytes[..valid_up_to]),
            ));
            return Ok(());
        }
        Err(LoadError::AofTruncated {
            file: path.to_owned(),
            error: format!("Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."),
        })
    }

    /// After loading: open the AOF for appending, as Redis's `aofOpenIfNeededOnServerStart`.
    /// With neither a base nor an incr (a fresh start, or a legacy single file), a base is
    /// written from the dataset first; a torn last file is first cut back to its valid bytes
    /// (see `aof_load_file`); with no incr, a new one is created and named in the manifest;
    /// else the last incr is appended to.
    pub(crate) fn aof_start(&mut self, now: Now) {
        self.persistence.aof.started = true;
        if !self.config.appendonly || self.persistence.aof.on {
            self.aof_del_history();
            return;
        }
        self.aof_open_on_start(now);
        self.aof_del_history();
    }

    /// Ref: aof.c aofDelHistoryFiles, at start: the history files a manifest still names (a
    /// rewrite's replaced files, when the process stopped before removing them) are removed
    /// once a manifest without them is committed.
    fn aof_del_history(&mut self) {
        let history = std::mem::take(&mut self.persistence.aof.history);
        if history.is_empty() {
            return;
        }
        for name in &history {
            self.log(
                LogLevel::Notice,
                format!("Removing the history file {name} in the background"),
            );
        }
        self.aof_commit_manifest(history);
    }

    /// `aof_start` with the AOF on: see there.
    fn aof_open_on_start(&mut self, now: Now) {
        let aof = &mut self.persistence.aof;
        aof.on = true;
        aof.write_error = None;
        aof.last_fsync = Some(now.mono);
        let truncate = aof.truncate.take();
        if aof.base.is_none() && aof.incrs.is_empty() {
            // A legacy file's torn tail is left as it is: the file is replaced by the base.
            self.aof_write_base_sync(now);
            return;
        }
        if let Some((path, valid)) = truncate {
            if self.persistence.aof.incrs.is_empty() {
                // The torn file is the base; there is no incr yet.
                self.persistence.aof.last_incr_size = 0;
            } else {
                self.persistence.aof.last_incr_size = valid.len() as u64;
            }
            self.aof_replace_file(&path, valid);
        }
        let Some(last) = self.persistence.aof.incrs.last().cloned() else {
            let incr = self.aof_new_incr();
            self.aof_switch_incr(incr.clone());
            self.persistence.aof.incrs.push(incr.clone());
            self.aof_commit_manifest(Vec::new());
            self.log(
                LogLevel::Notice,
                format!("Creating AOF incr file {} on server start", incr.name),
            );
            return;
        };
        let file = self.persistence.file();
        let path = self.aof_path(&last.name);
        self.outputs.push_back(Output::FileOpen {
            file,
            path,
            append: true,
        });
        self.persistence.aof.file = Some(file);
        self.log(
            LogLevel::Notice,
            format!("Opening AOF incr file {} on server start", last.name),
        );
    }

    /// Replace the file at `path` with `data`, atomically (a temporary file renamed over it),
    /// ahead of every later file output: Redis's in-place `truncate(2)` of a torn AOF file,
    /// done so that a crash leaves either the torn file (loaded the same way again) or the cut
    /// one, never less than the valid bytes.
    fn aof_replace_file(&mut self, path: &str, data: Bytes) {
        let f = self.persistence.file();
        let token = self.persistence.token();
        self.outputs.push_back(Output::FileOpen {
            file: f,
            path: format!("{path}.truncate.tmp"),
            append: false,
        });
        self.outputs.push_back(Output::FileWrite { file: f, data });
        self.outputs.push_back(Output::FileCommit {
            file: f,
            token,
            final_path: path.to_owned(),
        });
        self.persistence
            .waits
            .insert(token.0, Wait::Aof(AofWait::Replaced));
    }

    /// The next base (Redis's `getNewBaseFileNameAndMarkPreAsHistory`, without the history).
    fn aof_new_base(&mut self) -> Part {
        self.persistence.aof.base_seq += 1;
        let seq = self.persistence.aof.base_seq;
        Part {
            name: self.aof_name(seq, self.aof_base_kind()),
            seq,
        }
    }

    /// The next incr (Redis's `getNewIncrAofName`).
    fn aof_new_incr(&mut self) -> Part {
        self.persistence.aof.incr_seq += 1;
        let seq = self.persistence.aof.incr_seq;
        Part {
            name: self.aof_name(seq, "incr.aof"),
            seq,
        }
    }

    /// Write a new base from the dataset now, a new incr, and a manifest naming them; remove
    /// the old files once the manifest is committed.
    fn aof_write_base_sync(&mut self, now: Now) {
        let image = match self.aof_base_image(now) {
            Ok(i) => i,
            Err(e) => {
                self.log(LogLevel::Warning, format!("Can't write the AOF base: {e}"));
                return;
            }
        };
        let base = self.aof_new_base();
        let incr = self.aof_new_incr();
        self.persistence.aof.base_size = image.len() as u64;
        self.persistence.aof.size = image.len() as u64;
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
        self.log(
            LogLevel::Notice,
            format!("Creating AOF base file {} on server start", base.name),
        );
        self.log(
            LogLevel::Notice,
            format!("Creating AOF incr file {} on server start", incr.name),
        );
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
        self.persistence.aof.last_incr_size = 0;
    }

    /// Write the manifest for the current base and incrs through the ordered writer.
    fn aof_commit_manifest(&mut self, remove: Vec<String>) {
        self.aof_commit_manifest_for(remove, false);
    }

    /// [`Node::aof_commit_manifest`]; `ends_rewrite`: it records a rewrite's result.
    fn aof_commit_manifest_for(&mut self, remove: Vec<String>, ends_rewrite: bool) {
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
        self.persistence.waits.insert(
            token.0,
            Wait::Aof(AofWait::Manifest {
                remove,
                ends_rewrite,
            }),
        );
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
        aof.last_incr_size += data.len() as u64;
        aof.unsynced = true;
        self.outputs.push_back(Output::FileWrite {
            file,
            data: Bytes::from(data),
        });
        // Replies held for the next fsync (group commit under `always`) get it even when
        // `appendfsync` was changed since: a write acknowledged under `always` is durable.
        // (They are relabelled from the back, so the last one tells.)
        let held_for_next = self
            .persistence
            .aof
            .held
            .back()
            .is_some_and(|(t, _)| *t == NEXT_SYNC);
        if self.config.appendfsync == AppendFsync::Always || held_for_next {
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
                    return self.aof_sync_failed(token, e);
                }
                if self.persistence.aof.write_error.take().is_some() {
                    self.log(
                        LogLevel::Warning,
                        "AOF write error looks solved, Redis can write again.".to_owned(),
                    );
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
            AofWait::Replaced => {
                if let Err(e) = result {
                    // Ref: aof.c loadSingleAppendOnlyFile: a torn file that cannot be cut back
                    // must not be appended to, so the process exits.
                    self.persistence.aof.write_error = Some(e.clone());
                    self.log(
                        LogLevel::Warning,
                        format!("Error truncating the AOF file: {e}"),
                    );
                    self.shutting_down = true;
                    self.outputs.push_back(Output::Exit { status: 1 });
                }
            }
            AofWait::Manifest {
                remove,
                ends_rewrite,
            } => {
                if ends_rewrite {
                    self.persistence.aof.rewrite_finishing = false;
                }
                match result {
                    Ok(()) => {
                        for name in remove {
                            let path = self.aof_path(&name);
                            self.outputs.push_back(Output::FileRemove { path });
                        }
                    }
                    Err(e) => {
                        // Ref: aof.c backgroundRewriteDoneHandler / rewriteAppendOnlyFileBackground:
                        // a manifest that cannot be persisted fails the rewrite
                        // (`aof_last_bgrewrite_status:err`); writes go on.
                        self.persistence.aof.last_rewrite_failed = true;
                        self.persistence.aof.consecutive_failures += 1;
                        self.log(
                            LogLevel::Warning,
                            format!("Can't persist the AOF manifest: {e}"),
                        );
                    }
                }
            }
        }
    }

    /// An AOF fsync failed. Ref: aof.c flushAppendOnlyFile and bio.c: under `always` (or when
    /// replies wait for this fsync, acknowledged under `always`) the process exits, since a
    /// reply may promise what is not on disk; otherwise the error is kept and writes are
    /// refused with `-MISCONF` until an fsync succeeds. Unlike Redis (whose background fsync is
    /// retried only after more data is written, which the refusal prevents), the cron asks for
    /// the fsync again once a second, as Redis's `serverCron` retries a failed write.
    fn aof_sync_failed(&mut self, token: PersistToken, e: String) {
        let aof = &self.persistence.aof;
        let acked = aof.held.iter().any(|(t, _)| *t <= token.0);
        if self.config.appendfsync == AppendFsync::Always || acked {
            self.persistence.aof.write_error = Some(e.clone());
            self.log(
                LogLevel::Warning,
                format!("Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting..."),
            );
            self.shutting_down = true;
            self.outputs.push_back(Output::Exit { status: 1 });
            return;
        }
        if self.persistence.aof.write_error.is_none() {
            self.log(
                LogLevel::Warning,
                format!("Fail to fsync the AOF file: {e}"),
            );
        }
        let aof = &mut self.persistence.aof;
        aof.write_error = Some(e);
        aof.unsynced = true;
    }

    /// Ref: server.c writeCommandsDeniedByDiskError and processCommand: write commands (an EXEC
    /// of queued writes included) and PING are refused with `-MISCONF` while the disk cannot
    /// take the dataset: first, with `stop-writes-on-bgsave-error yes`, save points set and
    /// the last BGSAVE failed, with Redis's `shared.bgsaveerr` text (until a BGSAVE succeeds);
    /// then, with the AOF on and its last write or fsync failed,
    /// `-MISCONF Errors writing to the AOF file: <strerror>`.
    pub(crate) fn aof_refuse_write(
        &self,
        client: &crate::session::Client,
        idx: usize,
    ) -> Option<hashslot_resp::ErrorReply> {
        use hashslot_keyspace::flags::WRITE;
        let aof = &self.persistence.aof;
        let rdb_failed = !self.persistence.last_bgsave_ok
            && !self.config.save.is_empty()
            && self.config.get("stop-writes-on-bgsave-error").as_deref() != Some("no");
        let aof_err = aof.write_error.as_ref().filter(|_| aof.on);
        if !rdb_failed && aof_err.is_none() {
            return None;
        }
        let entries = &self.table.entries;
        let entry = &entries[idx];
        let write = entry.flags & WRITE != 0
            || entry.name == "ping"
            || (entry.name == "exec"
                && client
                    .multi
                    .as_ref()
                    .is_some_and(|m| m.queued.iter().any(|q| entries[q.idx].flags & WRITE != 0)));
        if !write {
            return None;
        }
        Some(match aof_err {
            _ if rdb_failed => hashslot_resp::ErrorReply::msg(BGSAVE_ERR),
            Some(err) => hashslot_resp::ErrorReply::msg(format!(
                "MISCONF Errors writing to the AOF file: {err}"
            )),
            None => return None,
        })
    }

    pub(crate) fn aof_poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// everysec: fsync once a second when something was written. A scheduled rewrite starts
    /// (also with the AOF off: BGREWRITEAOF then writes a base alone).
    pub(crate) fn aof_cron(&mut self, now: Now) {
        self.aof_config_changed(now);
        if self.persistence.aof.rewrite_scheduled
            && self.persistence.bgsave.is_none()
            && !self.persistence.save_in_flight
            && !self.aof_rewrite_limited(now)
        {
            self.persistence.aof.rewrite_scheduled = false;
            self.aof_rewrite_start(now);
        }
        if !self.persistence.aof.on {
            return;
        }
        self.aof_auto_rewrite(now);
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

    /// Ref: server.c serverCron (7.0): with the AOF on and nothing saving, a rewrite starts by
    /// itself once the AOF is over `auto-aof-rewrite-min-size` and has grown by
    /// `auto-aof-rewrite-percentage` percent over its size after the last rewrite (or its
    /// base's at start); 0 turns this off.
    fn aof_auto_rewrite(&mut self, now: Now) {
        let setting = |name: &str, default: u64| {
            self.config
                .get(name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(default)
        };
        let percent = setting("auto-aof-rewrite-percentage", 100);
        let min_size = setting("auto-aof-rewrite-min-size", 64 * 1024 * 1024);
        let aof = &self.persistence.aof;
        if percent == 0
            || aof.size <= min_size
            || aof.rewrite_scheduled
            || aof.rewriting.is_some()
            || aof.rewrite_finishing
            || self.persistence.bgsave.is_some()
            || self.persistence.save_in_flight
        {
            return;
        }
        let growth = (aof.size.saturating_mul(100) / aof.base_size.max(1)) as i64 - 100;
        if growth < percent as i64 || self.aof_rewrite_limited(now) {
            return;
        }
        self.log(
            LogLevel::Notice,
            format!("Starting automatic rewriting of AOF on {growth}% growth"),
        );
        self.aof_rewrite_start(now);
    }

    /// Ref: aof.c aofRewriteLimited (7.0): after [`AOF_REWRITE_LIMIT_THRESHOLD`] failed
    /// rewrites in a row, rewrites not asked for by a client wait 1, 2, 4… minutes (at most
    /// an hour) between attempts, so a failing disk is not hammered every cron tick.
    fn aof_rewrite_limited(&mut self, now: Now) -> bool {
        let secs = u64::try_from(now.wall.as_secs()).unwrap_or(0);
        let aof = &mut self.persistence.aof;
        if aof.consecutive_failures < AOF_REWRITE_LIMIT_THRESHOLD {
            aof.limit_delay_minutes = 0;
            aof.limit_until = 0;
            return false;
        }
        if aof.limit_until != 0 {
            if secs < aof.limit_until {
                return true;
            }
            aof.limit_until = 0;
            return false;
        }
        aof.limit_delay_minutes = match aof.limit_delay_minutes {
            0 => 1,
            m => (m * 2).min(AOF_REWRITE_LIMIT_MAX_MINUTES),
        };
        aof.limit_until = secs + aof.limit_delay_minutes * 60;
        let minutes = aof.limit_delay_minutes;
        self.log(
            LogLevel::Warning,
            format!("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {minutes} minutes"),
        );
        true
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

    /// `CONFIG SET appendonly` after start: turn the AOF on (Redis's `startAppendOnly`) or off
    /// (`stopAppendOnly`) when the setting and the state differ. Called by the persistence
    /// cron; `Node::config_changed` is to call it too, so the change applies when CONFIG SET
    /// replies, as in Redis (from the cron alone it applies up to one cron period later, and an
    /// off-then-on within one period is missed).
    pub(crate) fn aof_config_changed(&mut self, now: Now) {
        if !self.persistence.aof.started || self.shutting_down {
            return;
        }
        match (self.config.appendonly, self.persistence.aof.on) {
            (true, false) => self.aof_turn_on(now),
            (false, true) => self.aof_turn_off(),
            _ => {}
        }
    }

    /// Ref: aof.c startAppendOnly (7.0): the AOF counts as on at once; writes go to a temporary
    /// incr file while a rewrite writes the base, and both take their names in the manifest
    /// when the base is committed. Behind a BGSAVE the rewrite is scheduled.
    fn aof_turn_on(&mut self, now: Now) {
        let aof = &mut self.persistence.aof;
        aof.on = true;
        aof.wait_rewrite = true;
        aof.last_fsync = Some(now.mono);
        // Ref: aof.c startAppendOnly: a reopened AOF forgets the last write error.
        if aof.write_error.take().is_some() {
            self.log(
                LogLevel::Warning,
                "AOF reopen, just ignore the last error.".to_owned(),
            );
        }
        if self.aof_rewrite_in_progress() {
            // A rewrite with the AOF off is writing a base only: start over with an incr.
            self.log(
                LogLevel::Warning,
                "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.".to_owned(),
            );
            self.bgsave_abort();
            self.persistence.aof.rewriting = None;
        }
        if self.persistence.bgsave.is_some() || self.persistence.save_in_flight {
            self.persistence.aof.rewrite_scheduled = true;
            self.log(
                LogLevel::Warning,
                "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.".to_owned(),
            );
            return;
        }
        self.aof_rewrite_start(now);
    }

    /// Ref: aof.c stopAppendOnly: write and fsync what is buffered, close the file, stop a
    /// rewrite under way. The files stay as they are.
    fn aof_turn_off(&mut self) {
        self.aof_flush_buffer();
        if let Some(file) = self.persistence.aof.file.take() {
            let token = self.aof_sync_token();
            self.outputs.push_back(Output::FileSync { file, token });
            self.outputs.push_back(Output::FileClose {
                file,
                remove: false,
            });
        }
        if self.aof_rewrite_in_progress() {
            self.log(
                LogLevel::Notice,
                "Killing running AOF rewrite child".to_owned(),
            );
            self.bgsave_abort();
            self.persistence.aof.rewriting = None;
        }
        if std::mem::take(&mut self.persistence.aof.wait_rewrite) {
            // The temporary incr of a rewrite that never finished.
            let path = self.aof_path(&self.aof_temp_incr_name());
            self.outputs.push_back(Output::FileRemove { path });
        }
        let aof = &mut self.persistence.aof;
        aof.on = false;
        aof.rewrite_scheduled = false;
        aof.selected = None;
        aof.last_incr_size = 0;
    }

    /// `temp-<appendfilename>.incr` (in the AOF dir): where writes go while the first rewrite of
    /// an AOF turned on at runtime runs.
    fn aof_temp_incr_name(&self) -> String {
        format!("temp-{}.incr", self.config.appendfilename)
    }

    /// BGREWRITEAOF: a new incr now (with the AOF on), a new base from the copy-on-write
    /// snapshot of now. With the AOF off, only the base (ref: aof.c
    /// rewriteAppendOnlyFileBackground and backgroundRewriteDoneHandler, 7.0).
    pub(crate) fn aof_rewrite_start(&mut self, now: Now) {
        let (on, waiting) = (self.persistence.aof.on, self.persistence.aof.wait_rewrite);
        let base = Part {
            name: self.aof_name(self.persistence.aof.base_seq + 1, self.aof_base_kind()),
            seq: self.persistence.aof.base_seq + 1,
        };
        let path = self.aof_path(&base.name);
        if !on {
            self.aof_ensure_dir();
        }
        if self.bgsave_start_to(now, path, true).is_err() {
            self.persistence.aof.rewrite_scheduled = true;
            return;
        }
        let incr = if on {
            let seq = self.persistence.aof.incr_seq + 1;
            let incr = Part {
                name: self.aof_name(seq, "incr.aof"),
                seq,
            };
            // Turned on at runtime: a temporary incr, renamed when the base is committed.
            let opened = if waiting {
                Part {
                    name: self.aof_temp_incr_name(),
                    seq,
                }
            } else {
                incr.clone()
            };
            self.aof_switch_incr(opened.clone());
            if !waiting {
                self.persistence.aof.incr_seq = seq;
                self.persistence.aof.incrs.push(incr.clone());
                self.aof_commit_manifest(Vec::new());
            }
            self.log(
                LogLevel::Notice,
                format!(
                    "Creating AOF incr file {} on background rewrite",
                    opened.name
                ),
            );
            Some(incr)
        } else {
            None
        };
        let aof = &mut self.persistence.aof;
        aof.rewriting = Some((base, incr));
        aof.rewrite_started = Some(now.mono);
        aof.rewrites += 1;
        self.log(
            LogLevel::Notice,
            "Background append only file rewriting started".to_owned(),
        );
    }

    /// Create the appendonly dir if missing (Redis's `dirCreateIfMissing` before a rewrite):
    /// the base is renamed into it, and a rename does not create directories. `FileOpen`
    /// creates the parent of what it opens, so an empty temporary file is opened there and
    /// removed, on the ordered writer ahead of the rewrite's files.
    fn aof_ensure_dir(&mut self) {
        let file = self.persistence.file();
        let path = self.aof_path(&format!("temp-{}.dir", self.config.appendfilename));
        self.outputs.push_back(Output::FileOpen {
            file,
            path,
            append: false,
        });
        self.outputs
            .push_back(Output::FileClose { file, remove: true });
    }

    /// A base commit of a rewrite completed; `base_bytes` is the new base's size.
    pub(crate) fn aof_rewrite_done(&mut self, ok: bool, base_bytes: u64) {
        let Some((base, incr)) = self.persistence.aof.rewriting.take() else {
            return;
        };
        let aof = &mut self.persistence.aof;
        aof.last_rewrite_failed = !ok;
        // The monotonic time of the last cron or input before the completion: within a cron
        // period of the commit, which is all INFO's whole seconds need.
        if let (Some(start), Some(end)) = (aof.rewrite_started.take(), self.persistence.last_mono) {
            aof.last_rewrite_secs = Some(end.saturating_duration_since(start).as_secs());
        }
        if !ok {
            self.persistence.aof.consecutive_failures += 1;
            self.log(
                LogLevel::Warning,
                "Background AOF rewrite failed".to_owned(),
            );
            if self.persistence.aof.wait_rewrite {
                // Ref: startAppendOnly's rewrite is retried until it succeeds.
                self.persistence.aof.rewrite_scheduled = true;
            }
            return;
        }
        let aof = &mut self.persistence.aof;
        aof.base_seq = base.seq;
        aof.consecutive_failures = 0;
        let mut remove: Vec<String> = Vec::new();
        match incr {
            Some(incr) if std::mem::take(&mut aof.wait_rewrite) => {
                // The temporary incr takes its name; every file before it is history.
                aof.incr_seq = incr.seq;
                remove.extend(aof.incrs.drain(..).map(|p| p.name));
                aof.incrs.push(incr.clone());
                let temp = self.aof_temp_incr_name();
                self.aof_rename_open_incr(&incr);
                self.log(
                    LogLevel::Notice,
                    format!(
                        "Successfully renamed the temporary AOF incr file {temp} into {}",
                        incr.name
                    ),
                );
            }
            Some(incr) => {
                let keep = aof.incrs.iter().position(|p| *p == incr).unwrap_or(0);
                remove.extend(aof.incrs.drain(..keep).map(|p| p.name));
            }
            // The AOF is off: every incr is history.
            None => remove.extend(aof.incrs.drain(..).map(|p| p.name)),
        }
        let aof = &mut self.persistence.aof;
        remove.extend(aof.base.take().map(|p| p.name));
        aof.base = Some(base);
        if aof.file.is_some() {
            // Ref: aof.c backgroundRewriteDoneHandler (7.0): the AOF's size is now the new base
            // plus the incr written since the rewrite began, and growth counts from there.
            aof.size = base_bytes + aof.last_incr_size;
            aof.base_size = aof.size;
        }
        for name in &remove {
            self.log(
                LogLevel::Notice,
                format!("Removing the history file {name} in the background"),
            );
        }
        self.persistence.aof.rewrite_finishing = true;
        self.aof_commit_manifest_for(remove, true);
        self.log(
            LogLevel::Notice,
            "Background AOF rewrite finished successfully".to_owned(),
        );
    }

    /// Give the open temporary incr its name: commit it (fsync, rename) and reopen it for
    /// appending, all on the ordered file writer.
    fn aof_rename_open_incr(&mut self, incr: &Part) {
        self.aof_flush_buffer();
        let final_path = self.aof_path(&incr.name);
        if let Some(old) = self.persistence.aof.file.take() {
            let token = self.aof_sync_token();
            self.outputs.push_back(Output::FileCommit {
                file: old,
                token,
                final_path: final_path.clone(),
            });
        }
        let file = self.persistence.file();
        self.outputs.push_back(Output::FileOpen {
            file,
            path: final_path,
            append: true,
        });
        self.persistence.aof.file = Some(file);
    }

    /// After any BGSAVE ends: a rewrite scheduled behind it may start.
    pub(crate) fn aof_after_bgsave(&mut self, now: Now) {
        let _ = now;
    }
}
