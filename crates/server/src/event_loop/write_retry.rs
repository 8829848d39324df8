//! Bytes a file could not take are kept and written again later, as Redis keeps `aof_buf` after
//! a failed AOF write and retries it (`flushAppendOnlyFile`, and once a second from
//! `serverCron`) until the disk takes it: a disk that was full for a while loses nothing, and
//! the AOF is whole again once space is back.
//!
//! A failed write is first undone (the file is cut back to the length it had before the write
//! began, as Redis `ftruncate`s a short AOF write), so a retry never leaves half a command in
//! the middle of the file; if the cut itself fails, what was written stays and only the rest
//! is kept. What is kept is bounded ([`PENDING_CAP`]): past it the file is broken for good and
//! every later step reports the error, as a BGSAVE that cannot write fails.

use std::io;

/// Most bytes kept for a retry before a file is given up (a BGSAVE writing hundreds of MB to a
/// full disk must not hold them all in memory).
pub(super) const PENDING_CAP: usize = 64 * 1024 * 1024;

/// What the retry logic needs of a file (a `File` in the server, a fake in tests).
pub(super) trait Sink {
    /// Write some of `buf`, as `Write::write`.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// Cut the file to `len` bytes and write from there on.
    fn cut(&mut self, len: u64) -> io::Result<()>;
}

impl Sink for std::fs::File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(self, buf)
    }

    fn cut(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)?;
        // A file opened for writing (not appending) writes at its cursor: move it back too.
        io::Seek::seek(self, io::SeekFrom::Start(len)).map(drop)
    }
}

/// The state of one file's writes.
#[derive(Debug, Default)]
pub(super) struct Retry {
    /// The file's length after the last byte known written (its length at open, for appends).
    len: u64,
    /// Bytes not yet taken by the file, in order.
    pending: Vec<u8>,
    /// The last error, until a retry succeeds.
    pub error: Option<String>,
    /// Past [`PENDING_CAP`]: the error is final.
    broken: bool,
}

impl Retry {
    /// A file whose current length is `len`.
    pub fn new(len: u64) -> Retry {
        Retry {
            len,
            ..Retry::default()
        }
    }

    /// Write `data` after whatever is pending (trying the pending bytes again first).
    pub fn write(&mut self, sink: &mut dyn Sink, data: &[u8], text: fn(&io::Error) -> String) {
        if self.broken {
            return;
        }
        if self.pending.is_empty() {
            if let Err((kept, e)) = self.write_now(sink, data) {
                self.fail(&data[kept..], text(&e));
            }
            return;
        }
        self.pending.extend_from_slice(data);
        // A failure is kept in `error` for the next sync or commit to report.
        let _ = self.flush(sink, text);
    }

    /// Try the pending bytes again; `Err` with the error while the file has not taken them all
    /// (or is broken), `Ok` once it has.
    pub fn flush(
        &mut self,
        sink: &mut dyn Sink,
        text: fn(&io::Error) -> String,
    ) -> Result<(), String> {
        if self.broken {
            return Err(self.error.clone().unwrap_or_default());
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        match self.write_now(sink, &pending) {
            Ok(()) => {
                self.error = None;
                Ok(())
            }
            Err((kept, e)) => {
                let e = text(&e);
                self.fail(&pending[kept..], e.clone());
                Err(e)
            }
        }
    }

    /// Whether bytes wait for a retry.
    #[cfg(test)]
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Write all of `buf` now. On an error, the file is cut back to where `buf` began and
    /// `Err((0, e))` says all of it is still to write; if the cut fails too, `Err((n, e))`: the
    /// first `n` bytes stay written.
    fn write_now(&mut self, sink: &mut dyn Sink, buf: &[u8]) -> Result<(), (usize, io::Error)> {
        let mut done = 0;
        while done < buf.len() {
            match sink.write(&buf[done..]) {
                Ok(0) => {
                    return Err(self.undo(sink, done, io::ErrorKind::WriteZero.into()));
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.undo(sink, done, e)),
            }
        }
        self.len += done as u64;
        Ok(())
    }

    fn undo(&mut self, sink: &mut dyn Sink, done: usize, e: io::Error) -> (usize, io::Error) {
        if done == 0 || sink.cut(self.len).is_ok() {
            (0, e)
        } else {
            self.len += done as u64;
            (done, e)
        }
    }

    /// Keep `rest` for a retry, or give the file up when too much waits.
    fn fail(&mut self, rest: &[u8], e: String) {
        self.error = Some(e);
        if self.pending.len() + rest.len() > PENDING_CAP {
            self.broken = true;
            self.pending = Vec::new();
            return;
        }
        self.pending.extend_from_slice(rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file in memory whose writes fail while `full` (after taking `room` more bytes), and
    /// whose cut fails while `stuck`.
    #[derive(Default)]
    struct Disk {
        bytes: Vec<u8>,
        full: bool,
        room: usize,
        stuck: bool,
    }

    impl Sink for Disk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !self.full {
                self.bytes.extend_from_slice(buf);
                return Ok(buf.len());
            }
            if self.room == 0 {
                return Err(io::Error::from_raw_os_error(28)); // ENOSPC
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.bytes.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn cut(&mut self, len: u64) -> io::Result<()> {
            if self.stuck {
                return Err(io::Error::from_raw_os_error(5)); // EIO
            }
            self.bytes.truncate(len as usize);
            Ok(())
        }
    }

    fn text(e: &io::Error) -> String {
        e.to_string()
    }

    #[test]
    fn a_full_disk_loses_nothing_once_it_has_room_again() {
        let mut disk = Disk::default();
        let mut r = Retry::new(0);
        r.write(&mut disk, b"*1\r\n$4\r\nPING\r\n", text);
        disk.full = true;
        disk.room = 5; // half a command fits: it must be cut back, not left in the file
        r.write(&mut disk, b"*2\r\n$3\r\nDEL\r\n", text);
        r.write(&mut disk, b"*1\r\n$4\r\nQUIT\r\n", text);
        assert!(r.error.is_some());
        assert!(r.flush(&mut disk, text).is_err());
        assert_eq!(disk.bytes, b"*1\r\n$4\r\nPING\r\n", "no half command");
        disk.full = false;
        assert!(r.flush(&mut disk, text).is_ok());
        assert!(r.error.is_none() && !r.has_pending());
        assert_eq!(
            disk.bytes,
            b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nDEL\r\n*1\r\n$4\r\nQUIT\r\n"
        );
    }

    #[test]
    fn a_write_that_cannot_be_cut_back_keeps_only_the_rest() {
        let mut disk = Disk {
            full: true,
            room: 4,
            stuck: true,
            ..Disk::default()
        };
        let mut r = Retry::new(0);
        r.write(&mut disk, b"abcdefgh", text);
        assert_eq!(disk.bytes, b"abcd");
        disk.full = false;
        r.write(&mut disk, b"ij", text);
        assert!(r.error.is_none());
        assert_eq!(disk.bytes, b"abcdefghij", "nothing twice, nothing lost");
    }

    #[test]
    fn too_much_waiting_breaks_the_file_for_good() {
        let mut disk = Disk {
            full: true,
            ..Disk::default()
        };
        let mut r = Retry::new(0);
        let chunk = vec![b'x'; PENDING_CAP / 2 + 1];
        r.write(&mut disk, &chunk, text);
        r.write(&mut disk, &chunk, text);
        disk.full = false;
        assert!(r.flush(&mut disk, text).is_err(), "broken stays broken");
        assert!(disk.bytes.is_empty());
        assert!(!r.has_pending(), "nothing kept in memory");
    }
}
