//! MIGRATE: parsing and the command table entry; the socket work is in `crate::migrate`. The
//! target side (RESTORE-ASKING) is in `commands::dump`.

use hashslot_keyspace::flags::*;
use hashslot_keyspace::CommandSpec;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{parse_i64, NodeHandler};
use crate::migrate::Request;
use crate::session::Client;
use crate::Node;

/// `MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw]
/// [KEYS key…]`. Key positions: argv[3], or everything after `KEYS`.
pub(crate) const MIGRATE: CommandSpec<NodeHandler> = CommandSpec {
    name: "migrate",
    arity: -6,
    flags: WRITE | MOVABLE_KEYS,
    first_key: 3,
    last_key: 3,
    key_step: 1,
    get_keys: Some(migrate_get_keys),
    acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
    group: "generic",
    summary: "Atomically transfer a key from a Redis instance to another one.",
    since: "2.6.0",
    complexity: "This command actually executes a DUMP+DEL in the source instance, and a \
                 RESTORE in the target instance. See the pages of these commands for time \
                 complexity. Also an O(N) data transfer between the two instances is performed.",
    subcommands: &[],
    handler: Some(migrate),
};

/// Redis's `migrateGetKeys`.
fn migrate_get_keys(args: &[&[u8]], out: &mut Vec<usize>) {
    let (mut first, mut num) = (3, 1);
    let mut i = 6;
    while i < args.len() {
        let a = args[i];
        if a.eq_ignore_ascii_case(b"keys") {
            if !args[3].is_empty() {
                return; // Invalid: no keys.
            }
            first = i + 1;
            num = args.len() - first;
            break;
        }
        if a.eq_ignore_ascii_case(b"auth") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"auth2") {
            i += 2;
        }
        i += 1;
    }
    out.extend((first..first + num).filter(|&p| p < args.len()));
}

fn migrate(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let (mut copy, mut replace, mut auth) = (false, false, None);
    let mut keys: &[&[u8]] = &args[3..4];
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let a = args[j];
        if a.eq_ignore_ascii_case(b"copy") {
            copy = true;
        } else if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if a.eq_ignore_ascii_case(b"auth") {
            if more < 1 {
                return c.reply().error(&ErrorReply::Syntax);
            }
            auth = Some((None, args[j + 1].to_vec()));
            j += 1;
        } else if a.eq_ignore_ascii_case(b"auth2") {
            if more < 2 {
                return c.reply().error(&ErrorReply::Syntax);
            }
            auth = Some((Some(args[j + 1].to_vec()), args[j + 2].to_vec()));
            j += 2;
        } else if a.eq_ignore_ascii_case(b"keys") {
            if !args[3].is_empty() {
                return c.reply().error(&ErrorReply::msg(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the \
                     empty string",
                ));
            }
            keys = &args[j + 1..];
            break;
        } else {
            return c.reply().error(&ErrorReply::Syntax);
        }
        j += 1;
    }
    // Ref: migrateCommand checks the timeout, then the db.
    let (Some(timeout), Some(dbid)) = (parse_i64(args[5]), parse_i64(args[4])) else {
        return c.reply().error(&ErrorReply::NotInteger);
    };
    let timeout_ms = if timeout <= 0 { 1000 } else { timeout as u64 };
    if c.in_exec {
        // We cannot wait for the target inside EXEC (Redis blocks its whole loop there).
        return c.reply().error(&ErrorReply::msg(
            "ERR MIGRATE is not supported inside MULTI/EXEC",
        ));
    }
    // Keys missing (or expired: lookupKeyRead expires them) are skipped.
    let db = c.db;
    let mut present = Vec::with_capacity(keys.len());
    for &k in keys {
        if node.dbs[db].expire_if_needed(k, now.wall) {
            node.ks_stats.expired_keys += 1;
        }
        if node.dbs[db].contains_key_raw(k) {
            present.push(k.to_vec());
        }
    }
    node.drain_expired(now);
    if present.is_empty() {
        return c.reply().simple(b"NOKEY");
    }
    // Redis passes the port text to connect(); one that is not a port cannot connect.
    let port = std::str::from_utf8(args[2])
        .ok()
        .and_then(|p| p.parse::<u16>().ok());
    let Some(port) = port else {
        return c.reply().error(&ErrorReply::msg(
            "IOERR error or timeout connecting to the client",
        ));
    };
    let req = Request {
        host: String::from_utf8_lossy(args[1]).into_owned(),
        port,
        dbid,
        timeout_ms,
        copy,
        replace,
        auth,
        keys: present,
    };
    node.migrate_start(now, c, req);
}

#[cfg(test)]
mod tests {
    use super::migrate_get_keys;

    #[test]
    fn key_positions() {
        let mut out = Vec::new();
        migrate_get_keys(&[b"MIGRATE", b"h", b"1", b"k", b"0", b"5"], &mut out);
        assert_eq!(out, [3]);
        out.clear();
        let args: &[&[u8]] = &[
            b"MIGRATE", b"h", b"1", b"", b"0", b"5", b"AUTH2", b"keys", b"x", b"KEYS", b"a", b"b",
        ];
        migrate_get_keys(args, &mut out);
        assert_eq!(out, [10, 11]);
    }
}
