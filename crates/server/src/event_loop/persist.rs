//! `Output::Persist` off the event loop: a writer thread does the durable replaces (write,
//! fsync, rename, fsync dir) and hands completions back through a channel, waking the loop.
//!
//! Why a thread: on the CI disk one nodes.conf save (write, fsync, rename, fsync dir) takes
//! 3–10 ms at the median and up to ~300 ms while six nodes save at once (cluster creation does
//! ~20 saves per node). Done in the loop, as Redis does in `clusterBeforeSleep`, that stalls
//! every client and bus link: with back-to-back `CLUSTER SAVECONFIG` on one node, a PING probe
//! measured p99 8.5 ms / p99.9 19 ms / max 60 ms in the loop, against p99 0.055 ms / p99.9
//! 0.11 ms / max 19 ms with this thread (release build, 2 shared cores). The node already
//! holds whatever depends on a write (a vote, a SAVECONFIG reply) until its completion
//! arrives, so the only change is when that is.
//!
//! Order and coalescing: one thread, FIFO. Writes queued while the thread was busy are taken
//! together, and per file only the newest content is written; every token is then completed
//! with that write's result, in the order the node asked. Completions of one batch are handed
//! back before the next batch starts.
//!
//! In the loop: a write without fsync asked while the thread has nothing queued or in flight is
//! done at once by the loop itself, as Redis 7.0 writes nodes.conf in `clusterBeforeSleep` (a
//! `CLUSTER SETSLOT` reply waits for it; the two thread hand-offs per write cost milliseconds
//! under load on two shared cores, and `redis-cli --cluster reshard` ran ~2× faster without
//! them). Such a write of the cluster config, up to one page, overwrites the locked file in
//! place as Redis 7.0 does rather than replacing it (see [`overwrite_in_place`]: the replace's
//! new inode per save was what made reshard slow). Order holds: the loop writes only when
//! every earlier thread write has been completed, and a later thread write is queued only after
//! the loop's write is done. The config lock is shared behind a mutex, so it still moves to each
//! new file renamed into place, whoever renames it. Old lock handles are closed by the thread
//! after the completion is out: closing a replaced inode frees it (measured up to 5 ms).
//!
//! Exit: [`Writer::finish`] closes the queue, lets the thread write what is queued and joins it,
//! so a node never exits with an asked-for write undone.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use hashslot_node::PersistToken;

use super::bus::ConfigLock;
use crate::files;

/// One whole-file write asked for by the node: token, path, content, whether to fsync.
pub(super) type Job = (PersistToken, String, Bytes, bool);

/// The cluster config lock, shared by the thread and the loop's own writes.
type SharedLock = Arc<Mutex<Option<ConfigLock>>>;

/// A finished job.
#[derive(Debug)]
pub(super) struct Done {
    pub token: PersistToken,
    pub result: Result<(), String>,
    /// For the job whose content was written: the file, its size and how long it took.
    pub saved: Option<(String, usize, Duration)>,
}

/// What the loop sends the thread.
enum Msg {
    /// Writes to do, in order.
    Jobs(Vec<Job>),
    /// Replaced lock handles to close, off the loop.
    Close(Vec<std::fs::File>),
}

/// The writer thread and its two channels.
#[derive(Debug)]
pub(super) struct Writer {
    jobs: Option<mpsc::Sender<Msg>>,
    done: mpsc::Receiver<Done>,
    thread: Option<JoinHandle<()>>,
    lock: SharedLock,
    /// Jobs handed to the thread whose completion the loop has not taken yet.
    in_flight: usize,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Jobs(j) => write!(f, "Jobs({})", j.len()),
            Msg::Close(c) => write!(f, "Close({})", c.len()),
        }
    }
}

/// The guard of the shared lock; a panic while it was held leaves a usable value behind.
fn guard(lock: &SharedLock) -> MutexGuard<'_, Option<ConfigLock>> {
    lock.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Writer {
    /// Start the thread; it shares the cluster config lock with the loop's own writes from now
    /// on (the lock moves to each new file renamed into place). `wake` is called after each
    /// batch of completions.
    pub fn start(
        lock: Option<ConfigLock>,
        wake: Arc<mio::Waker>,
    ) -> Result<Writer, (std::io::Error, Option<ConfigLock>)> {
        let (jobs_tx, jobs_rx) = mpsc::channel::<Msg>();
        let (done_tx, done_rx) = mpsc::channel();
        let lock: SharedLock = Arc::new(Mutex::new(lock));
        let theirs = Arc::clone(&lock);
        let spawned = std::thread::Builder::new()
            .name("persist".into())
            .spawn(move || run(&theirs, &jobs_rx, &done_tx, &wake));
        match spawned {
            Ok(thread) => Ok(Writer {
                jobs: Some(jobs_tx),
                done: done_rx,
                thread: Some(thread),
                lock,
                in_flight: 0,
            }),
            // The closure (and its clone of the lock) is dropped when the spawn fails.
            Err(e) => Err((e, guard(&lock).take())),
        }
    }

    /// Do a batch (the writes of one loop iteration). Returns its completions when it was
    /// written here, at once: no job asks for an fsync and the thread has nothing queued or in
    /// flight. Otherwise it is queued for the thread and nothing is returned yet.
    pub fn submit(&mut self, batch: Vec<Job>) -> Vec<Done> {
        if self.in_flight == 0 && batch.iter().all(|(_, _, _, sync)| !sync) {
            let (done, old) = write_batch(&batch, &mut guard(&self.lock));
            if !old.is_empty() {
                self.send(Msg::Close(old));
            }
            return done;
        }
        self.in_flight += batch.len();
        self.send(Msg::Jobs(batch));
        Vec::new()
    }

    fn send(&self, msg: Msg) {
        if let Some(tx) = &self.jobs {
            // The thread only stops when `jobs` is dropped; a send cannot fail before that.
            let _ = tx.send(msg);
        }
    }

    /// A completion, if one is ready.
    pub fn try_done(&mut self) -> Option<Done> {
        let done = self.done.try_recv().ok()?;
        self.in_flight = self.in_flight.saturating_sub(1);
        Some(done)
    }

    /// Write what is queued, stop the thread, and return the completions not yet taken.
    pub fn finish(&mut self) -> Vec<Done> {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.in_flight = 0;
        self.done.try_iter().collect()
    }
}

impl Writer {
    /// After [`Writer::finish`]: the cluster config lock, for writes the loop still does.
    pub fn take_lock(&mut self) -> Option<ConfigLock> {
        guard(&self.lock).take()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn run(
    lock: &SharedLock,
    jobs: &mpsc::Receiver<Msg>,
    done: &mpsc::Sender<Done>,
    wake: &mio::Waker,
) {
    let mut close = Vec::new();
    while let Ok(first) = jobs.recv() {
        let mut batch = Vec::new();
        for msg in std::iter::once(first).chain(jobs.try_iter()) {
            match msg {
                Msg::Jobs(j) => batch.extend(j),
                Msg::Close(c) => close.extend(c),
            }
        }
        if !batch.is_empty() {
            let (finished, old) = write_batch(&batch, &mut guard(lock));
            close.extend(old);
            for d in finished {
                let _ = done.send(d);
            }
            let _ = wake.wake();
        }
        // Only now: closing a replaced inode can take milliseconds.
        close.clear();
    }
}

/// Write each file of `batch` once, with its newest content; complete every job in order.
/// Also the synchronous fallback when no thread can be started. Returns the completions and
/// the replaced lock handles, to be closed after the completions are delivered.
pub(super) fn write_batch(
    batch: &[Job],
    lock: &mut Option<ConfigLock>,
) -> (Vec<Done>, Vec<std::fs::File>) {
    let mut results: Vec<(&str, Result<(), String>)> = Vec::new();
    let mut out = Vec::with_capacity(batch.len());
    let mut saved = Vec::new();
    let mut old = Vec::new();
    for (i, (_, path, data, _)) in batch.iter().enumerate() {
        if batch[i + 1..].iter().any(|(_, p, _, _)| p == path) {
            continue; // A later write to the same file supersedes this one.
        }
        // The surviving write carries every superseded write's need for an fsync.
        let sync = batch.iter().any(|(_, p, _, s)| p == path && *s);
        let started = std::time::Instant::now();
        let held = lock
            .as_mut()
            .filter(|l| l.path == *path)
            .map(|l| &mut l.file);
        // Writes without fsync of the locked cluster config go in place when they can.
        let in_place = match &held {
            Some(file) if !sync => overwrite_in_place(file, data),
            _ => None,
        };
        let result = in_place.unwrap_or_else(|| {
            files::replace_file(path, data, held, sync).map(|replaced| {
                old.extend(replaced);
            })
        });
        saved.push((i, (path.clone(), data.len(), started.elapsed())));
        results.push((path, result));
    }
    for (i, (token, path, _, _)) in batch.iter().enumerate() {
        let result = results
            .iter()
            .find(|(p, _)| p == path)
            .map_or(Ok(()), |(_, r)| r.clone());
        let saved = saved
            .iter()
            .position(|(j, _)| *j == i)
            .map(|k| saved[k].1.clone());
        out.push(Done {
            token: *token,
            result,
            saved,
        });
    }
    (out, old)
}

/// The largest nodes.conf written in place: one page. Linux copies a `write` into the page cache
/// page by page and a fatal signal is only noticed between pages, so a write within one page
/// lands whole or not at all when the process is killed; a longer one could stop half-way and
/// leave old and new lines mixed. Larger files are replaced instead. (4096, not the page size
/// of the machine: the smallest page Linux uses, so the rule holds everywhere.)
const IN_PLACE_MAX: u64 = 4096;

/// A nodes.conf write without fsync, done as Redis 7.0's `clusterSaveConfig` does it: overwrite
/// the file in place, here through the lock's own descriptor, padded with newlines to the old
/// length, then cut to the new length. A process killed between the two calls leaves trailing
/// blank lines, which the loader skips (as Redis's). No new inode: a replace costs a create, a
/// chmod, a rename and the eviction of the old inode, ~0.5 ms of system time per save against
/// Redis's ~0.15 ms, and `redis-cli --cluster reshard` saves on every node several times per
/// slot (with the replace, reshard under load ran at 0.37x Redis's slots/s; in place, 1.9x).
///
/// `None` when this write must be a replace instead: the content or the file is larger than
/// [`IN_PLACE_MAX`], or the locked inode is no longer the file's (someone removed or replaced
/// nodes.conf: the replace writes the name again and moves the lock to it).
///
/// What is given up against a replace is only for a machine crash before the kernel wrote the
/// page back: an overwrite may then come back torn at the disk's sector size, where a rename
/// gave old-or-new. Redis 7.0 accepts that for every save; here every save that must survive a
/// machine crash (a changed epoch or vote, SAVECONFIG) asks for an fsync and is still a replace.
fn overwrite_in_place(file: &std::fs::File, data: &[u8]) -> Option<Result<(), String>> {
    use std::os::unix::fs::{FileExt, MetadataExt};
    let meta = file.metadata().ok()?;
    let (old_len, new_len) = (meta.len(), data.len() as u64);
    if meta.nlink() == 0 || old_len > IN_PLACE_MAX || new_len > IN_PLACE_MAX {
        return None;
    }
    let err = |e: std::io::Error| crate::sys::strerror(&e);
    let written = if old_len > new_len {
        let mut padded = Vec::with_capacity(old_len as usize);
        padded.extend_from_slice(data);
        padded.resize(old_len as usize, b'\n');
        file.write_all_at(&padded, 0)
            .and_then(|()| file.set_len(new_len))
    } else {
        file.write_all_at(data, 0)
    };
    Some(written.map_err(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(n: u64, path: &str, data: &str, sync: bool) -> Job {
        (
            PersistToken(n),
            path.to_string(),
            Bytes::from(data.to_string()),
            sync,
        )
    }

    /// Writes without fsync are done in the loop only while the thread is idle, so a later
    /// write can never be overtaken by an earlier one; the lock follows every replace.
    #[test]
    fn in_loop_writes_keep_order_and_the_lock() {
        let dir = std::env::temp_dir().join(format!("hashslot-persist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("nodes.conf");
        let path = path.to_str().unwrap().to_string();
        let file = files::lock_cluster_config(&path).unwrap();
        let poll = mio::Poll::new().unwrap();
        let waker = Arc::new(mio::Waker::new(poll.registry(), mio::Token(0)).unwrap());
        let lock = ConfigLock {
            path: path.clone(),
            file,
        };
        let mut w = Writer::start(Some(lock), waker).unwrap();

        // Idle, no fsync: written here, completed at once.
        let done = w.submit(vec![job(1, &path, "one\n", false)]);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].token, PersistToken(1));
        assert_eq!(done[0].result, Ok(()));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\n");
        assert!(matches!(
            files::lock_cluster_config(&path),
            Err(files::LockError::Busy)
        ));

        // An fsync goes to the thread; a write without fsync behind it must queue too.
        assert!(w.submit(vec![job(2, &path, "two\n", true)]).is_empty());
        assert!(w.submit(vec![job(3, &path, "three\n", false)]).is_empty());
        let mut tokens = Vec::new();
        while tokens.len() < 2 {
            if let Some(d) = w.try_done() {
                assert_eq!(d.result, Ok(()));
                tokens.push(d.token);
            }
        }
        assert_eq!(tokens, [PersistToken(2), PersistToken(3)]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three\n");

        // All completions taken: the loop writes again, and the thread's lock moved with it.
        let done = w.submit(vec![job(4, &path, "four\n", false)]);
        assert_eq!(done.len(), 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "four\n");
        assert!(matches!(
            files::lock_cluster_config(&path),
            Err(files::LockError::Busy)
        ));
        assert!(w.finish().is_empty());
        drop(w.take_lock());
        assert!(
            files::lock_cluster_config(&path).is_ok(),
            "released at the end"
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The inode number behind `path`.
    fn inode(path: &str) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).unwrap().ino()
    }

    /// A cluster config write without fsync overwrites the locked file in place (same inode,
    /// shorter content cut to size, lock kept); an fsynced one, one over a page, or one after
    /// the file was removed under us is a replace that moves the lock to the new file.
    #[test]
    fn small_writes_without_fsync_go_in_place() {
        let dir = std::env::temp_dir().join(format!("hashslot-inplace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("nodes.conf");
        let path = path.to_str().unwrap().to_string();
        let file = files::lock_cluster_config(&path).unwrap();
        let mut lock = Some(ConfigLock {
            path: path.clone(),
            file,
        });
        let write = |lock: &mut Option<ConfigLock>, data: &str, sync: bool| {
            let (done, _old) = write_batch(&[job(1, &path, data, sync)], lock);
            assert_eq!(done[0].result, Ok(()));
            assert_eq!(std::fs::read_to_string(&path).unwrap(), data);
            assert!(matches!(
                files::lock_cluster_config(&path),
                Err(files::LockError::Busy)
            ));
        };

        let first = inode(&path);
        write(&mut lock, "a long first line\nvars currentEpoch 1\n", false);
        write(&mut lock, "short\n", false);
        write(&mut lock, "a longer line again\n", false);
        assert_eq!(inode(&path), first, "overwritten in place");

        write(&mut lock, "epoch changed\n", true);
        let synced = inode(&path);
        assert_ne!(synced, first, "an fsynced write is a replace");

        let big = "x".repeat(IN_PLACE_MAX as usize) + "\n";
        write(&mut lock, &big, false);
        let replaced = inode(&path);
        assert_ne!(replaced, synced, "over a page: a replace");
        write(&mut lock, "small again\n", false);
        assert_ne!(
            inode(&path),
            replaced,
            "the old file was over a page: a replace"
        );
        let small = inode(&path);
        write(&mut lock, "and in place\n", false);
        assert_eq!(inode(&path), small);

        std::fs::remove_file(&path).unwrap();
        write(&mut lock, "written again after removal\n", false);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        drop(lock);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
