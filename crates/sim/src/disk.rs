//! The seeded disk of each host: what the node's file outputs did, and what a crash keeps.
//!
//! Two layers per host: the page cache (`Host::cache`: every file as the running process sees
//! it, writes included as soon as they are issued) and the platter (`Host::files`: what
//! survives a crash). A crash is a machine crash: the cache is thrown away and the next boot
//! sees the platter only, so whatever was written but not yet fsynced is lost.
//!
//! Steps run in the order the node emitted them on one queue per disk (as the real server's
//! writer thread does, crates/server's `event_loop/files_stream.rs`), each taking a drawn
//! [`Faults::disk_ms`](crate::Faults) and starting when the previous one ended:
//!
//! - `FileOpen` / `FileWrite`: at once, in the cache only (no completion). Opening without
//!   `append` truncates.
//! - `FileSync`: the file's content at the time of the request becomes durable; then the token
//!   completes.
//! - `FileCommit`: the file is renamed over `final_path` in the cache at once; the content
//!   becomes durable under `final_path` (and the temporary name disappears from the platter)
//!   when the step completes, then the token completes. The directory is fsynced too, so
//!   every file created in it by then exists after a crash (empty unless it was synced), as
//!   an AOF manifest's fresh incr file does.
//! - `FileClose { remove }`, `FileRemove`: gone from the cache at once, from the platter when
//!   the step completes (a crash before that brings the file back, as an unsynced unlink
//!   would).
//!
//! Disk errors ([`Sim::fail_disk`], [`Sim::fail_disk_with`]; the nemesis's when
//! [`Faults::disk_errors`](crate::Faults) is on): a step with a completion (nodes.conf write,
//! AOF/RDB fsync or commit) on a matching path completes with an I/O error (`EIO` or
//! `ENOSPC`) and leaves the platter as it was; a replaced file (nodes.conf) is back to its durable content in the cache too, as a
//! failed write-and-rename leaves the old file. Writes without a completion (`FileWrite`)
//! still reach the page cache: an error shows at the fsync, as on Linux.

use bytes::Bytes;
use hashslot_node::{FileId, PersistToken};
use hashslot_types::ConnId;

use crate::local::Local;
use crate::sim::Sim;

/// The durable effect of one queued disk step, applied when it completes.
#[derive(Debug)]
pub(crate) enum DiskStep {
    /// `path` now durably holds `data`; complete `token` (if any).
    Put {
        token: Option<PersistToken>,
        path: String,
        data: Bytes,
        /// A temporary name that disappears from the platter with this step.
        drop: Option<String>,
    },
    /// `path` is durably gone.
    Remove { path: String },
}

impl Local<'_> {
    fn open_path(&self, file: FileId) -> Option<String> {
        self.host.open.get(&file.0).cloned()
    }

    pub(crate) fn file_open(&mut self, file: FileId, path: String, append: bool) {
        let h = &mut self.host;
        let content = h.cache.entry(path.clone()).or_default();
        if !append {
            content.clear();
        }
        h.open.insert(file.0, path);
    }

    pub(crate) fn file_write(&mut self, file: FileId, data: &[u8]) {
        if let Some(path) = self.open_path(file) {
            let h = &mut self.host;
            h.cache.entry(path).or_default().extend_from_slice(data);
            h.disk_written += data.len() as u64;
        }
    }

    pub(crate) fn file_sync(&mut self, file: FileId, token: PersistToken) {
        let path = self.open_path(file).unwrap_or_default();
        let data = Bytes::from(self.host.cache.get(&path).cloned().unwrap_or_default());
        self.disk_queue(DiskStep::Put {
            token: Some(token),
            path,
            data,
            drop: None,
        });
    }

    pub(crate) fn file_commit(&mut self, file: FileId, token: PersistToken, final_path: String) {
        let h = &mut self.host;
        let tmp = h.open.remove(&file.0).unwrap_or_default();
        let data = h.cache.remove(&tmp).unwrap_or_default();
        h.cache.insert(final_path.clone(), data.clone());
        self.disk_queue(DiskStep::Put {
            token: Some(token),
            path: final_path,
            data: Bytes::from(data),
            drop: Some(tmp),
        });
    }

    pub(crate) fn file_close(&mut self, file: FileId, remove: bool) {
        let Some(path) = self.host.open.remove(&file.0) else {
            return;
        };
        if remove {
            self.file_remove(path);
        }
    }

    pub(crate) fn file_remove(&mut self, path: String) {
        self.host.cache.remove(&path);
        self.disk_queue(DiskStep::Remove { path });
    }

    /// `Output::Persist`: the whole file replaced (temporary file and rename): the cache sees
    /// it at once, the platter when the step completes.
    pub(crate) fn persist_file(&mut self, token: PersistToken, path: String, data: Bytes) {
        self.host.cache.insert(path.clone(), data.to_vec());
        self.disk_queue(DiskStep::Put {
            token: Some(token),
            path,
            data,
            drop: None,
        });
    }

    /// `Output::LoadAclFile` (ACL LOAD) of the process of incarnation `inc`: the file as the
    /// running process sees it (the page cache), read at once as Redis reads it inside the
    /// command; a missing file, or one under a failing prefix ([`Sim::fail_disk`]), is
    /// reported by its OS error text, as `fopen` would.
    pub(crate) fn acl_file_read(&mut self, inc: u32, conn: ConnId, path: &str) {
        if self.host.inc != inc {
            return;
        }
        let result = if let Some(e) = disk_fault(self.disk_error(), path) {
            Err(e.to_owned())
        } else {
            match self.host.cache.get(path) {
                Some(b) => Ok(b.clone()),
                None => Err("No such file or directory".to_owned()),
            }
        };
        let now = self.host.now(self.now);
        if let Some(n) = self.host.node.as_mut() {
            n.handle_acl_file_read(now, conn, result);
        }
        self.drain();
    }

    /// `Output::LoadRdbFile` (DEBUG RELOAD NOSAVE) of the process of incarnation `inc`: the
    /// file as the running process sees it (the page cache), read at once as Redis's
    /// `rdbLoad` reads it inside the command; `None` when it does not exist, the OS error
    /// text under a failing prefix ([`Sim::fail_disk`]).
    pub(crate) fn rdb_file_read(&mut self, inc: u32, conn: ConnId, path: &str) {
        if self.host.inc != inc {
            return;
        }
        let result = match disk_fault(self.disk_error(), path) {
            Some(e) => Err(e.to_owned()),
            None => Ok(self.host.cache.get(path).cloned()),
        };
        let now = self.host.now(self.now);
        if let Some(n) = self.host.node.as_mut() {
            n.handle_rdb_file_read(now, conn, result);
        }
        self.drain();
    }

    /// `Output::SaveAclFile` (ACL SAVE): Redis writes a temporary file and renames it over
    /// `path` without an fsync, so the running process sees the new file at once and the
    /// platter gets it only when the kernel writes it back (a queued step with no
    /// completion; a crash before that keeps the old file). Under a failing prefix the write
    /// fails and the file is left as it was.
    pub(crate) fn acl_file_save(&mut self, inc: u32, conn: ConnId, path: String, data: Bytes) {
        if self.host.inc != inc {
            return;
        }
        let result = if let Some(e) = disk_fault(self.disk_error(), &path) {
            Err(format!("Writing ACL file for ACL SAVE: {e}"))
        } else {
            self.host.cache.insert(path.clone(), data.to_vec());
            self.disk_queue(DiskStep::Put {
                token: None,
                path,
                data,
                drop: None,
            });
            Ok(())
        };
        let now = self.host.now(self.now);
        if let Some(n) = self.host.node.as_mut() {
            n.handle_acl_file_saved(now, conn, result);
        }
        self.drain();
    }

    /// A disk step completed (void if the machine crashed since it was issued).
    pub(crate) fn disk_done(&mut self, inc: u32, step: DiskStep) {
        if let DiskStep::Put {
            token: Some(token),
            path,
            ..
        } = &step
        {
            if let Some(e) = disk_fault(self.disk_error(), path) {
                if self.host.inc == inc {
                    let e = e.to_owned();
                    return self.disk_failed(*token, path.clone(), e);
                }
            }
        }
        let h = &mut self.host;
        if h.inc != inc {
            if let DiskStep::Put {
                token: Some(token), ..
            } = step
            {
                self.trace(format!("pst {} lost", token.0));
            }
            return;
        }
        match step {
            DiskStep::Remove { path } => {
                h.files.remove(&path);
            }
            DiskStep::Put {
                token,
                path,
                data,
                drop,
            } => {
                if let Some(tmp) = drop {
                    h.files.remove(&tmp);
                    // The directory fsync: files created there are durable names now.
                    let dir = |p: &str| p.rsplit_once('/').map(|(d, _)| d.to_owned());
                    let d = dir(&path);
                    for p in h.cache.keys().filter(|p| dir(p) == d) {
                        if !h.files.contains_key(p) {
                            h.files.insert(p.clone(), Bytes::new());
                        }
                    }
                }
                h.files.insert(path, data);
                let Some(token) = token else { return };
                self.trace(format!("pst {} ok", token.0));
                let now = self.host.now(self.now);
                if let Some(n) = self.host.node.as_mut() {
                    n.handle_persist_done(now, token, Ok(()));
                }
                self.effects
                    .push((self.now, crate::local::Effect::VotesDurable(token)));
                self.drain();
            }
        }
    }

    /// A step with a completion failed: nothing of it is durable; tell the node.
    fn disk_failed(&mut self, token: PersistToken, path: String, error: String) {
        let h = &mut self.host;
        if !h.open.values().any(|p| *p == path) {
            // A replaced whole file (not an open stream): the old one stays, cache included.
            match h.files.get(&path) {
                Some(d) => h.cache.insert(path, d.to_vec()),
                None => h.cache.remove(&path),
            };
        }
        self.trace(format!("pst {} err", token.0));
        let now = self.host.now(self.now);
        if let Some(n) = self.host.node.as_mut() {
            n.handle_persist_done(now, token, Err(error));
        }
        self.drain();
    }

    /// The machine crashed: the page cache and the open files are gone.
    pub(crate) fn disk_crash(&mut self) {
        let now = self.now;
        let h = &mut self.host;
        h.open.clear();
        h.cache = h
            .files
            .iter()
            .map(|(k, v)| (k.clone(), v.to_vec()))
            .collect();
        h.disk_busy_until = now;
    }
}

/// How a broken disk fails ([`Sim::fail_disk_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskError {
    /// `EIO`: "Input/output error" (a failing device).
    Io,
    /// `ENOSPC`: "No space left on device" (a full file system).
    NoSpace,
}

impl DiskError {
    /// The OS error text the node is given (`strerror`).
    pub fn text(self) -> &'static str {
        match self {
            DiskError::Io => "Input/output error",
            DiskError::NoSpace => "No space left on device",
        }
    }
}

/// The OS error text a disk step on `path` fails with under the broken disk `spec`, or `None`
/// when it works. `spec` is how `Nemesis::disk_errors` keeps a broken disk: `<prefix>` fails
/// with `EIO`, `<prefix>\0<error text>` with that text (one string, so that it reaches the
/// node's [`Local`] run as the prefix alone did).
pub(crate) fn disk_fault<'a>(spec: Option<&'a str>, path: &str) -> Option<&'a str> {
    let spec = spec?;
    let (prefix, text) = spec
        .split_once('\0')
        .unwrap_or((spec, DiskError::Io.text()));
    path.starts_with(prefix).then_some(text)
}

impl Sim {
    /// From now on, and across restarts until [`Sim::repair_disk`], every disk step of node
    /// `i` with a completion (a nodes.conf write, an AOF or RDB fsync or commit) on a file
    /// whose path starts with `prefix` (`""`: every file) fails with an I/O error, and what it
    /// carried never becomes durable. Redis exits when it cannot save nodes.conf and, for the
    /// AOF, exits under `appendfsync always` and otherwise refuses writes with `-MISCONF`.
    pub fn fail_disk(&mut self, i: usize, prefix: &str) {
        self.fail_disk_with(i, prefix, DiskError::Io);
    }

    /// [`Sim::fail_disk`] with the error the steps fail with: `EIO` or `ENOSPC` (the node
    /// reports its text, e.g. in `-MISCONF Errors writing to the AOF file: No space left on
    /// device`). Traced as `nem disk n<i> fail <prefix>`, followed by ` ENOSPC` for a full
    /// disk.
    pub fn fail_disk_with(&mut self, i: usize, prefix: &str, error: DiskError) {
        let (spec, tag) = match error {
            DiskError::Io => (prefix.to_owned(), ""),
            e => (format!("{prefix}\0{}", e.text()), " ENOSPC"),
        };
        self.trace.record(
            self.now,
            format_args!("nem"),
            format_args!("disk n{i} fail {prefix}{tag}"),
        );
        self.nemesis.disk_errors.insert(i, spec);
        let now = self.now_ms();
        self.nemesis.close_disk_fault(i, now);
        self.nemesis.disk_history.push((i, now, None));
    }

    /// Whether node `i`'s disk was broken ([`Sim::fail_disk`]) at some instant between
    /// `from_ms` and `to_ms` (virtual ms, both included). A node's exit seen in that span
    /// ([`Sim::violations`]: `n<i> exited with status 1`) is then what Redis does on a disk
    /// error (nodes.conf, or the AOF under `appendfsync always`), not a breach.
    pub fn disk_failed_during(&self, i: usize, from_ms: u64, to_ms: u64) -> bool {
        self.nemesis
            .disk_history
            .iter()
            .any(|&(n, a, b)| n == i && a <= to_ms && b.map_or(true, |b| b >= from_ms))
    }

    /// Machines whose disks hold `files` (path, content), durably, on every node, before the
    /// first boot: as an operator writes an `aclfile` (or any file a node reads at startup)
    /// before starting the servers. Otherwise as [`Sim::new`].
    pub fn with_disk_files(cfg: crate::SimConfig, files: &[(&str, &[u8])]) -> Sim {
        let mut sim = Sim::unbooted(cfg);
        for i in 0..sim.len() {
            for (path, data) in files {
                sim.put_disk_file(i, path, data);
            }
        }
        for i in 0..sim.len() {
            sim.boot(i);
        }
        sim
    }

    /// Write `data` at `path` on node `i`'s disk, durably and at once (page cache and
    /// platter), as an operator's editor would with the process running or not: the node
    /// reads it the next time it opens the file (ACL LOAD, a restart).
    pub fn put_disk_file(&mut self, i: usize, path: &str, data: &[u8]) {
        let h = &mut self.hosts[i];
        h.cache.insert(path.to_owned(), data.to_vec());
        h.files
            .insert(path.to_owned(), Bytes::copy_from_slice(data));
    }

    /// Remove `path` from node `i`'s disk, durably and at once ([`Sim::put_disk_file`]).
    pub fn remove_disk_file(&mut self, i: usize, path: &str) {
        let h = &mut self.hosts[i];
        h.cache.remove(path);
        h.files.remove(path);
    }

    /// Node `i`'s disk works again ([`Sim::fail_disk`]).
    pub fn repair_disk(&mut self, i: usize) {
        self.trace.record(
            self.now,
            format_args!("nem"),
            format_args!("disk n{i} repair"),
        );
        self.nemesis.disk_errors.remove(&i);
        let now = self.now_ms();
        self.nemesis.close_disk_fault(i, now);
    }
}
