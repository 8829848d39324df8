//! ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX, BZMPOP.
//!
//! A blocking pop that finds nothing sets `ctx.block` and writes no reply; the node parks the
//! client, re-runs the command (`ctx.retrying_blocked`) when a named key is written, and at the
//! deadline replies `list::timeout_reply` (a null array, as for lists). Inside MULTI (`!ctx.may_block`) the command
//! replies that timeout reply at once, as Redis does.

use hashslot_resp::ErrorReply;
use hashslot_types::UnixMillis;

use super::{delete_if_empty, err, look_write, zset_mut, Look};
use crate::commands::{eq_ic, lookup_write};
use crate::util::parse_i64;
use crate::{BlockOn, Ctx};

/// How the popped elements are shaped.
#[derive(Clone, Copy)]
struct Shape {
    /// Reply `[key, …]` (the blocking forms and ZMPOP).
    emit_key: bool,
    /// Each element as a `[member, score]` array.
    nested: bool,
    /// Null array (not an empty one) when no key has elements.
    nil_when_empty: bool,
}

/// Redis's `genericZpopCommand`. `count` is `None` for the single-element forms. With
/// `skip_wrong` (a blocked client's retry) keys of another type are passed over.
fn generic_pop(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    max: bool,
    count: Option<u64>,
    shape: Shape,
    skip_wrong: bool,
) {
    let mut hit = None;
    for key in keys {
        let f = if skip_wrong {
            match lookup_write(ctx, key) {
                Some(f) if super::as_zset(&ctx.dbs[ctx.db_index], f).is_some() => Look::Found(f),
                _ => Look::Missing,
            }
        } else {
            look_write(ctx, key)
        };
        match f {
            Look::Found(f) => {
                hit = Some((key, f));
                break;
            }
            Look::Missing => {}
            Look::Wrong => return,
        }
    }
    let Some((key, f)) = hit else {
        return if shape.nil_when_empty {
            ctx.reply.null_array()
        } else {
            ctx.reply.array_len(0)
        };
    };
    if count == Some(0) {
        return ctx.reply.array_len(0);
    }
    let z = zset_mut(&mut ctx.dbs[ctx.db_index], f);
    let llen = z.len();
    let n = (count.unwrap_or(1) as usize).min(llen);
    let popped: Vec<(Vec<u8>, f64)> = z
        .iter_from(0, max)
        .take(n)
        .map(|(m, s)| (m.to_vec(), s))
        .collect();
    for (m, _) in &popped {
        z.remove(m);
    }
    let emptied = delete_if_empty(ctx, key, f);
    if n > 0 {
        ctx.notify(
            super::ev::ZSET,
            if max { "zpopmax" } else { "zpopmin" },
            key,
        );
    }
    if emptied {
        ctx.notify(super::ev::GENERIC, "del", key);
    }
    ctx.dirty += n as u64;
    let r = &mut ctx.reply;
    match (shape.emit_key, shape.nested) {
        (false, false) => r.array_len(n * 2),
        (false, true) => r.array_len(n),
        (true, false) => {
            r.array_len(n * 2 + 1);
            r.bulk(key);
        }
        (true, true) => {
            r.array_len(2);
            r.bulk(key);
            r.array_len(n);
        }
    }
    for (m, s) in &popped {
        if shape.nested {
            r.array_len(2);
        }
        r.bulk(m);
        r.double(*s);
    }
}

fn zpop_min_max(ctx: &mut Ctx<'_>, argv: &[&[u8]], max: bool) {
    if argv.len() > 3 {
        return ctx.reply.error(&ErrorReply::Syntax);
    }
    let mut count = None;
    if argv.len() == 3 {
        match parse_i64(argv[2]) {
            Some(c) if c >= 0 => count = Some(c as u64),
            _ => return err(ctx, "ERR value is out of range, must be positive"),
        }
    }
    let nested = ctx.reply.proto() == hashslot_resp::Proto::Resp3 && count.is_some();
    let shape = Shape {
        emit_key: false,
        nested,
        nil_when_empty: false,
    };
    generic_pop(ctx, &argv[1..2], max, count, shape, false);
}

/// ZPOPMIN key [count]
pub(crate) fn zpopmin_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zpop_min_max(ctx, argv, false);
}

/// ZPOPMAX key [count]
pub(crate) fn zpopmax_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zpop_min_max(ctx, argv, true);
}

/// Redis's `getTimeoutFromObjectOrReply` in seconds, shared with the list blocking commands:
/// the absolute deadline (`None`: forever), or `None` after an error reply.
fn timeout_arg(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<Option<UnixMillis>> {
    crate::commands::list::block::parse_deadline(ctx, arg).ok()
}

/// `blockingGenericZpopCommand` after the timeout was parsed.
fn blocking_pop(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    max: bool,
    count: Option<u64>,
    shape: Shape,
    deadline: Option<UnixMillis>,
) {
    let skip_wrong = ctx.retrying_blocked;
    for key in keys {
        let found = if skip_wrong {
            lookup_write(ctx, key)
                .filter(|&f| super::as_zset(&ctx.dbs[ctx.db_index], f).is_some())
                .map(Look::Found)
                .unwrap_or(Look::Missing)
        } else {
            look_write(ctx, key)
        };
        match found {
            Look::Wrong => return,
            Look::Missing => continue,
            Look::Found(_) => return generic_pop(ctx, &[key], max, count, shape, skip_wrong),
        }
    }
    if !ctx.may_block {
        return ctx.reply.null_array();
    }
    ctx.block = Some(BlockOn {
        keys: keys.iter().map(|k| k.to_vec()).collect(),
        deadline,
        argv: None,
    });
}

fn bzpop(ctx: &mut Ctx<'_>, argv: &[&[u8]], max: bool) {
    let Some(deadline) = timeout_arg(ctx, argv[argv.len() - 1]) else {
        return;
    };
    let shape = Shape {
        emit_key: true,
        nested: false,
        nil_when_empty: false,
    };
    blocking_pop(ctx, &argv[1..argv.len() - 1], max, None, shape, deadline);
}

/// BZPOPMIN key [key ...] timeout
pub(crate) fn bzpopmin_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    bzpop(ctx, argv, false);
}

/// BZPOPMAX key [key ...] timeout
pub(crate) fn bzpopmax_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    bzpop(ctx, argv, true);
}

/// `zmpopGenericCommand`: `nk` is the index of numkeys.
fn zmpop_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], nk: usize, blocking: bool) {
    let numkeys = match parse_i64(argv[nk]) {
        Some(n) if n >= 1 => n as usize,
        _ => return err(ctx, "ERR numkeys should be greater than 0"),
    };
    let where_idx = nk.saturating_add(numkeys).saturating_add(1);
    if where_idx >= argv.len() {
        return ctx.reply.error(&ErrorReply::Syntax);
    }
    let max = if eq_ic(argv[where_idx], b"min") {
        false
    } else if eq_ic(argv[where_idx], b"max") {
        true
    } else {
        return ctx.reply.error(&ErrorReply::Syntax);
    };
    let mut count: Option<u64> = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if count.is_none() && eq_ic(argv[j], b"count") && more {
            j += 1;
            match parse_i64(argv[j]) {
                Some(c) if c >= 1 => count = Some(c as u64),
                _ => return err(ctx, "ERR count should be greater than 0"),
            }
        } else {
            return ctx.reply.error(&ErrorReply::Syntax);
        }
        j += 1;
    }
    let count = Some(count.unwrap_or(1));
    let shape = Shape {
        emit_key: true,
        nested: true,
        nil_when_empty: true,
    };
    let keys = &argv[nk + 1..nk + 1 + numkeys];
    if blocking {
        let Some(deadline) = timeout_arg(ctx, argv[1]) else {
            return;
        };
        blocking_pop(ctx, keys, max, count, shape, deadline);
    } else {
        generic_pop(ctx, keys, max, count, shape, false);
    }
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub(crate) fn zmpop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zmpop_generic(ctx, argv, 1, false);
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub(crate) fn bzmpop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zmpop_generic(ctx, argv, 2, true);
}
