//! XINFO: STREAM (with FULL), GROUPS, CONSUMERS and HELP.
//!
//! Groups and consumers are listed in byte order of their names (Redis's radix-tree order).

use hashslot_resp::ErrorReply;

use super::stream::{as_stream, lookup_stream, reply_range, write_entries, Lookup};
use super::{eq_ic, int_arg, Found};
use crate::stream::groups::INVALID_ENTRIES_READ;
use crate::stream::StreamId;
use crate::Ctx;

const HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
];

/// XINFO HELP
pub(crate) fn xinfo_help_command(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) {
    ctx.reply.array_len(HELP.len());
    for line in HELP {
        ctx.reply.simple(line.as_bytes());
    }
}

/// `addReplySubcommandSyntaxError`.
fn subcommand_syntax_error(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let sub = String::from_utf8_lossy(&argv[1][..argv[1].len().min(128)]).into_owned();
    ctx.reply.error(&ErrorReply::Other(
        format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try XINFO HELP.")
            .into(),
    ));
}

/// The stream at `argv[2]` (`lookupKeyReadOrReply` with "no such key"), or `None` after
/// replying.
fn stream_or_reply(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Option<Found> {
    match lookup_stream(ctx, argv[2], false) {
        Lookup::Stream(f) => Some(f),
        Lookup::Missing => {
            ctx.reply.error(&ErrorReply::NoSuchKey);
            None
        }
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            None
        }
    }
}

/// XINFO GROUPS key
pub(crate) fn xinfo_groups_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(f) = stream_or_reply(ctx, argv) else {
        return;
    };
    let s = as_stream(&ctx.dbs[ctx.db_index], f).expect("stream");
    let r = &mut ctx.reply;
    r.array_len(s.groups().len());
    for (name, g) in s.groups().iter() {
        r.map_len(6);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"consumers");
        r.int(g.consumers().len() as i64);
        r.bulk(b"pending");
        r.int(g.pel().len() as i64);
        r.bulk(b"last-delivered-id");
        r.bulk(&g.last_id.to_text());
        r.bulk(b"entries-read");
        reply_entries_read(r, g.entries_read);
        r.bulk(b"lag");
        match s.group_lag(g) {
            Some(l) => r.int(l),
            None => r.null(),
        }
    }
}

fn reply_entries_read(r: &mut hashslot_resp::Reply<'_>, n: i64) {
    if n == INVALID_ENTRIES_READ {
        r.null();
    } else {
        r.int(n);
    }
}

/// XINFO CONSUMERS key group
pub(crate) fn xinfo_consumers_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(f) = stream_or_reply(ctx, argv) else {
        return;
    };
    let now = ctx.now.wall.0;
    let s = as_stream(&ctx.dbs[ctx.db_index], f).expect("stream");
    let Some(g) = s.groups().get(argv[3]) else {
        let text = format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            String::from_utf8_lossy(argv[3]),
            String::from_utf8_lossy(argv[2])
        );
        ctx.reply.error(&ErrorReply::Other(text.into()));
        return;
    };
    let r = &mut ctx.reply;
    r.array_len(g.consumers().len());
    for (name, c) in g.consumers() {
        r.map_len(3);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"pending");
        r.int(c.pel().len() as i64);
        r.bulk(b"idle");
        r.int((now - c.seen_time).max(0));
    }
}

/// XINFO STREAM FULL's `groups` array, each group with at most `count` (0: all) pending
/// entries listed, for the group and for each consumer.
fn reply_full_groups(r: &mut hashslot_resp::Reply<'_>, s: &crate::stream::Stream, count: usize) {
    let limit = if count == 0 { usize::MAX } else { count };
    r.array_len(s.groups().len());
    for (name, g) in s.groups().iter() {
        r.map_len(7);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"last-delivered-id");
        r.bulk(&g.last_id.to_text());
        r.bulk(b"entries-read");
        reply_entries_read(r, g.entries_read);
        r.bulk(b"lag");
        match s.group_lag(g) {
            Some(l) => r.int(l),
            None => r.null(),
        }
        r.bulk(b"pel-count");
        r.int(g.pel().len() as i64);
        r.bulk(b"pending");
        let shown = g.pel().len().min(limit);
        r.array_len(shown);
        for (id, n) in g.pel().iter().take(shown) {
            r.array_len(4);
            r.bulk(&id.to_text());
            r.bulk(&n.consumer);
            r.int(n.delivery_time);
            r.int(n.delivery_count as i64);
        }
        r.bulk(b"consumers");
        r.array_len(g.consumers().len());
        for (cname, c) in g.consumers() {
            r.map_len(4);
            r.bulk(b"name");
            r.bulk(cname);
            r.bulk(b"seen-time");
            r.int(c.seen_time);
            r.bulk(b"pel-count");
            r.int(c.pel().len() as i64);
            r.bulk(b"pending");
            let shown = c.pel().len().min(limit);
            r.array_len(shown);
            for id in c.pel().iter().take(shown) {
                // A consumer's entries are always in the group PEL (kept so by `Groups`).
                let (time, count) = g
                    .pel()
                    .get(id)
                    .map_or((0, 0), |n| (n.delivery_time, n.delivery_count));
                r.array_len(3);
                r.bulk(&id.to_text());
                r.int(time);
                r.int(count as i64);
            }
        }
    }
}

/// XINFO STREAM key [FULL [COUNT count]]
pub(crate) fn xinfo_stream_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(f) = stream_or_reply(ctx, argv) else {
        return;
    };
    let opts = &argv[3..];
    let mut count: i64 = 10;
    let full = !opts.is_empty();
    if full {
        if (opts.len() != 1 && opts.len() != 3) || !eq_ic(opts[0], b"full") {
            return subcommand_syntax_error(ctx, argv);
        }
        if opts.len() == 3 {
            if !eq_ic(opts[1], b"count") {
                return subcommand_syntax_error(ctx, argv);
            }
            let Some(n) = int_arg(ctx, opts[2]) else {
                return;
            };
            count = if n < 0 { 10 } else { n };
        }
    }
    let db = ctx.db_index;
    let s = as_stream(&ctx.dbs[db], f).expect("stream");
    let meta = s.meta();
    let (keys, nodes) = (s.node_count(), s.rax_node_count());
    ctx.reply.map_len(if full { 9 } else { 10 });
    ctx.reply.bulk(b"length");
    ctx.reply.int(meta.length as i64);
    ctx.reply.bulk(b"radix-tree-keys");
    ctx.reply.int(keys as i64);
    ctx.reply.bulk(b"radix-tree-nodes");
    ctx.reply.int(nodes as i64);
    ctx.reply.bulk(b"last-generated-id");
    ctx.reply.bulk(&meta.last_id.to_text());
    ctx.reply.bulk(b"max-deleted-entry-id");
    ctx.reply.bulk(&meta.max_deleted_entry_id.to_text());
    ctx.reply.bulk(b"entries-added");
    ctx.reply.int(meta.entries_added as i64);
    ctx.reply.bulk(b"recorded-first-entry-id");
    ctx.reply.bulk(&meta.first_id.to_text());
    if !full {
        ctx.reply.bulk(b"groups");
        let n = as_stream(&ctx.dbs[db], f).expect("stream").groups().len();
        ctx.reply.int(n as i64);
        for (name, rev) in [(&b"first-entry"[..], false), (&b"last-entry"[..], true)] {
            ctx.reply.bulk(name);
            let s = as_stream(&ctx.dbs[db], f).expect("stream");
            if write_entries(&mut ctx.reply, s, StreamId::MIN, StreamId::MAX, 1, rev) == 0 {
                ctx.reply.null();
            }
        }
    } else {
        ctx.reply.bulk(b"entries");
        reply_range(ctx, f, StreamId::MIN, StreamId::MAX, count as usize, false);
        ctx.reply.bulk(b"groups");
        let s = as_stream(&ctx.dbs[db], f).expect("stream");
        reply_full_groups(&mut ctx.reply, s, count as usize);
    }
}
