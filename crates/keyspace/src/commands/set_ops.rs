//! Set algebra: SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE.
//!
//! As in Redis, every key is looked up and type-checked before any work, a missing key is an
//! empty set, and results are built as a new set that starts as an `intset` (so a STORE gives
//! the encoding Redis gives). SUNION and SDIFF reply in the result set's order, SINTER in the
//! order of its smallest input, as Redis does.

use hashslot_resp::ErrorReply;

use super::{as_set, ev, limits, lookup_set, Lookup};
use crate::commands::{err, reply_str, Found};
use crate::util::parse_i64;
use crate::value::{Object, StrRef};
use crate::{Ctx, Set};

/// The sets named by `keys` (`None` for a missing key), or `None` after a WRONGTYPE reply.
/// STORE forms look keys up for writing, as Redis does.
fn load(ctx: &mut Ctx<'_>, keys: &[&[u8]], write: bool) -> Option<Vec<Option<Found>>> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        match lookup_set(ctx, k, write) {
            Lookup::Missing => out.push(None),
            Lookup::Set(f) => out.push(Some(f)),
            Lookup::WrongType => {
                ctx.reply.error(&ErrorReply::WrongType);
                return None;
            }
        }
    }
    Some(out)
}

/// Members of the intersection of `sets` (all present), smallest set first, stopping after
/// `limit` members when non-zero.
fn intersect<'a>(mut sets: Vec<&'a Set>, limit: usize, mut f: impl FnMut(StrRef<'a>) -> bool) {
    sets.sort_by_key(|s| s.len());
    let (first, rest) = sets.split_first().expect("at least one set");
    let mut n = 0;
    for m in first.iter() {
        if rest.iter().all(|s| s.contains_ref(m)) {
            n += 1;
            if !f(m) || (limit != 0 && n >= limit) {
                return;
            }
        }
    }
}

/// Write `result` under `dst` (replacing its value and TTL) or delete `dst` when empty; reply
/// the cardinality.
fn store(ctx: &mut Ctx<'_>, dst: &[u8], result: Set, event: &'static str) {
    let n = result.len();
    let now = ctx.now.wall;
    let db = &mut ctx.dbs[ctx.db_index];
    if n > 0 {
        db.insert_object(dst, Object::Set(result), false, now);
        ctx.notify(ev::SET, event, dst);
    } else if db.remove(dst) {
        ctx.notify(ev::GENERIC, "del", dst);
    }
    ctx.dirty += 1;
    ctx.reply.int(n as i64);
}

fn sinter_generic(ctx: &mut Ctx<'_>, keys: &[&[u8]], dst: Option<&[u8]>) {
    let Some(found) = load(ctx, keys, dst.is_some()) else {
        return;
    };
    let db = &ctx.dbs[ctx.db_index];
    let sets: Option<Vec<&Set>> = found
        .iter()
        .map(|f| f.map(|f| as_set(db, f).expect("set")))
        .collect();
    match dst {
        Some(dst) => {
            let (lim, hasher) = (limits(ctx), db.hasher);
            let mut result = Set::new();
            if let Some(sets) = sets {
                intersect(sets, 0, |m| {
                    result.add_with(&m.to_vec(), &lim, hasher);
                    true
                });
            }
            store(ctx, dst, result, "sinterstore");
        }
        None => {
            let Some(sets) = sets else {
                ctx.reply.set_len(0);
                return;
            };
            let d = ctx.reply.deferred_array();
            let mut n = 0;
            let reply = &mut ctx.reply;
            intersect(sets, 0, |m| {
                reply_str(reply, m);
                n += 1;
                true
            });
            ctx.reply.set_deferred_set(d, n);
        }
    }
}

/// SINTER key [key ...]
pub(crate) fn sinter_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    sinter_generic(ctx, &argv[1..], None);
}

/// SINTERSTORE destination key [key ...]
pub(crate) fn sinterstore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    sinter_generic(ctx, &argv[2..], Some(argv[1]));
}

/// The `numkeys` of SINTERCARD, or `None` after an error reply.
fn numkeys_arg(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Option<usize> {
    let n = parse_i64(argv[1]).filter(|&n| n > 0);
    let Some(n) = n else {
        err(ctx, "ERR numkeys should be greater than 0");
        return None;
    };
    if n as u64 > (argv.len() - 2) as u64 {
        err(
            ctx,
            "ERR Number of keys can't be greater than number of args",
        );
        return None;
    }
    Some(n as usize)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub(crate) fn sintercard_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(numkeys) = numkeys_arg(ctx, argv) else {
        return;
    };
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < argv.len() {
        if argv[i].eq_ignore_ascii_case(b"limit") && i + 1 < argv.len() {
            let Some(l) = parse_i64(argv[i + 1]).filter(|&l| l >= 0) else {
                err(ctx, "ERR LIMIT can't be negative");
                return;
            };
            limit = usize::try_from(l).unwrap_or(usize::MAX);
            i += 2;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
    }
    let Some(found) = load(ctx, &argv[2..2 + numkeys], false) else {
        return;
    };
    let db = &ctx.dbs[ctx.db_index];
    let sets: Option<Vec<&Set>> = found
        .iter()
        .map(|f| f.map(|f| as_set(db, f).expect("set")))
        .collect();
    let mut n = 0i64;
    if let Some(sets) = sets {
        intersect(sets, limit, |_| {
            n += 1;
            true
        });
    }
    ctx.reply.int(n);
}

/// SINTERCARD's key positions: `numkeys` keys after the count (as many as are present).
pub(crate) fn sintercard_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    let Some(n) = argv.get(1).and_then(|a| parse_i64(a)).filter(|&n| n > 0) else {
        return;
    };
    let end = (2u64.saturating_add(n as u64)).min(argv.len() as u64) as usize;
    out.extend(2..end);
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Diff,
}

fn sunion_diff_generic(ctx: &mut Ctx<'_>, keys: &[&[u8]], dst: Option<&[u8]>, op: Op) {
    let Some(found) = load(ctx, keys, dst.is_some()) else {
        return;
    };
    let (lim, hasher) = (limits(ctx), ctx.dbs[ctx.db_index].hasher);
    let db = &ctx.dbs[ctx.db_index];
    let sets: Vec<Option<&Set>> = found
        .iter()
        .map(|f| f.map(|f| as_set(db, f).expect("set")))
        .collect();
    let mut result = Set::new();
    match op {
        Op::Union => {
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    result.add_with(&m.to_vec(), &lim, hasher);
                }
            }
        }
        Op::Diff => {
            if let Some(Some(first)) = sets.first() {
                for m in first.iter() {
                    if !sets[1..].iter().flatten().any(|s| s.contains_ref(m)) {
                        result.add_with(&m.to_vec(), &lim, hasher);
                    }
                }
            }
        }
    }
    match dst {
        Some(dst) => {
            let event = match op {
                Op::Union => "sunionstore",
                Op::Diff => "sdiffstore",
            };
            store(ctx, dst, result, event);
        }
        None => {
            ctx.reply.set_len(result.len());
            for m in result.iter() {
                reply_str(&mut ctx.reply, m);
            }
        }
    }
}

/// SUNION key [key ...]
pub(crate) fn sunion_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    sunion_diff_generic(ctx, &argv[1..], None, Op::Union);
}

/// SUNIONSTORE destination key [key ...]
pub(crate) fn sunionstore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    sunion_diff_generic(ctx, &argv[2..], Some(argv[1]), Op::Union);
}

/// SDIFF key [key ...]
pub(crate) fn sdiff_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    sunion_diff_generic(ctx, &argv[1..], None, Op::Diff);
}

/// SDIFFSTORE destination key [key ...]
pub(crate) fn sdiffstore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    sunion_diff_generic(ctx, &argv[2..], Some(argv[1]), Op::Diff);
}
