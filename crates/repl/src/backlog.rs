//! The replication backlog: the last `repl-backlog-size` bytes of the replication stream.

use std::collections::VecDeque;

/// A ring of the most recent bytes of the replication stream and the offset of its first byte,
/// so that a replica that reconnects with `PSYNC <replid> <offset>` can be sent what it missed.
///
/// Ref: `replication.c` (`createReplicationBacklog`, `feedReplicationBuffer`,
/// `addReplyReplicationBacklog`). Redis 7.0 keeps the backlog as shared blocks and may hold a
/// little more than its size; this one holds exactly at most `size` bytes.
#[derive(Debug, Clone)]
pub struct Backlog {
    buf: VecDeque<u8>,
    size: usize,
    /// Replication offset of `buf[0]` (Redis's `repl_backlog->offset`, which INFO reports as
    /// `repl_backlog_first_byte_offset`).
    offset: i64,
}

impl Backlog {
    /// An empty backlog whose next byte will have offset `master_repl_offset + 1`.
    pub fn new(size: usize, master_repl_offset: i64) -> Self {
        Backlog {
            buf: VecDeque::new(),
            size: size.max(1),
            offset: master_repl_offset + 1,
        }
    }

    /// Append stream bytes, dropping the oldest beyond the size.
    pub fn append(&mut self, bytes: &[u8]) {
        if bytes.len() >= self.size {
            let skip = bytes.len() - self.size;
            self.offset += (self.buf.len() + skip) as i64;
            self.buf.clear();
            self.buf.extend(&bytes[skip..]);
            return;
        }
        let overflow = (self.buf.len() + bytes.len()).saturating_sub(self.size);
        if overflow > 0 {
            self.buf.drain(..overflow);
            self.offset += overflow as i64;
        }
        self.buf.extend(bytes);
    }

    /// Change the size (`CONFIG SET repl-backlog-size`), keeping the newest bytes.
    pub fn resize(&mut self, size: usize) {
        self.size = size.max(1);
        let overflow = self.buf.len().saturating_sub(self.size);
        self.buf.drain(..overflow);
        self.offset += overflow as i64;
    }

    /// Configured size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Offset of the first byte held (`repl_backlog_first_byte_offset`).
    pub fn first_byte_offset(&self) -> i64 {
        self.offset
    }

    /// Bytes held (`repl_backlog_histlen`).
    pub fn histlen(&self) -> usize {
        self.buf.len()
    }

    /// Whether a replica asking to continue from `psync_offset` (the first byte it lacks) can be
    /// served: `offset ≤ psync_offset ≤ offset + histlen`.
    pub fn covers(&self, psync_offset: i64) -> bool {
        psync_offset >= self.offset && psync_offset <= self.offset + self.buf.len() as i64
    }

    /// The bytes from `psync_offset` to the end, when [`Backlog::covers`] it.
    pub fn tail_from(&self, psync_offset: i64) -> Option<Vec<u8>> {
        if !self.covers(psync_offset) {
            return None;
        }
        let skip = (psync_offset - self.offset) as usize;
        Some(self.buf.range(skip..).copied().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_newest_bytes_and_offsets() {
        let mut b = Backlog::new(4, 0);
        assert!(b.covers(1));
        assert_eq!(b.tail_from(1), Some(vec![]));
        b.append(b"ab");
        b.append(b"cde");
        assert_eq!((b.first_byte_offset(), b.histlen()), (2, 4));
        assert_eq!(b.tail_from(3), Some(b"cde".to_vec()));
        assert_eq!(b.tail_from(6), Some(vec![]));
        assert_eq!(b.tail_from(1), None);
        assert_eq!(b.tail_from(7), None);
        b.append(b"0123456789");
        assert_eq!((b.first_byte_offset(), b.histlen()), (12, 4));
        assert_eq!(b.tail_from(12), Some(b"6789".to_vec()));
        b.resize(2);
        assert_eq!(b.tail_from(14), Some(b"89".to_vec()));
    }
}
