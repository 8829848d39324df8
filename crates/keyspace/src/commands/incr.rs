//! Counters: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.

use hashslot_resp::ErrorReply;

use super::{err, ev, int_arg, lookup_write, value};
use crate::ld::Ld;
use crate::util::parse_i64;
use crate::value::{StrRef, ValueRef};
use crate::Ctx;

/// Redis's `incrDecrCommand`. The result keeps the key's TTL (Redis overwrites the value only).
fn incr_decr(ctx: &mut Ctx<'_>, key: &[u8], incr: i64) {
    let current = match lookup_write(ctx, key) {
        None => 0,
        Some(f) => match value(&ctx.dbs[ctx.db_index], f) {
            ValueRef::Obj(_) => {
                ctx.reply.error(&ErrorReply::WrongType);
                return;
            }
            ValueRef::Str(StrRef::Int(n), _) => n,
            ValueRef::Str(StrRef::Bytes(b), _) => match parse_i64(b) {
                Some(n) => n,
                None => {
                    ctx.reply.error(&ErrorReply::NotInteger);
                    return;
                }
            },
        },
    };
    let Some(new) = current.checked_add(incr) else {
        ctx.reply.error(&ErrorReply::Overflow);
        return;
    };
    let now = ctx.now.wall;
    ctx.dbs[ctx.db_index].set_int(key, new, true, now);
    ctx.notify(ev::STRING, "incrby", key);
    ctx.dirty += 1;
    ctx.reply.int(new);
}

/// INCR key
pub(crate) fn incr_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    incr_decr(ctx, argv[1], 1);
}

/// DECR key
pub(crate) fn decr_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    incr_decr(ctx, argv[1], -1);
}

/// INCRBY key increment
pub(crate) fn incrby_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if let Some(incr) = int_arg(ctx, argv[2]) {
        incr_decr(ctx, argv[1], incr);
    }
}

/// DECRBY key decrement
pub(crate) fn decrby_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(decr) = int_arg(ctx, argv[2]) else {
        return;
    };
    if decr == i64::MIN {
        err(ctx, "ERR decrement would overflow");
        return;
    }
    incr_decr(ctx, argv[1], -decr);
}

/// INCRBYFLOAT key increment: long double arithmetic, see [`crate::ld`].
pub(crate) fn incrbyfloat_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let key = argv[1];
    // `None` stands for an infinite operand (strtold accepts "inf"); any sum with one is
    // infinite or NaN, which Redis refuses after parsing both operands.
    let current: Result<Option<Ld>, ()> = match lookup_write(ctx, key) {
        None => Ok(Some(Ld::from_i64(0))),
        Some(f) => match value(&ctx.dbs[ctx.db_index], f) {
            ValueRef::Obj(_) => {
                ctx.reply.error(&ErrorReply::WrongType);
                return;
            }
            ValueRef::Str(StrRef::Int(n), _) => Ok(Some(Ld::from_i64(n))),
            ValueRef::Str(StrRef::Bytes(b), _) => Ld::parse(b),
        },
    };
    let (Ok(current), Ok(incr)) = (current, Ld::parse(argv[2])) else {
        ctx.reply.error(&ErrorReply::NotFloat);
        return;
    };
    let Some(sum) = current.zip(incr).and_then(|(a, b)| a.add(b)) else {
        err(ctx, "ERR increment would produce NaN or Infinity");
        return;
    };
    let text = sum.format_human();
    let now = ctx.now.wall;
    ctx.dbs[ctx.db_index].set_str_no_int(key, &text, true, now);
    ctx.notify(ev::STRING, "incrbyfloat", key);
    ctx.dirty += 1;
    ctx.reply.bulk(&text);
}
