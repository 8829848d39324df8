//! The node's own commands: a `CommandSpec` table over [`NodeHandler`]s, merged with the
//! keyspace's data commands by the command table.

use hashslot_keyspace::flags::*;
use hashslot_keyspace::CommandSpec;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use crate::session::Client;
use crate::Node;

mod acl;
mod client;
mod cluster;
mod cluster_migrateslots;
mod command;
mod config;
mod connection;
mod debug;
mod dump;
mod failover;
mod functions;
mod info;
mod latency;
mod lolwut;
mod memory;
mod migrate;
mod module;
mod multi;
mod persistence;
mod pubsub;
mod replication;
mod scripting;
mod server;
mod slowlog;

/// A node command: it may read and change the whole node beside the client that sent it. The
/// arity was checked; the handler writes exactly one reply (or none, for SHUTDOWN).
pub(crate) type NodeHandler = fn(&mut Node, Now, &mut Client, &[&[u8]]);

type Spec = CommandSpec<NodeHandler>;

/// A leaf command of the node.
#[allow(clippy::too_many_arguments)]
const fn cmd(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    group: &'static str,
    since: &'static str,
    complexity: &'static str,
    summary: &'static str,
    h: NodeHandler,
) -> Spec {
    CommandSpec {
        name,
        arity,
        flags,
        first_key: 0,
        last_key: 0,
        key_step: 0,
        get_keys: None,
        acl_categories: acl,
        group,
        summary,
        since,
        complexity,
        subcommands: &[],
        handler: Some(h),
    }
}

/// Ref: server.c processCommand and allowProtectedAction (7.0): a protected command (DEBUG,
/// MODULE LOAD…) runs only when its `option` is `yes`, or `local` and the client connected over
/// loopback (TCP: exactly 127.0.0.1 or ::1); otherwise the error to reply, in Redis's words.
pub(crate) fn protected_refusal(
    node: &Node,
    c: &Client,
    command: &str,
    option: &str,
) -> Option<ErrorReply> {
    use std::net::IpAddr;
    let allowed = match node.config.get(option).as_deref() {
        Some("yes") => true,
        Some("local") => match c.addr.peer.ip() {
            IpAddr::V4(ip) => ip.octets() == [127, 0, 0, 1],
            IpAddr::V6(ip) => ip.is_loopback(),
        },
        _ => false,
    };
    (!allowed).then(|| {
        ErrorReply::msg(format!(
            "ERR {command} command not allowed. If the {option} option is set to \"local\", you \
             can run it from a local connection, otherwise you need to set this option in the \
             configuration file, and then restart the server."
        ))
    })
}

/// A container command (CLIENT, CONFIG…); `h` runs when it is sent alone (COMMAND).
#[allow(clippy::too_many_arguments)]
const fn container(
    name: &'static str,
    arity: i32,
    acl: &'static [&'static str],
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    subcommands: &'static [Spec],
    h: Option<NodeHandler>,
) -> Spec {
    CommandSpec {
        name,
        arity,
        flags: if h.is_some() { LOADING | STALE } else { 0 },
        first_key: 0,
        last_key: 0,
        key_step: 0,
        get_keys: None,
        acl_categories: acl,
        group,
        summary,
        since,
        complexity: "Depends on subcommand.",
        subcommands,
        handler: h,
    }
}

const CONN: &[&str] = &["@fast", "@connection"];
pub(crate) const SLOW_CONN: &[&str] = &["@slow", "@connection"];
pub(crate) const ADMIN_ACL: &[&str] = &["@admin", "@slow", "@dangerous"];
pub(crate) const ADMIN_CONN: &[&str] = &["@admin", "@slow", "@dangerous", "@connection"];
const CONN_FLAGS: u32 = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY;
pub(crate) const ADMIN_FLAGS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

/// The node's commands, in the order COMMAND lists them after the keyspace's.
pub(crate) static TABLE: &[Spec] = &[
    cmd("ping", -1, FAST, CONN, "connection", "1.0.0", "O(1)", "Ping the server", connection::ping),
    cmd("echo", 2, LOADING | STALE | FAST, CONN, "connection", "1.0.0", "O(1)", "Echo the given string", connection::echo),
    cmd("select", 2, LOADING | STALE | FAST, CONN, "connection", "2.0.0", "O(1)", "Change the selected database for the current connection", connection::select),
    cmd("quit", -1, CONN_FLAGS, CONN, "connection", "1.0.0", "O(1)", "Close the connection", connection::quit),
    cmd("reset", 1, CONN_FLAGS, CONN, "connection", "6.2.0", "O(1)", "Reset the connection", connection::reset),
    cmd("hello", -1, CONN_FLAGS, CONN, "connection", "6.0.0", "O(1)", "Handshake with Redis", connection::hello),
    cmd("auth", -2, CONN_FLAGS, CONN, "connection", "1.0.0", "O(N) where N is the number of passwords defined for the user", "Authenticate to the server", connection::auth),
    cmd("readonly", 1, LOADING | STALE | FAST, CONN, "cluster", "3.0.0", "O(1)", "Enables read queries for a connection to a cluster replica node", connection::readonly),
    cmd("readwrite", 1, LOADING | STALE | FAST, CONN, "cluster", "3.0.0", "O(1)", "Disables read queries for a connection to a cluster replica node", connection::readwrite),
    cmd("asking", 1, FAST, CONN, "cluster", "3.0.0", "O(1)", "Sent by cluster clients after an -ASK redirect", connection::asking),
    container("client", -2, &["@slow"], "connection", "2.4.0", "A container for client connection commands", client::SUBCOMMANDS, None),
    cmd("info", -1, LOADING | STALE, &["@slow", "@dangerous"], "server", "1.0.0", "O(1)", "Get information and statistics about the server", info::info),
    container("cluster", -2, &["@slow"], "cluster", "3.0.0", "A container for cluster commands", cluster::SUBCOMMANDS, None),
    container("config", -2, &["@slow"], "server", "2.0.0", "A container for server configuration commands", config::SUBCOMMANDS, None),
    container("command", -1, SLOW_CONN, "server", "2.8.13", "Get array of Redis command details", command::SUBCOMMANDS, Some(command::command)),
    cmd("time", 1, LOADING | STALE | FAST, &["@fast"], "server", "2.6.0", "O(1)", "Return the current server time", server::time),
    cmd("lastsave", 1, LOADING | STALE | FAST, &["@admin", "@fast", "@dangerous"], "server", "1.0.0", "O(1)", "Get the UNIX time stamp of the last successful save to disk", server::lastsave),
    cmd("shutdown", -1, ADMIN_FLAGS | NO_MULTI | ALLOW_BUSY, ADMIN_ACL, "server", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "Synchronously save the dataset to disk and then shut down the server", server::shutdown),
    cmd("dbsize", 1, READONLY | FAST, &["@keyspace", "@read", "@fast"], "server", "1.0.0", "O(1)", "Return the number of keys in the selected database", server::dbsize),
    container("module", -2, &["@slow"], "server", "4.0.0", "A container for module commands", module::SUBCOMMANDS, None),
    cmd("monitor", 1, ADMIN_FLAGS, ADMIN_ACL, "server", "1.0.0", "", "Listen for all requests received by the server in real time", server::monitor),
    multi::MULTI,
    multi::EXEC,
    multi::DISCARD,
    multi::WATCH,
    multi::UNWATCH,
    pubsub::SUBSCRIBE,
    pubsub::UNSUBSCRIBE,
    pubsub::PSUBSCRIBE,
    pubsub::PUNSUBSCRIBE,
    pubsub::PUBLISH,
    pubsub::SSUBSCRIBE,
    pubsub::SUNSUBSCRIBE,
    pubsub::SPUBLISH,
    persistence::SAVE,
    persistence::BGSAVE,
    persistence::BGREWRITEAOF,
    dump::DUMP,
    dump::RESTORE,
    dump::RESTORE_ASKING,
    debug::DEBUG,
    container("pubsub", -2, &["@slow"], "pubsub", "2.8.0", "A container for Pub/Sub commands", pubsub::SUBCOMMANDS, None),
    migrate::MIGRATE,
    replication::REPLCONF,
    replication::PSYNC,
    replication::SYNC,
    replication::WAIT,
    replication::REPLICAOF,
    replication::SLAVEOF,
    replication::ROLE,
    failover::FAILOVER,
    container("memory", -2, &["@slow"], "server", "4.0.0", "A container for memory diagnostics commands", memory::SUBCOMMANDS, None),
    lolwut::LOLWUT,
    container("acl", -2, &["@slow"], "server", "6.0.0", "A container for Access List Control commands ", acl::SUBCOMMANDS, None),
    container("slowlog", -2, &["@slow"], "server", "2.2.12", "A container for slow log commands", slowlog::SUBCOMMANDS, None),
    container("latency", -2, &["@slow"], "server", "2.8.13", "A container for latency diagnostics commands", latency::SUBCOMMANDS, None),
    scripting::EVAL,
    scripting::EVALSHA,
    scripting::EVAL_RO,
    scripting::EVALSHA_RO,
    container("script", -2, &["@slow"], "scripting", "2.6.0", "A container for Lua scripts management commands", scripting::SUBCOMMANDS, None),
    functions::FCALL,
    functions::FCALL_RO,
    container("function", -2, &["@slow"], "scripting", "7.0.0", "A container for function commands", functions::SUBCOMMANDS, None),
];

/// Redis's `string2ll`: an optional `-`, then digits without leading zeros, fitting in i64.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 || (digits[0] == b'0' && (digits.len() > 1 || neg)) {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if neg {
        Some(v)
    } else {
        v.checked_neg()
    }
}

/// The `HELP` reply of a container: its first line, then each line given.
pub(crate) fn help_reply(client: &mut Client, container: &str, lines: &[&str]) {
    let mut r = client.reply();
    r.array_len(lines.len() + 3);
    let head = format!("{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    r.simple(head.as_bytes());
    for l in lines {
        r.simple(l.as_bytes());
    }
    r.simple(b"HELP");
    r.simple(b"    Prints this help.");
}

#[cfg(test)]
mod tests {
    use super::parse_i64;

    #[test]
    fn strict_integers() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"01",
            b"-0",
            b"+1",
            b" 1",
            b"1x",
            b"9223372036854775808",
        ] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
    }
}
