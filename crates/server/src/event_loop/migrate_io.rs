//! MIGRATE's outbound client connections (`Output::MigrateConnect` / `MigrateSend` /
//! `MigrateClose`), driven as the bus's outbound links are: a non-blocking `connect`
//! registered for WRITABLE until it completes, bytes queued in a [`Conn`] meanwhile and written
//! once per iteration, reads handed to `Node::handle_migrate_read`.
//!
//! The node owns every timeout (connect and read) and the socket cache; the driver only does
//! the socket work. Host names are resolved here with the system resolver (blocking, as Redis's
//! `connConnect` for MIGRATE is).
//!
//! Tokens: `TOKEN_BASE + seq`, between the client connections' ids and the bus links'.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::{self, Read};
use std::net::ToSocketAddrs;

use bytes::Bytes;
use mio::net::TcpStream;
use mio::{Interest, Token};

use hashslot_node::{LogLevel, MigrateId};
use hashslot_types::Now;

use super::EventLoop;
use crate::conn::{Conn, Flushed};
use crate::driven::{Driven, IdHasher};
use crate::sys;

/// Poll tokens in `[TOKEN_BASE, bus::BUS_TOKEN_BASE - 1)` are MIGRATE connections: 2^61.
pub(super) const TOKEN_BASE: usize = (usize::MAX >> 3) + 1;

/// One MIGRATE connection.
#[derive(Debug)]
struct Link {
    id: MigrateId,
    conn: Conn,
    connecting: bool,
}

/// Every MIGRATE connection of the loop.
#[derive(Debug, Default)]
pub(super) struct MigrateLinks {
    links: HashMap<u64, Link, BuildHasherDefault<IdHasher>>,
    /// Node id → driver sequence number.
    ids: HashMap<u64, u64, BuildHasherDefault<IdHasher>>,
    next: u64,
    /// Links with queued bytes.
    pub dirty: Vec<u64>,
}

fn token(seq: u64) -> Token {
    Token(TOKEN_BASE + seq as usize)
}

impl<N: Driven> EventLoop<N> {
    /// `Output::MigrateConnect`.
    pub(super) fn migrate_connect(&mut self, id: MigrateId, host: &str, port: u16) {
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
                let msg = format!("MIGRATE connecting to {host}:{port}: {}", sys::strerror(&e));
                self.log(LogLevel::Verbose, &msg);
                self.node.handle_migrate_closed(now, id);
                return self.drain();
            }
        };
        let m = &mut self.migrate;
        m.next += 1;
        let seq = m.next;
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut conn.stream, token(seq), interest)
            .is_err()
        {
            self.node.handle_migrate_closed(now, id);
            return self.drain();
        }
        if let Some(old) = m.ids.insert(id.0, seq) {
            self.migrate_forget(old);
        }
        self.migrate.links.insert(
            seq,
            Link {
                id,
                conn,
                connecting: true,
            },
        );
    }

    /// `Output::MigrateSend`.
    pub(super) fn migrate_send(&mut self, id: MigrateId, data: Bytes) {
        let m = &mut self.migrate;
        let Some(&seq) = m.ids.get(&id.0) else {
            return;
        };
        if let Some(l) = m.links.get_mut(&seq) {
            l.conn.push(data);
            if !l.conn.dirty {
                l.conn.dirty = true;
                m.dirty.push(seq);
            }
        }
    }

    /// `Output::MigrateClose`: drop it now, without telling the node.
    pub(super) fn migrate_close(&mut self, id: MigrateId) {
        if let Some(seq) = self.migrate.ids.remove(&id.0) {
            self.migrate_forget(seq);
        }
    }

    fn migrate_forget(&mut self, seq: u64) {
        if let Some(mut l) = self.migrate.links.remove(&seq) {
            let _ = self.poll.registry().deregister(&mut l.conn.stream);
        }
    }

    /// Lost by the peer's doing or an error: drop it and tell the node.
    fn migrate_lost(&mut self, now: Now, seq: u64) {
        if let Some(mut l) = self.migrate.links.remove(&seq) {
            let _ = self.poll.registry().deregister(&mut l.conn.stream);
            if self.migrate.ids.get(&l.id.0) == Some(&seq) {
                self.migrate.ids.remove(&l.id.0);
            }
            self.node.handle_migrate_closed(now, l.id);
            self.drain();
        }
    }

    /// A poll event (or a queued re-read) for MIGRATE link `seq`.
    pub(super) fn migrate_event(
        &mut self,
        now: Now,
        seq: u64,
        readable: bool,
        writable: bool,
        peer_closed: bool,
    ) {
        let Some(l) = self.migrate.links.get_mut(&seq) else {
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
                let msg = format!("MIGRATE connect: {}", sys::strerror(&e));
                self.log(LogLevel::Verbose, &msg);
                return self.migrate_lost(now, seq);
            }
            l.connecting = false;
            let _ = l.conn.stream.set_nodelay(true);
            if self
                .poll
                .registry()
                .reregister(&mut l.conn.stream, token(seq), Interest::READABLE)
                .is_err()
            {
                return self.migrate_lost(now, seq);
            }
            let id = l.id;
            self.node.handle_migrate_connected(now, id);
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
                        return self.migrate_lost(now, seq);
                    }
                }
                Ok(Flushed::Partial) => {}
                Err(_) => return self.migrate_lost(now, seq),
            }
        }
        if readable {
            self.migrate_read(now, seq, peer_closed);
        }
    }

    fn migrate_read(&mut self, now: Now, seq: u64, peer_closed: bool) {
        let Some(l) = self.migrate.links.get_mut(&seq) else {
            return;
        };
        let id = l.id;
        match l.conn.stream.read(&mut self.buf) {
            Ok(0) => self.migrate_lost(now, seq),
            Ok(n) => {
                if n == self.buf.len() || peer_closed {
                    self.again.push((token(seq), peer_closed));
                }
                self.node.handle_migrate_read(now, id, &self.buf[..n]);
                self.drain();
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                self.again.push((token(seq), peer_closed))
            }
            Err(_) => self.migrate_lost(now, seq),
        }
    }

    /// Write every MIGRATE link that got bytes this iteration.
    pub(super) fn flush_migrate_dirty(&mut self, now: Now) {
        let dirty = std::mem::take(&mut self.migrate.dirty);
        for seq in dirty {
            let Some(l) = self.migrate.links.get_mut(&seq) else {
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
                        self.migrate_lost(now, seq);
                    }
                }
                Err(_) => self.migrate_lost(now, seq),
            }
        }
    }
}
