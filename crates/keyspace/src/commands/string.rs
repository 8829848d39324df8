//! String commands: GET, SET and its variants, MGET/MSET, APPEND, STRLEN, GETRANGE, SETRANGE.

use hashslot_resp::ErrorReply;

use super::{
    eq_ic, err, ev, int_arg, lookup_read, lookup_write, reply_str, value, PROTO_MAX_BULK_LEN,
};
use crate::value::{Object, StrRef, ValueRef};
use crate::Ctx;

const NX: u16 = 1 << 0;
const XX: u16 = 1 << 1;
const EX: u16 = 1 << 2;
const PX: u16 = 1 << 3;
const KEEPTTL: u16 = 1 << 4;
const GET: u16 = 1 << 5;
const EXAT: u16 = 1 << 6;
const PXAT: u16 = 1 << 7;
const PERSIST: u16 = 1 << 8;
const ANY_EXPIRE: u16 = EX | PX | EXAT | PXAT;

/// Redis's `parseExtendedStringArgumentsOrReply`: SET (`for_set`) or GETEX options from
/// `argv[start..]`. An option is refused (syntax error) when a conflicting one came before it.
fn parse_options<'a>(
    ctx: &mut Ctx<'_>,
    argv: &[&'a [u8]],
    start: usize,
    for_set: bool,
) -> Option<(u16, Option<&'a [u8]>)> {
    let (mut flags, mut expire) = (0u16, None);
    let mut j = start;
    while j < argv.len() {
        let opt = argv[j];
        let has_next = j + 1 < argv.len();
        let allowed = |conflicts: u16, ok: bool| ok && flags & conflicts == 0;
        let (bit, takes_arg) = if eq_ic(opt, b"nx") && allowed(XX, for_set) {
            (NX, false)
        } else if eq_ic(opt, b"xx") && allowed(NX, for_set) {
            (XX, false)
        } else if eq_ic(opt, b"get") && for_set {
            (GET, false)
        } else if eq_ic(opt, b"keepttl") && allowed(PERSIST | ANY_EXPIRE, for_set) {
            (KEEPTTL, false)
        } else if eq_ic(opt, b"persist") && allowed(ANY_EXPIRE | KEEPTTL, !for_set) {
            (PERSIST, false)
        } else if eq_ic(opt, b"ex") && allowed(KEEPTTL | PERSIST | EXAT | PX | PXAT, has_next) {
            (EX, true)
        } else if eq_ic(opt, b"px") && allowed(KEEPTTL | PERSIST | EX | EXAT | PXAT, has_next) {
            (PX, true)
        } else if eq_ic(opt, b"exat") && allowed(KEEPTTL | PERSIST | EX | PX | PXAT, has_next) {
            (EXAT, true)
        } else if eq_ic(opt, b"pxat") && allowed(KEEPTTL | PERSIST | EX | EXAT | PX, has_next) {
            (PXAT, true)
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return None;
        };
        flags |= bit;
        if takes_arg {
            expire = Some(argv[j + 1]);
            j += 1;
        }
        j += 1;
    }
    Some((flags, expire))
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute expiry in ms, or an error reply.
fn expire_millis(ctx: &mut Ctx<'_>, arg: &[u8], flags: u16, cmd: &str) -> Option<i64> {
    let mut ms = int_arg(ctx, arg)?;
    let seconds = flags & (EX | EXAT) != 0;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        invalid_expire(ctx, cmd);
        return None;
    }
    if seconds {
        ms *= 1000;
    }
    if flags & (EX | PX) != 0 {
        ms = ms.wrapping_add(ctx.now.wall.0);
    }
    if ms <= 0 {
        invalid_expire(ctx, cmd);
        return None;
    }
    Some(ms)
}

pub(crate) fn invalid_expire(ctx: &mut Ctx<'_>, cmd: &str) {
    ctx.reply.error(&ErrorReply::msg(format!(
        "ERR invalid expire time in '{cmd}' command"
    )));
}

/// Redis's `getGenericCommand`: reply with the value or null; `false` after a WRONGTYPE reply.
fn get_generic(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let Some(f) = lookup_read(ctx, key, 0) else {
        ctx.reply.null();
        return true;
    };
    match value(&ctx.dbs[ctx.db_index], f) {
        ValueRef::Str(s, _) => {
            reply_str(&mut ctx.reply, s);
            true
        }
        ValueRef::Obj(_) => {
            ctx.reply.error(&ErrorReply::WrongType);
            false
        }
    }
}

/// What SET-like commands reply when they do or don't set.
#[derive(Clone, Copy)]
enum Replies {
    OkNull,
    OneZero,
}

/// Redis's `setGenericCommand`.
fn set_generic(
    ctx: &mut Ctx<'_>,
    flags: u16,
    key: &[u8],
    val: &[u8],
    expire: Option<&[u8]>,
    cmd: &str,
    replies: Replies,
) {
    let when = match expire {
        Some(arg) => match expire_millis(ctx, arg, flags, cmd) {
            Some(w) => Some(w),
            None => return,
        },
        None => None,
    };
    if flags & GET != 0 && !get_generic(ctx, key) {
        return;
    }
    let found = lookup_write(ctx, key).is_some();
    if (flags & NX != 0 && found) || (flags & XX != 0 && !found) {
        if flags & GET == 0 {
            match replies {
                Replies::OkNull => ctx.reply.null(),
                Replies::OneZero => ctx.reply.int(0),
            }
        }
        return;
    }
    let now = ctx.now.wall;
    let db = &mut ctx.dbs[ctx.db_index];
    db.set_str(key, val, flags & KEEPTTL != 0, now);
    if let Some(w) = when {
        db.set_expire(key, Some(w));
    }
    ctx.dirty += 1;
    ctx.notify(ev::STRING, "set", key);
    if when.is_some() {
        ctx.notify(ev::GENERIC, "expire", key);
    }
    if flags & GET == 0 {
        match replies {
            Replies::OkNull => ctx.reply.ok(),
            Replies::OneZero => ctx.reply.int(1),
        }
    }
}

/// GET key
pub(crate) fn get_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    get_generic(ctx, argv[1]);
}

/// SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL]
pub(crate) fn set_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some((flags, expire)) = parse_options(ctx, argv, 3, true) else {
        return;
    };
    set_generic(ctx, flags, argv[1], argv[2], expire, "set", Replies::OkNull);
}

/// SETNX key value
pub(crate) fn setnx_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    set_generic(ctx, NX, argv[1], argv[2], None, "setnx", Replies::OneZero);
}

/// SETEX key seconds value
pub(crate) fn setex_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    set_generic(
        ctx,
        EX,
        argv[1],
        argv[3],
        Some(argv[2]),
        "setex",
        Replies::OkNull,
    );
}

/// PSETEX key milliseconds value
pub(crate) fn psetex_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    set_generic(
        ctx,
        PX,
        argv[1],
        argv[3],
        Some(argv[2]),
        "psetex",
        Replies::OkNull,
    );
}

/// GETSET key value
pub(crate) fn getset_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if !get_generic(ctx, argv[1]) {
        return;
    }
    let now = ctx.now.wall;
    ctx.dbs[ctx.db_index].set_str(argv[1], argv[2], false, now);
    ctx.notify(ev::STRING, "set", argv[1]);
    ctx.dirty += 1;
}

/// GETDEL key
pub(crate) fn getdel_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if get_generic(ctx, argv[1]) && ctx.dbs[ctx.db_index].remove(argv[1]) {
        ctx.notify(ev::GENERIC, "del", argv[1]);
        ctx.dirty += 1;
    }
}

/// GETEX key [EX|PX|EXAT|PXAT t|PERSIST]
pub(crate) fn getex_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some((flags, expire)) = parse_options(ctx, argv, 2, false) else {
        return;
    };
    let key = argv[1];
    let Some(f) = lookup_read(ctx, key, 0) else {
        ctx.reply.null();
        return;
    };
    if value(&ctx.dbs[ctx.db_index], f).as_str().is_none() {
        ctx.reply.error(&ErrorReply::WrongType);
        return;
    }
    let when = match expire {
        Some(arg) => match expire_millis(ctx, arg, flags, "getex") {
            Some(w) => Some(w),
            None => return,
        },
        None => None,
    };
    let now = ctx.now.wall.0;
    // Ref: expire.c checkAlreadyExpired: a replica keeps the key with its past time.
    let delete_past = !ctx.replica && !ctx.from_master;
    let db = &mut ctx.dbs[ctx.db_index];
    if let ValueRef::Str(s, _) = value(db, f) {
        reply_str(&mut ctx.reply, s);
    }
    match when {
        Some(w) if flags & (EXAT | PXAT) != 0 && w <= now && delete_past => {
            db.remove(key);
            ctx.dirty += 1;
            ctx.notify(ev::GENERIC, "del", key);
        }
        Some(w) => {
            db.set_expire(key, Some(w));
            ctx.dirty += 1;
            ctx.notify(ev::GENERIC, "expire", key);
        }
        None if flags & PERSIST != 0 && db.expire_time(key).is_some() => {
            db.set_expire(key, None);
            ctx.dirty += 1;
            ctx.notify(ev::GENERIC, "persist", key);
        }
        None => {}
    }
}

/// MGET key [key ...]
pub(crate) fn mget_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    ctx.reply.array_len(argv.len() - 1);
    for key in &argv[1..] {
        match lookup_read(ctx, key, 0) {
            Some(f) => match value(&ctx.dbs[ctx.db_index], f) {
                ValueRef::Str(s, _) => reply_str(&mut ctx.reply, s),
                ValueRef::Obj(_) => ctx.reply.null(),
            },
            None => ctx.reply.null(),
        }
    }
}

fn mset_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], nx: bool) {
    if argv.len() % 2 == 0 {
        ctx.reply
            .error(&ErrorReply::WrongArity(super::cmd_name(argv)));
        return;
    }
    if nx {
        for pair in argv[1..].chunks(2) {
            if lookup_write(ctx, pair[0]).is_some() {
                ctx.reply.int(0);
                return;
            }
        }
    }
    let now = ctx.now.wall;
    for pair in argv[1..].chunks(2) {
        ctx.dbs[ctx.db_index].set_str(pair[0], pair[1], false, now);
        ctx.notify(ev::STRING, "set", pair[0]);
    }
    ctx.dirty += (argv.len() as u64 - 1) / 2;
    if nx {
        ctx.reply.int(1);
    } else {
        ctx.reply.ok();
    }
}

/// MSET key value [key value ...]
pub(crate) fn mset_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    mset_generic(ctx, argv, false);
}

/// MSETNX key value [key value ...]
pub(crate) fn msetnx_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    mset_generic(ctx, argv, true);
}

/// Redis's `checkStringLength`.
fn check_string_length(ctx: &mut Ctx<'_>, size: u64, append: u64) -> bool {
    if size.saturating_add(append) > PROTO_MAX_BULK_LEN {
        err(
            ctx,
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        );
        return false;
    }
    true
}

/// APPEND key value
pub(crate) fn append_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (key, add) = (argv[1], argv[2]);
    let now = ctx.now.wall;
    let total = match lookup_write(ctx, key) {
        None => {
            ctx.dbs[ctx.db_index].set_str(key, add, false, now);
            add.len()
        }
        Some(f) => {
            let Some(cur) = value(&ctx.dbs[ctx.db_index], f).as_str() else {
                ctx.reply.error(&ErrorReply::WrongType);
                return;
            };
            if !check_string_length(ctx, cur.len() as u64, add.len() as u64) {
                return;
            }
            match ctx.dbs[ctx.db_index].object_mut(key) {
                Some(Object::Str(v)) => {
                    v.extend_from_slice(add);
                    v.len()
                }
                _ => unreachable!("a string key gives a string object"),
            }
        }
    };
    ctx.dirty += 1;
    ctx.notify(ev::STRING, "append", key);
    ctx.reply.int(total as i64);
}

/// STRLEN key
pub(crate) fn strlen_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(f) = lookup_read(ctx, argv[1], 0) else {
        ctx.reply.int(0);
        return;
    };
    match value(&ctx.dbs[ctx.db_index], f) {
        ValueRef::Str(s, _) => ctx.reply.int(s.len() as i64),
        ValueRef::Obj(_) => ctx.reply.error(&ErrorReply::WrongType),
    }
}

/// GETRANGE key start end
pub(crate) fn getrange_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(mut start) = int_arg(ctx, argv[2]) else {
        return;
    };
    let Some(mut end) = int_arg(ctx, argv[3]) else {
        return;
    };
    let Some(f) = lookup_read(ctx, argv[1], 0) else {
        ctx.reply.bulk(b"");
        return;
    };
    let text;
    let s: &[u8] = match value(&ctx.dbs[ctx.db_index], f) {
        ValueRef::Str(StrRef::Bytes(b), _) => b,
        ValueRef::Str(StrRef::Int(n), _) => {
            text = n.to_string();
            text.as_bytes()
        }
        ValueRef::Obj(_) => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
    };
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        ctx.reply.bulk(b"");
        return;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        ctx.reply.bulk(b"");
    } else {
        ctx.reply.bulk(&s[start as usize..=end as usize]);
    }
}

/// SUBSTR key start end (GETRANGE's old name)
pub(crate) fn substr_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    getrange_command(ctx, argv);
}

/// SETRANGE key offset value
pub(crate) fn setrange_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (key, val) = (argv[1], argv[3]);
    let Some(offset) = int_arg(ctx, argv[2]) else {
        return;
    };
    if offset < 0 {
        err(ctx, "ERR offset is out of range");
        return;
    }
    let offset = offset as u64;
    let now = ctx.now.wall;
    match lookup_write(ctx, key) {
        None => {
            if val.is_empty() {
                ctx.reply.int(0);
                return;
            }
            if !check_string_length(ctx, offset, val.len() as u64) {
                return;
            }
            let mut v = vec![0u8; offset as usize + val.len()];
            v[offset as usize..].copy_from_slice(val);
            let len = v.len();
            ctx.dbs[ctx.db_index].insert_object(key, Object::Str(v), false, now);
            ctx.notify(ev::STRING, "setrange", key);
            ctx.dirty += 1;
            ctx.reply.int(len as i64);
        }
        Some(f) => {
            let Some(cur) = value(&ctx.dbs[ctx.db_index], f).as_str() else {
                ctx.reply.error(&ErrorReply::WrongType);
                return;
            };
            if val.is_empty() {
                ctx.reply.int(cur.len() as i64);
                return;
            }
            if !check_string_length(ctx, offset, val.len() as u64) {
                return;
            }
            let Some(Object::Str(v)) = ctx.dbs[ctx.db_index].object_mut(key) else {
                unreachable!("a string key gives a string object")
            };
            let end = offset as usize + val.len();
            if v.len() < end {
                v.resize(end, 0);
            }
            v[offset as usize..end].copy_from_slice(val);
            let len = v.len();
            ctx.notify(ev::STRING, "setrange", key);
            ctx.dirty += 1;
            ctx.reply.int(len as i64);
        }
    }
}
