//! The record/replay log of a hashslot node.
//!
//! `hashslot-server` can record everything its driver gives a [`hashslot_node::Node`] — each
//! `handle_*` call with its two clocks and arguments, the files read at startup, the seed and
//! configuration the node was built from — together with a digest of the outputs the node
//! produced after each input. `hashslot-sim`'s `replay` module reads such a log, builds the same
//! node, feeds it the same inputs and checks that it produces the same outputs: an incident seen
//! in production becomes a deterministic test.
//!
//! This crate is the format both sides share: [`Header`], [`Input`], [`Frame`], the
//! [`LogWriter`] (bounded by a byte cap) and the [`LogReader`] (which reports a torn tail or a
//! damaged frame as a [`LogError`], never a panic). It touches no files itself: it writes to any
//! `Write` and reads from any `Read`.
//!
//! Encoding: serde + bincode 1.3 (small, stable wire format, one dependency on serde), varint
//! integers, in length-prefixed, checksummed frames after an 8-byte magic and a format version.
//!
//! ```
//! use hashslot_record::{Frame, Header, Input, LogReader, LogWriter, Process, Stamp};
//!
//! let now = Stamp { mono_ns: 0, wall_ms: 1_700_000_000_000, wall_us: 0 };
//! let header = Header {
//!     hashslot_version: "0.1.0".into(),
//!     seed: 7,
//!     now,
//!     config: vec![("port".into(), "7000".into())],
//!     process: Process { pid: 1, executable: String::new(), config_file: String::new(),
//!                        os: String::new(), arch_bits: 64 },
//!     max_bytes: 1 << 20,
//! };
//! let mut bytes = Vec::new();
//! let mut w = LogWriter::new(&mut bytes, &header).unwrap();
//! w.input(&Input::Timeout { now });
//! w.close().unwrap();
//!
//! let mut r = LogReader::new(&bytes[..]).unwrap();
//! assert_eq!(r.header().seed, 7);
//! assert!(matches!(r.next_frame().unwrap(), Some(Frame::Input(Input::Timeout { .. }))));
//! assert!(matches!(r.next_frame().unwrap(), Some(Frame::Outputs(d)) if d.count == 0));
//! assert!(matches!(r.next_frame().unwrap(), Some(Frame::End(_))));
//! assert!(r.next_frame().unwrap().is_none());
//! ```
#![warn(missing_docs)]

mod config;
mod digest;
mod format;
mod log;

pub use config::{config_snapshot, rebuild_config, RebuildError};
pub use digest::{DigestBuilder, OutputDigest, StableHasher};
pub use format::{EndReason, FileRead, Frame, Header, Input, Process, ReadOutcome, Stamp};
pub use log::{LogError, LogReader, LogWriter, Written, FORMAT_VERSION, MAGIC};

#[cfg(test)]
mod tests;
