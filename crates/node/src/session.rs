//! Per-connection state: the query buffer and request parser, and what commands see of a client.

use std::fmt::Write as _;

use hashslot_resp::{Limits, Proto, Reply, RequestParser};
use hashslot_types::{ConnId, Instant};

use crate::multi::MultiState;
use crate::pubsub::ClientSubs;
use crate::ClientAddr;

/// One client connection.
#[derive(Debug)]
pub(crate) struct Session {
    /// What commands see and change.
    pub client: Client,
    /// Parses requests from the front of the unconsumed input.
    pub parser: RequestParser,
    /// Input received but not yet parsed into a whole request (only the unparsed tail is kept).
    pub qbuf: Vec<u8>,
    /// The node asked the driver to close this connection; further input is ignored.
    pub closing: bool,
}

impl Session {
    pub(crate) fn new(client: Client, limits: Limits) -> Self {
        Session {
            client,
            parser: RequestParser::new(limits),
            qbuf: Vec::new(),
            closing: false,
        }
    }
}

/// `CLIENT REPLY` mode, as Redis's `CLIENT_REPLY_OFF` / `CLIENT_REPLY_SKIP*` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ReplyMode {
    /// `CLIENT REPLY OFF`
    pub off: bool,
    /// This command's reply is dropped (`CLIENT REPLY SKIP` was the previous command).
    pub skip: bool,
    /// The next command's reply is dropped.
    pub skip_next: bool,
}

/// A client as commands see it (Redis's `client` struct, the parts we have).
#[derive(Debug)]
pub(crate) struct Client {
    /// The driver's connection.
    pub conn: ConnId,
    /// `CLIENT ID`: increasing from 1 in accept order.
    pub id: u64,
    /// Peer and local address.
    pub addr: ClientAddr,
    /// RESP2 or RESP3 (`HELLO`).
    pub proto: Proto,
    /// The selected database.
    pub db: usize,
    /// `CLIENT SETNAME`; `None` shows as an empty name.
    pub name: Option<Vec<u8>>,
    /// Whether the client passed AUTH (or needed none when it connected).
    pub authenticated: bool,
    /// When the connection was accepted (`age=`).
    pub created: Instant,
    /// Last time a request arrived (`idle=`, the `timeout` directive).
    pub last_interaction: Instant,
    /// Replies of the current batch, sent as one `Output::Send` after it.
    pub out: Vec<u8>,
    /// QUIT, CLIENT KILL of itself: close once the replies are out (`c` flag).
    pub close_after_reply: bool,
    /// Waiting for the driver (CONFIG REWRITE): later requests stay in the query buffer.
    pub blocked: bool,
    /// Cluster `READONLY` (`r` flag).
    pub readonly: bool,
    /// Cluster `ASKING`, for the next command only.
    pub asking: bool,
    /// `CLIENT NO-EVICT on` (`e` flag).
    pub no_evict: bool,
    /// `CLIENT REPLY` state.
    pub reply_mode: ReplyMode,
    /// Full name of the last command run (`cmd=`), `NULL` before the first.
    pub last_cmd: &'static str,
    /// Bytes of the query buffer after the last read (`qbuf=`).
    pub qbuf_len: usize,
    /// Capacity of the query buffer after the last read (`qbuf-free=` is capacity - len).
    pub qbuf_cap: usize,
    /// Bytes of the arguments of the command running now (`argv-mem=`).
    pub argv_mem: usize,
    /// In MULTI (`CLIENT_MULTI`): the queued commands.
    pub multi: Option<Box<MultiState>>,
    /// Running the commands of EXEC (`CLIENT_DENY_BLOCKING` for them).
    pub in_exec: bool,
    /// Parked by a blocking command (`CLIENT_BLOCKED`): later requests stay in the query buffer.
    pub blocked_on_keys: bool,
    /// Pub/sub subscriptions (`sub=`, `psub=`, `ssub=`; flag `P`).
    pub subs: ClientSubs,
    /// MONITOR: every command run is shown to this client.
    pub monitor: bool,
    /// Client-side caching: CLIENT TRACKING flags and settings (see `tracking`).
    pub tracking: crate::tracking::ClientTracking,
    /// The ACL user the client runs as (`default` until AUTH names another; see `acl`).
    pub user: Vec<u8>,
    /// A parked command's first call, for the slow log when it is served (see `latency`).
    pub blocked_call: Option<Box<crate::latency::BlockedCall>>,
}

impl Client {
    pub(crate) fn new(conn: ConnId, id: u64, addr: ClientAddr, now: Instant, auth: bool) -> Self {
        Client {
            conn,
            id,
            addr,
            proto: Proto::Resp2,
            db: 0,
            name: None,
            authenticated: auth,
            created: now,
            last_interaction: now,
            out: Vec::new(),
            close_after_reply: false,
            blocked: false,
            readonly: false,
            asking: false,
            no_evict: false,
            reply_mode: ReplyMode::default(),
            last_cmd: "NULL",
            qbuf_len: 0,
            qbuf_cap: 0,
            argv_mem: 0,
            multi: None,
            in_exec: false,
            blocked_on_keys: false,
            subs: ClientSubs::default(),
            monitor: false,
            tracking: Default::default(),
            user: crate::acl::DEFAULT_USER.to_vec(),
            blocked_call: None,
        }
    }

    /// Whether the client reads no requests now: it waits for the driver (CONFIG REWRITE) or
    /// for a key (a blocking command).
    pub(crate) fn is_waiting(&self) -> bool {
        self.blocked || self.blocked_on_keys
    }

    /// A reply writer appending to this client's output in its protocol.
    pub(crate) fn reply(&mut self) -> Reply<'_> {
        Reply::new(&mut self.out, self.proto)
    }

    /// Whether this is the replica's master client (the replication stream runs as it).
    pub(crate) fn is_master_client(&self) -> bool {
        self.conn == crate::replication::MASTER_CLIENT_CONN
    }

    /// Redis's one-letter flags for CLIENT LIST (`catClientInfoString` order).
    fn flags(&self, replica: bool) -> String {
        let mut f = String::new();
        if self.monitor {
            f.push('O');
        } else if replica {
            f.push('S');
        }
        if self.is_master_client() {
            f.push('M');
        }
        if self.subs.any() {
            f.push('P');
        }
        if self.multi.is_some() {
            f.push('x');
        }
        if self.blocked_on_keys {
            f.push('b');
        }
        // Ref: catClientInfoString: tracking `t`, broken redirect `R`, broadcasting `B`.
        for (on, c) in [
            (self.tracking.on, 't'),
            (self.tracking.broken_redir, 'R'),
            (self.tracking.bcast, 'B'),
        ] {
            if on {
                f.push(c);
            }
        }
        if self.close_after_reply {
            f.push('c');
        }
        if self.readonly {
            f.push('r');
        }
        if self.no_evict {
            f.push('e');
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }

    /// One CLIENT LIST / CLIENT INFO line, without the trailing newline, Redis 7.0's fields in
    /// its order. Memory fields are this client's actual buffer sizes.
    /// `replica`: the connection is a replica of this master (flag `S`).
    pub(crate) fn info_line(&self, now: Instant, replica: bool, out: &mut String) {
        let age = now.saturating_duration_since(self.created).as_secs();
        let idle = now
            .saturating_duration_since(self.last_interaction)
            .as_secs();
        let name = self
            .name
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let (obl, rbs) = (self.out.len(), self.out.capacity());
        let multi_mem = self.multi.as_ref().map_or(0, |m| m.mem);
        let tot_mem = self.qbuf_cap + rbs + self.argv_mem + multi_mem;
        let _ = write!(
            out,
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
             ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} \
             oll=0 omem=0 tot-mem={} events=r cmd={} user={} redir={} resp={}",
            self.id,
            self.addr.peer,
            self.addr.local,
            self.addr.fd,
            name,
            age,
            idle,
            self.flags(replica),
            self.db,
            self.subs.channels.len(),
            self.subs.patterns.len(),
            self.subs.shard.len(),
            self.multi.as_ref().map_or(-1, |m| m.queued.len() as i64),
            self.qbuf_len,
            self.qbuf_cap.saturating_sub(self.qbuf_len),
            self.argv_mem,
            multi_mem,
            rbs,
            rbs,
            obl,
            tot_mem,
            self.last_cmd,
            // Redis's master client has no user (`c->user` NULL, full rights).
            if self.is_master_client() {
                std::borrow::Cow::Borrowed("(superuser)")
            } else {
                String::from_utf8_lossy(&self.user)
            },
            self.tracking.redir_field(),
            match self.proto {
                Proto::Resp2 => 2,
                Proto::Resp3 => 3,
            },
        );
    }
}
