//! Sorted-set commands (Redis 7.0 `t_zset.c` semantics): ZADD and the single-key reads and
//! writes here; ranges in `zset_range.rs`, set algebra in `zset_ops.rs`, pops and blocking pops
//! in `zset_pop.rs`, number parsing in `zset_parse.rs`.

#[path = "zset_ops.rs"]
mod ops;
#[path = "zset_parse.rs"]
pub(crate) mod parse;
#[path = "zset_pop.rs"]
mod pop;
#[path = "zset_range.rs"]
mod range;

pub(crate) use ops::*;
#[allow(unused_imports)] // for the node, once lib.rs re-exports it
pub(crate) use pop::*;
pub(crate) use range::*;

use hashslot_resp::{ErrorReply, Proto, Reply};

use super::{eq_ic, err, ev, int_arg, lookup_read, lookup_write, value, Found};
use crate::glob::glob_match;
use crate::types::zset::ZCfg;
use crate::util::parse_cursor;
use crate::value::{Object, ValueRef};
use crate::{entry, Ctx, Db, EncodingLimits, ZSet};

use parse::{parse_score, LexBound, ScoreRange};

const NAN_ERR: &str = "ERR resulting score is not a number (NaN)";
const SCORE_RANGE_ERR: &str = "ERR min or max is not a float";
const LEX_RANGE_ERR: &str = "ERR min or max not valid string range item";

// ----- shared helpers -----

/// The encoding limits and member hasher for sets created or grown in the selected db.
pub(crate) fn cfg(db: &Db, limits: &EncodingLimits) -> ZCfg {
    ZCfg {
        limits: limits.zset(),
        hasher: db.hasher,
    }
}

/// The sorted set of a found key, or `None` when it holds another type.
pub(crate) fn as_zset(db: &Db, f: Found) -> Option<&ZSet> {
    match value(db, f) {
        ValueRef::Obj(Object::ZSet(z)) => Some(z),
        _ => None,
    }
}

/// The sorted set of a found key, mutably (the caller checked the type).
pub(crate) fn zset_mut(db: &mut Db, f: Found) -> &mut ZSet {
    let i = entry::obj_index(entry::payload(db.entry_at(f.loc, f.pos)));
    match db.object_at_mut(i) {
        Object::ZSet(z) => z,
        _ => unreachable!("type checked"),
    }
}

/// Outcome of looking a key up for a sorted-set command.
pub(crate) enum Look {
    /// No such key.
    Missing,
    /// A sorted set.
    Found(Found),
    /// Another type: WRONGTYPE was replied.
    Wrong,
}

fn check(ctx: &mut Ctx<'_>, f: Option<Found>) -> Look {
    match f {
        None => Look::Missing,
        Some(f) if as_zset(&ctx.dbs[ctx.db_index], f).is_some() => Look::Found(f),
        Some(_) => {
            ctx.reply.error(&ErrorReply::WrongType);
            Look::Wrong
        }
    }
}

/// `lookupKeyRead` + `checkType`.
pub(crate) fn look_read(ctx: &mut Ctx<'_>, key: &[u8]) -> Look {
    let f = lookup_read(ctx, key, 0);
    check(ctx, f)
}

/// `lookupKeyWrite` + `checkType`.
pub(crate) fn look_write(ctx: &mut Ctx<'_>, key: &[u8]) -> Look {
    let f = lookup_write(ctx, key);
    check(ctx, f)
}

/// Delete `key` if its set became empty (Redis never keeps empty collections).
pub(crate) fn delete_if_empty(ctx: &mut Ctx<'_>, key: &[u8], f: Found) -> bool {
    let db = &mut ctx.dbs[ctx.db_index];
    if zset_mut(db, f).is_empty() {
        db.remove(key);
        true
    } else {
        false
    }
}

/// `setKey` with a whole new set (TTL dropped), or delete `key` when `z` is empty; replies the
/// length. Counts dirty as Redis's ZRANGESTORE/ZUNIONSTORE do.
pub(crate) fn store_result(ctx: &mut Ctx<'_>, key: &[u8], z: ZSet, event: &'static str) {
    let n = z.len();
    let now = ctx.now.wall;
    let db = &mut ctx.dbs[ctx.db_index];
    if n > 0 {
        db.insert_object(key, Object::ZSet(z), false, now);
        ctx.dirty += 1;
        ctx.notify(ev::ZSET, event, key);
    } else {
        // Redis's dbDelete here does not expire lazily first; an expired key still counts.
        if db.remove(key) {
            ctx.dirty += 1;
            ctx.notify(ev::GENERIC, "del", key);
        }
    }
    ctx.reply.int(n as i64);
}

/// Reply with `(member, score)` pairs: flat in RESP2, `[member, score]` arrays in RESP3 when
/// `withscores`; members only otherwise.
pub(crate) fn reply_pairs<'a>(
    reply: &mut Reply<'_>,
    n: usize,
    withscores: bool,
    items: impl Iterator<Item = (&'a [u8], f64)>,
) {
    let resp3 = reply.proto() == Proto::Resp3;
    reply.array_len(if withscores && !resp3 { n * 2 } else { n });
    for (m, s) in items.take(n) {
        if withscores && resp3 {
            reply.array_len(2);
        }
        reply.bulk(m);
        if withscores {
            reply.double(s);
        }
    }
}

// ----- ZADD / ZINCRBY -----

const IN_NX: u8 = 1;
const IN_XX: u8 = 2;
const IN_GT: u8 = 4;
const IN_LT: u8 = 8;
const IN_INCR: u8 = 16;

fn zadd_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], mut flags: u8) {
    let key = argv[1];
    let mut ch = false;
    let mut idx = 2;
    while idx < argv.len() {
        let o = argv[idx];
        if eq_ic(o, b"nx") {
            flags |= IN_NX;
        } else if eq_ic(o, b"xx") {
            flags |= IN_XX;
        } else if eq_ic(o, b"ch") {
            ch = true;
        } else if eq_ic(o, b"incr") {
            flags |= IN_INCR;
        } else if eq_ic(o, b"gt") {
            flags |= IN_GT;
        } else if eq_ic(o, b"lt") {
            flags |= IN_LT;
        } else {
            break;
        }
        idx += 1;
    }
    let (incr, nx, xx, gt, lt) = (
        flags & IN_INCR != 0,
        flags & IN_NX != 0,
        flags & IN_XX != 0,
        flags & IN_GT != 0,
        flags & IN_LT != 0,
    );
    let elements = argv.len() - idx;
    if elements % 2 != 0 || elements == 0 {
        ctx.reply.error(&ErrorReply::Syntax);
        return;
    }
    let elements = elements / 2;
    if nx && xx {
        return err(
            ctx,
            "ERR XX and NX options at the same time are not compatible",
        );
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return err(
            ctx,
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        );
    }
    if incr && elements > 1 {
        return err(
            ctx,
            "ERR INCR option supports a single increment-element pair",
        );
    }
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        match parse_score(argv[idx + j * 2]) {
            Some(s) => scores.push(s),
            None => return ctx.reply.error(&ErrorReply::NotFloat),
        }
    }
    let f = match look_write(ctx, key) {
        Look::Wrong => return,
        Look::Found(f) => Some(f),
        Look::Missing => None,
    };
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last = 0.0;
    let mut nan = false;
    if f.is_some() || !xx {
        let cfg = cfg(&ctx.dbs[ctx.db_index], &ctx.limits);
        let now = ctx.now.wall;
        let db = &mut ctx.dbs[ctx.db_index];
        // A new key starts as an empty set; Redis's dbAdd happens before the first element.
        let mut fresh = ZSet::new();
        let z: &mut ZSet = match f {
            Some(f) => zset_mut(db, f),
            None => &mut fresh,
        };
        for (j, &score) in scores.iter().enumerate() {
            let member = argv[idx + 1 + j * 2];
            match z.score(member) {
                Some(cur) => {
                    if nx {
                        continue;
                    }
                    let mut s = score;
                    if incr {
                        s += cur;
                        if s.is_nan() {
                            nan = true;
                            break;
                        }
                    }
                    if (lt && s >= cur) || (gt && s <= cur) {
                        continue;
                    }
                    last = s;
                    processed += 1;
                    if s != cur {
                        z.insert_with(member, s, &cfg);
                        updated += 1;
                    }
                }
                None if !xx => {
                    z.insert_with(member, score, &cfg);
                    last = score;
                    added += 1;
                    processed += 1;
                }
                None => {}
            }
        }
        if f.is_none() {
            // Redis adds the key even when an error stops the loop before any element.
            if !fresh.is_empty() {
                db.insert_object(key, Object::ZSet(fresh), false, now);
            }
        }
    }
    ctx.dirty += (added + updated) as u64;
    if added + updated > 0 {
        ctx.notify(ev::ZSET, if incr { "zincr" } else { "zadd" }, key);
    }
    if nan {
        return err(ctx, NAN_ERR);
    }
    if incr {
        if processed > 0 {
            ctx.reply.double(last);
        } else {
            ctx.reply.null();
        }
    } else {
        ctx.reply.int(if ch { added + updated } else { added });
    }
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub(crate) fn zadd_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zadd_generic(ctx, argv, 0);
}

/// ZINCRBY key increment member
pub(crate) fn zincrby_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zadd_generic(ctx, argv, IN_INCR);
}

// ----- single-key commands -----

/// ZREM key member [member ...]
pub(crate) fn zrem_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let f = match look_write(ctx, argv[1]) {
        Look::Found(f) => f,
        Look::Missing => return ctx.reply.int(0),
        Look::Wrong => return,
    };
    let z = zset_mut(&mut ctx.dbs[ctx.db_index], f);
    let mut deleted = 0;
    for m in &argv[2..] {
        if z.remove(m).is_some() {
            deleted += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    let emptied = delete_if_empty(ctx, argv[1], f);
    if deleted > 0 {
        ctx.notify(ev::ZSET, "zrem", argv[1]);
        if emptied {
            ctx.notify(ev::GENERIC, "del", argv[1]);
        }
    }
    ctx.dirty += deleted;
    ctx.reply.int(deleted as i64);
}

/// ZCARD key
pub(crate) fn zcard_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    match look_read(ctx, argv[1]) {
        Look::Found(f) => {
            let n = as_zset(&ctx.dbs[ctx.db_index], f).map_or(0, |z| z.len());
            ctx.reply.int(n as i64);
        }
        Look::Missing => ctx.reply.int(0),
        Look::Wrong => {}
    }
}

/// ZSCORE key member
pub(crate) fn zscore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    match look_read(ctx, argv[1]) {
        Look::Found(f) => match as_zset(&ctx.dbs[ctx.db_index], f).and_then(|z| z.score(argv[2])) {
            Some(s) => ctx.reply.double(s),
            None => ctx.reply.null(),
        },
        Look::Missing => ctx.reply.null(),
        Look::Wrong => {}
    }
}

/// ZMSCORE key member [member ...]
pub(crate) fn zmscore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let f = match look_read(ctx, argv[1]) {
        Look::Found(f) => Some(f),
        Look::Missing => None,
        Look::Wrong => return,
    };
    let scores: Vec<Option<f64>> = argv[2..]
        .iter()
        .map(|m| f.and_then(|f| as_zset(&ctx.dbs[ctx.db_index], f)?.score(m)))
        .collect();
    ctx.reply.array_len(scores.len());
    for s in scores {
        match s {
            Some(s) => ctx.reply.double(s),
            None => ctx.reply.null(),
        }
    }
}

fn zrank_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], rev: bool) {
    match look_read(ctx, argv[1]) {
        Look::Found(f) => {
            let z = as_zset(&ctx.dbs[ctx.db_index], f).expect("zset");
            match z.rank(argv[2]) {
                Some(r) => {
                    let r = if rev { z.len() - 1 - r } else { r };
                    ctx.reply.int(r as i64);
                }
                None => ctx.reply.null(),
            }
        }
        Look::Missing => ctx.reply.null(),
        Look::Wrong => {}
    }
}

/// ZRANK key member
pub(crate) fn zrank_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zrank_generic(ctx, argv, false);
}

/// ZREVRANK key member
pub(crate) fn zrevrank_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zrank_generic(ctx, argv, true);
}

/// Ranks `start..end` of the elements in a score range.
pub(crate) fn score_span(z: &ZSet, r: &ScoreRange) -> (usize, usize) {
    let start = z.count_prefix(|_, s| r.below_min(s));
    let end = z.count_prefix(|_, s| r.within_max(s));
    (start, end.max(start))
}

/// Ranks `start..end` of the elements in a lex range.
pub(crate) fn lex_span(z: &ZSet, min: &LexBound<'_>, max: &LexBound<'_>) -> (usize, usize) {
    let start = z.count_prefix(|m, _| min.below_min(m));
    let end = z.count_prefix(|m, _| max.within_max(m));
    (start, end.max(start))
}

/// ZCOUNT key min max
pub(crate) fn zcount_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(r) = ScoreRange::parse(argv[2], argv[3]) else {
        return err(ctx, SCORE_RANGE_ERR);
    };
    match look_read(ctx, argv[1]) {
        Look::Found(f) => {
            let (a, b) = score_span(as_zset(&ctx.dbs[ctx.db_index], f).expect("zset"), &r);
            ctx.reply.int((b - a) as i64);
        }
        Look::Missing => ctx.reply.int(0),
        Look::Wrong => {}
    }
}

/// ZLEXCOUNT key min max
pub(crate) fn zlexcount_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (Some(min), Some(max)) = (LexBound::parse(argv[2]), LexBound::parse(argv[3])) else {
        return err(ctx, LEX_RANGE_ERR);
    };
    match look_read(ctx, argv[1]) {
        Look::Found(f) => {
            let z = as_zset(&ctx.dbs[ctx.db_index], f).expect("zset");
            let (a, b) = lex_span(z, &min, &max);
            ctx.reply.int((b - a) as i64);
        }
        Look::Missing => ctx.reply.int(0),
        Look::Wrong => {}
    }
}

// ----- ZREMRANGEBY* -----

enum RemRange<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexBound<'a>, LexBound<'a>),
}

fn zremrange_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], range: RemRange<'_>) {
    let key = argv[1];
    let f = match look_write(ctx, key) {
        Look::Found(f) => f,
        Look::Missing => return ctx.reply.int(0),
        Look::Wrong => return,
    };
    let z = zset_mut(&mut ctx.dbs[ctx.db_index], f);
    let (from, to) = match range {
        RemRange::Rank(mut start, mut end) => {
            let llen = z.len() as i64;
            if start < 0 {
                start += llen;
            }
            if end < 0 {
                end += llen;
            }
            start = start.max(0);
            if start > end || start >= llen {
                return ctx.reply.int(0);
            }
            (start as usize, (end.min(llen - 1) + 1) as usize)
        }
        RemRange::Score(r) => score_span(z, &r),
        RemRange::Lex(min, max) => lex_span(z, &min, &max),
    };
    let deleted = z.remove_rank_range(from, to);
    let emptied = delete_if_empty(ctx, key, f);
    if deleted > 0 {
        let event = match range {
            RemRange::Rank(..) => "zremrangebyrank",
            RemRange::Score(_) => "zremrangebyscore",
            RemRange::Lex(..) => "zremrangebylex",
        };
        ctx.notify(ev::ZSET, event, key);
        if emptied {
            ctx.notify(ev::GENERIC, "del", key);
        }
    }
    ctx.dirty += deleted as u64;
    ctx.reply.int(deleted as i64);
}

/// ZREMRANGEBYRANK key start stop
pub(crate) fn zremrangebyrank_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(start) = int_arg(ctx, argv[2]) else {
        return;
    };
    let Some(end) = int_arg(ctx, argv[3]) else {
        return;
    };
    zremrange_generic(ctx, argv, RemRange::Rank(start, end));
}

/// ZREMRANGEBYSCORE key min max
pub(crate) fn zremrangebyscore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(r) = ScoreRange::parse(argv[2], argv[3]) else {
        return err(ctx, SCORE_RANGE_ERR);
    };
    zremrange_generic(ctx, argv, RemRange::Score(r));
}

/// ZREMRANGEBYLEX key min max
pub(crate) fn zremrangebylex_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (Some(min), Some(max)) = (LexBound::parse(argv[2]), LexBound::parse(argv[3])) else {
        return err(ctx, LEX_RANGE_ERR);
    };
    zremrange_generic(ctx, argv, RemRange::Lex(min, max));
}

// ----- ZSCAN -----

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub(crate) fn zscan_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(cursor) = parse_cursor(argv[2]) else {
        return err(ctx, "ERR invalid cursor");
    };
    let f = match look_read(ctx, argv[1]) {
        Look::Found(f) => f,
        Look::Missing => {
            ctx.reply.array_len(2);
            ctx.reply.bulk(b"0");
            ctx.reply.array_len(0);
            return;
        }
        Look::Wrong => return,
    };
    let (mut count, mut pattern) = (10i64, None);
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if eq_ic(argv[i], b"count") && more {
            let Some(c) = int_arg(ctx, argv[i + 1]) else {
                return;
            };
            if c < 1 {
                return ctx.reply.error(&ErrorReply::Syntax);
            }
            count = c;
        } else if eq_ic(argv[i], b"match") && more {
            pattern = (argv[i + 1] != b"*").then_some(argv[i + 1]);
        } else {
            return ctx.reply.error(&ErrorReply::Syntax);
        }
        i += 2;
    }
    let z = as_zset(&ctx.dbs[ctx.db_index], f).expect("zset");
    let mut items: Vec<(Vec<u8>, f64)> = Vec::new();
    let next = z.scan(cursor, count as usize, |m, s| {
        if pattern.is_none() || pattern.is_some_and(|p| glob_match(p, m, false)) {
            items.push((m.to_vec(), s));
        }
    });
    ctx.reply.array_len(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array_len(items.len() * 2);
    let mut buf = Vec::with_capacity(24);
    for (m, s) in &items {
        ctx.reply.bulk(m);
        buf.clear();
        hashslot_resp::format_double(*s, &mut buf);
        ctx.reply.bulk(&buf);
    }
}

// ----- ZRANDMEMBER -----

/// ZRANDMEMBER key [count [WITHSCORES]]
pub(crate) fn zrandmember_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if argv.len() >= 3 {
        let Some(l) = int_arg(ctx, argv[2]) else {
            return;
        };
        if l == i64::MIN {
            return err(
                ctx,
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            );
        }
        let withscores = argv.len() == 4;
        if argv.len() > 4 || (withscores && !eq_ic(argv[3], b"withscores")) {
            return ctx.reply.error(&ErrorReply::Syntax);
        }
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return err(ctx, "ERR value is out of range");
        }
        return zrandmember_count(ctx, argv[1], l, withscores);
    }
    match look_read(ctx, argv[1]) {
        Look::Found(f) => {
            let z = as_zset(&ctx.dbs[ctx.db_index], f).expect("zset");
            let i = ctx.rng.below(z.len() as u64) as usize;
            let (m, _) = z.iter_from(i, false).next().expect("in range");
            ctx.reply.bulk(m);
        }
        Look::Missing => ctx.reply.null(),
        Look::Wrong => {}
    }
}

fn zrandmember_count(ctx: &mut Ctx<'_>, key: &[u8], l: i64, withscores: bool) {
    let f = match look_read(ctx, key) {
        Look::Found(f) => f,
        Look::Missing => return ctx.reply.array_len(0),
        Look::Wrong => return,
    };
    let z = as_zset(&ctx.dbs[ctx.db_index], f).expect("zset");
    let size = z.len();
    let count = l.unsigned_abs();
    if count == 0 {
        return ctx.reply.array_len(0);
    }
    let mut picks: Vec<usize> = Vec::new();
    if l < 0 || count == 1 {
        // With repetitions: each pick independent (an O(log n) select per pick).
        let n = count as usize;
        let resp3 = ctx.reply.proto() == Proto::Resp3;
        ctx.reply
            .array_len(if withscores && !resp3 { n * 2 } else { n });
        for _ in 0..n {
            let i = ctx.rng.below(size as u64) as usize;
            let (m, s) = z.iter_from(i, false).next().expect("in range");
            if withscores && resp3 {
                ctx.reply.array_len(2);
            }
            ctx.reply.bulk(m);
            if withscores {
                ctx.reply.double(s);
            }
        }
        return;
    }
    if count as usize >= size {
        // Redis walks the set from its tail here (`zuiNext`): highest score first.
        return reply_pairs(&mut ctx.reply, size, withscores, z.iter_from(0, true));
    }
    // Distinct: a partial Fisher-Yates over ranks (O(count) memory beyond the index vector
    // when the sample is large; a rejection set when small).
    let count = count as usize;
    if count * 3 > size {
        let mut all: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + ctx.rng.below((size - i) as u64) as usize;
            all.swap(i, j);
        }
        picks.extend_from_slice(&all[..count]);
    } else {
        let mut seen = std::collections::BTreeSet::new();
        while picks.len() < count {
            let i = ctx.rng.below(size as u64) as usize;
            if seen.insert(i) {
                picks.push(i);
            }
        }
    }
    let items: Vec<(&[u8], f64)> = picks
        .iter()
        .map(|&i| z.iter_from(i, false).next().expect("in range"))
        .collect();
    reply_pairs(&mut ctx.reply, count, withscores, items.into_iter());
}
