//! Replay a log recorded by `hashslot-server` (`hashslot-record-file`) against this build's
//! [`Node`]: an incident seen in production becomes a deterministic test.
//!
//! [`Replay::new`] reads the log's header and builds the node the server built — same
//! configuration, same seed, same start time, same process facts. [`Replay::step`] feeds the
//! next recorded input at its recorded time (both clocks) and takes exactly as many outputs as
//! the server's loop took after it, comparing their digest with the recorded one.
//! [`Replay::run`] steps to the end and returns a [`ReplayReport`], or the first
//! [`Divergence`] (which input, what was expected, what the node did), or a [`LogError`] for a
//! torn or damaged log.
//!
//! Taking exactly the recorded number of outputs matters: the server's loop sometimes gives the
//! node an input in the middle of draining its outputs (CONFIG REWRITE's completion), and at
//! exit leaves the last completions' outputs untaken. Following the recorded counts replays
//! that interleaving exactly.
//!
//! An incident becomes a test by keeping its log beside the test and replaying it; after a fix,
//! the same log shows where the fixed node now behaves differently (the [`Divergence`]).
//!
//! ```no_run
//! use hashslot_sim::replay::Replay;
//!
//! let log = std::fs::File::open("incident.hsrec").unwrap();
//! let replay = Replay::new(std::io::BufReader::new(log)).unwrap();
//! match replay.run() {
//!     Ok(report) => println!("reproduced: {report}"),
//!     Err(e) => panic!("{e}"),
//! }
//! ```

use std::fmt;
use std::io::Read;

use hashslot_node::{ClientAddr, MigrateId, Node, Output, PersistToken, ProcessInfo, ProcessStats};
use hashslot_types::{ConnId, LinkId, Now};

use hashslot_record::{rebuild_config, DigestBuilder, FileRead, Frame, LogReader, ReadOutcome};
pub use hashslot_record::{
    EndReason, Header, Input, LogError, OutputDigest, RebuildError, FORMAT_VERSION,
};

/// At most this many of the node's outputs are shown in a [`Divergence`].
const SHOWN_OUTPUTS: usize = 20;

/// Why a replay stopped short of the end of the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The log could not be read: not a log, another format version, torn or damaged. Inputs
    /// before the damage were replayed and matched (`replayed` of them).
    #[error("{error} ({replayed} inputs replayed and matched before it)")]
    Log {
        /// What is wrong with the log.
        error: LogError,
        /// Inputs replayed before it.
        replayed: u64,
    },
    /// The recorded configuration cannot be built by this build.
    #[error(transparent)]
    Config(#[from] RebuildError),
    /// The node did something else than what was recorded.
    #[error("{0}")]
    Diverged(Box<Divergence>),
    /// A frame came where the format does not allow it (e.g. two digests in a row).
    #[error("record log is malformed after input {index}: {why}")]
    Malformed {
        /// Inputs read before it.
        index: u64,
        /// What came.
        why: String,
    },
}

/// The first point where the replayed node did not do what the recorded one did.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The input's number in the log (0 is the first input after the header).
    pub index: u64,
    /// The input, described ([`Input::describe`]).
    pub input: String,
    /// What differs.
    pub what: Mismatch,
}

/// What differed at a [`Divergence`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Mismatch {
    /// The outputs taken after the input differ in number or content.
    Outputs {
        /// Recorded.
        expected: OutputDigest,
        /// Replayed (`count` is short when the node ran out of outputs).
        got: OutputDigest,
        /// The replayed outputs (`Debug`, each cut to 300 characters, at most 20).
        outputs: Vec<String>,
    },
    /// A startup load returned something else (`Ok`/`Err` text).
    Result {
        /// Recorded.
        expected: String,
        /// Replayed.
        got: String,
    },
    /// At startup the node read another file than the recorded one did.
    FileRead {
        /// Recorded (`None`: the recorded node read no more files).
        expected: Option<String>,
        /// Replayed (`None`: the replayed node read fewer files).
        got: Option<String>,
    },
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "replay diverged at input {} ({}): ",
            self.index, self.input
        )?;
        match &self.what {
            Mismatch::Outputs {
                expected,
                got,
                outputs,
            } => {
                write!(f, "expected {expected}, got {got}")?;
                for o in outputs {
                    write!(f, "\n  {o}")?;
                }
                Ok(())
            }
            Mismatch::Result { expected, got } => {
                write!(f, "expected result {expected}, got {got}")
            }
            Mismatch::FileRead { expected, got } => write!(
                f,
                "expected a read of {}, the node read {}",
                expected.as_deref().unwrap_or("(nothing)"),
                got.as_deref().unwrap_or("(nothing)")
            ),
        }
    }
}

/// How a replay that matched throughout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayReport {
    /// Inputs replayed.
    pub inputs: u64,
    /// Inputs whose outputs were checked (all but a last input whose digest the log lacks).
    pub checked: u64,
    /// Outputs compared.
    pub outputs: u64,
    /// How the log ended: `Some` with the recorder's end marker, `None` when the log simply
    /// stops between two frames (the process died after a flush).
    pub end: Option<EndReason>,
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = match self.end {
            Some(EndReason::Closed) => "closed by the process",
            Some(EndReason::CapReached) => "cut at the size cap",
            Some(EndReason::WriteFailed) => "cut by a write error",
            Some(_) => "ended",
            None => "without an end marker (the process died)",
        };
        write!(
            f,
            "{} inputs replayed, {} checked, {} outputs matched; log {end}",
            self.inputs, self.checked, self.outputs
        )
    }
}

/// What one [`Replay::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The input's number.
    pub index: u64,
    /// The input, described ([`Input::describe`]).
    pub input: String,
    /// The outputs that matched (`None`: the log has no digest for this last input).
    pub outputs: Option<OutputDigest>,
}

/// A node being replayed from a log.
#[derive(Debug)]
pub struct Replay<R: Read> {
    reader: LogReader<R>,
    node: Node,
    /// Inputs given to the node so far.
    index: u64,
    checked: u64,
    outputs: u64,
    end: Option<EndReason>,
    /// The log ended (marker or end of file).
    done: bool,
}

impl<R: Read> Replay<R> {
    /// Read the header of `log` and build its node.
    pub fn new(log: R) -> Result<Self, ReplayError> {
        let reader =
            LogReader::new(log).map_err(|error| ReplayError::Log { error, replayed: 0 })?;
        let h = reader.header();
        let config = rebuild_config(&h.config)?;
        let process: ProcessInfo = (&h.process).into();
        let node = Node::new(config, h.seed, h.now.into(), process);
        Ok(Replay {
            reader,
            node,
            index: 0,
            checked: 0,
            outputs: 0,
            end: None,
            done: false,
        })
    }

    /// The log's header.
    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    /// The replayed node, e.g. to inspect its state after [`Replay::step`]s.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Replay the next input and check its outputs; `None` at the end of the log.
    pub fn step(&mut self) -> Result<Option<Step>, ReplayError> {
        if self.done {
            return Ok(None);
        }
        let index = self.index;
        let replayed = self.index;
        let log_err = |error| ReplayError::Log { error, replayed };
        let input = match self.reader.next_frame().map_err(log_err)? {
            None => {
                self.done = true;
                return Ok(None);
            }
            Some(Frame::End(reason)) => {
                self.done = true;
                self.end = Some(reason);
                return Ok(None);
            }
            Some(Frame::Outputs(_)) => {
                return Err(ReplayError::Malformed {
                    index,
                    why: "an output digest without an input before it".into(),
                })
            }
            Some(Frame::Input(input)) => input.into_owned(),
        };
        let described = input.describe();
        let diverged = |input: String, what| {
            ReplayError::Diverged(Box::new(Divergence { index, input, what }))
        };
        if let Some(what) = feed(&mut self.node, &input) {
            return Err(diverged(described, what));
        }
        self.index += 1;
        let expected = match self.reader.next_frame().map_err(log_err)? {
            Some(Frame::Outputs(d)) => d,
            None => {
                self.done = true;
                return Ok(Some(Step {
                    index,
                    input: described,
                    outputs: None,
                }));
            }
            Some(Frame::End(reason)) => {
                self.done = true;
                self.end = Some(reason);
                return Ok(Some(Step {
                    index,
                    input: described,
                    outputs: None,
                }));
            }
            Some(Frame::Input(_)) => {
                return Err(ReplayError::Malformed {
                    index,
                    why: "two inputs without the first one's output digest".into(),
                })
            }
        };
        let mut got = DigestBuilder::new();
        let mut shown = Vec::new();
        for _ in 0..expected.count {
            let Some(out) = self.node.poll_output() else {
                break;
            };
            got.add(&out);
            if shown.len() < SHOWN_OUTPUTS {
                shown.push(show(&out));
            }
        }
        let got = got.digest();
        if got != expected {
            return Err(diverged(
                described,
                Mismatch::Outputs {
                    expected,
                    got,
                    outputs: shown,
                },
            ));
        }
        self.checked += 1;
        self.outputs += u64::from(got.count);
        Ok(Some(Step {
            index,
            input: described,
            outputs: Some(got),
        }))
    }

    /// Replay every input; the first divergence or log error stops it.
    pub fn run(mut self) -> Result<ReplayReport, ReplayError> {
        while self.step()?.is_some() {}
        Ok(ReplayReport {
            inputs: self.index,
            checked: self.checked,
            outputs: self.outputs,
            end: self.end,
        })
    }
}

fn show(out: &Output) -> String {
    let mut s = format!("{out:?}");
    if s.len() > 300 {
        let mut cut = 300;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// Give `node` one recorded input. `Some`: a startup load did not do what was recorded.
fn feed(node: &mut Node, input: &Input<'_>) -> Option<Mismatch> {
    match input {
        Input::LoadClusterConfig {
            now,
            contents,
            result,
        } => {
            let got = node
                .load_cluster_config((*now).into(), contents.as_deref())
                .map_err(|e| e.to_string());
            (got != *result).then(|| Mismatch::Result {
                expected: format!("{result:?}"),
                got: format!("{got:?}"),
            })
        }
        Input::LoadData { now, reads, result } => {
            let mut next = reads.iter();
            let mut wrong: Option<Mismatch> = None;
            let mut read = |path: &str| recorded_read(&mut next, &mut wrong, path);
            let got = match node.load_data((*now).into(), &mut read) {
                Ok(r) => Ok(format!("{r:?}")),
                Err(e) => Err(e.to_string()),
            };
            reads_then_result(wrong, next, &got, result)
        }
        Input::Accept {
            now,
            conn,
            peer,
            local,
            fd,
        } => {
            let addr = ClientAddr {
                peer: *peer,
                local: *local,
                fd: *fd,
            };
            node.handle_accept(t(now), ConnId(*conn), addr);
            None
        }
        Input::Read { now, conn, data } => {
            node.handle_read(t(now), ConnId(*conn), data);
            None
        }
        Input::Closed { now, conn } => {
            node.handle_closed(t(now), ConnId(*conn));
            None
        }
        Input::Timeout { now } => {
            node.handle_timeout(t(now));
            None
        }
        Input::ShutdownSignal { now } => {
            node.handle_shutdown_signal(t(now));
            None
        }
        Input::ProcessStats {
            now,
            rss_bytes,
            cpu_user,
            cpu_sys,
        } => {
            let stats = ProcessStats {
                rss_bytes: *rss_bytes,
                cpu_user: *cpu_user,
                cpu_sys: *cpu_sys,
            };
            node.handle_process_stats(t(now), stats);
            None
        }
        Input::ConfigRewritten { now, conn, result } => {
            node.handle_config_rewritten(t(now), ConnId(*conn), result.clone());
            None
        }
        Input::BusAccept {
            now,
            link,
            peer,
            local,
        } => {
            node.handle_bus_accept(t(now), LinkId(*link), *peer, *local);
            None
        }
        Input::BusConnected { now, link, local } => {
            node.handle_bus_connected(t(now), LinkId(*link), *local);
            None
        }
        Input::BusRead { now, link, data } => {
            node.handle_bus_read(t(now), LinkId(*link), data);
            None
        }
        Input::BusClosed { now, link } => {
            node.handle_bus_closed(t(now), LinkId(*link));
            None
        }
        Input::PersistDone { now, token, result } => {
            node.handle_persist_done(t(now), PersistToken(*token), result.clone());
            None
        }
        Input::MigrateConnected { now, id } => {
            node.handle_migrate_connected(t(now), MigrateId(*id));
            None
        }
        Input::MigrateRead { now, id, data } => {
            node.handle_migrate_read(t(now), MigrateId(*id), data);
            None
        }
        Input::MigrateClosed { now, id } => {
            node.handle_migrate_closed(t(now), MigrateId(*id));
            None
        }
        Input::ReplConnected { now, link } => {
            node.handle_repl_connected(t(now), *link);
            None
        }
        Input::ReplRead { now, link, data } => {
            node.handle_repl_read(t(now), *link, data);
            None
        }
        Input::ReplClosed { now, link } => {
            node.handle_repl_closed(t(now), *link);
            None
        }
        Input::DirChanged { now, conn, result } => {
            node.handle_dir_changed(t(now), ConnId(*conn), result.clone());
            None
        }
        Input::AclFileAtStartup { reads, result } => {
            let mut next = reads.iter();
            let mut wrong: Option<Mismatch> = None;
            let got = node.load_acl_file_at_startup(&mut |path: &str| {
                recorded_read(&mut next, &mut wrong, path)
            });
            reads_then_result(wrong, next, &got, result)
        }
        Input::AclFileRead { now, conn, outcome } => {
            let result = match outcome {
                ReadOutcome::Found(b) => Ok(b.to_vec()),
                ReadOutcome::Missing => Err("No such file or directory".to_owned()),
                ReadOutcome::Failed(e) => Err(e.clone()),
            };
            node.handle_acl_file_read(t(now), ConnId(*conn), result);
            None
        }
        Input::AclFileSaved { now, conn, result } => {
            node.handle_acl_file_saved(t(now), ConnId(*conn), result.clone());
            None
        }
        Input::RdbFileRead { now, conn, outcome } => {
            let result = match outcome {
                ReadOutcome::Found(b) => Ok(Some(b.to_vec())),
                ReadOutcome::Missing => Ok(None),
                ReadOutcome::Failed(e) => Err(e.clone()),
            };
            node.handle_rdb_file_read(t(now), ConnId(*conn), result);
            None
        }
        other => Some(Mismatch::Result {
            expected: other.describe(),
            got: "an input kind this build cannot replay".into(),
        }),
    }
}

/// A startup load's file read, answered from the log: the next recorded read if the node
/// asks for the same path; otherwise the first such mismatch is kept in `wrong`.
fn recorded_read(
    next: &mut std::slice::Iter<'_, FileRead<'_>>,
    wrong: &mut Option<Mismatch>,
    path: &str,
) -> Result<Option<Vec<u8>>, String> {
    match next.next() {
        Some(r) if r.path == path => match &r.outcome {
            ReadOutcome::Found(b) => Ok(Some(b.to_vec())),
            ReadOutcome::Missing => Ok(None),
            ReadOutcome::Failed(e) => Err(e.clone()),
        },
        other => {
            wrong.get_or_insert(Mismatch::FileRead {
                expected: other.map(|r| r.path.clone()),
                got: Some(path.to_string()),
            });
            Err("not in the record log".into())
        }
    }
}

/// After a startup load: a wrong read, a recorded read the node did not make, or another
/// result than the recorded one, in that order.
fn reads_then_result<T: PartialEq + fmt::Debug>(
    wrong: Option<Mismatch>,
    mut next: std::slice::Iter<'_, FileRead<'_>>,
    got: &T,
    expected: &T,
) -> Option<Mismatch> {
    if let Some(w) = wrong {
        return Some(w);
    }
    if let Some(r) = next.next() {
        return Some(Mismatch::FileRead {
            expected: Some(r.path.clone()),
            got: None,
        });
    }
    (got != expected).then(|| Mismatch::Result {
        expected: format!("{expected:?}"),
        got: format!("{got:?}"),
    })
}

fn t(s: &hashslot_record::Stamp) -> Now {
    (*s).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashslot_node::Config;
    use hashslot_record::{config_snapshot, LogWriter, Process, Stamp};
    use hashslot_types::{Instant, UnixMillis};
    use std::borrow::Cow;

    const SEED: u64 = 5;

    fn start() -> Now {
        Now::new(
            Instant::from_nanos(1_000_000_000),
            UnixMillis(1_700_000_000_000),
        )
    }

    fn config() -> Config {
        let mut c = Config::default();
        c.apply_startup("port", &[b"7000".to_vec()]).unwrap();
        c.finish_startup().unwrap();
        c
    }

    fn cmd(args: &[&str]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        out
    }

    /// What a driver does, in memory: record each input, give it to the node, take its
    /// outputs. `header_seed` is what the log claims the node was seeded with.
    fn record(header_seed: u64, reqs: &[&[&str]]) -> (Vec<u8>, usize) {
        let config = config();
        let header = Header {
            hashslot_version: "test".into(),
            seed: header_seed,
            now: Stamp::from(start()),
            config: config_snapshot(&config),
            process: Process::from(&ProcessInfo::default()),
            max_bytes: 1 << 20,
        };
        let mut bytes = Vec::new();
        let mut log = LogWriter::new(&mut bytes, &header).unwrap();
        let mut node = Node::new(config, SEED, start(), ProcessInfo::default());
        let mut now = start();
        // The real startup load first, so the recorded result is the node's own.
        let mut reads = Vec::new();
        let result = node
            .load_data(now, &mut |path: &str| {
                reads.push(hashslot_record::FileRead {
                    path: path.into(),
                    outcome: ReadOutcome::Missing,
                });
                Ok(None)
            })
            .map(|r| format!("{r:?}"))
            .map_err(|e| e.to_string());
        log.input(&Input::LoadData {
            now: now.into(),
            reads,
            result,
        });
        let peer = "127.0.0.1:50000".parse().unwrap();
        let local = "127.0.0.1:7000".parse().unwrap();
        let mut inputs = vec![Input::Accept {
            now: now.into(),
            conn: 1,
            peer,
            local,
            fd: 9,
        }];
        for r in reqs {
            now = now.advance_millis(40);
            inputs.push(Input::Read {
                now: now.into(),
                conn: 1,
                data: Cow::Owned(cmd(r)),
            });
            inputs.push(Input::Timeout { now: now.into() });
        }
        inputs.push(Input::Closed {
            now: now.into(),
            conn: 1,
        });
        for input in &inputs {
            log.input(input);
            assert!(feed(&mut node, input).is_none());
            while let Some(o) = node.poll_output() {
                log.output(&o);
            }
        }
        log.close().unwrap();
        (bytes, inputs.len() + 1)
    }

    const SESSION: &[&[&str]] = &[
        &["SET", "k", "v"],
        &["INCR", "n"],
        &["GET", "k"],
        &["INFO", "server"],
        &["TIME"],
        &["RANDOMKEY"],
    ];

    #[test]
    fn a_recorded_session_replays_without_divergence() {
        let (log, inputs) = record(SEED, SESSION);
        let report = Replay::new(&log[..]).unwrap().run().expect("no divergence");
        assert_eq!(report.inputs, inputs as u64);
        assert_eq!(report.checked, inputs as u64);
        assert!(report.outputs >= SESSION.len() as u64);
        assert_eq!(report.end, Some(EndReason::Closed));
    }

    #[test]
    fn another_seed_diverges_at_the_first_reply_that_shows_it() {
        // INFO server shows run_id, drawn from the seed: the 4th request (input 2 + 2*3).
        let (log, _) = record(SEED + 1, SESSION);
        let err = Replay::new(&log[..]).unwrap().run().unwrap_err();
        let ReplayError::Diverged(d) = &err else {
            panic!("{err}");
        };
        assert_eq!(d.index, 8, "{err}");
        assert!(d.input.contains("INFO"), "{err}");
        assert!(matches!(d.what, Mismatch::Outputs { .. }));
        assert!(
            err.to_string().contains("replay diverged at input 8"),
            "{err}"
        );
    }

    #[test]
    fn a_torn_log_replays_up_to_the_tear_then_says_so() {
        let (log, _) = record(SEED, SESSION);
        let torn = &log[..log.len() - 30];
        let err = Replay::new(torn).unwrap().run().unwrap_err();
        let ReplayError::Log { error, replayed } = &err else {
            panic!("{err}");
        };
        assert!(matches!(error, LogError::Truncated { .. }), "{err}");
        assert!(*replayed > 5, "{err}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn garbage_is_not_a_log() {
        let err = Replay::new(&b"*1\r\n$4\r\nPING\r\n"[..]).unwrap_err();
        assert!(
            err.to_string().contains("not a hashslot record log"),
            "{err}"
        );
    }
}
