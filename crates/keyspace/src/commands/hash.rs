//! Hash commands: HSET, HSETNX, HGET, HMSET, HMGET, HDEL, HEXISTS, HLEN, HKEYS, HVALS, HGETALL,
//! HINCRBY, HINCRBYFLOAT, HSTRLEN, HRANDFIELD, HSCAN.
//!
//! Argument checks come in Redis's order (`t_hash.c`): a bad number argument is reported before
//! the key is looked up, WRONGTYPE before anything about fields.

use hashslot_resp::{ErrorReply, Proto};

use super::{cmd_name, err, ev, int_arg, lookup_read, lookup_write, value, Found};
use crate::entry;
use crate::glob::glob_match;
use crate::ld::Ld;
use crate::types::hash::HashLimits;
use crate::util::{parse_cursor, parse_i64};
use crate::value::{Object, ValueRef};
use crate::{Ctx, Db, Hash};

/// The hash encoding limits in force: the context's (`hash-max-listpack-entries`,
/// `hash-max-listpack-value`, from the node's CONFIG).
pub(crate) fn limits(ctx: &Ctx<'_>) -> HashLimits {
    ctx.limits.hash()
}

/// The hash at a found key, or `None` when the key holds another type.
pub(crate) fn as_hash(db: &Db, f: Found) -> Option<&Hash> {
    match value(db, f) {
        ValueRef::Obj(Object::Hash(h)) => Some(h),
        _ => None,
    }
}

/// The object at a found key, mutably (the key must hold an object).
pub(crate) fn object_mut(db: &mut Db, f: Found) -> &mut Object {
    let i = entry::obj_index(entry::payload(db.entry_at(f.loc, f.pos)));
    db.object_at_mut(i)
}

fn hash_mut(db: &mut Db, f: Found) -> &mut Hash {
    match object_mut(db, f) {
        Object::Hash(h) => h,
        _ => unreachable!("checked to be a hash"),
    }
}

/// What a hash lookup found.
enum Lookup {
    Missing,
    WrongType,
    Hash(Found),
}

fn lookup_hash(ctx: &mut Ctx<'_>, key: &[u8], write: bool) -> Lookup {
    let found = if write {
        lookup_write(ctx, key)
    } else {
        lookup_read(ctx, key, 0)
    };
    match found {
        None => Lookup::Missing,
        Some(f) if as_hash(&ctx.dbs[ctx.db_index], f).is_some() => Lookup::Hash(f),
        Some(_) => Lookup::WrongType,
    }
}

/// Redis's `lookupKeyReadOrReply` + `checkType`: the hash, or `None` after replying
/// `on_missing` (or WRONGTYPE).
fn read_or_reply(ctx: &mut Ctx<'_>, key: &[u8], on_missing: fn(&mut Ctx<'_>)) -> Option<Found> {
    match lookup_hash(ctx, key, false) {
        Lookup::Hash(f) => Some(f),
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

/// Redis's `hashTypeLookupWriteOrCreate`: the hash, created empty when missing, or `None` after
/// a WRONGTYPE reply. An empty hash never outlives the command that creates it.
fn write_or_create(ctx: &mut Ctx<'_>, key: &[u8]) -> Option<Found> {
    match lookup_hash(ctx, key, true) {
        Lookup::Hash(f) => Some(f),
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            None
        }
        Lookup::Missing => {
            let now = ctx.now.wall;
            let db = &mut ctx.dbs[ctx.db_index];
            db.insert_object(key, Object::Hash(Hash::new()), false, now);
            let (loc, pos) = db.find(key).expect("just inserted");
            Some(Found { loc, pos })
        }
    }
}

fn reply_null(ctx: &mut Ctx<'_>) {
    ctx.reply.null();
}

fn reply_zero(ctx: &mut Ctx<'_>) {
    ctx.reply.int(0);
}

fn reply_empty_array(ctx: &mut Ctx<'_>) {
    ctx.reply.array_len(0);
}

fn hset_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], ok_reply: bool) {
    if argv.len() % 2 == 1 {
        ctx.reply.error(&ErrorReply::WrongArity(cmd_name(argv)));
        return;
    }
    let Some(f) = write_or_create(ctx, argv[1]) else {
        return;
    };
    let lim = limits(ctx);
    let db = &mut ctx.dbs[ctx.db_index];
    let hasher = db.hasher;
    let h = hash_mut(db, f);
    h.convert_for_lengths(argv[2..].iter().copied(), &lim, hasher);
    let mut created = 0;
    for pair in argv[2..].chunks_exact(2) {
        created += i64::from(h.set_with(pair[0], pair[1], &lim, hasher));
    }
    ctx.dirty += (argv.len() as u64 - 2) / 2;
    ctx.notify(ev::HASH, "hset", argv[1]);
    if ok_reply {
        ctx.reply.ok();
    } else {
        ctx.reply.int(created);
    }
}

/// HSET key field value [field value ...]
pub(crate) fn hset_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    hset_generic(ctx, argv, false);
}

/// HMSET key field value [field value ...]
pub(crate) fn hmset_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    hset_generic(ctx, argv, true);
}

/// HSETNX key field value
pub(crate) fn hsetnx_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(f) = write_or_create(ctx, argv[1]) else {
        return;
    };
    let lim = limits(ctx);
    let db = &mut ctx.dbs[ctx.db_index];
    let hasher = db.hasher;
    let h = hash_mut(db, f);
    if h.get(argv[2]).is_some() {
        ctx.reply.int(0);
        return;
    }
    h.convert_for_lengths([argv[2], argv[3]], &lim, hasher);
    h.set_with(argv[2], argv[3], &lim, hasher);
    ctx.dirty += 1;
    ctx.reply.int(1);
    ctx.notify(ev::HASH, "hset", argv[1]);
}

/// HGET key field
pub(crate) fn hget_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(f) = read_or_reply(ctx, argv[1], reply_null) else {
        return;
    };
    let h = as_hash(&ctx.dbs[ctx.db_index], f).expect("hash");
    match h.get(argv[2]) {
        Some(v) => ctx.reply.bulk(v),
        None => ctx.reply.null(),
    }
}

/// HMGET key field [field ...]
pub(crate) fn hmget_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let h = match lookup_hash(ctx, argv[1], false) {
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Missing => None,
        Lookup::Hash(f) => as_hash(&ctx.dbs[ctx.db_index], f),
    };
    ctx.reply.array_len(argv.len() - 2);
    for field in &argv[2..] {
        match h.and_then(|h| h.get(field)) {
            Some(v) => ctx.reply.bulk(v),
            None => ctx.reply.null(),
        }
    }
}

/// HDEL key field [field ...]
pub(crate) fn hdel_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let f = match lookup_hash(ctx, argv[1], true) {
        Lookup::Missing => {
            ctx.reply.int(0);
            return;
        }
        Lookup::WrongType => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
        Lookup::Hash(f) => f,
    };
    let db = &mut ctx.dbs[ctx.db_index];
    let h = hash_mut(db, f);
    let mut deleted = 0;
    for field in &argv[2..] {
        if h.remove(field) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let emptied = h.is_empty();
    if emptied {
        db.delete_at(f.loc, f.pos);
    }
    if deleted > 0 {
        ctx.notify(ev::HASH, "hdel", argv[1]);
        if emptied {
            ctx.notify(ev::GENERIC, "del", argv[1]);
        }
    }
    ctx.dirty += deleted;
    ctx.reply.int(deleted as i64);
}

/// HLEN key
pub(crate) fn hlen_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if let Some(f) = read_or_reply(ctx, argv[1], reply_zero) {
        let n = as_hash(&ctx.dbs[ctx.db_index], f).expect("hash").len();
        ctx.reply.int(n as i64);
    }
}

/// HSTRLEN key field
pub(crate) fn hstrlen_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if let Some(f) = read_or_reply(ctx, argv[1], reply_zero) {
        let h = as_hash(&ctx.dbs[ctx.db_index], f).expect("hash");
        let n = h.get(argv[2]).map_or(0, <[u8]>::len);
        ctx.reply.int(n as i64);
    }
}

/// HEXISTS key field
pub(crate) fn hexists_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if let Some(f) = read_or_reply(ctx, argv[1], reply_zero) {
        let h = as_hash(&ctx.dbs[ctx.db_index], f).expect("hash");
        let n = h.get(argv[2]).is_some();
        ctx.reply.int(i64::from(n));
    }
}

#[derive(Clone, Copy, PartialEq)]
enum What {
    Keys,
    Vals,
    All,
}

fn getall_generic(ctx: &mut Ctx<'_>, key: &[u8], what: What) {
    let on_missing: fn(&mut Ctx<'_>) = if what == What::All {
        |ctx| ctx.reply.map_len(0)
    } else {
        reply_empty_array
    };
    let Some(f) = read_or_reply(ctx, key, on_missing) else {
        return;
    };
    let h = as_hash(&ctx.dbs[ctx.db_index], f).expect("hash");
    let n = h.len();
    match what {
        What::All => ctx.reply.map_len(n),
        _ => ctx.reply.array_len(n),
    }
    for (k, v) in h.iter() {
        if what != What::Vals {
            ctx.reply.bulk(k);
        }
        if what != What::Keys {
            ctx.reply.bulk(v);
        }
    }
}

/// HKEYS key
pub(crate) fn hkeys_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    getall_generic(ctx, argv[1], What::Keys);
}

/// HVALS key
pub(crate) fn hvals_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    getall_generic(ctx, argv[1], What::Vals);
}

/// HGETALL key
pub(crate) fn hgetall_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    getall_generic(ctx, argv[1], What::All);
}

/// HINCRBY key field increment
pub(crate) fn hincrby_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(incr) = int_arg(ctx, argv[3]) else {
        return;
    };
    let Some(f) = write_or_create(ctx, argv[1]) else {
        return;
    };
    let lim = limits(ctx);
    let db = &mut ctx.dbs[ctx.db_index];
    let hasher = db.hasher;
    let h = hash_mut(db, f);
    let current = match h.get(argv[2]) {
        None => 0,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => {
                err(ctx, "ERR hash value is not an integer");
                return;
            }
        },
    };
    let Some(new) = current.checked_add(incr) else {
        ctx.reply.error(&ErrorReply::Overflow);
        return;
    };
    h.set_with(argv[2], new.to_string().as_bytes(), &lim, hasher);
    ctx.dirty += 1;
    ctx.reply.int(new);
    ctx.notify(ev::HASH, "hincrby", argv[1]);
}

/// HINCRBYFLOAT key field increment: long double arithmetic and formatting, as INCRBYFLOAT.
pub(crate) fn hincrbyfloat_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let incr = match Ld::parse(argv[3]) {
        Err(()) => {
            ctx.reply.error(&ErrorReply::NotFloat);
            return;
        }
        Ok(None) => {
            err(ctx, "ERR value is NaN or Infinity");
            return;
        }
        Ok(Some(v)) => v,
    };
    let Some(f) = write_or_create(ctx, argv[1]) else {
        return;
    };
    let lim = limits(ctx);
    let db = &mut ctx.dbs[ctx.db_index];
    let hasher = db.hasher;
    let h = hash_mut(db, f);
    // `None` stands for an infinite current value, whose sum is refused below.
    let current = match h.get(argv[2]) {
        None => Some(Ld::from_i64(0)),
        Some(v) => match Ld::parse(v) {
            Ok(c) => c,
            Err(()) => {
                err(ctx, "ERR hash value is not a float");
                return;
            }
        },
    };
    let Some(sum) = current.and_then(|c| c.add(incr)) else {
        err(ctx, "ERR increment would produce NaN or Infinity");
        return;
    };
    let text = sum.format_human();
    h.set_with(argv[2], &text, &lim, hasher);
    ctx.dirty += 1;
    ctx.reply.bulk(&text);
    ctx.notify(ev::HASH, "hincrbyfloat", argv[1]);
}

/// HRANDFIELD key [count [WITHVALUES]]
pub(crate) fn hrandfield_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if argv.len() == 2 {
        let Some(f) = read_or_reply(ctx, argv[1], reply_null) else {
            return;
        };
        let h = as_hash(&ctx.dbs[ctx.db_index], f).expect("hash");
        let (k, _) = h.random_pair(ctx.rng).expect("non-empty hash");
        ctx.reply.bulk(k);
        return;
    }
    let Some(l) = parse_i64(argv[2]) else {
        ctx.reply.error(&ErrorReply::NotInteger);
        return;
    };
    if l == i64::MIN {
        err(
            ctx,
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        );
        return;
    }
    let withvalues = match argv.len() {
        3 => false,
        4 if argv[3].eq_ignore_ascii_case(b"withvalues") => true,
        _ => {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
    };
    if l < 0 && withvalues && l.unsigned_abs() > (i64::MAX / 2) as u64 {
        err(ctx, "ERR value is out of range");
        return;
    }
    let Some(f) = read_or_reply(ctx, argv[1], reply_empty_array) else {
        return;
    };
    let h = as_hash(&ctx.dbs[ctx.db_index], f).expect("hash");
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    if count == 0 {
        ctx.reply.array_len(0);
        return;
    }
    let resp3_pairs = withvalues && ctx.reply.proto() == Proto::Resp3;
    let emit = |reply: &mut hashslot_resp::Reply<'_>, k: &[u8], v: &[u8]| {
        if resp3_pairs {
            reply.array_len(2);
        }
        reply.bulk(k);
        if withvalues {
            reply.bulk(v);
        }
    };
    let per = if withvalues && !resp3_pairs { 2 } else { 1 };
    let size = h.len() as u64;
    if !uniq || count == 1 {
        // With repeats: independent draws.
        ctx.reply.array_len((count * per) as usize);
        for _ in 0..count {
            let (k, v) = h.random_pair(ctx.rng).expect("non-empty hash");
            emit(&mut ctx.reply, k, v);
        }
        return;
    }
    if count >= size {
        // The whole hash, in its own order.
        ctx.reply.array_len((size * per) as usize);
        for (k, v) in h.iter() {
            emit(&mut ctx.reply, k, v);
        }
        return;
    }
    // Distinct: a partial Fisher-Yates shuffle of the pairs.
    let mut pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
    let count = count as usize;
    for i in 0..count {
        let j = i + ctx.rng.below((pairs.len() - i) as u64) as usize;
        pairs.swap(i, j);
    }
    ctx.reply.array_len(count * per as usize);
    for &(k, v) in &pairs[..count] {
        emit(&mut ctx.reply, k, v);
    }
}

/// The options of HSCAN/SSCAN/ZSCAN after the cursor: `(count, pattern)`, or `None` after an
/// error reply. Redis parses them only once the key is known to exist with the right type.
pub(crate) fn scan_options<'a>(
    ctx: &mut Ctx<'_>,
    argv: &[&'a [u8]],
) -> Option<(usize, Option<&'a [u8]>)> {
    let (mut count, mut pattern) = (10usize, None);
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if argv[i].eq_ignore_ascii_case(b"count") && more {
            let c = int_arg(ctx, argv[i + 1])?;
            if c < 1 {
                ctx.reply.error(&ErrorReply::Syntax);
                return None;
            }
            count = c as usize;
        } else if argv[i].eq_ignore_ascii_case(b"match") && more {
            pattern = (argv[i + 1] != b"*").then_some(argv[i + 1]);
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return None;
        }
        i += 2;
    }
    Some((count, pattern))
}

/// The empty scan reply: cursor 0, no elements.
pub(crate) fn reply_empty_scan(ctx: &mut Ctx<'_>) {
    ctx.reply.array_len(2);
    ctx.reply.bulk(b"0");
    ctx.reply.array_len(0);
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub(crate) fn hscan_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(cursor) = parse_cursor(argv[2]) else {
        err(ctx, "ERR invalid cursor");
        return;
    };
    let Some(f) = read_or_reply(ctx, argv[1], reply_empty_scan) else {
        return;
    };
    let Some((count, pattern)) = scan_options(ctx, argv) else {
        return;
    };
    let h = as_hash(&ctx.dbs[ctx.db_index], f).expect("hash");
    let mut items: Vec<&[u8]> = Vec::new();
    let next = h.scan(cursor, count, |k, v| {
        if pattern.map_or(true, |p| glob_match(p, k, false)) {
            items.push(k);
            items.push(v);
        }
    });
    ctx.reply.array_len(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array_len(items.len());
    for i in items {
        ctx.reply.bulk(i);
    }
}
