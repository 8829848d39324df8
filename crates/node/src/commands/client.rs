//! CLIENT subcommands: ID, SETNAME, GETNAME, LIST, INFO, KILL, NO-EVICT, REPLY, UNBLOCK,
//! PAUSE, UNPAUSE, HELP.

use hashslot_resp::ErrorReply;
use hashslot_types::{ConnId, Now};

use super::{cmd, help_reply, parse_i64, Spec, ADMIN_CONN, ADMIN_FLAGS, SLOW_CONN};
use crate::session::Client;
use crate::{Node, Output};
use hashslot_keyspace::flags::{LOADING, NOSCRIPT, STALE};

const F: u32 = NOSCRIPT | LOADING | STALE;

/// CLIENT's subcommands.
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd(
        "client|id",
        2,
        F,
        SLOW_CONN,
        "connection",
        "5.0.0",
        "O(1)",
        "Returns the client ID for the current connection",
        id,
    ),
    cmd(
        "client|setname",
        3,
        F,
        SLOW_CONN,
        "connection",
        "2.6.9",
        "O(1)",
        "Set the current connection name",
        setname,
    ),
    cmd(
        "client|getname",
        2,
        F,
        SLOW_CONN,
        "connection",
        "2.6.9",
        "O(1)",
        "Get the current connection name",
        getname,
    ),
    cmd(
        "client|list",
        -2,
        ADMIN_FLAGS,
        ADMIN_CONN,
        "connection",
        "2.4.0",
        "O(N) where N is the number of client connections",
        "Get the list of client connections",
        list,
    ),
    cmd(
        "client|info",
        2,
        F,
        SLOW_CONN,
        "connection",
        "6.2.0",
        "O(1)",
        "Returns information about the current client connection.",
        info,
    ),
    cmd(
        "client|kill",
        -3,
        ADMIN_FLAGS,
        ADMIN_CONN,
        "connection",
        "2.4.0",
        "O(N) where N is the number of client connections",
        "Kill the connection of a client",
        kill,
    ),
    cmd(
        "client|no-evict",
        3,
        ADMIN_FLAGS,
        ADMIN_CONN,
        "connection",
        "7.0.0",
        "O(1)",
        "Set client eviction mode for the current connection",
        no_evict,
    ),
    cmd(
        "client|reply",
        3,
        F,
        SLOW_CONN,
        "connection",
        "3.2.0",
        "O(1)",
        "Instruct the server whether to reply to commands",
        reply,
    ),
    cmd(
        "client|unblock",
        -3,
        ADMIN_FLAGS,
        ADMIN_CONN,
        "connection",
        "5.0.0",
        "O(log N) where N is the number of client connections",
        "Unblock a client blocked in a blocking command from a different connection",
        unblock,
    ),
    cmd(
        "client|pause",
        -3,
        ADMIN_FLAGS,
        ADMIN_CONN,
        "connection",
        "2.9.50",
        "O(1)",
        "Stop processing commands from clients for some time",
        pause,
    ),
    cmd(
        "client|unpause",
        2,
        ADMIN_FLAGS,
        ADMIN_CONN,
        "connection",
        "6.2.0",
        "O(N) Where N is the number of paused clients",
        "Resume processing of clients that were paused",
        unpause,
    ),
    // Client-side caching (see `crate::tracking`).
    cmd(
        "client|tracking",
        -3,
        F,
        SLOW_CONN,
        "connection",
        "6.0.0",
        "O(1). Some options may introduce additional complexity.",
        "Enable or disable server assisted client side caching support",
        crate::tracking::tracking,
    ),
    cmd(
        "client|caching",
        3,
        F,
        SLOW_CONN,
        "connection",
        "6.0.0",
        "O(1)",
        "Instruct the server about tracking or not keys in the next request",
        crate::tracking::caching,
    ),
    cmd(
        "client|getredir",
        2,
        F,
        SLOW_CONN,
        "connection",
        "6.0.0",
        "O(1)",
        "Get tracking notifications redirection client ID if any",
        crate::tracking::getredir,
    ),
    cmd(
        "client|trackinginfo",
        2,
        F,
        SLOW_CONN,
        "connection",
        "6.2.0",
        "O(1)",
        "Return information about server assisted client side caching for the current connection",
        crate::tracking::trackinginfo,
    ),
    cmd(
        "client|help",
        2,
        LOADING | STALE,
        SLOW_CONN,
        "connection",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
        help,
    ),
];

/// `CLIENT PAUSE timeout [WRITE|ALL]`: hold every command (ALL, the default) or those that
/// write or may replicate (WRITE) from every client but replicas, for `timeout` ms.
/// Ref: networking.c clientCommand "pause" and timeout.c getTimeoutFromObjectOrReply.
fn pause(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    use crate::pause::{PausePurpose, PauseType};
    if args.len() > 4 {
        return c.reply().error(&ErrorReply::msg(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(args[1])
        )));
    }
    let ty = match args.get(3) {
        None => PauseType::All,
        Some(m) if m.eq_ignore_ascii_case(b"write") => PauseType::Write,
        Some(m) if m.eq_ignore_ascii_case(b"all") => PauseType::All,
        Some(_) => {
            return c.reply().error(&ErrorReply::msg(
                "ERR CLIENT PAUSE mode must be WRITE or ALL",
            ))
        }
    };
    let Some(ms) = parse_i64(args[2]) else {
        return c.reply().error(&ErrorReply::msg(
            "ERR timeout is not an integer or out of range",
        ));
    };
    if ms < 0 {
        return c.reply().error(&ErrorReply::msg("ERR timeout is negative"));
    }
    if ms == 0 || ms > i64::MAX - now.wall.0 {
        // Redis's end time is 0 for a 0 timeout and wraps negative past the largest time: the
        // pause is over as soon as it is set.
        return c.reply().ok();
    }
    let end = now.mono + std::time::Duration::from_millis(ms as u64);
    node.pause_clients(PausePurpose::ClientCommand, end, ty);
    c.reply().ok();
}

/// `CLIENT UNPAUSE`: end the pause CLIENT PAUSE set (a manual failover's stays).
fn unpause(node: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    node.unpause_clients(now, crate::pause::PausePurpose::ClientCommand);
    c.reply().ok();
}

fn id(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let id = c.id as i64;
    c.reply().int(id);
}

/// Set (or with an empty name, clear) the client's name; replies with an error and returns
/// false for a name Redis refuses. Ref: networking.c clientSetName.
pub(super) fn set_name(c: &mut Client, name: &[u8]) -> bool {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        c.reply().error(&ErrorReply::msg(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
        return false;
    }
    c.name = if name.is_empty() {
        None
    } else {
        Some(name.to_vec())
    };
    true
}

fn setname(_: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if set_name(c, args[2]) {
        c.reply().ok();
    }
}

fn getname(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    match c.name.take() {
        Some(n) => {
            c.reply().bulk(&n);
            c.name = Some(n);
        }
        None => c.reply().null(),
    }
}

/// Every client, the caller included, in id order; on a replica with its link up, the master
/// client too (as in Redis's client list).
fn all_clients<'a>(node: &'a Node, cur: &'a Client) -> Vec<&'a Client> {
    let mut v: Vec<&Client> = node
        .sessions
        .values()
        .filter(|s| !s.closing)
        .map(|s| &s.client)
        .collect();
    v.push(cur);
    v.extend(node.repl.listed_master_client());
    v.sort_by_key(|c| c.id);
    v
}

/// A client type of `CLIENT LIST TYPE` / `CLIENT KILL TYPE` (Redis's `getClientType`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Pubsub,
    Replica,
    /// The master client of a replica (the replication link).
    Master,
}

fn type_matches(name: &[u8]) -> Option<ClientType> {
    let n = name.to_ascii_lowercase();
    match &n[..] {
        b"normal" => Some(ClientType::Normal),
        b"pubsub" => Some(ClientType::Pubsub),
        b"replica" | b"slave" => Some(ClientType::Replica),
        b"master" => Some(ClientType::Master),
        _ => None,
    }
}

/// The type of `cl`: a replica first, then pubsub (as `getClientType` orders the flags).
fn type_of(node: &Node, cl: &Client) -> ClientType {
    if cl.is_master_client() {
        ClientType::Master
    } else if node.repl.is_replica_conn(cl.conn) {
        ClientType::Replica
    } else if cl.subs.any() {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

fn unknown_type(name: &[u8]) -> ErrorReply {
    ErrorReply::msg(format!(
        "ERR Unknown client type '{}'",
        String::from_utf8_lossy(name)
    ))
}

fn list(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let mut ids: Option<Vec<u64>> = None;
    let mut typ: Option<ClientType> = None;
    if args.len() > 3 && args[2].eq_ignore_ascii_case(b"id") {
        let mut v = Vec::new();
        for a in &args[3..] {
            // Ref: 7.0 accepts any integer here; ids start at 1, so 0 and below match nobody.
            match parse_i64(a) {
                Some(n) => v.push(u64::try_from(n).unwrap_or(0)),
                None => return c.reply().error(&ErrorReply::msg("ERR Invalid client ID")),
            }
        }
        ids = Some(v);
    } else if args.len() == 4 && args[2].eq_ignore_ascii_case(b"type") {
        match type_matches(args[3]) {
            Some(t) => typ = Some(t),
            None => return c.reply().error(&unknown_type(args[3])),
        }
    } else if args.len() != 2 {
        return c.reply().error(&ErrorReply::Syntax);
    }
    let mut text = String::new();
    {
        for cl in all_clients(node, c) {
            if ids.as_ref().map_or(true, |v| v.contains(&cl.id))
                && typ.map_or(true, |t| type_of(node, cl) == t)
            {
                cl.info_line(now.mono, node.repl.is_replica_conn(cl.conn), &mut text);
                text.push('\n');
            }
        }
    }
    c.reply().verbatim(b"txt", text.as_bytes());
}

fn info(node: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    let mut text = String::new();
    c.info_line(now.mono, node.repl.is_replica_conn(c.conn), &mut text);
    text.push('\n');
    c.reply().verbatim(b"txt", text.as_bytes());
}

/// A CLIENT KILL filter.
#[derive(Default)]
struct Filter {
    id: Option<u64>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    /// `TYPE`: the type asked for (see `type_matches`).
    typ: Option<ClientType>,
    /// `USER`: the user the client runs as (the name was checked to exist).
    user: Option<Vec<u8>>,
    skipme: bool,
}

impl Filter {
    fn matches(&self, node: &Node, cl: &Client) -> bool {
        self.id.map_or(true, |id| id == cl.id)
            && self
                .addr
                .as_ref()
                .map_or(true, |a| *a == cl.addr.peer.to_string().into_bytes())
            && self
                .laddr
                .as_ref()
                .map_or(true, |a| *a == cl.addr.local.to_string().into_bytes())
            && self.typ.map_or(true, |t| type_of(node, cl) == t)
            // Ref: Redis's master client has no user, so a USER filter never matches it.
            && self
                .user
                .as_ref()
                .map_or(true, |u| !cl.is_master_client() && *u == cl.user)
    }
}

/// `CLIENT KILL addr:port` or `CLIENT KILL <filter> <value> …`. Ref: networking.c clientCommand.
fn kill(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let old_style = args.len() == 3;
    let mut f = Filter {
        skipme: true,
        ..Filter::default()
    };
    if old_style {
        f.addr = Some(args[2].to_vec());
        f.skipme = false;
    } else {
        // Options are read in order: an option without a value is a syntax error only when
        // it is reached (an unknown user before it is reported first, as in Redis).
        for pair in args[2..].chunks(2) {
            let [opt, val] = pair else {
                return c.reply().error(&ErrorReply::Syntax);
            };
            let (opt, val) = (opt.to_ascii_lowercase(), *val);
            match &opt[..] {
                b"id" => match parse_i64(val).filter(|&n| n >= 1) {
                    Some(n) => f.id = Some(n as u64),
                    None => {
                        return c
                            .reply()
                            .error(&ErrorReply::msg("ERR client-id should be greater than 0"))
                    }
                },
                b"type" => match type_matches(val) {
                    Some(t) => f.typ = Some(t),
                    None => return c.reply().error(&unknown_type(val)),
                },
                b"addr" => f.addr = Some(val.to_vec()),
                b"laddr" => f.laddr = Some(val.to_vec()),
                b"user" if node.acl.user(val).is_none() => {
                    let text = format!("ERR No such user '{}'", crate::acl::c_text(val));
                    return c.reply().error(&ErrorReply::msg(text));
                }
                b"user" => f.user = Some(val.to_vec()),
                b"skipme" if val.eq_ignore_ascii_case(b"yes") => f.skipme = true,
                b"skipme" if val.eq_ignore_ascii_case(b"no") => f.skipme = false,
                _ => return c.reply().error(&ErrorReply::Syntax),
            }
        }
    }
    let victims: Vec<ConnId> = node
        .sessions
        .iter()
        .filter(|(_, s)| !s.closing && f.matches(node, &s.client))
        .map(|(k, _)| *k)
        .collect();
    let mut killed = victims.len();
    for conn in victims {
        if let Some(s) = node.sessions.get_mut(&conn) {
            s.closing = true;
            s.client.out.clear();
            node.outputs.push_back(Output::Close { conn });
        }
        node.tracking_client_killed(conn);
    }
    // The master client is no session: killing it drops the replication link.
    let master = node
        .repl
        .listed_master_client()
        .is_some_and(|m| f.matches(node, m));
    if master && node.repl_kill_master_link(now) {
        killed += 1;
    }
    let me = !f.skipme && f.matches(node, c);
    if me {
        killed += 1;
    }
    if old_style {
        if killed == 0 {
            return c.reply().error(&ErrorReply::msg("ERR No such client"));
        }
        c.reply().ok();
    } else {
        c.reply().int(killed as i64);
    }
    if me {
        c.close_after_reply = true;
    }
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`. Ref: networking.c clientCommand.
fn unblock(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if args.len() > 4 {
        // Ref: networking.c clientCommand falls through to addReplySubcommandSyntaxError.
        let text = format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(&args[1][..args[1].len().min(128)])
        );
        return c.reply().error(&ErrorReply::msg(text));
    }
    let mut error = false;
    if let Some(how) = args.get(3) {
        if how.eq_ignore_ascii_case(b"timeout") {
            error = false;
        } else if how.eq_ignore_ascii_case(b"error") {
            error = true;
        } else {
            return c.reply().error(&ErrorReply::msg(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    }
    let Some(id) = parse_i64(args[2]) else {
        return c.reply().error(&ErrorReply::msg(
            "ERR value is not an integer or out of range",
        ));
    };
    let target = node
        .sessions
        .iter()
        .find(|(_, s)| s.client.id as i64 == id && s.client.blocked_on_keys)
        .map(|(k, _)| *k);
    let err = ErrorReply::msg("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    let done = target.is_some_and(|conn| node.unblock_with(conn, error.then_some(&err)));
    if let (true, Some(conn)) = (done, target) {
        // Ref: clientCommand UNBLOCK: the released command's stats and slow log entry.
        node.unblocked_by_client(now, conn);
    }
    node.rearm_blocked_timer();
    c.reply().int(i64::from(done));
}

fn no_evict(_: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    match args[2].to_ascii_lowercase().as_slice() {
        b"on" => c.no_evict = true,
        b"off" => c.no_evict = false,
        _ => return c.reply().error(&ErrorReply::Syntax),
    }
    c.reply().ok();
}

/// `CLIENT REPLY ON|OFF|SKIP`: OFF and SKIP send nothing themselves.
fn reply(_: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    match args[2].to_ascii_lowercase().as_slice() {
        b"on" => {
            c.reply_mode.off = false;
            c.reply_mode.skip = false;
            c.reply().ok();
        }
        b"off" => c.reply_mode.off = true,
        b"skip" => {
            if !c.reply_mode.off {
                c.reply_mode.skip_next = true;
            }
        }
        _ => c.reply().error(&ErrorReply::Syntax),
    }
}

fn help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    help_reply(
        c,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are: ID <client-id>, TYPE (NORMAL|MASTER|REPLICA|PUBSUB),",
            "    USER <username>, ADDR <ip:port>, LADDR <ip:port>, SKIPME (YES|NO).",
            "LIST [options ...]",
            "    Return information about client connections. Options: TYPE (NORMAL|MASTER|REPLICA|PUBSUB),",
            "    ID <client-id> [<client-id> ...].",
            "NO-EVICT (ON|OFF)",
            "    Protect the current client connection from client eviction.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
        ],
    );
}
