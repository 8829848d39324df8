//! Consumer group commands: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP),
//! XACK, XPENDING, XCLAIM, XAUTOCLAIM, and the group side of XREADGROUP (`serve_group`).
//!
//! Argument checks and replies follow Redis 7.0's `t_stream.c` in order and text. Times are
//! the command's wall clock (`ctx.now.wall`), as `mstime()` is Redis's.

use hashslot_resp::{ErrorReply, Reply};

use super::stream::{as_stream, lookup_stream, stream_mut, write_entries, Lookup, INVALID_ID};
use super::{eq_ic, err, ev, Found};
use crate::stream::groups::INVALID_ENTRIES_READ;
use crate::stream::{parse_id, Stream, StreamId};
use crate::value::Object;
use crate::Ctx;

fn nogroup(ctx: &mut Ctx<'_>, text: String) {
    ctx.reply.error(&ErrorReply::Other(text.into()));
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `addReplySubcommandSyntaxError` for XGROUP.
fn subcommand_syntax_error(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let sub = lossy(&argv[1][..argv[1].len().min(128)]);
    ctx.reply.error(&ErrorReply::Other(
        format!(
            "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
            lossy(argv[0]).to_ascii_uppercase()
        )
        .into(),
    ));
}

/// Find or create consumer `name` of `group` (`streamLookupConsumer` refreshing its seen
/// time, else `streamCreateConsumer`: dirty and `xgroup-createconsumer`).
fn consumer_or_create(ctx: &mut Ctx<'_>, key: &[u8], f: Found, group: &[u8], name: &[u8]) {
    let now = ctx.now.wall.0;
    let g = stream_mut(&mut ctx.dbs[ctx.db_index], f).groups_mut();
    if !g.touch_consumer(group, name, now) {
        g.create_consumer(group, name, now);
        ctx.dirty += 1;
        ctx.notify(ev::STREAM, "xgroup-createconsumer", key);
    }
}

/// The group side of XREADGROUP for one stream: new entries from `start` (`history` false:
/// they join the group, and unless `noack` the consumer's PEL) or the consumer's own pending
/// entries from `start` (`history`). Writes the entries array.
#[allow(clippy::too_many_arguments)]
pub(crate) fn serve_group(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    f: Found,
    group: &[u8],
    consumer: &[u8],
    noack: bool,
    history: bool,
    start: StreamId,
    count: usize,
) {
    consumer_or_create(ctx, key, f, group, consumer);
    let now = ctx.now.wall.0;
    let limit = if count == 0 { usize::MAX } else { count };
    let db = ctx.db_index;
    if history {
        let s = as_stream(&ctx.dbs[db], f).expect("stream");
        let ids: Vec<StreamId> = s
            .groups()
            .get(group)
            .and_then(|g| g.consumers().get(consumer))
            .map(|c| c.pel().range(start..).take(limit).copied().collect())
            .unwrap_or_default();
        ctx.reply.array_len(ids.len());
        for id in ids {
            let s = as_stream(&ctx.dbs[db], f).expect("stream");
            if write_entries(&mut ctx.reply, s, id, id, 1, false) == 0 {
                // Pending, but the entry is gone (XDEL, XTRIM): its ID with a null body.
                ctx.reply.array_len(2);
                ctx.reply.bulk(&id.to_text());
                ctx.reply.null_array();
            } else {
                stream_mut(&mut ctx.dbs[db], f)
                    .groups_mut()
                    .redeliver(group, id, now);
            }
        }
    } else {
        let s = as_stream(&ctx.dbs[db], f).expect("stream");
        let ids: Vec<StreamId> = s
            .range(start, StreamId::MAX, false)
            .take(limit)
            .map(|e| e.id)
            .collect();
        ctx.reply.array_len(ids.len());
        for id in ids {
            let s = stream_mut(&mut ctx.dbs[db], f);
            let g = s.groups().get(group).expect("group");
            if id > g.last_id {
                let read = if g.entries_read != INVALID_ENTRIES_READ
                    && !s.range_has_tombstones(id, None)
                {
                    g.entries_read + 1
                } else if s.meta().entries_added != 0 {
                    s.estimate_distance(id)
                } else {
                    g.entries_read
                };
                s.groups_mut().set_last(group, id, read);
            }
            let s = as_stream(&ctx.dbs[db], f).expect("stream");
            write_entries(&mut ctx.reply, s, id, id, 1, false);
            if !noack {
                stream_mut(&mut ctx.dbs[db], f).groups_mut().assign(
                    group,
                    id,
                    consumer,
                    now,
                    |_| 1,
                );
            }
        }
    }
    ctx.dirty += 1;
}

const XGROUP_HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
];

/// XGROUP HELP and every XGROUP subcommand (`xgroupCommand`; `argv[1]` is the subcommand).
pub(crate) fn xgroup_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let opt = argv[1];
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut found: Option<Found> = None;
    if argv.len() >= 4 {
        let create = eq_ic(opt, b"create");
        let setid = eq_ic(opt, b"setid");
        let mut i = 5;
        while i < argv.len() {
            if create && eq_ic(argv[i], b"mkstream") {
                mkstream = true;
                i += 1;
            } else if (create || setid) && eq_ic(argv[i], b"entriesread") && i + 1 < argv.len() {
                let Some(n) = super::int_arg(ctx, argv[i + 1]) else {
                    return;
                };
                if n < 0 && n != INVALID_ENTRIES_READ {
                    err(ctx, "ERR value for ENTRIESREAD must be positive or -1");
                    return;
                }
                entries_read = n;
                i += 2;
            } else {
                return subcommand_syntax_error(ctx, argv);
            }
        }
        match lookup_stream(ctx, argv[2], true) {
            Lookup::WrongType => {
                ctx.reply.error(&ErrorReply::WrongType);
                return;
            }
            Lookup::Missing => {}
            Lookup::Stream(f) => found = Some(f),
        }
    }
    let group = argv.get(3).copied().unwrap_or(b"");
    let has_group = |ctx: &Ctx<'_>, f: Found| {
        as_stream(&ctx.dbs[ctx.db_index], f)
            .expect("stream")
            .groups()
            .get(group)
            .is_some()
    };
    if argv.len() >= 4 && !mkstream {
        let Some(f) = found else {
            err(
                ctx,
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            );
            return;
        };
        if !has_group(ctx, f)
            && (eq_ic(opt, b"setid") || eq_ic(opt, b"createconsumer") || eq_ic(opt, b"delconsumer"))
        {
            return nogroup(
                ctx,
                format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    lossy(group),
                    lossy(argv[2])
                ),
            );
        }
    }
    let key = argv.get(2).copied().unwrap_or(b"");
    let n = argv.len();
    if n == 2 && eq_ic(opt, b"help") {
        ctx.reply.array_len(XGROUP_HELP.len());
        for l in XGROUP_HELP {
            ctx.reply.simple(l.as_bytes());
        }
    } else if eq_ic(opt, b"create") && (5..=8).contains(&n) {
        let id = if argv[4] == b"$" {
            found.map_or(StreamId::MIN, |f| {
                as_stream(&ctx.dbs[ctx.db_index], f)
                    .expect("stream")
                    .last_id()
            })
        } else {
            match parse_id(argv[4], 0, true, false) {
                Some(p) => p.id,
                None => return err(ctx, INVALID_ID),
            }
        };
        let f = match found {
            Some(f) => f,
            None => {
                let now = ctx.now.wall;
                let db = &mut ctx.dbs[ctx.db_index];
                db.insert_object(key, Object::Stream(Stream::new()), false, now);
                let (loc, pos) = db.find(key).expect("just inserted");
                Found { loc, pos }
            }
        };
        let s = stream_mut(&mut ctx.dbs[ctx.db_index], f);
        if s.groups_mut().create(group, id, entries_read) {
            ctx.reply.ok();
            ctx.dirty += 1;
            ctx.notify(ev::STREAM, "xgroup-create", key);
        } else {
            ctx.reply.error(&ErrorReply::Other(
                "BUSYGROUP Consumer Group name already exists".into(),
            ));
        }
    } else if eq_ic(opt, b"setid") && (n == 5 || n == 7) {
        let f = found.expect("checked above");
        let id = if argv[4] == b"$" {
            as_stream(&ctx.dbs[ctx.db_index], f)
                .expect("stream")
                .last_id()
        } else {
            match parse_id(argv[4], 0, false, false) {
                Some(p) => p.id,
                None => return err(ctx, INVALID_ID),
            }
        };
        stream_mut(&mut ctx.dbs[ctx.db_index], f)
            .groups_mut()
            .set_last(group, id, entries_read);
        ctx.reply.ok();
        ctx.dirty += 1;
        ctx.notify(ev::STREAM, "xgroup-setid", key);
    } else if eq_ic(opt, b"destroy") && n == 4 {
        let f = found.expect("checked above");
        if stream_mut(&mut ctx.dbs[ctx.db_index], f)
            .groups_mut()
            .destroy(group)
        {
            ctx.reply.int(1);
            ctx.dirty += 1;
            ctx.notify(ev::STREAM, "xgroup-destroy", key);
        } else {
            ctx.reply.int(0);
        }
    } else if eq_ic(opt, b"createconsumer") && n == 5 {
        let f = found.expect("checked above");
        let now = ctx.now.wall.0;
        let created = stream_mut(&mut ctx.dbs[ctx.db_index], f)
            .groups_mut()
            .create_consumer(group, argv[4], now);
        if created {
            ctx.dirty += 1;
            ctx.notify(ev::STREAM, "xgroup-createconsumer", key);
        }
        ctx.reply.int(i64::from(created));
    } else if eq_ic(opt, b"delconsumer") && n == 5 {
        let f = found.expect("checked above");
        let pending = stream_mut(&mut ctx.dbs[ctx.db_index], f)
            .groups_mut()
            .del_consumer(group, argv[4]);
        if pending.is_some() {
            ctx.dirty += 1;
            ctx.notify(ev::STREAM, "xgroup-delconsumer", key);
        }
        ctx.reply.int(pending.unwrap_or(0) as i64);
    } else {
        subcommand_syntax_error(ctx, argv);
    }
}

/// The stream and whether it has `group`, looked up for reading; `Err` after a WRONGTYPE.
fn read_group(ctx: &mut Ctx<'_>, key: &[u8], group: &[u8]) -> Result<Option<Found>, ()> {
    match lookup_stream(ctx, key, false) {
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            Err(())
        }
        Lookup::Missing => Ok(None),
        Lookup::Stream(f) => {
            let s = as_stream(&ctx.dbs[ctx.db_index], f).expect("stream");
            Ok(s.groups().get(group).is_some().then_some(f))
        }
    }
}

/// XACK key group id [id ...]
pub(crate) fn xack_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Ok(found) = read_group(ctx, argv[1], argv[2]) else {
        return;
    };
    let Some(f) = found else {
        ctx.reply.int(0);
        return;
    };
    let mut ids = Vec::with_capacity((argv.len() - 3).min(1024));
    for a in &argv[3..] {
        match parse_id(a, 0, true, false) {
            Some(p) => ids.push(p.id),
            None => return err(ctx, INVALID_ID),
        }
    }
    let g = stream_mut(&mut ctx.dbs[ctx.db_index], f).groups_mut();
    let mut acked = 0;
    for id in ids {
        if g.ack(argv[2], id) {
            acked += 1;
        }
    }
    ctx.dirty += acked as u64;
    ctx.reply.int(acked);
}

/// `streamParseIntervalIDOrReply` plus the exclusive-bound step, for XPENDING/XAUTOCLAIM.
fn interval(ctx: &mut Ctx<'_>, arg: &[u8], missing_seq: u64, start: bool) -> Option<StreamId> {
    let exclusive = arg.len() > 1 && arg[0] == b'(';
    let parsed = if exclusive {
        parse_id(&arg[1..], missing_seq, true, false)
    } else {
        parse_id(arg, missing_seq, false, false)
    };
    let Some(p) = parsed else {
        err(ctx, INVALID_ID);
        return None;
    };
    if !exclusive {
        return Some(p.id);
    }
    let stepped = if start { p.id.incr() } else { p.id.decr() };
    if stepped.is_none() {
        err(
            ctx,
            if start {
                "ERR invalid start ID for the interval"
            } else {
                "ERR invalid end ID for the interval"
            },
        );
    }
    stepped
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
pub(crate) fn xpending_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let n = argv.len();
    let justinfo = n == 3;
    if n != 3 && !(6..=9).contains(&n) {
        ctx.reply.error(&ErrorReply::Syntax);
        return;
    }
    let (mut start, mut end, mut count, mut minidle) = (StreamId::MIN, StreamId::MAX, 0i64, 0i64);
    let mut consumer: Option<&[u8]> = None;
    if n >= 6 {
        let mut startidx = 3;
        if eq_ic(argv[3], b"idle") {
            let Some(v) = super::int_arg(ctx, argv[4]) else {
                return;
            };
            minidle = v;
            if n < 8 {
                ctx.reply.error(&ErrorReply::Syntax);
                return;
            }
            startidx += 2;
        }
        let Some(c) = super::int_arg(ctx, argv[startidx + 2]) else {
            return;
        };
        count = c.max(0);
        let Some(s) = interval(ctx, argv[startidx], 0, true) else {
            return;
        };
        let Some(e) = interval(ctx, argv[startidx + 1], u64::MAX, false) else {
            return;
        };
        (start, end) = (s, e);
        consumer = argv.get(startidx + 3).copied();
    }
    let Ok(found) = read_group(ctx, argv[1], argv[2]) else {
        return;
    };
    let Some(f) = found else {
        return nogroup(
            ctx,
            format!(
                "NOGROUP No such key '{}' or consumer group '{}'",
                lossy(argv[1]),
                lossy(argv[2])
            ),
        );
    };
    let s = as_stream(&ctx.dbs[ctx.db_index], f).expect("stream");
    let g = s.groups().get(argv[2]).expect("group");
    let reply = &mut ctx.reply;
    if justinfo {
        reply.array_len(4);
        reply.int(g.pel().len() as i64);
        match (g.pel().keys().next(), g.pel().keys().next_back()) {
            (Some(first), Some(last)) => {
                reply.bulk(&first.to_text());
                reply.bulk(&last.to_text());
                let with: Vec<(&Vec<u8>, usize)> = g
                    .consumers()
                    .iter()
                    .filter(|(_, c)| !c.pel().is_empty())
                    .map(|(n, c)| (n, c.pel().len()))
                    .collect();
                reply.array_len(with.len());
                for (name, k) in with {
                    reply.array_len(2);
                    reply.bulk(name);
                    reply.bulk_i64(k as i64);
                }
            }
            _ => {
                reply.null();
                reply.null();
                reply.null_array();
            }
        }
        return;
    }
    let now = ctx.now.wall.0;
    let ids: Vec<StreamId> = match consumer {
        Some(c) => match g.consumers().get(c) {
            Some(c) => c.pel().range(start..).copied().collect(),
            None => {
                reply.array_len(0);
                return;
            }
        },
        None => g.pel().range(start..).map(|(k, _)| *k).collect(),
    };
    let d = reply.deferred_array();
    let mut len = 0;
    for id in ids {
        if count == 0 || id > end {
            break;
        }
        let Some(nack) = g.pel().get(&id) else {
            continue;
        };
        if minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        len += 1;
        count -= 1;
        reply.array_len(4);
        reply.bulk(&id.to_text());
        reply.bulk(&nack.consumer);
        reply.int((now - nack.delivery_time).max(0));
        reply.int(nack.delivery_count as i64);
    }
    reply.set_deferred_array(d, len);
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-ms]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
pub(crate) fn xclaim_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (key, group, name) = (argv[1], argv[2], argv[3]);
    let Ok(found) = read_group(ctx, key, group) else {
        return;
    };
    let Some(f) = found else {
        return nogroup(
            ctx,
            format!(
                "NOGROUP No such key '{}' or consumer group '{}'",
                lossy(key),
                lossy(group)
            ),
        );
    };
    let Some(minidle) = crate::util::parse_i64(argv[4]) else {
        return err(ctx, "ERR Invalid min-idle-time argument for XCLAIM");
    };
    let minidle = minidle.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match parse_id(argv[j], 0, true, false) {
            Some(p) => ids.push(p.id),
            None => break,
        }
        j += 1;
    }
    let now = ctx.now.wall.0;
    let (mut force, mut justid) = (false, false);
    let mut retrycount: i64 = -1;
    let mut deliverytime: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = argv[j];
        let int_or = |ctx: &mut Ctx<'_>, a: &[u8], msg: &'static str| {
            let v = crate::util::parse_i64(a);
            if v.is_none() {
                err(ctx, msg);
            }
            v
        };
        if eq_ic(opt, b"force") {
            force = true;
        } else if eq_ic(opt, b"justid") {
            justid = true;
        } else if eq_ic(opt, b"idle") && more > 0 {
            j += 1;
            let Some(v) = int_or(ctx, argv[j], "ERR Invalid IDLE option argument for XCLAIM")
            else {
                return;
            };
            deliverytime = now.wrapping_sub(v);
        } else if eq_ic(opt, b"time") && more > 0 {
            j += 1;
            let Some(v) = int_or(ctx, argv[j], "ERR Invalid TIME option argument for XCLAIM")
            else {
                return;
            };
            deliverytime = v;
        } else if eq_ic(opt, b"retrycount") && more > 0 {
            j += 1;
            let Some(v) = int_or(
                ctx,
                argv[j],
                "ERR Invalid RETRYCOUNT option argument for XCLAIM",
            ) else {
                return;
            };
            retrycount = v;
        } else if eq_ic(opt, b"lastid") && more > 0 {
            j += 1;
            match parse_id(argv[j], 0, true, false) {
                Some(p) => last_id = p.id,
                None => return err(ctx, INVALID_ID),
            }
        } else {
            let text = format!("ERR Unrecognized XCLAIM option '{}'", lossy(opt));
            ctx.reply.error(&ErrorReply::Other(text.into()));
            return;
        }
        j += 1;
    }
    let db = ctx.db_index;
    let dirty_before = ctx.dirty;
    let mut moved_last_id = false;
    {
        let s = stream_mut(&mut ctx.dbs[db], f);
        let g = s.groups().get(group).expect("group");
        if last_id > g.last_id {
            let read = g.entries_read;
            s.groups_mut().set_last(group, last_id, read);
            moved_last_id = true;
        }
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let mut body = Vec::new();
    let mut out = Reply::new(&mut body, ctx.reply.proto());
    let mut claimed = 0;
    let mut consumer_ready = false;
    for id in ids {
        let s = as_stream(&ctx.dbs[db], f).expect("stream");
        let existing = s
            .groups()
            .get(group)
            .expect("group")
            .pel()
            .get(&id)
            .cloned();
        if !s.entry_exists(id) {
            if existing.is_some() {
                stream_mut(&mut ctx.dbs[db], f)
                    .groups_mut()
                    .remove_nack(group, id);
                ctx.dirty += 1;
            }
            continue;
        }
        if existing.is_none() && !force {
            continue;
        }
        if let Some(n) = &existing {
            if minidle != 0 && now - n.delivery_time < minidle {
                continue;
            }
        }
        if !consumer_ready {
            consumer_or_create(ctx, key, f, group, name);
            consumer_ready = true;
        }
        let count = |old: Option<u64>| {
            // A FORCE-created entry starts as delivered once, like a new NACK.
            let old = old.unwrap_or(1);
            if retrycount >= 0 {
                retrycount as u64
            } else if !justid {
                old + 1
            } else {
                old
            }
        };
        stream_mut(&mut ctx.dbs[db], f)
            .groups_mut()
            .assign(group, id, name, deliverytime, count);
        let s = as_stream(&ctx.dbs[db], f).expect("stream");
        if justid {
            out.bulk(&id.to_text());
        } else {
            write_entries(&mut out, s, id, id, 1, false);
        }
        claimed += 1;
        ctx.dirty += 1;
    }
    // A moved last ID alone still changed the dataset (Redis propagates it as XGROUP SETID).
    if moved_last_id && ctx.dirty == dirty_before {
        ctx.dirty += 1;
    }
    ctx.reply.array_len(claimed);
    ctx.reply.raw(&body);
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub(crate) fn xautoclaim_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (key, group, name) = (argv[1], argv[2], argv[3]);
    let Some(minidle) = crate::util::parse_i64(argv[4]) else {
        return err(ctx, "ERR Invalid min-idle-time argument for XAUTOCLAIM");
    };
    let minidle = minidle.max(0);
    let Some(start) = interval(ctx, argv[5], 0, true) else {
        return;
    };
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if eq_ic(argv[j], b"count") && more > 0 {
            let max = i64::MAX / 16;
            match crate::util::parse_i64(argv[j + 1]) {
                Some(v) if (1..=max).contains(&v) => count = v,
                _ => return err(ctx, "ERR COUNT must be > 0"),
            }
            j += 1;
        } else if eq_ic(argv[j], b"justid") {
            justid = true;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
        j += 1;
    }
    let Ok(found) = read_group(ctx, key, group) else {
        return;
    };
    let Some(f) = found else {
        return nogroup(
            ctx,
            format!(
                "NOGROUP No such key '{}' or consumer group '{}'",
                lossy(key),
                lossy(group)
            ),
        );
    };
    // Redis allocates `count` IDs up front with `ztrymalloc`; no machine grants a terabyte, so
    // such a COUNT gets its error (nothing is allocated here for it).
    if count > (1 << 40) / 16 {
        return err(
            ctx,
            "ERR Insufficient memory, failed allocating transient memory, COUNT too high.",
        );
    }
    let db = ctx.db_index;
    let now = ctx.now.wall.0;
    let mut attempts = count.saturating_mul(10);
    let mut body = Vec::new();
    let mut out = Reply::new(&mut body, ctx.reply.proto());
    let mut claimed = 0;
    let mut deleted = Vec::new();
    let mut cursor = Some(start);
    let mut consumer_ready = false;
    loop {
        if attempts == 0 || count == 0 {
            break;
        }
        attempts -= 1;
        let Some(from) = cursor else {
            break;
        };
        let s = as_stream(&ctx.dbs[db], f).expect("stream");
        let g = s.groups().get(group).expect("group");
        let Some((&id, nack)) = g.pel().range(from..).next() else {
            cursor = None;
            break;
        };
        let delivery_time = nack.delivery_time;
        cursor = Some(id.incr().unwrap_or(StreamId::MAX));
        if id == StreamId::MAX {
            // The last possible ID: nothing can follow it.
            cursor = None;
        }
        if !s.entry_exists(id) {
            stream_mut(&mut ctx.dbs[db], f)
                .groups_mut()
                .remove_nack(group, id);
            deleted.push(id);
            ctx.dirty += 1;
            count -= 1;
            continue;
        }
        if minidle != 0 && now - delivery_time < minidle {
            continue;
        }
        if !consumer_ready {
            consumer_or_create(ctx, key, f, group, name);
            consumer_ready = true;
        }
        stream_mut(&mut ctx.dbs[db], f)
            .groups_mut()
            .assign(group, id, name, now, |old| {
                let old = old.unwrap_or(1);
                if justid {
                    old
                } else {
                    old + 1
                }
            });
        let s = as_stream(&ctx.dbs[db], f).expect("stream");
        if justid {
            out.bulk(&id.to_text());
        } else {
            write_entries(&mut out, s, id, id, 1, false);
        }
        claimed += 1;
        count -= 1;
        ctx.dirty += 1;
    }
    let s = as_stream(&ctx.dbs[db], f).expect("stream");
    let next = cursor
        .and_then(|c| {
            s.groups()
                .get(group)
                .expect("group")
                .pel()
                .range(c..)
                .next()
                .map(|(k, _)| *k)
        })
        .unwrap_or(StreamId::MIN);
    ctx.reply.array_len(3);
    ctx.reply.bulk(&next.to_text());
    ctx.reply.array_len(claimed);
    ctx.reply.raw(&body);
    ctx.reply.array_len(deleted.len());
    for id in deleted {
        ctx.reply.bulk(&id.to_text());
    }
}
