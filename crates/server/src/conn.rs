//! One client connection's socket and its queue of unwritten reply bytes.
//!
//! Replies are queued while a batch of input is processed and written once per batch (Redis's
//! `handleClientsWithPendingWrites` in `beforeSleep`): one `writev` for all of them. Small
//! replies are copied into one buffer (as Redis copies into its 16 KB `c->buf`) so a pipeline
//! of a hundred `+PONG` is one iovec, not a hundred; large ones stay zero-copy `Bytes`.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};

use bytes::Bytes;
use mio::net::TcpStream;

/// Replies shorter than this are copied into the coalescing buffer.
const COPY_BELOW: usize = 4 * 1024;
/// The coalescing buffer grows to this much before a new one starts (Redis `PROTO_REPLY_CHUNK_BYTES`).
const OWNED_CHUNK: usize = 16 * 1024;
/// iovecs per `writev` (Linux `IOV_MAX` is 1024; more than this is rare and just loops).
const MAX_IOV: usize = 64;

#[derive(Debug)]
enum Chunk {
    Shared(Bytes),
    Owned(Vec<u8>),
}

impl Chunk {
    fn as_slice(&self) -> &[u8] {
        match self {
            Chunk::Shared(b) => b,
            Chunk::Owned(v) => v,
        }
    }
}

/// A client socket and what is still to be written to it.
#[derive(Debug)]
pub struct Conn {
    /// The socket (non-blocking, registered with the poller).
    pub stream: TcpStream,
    queue: VecDeque<Chunk>,
    /// Bytes of the front chunk already written.
    front_written: usize,
    /// A drained coalescing buffer kept for reuse, so steady request/reply traffic does not
    /// allocate per reply.
    spare: Vec<u8>,
    /// `Output::Close` was seen: close once the queue is written, read nothing more.
    pub closing: bool,
    /// WRITABLE interest is registered (only while a write was left partial).
    pub write_interest: bool,
    /// Listed in the loop's set of connections to flush this iteration.
    pub dirty: bool,
}

/// What a flush achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flushed {
    /// Everything queued is written.
    All,
    /// The socket buffer is full; wait for WRITABLE.
    Partial,
}

impl Conn {
    /// A connection with nothing queued.
    pub fn new(stream: TcpStream) -> Self {
        Conn {
            stream,
            queue: VecDeque::new(),
            front_written: 0,
            spare: Vec::new(),
            closing: false,
            write_interest: false,
            dirty: false,
        }
    }

    /// Queue `data` after everything queued before.
    pub fn push(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        if data.len() >= COPY_BELOW {
            self.queue.push_back(Chunk::Shared(data));
            return;
        }
        // Appending is safe even when the back chunk is the partly written front: the written
        // prefix is an offset, and it does not move.
        if let Some(Chunk::Owned(v)) = self.queue.back_mut() {
            if v.len() + data.len() <= OWNED_CHUNK.max(v.capacity()) {
                v.extend_from_slice(&data);
                return;
            }
        }
        let mut v = std::mem::take(&mut self.spare);
        v.clear();
        v.extend_from_slice(&data);
        self.queue.push_back(Chunk::Owned(v));
    }

    /// Whether bytes are waiting to be written.
    pub fn has_pending(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Write as much of the queue as the socket takes, in as few `writev` calls as possible.
    ///
    /// A short write means the kernel buffer is full, so we stop there instead of trying again
    /// only to get `EAGAIN`: one write system call per batch in the common case.
    pub fn flush(&mut self) -> io::Result<Flushed> {
        while !self.queue.is_empty() {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let mut n = 0;
            let mut want = 0;
            for (i, chunk) in self.queue.iter().take(MAX_IOV).enumerate() {
                let s = chunk.as_slice();
                let s = if i == 0 { &s[self.front_written..] } else { s };
                iov[n] = IoSlice::new(s);
                want += s.len();
                n += 1;
            }
            let written = match self.stream.write_vectored(&iov[..n]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(w) => w,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Flushed::Partial),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.consume(written);
            if written < want {
                return Ok(Flushed::Partial);
            }
        }
        Ok(Flushed::All)
    }

    /// Drop `n` written bytes from the front of the queue.
    fn consume(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.queue.front() else {
                return;
            };
            let left = front.as_slice().len() - self.front_written;
            if n < left {
                self.front_written += n;
                return;
            }
            n -= left;
            self.front_written = 0;
            if let Some(Chunk::Owned(v)) = self.queue.pop_front() {
                // Keep one buffer of a reasonable size for the next replies.
                if v.capacity() <= 4 * OWNED_CHUNK && v.capacity() > self.spare.capacity() {
                    self.spare = v;
                }
            }
        }
    }
}
