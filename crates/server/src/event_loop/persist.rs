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
//! Exit: [`Writer::finish`] closes the queue, lets the thread write what is queued and joins it,
//! so a node never exits with an asked-for write undone.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use hashslot_node::PersistToken;

use super::bus::ConfigLock;
use crate::files;

/// One whole-file write asked for by the node: token, path, content, whether to fsync.
pub(super) type Job = (PersistToken, String, Bytes, bool);

/// A finished job.
#[derive(Debug)]
pub(super) struct Done {
    pub token: PersistToken,
    pub result: Result<(), String>,
    /// For the job whose content was written: the file, its size and how long it took.
    pub saved: Option<(String, usize, Duration)>,
}

/// The writer thread and its two channels.
#[derive(Debug)]
pub(super) struct Writer {
    jobs: Option<mpsc::Sender<Vec<Job>>>,
    done: mpsc::Receiver<Done>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Start the thread; it owns the cluster config lock from now on (the lock moves to each
    /// new file it renames into place). `wake` is called after each batch of completions.
    pub fn start(
        lock: Option<ConfigLock>,
        wake: Arc<mio::Waker>,
    ) -> Result<Writer, (std::io::Error, Option<ConfigLock>)> {
        let (jobs_tx, jobs_rx) = mpsc::channel::<Vec<Job>>();
        let (done_tx, done_rx) = mpsc::channel();
        // The lock must come back if the thread cannot start, so it travels in a slot.
        let slot = Arc::new(std::sync::Mutex::new(lock));
        let theirs = Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name("persist".into())
            .spawn(move || {
                let lock = theirs.lock().map(|mut l| l.take()).unwrap_or(None);
                drop(theirs);
                run(lock, &jobs_rx, &done_tx, &wake);
            });
        match spawned {
            Ok(thread) => Ok(Writer {
                jobs: Some(jobs_tx),
                done: done_rx,
                thread: Some(thread),
            }),
            Err(e) => {
                let lock = slot.lock().map(|mut l| l.take()).unwrap_or(None);
                Err((e, lock))
            }
        }
    }

    /// Queue a batch (the writes of one loop iteration).
    pub fn submit(&self, batch: Vec<Job>) {
        if let Some(tx) = &self.jobs {
            // The thread only stops when `jobs` is dropped; a send cannot fail before that.
            let _ = tx.send(batch);
        }
    }

    /// A completion, if one is ready.
    pub fn try_done(&self) -> Option<Done> {
        self.done.try_recv().ok()
    }

    /// Write what is queued, stop the thread, and return the completions not yet taken.
    pub fn finish(&mut self) -> Vec<Done> {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.done.try_iter().collect()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn run(
    mut lock: Option<ConfigLock>,
    jobs: &mpsc::Receiver<Vec<Job>>,
    done: &mpsc::Sender<Done>,
    wake: &mio::Waker,
) {
    while let Ok(mut batch) = jobs.recv() {
        while let Ok(more) = jobs.try_recv() {
            batch.extend(more);
        }
        for d in write_batch(&batch, &mut lock) {
            let _ = done.send(d);
        }
        let _ = wake.wake();
    }
}

/// Write each file of `batch` once, with its newest content; complete every job in order.
/// Also the synchronous fallback when no thread can be started.
pub(super) fn write_batch(batch: &[Job], lock: &mut Option<ConfigLock>) -> Vec<Done> {
    let mut results: Vec<(&str, Result<(), String>)> = Vec::new();
    let mut out = Vec::with_capacity(batch.len());
    let mut saved = Vec::new();
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
        let result = files::replace_file(path, data, held, sync);
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
    out
}
