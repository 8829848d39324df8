//! Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE,
//! SSCAN here; the multi-key algebra (SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms)
//! in `set_ops.rs`.
//!
//! Argument checks come in Redis's order (`t_set.c`): a bad count is reported before the key is
//! looked up, WRONGTYPE before anything about members.

#[path = "set_ops.rs"]
mod ops;

pub(crate) use ops::{
    sdiff_command, sdiffstore_command, sinter_command, sintercard_command, sintercard_keys,
    sinterstore_command, sunion_command, sunionstore_command,
};

use std::collections::BTreeSet;

use hashslot_resp::ErrorReply;

use super::hash::{object_mut, reply_empty_scan, scan_options};
use super::{err, ev, lookup_read, lookup_write, reply_str, value, Found};
use crate::glob::glob_match;
use crate::types::set::SetLimits;
use crate::util::{parse_cursor, parse_i64};
use crate::value::{Object, StrRef, ValueRef};
use crate::{Ctx, Db, Set};

/// The set encoding limit in force: the context's (`set-max-intset-entries`, from the node's
/// CONFIG).
pub(crate) fn limits(ctx: &Ctx<'_>) -> SetLimits {
    ctx.limits.set()
}

/// The set at a found key, or `None` when the key holds another type.
pub(crate) fn as_set(db: &Db, f: Found) -> Option<&Set> {
    match value(db, f) {
        ValueRef::Obj(Object::Set(s)) => Some(s),
        _ => None,
    }
}

fn set_mut(db: &mut Db, f: Found) -> &mut Set {
    match object_mut(db, f) {
        Object::Set(s) => s,
        _ => unreachable!("checked to be a set"),
    }
}

/// What a set lookup found.
pub(crate) enum Lookup {
    Missing,
    WrongType,
    Set(Found),
}

/// Look `key` up (`lookupKeyRead` or `lookupKeyWrite`) and check its type.
pub(crate) fn lookup_set(ctx: &mut Ctx<'_>, key: &[u8], write: bool) -> Lookup {
    let found = if write {
        lookup_write(ctx, key)
    } else {
        lookup_read(ctx, key, 0)
    };
    match found {
        None => Lookup::Missing,
        Some(f) if as_set(&ctx.dbs[ctx.db_index], f).is_some() => Lookup::Set(f),
        Some(_) => Lookup::WrongType,
    }
}

/// The set, or `None` after replying `on_missing` or WRONGTYPE.
fn found_or_reply(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    write: bool,
    on_missing: fn(&mut Ctx<'_>),
) -> Option<Found> {
    match lookup_set(ctx, key, write) {
        Lookup::Set(f) => Some(f),
        Lookup::Missing => {
            on_missing(ctx);
            None
        }
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            None
        }
    }
}

fn the_set<'c>(ctx: &'c Ctx<'_>, f: Found) -> &'c Set {
    as_set(&ctx.dbs[ctx.db_index], f).expect("set")
}

fn reply_zero(ctx: &mut Ctx<'_>) {
    ctx.reply.int(0);
}

fn reply_null(ctx: &mut Ctx<'_>) {
    ctx.reply.null();
}

fn reply_empty_set(ctx: &mut Ctx<'_>) {
    ctx.reply.set_len(0);
}

fn reply_empty_array(ctx: &mut Ctx<'_>) {
    ctx.reply.array_len(0);
}

/// Store a new set under `key` (a missing key), created as Redis's `setTypeCreate` would for
/// its first member.
fn create_set(ctx: &mut Ctx<'_>, key: &[u8], first: &[u8], hint: usize) -> Found {
    let now = ctx.now.wall;
    let db = &mut ctx.dbs[ctx.db_index];
    let set = Set::for_first_member(first, hint, db.hasher);
    db.insert_object(key, Object::Set(set), false, now);
    let (loc, pos) = db.find(key).expect("just inserted");
    Found { loc, pos }
}

/// SADD key member [member ...]
pub(crate) fn sadd_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let f = match lookup_set(ctx, argv[1], true) {
        Lookup::Set(f) => f,
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Missing => create_set(ctx, argv[1], argv[2], argv.len() - 2),
    };
    let lim = limits(ctx);
    let db = &mut ctx.dbs[ctx.db_index];
    let hasher = db.hasher;
    let s = set_mut(db, f);
    let mut added = 0;
    for m in &argv[2..] {
        added += i64::from(s.add_with(m, &lim, hasher));
    }
    ctx.dirty += added as u64;
    if added > 0 {
        ctx.notify(ev::SET, "sadd", argv[1]);
    }
    ctx.reply.int(added);
}

/// SREM key member [member ...]
pub(crate) fn srem_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(f) = found_or_reply(ctx, argv[1], true, reply_zero) else {
        return;
    };
    let db = &mut ctx.dbs[ctx.db_index];
    let s = set_mut(db, f);
    let mut deleted = 0;
    for m in &argv[2..] {
        if s.remove(m) {
            deleted += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    let emptied = s.is_empty();
    if emptied {
        db.delete_at(f.loc, f.pos);
    }
    if deleted > 0 {
        ctx.notify(ev::SET, "srem", argv[1]);
        if emptied {
            ctx.notify(ev::GENERIC, "del", argv[1]);
        }
    }
    ctx.dirty += deleted as u64;
    ctx.reply.int(deleted);
}

/// SMEMBERS key (Redis runs it as a one-key SINTER: a set reply in the set's order).
pub(crate) fn smembers_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(f) = found_or_reply(ctx, argv[1], false, reply_empty_set) else {
        return;
    };
    let s = as_set(&ctx.dbs[ctx.db_index], f).expect("set");
    ctx.reply.set_len(s.len());
    for m in s.iter() {
        reply_str(&mut ctx.reply, m);
    }
}

/// SISMEMBER key member
pub(crate) fn sismember_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if let Some(f) = found_or_reply(ctx, argv[1], false, reply_zero) {
        let yes = the_set(ctx, f).contains(argv[2]);
        ctx.reply.int(i64::from(yes));
    }
}

/// SMISMEMBER key member [member ...]
pub(crate) fn smismember_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let s = match lookup_set(ctx, argv[1], false) {
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Missing => None,
        Lookup::Set(f) => as_set(&ctx.dbs[ctx.db_index], f),
    };
    ctx.reply.array_len(argv.len() - 2);
    for m in &argv[2..] {
        ctx.reply.int(i64::from(s.is_some_and(|s| s.contains(m))));
    }
}

/// SCARD key
pub(crate) fn scard_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if let Some(f) = found_or_reply(ctx, argv[1], false, reply_zero) {
        let n = the_set(ctx, f).len();
        ctx.reply.int(n as i64);
    }
}

/// SPOP key [count]
pub(crate) fn spop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if argv.len() > 3 {
        ctx.reply.error(&ErrorReply::Syntax);
        return;
    }
    if argv.len() == 2 {
        let Some(f) = found_or_reply(ctx, argv[1], true, reply_null) else {
            return;
        };
        let db = &mut ctx.dbs[ctx.db_index];
        let s = set_mut(db, f);
        let m = s.pop_random(ctx.rng).expect("non-empty set");
        let emptied = s.is_empty();
        if emptied {
            db.delete_at(f.loc, f.pos);
        }
        ctx.notify(ev::SET, "spop", argv[1]);
        if emptied {
            ctx.notify(ev::GENERIC, "del", argv[1]);
        }
        ctx.dirty += 1;
        ctx.reply.bulk(&m);
        return;
    }
    let Some(count) = parse_i64(argv[2]).filter(|&c| c >= 0) else {
        err(ctx, "ERR value is out of range, must be positive");
        return;
    };
    let Some(f) = found_or_reply(ctx, argv[1], true, reply_empty_set) else {
        return;
    };
    if count == 0 {
        ctx.reply.set_len(0);
        return;
    }
    let db = &mut ctx.dbs[ctx.db_index];
    let size = set_mut(db, f).len();
    if count as u64 >= size as u64 {
        // The whole set: reply it in its order and delete the key.
        let (_, obj) = db.take_at(f.loc, f.pos);
        let Some(Object::Set(s)) = obj else {
            unreachable!("checked to be a set");
        };
        ctx.reply.set_len(s.len());
        for m in s.iter() {
            reply_str(&mut ctx.reply, m);
        }
        ctx.dirty += size as u64;
        ctx.notify(ev::SET, "spop", argv[1]);
        ctx.notify(ev::GENERIC, "del", argv[1]);
        return;
    }
    let s = set_mut(db, f);
    ctx.reply.set_len(count as usize);
    for _ in 0..count {
        let m = s.pop_random(ctx.rng).expect("count < size");
        ctx.reply.bulk(&m);
    }
    ctx.dirty += count as u64;
    ctx.notify(ev::SET, "spop", argv[1]);
}

/// Redis's `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`: SRANDMEMBER's and
/// HRANDFIELD's count.
pub(crate) fn rand_count_arg(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<i64> {
    match parse_i64(arg) {
        None => {
            ctx.reply.error(&ErrorReply::NotInteger);
            None
        }
        Some(i64::MIN) => {
            err(
                ctx,
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            );
            None
        }
        Some(n) => Some(n),
    }
}

/// SRANDMEMBER key [count]
pub(crate) fn srandmember_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if argv.len() > 3 {
        ctx.reply.error(&ErrorReply::Syntax);
        return;
    }
    if argv.len() == 2 {
        let Some(f) = found_or_reply(ctx, argv[1], false, reply_null) else {
            return;
        };
        let s = as_set(&ctx.dbs[ctx.db_index], f).expect("set");
        let m = s.member_at(s.random_pos(ctx.rng));
        reply_str(&mut ctx.reply, m);
        return;
    }
    let Some(l) = rand_count_arg(ctx, argv[2]) else {
        return;
    };
    let Some(f) = found_or_reply(ctx, argv[1], false, reply_empty_array) else {
        return;
    };
    let s = as_set(&ctx.dbs[ctx.db_index], f).expect("set");
    let (count, size) = (l.unsigned_abs(), s.len() as u64);
    if l < 0 || count == 1 {
        ctx.reply.array_len(count as usize);
        for _ in 0..count {
            reply_str(&mut ctx.reply, s.member_at(s.random_pos(ctx.rng)));
        }
    } else if count >= size {
        ctx.reply.array_len(size as usize);
        for m in s.iter() {
            reply_str(&mut ctx.reply, m);
        }
    } else if count * 3 > size {
        // Many of them: a partial Fisher-Yates shuffle of all members.
        let mut all: Vec<StrRef<'_>> = s.iter().collect();
        let count = count as usize;
        for i in 0..count {
            let j = i + ctx.rng.below((all.len() - i) as u64) as usize;
            all.swap(i, j);
        }
        ctx.reply.array_len(count);
        for &m in &all[..count] {
            reply_str(&mut ctx.reply, m);
        }
    } else {
        // Few of them: draw positions until `count` distinct ones.
        let mut picked = BTreeSet::new();
        ctx.reply.array_len(count as usize);
        while (picked.len() as u64) < count {
            let pos = s.random_pos(ctx.rng);
            if picked.insert(pos) {
                reply_str(&mut ctx.reply, s.member_at(pos));
            }
        }
    }
}

/// SMOVE source destination member
pub(crate) fn smove_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (src, dst, member) = (argv[1], argv[2], argv[3]);
    let src_f = lookup_set(ctx, src, true);
    let dst_f = lookup_set(ctx, dst, true);
    let src_f = match src_f {
        Lookup::Missing => {
            ctx.reply.int(0);
            return;
        }
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Set(f) => f,
    };
    if let Lookup::WrongType = dst_f {
        ctx.reply.error(&ErrorReply::WrongType);
        return;
    }
    if src == dst {
        let yes = the_set(ctx, src_f).contains(member);
        ctx.reply.int(i64::from(yes));
        return;
    }
    let db = &mut ctx.dbs[ctx.db_index];
    let s = set_mut(db, src_f);
    if !s.remove(member) {
        ctx.reply.int(0);
        return;
    }
    let emptied = s.is_empty();
    if emptied {
        db.delete_at(src_f.loc, src_f.pos);
    }
    ctx.notify(ev::SET, "srem", src);
    if emptied {
        ctx.notify(ev::GENERIC, "del", src);
    }
    // The source's deletion may have moved entries: find the destination again.
    let dst_f = match ctx.dbs[ctx.db_index].find(dst) {
        Some((loc, pos)) => Found { loc, pos },
        None => create_set(ctx, dst, member, 1),
    };
    let lim = limits(ctx);
    let db = &mut ctx.dbs[ctx.db_index];
    let hasher = db.hasher;
    if set_mut(db, dst_f).add_with(member, &lim, hasher) {
        ctx.notify(ev::SET, "sadd", dst);
    }
    ctx.dirty += 1;
    ctx.reply.int(1);
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub(crate) fn sscan_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(cursor) = parse_cursor(argv[2]) else {
        err(ctx, "ERR invalid cursor");
        return;
    };
    let Some(f) = found_or_reply(ctx, argv[1], false, reply_empty_scan) else {
        return;
    };
    let Some((count, pattern)) = scan_options(ctx, argv) else {
        return;
    };
    let s = as_set(&ctx.dbs[ctx.db_index], f).expect("set");
    let mut items: Vec<StrRef<'_>> = Vec::new();
    let next = s.scan(cursor, count, |m| items.push(m));
    if let Some(p) = pattern {
        items.retain(|m| match m {
            StrRef::Bytes(b) => glob_match(p, b, false),
            StrRef::Int(_) => glob_match(p, &m.to_vec(), false),
        });
    }
    ctx.reply.array_len(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array_len(items.len());
    for m in items {
        reply_str(&mut ctx.reply, m);
    }
}
