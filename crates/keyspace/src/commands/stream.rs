//! Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, XREAD and XREADGROUP
//! (both with BLOCK through the node's blocking machinery, except XREAD BLOCK with `$`); the
//! group side of XREADGROUP is in `stream_group.rs`.
//!
//! Argument checks come in Redis's order (`t_stream.c`): options and IDs are parsed before the
//! key is looked up, except where Redis looks the key up first (XDEL, XREAD per key).

use hashslot_resp::{ErrorReply, Proto, Reply};

use super::hash::object_mut;
use super::{cmd_name, eq_ic, err, ev, int_arg, lookup_read, lookup_write, value, Found};
use crate::command::BlockOn;
use crate::stream::{
    parse_id, AppendError, Field, ParsedId, Stream, StreamId, TrimArgs, TrimStrategy,
};
use crate::value::{Object, ValueRef};
use crate::{Ctx, Db};
use hashslot_types::UnixMillis;

/// `Invalid stream ID specified as stream command argument`.
pub(crate) const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// The stream at a found key, or `None` when the key holds another type.
pub(crate) fn as_stream(db: &Db, f: Found) -> Option<&Stream> {
    match value(db, f) {
        ValueRef::Obj(Object::Stream(s)) => Some(s),
        _ => None,
    }
}

pub(crate) fn stream_mut(db: &mut Db, f: Found) -> &mut Stream {
    match object_mut(db, f) {
        Object::Stream(s) => s,
        _ => unreachable!("checked to be a stream"),
    }
}

/// What a stream lookup found.
pub(crate) enum Lookup {
    Missing,
    WrongType,
    Stream(Found),
}

/// Look `key` up for reading (`lookupKeyRead`: hits, misses) or writing.
pub(crate) fn lookup_stream(ctx: &mut Ctx<'_>, key: &[u8], write: bool) -> Lookup {
    let found = if write {
        lookup_write(ctx, key)
    } else {
        lookup_read(ctx, key, 0)
    };
    match found {
        None => Lookup::Missing,
        Some(f) if as_stream(&ctx.dbs[ctx.db_index], f).is_some() => Lookup::Stream(f),
        Some(_) => Lookup::WrongType,
    }
}

/// Parse an ID the way `streamParseStrictIDOrReply` does (no `-`/`+`), replying on error.
fn strict_id_or_reply(ctx: &mut Ctx<'_>, arg: &[u8], missing_seq: u64) -> Option<StreamId> {
    match parse_id(arg, missing_seq, true, false) {
        Some(p) => Some(p.id),
        None => {
            err(ctx, INVALID_ID);
            None
        }
    }
}

/// `streamParseIntervalIDOrReply`: `(` makes the bound exclusive (and strict).
fn interval_id_or_reply(
    ctx: &mut Ctx<'_>,
    arg: &[u8],
    missing_seq: u64,
) -> Option<(StreamId, bool)> {
    let exclusive = arg.len() > 1 && arg[0] == b'(';
    let parsed = if exclusive {
        parse_id(&arg[1..], missing_seq, true, false)
    } else {
        parse_id(arg, missing_seq, false, false)
    };
    match parsed {
        Some(p) => Some((p.id, exclusive)),
        None => {
            err(ctx, INVALID_ID);
            None
        }
    }
}

/// XADD/XTRIM options (`streamAddTrimArgs`).
#[derive(Default)]
struct AddTrimArgs {
    id: Option<ParsedId>,
    no_mkstream: bool,
    trim: Option<(bool, TrimStrategy)>,
    limit: i64,
}

/// `streamParseAddOrTrimArgsOrReply`: the options, and for XADD the ID's position.
fn parse_add_trim(ctx: &mut Ctx<'_>, argv: &[&[u8]], xadd: bool) -> Option<(AddTrimArgs, usize)> {
    let mut a = AddTrimArgs::default();
    let mut limit_given = false;
    let mut i = 2;
    while i < argv.len() {
        let moreargs = argv.len() - 1 - i;
        let opt = argv[i];
        if xadd && opt == b"*" {
            break;
        } else if (eq_ic(opt, b"maxlen") || eq_ic(opt, b"minid")) && moreargs > 0 {
            if a.trim.is_some() {
                err(
                    ctx,
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                );
                return None;
            }
            let maxlen = eq_ic(opt, b"maxlen");
            let next = argv[i + 1];
            let mut approx = false;
            if moreargs >= 2 && next == b"~" {
                approx = true;
                i += 1;
            } else if moreargs >= 2 && next == b"=" {
                i += 1;
            }
            let arg = argv[i + 1];
            let strategy = if maxlen {
                let n = int_arg(ctx, arg)?;
                if n < 0 {
                    err(ctx, "ERR The MAXLEN argument must be >= 0.");
                    return None;
                }
                TrimStrategy::MaxLen(n as u64)
            } else {
                TrimStrategy::MinId(strict_id_or_reply(ctx, arg, 0)?)
            };
            i += 1;
            a.trim = Some((approx, strategy));
        } else if eq_ic(opt, b"limit") && moreargs > 0 {
            let n = int_arg(ctx, argv[i + 1])?;
            if n < 0 {
                err(ctx, "ERR The LIMIT argument must be >= 0.");
                return None;
            }
            a.limit = n;
            limit_given = true;
            i += 1;
        } else if xadd && eq_ic(opt, b"nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            match parse_id(opt, 0, true, true) {
                Some(p) => a.id = Some(p),
                None => {
                    err(ctx, INVALID_ID);
                    return None;
                }
            }
            break;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return None;
        }
        i += 1;
    }
    if a.limit != 0 && a.trim.is_none() {
        err(
            ctx,
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        );
        return None;
    }
    if !xadd && a.trim.is_none() {
        err(
            ctx,
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        );
        return None;
    }
    let approx = a.trim.is_some_and(|(approx, _)| approx);
    if limit_given {
        if !approx {
            err(
                ctx,
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            );
            return None;
        }
    } else if approx {
        // At most about 100 nodes of work, capped both ways.
        let mut limit = 100i64.saturating_mul(ctx.limits.stream_node_max_entries);
        if limit <= 0 {
            limit = 10_000;
        }
        a.limit = limit.min(1_000_000);
    } else {
        a.limit = 0;
    }
    Some((a, i))
}

fn trim_args(a: &AddTrimArgs) -> Option<TrimArgs> {
    a.trim.map(|(approx, strategy)| TrimArgs {
        strategy,
        approx,
        limit: a.limit,
    })
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [...]
pub(crate) fn xadd_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some((args, idpos)) = parse_add_trim(ctx, argv, true) else {
        return;
    };
    let field_pos = idpos + 1;
    let nfields = argv.len().saturating_sub(field_pos);
    if argv.len() < field_pos + 2 || nfields % 2 == 1 {
        ctx.reply.error(&ErrorReply::WrongArity(cmd_name(argv)));
        return;
    }
    if let Some(p) = args.id {
        if p.seq_given && p.id.is_zero() {
            err(ctx, "ERR The ID specified in XADD must be greater than 0-0");
            return;
        }
    }
    let key = argv[1];
    let f = match lookup_stream(ctx, key, true) {
        Lookup::Stream(f) => f,
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Missing if args.no_mkstream => {
            ctx.reply.null();
            return;
        }
        Lookup::Missing => {
            let now = ctx.now.wall;
            let db = &mut ctx.dbs[ctx.db_index];
            db.insert_object(key, Object::Stream(Stream::new()), false, now);
            let (loc, pos) = db.find(key).expect("just inserted");
            Found { loc, pos }
        }
    };
    let lim = ctx.limits.stream();
    let now_ms = ctx.now.wall.0.max(0) as u64;
    let db = &mut ctx.dbs[ctx.db_index];
    let s = stream_mut(db, f);
    if s.last_id() == StreamId::MAX {
        err(
            ctx,
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        );
        return;
    }
    let id = match s.append(&argv[field_pos..], args.id, now_ms, lim) {
        Ok(id) => id,
        Err(AppendError::IdTooSmall) => {
            err(
                ctx,
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            );
            return;
        }
        Err(AppendError::TooLarge) => {
            err(ctx, "ERR Elements are too large to be stored");
            return;
        }
    };
    let trimmed = trim_args(&args).map_or(0, |t| s.trim(t));
    ctx.reply.bulk(&id.to_text());
    ctx.notify(ev::STREAM, "xadd", key);
    ctx.dirty += 1;
    if trimmed > 0 {
        ctx.notify(ev::STREAM, "xtrim", key);
    }
}

/// XLEN key
pub(crate) fn xlen_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    match lookup_stream(ctx, argv[1], false) {
        Lookup::Missing => ctx.reply.int(0),
        Lookup::WrongType => ctx.reply.error(&ErrorReply::WrongType),
        Lookup::Stream(f) => {
            let n = as_stream(&ctx.dbs[ctx.db_index], f).expect("stream").len();
            ctx.reply.int(n as i64);
        }
    }
}

/// Write up to `count` (0: all) entries of `start..=end` of `s` as `[id, [field, value, …]]`
/// each, without an enclosing array header; returns how many.
pub(crate) fn write_entries(
    reply: &mut Reply<'_>,
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> usize {
    let mut n = 0;
    for e in s.range(start, end, rev) {
        reply.array_len(2);
        reply.bulk(&e.id.to_text());
        reply.array_len(e.len() * 2);
        for (fl, v) in e.pairs() {
            for x in [fl, v] {
                match x {
                    Field::Bytes(b) => reply.bulk(b),
                    Field::Int(v) => reply.bulk_i64(v),
                }
            }
        }
        n += 1;
        if count != 0 && n == count {
            break;
        }
    }
    n
}

/// Reply with an array of up to `count` (0: all) entries of `start..=end` of the stream at
/// `f`; returns how many.
pub(crate) fn reply_range(
    ctx: &mut Ctx<'_>,
    f: Found,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> usize {
    let d = ctx.reply.deferred_array();
    let s = as_stream(&ctx.dbs[ctx.db_index], f).expect("stream");
    let n = write_entries(&mut ctx.reply, s, start, end, count, rev);
    ctx.reply.set_deferred_array(d, n);
    n
}

fn xrange_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], rev: bool) {
    let (start_arg, end_arg) = if rev {
        (argv[3], argv[2])
    } else {
        (argv[2], argv[3])
    };
    let Some((mut start, start_ex)) = interval_id_or_reply(ctx, start_arg, 0) else {
        return;
    };
    if start_ex {
        match start.incr() {
            Some(s) => start = s,
            None => {
                err(ctx, "ERR invalid start ID for the interval");
                return;
            }
        }
    }
    let Some((mut end, end_ex)) = interval_id_or_reply(ctx, end_arg, u64::MAX) else {
        return;
    };
    if end_ex {
        match end.decr() {
            Some(e) => end = e,
            None => {
                err(ctx, "ERR invalid end ID for the interval");
                return;
            }
        }
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        let additional = argv.len() - j - 1;
        if eq_ic(argv[j], b"count") && additional >= 1 {
            let Some(n) = int_arg(ctx, argv[j + 1]) else {
                return;
            };
            count = n.max(0);
            j += 1;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
        j += 1;
    }
    let f = match lookup_stream(ctx, argv[1], false) {
        Lookup::Missing => {
            ctx.reply.array_len(0);
            return;
        }
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Stream(f) => f,
    };
    if count == 0 {
        ctx.reply.null_array();
        return;
    }
    let count = if count < 0 { 0 } else { count as usize };
    reply_range(ctx, f, start, end, count, rev);
}

/// XRANGE key start end [COUNT count]
pub(crate) fn xrange_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    xrange_generic(ctx, argv, false);
}

/// XREVRANGE key end start [COUNT count]
pub(crate) fn xrevrange_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    xrange_generic(ctx, argv, true);
}

/// XDEL key id [id ...]
pub(crate) fn xdel_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let f = match lookup_stream(ctx, argv[1], true) {
        Lookup::Missing => {
            ctx.reply.int(0);
            return;
        }
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Stream(f) => f,
    };
    let mut ids = Vec::with_capacity(argv.len().min(1024));
    for a in &argv[2..] {
        let Some(id) = strict_id_or_reply(ctx, a, 0) else {
            return;
        };
        ids.push(id);
    }
    let db = &mut ctx.dbs[ctx.db_index];
    let s = stream_mut(db, f);
    let mut deleted = Vec::new();
    for id in ids {
        if s.delete(id) {
            deleted.push(id);
        }
    }
    s.after_delete(&deleted);
    if !deleted.is_empty() {
        ctx.notify(ev::STREAM, "xdel", argv[1]);
        ctx.dirty += deleted.len() as u64;
    }
    ctx.reply.int(deleted.len() as i64);
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub(crate) fn xtrim_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some((args, _)) = parse_add_trim(ctx, argv, false) else {
        return;
    };
    let f = match lookup_stream(ctx, argv[1], true) {
        Lookup::Missing => {
            ctx.reply.int(0);
            return;
        }
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Stream(f) => f,
    };
    let t = trim_args(&args).expect("XTRIM has a strategy");
    let db = &mut ctx.dbs[ctx.db_index];
    let deleted = stream_mut(db, f).trim(t);
    if deleted > 0 {
        ctx.notify(ev::STREAM, "xtrim", argv[1]);
        ctx.dirty += deleted as u64;
    }
    ctx.reply.int(deleted);
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub(crate) fn xsetid_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(id) = strict_id_or_reply(ctx, argv[2], 0) else {
        return;
    };
    let mut entries_added: Option<u64> = None;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < argv.len() {
        let moreargs = argv.len() - 1 - i;
        if eq_ic(argv[i], b"entriesadded") && moreargs > 0 {
            let Some(n) = int_arg(ctx, argv[i + 1]) else {
                return;
            };
            if n < 0 {
                err(ctx, "ERR entries_added must be positive");
                return;
            }
            entries_added = Some(n as u64);
            i += 2;
        } else if eq_ic(argv[i], b"maxdeletedid") && moreargs > 0 {
            let Some(m) = strict_id_or_reply(ctx, argv[i + 1], 0) else {
                return;
            };
            if id < m {
                err(
                    ctx,
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                );
                return;
            }
            max_xdel = m;
            i += 2;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
    }
    let f = match lookup_stream(ctx, argv[1], true) {
        Lookup::Missing => {
            ctx.reply.error(&ErrorReply::NoSuchKey);
            return;
        }
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Stream(f) => f,
    };
    let db = &mut ctx.dbs[ctx.db_index];
    let s = stream_mut(db, f);
    if !s.is_empty() {
        if id < s.last_valid_id() {
            err(
                ctx,
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            );
            return;
        }
        if entries_added.is_some_and(|n| s.len() > n) {
            err(
                ctx,
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            );
            return;
        }
    }
    s.set_ids(id, entries_added, (!max_xdel.is_zero()).then_some(max_xdel));
    ctx.reply.ok();
    ctx.dirty += 1;
    ctx.notify(ev::STREAM, "xsetid", argv[1]);
}

/// Where XREAD's STREAMS keyword is, as `xreadGetKeys` finds it.
fn streams_pos(argv: &[&[u8]]) -> Option<usize> {
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i];
        if eq_ic(a, b"block") || eq_ic(a, b"count") {
            i += 1;
        } else if eq_ic(a, b"group") {
            i += 2;
        } else if eq_ic(a, b"noack") {
        } else if eq_ic(a, b"streams") {
            return Some(i);
        } else {
            return None;
        }
        i += 1;
    }
    None
}

/// Key positions of XREAD: the first half of the arguments after STREAMS.
pub(crate) fn xread_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    let Some(p) = streams_pos(argv) else {
        return;
    };
    let num = argv.len() - p - 1;
    if num == 0 || num % 2 != 0 {
        return;
    }
    out.extend(p + 1..p + 1 + num / 2);
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
///
/// With BLOCK and nothing to serve, the client blocks on the keys through the node's blocking
/// machinery (`ctx.block`): the node runs the command again after a write to one of them. That
/// re-run needs the IDs to mean what they meant when the client blocked, so each `$` (the last
/// ID *at blocking time*) is replaced by that ID in the argv the node keeps, as Redis keeps the
/// resolved IDs of a blocked client. Inside MULTI the null array is the reply, as Redis gives
/// it.
pub(crate) fn xread_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    xread_generic(ctx, argv, false);
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key
/// [key ...] id [id ...]
///
/// `>` means "entries never delivered to the group", resolved again on every run, so a
/// blocked XREADGROUP is served correctly when the node runs it again.
pub(crate) fn xreadgroup_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    xread_generic(ctx, argv, true);
}

/// The group part of an XREADGROUP.
struct GroupRead<'a> {
    group: &'a [u8],
    consumer: &'a [u8],
    noack: bool,
}

/// `xreadCommand`, both forms.
fn xread_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], xreadgroup: bool) {
    let mut block: Option<Option<UnixMillis>> = None;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut group: Option<(&[u8], &[u8])> = None;
    let mut noack = false;
    let mut i = 1;
    while i < argv.len() {
        let moreargs = argv.len() - i - 1;
        let o = argv[i];
        if eq_ic(o, b"block") && moreargs > 0 {
            i += 1;
            match parse_timeout_millis(argv[i]) {
                Ok(0) => block = Some(None),
                // Redis adds the clock without an overflow check: a huge timeout wraps into the
                // past and times out at once.
                Ok(ms) => block = Some(Some(UnixMillis(ctx.now.wall.0.wrapping_add(ms)))),
                Err(msg) => {
                    err(ctx, msg);
                    return;
                }
            }
        } else if eq_ic(o, b"count") && moreargs > 0 {
            i += 1;
            let Some(n) = int_arg(ctx, argv[i]) else {
                return;
            };
            count = n.max(0);
        } else if eq_ic(o, b"streams") && moreargs > 0 {
            streams_arg = i + 1;
            if (argv.len() - streams_arg) % 2 != 0 {
                err(
                    ctx,
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                );
                return;
            }
            break;
        } else if eq_ic(o, b"group") && moreargs >= 2 {
            if !xreadgroup {
                err(
                    ctx,
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return;
            }
            group = Some((argv[i + 1], argv[i + 2]));
            i += 2;
        } else if eq_ic(o, b"noack") {
            if !xreadgroup {
                err(
                    ctx,
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return;
            }
            noack = true;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
        i += 1;
    }
    if streams_arg == 0 {
        ctx.reply.error(&ErrorReply::Syntax);
        return;
    }
    if xreadgroup && group.is_none() {
        err(ctx, "ERR Missing GROUP option for XREADGROUP");
        return;
    }
    let gr = group.map(|(g, c)| GroupRead {
        group: g,
        consumer: c,
        noack,
    });
    let n = (argv.len() - streams_arg) / 2;
    let mut ids = Vec::with_capacity(n);
    for k in 0..n {
        let key = argv[streams_arg + k];
        let id_arg = argv[streams_arg + n + k];
        let found = match lookup_stream(ctx, key, false) {
            // A blocked client stays blocked when a key it waits on changes type or goes away
            // (7.0): only a first run reports it.
            Lookup::WrongType | Lookup::Missing if ctx.retrying_blocked && xreadgroup => {
                return block_again(ctx, argv, streams_arg, n, block, None);
            }
            Lookup::WrongType if ctx.retrying_blocked => None,
            Lookup::WrongType => {
                ctx.reply.error(&ErrorReply::WrongType);
                return;
            }
            Lookup::Missing => None,
            Lookup::Stream(f) => Some(f),
        };
        if let Some(g) = &gr {
            let has_group = found.is_some_and(|f| {
                as_stream(&ctx.dbs[ctx.db_index], f)
                    .expect("stream")
                    .groups()
                    .get(g.group)
                    .is_some()
            });
            if !has_group {
                let text = if ctx.retrying_blocked {
                    "NOGROUP the consumer group this client was blocked on no longer exists"
                        .to_string()
                } else {
                    format!(
                        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                        String::from_utf8_lossy(key),
                        String::from_utf8_lossy(g.group)
                    )
                };
                ctx.reply.error(&ErrorReply::Other(text.into()));
                return;
            }
        }
        if id_arg == b"$" {
            if xreadgroup {
                err(
                    ctx,
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                );
                return;
            }
            let last = found.map_or(StreamId::MIN, |f| {
                as_stream(&ctx.dbs[ctx.db_index], f)
                    .expect("stream")
                    .last_id()
            });
            ids.push(last);
            continue;
        }
        if id_arg == b">" {
            if !xreadgroup {
                err(
                    ctx,
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                );
                return;
            }
            ids.push(StreamId::MAX);
            continue;
        }
        let Some(id) = strict_id_or_reply(ctx, id_arg, 0) else {
            return;
        };
        ids.push(id);
    }
    // A blocked client is served at most 1000 entries a stream unless it gave COUNT.
    if ctx.retrying_blocked && count == 0 {
        count = 1000;
    }
    // Serve what can be served now; Redis looks every key up a second time here.
    let mut d = None;
    let mut served = 0;
    for (k, gt) in ids.iter().enumerate() {
        let key = argv[streams_arg + k];
        let Lookup::Stream(f) = lookup_stream(ctx, key, false) else {
            continue;
        };
        let s = as_stream(&ctx.dbs[ctx.db_index], f).expect("stream");
        let mut start = *gt;
        let history = gr.is_some() && *gt != StreamId::MAX;
        let serve = if let Some(g) = &gr {
            if history {
                true
            } else if !s.is_empty() {
                let last = s.groups().get(g.group).expect("group").last_id;
                start = last;
                s.last_valid_id() > last
            } else {
                false
            }
        } else {
            !s.is_empty() && s.last_valid_id() > *gt
        };
        if !serve {
            continue;
        }
        served += 1;
        if d.is_none() {
            d = Some(ctx.reply.deferred_array());
        }
        if ctx.reply.proto() == Proto::Resp2 {
            ctx.reply.array_len(2);
        }
        ctx.reply.bulk(key);
        let start = start.incr().unwrap_or(StreamId::MIN);
        match &gr {
            None => {
                reply_range(ctx, f, start, StreamId::MAX, count as usize, false);
            }
            Some(g) => {
                super::stream_group::serve_group(
                    ctx,
                    key,
                    f,
                    g.group,
                    g.consumer,
                    g.noack,
                    history,
                    start,
                    count as usize,
                );
            }
        }
    }
    if let Some(d) = d {
        if ctx.reply.proto() == Proto::Resp2 {
            ctx.reply.set_deferred_array(d, served);
        } else {
            ctx.reply.set_deferred_map(d, served);
        }
        return;
    }
    if block.is_some() && ctx.may_block {
        let ids_from = streams_arg + n;
        let resolved = (!xreadgroup && argv[ids_from..].iter().any(|a| *a == b"$")).then(|| {
            argv.iter()
                .enumerate()
                .map(|(i, a)| match ids.get(i.wrapping_sub(ids_from)) {
                    Some(id) if i >= ids_from && *a == b"$" => id.to_string().into_bytes(),
                    _ => a.to_vec(),
                })
                .collect()
        });
        return block_again(ctx, argv, streams_arg, n, block, resolved);
    }
    ctx.reply.null_array();
}

/// Park the client on the stream keys (or, when it may not block, reply as at a timeout).
fn block_again(
    ctx: &mut Ctx<'_>,
    argv: &[&[u8]],
    streams_arg: usize,
    n: usize,
    block: Option<Option<UnixMillis>>,
    resolved: Option<Vec<Vec<u8>>>,
) {
    match block {
        Some(deadline) if ctx.may_block => {
            ctx.block = Some(BlockOn {
                keys: argv[streams_arg..streams_arg + n]
                    .iter()
                    .map(|k| k.to_vec())
                    .collect(),
                deadline,
                argv: resolved,
            });
        }
        _ => ctx.reply.null_array(),
    }
}

/// Redis's `getTimeoutFromObjectOrReply(..., UNIT_MILLISECONDS)`: an integer of ms, not
/// negative.
fn parse_timeout_millis(arg: &[u8]) -> Result<i64, &'static str> {
    let Some(ms) = crate::util::parse_i64(arg) else {
        return Err("ERR timeout is not an integer or out of range");
    };
    if ms < 0 {
        return Err("ERR timeout is negative");
    }
    Ok(ms)
}
