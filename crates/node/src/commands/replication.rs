//! Replication commands: REPLCONF, PSYNC, SYNC (a replica's side of the handshake, served by
//! the master machine), WAIT, REPLICAOF/SLAVEOF and ROLE. Ref: replication.c (7.0).

use std::time::Duration;

use hashslot_keyspace::flags::*;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, parse_i64, Spec, ADMIN_ACL};
use crate::replication::Role;
use crate::session::Client;
use crate::Node;

const REPL_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY;

pub(super) const REPLCONF: Spec = cmd(
    "replconf",
    -1,
    REPL_FLAGS,
    ADMIN_ACL,
    "server",
    "3.0.0",
    "O(1)",
    "An internal command for configuring the replication stream",
    replconf,
);
pub(super) const PSYNC: Spec = cmd(
    "psync",
    -3,
    REPL_FLAGS | NO_MULTI,
    ADMIN_ACL,
    "server",
    "2.8.0",
    "O(1)",
    "Internal command used for replication",
    psync,
);
pub(super) const SYNC: Spec = cmd(
    "sync",
    1,
    REPL_FLAGS | NO_MULTI,
    ADMIN_ACL,
    "server",
    "1.0.0",
    "O(1)",
    "Internal command used for replication",
    psync,
);
pub(super) const WAIT: Spec = cmd(
    "wait", 3, NOSCRIPT, &["@slow", "@connection"], "generic", "3.0.0", "O(1)",
    "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
    wait,
);
pub(super) const REPLICAOF: Spec = cmd(
    "replicaof",
    3,
    ADMIN | NOSCRIPT | STALE,
    ADMIN_ACL,
    "server",
    "5.0.0",
    "O(1)",
    "Make the server a replica of another instance, or promote it as master.",
    replicaof,
);
pub(super) const SLAVEOF: Spec = cmd(
    "slaveof",
    3,
    ADMIN | NOSCRIPT | STALE,
    ADMIN_ACL,
    "server",
    "1.0.0",
    "O(1)",
    "Make the server a replica of another instance, or promote it as master.",
    replicaof,
);
pub(super) const ROLE: Spec = cmd(
    "role",
    1,
    NOSCRIPT | LOADING | STALE | FAST,
    &["@admin", "@fast", "@dangerous"],
    "server",
    "2.8.12",
    "O(1)",
    "Return the role of the instance in the context of replication",
    role,
);

fn peer_ip(c: &Client) -> String {
    c.addr.peer.ip().to_string()
}

fn replconf(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let ip = peer_ip(c);
    // A replica serves sub-replicas (chained replication): its REPLCONFs go to the machine
    // that serves them.
    match node.repl.server() {
        Some(m) => m.handle_replconf(now, c.conn, &ip, args),
        None => {
            c.reply().error(&ErrorReply::Syntax);
            return;
        }
    }
    node.repl_drain(now, Some(c));
}

fn psync(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let ip = peer_ip(c);
    match &mut node.repl.role {
        Role::Master(m) => m.handle_psync(now, c.conn, &ip, args),
        // Sub-replicas get the stream this replica reads from its master (the machine
        // answers -NOMASTERLINK while that link is down).
        Role::Replica(r) => r.handle_psync(now, c.conn, &ip, args),
        Role::Switching => {
            c.reply().error(&ErrorReply::msg(
                "NOMASTERLINK Can't SYNC while not connected with my master",
            ));
            return;
        }
    }
    let start = c.out.len();
    node.repl_drain(now, Some(c));
    let addr = c.addr.peer;
    if c.out[start..].starts_with(b"-") {
        return;
    }
    let line = if c.out[start..].starts_with(b"+CONTINUE") {
        format!("Partial resynchronization request from {addr} accepted.")
    } else {
        format!("Replica {addr} asks for synchronization; full resync")
    };
    node.log(crate::LogLevel::Notice, line);
}

fn wait(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if node.repl.is_replica() {
        c.reply().error(&ErrorReply::msg(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis \
             4.0 if a replica is configured to be writable (which is not the default) writes to \
             replicas are just local and are not propagated.",
        ));
        return;
    }
    let Some(numreplicas) = parse_i64(args[1]) else {
        c.reply().error(&ErrorReply::NotInteger);
        return;
    };
    let Some(timeout) = parse_i64(args[2]) else {
        c.reply().error(&ErrorReply::msg(
            "ERR timeout is not an integer or out of range",
        ));
        return;
    };
    if timeout < 0 {
        c.reply().error(&ErrorReply::msg("ERR timeout is negative"));
        return;
    }
    let offset = node.repl_client_offset(c.conn);
    let Some(m) = node.repl.master() else {
        c.reply().int(0);
        return;
    };
    if c.in_exec {
        // Ref: waitCommand: inside MULTI the count is replied at once.
        let n = m.count_acks(offset);
        c.reply().int(n);
        return;
    }
    let timeout = (timeout > 0).then(|| Duration::from_millis(timeout as u64));
    m.handle_wait(now, c.conn, numreplicas, timeout, offset);
    if !node.repl_drain(now, Some(c)) {
        node.repl_block_wait(c);
    }
}

fn replicaof(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if node.config.cluster_enabled {
        c.reply().error(&ErrorReply::msg(
            "ERR REPLICAOF not allowed in cluster mode.",
        ));
        return;
    }
    if args[1].eq_ignore_ascii_case(b"no") && args[2].eq_ignore_ascii_case(b"one") {
        node.repl_become_master(now);
        node.repl_drain(now, None);
        c.reply().ok();
        return;
    }
    let port = parse_i64(args[2]).filter(|p| (0..=65535).contains(p));
    let Some(port) = port else {
        c.reply().error(&ErrorReply::msg("ERR Invalid master port"));
        return;
    };
    let host = String::from_utf8_lossy(args[1]).into_owned();
    if node.repl_become_replica(now, &host, port as u16) {
        c.reply().ok();
    } else {
        c.reply()
            .simple(b"OK Already connected to specified master");
    }
}

fn role(node: &mut Node, _now: Now, c: &mut Client, _args: &[&[u8]]) {
    let mut r = c.reply();
    match &node.repl.role {
        Role::Replica(rep) => {
            let (host, port) = rep.master_addr();
            let state = match rep.state() {
                hashslot_repl::LinkState::Connect => "connect",
                hashslot_repl::LinkState::Connecting => "connecting",
                hashslot_repl::LinkState::Transfer | hashslot_repl::LinkState::Loading => "sync",
                hashslot_repl::LinkState::Connected => "connected",
                _ => "handshake",
            };
            r.array_len(5);
            r.bulk(b"slave");
            r.bulk(host.as_bytes());
            r.int(i64::from(port));
            r.bulk(state.as_bytes());
            r.int(rep.repl_offset());
        }
        Role::Master(m) => {
            let online: Vec<_> = m
                .replicas()
                .filter(|s| s.state == hashslot_repl::ReplicaState::Online)
                .collect();
            r.array_len(3);
            r.bulk(b"master");
            r.int(m.master_repl_offset());
            r.array_len(online.len());
            for s in online {
                r.array_len(3);
                let ip = s.announced_ip.as_deref().unwrap_or(&s.peer_ip);
                r.bulk(ip.as_bytes());
                r.bulk(s.listening_port.to_string().as_bytes());
                r.bulk(s.ack_offset.to_string().as_bytes());
            }
        }
        Role::Switching => r.null(),
    }
}
