//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Ref: multi.c (7.0).

use hashslot_keyspace::flags::{ALLOW_BUSY, FAST, LOADING, NOSCRIPT, SKIP_SLOWLOG, STALE};
use hashslot_keyspace::CommandSpec;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, Spec};
use crate::multi::MultiState;
use crate::session::Client;
use crate::Node;

const F: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;
const ACL: &[&str] = &["@fast", "@transaction"];
const G: &str = "transactions";

pub(super) const MULTI: Spec = cmd(
    "multi",
    1,
    F,
    ACL,
    G,
    "1.2.0",
    "O(1)",
    "Mark the start of a transaction block",
    multi,
);
pub(super) const EXEC: Spec = cmd(
    "exec",
    1,
    NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
    &["@slow", "@transaction"],
    G,
    "1.2.0",
    "Depends on commands in the transaction",
    "Execute all commands issued after MULTI",
    exec,
);
pub(super) const DISCARD: Spec = cmd(
    "discard",
    1,
    F,
    ACL,
    G,
    "2.0.0",
    "O(N), when N is the number of queued commands",
    "Discard all commands issued after MULTI",
    discard,
);
pub(super) const WATCH: Spec = CommandSpec {
    first_key: 1,
    last_key: -1,
    key_step: 1,
    ..cmd(
        "watch",
        -2,
        F,
        ACL,
        G,
        "2.2.0",
        "O(1) for every key.",
        "Watch the given keys to determine execution of the MULTI/EXEC block",
        watch,
    )
};
pub(super) const UNWATCH: Spec = cmd(
    "unwatch",
    1,
    F,
    ACL,
    G,
    "2.2.0",
    "O(1)",
    "Forget about all watched keys",
    unwatch,
);

fn multi(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    if c.multi.is_some() {
        return c
            .reply()
            .error(&ErrorReply::msg("ERR MULTI calls can not be nested"));
    }
    c.multi = Some(Box::default());
    c.reply().ok();
}

fn discard(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    if c.multi.is_none() {
        return c
            .reply()
            .error(&ErrorReply::msg("ERR DISCARD without MULTI"));
    }
    node.discard_transaction(c);
    c.reply().ok();
}

/// Ref: multi.c execCommand: a watched key touched or expired since WATCH gives a null array,
/// an error while queueing gives EXECABORT; otherwise every queued command runs, blocking
/// commands as if their timeout had passed.
fn exec(node: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    let Some(m) = c.multi.take() else {
        return c.reply().error(&ErrorReply::msg("ERR EXEC without MULTI"));
    };
    let m: MultiState = *m;
    let dirty =
        node.watches.is_dirty(c.conn) || node.watches.any_expired(c.conn, &node.dbs, now.wall);
    node.watches.unwatch_all(c.conn);
    if m.flagged {
        return c.reply().error(&ErrorReply::msg(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if dirty {
        return c.reply().null_array();
    }
    c.reply().array_len(m.queued.len());
    // The client shows `multi=<n>` and flag `x` while its commands run, as in Redis.
    let queued = m.queued.clone();
    c.multi = Some(Box::new(m));
    let was = std::mem::replace(&mut c.in_exec, true);
    // The writes of the queue reach the AOF and replicas wrapped in MULTI … EXEC.
    node.propagate_exec_begin();
    for q in &queued {
        let args: Vec<&[u8]> = q.argv.iter().map(|a| a.as_slice()).collect();
        node.call(now, c, q.idx, &args);
    }
    node.propagate_exec_end(now);
    c.in_exec = was;
    c.multi = None;
}

fn watch(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    if c.multi.is_some() {
        return c
            .reply()
            .error(&ErrorReply::msg("ERR WATCH inside MULTI is not allowed"));
    }
    // No point in watching if the client is already dirty.
    if !node.watches.is_dirty(c.conn) {
        for key in &args[1..] {
            node.watches.watch(c.conn, c.db, key, &node.dbs, now.wall);
        }
    }
    c.reply().ok();
}

fn unwatch(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    node.watches.unwatch_all(c.conn);
    c.reply().ok();
}
