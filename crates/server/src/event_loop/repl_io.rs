//! The replica→master connection (`Output::ReplConnect` / `ReplSend` / `ReplClose`), driven
//! as MIGRATE's and the bus's outbound links are: a non-blocking `connect` registered for
//! WRITABLE until it completes, bytes queued in a [`Conn`] meanwhile and written once per
//! iteration, reads handed to `Node::handle_repl_read`. The node owns every timeout.
//!
//! Tokens: `TOKEN_BASE + seq`, below MIGRATE's range.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::{self, Read};
use std::net::ToSocketAddrs;

use bytes::Bytes;
use mio::net::TcpStream;
use mio::{Interest, Token};

use hashslot_node::LogLevel;
use hashslot_types::Now;

use super::EventLoop;
use crate::conn::{Conn, Flushed};
use crate::driven::{Driven, IdHasher};
use crate::sys;

/// Poll tokens in `[TOKEN_BASE, migrate_io::TOKEN_BASE)` are master links: 2^60.
pub(super) const TOKEN_BASE: usize = (usize::MAX >> 4) + 1;

#[derive(Debug)]
struct Link {
    id: u64,
    conn: Conn,
    connecting: bool,
}

/// The master links of the loop (at most one is live; closed ones go at once).
#[derive(Debug, Default)]
pub(super) struct ReplLinks {
    links: HashMap<u64, Link, BuildHasherDefault<IdHasher>>,
    /// Node link id → driver sequence number.
    ids: HashMap<u64, u64, BuildHasherDefault<IdHasher>>,
    next: u64,
    /// Links with queued bytes.
    pub dirty: Vec<u64>,
}

fn token(seq: u64) -> Token {
    Token(TOKEN_BASE + seq as usize)
}

impl<N: Driven> EventLoop<N> {
    /// `Output::ReplConnect`.
    pub(super) fn repl_connect(&mut self, id: u64, host: &str, port: u16) {
        let now = self.clock.now();
        let addr = (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next());
        let stream = addr
            .ok_or_else(|| io::Error::other("can't resolve"))
            .and_then(|a| match self.node.bind_source_addr() {
                None => TcpStream::connect(a),
                Some(source) => sys::tcp_connect(a, Some(source)).map(TcpStream::from_std),
            });
        let mut conn = match stream {
            Ok(s) => Conn::new(s),
            Err(e) => {
                let msg = format!("Unable to connect to MASTER: {}", sys::strerror(&e));
                self.log(LogLevel::Warning, &msg);
                self.node.handle_repl_closed(now, id);
                return self.drain();
            }
        };
        let r = &mut self.repl;
        r.next += 1;
        let seq = r.next;
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut conn.stream, token(seq), interest)
            .is_err()
        {
            self.node.handle_repl_closed(now, id);
            return self.drain();
        }
        if let Some(old) = self.repl.ids.insert(id, seq) {
            self.repl_forget(old);
        }
        self.repl.links.insert(
            seq,
            Link {
                id,
                conn,
                connecting: true,
            },
        );
    }

    /// `Output::ReplSend`.
    pub(super) fn repl_send(&mut self, id: u64, data: Bytes) {
        let r = &mut self.repl;
        let Some(&seq) = r.ids.get(&id) else {
            return;
        };
        if let Some(l) = r.links.get_mut(&seq) {
            l.conn.push(data);
            if !l.conn.dirty {
                l.conn.dirty = true;
                r.dirty.push(seq);
            }
        }
    }

    /// `Output::ReplClose`: drop it now, without telling the node.
    pub(super) fn repl_close(&mut self, id: u64) {
        if let Some(seq) = self.repl.ids.remove(&id) {
            self.repl_forget(seq);
        }
    }

    fn repl_forget(&mut self, seq: u64) {
        if let Some(mut l) = self.repl.links.remove(&seq) {
            let _ = l.conn.flush();
            let _ = self.poll.registry().deregister(&mut l.conn.stream);
        }
    }

    /// Lost by the peer's doing or an error: drop it and tell the node.
    fn repl_lost(&mut self, now: Now, seq: u64) {
        if let Some(mut l) = self.repl.links.remove(&seq) {
            let _ = self.poll.registry().deregister(&mut l.conn.stream);
            if self.repl.ids.get(&l.id) == Some(&seq) {
                self.repl.ids.remove(&l.id);
            }
            self.node.handle_repl_closed(now, l.id);
            self.drain();
        }
    }

    /// A poll event (or a queued re-read) for master link `seq`.
    pub(super) fn repl_event(
        &mut self,
        now: Now,
        seq: u64,
        readable: bool,
        writable: bool,
        peer_closed: bool,
    ) {
        let Some(l) = self.repl.links.get_mut(&seq) else {
            return;
        };
        if l.connecting {
            if !(readable || writable) {
                return;
            }
            let failed = match l.conn.stream.take_error() {
                Ok(Some(e)) | Err(e) => Some(e),
                Ok(None) => match l.conn.stream.peer_addr() {
                    Ok(_) => None,
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                    Err(e) => Some(e),
                },
            };
            if let Some(e) = failed {
                let msg = format!("Error condition on socket for SYNC: {}", sys::strerror(&e));
                self.log(LogLevel::Warning, &msg);
                return self.repl_lost(now, seq);
            }
            l.connecting = false;
            let _ = l.conn.stream.set_nodelay(true);
            // Bytes queued while connecting: write them with the next flush.
            let pending = l.conn.has_pending();
            if self
                .poll
                .registry()
                .reregister(&mut l.conn.stream, token(seq), Interest::READABLE)
                .is_err()
            {
                return self.repl_lost(now, seq);
            }
            if pending && !l.conn.dirty {
                l.conn.dirty = true;
                self.repl.dirty.push(seq);
            }
            let id = l.id;
            self.node.handle_repl_connected(now, id);
            self.drain();
            self.again.push((token(seq), false));
            return;
        }
        if writable && l.conn.write_interest {
            match l.conn.flush() {
                Ok(Flushed::All) => {
                    l.conn.write_interest = false;
                    if self
                        .poll
                        .registry()
                        .reregister(&mut l.conn.stream, token(seq), Interest::READABLE)
                        .is_err()
                    {
                        return self.repl_lost(now, seq);
                    }
                }
                Ok(Flushed::Partial) => {}
                Err(_) => return self.repl_lost(now, seq),
            }
        }
        if readable {
            self.repl_read(now, seq, peer_closed);
        }
    }

    fn repl_read(&mut self, now: Now, seq: u64, peer_closed: bool) {
        let Some(l) = self.repl.links.get_mut(&seq) else {
            return;
        };
        let id = l.id;
        match l.conn.stream.read(&mut self.buf) {
            Ok(0) => self.repl_lost(now, seq),
            Ok(n) => {
                if n == self.buf.len() || peer_closed {
                    self.again.push((token(seq), peer_closed));
                }
                self.node.handle_repl_read(now, id, &self.buf[..n]);
                self.drain();
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                self.again.push((token(seq), peer_closed))
            }
            Err(_) => self.repl_lost(now, seq),
        }
    }

    /// Write every master link that got bytes this iteration.
    pub(super) fn flush_repl_dirty(&mut self, now: Now) {
        let dirty = std::mem::take(&mut self.repl.dirty);
        for seq in dirty {
            let Some(l) = self.repl.links.get_mut(&seq) else {
                continue;
            };
            l.conn.dirty = false;
            if l.conn.write_interest || l.connecting || !l.conn.has_pending() {
                continue;
            }
            match l.conn.flush() {
                Ok(Flushed::All) => {}
                Ok(Flushed::Partial) => {
                    l.conn.write_interest = true;
                    let interest = Interest::READABLE | Interest::WRITABLE;
                    if self
                        .poll
                        .registry()
                        .reregister(&mut l.conn.stream, token(seq), interest)
                        .is_err()
                    {
                        self.repl_lost(now, seq);
                    }
                }
                Err(_) => self.repl_lost(now, seq),
            }
        }
    }
}
