//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT,
//! LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH; the blocking ones and LMPOP are in `list_block.rs`.
//!
//! Each follows Redis 7.0.15's `t_list.c` in the order it parses arguments, looks keys up
//! (`lookupKeyRead` counts hits and misses, `lookupKeyWrite` does not) and checks types, because
//! that order decides which error a malformed call gets. A list left empty is deleted.

use hashslot_resp::{ErrorReply, Reply};

use super::{eq_ic, err, ev, int_arg, lookup_read, lookup_write, reply_str, Found};
use crate::entry::{self, KIND_OBJ};
use crate::types::list::elem_eq;
use crate::util::parse_i64;
use crate::value::Object;
use crate::{Ctx, Db, List};

#[path = "list_block.rs"]
pub(crate) mod block;

pub use block::timeout_reply;
pub(crate) use block::{
    blmove_command, blmpop_command, blmpop_keys, blpop_command, brpop_command, brpoplpush_command,
    lmpop_command, lmpop_keys,
};

impl Db {
    /// The list under a found key, `None` when it holds another type.
    pub(crate) fn list_at(&self, f: Found) -> Option<&List> {
        let e = self.entry_at(f.loc, f.pos);
        if entry::kind(e) != KIND_OBJ {
            return None;
        }
        match self.objects[entry::obj_index(entry::payload(e)) as usize].as_ref() {
            Some(Object::List(l)) => Some(l),
            _ => None,
        }
    }

    /// The list under a found key that [`Db::list_at`] said is a list.
    pub(crate) fn list_at_mut(&mut self, f: Found) -> &mut List {
        let i = entry::obj_index(entry::payload(self.entry_at(f.loc, f.pos)));
        match self.object_at_mut(i) {
            Object::List(l) => l,
            _ => unreachable!("checked to be a list"),
        }
    }

    /// Delete `key` if it holds an empty list (Redis never keeps one).
    pub(crate) fn remove_if_empty_list(&mut self, key: &[u8]) -> bool {
        let Some((loc, pos)) = self.find(key) else {
            return false;
        };
        let f = Found { loc, pos };
        if self.list_at(f).is_some_and(List::is_empty) {
            self.delete_at(loc, pos);
            return true;
        }
        false
    }
}

/// What a lookup of a key that should hold a list found.
#[derive(Clone, Copy)]
pub(crate) enum Got {
    /// No such key (or it expired).
    Missing,
    /// A list.
    List(Found),
    /// Another type.
    WrongType,
}

/// Look `key` up for writing (`lookupKeyWrite`) or reading (`lookupKeyRead`) and check its type.
pub(crate) fn get_list(ctx: &mut Ctx<'_>, key: &[u8], write: bool) -> Got {
    let f = if write {
        lookup_write(ctx, key)
    } else {
        lookup_read(ctx, key, 0)
    };
    match f {
        None => Got::Missing,
        Some(f) if ctx.dbs[ctx.db_index].list_at(f).is_some() => Got::List(f),
        Some(_) => Got::WrongType,
    }
}

fn wrongtype(ctx: &mut Ctx<'_>) {
    ctx.reply.error(&ErrorReply::WrongType);
}

/// The list of a key known to hold one.
fn list<'a>(ctx: &'a Ctx<'_>, f: Found) -> &'a List {
    ctx.dbs[ctx.db_index].list_at(f).expect("a list")
}

fn list_mut<'a>(ctx: &'a mut Ctx<'_>, f: Found) -> &'a mut List {
    ctx.dbs[ctx.db_index].list_at_mut(f)
}

/// `LEFT` → head, `RIGHT` → tail (`getListPositionFromObjectOrReply`); `None` after a syntax
/// error reply.
pub(crate) fn parse_where(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<bool> {
    if eq_ic(arg, b"right") {
        Some(false)
    } else if eq_ic(arg, b"left") {
        Some(true)
    } else {
        ctx.reply.error(&ErrorReply::Syntax);
        None
    }
}

/// Write elements `start..end` of a list as an array, reversed if `rev`.
fn reply_range(reply: &mut Reply<'_>, l: &List, start: usize, end: usize, rev: bool) {
    reply.array_len(end - start);
    if rev {
        for e in l.range(start, end).rev() {
            reply_str(reply, e);
        }
    } else {
        for e in l.range(start, end) {
            reply_str(reply, e);
        }
    }
}

/// Pop `count` elements (at most the length) from one end, replying with them as an array
/// (`listPopRangeAndReplyWithKey` when `with_key`), and delete the key if emptied. Returns how
/// many were popped.
pub(crate) fn pop_range_reply(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    f: Found,
    front: bool,
    count: usize,
    with_key: bool,
) -> usize {
    let db = &ctx.dbs[ctx.db_index];
    let l = db.list_at(f).expect("a list");
    let n = count.min(l.len());
    if with_key {
        ctx.reply.array_len(2);
        ctx.reply.bulk(key);
    }
    if front {
        reply_range(&mut ctx.reply, l, 0, n, false);
    } else {
        reply_range(&mut ctx.reply, l, l.len() - n, l.len(), true);
    }
    let l = list_mut(ctx, f);
    if front {
        l.remove_front(n);
    } else {
        l.remove_back(n);
    }
    let emptied = l.is_empty();
    if emptied {
        ctx.dbs[ctx.db_index].delete_at(f.loc, f.pos);
    }
    ctx.notify(ev::LIST, if front { "lpop" } else { "rpop" }, key);
    if emptied {
        ctx.notify(ev::GENERIC, "del", key);
    }
    ctx.dirty += n as u64;
    n
}

/// Pop one element from one end and return it, deleting the key if emptied.
pub(crate) fn pop_one(ctx: &mut Ctx<'_>, key: &[u8], f: Found, front: bool) -> Vec<u8> {
    let l = list_mut(ctx, f);
    let v = if front { l.pop_front() } else { l.pop_back() }.expect("non-empty list");
    let emptied = l.is_empty();
    if emptied {
        ctx.dbs[ctx.db_index].delete_at(f.loc, f.pos);
    }
    ctx.notify(ev::LIST, if front { "lpop" } else { "rpop" }, key);
    if emptied {
        ctx.notify(ev::GENERIC, "del", key);
    }
    ctx.dirty += 1;
    v
}

/// Redis's `pushGenericCommand`: `xx` for LPUSHX/RPUSHX.
fn push_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], front: bool, xx: bool) {
    let (key, vals) = (argv[1], &argv[2..]);
    let len = match get_list(ctx, key, true) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing if xx => return ctx.reply.int(0),
        Got::Missing => {
            let mut l = List::new();
            l.push_all(vals, front);
            let len = l.len();
            let now = ctx.now.wall;
            ctx.db().insert_object(key, Object::List(l), false, now);
            len
        }
        Got::List(f) => {
            let l = list_mut(ctx, f);
            l.push_all(vals, front);
            l.len()
        }
    };
    ctx.dirty += vals.len() as u64;
    ctx.reply.int(len as i64);
    ctx.notify(ev::LIST, if front { "lpush" } else { "rpush" }, key);
}

/// LPUSH key element [element ...]
pub(crate) fn lpush_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    push_generic(ctx, argv, true, false);
}

/// RPUSH key element [element ...]
pub(crate) fn rpush_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    push_generic(ctx, argv, false, false);
}

/// LPUSHX key element [element ...]
pub(crate) fn lpushx_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    push_generic(ctx, argv, true, true);
}

/// RPUSHX key element [element ...]
pub(crate) fn rpushx_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    push_generic(ctx, argv, false, true);
}

/// Redis's `getPositiveLongFromObjectOrReply` without a custom message: its default message
/// covers both a non-integer and a negative value.
fn positive_arg(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<i64> {
    positive_arg_msg(ctx, arg, "ERR value is out of range, must be positive")
}

/// Redis's `popGenericCommand` (LPOP/RPOP key [count]).
fn pop_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], front: bool) {
    if argv.len() > 3 {
        let name = super::cmd_name(argv);
        ctx.reply.error(&ErrorReply::WrongArity(name));
        return;
    }
    let count = match argv.get(2) {
        Some(arg) => match positive_arg(ctx, arg) {
            Some(c) => Some(c as usize),
            None => return,
        },
        None => None,
    };
    let key = argv[1];
    let f = match get_list(ctx, key, true) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing if count.is_some() => return ctx.reply.null_array(),
        Got::Missing => return ctx.reply.null(),
        Got::List(f) => f,
    };
    match count {
        Some(0) => ctx.reply.array_len(0),
        Some(n) => {
            pop_range_reply(ctx, key, f, front, n, false);
        }
        None => {
            let v = pop_one(ctx, key, f, front);
            ctx.reply.bulk(&v);
        }
    }
}

/// LPOP key [count]
pub(crate) fn lpop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    pop_generic(ctx, argv, true);
}

/// RPOP key [count]
pub(crate) fn rpop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    pop_generic(ctx, argv, false);
}

/// LLEN key
pub(crate) fn llen_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    match get_list(ctx, argv[1], false) {
        Got::WrongType => wrongtype(ctx),
        Got::Missing => ctx.reply.int(0),
        Got::List(f) => {
            let n = list(ctx, f).len();
            ctx.reply.int(n as i64);
        }
    }
}

/// A LINDEX/LSET index resolved against `len` (negative counts from the tail).
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 {
        index.checked_add(len as i64)?
    } else {
        index
    };
    usize::try_from(i).ok().filter(|&i| i < len)
}

/// LINDEX key index
pub(crate) fn lindex_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let f = match get_list(ctx, argv[1], false) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing => return ctx.reply.null(),
        Got::List(f) => f,
    };
    let Some(index) = int_arg(ctx, argv[2]) else {
        return;
    };
    let db = &ctx.dbs[ctx.db_index];
    let l = db.list_at(f).expect("a list");
    match resolve_index(index, l.len()).and_then(|i| l.get(i)) {
        Some(e) => reply_str(&mut ctx.reply, e),
        None => ctx.reply.null(),
    }
}

/// LSET key index element
pub(crate) fn lset_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let f = match get_list(ctx, argv[1], true) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing => return ctx.reply.error(&ErrorReply::NoSuchKey),
        Got::List(f) => f,
    };
    let Some(index) = int_arg(ctx, argv[2]) else {
        return;
    };
    let l = list_mut(ctx, f);
    match resolve_index(index, l.len()) {
        Some(i) => {
            l.set(i, argv[3]);
            ctx.dirty += 1;
            ctx.reply.ok();
            ctx.notify(ev::LIST, "lset", argv[1]);
        }
        None => err(ctx, "ERR index out of range"),
    }
}

/// `start..end` of a list of `len` for inclusive, possibly negative Redis indexes (the
/// normalisation of `addListRangeReply` and LTRIM); `None` for an empty range.
fn resolve_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { start + llen } else { start };
    let mut end = if end < 0 { end + llen } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize + 1))
}

/// LRANGE key start stop
pub(crate) fn lrange_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(start) = int_arg(ctx, argv[2]) else {
        return;
    };
    let Some(end) = int_arg(ctx, argv[3]) else {
        return;
    };
    let f = match get_list(ctx, argv[1], false) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing => return ctx.reply.array_len(0),
        Got::List(f) => f,
    };
    let db = &ctx.dbs[ctx.db_index];
    let l = db.list_at(f).expect("a list");
    match resolve_range(start, end, l.len()) {
        Some((s, e)) => reply_range(&mut ctx.reply, l, s, e, false),
        None => ctx.reply.array_len(0),
    }
}

/// LTRIM key start stop
pub(crate) fn ltrim_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(start) = int_arg(ctx, argv[2]) else {
        return;
    };
    let Some(end) = int_arg(ctx, argv[3]) else {
        return;
    };
    let f = match get_list(ctx, argv[1], true) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing => return ctx.reply.ok(),
        Got::List(f) => f,
    };
    let l = list_mut(ctx, f);
    let len = l.len();
    let (ltrim, rtrim) = match resolve_range(start, end, len) {
        Some((s, e)) => (s, len - e),
        None => (len, 0),
    };
    l.remove_front(ltrim);
    l.remove_back(rtrim);
    let emptied = l.is_empty();
    if emptied {
        ctx.dbs[ctx.db_index].delete_at(f.loc, f.pos);
    }
    ctx.notify(ev::LIST, "ltrim", argv[1]);
    if emptied {
        ctx.notify(ev::GENERIC, "del", argv[1]);
    }
    ctx.dirty += (ltrim + rtrim) as u64;
    ctx.reply.ok();
}

/// Redis's `getPositiveLongFromObjectOrReply` with a message for both failures.
fn positive_arg_msg(ctx: &mut Ctx<'_>, arg: &[u8], msg: &'static str) -> Option<i64> {
    match parse_i64(arg) {
        Some(v) if v >= 0 => Some(v),
        _ => {
            err(ctx, msg);
            None
        }
    }
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub(crate) fn lpos_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let ele = argv[2];
    let (mut rank, mut count, mut maxlen) = (1i64, -1i64, 0i64);
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if eq_ic(argv[j], b"rank") && more {
            j += 1;
            let Some(r) = int_arg(ctx, argv[j]) else {
                return;
            };
            if r == 0 {
                return err(
                    ctx,
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                );
            }
            rank = r;
        } else if eq_ic(argv[j], b"count") && more {
            j += 1;
            let Some(c) = positive_arg_msg(ctx, argv[j], "ERR COUNT can't be negative") else {
                return;
            };
            count = c;
        } else if eq_ic(argv[j], b"maxlen") && more {
            j += 1;
            let Some(m) = positive_arg_msg(ctx, argv[j], "ERR MAXLEN can't be negative") else {
                return;
            };
            maxlen = m;
        } else {
            return ctx.reply.error(&ErrorReply::Syntax);
        }
        j += 1;
    }
    // A negative rank searches from the tail; Redis negates in C `long` (LONG_MIN stays
    // negative, so every match then satisfies `matches >= rank`).
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let f = match get_list(ctx, argv[1], false) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing if count != -1 => return ctx.reply.array_len(0),
        Got::Missing => return ctx.reply.null(),
        Got::List(f) => f,
    };
    let db = &ctx.dbs[ctx.db_index];
    let l = db.list_at(f).expect("a list");
    let llen = l.len() as i64;
    let ele_int = parse_i64(ele);
    let it: Box<dyn Iterator<Item = _>> = if from_tail {
        Box::new(l.iter().rev())
    } else {
        Box::new(l.iter())
    };
    let (mut index, mut matches, mut matchindex) = (0i64, 0i64, -1i64);
    let mut found = Vec::new();
    for e in it {
        if maxlen != 0 && index >= maxlen {
            break;
        }
        if elem_eq(e, ele, ele_int) {
            matches += 1;
            matchindex = if from_tail { llen - index - 1 } else { index };
            if matches >= rank {
                if count != -1 {
                    found.push(matchindex);
                    if count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count {
                        break;
                    }
                } else {
                    break;
                }
            }
        }
        index += 1;
        matchindex = -1;
    }
    if count != -1 {
        ctx.reply.array_len(found.len());
        for m in found {
            ctx.reply.int(m);
        }
    } else if matchindex != -1 {
        ctx.reply.int(matchindex);
    } else {
        ctx.reply.null();
    }
}

/// LREM key count element
pub(crate) fn lrem_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(mut toremove) = int_arg(ctx, argv[2]) else {
        return;
    };
    let f = match get_list(ctx, argv[1], true) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing => return ctx.reply.int(0),
        Got::List(f) => f,
    };
    let from_tail = toremove < 0;
    if from_tail {
        toremove = toremove.wrapping_neg();
    }
    let ele = argv[3];
    let ele_int = parse_i64(ele);
    let l = list(ctx, f);
    let len = l.len();
    let mut idx = Vec::new();
    let mut consider = |i: usize, e| {
        if elem_eq(e, ele, ele_int) {
            idx.push(i);
            if toremove != 0 && idx.len() as i64 == toremove {
                return false;
            }
        }
        true
    };
    if from_tail {
        for (k, e) in l.iter().rev().enumerate() {
            if !consider(len - 1 - k, e) {
                break;
            }
        }
        idx.reverse();
    } else {
        for (i, e) in l.iter().enumerate() {
            if !consider(i, e) {
                break;
            }
        }
    }
    let removed = idx.len();
    let l = list_mut(ctx, f);
    l.remove_indexes(&idx);
    let emptied = l.is_empty();
    if emptied {
        ctx.dbs[ctx.db_index].delete_at(f.loc, f.pos);
    }
    if removed > 0 {
        ctx.notify(ev::LIST, "lrem", argv[1]);
    }
    if emptied {
        ctx.notify(ev::GENERIC, "del", argv[1]);
    }
    ctx.dirty += removed as u64;
    ctx.reply.int(removed as i64);
}

/// LINSERT key BEFORE|AFTER pivot element
pub(crate) fn linsert_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let after = if eq_ic(argv[2], b"after") {
        true
    } else if eq_ic(argv[2], b"before") {
        false
    } else {
        return ctx.reply.error(&ErrorReply::Syntax);
    };
    let f = match get_list(ctx, argv[1], true) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing => return ctx.reply.int(0),
        Got::List(f) => f,
    };
    let (pivot, pivot_int) = (argv[3], parse_i64(argv[3]));
    let Some(at) = list(ctx, f)
        .iter()
        .position(|e| elem_eq(e, pivot, pivot_int))
    else {
        return ctx.reply.int(-1);
    };
    let l = list_mut(ctx, f);
    l.insert(at + usize::from(after), argv[4]);
    let len = l.len();
    ctx.dirty += 1;
    ctx.notify(ev::LIST, "linsert", argv[1]);
    ctx.reply.int(len as i64);
}

/// Redis's `lmoveGenericCommand`: pop from `src` at one end, push on `dst` at one end, reply
/// with the element (null when `src` is missing).
pub(crate) fn lmove_generic(
    ctx: &mut Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from_head: bool,
    to_head: bool,
) {
    let sf = match get_list(ctx, src, true) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing => return ctx.reply.null(),
        Got::List(f) => f,
    };
    let df = match get_list(ctx, dst, true) {
        Got::WrongType => return wrongtype(ctx),
        Got::Missing => None,
        Got::List(f) => Some(f),
    };
    // Pop without deleting yet: with src == dst the element goes straight back.
    let sl = list_mut(ctx, sf);
    let v = if from_head {
        sl.pop_front()
    } else {
        sl.pop_back()
    }
    .expect("non-empty list");
    match df {
        Some(df) => {
            let dl = list_mut(ctx, df);
            if to_head {
                dl.push_front(&v);
            } else {
                dl.push_back(&v);
            }
        }
        None => {
            let mut l = List::new();
            l.push_back(&v);
            let now = ctx.now.wall;
            ctx.db().insert_object(dst, Object::List(l), false, now);
        }
    }
    ctx.notify(ev::LIST, if to_head { "lpush" } else { "rpush" }, dst);
    ctx.notify(ev::LIST, if from_head { "lpop" } else { "rpop" }, src);
    if ctx.dbs[ctx.db_index].remove_if_empty_list(src) {
        ctx.notify(ev::GENERIC, "del", src);
    }
    ctx.dirty += 1;
    ctx.reply.bulk(&v);
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub(crate) fn lmove_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(from) = parse_where(ctx, argv[3]) else {
        return;
    };
    let Some(to) = parse_where(ctx, argv[4]) else {
        return;
    };
    lmove_generic(ctx, argv[1], argv[2], from, to);
}

/// RPOPLPUSH source destination
pub(crate) fn rpoplpush_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    lmove_generic(ctx, argv[1], argv[2], false, true);
}
