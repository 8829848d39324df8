//! SLOWLOG GET / LEN / RESET / HELP over the node's slow log (`crate::slowlog`), in Redis 7.0's
//! reply shapes. Ref: slowlog.c slowlogCommand.

use hashslot_keyspace::flags::{LOADING, STALE};
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, help_reply, parse_i64, Spec, ADMIN_ACL};
use crate::session::Client;
use crate::Node;

const F: u32 = hashslot_keyspace::flags::ADMIN | LOADING | STALE;

/// SLOWLOG's subcommands.
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd(
        "slowlog|get",
        -2,
        F,
        ADMIN_ACL,
        "server",
        "2.2.12",
        "O(N) where N is the number of entries returned",
        "Get the slow log's entries",
        get,
    ),
    cmd(
        "slowlog|len",
        2,
        F,
        ADMIN_ACL,
        "server",
        "2.2.12",
        "O(1)",
        "Get the slow log's length",
        len,
    ),
    cmd(
        "slowlog|reset",
        2,
        F,
        ADMIN_ACL,
        "server",
        "2.2.12",
        "O(N) where N is the number of entries in the slowlog",
        "Clear all entries from the slow log",
        reset,
    ),
    cmd(
        "slowlog|help",
        2,
        LOADING | STALE,
        &["@slow"],
        "server",
        "6.2.0",
        "O(1)",
        "Show helpful text about the different subcommands",
        help,
    ),
];

/// `SLOWLOG GET [count]`: the newest `count` entries (10 by default, -1 for all), each
/// `[id, unix time, µs, [args…], "ip:port", name]`.
fn get(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if args.len() > 3 {
        let err = format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try SLOWLOG HELP.",
            String::from_utf8_lossy(&args[1][..args[1].len().min(128)])
        );
        return c.reply().error(&ErrorReply::msg(err));
    }
    let log = &node.timing.slowlog;
    let count = match args.get(2) {
        None => 10,
        // Ref: getRangeLongFromObjectOrReply with a message: one error for both cases.
        Some(a) => match parse_i64(a) {
            Some(-1) => log.len(),
            Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                return c.reply().error(&ErrorReply::msg(
                    "ERR count should be greater than or equal to -1",
                ))
            }
        },
    };
    let n = count.min(log.len());
    let mut r = c.reply();
    r.array_len(n);
    for e in log.iter().take(n) {
        r.array_len(6);
        r.int(e.id as i64);
        r.int(e.time);
        r.int(i64::try_from(e.duration).unwrap_or(i64::MAX));
        r.array_len(e.argv.len());
        for a in &e.argv {
            r.bulk(a);
        }
        r.bulk(e.peer.as_bytes());
        r.bulk(&e.name);
    }
}

fn len(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let n = node.timing.slowlog.len();
    c.reply().int(n as i64);
}

fn reset(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    node.timing.slowlog.reset();
    c.reply().ok();
}

fn help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    help_reply(
        c,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
}
