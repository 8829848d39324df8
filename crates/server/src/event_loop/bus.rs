//! The cluster-bus side of the loop: the bus listeners, inbound and outbound links, and the
//! node's durable writes (`Output::Persist`).
//!
//! Links reuse the client connection's write queue ([`Conn`]): bytes are queued while events
//! are processed and written once per iteration, WRITABLE interest only while a write is left
//! partial. What differs from clients:
//! - ids: accepted links get driver-chosen [`LinkId`]s (top bit clear); outbound links are named
//!   by the node (top bit set). Both get a poll token `BUS_TOKEN_BASE + seq` from one driver
//!   counter, so the node's choice of ids can never collide with ours or with listener tokens;
//! - an outbound link is a non-blocking `connect`: registered for WRITABLE until it completes,
//!   bytes the node sends meanwhile are queued; the outcome is `handle_bus_connected` or
//!   `handle_bus_closed`;
//! - `Output::BusClose` drops the link at once, unsent bytes too (Redis's `freeClusterLink`), and
//!   the node hears nothing back; the peer closing, an error, or a failed connect is reported
//!   with `handle_bus_closed`;
//! - outbound links are bound to `bind-source-addr` when it is set (best effort, as Redis);
//! - sockets get TCP_NODELAY and keepalive every `cluster-node-timeout / 1000 * 2` s
//!   (`clusterAcceptHandler`), at least 1 s.
//!
//! `Output::Persist` writes go to a writer thread (see `persist`).

use std::io::{self, Read};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use bytes::Bytes;
use mio::net::TcpStream;
use mio::{Interest, Token};

use hashslot_node::LogLevel;
use hashslot_types::{LinkId, Now};

use super::{EventLoop, MAX_ACCEPTS, MAX_SLEEP};
use crate::conn::{Conn, Flushed};
use crate::driven::Driven;
use crate::sys;

/// Poll tokens at and above this (and below the listeners') are bus links: 2^62 on 64-bit.
pub(super) const BUS_TOKEN_BASE: usize = (usize::MAX >> 2) + 1;

/// One cluster-bus link.
#[derive(Debug)]
pub(super) struct BusLink {
    /// The node's name for it.
    pub link: LinkId,
    /// The socket and its write queue.
    pub conn: Conn,
    /// A `connect` in progress (outbound links only).
    pub connecting: bool,
}

/// The cluster config file's lock: the path as configured, and the handle holding the `flock`.
#[derive(Debug)]
pub struct ConfigLock {
    /// `cluster-config-file`, relative to the working directory.
    pub path: String,
    /// The open file whose descriptor holds the lock.
    pub file: std::fs::File,
}

fn token(seq: u64) -> Token {
    Token(BUS_TOKEN_BASE + seq as usize)
}

impl<N: Driven> EventLoop<N> {
    /// Also listen for cluster-bus links on `listeners` (already bound).
    pub fn add_bus_listeners(&mut self, listeners: Vec<std::net::TcpListener>) -> io::Result<()> {
        for l in listeners {
            let mut l = mio::net::TcpListener::from_std(l);
            let i = self.listeners.len();
            self.poll
                .registry()
                .register(&mut l, super::listener_token(i), Interest::READABLE)?;
            self.listeners.push(l);
            self.listener_is_bus.push(true);
        }
        Ok(())
    }

    /// Hold the cluster config file's lock; `Persist` writes to its path keep it held.
    pub fn set_config_lock(&mut self, lock: ConfigLock) {
        // Absolute, as the node's persist paths become in the loop (see `EventLoop::cwd`).
        let path = crate::files::resolve(&self.cwd, &lock.path);
        self.config_lock = Some(ConfigLock { path, ..lock });
    }

    fn bus_keepalive(&self) -> u32 {
        u32::try_from(self.node.cluster_node_timeout() / 1000 * 2)
            .unwrap_or(u32::MAX)
            .max(1)
    }

    fn new_seq(&mut self) -> u64 {
        let seq = self.next_link;
        self.next_link += 1;
        seq
    }

    pub(super) fn bus_accept(&mut self, now: Now, index: usize) {
        for _ in 0..MAX_ACCEPTS {
            let (stream, peer) = match self.listeners[index].accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let msg = format!("Error accepting cluster node: {}", sys::strerror(&e));
                    self.log(LogLevel::Verbose, &msg);
                    self.accept_retry_at = Some(now.mono + MAX_SLEEP);
                    return;
                }
            };
            let _ = stream.set_nodelay(true);
            let _ = sys::set_keepalive(stream.as_raw_fd(), self.bus_keepalive());
            let local = stream.local_addr().unwrap_or(peer);
            let seq = self.new_seq();
            let mut conn = Conn::new(stream);
            if let Err(e) =
                self.poll
                    .registry()
                    .register(&mut conn.stream, token(seq), Interest::READABLE)
            {
                self.log(
                    LogLevel::Warning,
                    &format!("Error registering fd event for the new cluster link: {e}"),
                );
                continue;
            }
            // Driver-chosen ids have the top bit clear; `seq` counts from 1 and never gets there.
            let link = LinkId(seq);
            self.bus.insert(
                seq,
                BusLink {
                    link,
                    conn,
                    connecting: false,
                },
            );
            self.bus_ids.insert(link.0, seq);
            self.log(
                LogLevel::Verbose,
                &format!(
                    "Accepting cluster node connection from {}:{}",
                    peer.ip(),
                    peer.port()
                ),
            );
            self.node.handle_bus_accept(now, link, peer, local);
            self.drain();
        }
        self.again.push((super::listener_token(index), false));
    }

    /// `Output::BusConnect`: start a non-blocking connect; a failure that is known at once is
    /// reported at once.
    pub(super) fn bus_connect(&mut self, link: LinkId, addr: SocketAddr) {
        let now = self.clock.now();
        let connect = match self.node.bind_source_addr() {
            None => TcpStream::connect(addr),
            Some(source) => sys::tcp_connect(addr, Some(source)).map(TcpStream::from_std),
        };
        let stream = match connect {
            Ok(s) => s,
            Err(e) => {
                self.log(
                    LogLevel::Verbose,
                    &format!("Connecting with node at {addr}: {}", sys::strerror(&e)),
                );
                self.node.handle_bus_closed(now, link);
                return;
            }
        };
        let seq = self.new_seq();
        let mut conn = Conn::new(stream);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut conn.stream, token(seq), interest)
            .is_err()
        {
            self.node.handle_bus_closed(now, link);
            return;
        }
        if let Some(old) = self.bus_ids.insert(link.0, seq) {
            // The node reused a live id: treat the old link as closed by the node.
            self.bus_forget(old);
        }
        self.bus.insert(
            seq,
            BusLink {
                link,
                conn,
                connecting: true,
            },
        );
    }

    /// `Output::BusSend`.
    pub(super) fn bus_send(&mut self, link: LinkId, data: Bytes) {
        let Some(&seq) = self.bus_ids.get(&link.0) else {
            return; // Closed meanwhile (the node hears about it separately).
        };
        if let Some(l) = self.bus.get_mut(&seq) {
            l.conn.push(data);
            if !l.conn.dirty {
                l.conn.dirty = true;
                self.bus_dirty.push(seq);
            }
        }
    }

    /// `Output::BusClose`: drop the link now, without telling the node.
    pub(super) fn bus_close(&mut self, link: LinkId) {
        if let Some(seq) = self.bus_ids.remove(&link.0) {
            self.bus_forget(seq);
        }
    }

    fn bus_forget(&mut self, seq: u64) {
        if let Some(mut l) = self.bus.remove(&seq) {
            let _ = self.poll.registry().deregister(&mut l.conn.stream);
        }
    }

    /// The link is gone by the peer's doing or an error: drop it and tell the node.
    fn bus_lost(&mut self, now: Now, seq: u64) {
        if let Some(mut l) = self.bus.remove(&seq) {
            let _ = self.poll.registry().deregister(&mut l.conn.stream);
            if self.bus_ids.get(&l.link.0) == Some(&seq) {
                self.bus_ids.remove(&l.link.0);
            }
            self.node.handle_bus_closed(now, l.link);
            self.drain();
        }
    }

    /// A poll event (or a queued re-read) for the link with driver sequence `seq`.
    pub(super) fn bus_event(
        &mut self,
        now: Now,
        seq: u64,
        readable: bool,
        writable: bool,
        peer_closed: bool,
    ) {
        let Some(l) = self.bus.get_mut(&seq) else {
            return;
        };
        if l.connecting {
            if readable || writable {
                self.bus_connect_done(now, seq);
            }
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
                        return self.bus_lost(now, seq);
                    }
                }
                Ok(Flushed::Partial) => {}
                Err(e) => {
                    let msg = format!("Error writing to cluster link: {}", sys::strerror(&e));
                    self.log(LogLevel::Verbose, &msg);
                    return self.bus_lost(now, seq);
                }
            }
        }
        if readable {
            self.bus_read(now, seq, peer_closed);
        }
    }

    fn bus_connect_done(&mut self, now: Now, seq: u64) {
        let Some(l) = self.bus.get_mut(&seq) else {
            return;
        };
        // mio: on WRITABLE, `take_error` holds a failed connect's error; `peer_addr` failing
        // with NotConnected means the event was spurious and the connect still runs.
        let failed = match l.conn.stream.take_error() {
            Ok(Some(e)) | Err(e) => Some(e),
            Ok(None) => match l.conn.stream.peer_addr() {
                Ok(_) => None,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(e) => Some(e),
            },
        };
        if let Some(e) = failed {
            let msg = format!("Connecting with cluster node: {}", sys::strerror(&e));
            self.log(LogLevel::Verbose, &msg);
            return self.bus_lost(now, seq);
        }
        l.connecting = false;
        let _ = l.conn.stream.set_nodelay(true);
        let fd = l.conn.stream.as_raw_fd();
        let local = l.conn.stream.local_addr();
        let reregistered =
            self.poll
                .registry()
                .reregister(&mut l.conn.stream, token(seq), Interest::READABLE);
        let link = l.link;
        // Bytes queued while connecting go out with this iteration's flush.
        if l.conn.has_pending() && !l.conn.dirty {
            l.conn.dirty = true;
            self.bus_dirty.push(seq);
        }
        let _ = sys::set_keepalive(fd, self.bus_keepalive());
        let (Ok(local), Ok(())) = (local, reregistered) else {
            return self.bus_lost(now, seq);
        };
        self.node.handle_bus_connected(now, link, local);
        self.drain();
        // Data may have arrived with the connect (edge-triggered: no second event for it).
        self.again.push((token(seq), false));
    }

    /// One read; as for clients, a peer that shut its side down gets read again until EOF.
    fn bus_read(&mut self, now: Now, seq: u64, peer_closed: bool) {
        let Some(l) = self.bus.get_mut(&seq) else {
            return;
        };
        let link = l.link;
        match l.conn.stream.read(&mut self.buf) {
            Ok(0) => self.bus_lost(now, seq),
            Ok(n) => {
                if n == self.buf.len() || peer_closed {
                    self.again.push((token(seq), peer_closed));
                }
                self.node.handle_bus_read(now, link, &self.buf[..n]);
                self.drain();
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                self.again.push((token(seq), peer_closed))
            }
            Err(e) => {
                let msg = format!("I/O error reading from node link: {}", sys::strerror(&e));
                self.log(LogLevel::Verbose, &msg);
                self.bus_lost(now, seq);
            }
        }
    }

    /// Write every link that got bytes this iteration.
    pub(super) fn flush_bus_dirty(&mut self, now: Now) {
        let dirty = std::mem::take(&mut self.bus_dirty);
        for seq in dirty {
            let Some(l) = self.bus.get_mut(&seq) else {
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
                        self.bus_lost(now, seq);
                    }
                }
                Err(e) => {
                    let msg = format!("Error writing to cluster link: {}", sys::strerror(&e));
                    self.log(LogLevel::Verbose, &msg);
                    self.bus_lost(now, seq);
                }
            }
        }
    }
}
