//! The log's bytes: `MAGIC`, the format version (u32 little-endian), then frames, the first of
//! which is the [`Header`]. A frame is its payload's length (u32 LE), a checksum of the payload
//! (u32 LE, the low half of a [`StableHasher`] hash), then the payload: bincode 1.3 with its
//! default options (varint integers, no trailing bytes).
//!
//! A torn tail (the process died mid-write) is a frame whose bytes stop short; a damaged file
//! is a checksum or decoding failure. Both are [`LogError`]s naming the byte offset and the
//! frame number, never a panic, and no allocation larger than the bytes actually present.

use std::io::{self, Read, Write};

use bincode::Options;
use hashslot_node::Output;

use crate::digest::{DigestBuilder, StableHasher};
use crate::format::{EndReason, Frame, FrameRef, Header, Input};

/// The first bytes of every log.
pub const MAGIC: &[u8; 8] = b"HSLOTREC";
/// The format version this build writes and reads. Bump on any change to the types in
/// [`Header`], [`Input`] or [`Frame`], the digest, or the framing.
pub const FORMAT_VERSION: u32 = 1;

const FRAME_HEAD: u64 = 8;
/// Room kept under the cap for the last `Outputs` frame and the `End` frame (each is well under
/// 32 bytes), so a log that reached its cap still ends cleanly.
const END_RESERVE: u64 = 64;

fn opts() -> impl Options {
    bincode::DefaultOptions::new()
}

fn checksum(payload: &[u8]) -> u32 {
    let mut h = StableHasher::new();
    h.bytes(payload);
    h.finish() as u32
}

/// What [`LogWriter::input`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The input is in the log.
    Recorded,
    /// Recording has stopped (now, or before); the input is not in the log. `newly`: it
    /// stopped with this call (tell the operator once).
    Stopped {
        /// Why it stopped.
        reason: EndReason,
        /// True only for the call that stopped it.
        newly: bool,
    },
}

/// Writes a log to `W`, under a size cap: inputs as they are made, the digest of the outputs
/// taken after each, and an end marker. When the cap would be passed it ends the log and
/// records nothing more (the node runs on; [`Written::Stopped`] says so once).
#[derive(Debug)]
pub struct LogWriter<W: Write> {
    out: W,
    written: u64,
    max_bytes: u64,
    scratch: Vec<u8>,
    /// The outputs taken since the last recorded input (`None`: no input yet).
    pending: Option<DigestBuilder>,
    stopped: Option<EndReason>,
    inputs: u64,
}

impl<W: Write> LogWriter<W> {
    /// Start a log on `out`: the magic, the version and `header`. Fails if writing fails, or if
    /// `max_bytes` does not leave room for the header and the end marker.
    pub fn new(mut out: W, header: &Header) -> io::Result<Self> {
        let payload = opts()
            .serialize(header)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let start = MAGIC.len() as u64 + 4 + FRAME_HEAD + payload.len() as u64;
        if start + END_RESERVE > header.max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the cap of {} bytes is too small: the header alone takes {start} bytes",
                    header.max_bytes
                ),
            ));
        }
        out.write_all(MAGIC)?;
        out.write_all(&FORMAT_VERSION.to_le_bytes())?;
        write_frame(&mut out, &payload)?;
        Ok(LogWriter {
            out,
            written: start,
            max_bytes: header.max_bytes,
            scratch: Vec::with_capacity(4096),
            pending: None,
            stopped: None,
            inputs: 0,
        })
    }

    /// Record an input, just before the node is given it. Ends the outputs of the input before.
    pub fn input(&mut self, input: &Input<'_>) -> Written {
        if let Some(reason) = self.stopped {
            return Written::Stopped {
                reason,
                newly: false,
            };
        }
        self.scratch.clear();
        if opts()
            .serialize_into(&mut self.scratch, &FrameRef::Input(input))
            .is_err()
        {
            return self.stop(EndReason::WriteFailed);
        }
        let need = FRAME_HEAD + self.scratch.len() as u64 + END_RESERVE;
        if self.written + self.outputs_frame_len() + need > self.max_bytes
            || self.scratch.len() > u32::MAX as usize
        {
            return self.stop(EndReason::CapReached);
        }
        if self.write_pending_outputs().is_err()
            || write_frame(&mut self.out, &self.scratch).is_err()
        {
            self.stopped = Some(EndReason::WriteFailed);
            return Written::Stopped {
                reason: EndReason::WriteFailed,
                newly: true,
            };
        }
        self.written += FRAME_HEAD + self.scratch.len() as u64;
        self.pending = Some(DigestBuilder::new());
        self.inputs += 1;
        Written::Recorded
    }

    /// Note an output the driver took from the node (with `poll_output`).
    pub fn output(&mut self, out: &Output) {
        if self.stopped.is_none() {
            if let Some(d) = &mut self.pending {
                d.add(out);
            }
        }
    }

    /// Push buffered bytes to the file (the driver calls this now and then, so a crash loses
    /// little).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Inputs recorded so far.
    pub fn inputs(&self) -> u64 {
        self.inputs
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Whether recording has stopped, and why.
    pub fn stopped(&self) -> Option<EndReason> {
        self.stopped
    }

    /// End the log (the last input's outputs, then [`EndReason::Closed`]) and flush.
    pub fn close(&mut self) -> io::Result<()> {
        if self.stopped.is_none() {
            self.stopped = Some(EndReason::Closed);
            self.write_pending_outputs()?;
            self.write_end(EndReason::Closed)?;
        }
        self.out.flush()
    }

    fn stop(&mut self, reason: EndReason) -> Written {
        self.stopped = Some(reason);
        // Best effort: the reserve keeps room for these two frames.
        let _ = self
            .write_pending_outputs()
            .and_then(|()| self.write_end(reason))
            .and_then(|()| self.out.flush());
        Written::Stopped {
            reason,
            newly: true,
        }
    }

    fn outputs_frame_len(&self) -> u64 {
        // A digest frame is at most 1 + 5 + 9 bytes of varints plus the frame head.
        if self.pending.is_some() {
            FRAME_HEAD + 16
        } else {
            0
        }
    }

    fn write_pending_outputs(&mut self) -> io::Result<()> {
        let Some(d) = self.pending.take() else {
            return Ok(());
        };
        self.write_small(&FrameRef::Outputs(d.digest()))
    }

    fn write_end(&mut self, reason: EndReason) -> io::Result<()> {
        self.write_small(&FrameRef::End(reason))
    }

    fn write_small(&mut self, frame: &FrameRef<'_, '_>) -> io::Result<()> {
        let payload = opts()
            .serialize(frame)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        write_frame(&mut self.out, &payload)?;
        self.written += FRAME_HEAD + payload.len() as u64;
        Ok(())
    }
}

fn write_frame(out: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
    let mut head = [0u8; 8];
    head[..4].copy_from_slice(&len.to_le_bytes());
    head[4..].copy_from_slice(&checksum(payload).to_le_bytes());
    out.write_all(&head)?;
    out.write_all(payload)
}

/// Why a log could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The file does not start with [`MAGIC`].
    #[error("not a hashslot record log (bad magic bytes)")]
    NotALog,
    /// Written by a format this build does not read.
    #[error("record log format version {found}, this build reads version {supported}")]
    UnsupportedVersion {
        /// The file's version.
        found: u32,
        /// Ours.
        supported: u32,
    },
    /// The file stops inside a frame: the process died while writing it, or the file was cut.
    #[error(
        "record log is truncated at byte {offset}: frame {frame} needs {needed} bytes, \
         {available} are present (the frames before it are intact)"
    )]
    Truncated {
        /// Where the incomplete frame starts.
        offset: u64,
        /// Its number (0 is the header).
        frame: u64,
        /// Bytes the frame needs (head and payload).
        needed: u64,
        /// Bytes present.
        available: u64,
    },
    /// A frame's bytes are damaged (checksum or decoding failure).
    #[error("record log is corrupt at byte {offset} (frame {frame}): {why}")]
    Corrupt {
        /// Where the frame starts.
        offset: u64,
        /// Its number (0 is the header).
        frame: u64,
        /// What is wrong.
        why: String,
    },
    /// Reading failed.
    #[error("reading the record log: {0}")]
    Io(#[from] io::Error),
}

/// Reads a log frame by frame. Frames borrow from the reader's buffer.
#[derive(Debug)]
pub struct LogReader<R: Read> {
    frames: Frames<R>,
    header: Header,
    ended: bool,
}

/// The framing layer of a [`LogReader`]: where it is, and the last frame's payload.
#[derive(Debug)]
struct Frames<R> {
    src: R,
    offset: u64,
    frame: u64,
    buf: Vec<u8>,
}

impl<R: Read> LogReader<R> {
    /// Check the magic and version and read the header.
    pub fn new(mut src: R) -> Result<Self, LogError> {
        let mut start = [0u8; 12];
        let got = read_full(&mut src, &mut start)?;
        if got < MAGIC.len() || &start[..8] != MAGIC {
            return Err(LogError::NotALog);
        }
        if got < start.len() {
            return Err(LogError::Truncated {
                offset: 8,
                frame: 0,
                needed: 4,
                available: (got - 8) as u64,
            });
        }
        let found = u32::from_le_bytes(start[8..].try_into().expect("4 bytes"));
        if found != FORMAT_VERSION {
            return Err(LogError::UnsupportedVersion {
                found,
                supported: FORMAT_VERSION,
            });
        }
        let mut frames = Frames {
            src,
            offset: 12,
            frame: 0,
            buf: Vec::new(),
        };
        if !frames.read()? {
            return Err(LogError::Truncated {
                offset: 12,
                frame: 0,
                needed: FRAME_HEAD,
                available: 0,
            });
        }
        let header = opts()
            .with_limit(frames.buf.len() as u64)
            .deserialize(&frames.buf)
            .map_err(|e| LogError::Corrupt {
                offset: 12,
                frame: 0,
                why: format!("header: {e}"),
            })?;
        Ok(LogReader {
            frames,
            header,
            ended: false,
        })
    }

    /// The header: how the node was built.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next frame; `None` at the end of the file, or after an [`Frame::End`].
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, LogError> {
        if self.ended {
            return Ok(None);
        }
        let at = self.frames.offset;
        let number = self.frames.frame;
        if !self.frames.read()? {
            self.ended = true;
            return Ok(None);
        }
        let frame: Frame<'_> = opts()
            .with_limit(self.frames.buf.len() as u64)
            .deserialize(&self.frames.buf)
            .map_err(|e| LogError::Corrupt {
                offset: at,
                frame: number,
                why: e.to_string(),
            })?;
        if matches!(frame, Frame::End(_)) {
            self.ended = true;
        }
        Ok(Some(frame))
    }
}

impl<R: Read> Frames<R> {
    /// Read one frame's payload into `buf`, checking its checksum. `false`: clean end of file.
    fn read(&mut self) -> Result<bool, LogError> {
        let at = self.offset;
        let mut head = [0u8; 8];
        let got = read_full(&mut self.src, &mut head)?;
        if got == 0 {
            return Ok(false);
        }
        let number = self.frame;
        let truncated = |needed: u64, available: u64| LogError::Truncated {
            offset: at,
            frame: number,
            needed,
            available,
        };
        if got < head.len() {
            return Err(truncated(FRAME_HEAD, got as u64));
        }
        let len = u64::from(u32::from_le_bytes(head[..4].try_into().expect("4")));
        let sum = u32::from_le_bytes(head[4..].try_into().expect("4"));
        self.buf.clear();
        // `take` + `read_to_end` grows the buffer with the bytes that are really there, so a
        // damaged length cannot make us allocate gigabytes up front.
        let n = (&mut self.src).take(len).read_to_end(&mut self.buf)? as u64;
        if n < len {
            return Err(truncated(FRAME_HEAD + len, FRAME_HEAD + n));
        }
        if checksum(&self.buf) != sum {
            return Err(LogError::Corrupt {
                offset: at,
                frame: self.frame,
                why: "checksum mismatch".into(),
            });
        }
        self.offset += FRAME_HEAD + len;
        self.frame += 1;
        Ok(true)
    }
}

/// Read until `buf` is full or the source ends; the number of bytes read.
fn read_full(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match src.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
