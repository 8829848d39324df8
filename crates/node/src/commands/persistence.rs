//! SAVE, BGSAVE, BGREWRITEAOF. Ref: rdb.c saveCommand/bgsaveCommand, aof.c
//! bgrewriteaofCommand (7.0).

use hashslot_keyspace::flags::*;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, Spec, ADMIN_ACL};
use crate::session::Client;
use crate::Node;

const FLAGS: u32 = ADMIN | NOSCRIPT;

pub(super) const SAVE: Spec = cmd(
    "save",
    1,
    FLAGS | NO_MULTI,
    ADMIN_ACL,
    "server",
    "1.0.0",
    "O(N) where N is the total number of keys in all databases",
    "Synchronously save the dataset to disk",
    save,
);
pub(super) const BGSAVE: Spec = cmd(
    "bgsave",
    -1,
    FLAGS,
    ADMIN_ACL,
    "server",
    "1.0.0",
    "O(1)",
    "Asynchronously save the dataset to disk",
    bgsave,
);
pub(super) const BGREWRITEAOF: Spec = cmd(
    "bgrewriteaof",
    1,
    FLAGS,
    ADMIN_ACL,
    "server",
    "1.0.0",
    "O(1)",
    "Asynchronously rewrite the append-only file",
    bgrewriteaof,
);

/// SAVE: the reply waits for the file's commit (the client is held, others are served).
fn save(node: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    if node.persistence.bgsave.is_some() {
        return c
            .reply()
            .error(&ErrorReply::msg("ERR Background save already in progress"));
    }
    match node.rdb_save_sync(now, Some(c.conn), false) {
        Ok(()) => c.blocked = true,
        Err(_) => c.reply().error(&ErrorReply::msg("ERR")),
    }
}

/// `BGSAVE [SCHEDULE]`.
fn bgsave(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let schedule = match args.len() {
        1 => false,
        2 if args[1].eq_ignore_ascii_case(b"schedule") => true,
        _ => return c.reply().error(&ErrorReply::Syntax),
    };
    let busy = node.persistence.bgsave.is_some() || node.aof_rewrite_in_progress();
    if node.persistence.bgsave.as_ref().is_some_and(|b| !b.for_aof) {
        return c
            .reply()
            .error(&ErrorReply::msg("ERR Background save already in progress"));
    }
    if busy {
        if schedule {
            node.persistence.bgsave_scheduled = true;
            return c.reply().simple(b"Background saving scheduled");
        }
        return c.reply().error(&ErrorReply::msg(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ));
    }
    match node.bgsave_start(now) {
        Ok(()) => c.reply().simple(b"Background saving started"),
        Err(e) => c.reply().error(&ErrorReply::msg(e)),
    }
}

/// BGREWRITEAOF, also with the AOF off: Redis 7.0 then writes a new base alone and names only
/// it in the manifest (the incr files become history and are removed).
fn bgrewriteaof(node: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    if node.aof_rewrite_in_progress() {
        return c.reply().error(&ErrorReply::msg(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if node.persistence.bgsave.is_some() || node.persistence.save_in_flight {
        node.persistence.aof.rewrite_scheduled = true;
        // Ref: aof.c bgrewriteaofCommand: a rewrite asked for by hand is not held back by
        // the failure limit.
        node.persistence.aof.consecutive_failures = 0;
        return c
            .reply()
            .simple(b"Background append only file rewriting scheduled");
    }
    node.aof_rewrite_start(now);
    c.reply()
        .simple(b"Background append only file rewriting started");
}
