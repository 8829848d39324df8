//! The node's streamed file outputs (`Output::FileOpen`, `FileWrite`, `FileSync`,
//! `FileCommit`, `FileClose`, `FileRemove`: RDB saves and the AOF), performed in the order
//! the node emitted them on one writer thread, off the event loop. Steps that carry a token
//! complete through a channel (and wake the loop); the loop hands them to
//! `Node::handle_persist_done`.
//!
//! A failed open is sticky: later writes are skipped and every `FileSync`/`FileCommit` of the
//! file completes with its error. A failed write is undone and its bytes kept
//! (`write_retry`): later writes queue behind them, each step tries them again, and a
//! `FileSync` completes with the error until the file has taken them (then `Ok`: the node's
//! `-MISCONF` clears itself, as Redis's does once a write succeeds again). A failed commit
//! removes the temporary file and leaves `final_path` as it was.
//!
//! Exit: [`FileWriter::finish`] closes the queue and joins the thread, so every step asked for
//! (a final save, the AOF's last fsync) is done before the process exits.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use hashslot_node::{FileId, Output, PersistToken};

use super::write_retry::Retry;
use crate::sys;

/// One step, as the node asked for it.
#[derive(Debug)]
pub(super) enum Op {
    Open {
        file: FileId,
        path: String,
        append: bool,
    },
    Write {
        file: FileId,
        data: bytes::Bytes,
    },
    Sync {
        file: FileId,
        token: PersistToken,
    },
    Commit {
        file: FileId,
        token: PersistToken,
        final_path: String,
    },
    Close {
        file: FileId,
        remove: bool,
    },
    Remove {
        path: String,
    },
}

impl Op {
    /// The step of a file output, `None` for other outputs.
    pub(super) fn from_output(out: Output) -> Result<Op, Output> {
        Ok(match out {
            Output::FileOpen { file, path, append } => Op::Open { file, path, append },
            Output::FileWrite { file, data } => Op::Write { file, data },
            Output::FileSync { file, token } => Op::Sync { file, token },
            Output::FileCommit {
                file,
                token,
                final_path,
            } => Op::Commit {
                file,
                token,
                final_path,
            },
            Output::FileClose { file, remove } => Op::Close { file, remove },
            Output::FileRemove { path } => Op::Remove { path },
            other => return Err(other),
        })
    }
}

/// A completed step.
#[derive(Debug)]
pub(super) struct Done {
    pub token: PersistToken,
    pub result: Result<(), String>,
}

/// The writer thread and its channels.
#[derive(Debug)]
pub(super) struct FileWriter {
    ops: Option<mpsc::Sender<Op>>,
    done: mpsc::Receiver<Done>,
    thread: Option<JoinHandle<()>>,
}

impl FileWriter {
    pub fn start(wake: Arc<mio::Waker>) -> std::io::Result<FileWriter> {
        let (tx, rx) = mpsc::channel::<Op>();
        let (done_tx, done_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("files".into())
            .spawn(move || run(&rx, &done_tx, &wake))?;
        Ok(FileWriter {
            ops: Some(tx),
            done: done_rx,
            thread: Some(thread),
        })
    }

    pub fn submit(&self, op: Op) {
        if let Some(tx) = &self.ops {
            let _ = tx.send(op);
        }
    }

    pub fn try_done(&self) -> Option<Done> {
        self.done.try_recv().ok()
    }

    /// Perform what is queued, stop the thread, return the completions not yet taken.
    pub fn finish(&mut self) -> Vec<Done> {
        self.ops = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.done.try_iter().collect()
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

struct Open {
    file: Option<File>,
    path: String,
    /// The open failed: final.
    error: Option<String>,
    /// Bytes the file has not taken yet, and the write error that left them.
    retry: Retry,
}

fn err(e: &std::io::Error) -> String {
    sys::strerror(e)
}

fn run(ops: &mpsc::Receiver<Op>, done: &mpsc::Sender<Done>, wake: &mio::Waker) {
    let mut files: HashMap<u64, Open> = HashMap::new();
    while let Ok(op) = ops.recv() {
        if let Some(d) = perform(&mut files, op) {
            let _ = done.send(d);
            let _ = wake.wake();
        }
    }
}

fn sync_dir_of(path: &str) -> std::io::Result<()> {
    let dir = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty());
    File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}

/// One step. Also used synchronously by tests.
fn perform(files: &mut HashMap<u64, Open>, op: Op) -> Option<Done> {
    match op {
        Op::Open { file, path, append } => {
            if let Some(dir) = Path::new(&path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                let _ = std::fs::create_dir_all(dir);
            }
            let mut o = std::fs::OpenOptions::new();
            o.create(true);
            if append {
                o.append(true);
            } else {
                o.write(true).truncate(true);
            }
            let (f, error) = match o.open(&path) {
                Ok(f) => (Some(f), None),
                Err(e) => (None, Some(err(&e))),
            };
            // Where a failed write is cut back to: the end, for an append.
            let len = match (&f, append) {
                (Some(f), true) => f.metadata().map_or(0, |m| m.len()),
                _ => 0,
            };
            files.insert(
                file.0,
                Open {
                    file: f,
                    path,
                    error,
                    retry: Retry::new(len),
                },
            );
            None
        }
        Op::Write { file, data } => {
            if let Some(o) = files.get_mut(&file.0) {
                if o.error.is_none() {
                    if let Some(f) = o.file.as_mut() {
                        o.retry.write(f, &data, err);
                    }
                }
            }
            None
        }
        Op::Sync { file, token } => {
            let result = match files.get_mut(&file.0) {
                None => Err("file not open".to_owned()),
                Some(o) => match (&o.error, o.file.as_mut()) {
                    (Some(e), _) => Err(e.clone()),
                    (None, Some(f)) => o
                        .retry
                        .flush(f, err)
                        .and_then(|()| f.sync_data().map_err(|e| err(&e))),
                    (None, None) => Err("file not open".to_owned()),
                },
            };
            Some(Done { token, result })
        }
        Op::Commit {
            file,
            token,
            final_path,
        } => {
            let result = match files.remove(&file.0) {
                None => Err("file not open".to_owned()),
                Some(mut o) => {
                    let r = match (o.error, o.file) {
                        (Some(e), _) => Err(e),
                        (None, None) => Err("file not open".to_owned()),
                        (None, Some(mut f)) => o.retry.flush(&mut f, err).and_then(|()| {
                            (|| {
                                f.sync_all()?;
                                drop(f);
                                std::fs::rename(&o.path, &final_path)?;
                                sync_dir_of(&final_path)
                            })()
                            .map_err(|e| err(&e))
                        }),
                    };
                    if r.is_err() {
                        let _ = std::fs::remove_file(&o.path);
                    }
                    r
                }
            };
            Some(Done { token, result })
        }
        Op::Close { file, remove } => {
            if let Some(o) = files.remove(&file.0) {
                drop(o.file);
                if remove {
                    let _ = std::fs::remove_file(&o.path);
                }
            }
            None
        }
        Op::Remove { path } => {
            let _ = std::fs::remove_file(&path);
            None
        }
    }
}
