//! TTL commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME,
//! PERSIST.

use hashslot_resp::ErrorReply;

use super::string::invalid_expire;
use super::{eq_ic, err, ev, int_arg, lookup_read, lookup_write, NOTOUCH};
use crate::Ctx;

const NX: u8 = 1;
const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;

/// Redis's `expireGenericCommand`: `basetime` is now for relative forms, 0 for `*AT`.
fn expire_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], relative: bool, seconds: bool, cmd: &str) {
    let mut flags = 0u8;
    for opt in &argv[3..] {
        flags |= if eq_ic(opt, b"nx") {
            NX
        } else if eq_ic(opt, b"xx") {
            XX
        } else if eq_ic(opt, b"gt") {
            GT
        } else if eq_ic(opt, b"lt") {
            LT
        } else {
            let text = format!("ERR Unsupported option {}", String::from_utf8_lossy(opt));
            ctx.reply.error(&ErrorReply::msg(text));
            return;
        };
    }
    if flags & NX != 0 && flags & (XX | GT | LT) != 0 {
        err(
            ctx,
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        );
        return;
    }
    if flags & GT != 0 && flags & LT != 0 {
        err(
            ctx,
            "ERR GT and LT options at the same time are not compatible",
        );
        return;
    }
    let Some(mut when) = int_arg(ctx, argv[2]) else {
        return;
    };
    if seconds {
        match when.checked_mul(1000) {
            Some(ms) => when = ms,
            None => return invalid_expire(ctx, cmd),
        }
    }
    let now = ctx.now.wall.0;
    let basetime = if relative { now } else { 0 };
    let Some(w) = when
        .checked_add(basetime)
        .filter(|_| when <= i64::MAX - basetime)
    else {
        return invalid_expire(ctx, cmd);
    };
    let key = argv[1];
    if lookup_write(ctx, key).is_none() {
        ctx.reply.int(0);
        return;
    }
    let db = &mut ctx.dbs[ctx.db_index];
    if flags != 0 {
        let current = db.expire_time(key);
        let refused = (flags & NX != 0 && current.is_some())
            || (flags & XX != 0 && current.is_none())
            // No TTL counts as infinite: GT always fails, LT always succeeds.
            || (flags & GT != 0 && current.map_or(true, |c| w <= c))
            || (flags & LT != 0 && current.is_some_and(|c| w >= c));
        if refused {
            ctx.reply.int(0);
            return;
        }
    }
    // Ref: expire.c checkAlreadyExpired: a replica keeps the key with its past time and waits
    // for the master's DEL.
    if w <= now && !ctx.replica && !ctx.from_master {
        db.remove(key);
        ctx.notify(ev::GENERIC, "del", key);
    } else {
        db.set_expire(key, Some(w));
        ctx.notify(ev::GENERIC, "expire", key);
    }
    ctx.dirty += 1;
    ctx.reply.int(1);
}

/// EXPIRE key seconds [NX|XX|GT|LT]
pub(crate) fn expire_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    expire_generic(ctx, argv, true, true, "expire");
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
pub(crate) fn pexpire_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    expire_generic(ctx, argv, true, false, "pexpire");
}

/// EXPIREAT key unix-seconds [NX|XX|GT|LT]
pub(crate) fn expireat_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    expire_generic(ctx, argv, false, true, "expireat");
}

/// PEXPIREAT key unix-ms [NX|XX|GT|LT]
pub(crate) fn pexpireat_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    expire_generic(ctx, argv, false, false, "pexpireat");
}

/// Redis's `ttlGenericCommand`.
fn ttl_generic(ctx: &mut Ctx<'_>, key: &[u8], ms: bool, absolute: bool) {
    if lookup_read(ctx, key, NOTOUCH).is_none() {
        ctx.reply.int(-2);
        return;
    }
    let Some(when) = ctx.dbs[ctx.db_index].expire_time(key) else {
        ctx.reply.int(-1);
        return;
    };
    let ttl = if absolute {
        when
    } else {
        when - ctx.now.wall.0
    }
    .max(0);
    ctx.reply.int(if ms { ttl } else { (ttl + 500) / 1000 });
}

/// TTL key
pub(crate) fn ttl_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    ttl_generic(ctx, argv[1], false, false);
}

/// PTTL key
pub(crate) fn pttl_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    ttl_generic(ctx, argv[1], true, false);
}

/// EXPIRETIME key
pub(crate) fn expiretime_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    ttl_generic(ctx, argv[1], false, true);
}

/// PEXPIRETIME key
pub(crate) fn pexpiretime_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    ttl_generic(ctx, argv[1], true, true);
}

/// PERSIST key
pub(crate) fn persist_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let key = argv[1];
    if lookup_write(ctx, key).is_some() {
        let db = &mut ctx.dbs[ctx.db_index];
        if db.expire_time(key).is_some() {
            db.set_expire(key, None);
            ctx.dirty += 1;
            ctx.reply.int(1);
            ctx.notify(ev::GENERIC, "persist", key);
            return;
        }
    }
    ctx.reply.int(0);
}
