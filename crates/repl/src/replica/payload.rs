//! Reading the full-sync payload, incrementally, in both framings.
//!
//! Ref: `replication.c` `readSyncBulkPayload`; `rdb.c` `rdbSaveRioWithEOFMark`.

use crate::wire::{parse_i64, take_line};

/// Longest preamble line accepted (Redis reads it into a 4 KiB buffer... we allow 64 KiB).
const MAX_LINE: usize = 64 * 1024;

/// What the reader made of the bytes given to it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PayloadEvent {
    /// Need more bytes.
    More,
    /// The payload is complete.
    Done(Vec<u8>),
    /// The master aborted (`-…` line) or sent something unreadable.
    Failed(String),
}

/// The payload reader. It holds the payload itself (to hand it out whole), never more than
/// the payload plus the 40-byte mark.
#[derive(Debug)]
pub(crate) struct PayloadReader {
    state: State,
    max: u64,
    /// Bytes of payload read so far (INFO's `master_sync_read_bytes`).
    pub(crate) read: u64,
    /// The payload came with the `$EOF:` framing (diskless).
    pub(crate) usemark: bool,
}

#[derive(Debug)]
enum State {
    /// Before the `$…` line; bare `\n` keepalives are skipped.
    Preamble,
    /// `$<len>`: `remaining` bytes still to come.
    Len { remaining: u64, buf: Vec<u8> },
    /// `$EOF:<mark>`: everything up to the first occurrence of the mark.
    Eof { mark: [u8; 40], buf: Vec<u8> },
}

impl PayloadReader {
    pub(crate) fn new(max: u64) -> Self {
        PayloadReader {
            state: State::Preamble,
            max,
            read: 0,
            usemark: false,
        }
    }

    /// `master_sync_total_bytes`: the announced length, -1 for the EOF framing or unknown yet.
    pub(crate) fn total(&self) -> i64 {
        match &self.state {
            State::Len { remaining, .. } => (*remaining + self.read) as i64,
            _ => -1,
        }
    }

    /// Feed `input` (the bytes after what earlier calls consumed); returns what happened and
    /// how many bytes of `input` were consumed (the caller keeps the rest: an incomplete
    /// preamble line, or the stream after the payload).
    pub(crate) fn feed(&mut self, input: &[u8]) -> (PayloadEvent, usize) {
        let mut pos = 0;
        loop {
            match &mut self.state {
                State::Preamble => {
                    let rest = &input[pos..];
                    if rest.first() == Some(&b'\n') {
                        pos += 1;
                        continue;
                    }
                    let Some((line, used)) = take_line(rest) else {
                        if rest.len() > MAX_LINE {
                            return (PayloadEvent::Failed("preamble line too long".into()), pos);
                        }
                        return (PayloadEvent::More, pos);
                    };
                    if let Some(err) = line.strip_prefix(b"-") {
                        let err = String::from_utf8_lossy(err).into_owned();
                        return (PayloadEvent::Failed(err), pos + used);
                    }
                    let Some(spec) = line.strip_prefix(b"$") else {
                        let err = format!(
                            "Bad protocol from MASTER, the first byte is not '$' (we received '{}')",
                            String::from_utf8_lossy(line)
                        );
                        return (PayloadEvent::Failed(err), pos + used);
                    };
                    pos += used;
                    if let Some(mark) = spec.strip_prefix(b"EOF:") {
                        let Ok(mark) = <[u8; 40]>::try_from(mark) else {
                            return (PayloadEvent::Failed("bad EOF mark".into()), pos);
                        };
                        self.state = State::Eof {
                            mark,
                            buf: Vec::new(),
                        };
                        self.usemark = true;
                    } else {
                        match parse_i64(spec).and_then(|n| u64::try_from(n).ok()) {
                            Some(n) if n <= self.max => {
                                let cap = n.min(1 << 20) as usize;
                                self.state = State::Len {
                                    remaining: n,
                                    buf: Vec::with_capacity(cap),
                                };
                            }
                            Some(_) => {
                                return (
                                    PayloadEvent::Failed("payload over max_rdb_payload".into()),
                                    pos,
                                )
                            }
                            None => {
                                return (PayloadEvent::Failed("bad payload length".into()), pos)
                            }
                        }
                    }
                }
                State::Len { remaining, buf } => {
                    let take = (input.len() - pos).min(*remaining as usize);
                    buf.extend_from_slice(&input[pos..pos + take]);
                    pos += take;
                    *remaining -= take as u64;
                    self.read += take as u64;
                    if *remaining == 0 {
                        let payload = std::mem::take(buf);
                        self.state = State::Preamble;
                        return (PayloadEvent::Done(payload), pos);
                    }
                    return (PayloadEvent::More, pos);
                }
                State::Eof { mark, buf } => {
                    // Search only where a new match can be: the last 39 old bytes onwards.
                    let from = buf.len().saturating_sub(39);
                    buf.extend_from_slice(&input[pos..]);
                    if let Some(at) = buf[from..].windows(40).position(|w| w == mark.as_slice()) {
                        let end = from + at; // payload ends where the mark starts
                        let consumed = input.len() - (buf.len() - (end + 40));
                        buf.truncate(end);
                        let payload = std::mem::take(buf);
                        self.read = payload.len() as u64;
                        self.state = State::Preamble;
                        return (PayloadEvent::Done(payload), consumed);
                    }
                    self.read = buf.len().saturating_sub(40) as u64;
                    if buf.len() as u64 > self.max + 40 {
                        return (
                            PayloadEvent::Failed("payload over max_rdb_payload".into()),
                            input.len(),
                        );
                    }
                    return (PayloadEvent::More, input.len());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], split: usize) -> (Vec<u8>, usize) {
        let mut r = PayloadReader::new(1 << 20);
        let mut buf = Vec::new();
        let mut total = 0;
        for piece in [&input[..split], &input[split..]] {
            buf.extend_from_slice(piece);
            let (ev, used) = r.feed(&buf);
            buf.drain(..used);
            total += used;
            if let PayloadEvent::Done(p) = ev {
                return (p, total);
            }
        }
        panic!("not done");
    }

    #[test]
    fn both_framings_any_split() {
        let mark = [b'm'; 40];
        let mut eof = b"\n\n$EOF:".to_vec();
        eof.extend_from_slice(&mark);
        eof.extend_from_slice(b"\r\nREDIS0010xyz");
        eof.extend_from_slice(&mark);
        eof.extend_from_slice(b"*1\r\n");
        let disk = b"\n$13\r\nREDIS0010xyz!*1\r\n".to_vec();
        for input in [eof, disk] {
            for split in 0..=input.len() {
                let (payload, used) = run(&input, split);
                assert!(payload.starts_with(b"REDIS0010xyz"), "split {split}");
                assert_eq!(&input[used..], b"*1\r\n", "split {split}");
            }
        }
    }
}
