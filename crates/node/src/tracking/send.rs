//! Sending one invalidation message to a tracking client, or to the client it redirects to.
//! Ref: tracking.c sendTrackingMessage.

use hashslot_resp::{Proto, Reply};
use hashslot_types::ConnId;

use crate::session::Client;
use crate::Node;

/// The "value" part of an invalidation message.
#[derive(Debug, Clone, Copy)]
pub(super) enum Payload<'a> {
    /// One key: `*1` and its bulk.
    Key(&'a [u8]),
    /// FLUSHDB/FLUSHALL: a null in the tracking client's own protocol (even when redirected).
    Null,
    /// BCAST: a ready array of keys.
    Proto(&'a [u8]),
}

/// Where message bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    /// The running client.
    Current,
    /// A client in the session map.
    Conn(ConnId),
}

/// A client that can receive a message.
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    dest: Dest,
    proto: Proto,
    /// In pub/sub mode (`CLIENT_PUBSUB`).
    pubsub: bool,
}

/// Pub/sub channel of redirected RESP2 invalidations.
const CHANNEL: &[u8] = b"__redis__:invalidate";

impl Node {
    /// Send `payload` to the tracking client `from` (`None`: the running client `cur`, given
    /// when it is at hand), or to its redirect target. A target that is gone marks the client
    /// `broken_redir` and, in RESP3, tells it with a `tracking-redir-broken` push.
    pub(super) fn send_tracking_message(
        &mut self,
        mut cur: Option<&mut Client>,
        from: Option<(u64, ConnId)>,
        payload: Payload<'_>,
    ) {
        let (me, redirect, redirect_conn) = match from {
            None => {
                let Some(c) = cur.as_deref() else {
                    return;
                };
                let me = Endpoint {
                    dest: Dest::Current,
                    proto: c.proto,
                    pubsub: c.subs.any(),
                };
                (me, c.tracking.redirect, c.tracking.redirect_conn)
            }
            Some((id, conn)) => {
                let Some(s) = self
                    .sessions
                    .get(&conn)
                    .filter(|s| s.client.id == id && !s.closing)
                else {
                    return;
                };
                let me = Endpoint {
                    dest: Dest::Conn(conn),
                    proto: s.client.proto,
                    pubsub: s.client.subs.any(),
                };
                (
                    me,
                    s.client.tracking.redirect,
                    s.client.tracking.redirect_conn,
                )
            }
        };
        let mut to = me;
        if redirect != 0 {
            match self.find_endpoint(cur.as_deref(), redirect, redirect_conn) {
                Some(ep) => to = ep,
                None => {
                    match me.dest {
                        Dest::Current => {
                            if let Some(c) = cur.as_deref_mut() {
                                c.tracking.broken_redir = true;
                            }
                        }
                        Dest::Conn(conn) => {
                            if let Some(s) = self.sessions.get_mut(&conn) {
                                s.client.tracking.broken_redir = true;
                            }
                        }
                    }
                    if me.proto == Proto::Resp3 {
                        let mut buf = Vec::new();
                        let mut r = Reply::new(&mut buf, Proto::Resp3);
                        r.push_len(2);
                        r.bulk(b"tracking-redir-broken");
                        r.int(redirect as i64);
                        self.emit(cur, me.dest, buf);
                    }
                    return;
                }
            }
        }
        let mut buf = Vec::new();
        let mut r = Reply::new(&mut buf, to.proto);
        if to.proto == Proto::Resp3 {
            r.push_len(2);
            r.bulk(b"invalidate");
        } else if redirect != 0 && to.pubsub {
            r.push_len(3);
            r.bulk(b"message");
            r.bulk(CHANNEL);
        } else {
            // RESP2 without a redirect to a subscriber: nowhere to send it.
            return;
        }
        match payload {
            Payload::Key(k) => {
                r.array_len(1);
                r.bulk(k);
            }
            Payload::Null => r.raw(match me.proto {
                Proto::Resp2 => &b"$-1\r\n"[..],
                Proto::Resp3 => &b"_\r\n"[..],
            }),
            Payload::Proto(p) => r.raw(p),
        }
        self.emit(cur, to.dest, buf);
    }

    /// Redis's `lookupClientByID` for a redirect target: the running client, or the session at
    /// `conn` if it still holds client `id`.
    fn find_endpoint(
        &self,
        cur: Option<&Client>,
        id: u64,
        conn: Option<ConnId>,
    ) -> Option<Endpoint> {
        if let Some(c) = cur.filter(|c| c.id == id) {
            return Some(Endpoint {
                dest: Dest::Current,
                proto: c.proto,
                pubsub: c.subs.any(),
            });
        }
        if let Some(k) = self.tracking.current.filter(|k| k.id == id) {
            return Some(Endpoint {
                dest: Dest::Current,
                proto: k.proto,
                pubsub: k.pubsub,
            });
        }
        let conn = conn?;
        let s = self
            .sessions
            .get(&conn)
            .filter(|s| s.client.id == id && !s.closing)?;
        Some(Endpoint {
            dest: Dest::Conn(conn),
            proto: s.client.proto,
            pubsub: s.client.subs.any(),
        })
    }

    /// Write message bytes: into the running client's output (before its reply when it is not
    /// at hand: Redis writes them as the command runs), or out to another client.
    fn emit(&mut self, cur: Option<&mut Client>, dest: Dest, bytes: Vec<u8>) {
        match (dest, cur) {
            (Dest::Current, Some(c)) => c.out.extend_from_slice(&bytes),
            (Dest::Current, None) => self.tracking.early.extend_from_slice(&bytes),
            (Dest::Conn(conn), _) => self.send_push(None, conn, |r| r.raw(&bytes)),
        }
    }
}
