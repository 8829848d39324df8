//! Outbound client-protocol connections the node asks for: MIGRATE's connections to target
//! instances (`Output::MigrateConnect` / `MigrateSend` / `MigrateClose`) and a replica's link
//! to its master (`Output::ReplConnect` / `ReplSend` / `ReplClose`). Both are driven as the
//! bus's outbound links are: a non-blocking `connect` registered for WRITABLE until it
//! completes, bytes queued in a [`Conn`] meanwhile and written once per iteration, reads handed
//! to the node. The node owns every timeout; the driver only does the socket work.
//!
//! One table per [`Kind`]; the kinds differ only in their node callbacks, their poll-token
//! range, their log lines, and one rule: a master link flushes what is queued before it closes
//! (REPLCONF ACKs), while a MIGRATE connection is dropped as it is.
//!
//! Host names are resolved with the system resolver (blocking, as Redis's `connConnect` is).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::{self, Read};
use std::net::ToSocketAddrs;
use std::os::fd::AsRawFd;

use bytes::Bytes;
use mio::net::TcpStream;
use mio::{Interest, Token};

use hashslot_node::{LogLevel, MigrateId};
use hashslot_types::Now;

use super::EventLoop;
use crate::conn::{Conn, Flushed};
use crate::driven::{Driven, IdHasher};
use crate::sys;

/// What an outbound connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// MIGRATE to a target instance.
    Migrate,
    /// A replica's link to its master.
    Repl,
}

impl Kind {
    /// First poll token of the kind's range: MIGRATE in `[2^61, bus::BUS_TOKEN_BASE)`, master
    /// links in `[2^60, 2^61)`, both above the client connections' ids.
    pub(super) const fn token_base(self) -> usize {
        match self {
            Kind::Migrate => (usize::MAX >> 3) + 1,
            Kind::Repl => (usize::MAX >> 4) + 1,
        }
    }

    fn token(self, seq: u64) -> Token {
        Token(self.token_base() + seq as usize)
    }
}

/// One connection.
#[derive(Debug)]
struct Link {
    /// The node's name for it.
    id: u64,
    conn: Conn,
    connecting: bool,
}

/// The connections of one kind.
#[derive(Debug, Default)]
pub(super) struct Outbound {
    links: HashMap<u64, Link, BuildHasherDefault<IdHasher>>,
    /// Node id → driver sequence number.
    ids: HashMap<u64, u64, BuildHasherDefault<IdHasher>>,
    next: u64,
    /// Links with queued bytes.
    pub dirty: Vec<u64>,
}

impl<N: Driven> EventLoop<N> {
    fn outbound(&mut self, kind: Kind) -> &mut Outbound {
        match kind {
            Kind::Migrate => &mut self.migrate,
            Kind::Repl => &mut self.repl,
        }
    }

    fn notify_connected(&mut self, kind: Kind, now: Now, seq: u64, id: u64) {
        match kind {
            Kind::Migrate => self.node.handle_migrate_connected(now, MigrateId(id)),
            Kind::Repl => {
                // The master client's `laddr` and `fd` in CLIENT LIST.
                if let Some(l) = self.repl.links.get(&seq) {
                    if let Ok(local) = l.conn.stream.local_addr() {
                        let fd = i64::from(l.conn.stream.as_raw_fd());
                        self.node.handle_repl_link_addr(id, local, fd);
                    }
                }
                self.node.handle_repl_connected(now, id)
            }
        }
        self.drain();
    }

    fn notify_read(&mut self, kind: Kind, now: Now, id: u64, n: usize) {
        match kind {
            Kind::Migrate => self
                .node
                .handle_migrate_read(now, MigrateId(id), &self.buf[..n]),
            Kind::Repl => self.node.handle_repl_read(now, id, &self.buf[..n]),
        }
        self.drain();
    }

    fn notify_closed(&mut self, kind: Kind, now: Now, id: u64) {
        match kind {
            Kind::Migrate => self.node.handle_migrate_closed(now, MigrateId(id)),
            Kind::Repl => self.node.handle_repl_closed(now, id),
        }
        self.drain();
    }

    /// `Output::MigrateConnect` / `Output::ReplConnect`.
    pub(super) fn out_connect(&mut self, kind: Kind, id: u64, host: &str, port: u16) {
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
                let e = sys::strerror(&e);
                match kind {
                    Kind::Migrate => self.log(
                        LogLevel::Verbose,
                        &format!("MIGRATE connecting to {host}:{port}: {e}"),
                    ),
                    Kind::Repl => self.log(
                        LogLevel::Warning,
                        &format!("Unable to connect to MASTER: {e}"),
                    ),
                }
                return self.notify_closed(kind, now, id);
            }
        };
        let out = self.outbound(kind);
        out.next += 1;
        let seq = out.next;
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut conn.stream, kind.token(seq), interest)
            .is_err()
        {
            return self.notify_closed(kind, now, id);
        }
        if let Some(old) = self.outbound(kind).ids.insert(id, seq) {
            self.out_forget(kind, old);
        }
        self.outbound(kind).links.insert(
            seq,
            Link {
                id,
                conn,
                connecting: true,
            },
        );
    }

    /// `Output::MigrateSend` / `Output::ReplSend`.
    pub(super) fn out_send(&mut self, kind: Kind, id: u64, data: Bytes) {
        let out = self.outbound(kind);
        let Some(&seq) = out.ids.get(&id) else {
            return;
        };
        if let Some(l) = out.links.get_mut(&seq) {
            l.conn.push(data);
            if !l.conn.dirty {
                l.conn.dirty = true;
                out.dirty.push(seq);
            }
        }
    }

    /// `Output::MigrateClose` / `Output::ReplClose`: drop it now, without telling the node.
    pub(super) fn out_close(&mut self, kind: Kind, id: u64) {
        if let Some(seq) = self.outbound(kind).ids.remove(&id) {
            self.out_forget(kind, seq);
        }
    }

    fn out_forget(&mut self, kind: Kind, seq: u64) {
        if let Some(mut l) = self.outbound(kind).links.remove(&seq) {
            if kind == Kind::Repl {
                let _ = l.conn.flush();
            }
            let _ = self.poll.registry().deregister(&mut l.conn.stream);
        }
    }

    /// Lost by the peer's doing or an error: drop it and tell the node.
    fn out_lost(&mut self, kind: Kind, now: Now, seq: u64) {
        let out = self.outbound(kind);
        if let Some(mut l) = out.links.remove(&seq) {
            if out.ids.get(&l.id) == Some(&seq) {
                out.ids.remove(&l.id);
            }
            let _ = self.poll.registry().deregister(&mut l.conn.stream);
            self.notify_closed(kind, now, l.id);
        }
    }

    /// Re-register `seq` for `interest`, or lose it.
    fn out_reregister(&mut self, kind: Kind, now: Now, seq: u64, interest: Interest) -> bool {
        // Field by field, so that the table and the poll registry are borrowed apart.
        let table = match kind {
            Kind::Migrate => &mut self.migrate,
            Kind::Repl => &mut self.repl,
        };
        let registry = self.poll.registry();
        let ok = match table.links.get_mut(&seq) {
            Some(l) => registry
                .reregister(&mut l.conn.stream, kind.token(seq), interest)
                .is_ok(),
            None => false,
        };
        if !ok {
            self.out_lost(kind, now, seq);
        }
        ok
    }

    /// A poll event (or a queued re-read) for connection `seq` of `kind`.
    pub(super) fn out_event(
        &mut self,
        kind: Kind,
        now: Now,
        seq: u64,
        readable: bool,
        writable: bool,
        peer_closed: bool,
    ) {
        let Some(l) = self.outbound(kind).links.get_mut(&seq) else {
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
                let e = sys::strerror(&e);
                match kind {
                    Kind::Migrate => self.log(LogLevel::Verbose, &format!("MIGRATE connect: {e}")),
                    Kind::Repl => self.log(
                        LogLevel::Warning,
                        &format!("Error condition on socket for SYNC: {e}"),
                    ),
                }
                return self.out_lost(kind, now, seq);
            }
            l.connecting = false;
            let _ = l.conn.stream.set_nodelay(true);
            // Bytes queued while connecting are written with the next flush.
            let pending = l.conn.has_pending() && !l.conn.dirty;
            let id = l.id;
            if !self.out_reregister(kind, now, seq, Interest::READABLE) {
                return;
            }
            if pending {
                let out = self.outbound(kind);
                if let Some(l) = out.links.get_mut(&seq) {
                    l.conn.dirty = true;
                    out.dirty.push(seq);
                }
            }
            self.notify_connected(kind, now, seq, id);
            self.again.push((kind.token(seq), false));
            return;
        }
        if writable && l.conn.write_interest {
            match l.conn.flush() {
                Ok(Flushed::All) => {
                    l.conn.write_interest = false;
                    if !self.out_reregister(kind, now, seq, Interest::READABLE) {
                        return;
                    }
                }
                Ok(Flushed::Partial) => {}
                Err(_) => return self.out_lost(kind, now, seq),
            }
        }
        if readable {
            self.out_read(kind, now, seq, peer_closed);
        }
    }

    fn out_read(&mut self, kind: Kind, now: Now, seq: u64, peer_closed: bool) {
        let table = match kind {
            Kind::Migrate => &mut self.migrate,
            Kind::Repl => &mut self.repl,
        };
        let Some(l) = table.links.get_mut(&seq) else {
            return;
        };
        let id = l.id;
        match l.conn.stream.read(&mut self.buf) {
            Ok(0) => self.out_lost(kind, now, seq),
            Ok(n) => {
                if n == self.buf.len() || peer_closed {
                    self.again.push((kind.token(seq), peer_closed));
                }
                self.notify_read(kind, now, id, n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                self.again.push((kind.token(seq), peer_closed))
            }
            Err(_) => self.out_lost(kind, now, seq),
        }
    }

    /// Write every connection of `kind` that got bytes this iteration.
    pub(super) fn flush_out_dirty(&mut self, kind: Kind, now: Now) {
        let dirty = std::mem::take(&mut self.outbound(kind).dirty);
        for seq in dirty {
            let Some(l) = self.outbound(kind).links.get_mut(&seq) else {
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
                    self.out_reregister(kind, now, seq, interest);
                }
                Err(_) => self.out_lost(kind, now, seq),
            }
        }
    }
}
