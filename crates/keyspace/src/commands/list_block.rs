//! LMPOP and the blocking list commands: BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH.
//!
//! Blocking is split between this crate and the node (see [`Ctx::block`]): when nothing can be
//! served and the client may block, a command sets `ctx.block` (the keys to wait on and the
//! deadline) and writes no reply. The node parks the client and runs the same argv again, with
//! `ctx.retrying_blocked`, after a write to one of those keys; that run serves the client or
//! blocks it again. At the deadline the node replies [`timeout_reply`]. Inside MULTI
//! (`ctx.may_block == false`) an unservable command replies at once as Redis does.

use hashslot_resp::Reply;
use hashslot_types::UnixMillis;

use super::{get_list, lmove_generic, parse_where, pop_one, pop_range_reply, wrongtype, Got};
use crate::command::BlockOn;
use crate::commands::{eq_ic, err};
use crate::ld::Ld;
use crate::util::parse_i64;
use crate::Ctx;

/// The reply a client blocked by a keyspace command gets when its timeout passes: the null
/// array (`*-1` in RESP2, `_` in RESP3). Redis 7.0's `replyToBlockedClientTimedOut` sends it
/// for every list, sorted-set and stream block, so it is the same for BLPOP, BRPOP, BLMPOP,
/// BLMOVE and BRPOPLPUSH (even though BLMOVE/BRPOPLPUSH reply `$-1` when they cannot block, in
/// MULTI) and for BZPOPMIN, BZPOPMAX, BZMPOP and XREAD/XREADGROUP.
pub fn timeout_reply(cmd_name: &[u8], reply: &mut Reply<'_>) {
    let _ = cmd_name;
    reply.null_array();
}

const NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
const NEGATIVE: &str = "ERR timeout is negative";

/// Redis's `getTimeoutFromObjectOrReply(..., UNIT_SECONDS)`: seconds as a long double,
/// `ceil(seconds * 1000)` ms. `Ok(0)` blocks forever. Like Redis on x86-64, values whose ms do
/// not fit an i64 (and infinities) become negative, hence "timeout is negative"; a tiny
/// negative such as `-0.0001` rounds to 0 and blocks forever.
pub(crate) fn parse_timeout_ms(arg: &[u8]) -> Result<i64, &'static str> {
    if let Some(secs) = parse_i64(arg) {
        return match secs.checked_mul(1000) {
            Some(ms) if ms >= 0 => Ok(ms),
            _ => Err(NEGATIVE),
        };
    }
    let v: f64 = match Ld::parse(arg) {
        Err(()) => return Err(NOT_FLOAT),
        Ok(None) => return Err(NEGATIVE),
        // The long double was validated exactly; its value at f64 precision is enough for a
        // millisecond timeout (hex floats, which Rust does not parse, go through its text).
        Ok(Some(ld)) => match std::str::from_utf8(arg).ok().and_then(|s| s.parse().ok()) {
            Some(v) => v,
            None => std::str::from_utf8(&ld.format_human())
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0.0),
        },
    };
    let ms = (v * 1000.0).ceil();
    // 2^63: at and above, the C conversion to long long gives LLONG_MIN on x86-64.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&ms) {
        return Err(NEGATIVE);
    }
    let ms = ms as i64;
    if ms < 0 {
        return Err(NEGATIVE);
    }
    Ok(ms)
}

/// The absolute deadline of a timeout argument (`None`: forever), or `Err` after an error reply.
pub(crate) fn parse_deadline(ctx: &mut Ctx<'_>, arg: &[u8]) -> Result<Option<UnixMillis>, ()> {
    match parse_timeout_ms(arg) {
        Ok(0) => Ok(None),
        Ok(ms) => Ok(Some(UnixMillis(ctx.now.wall.0.saturating_add(ms)))),
        Err(msg) => {
            err(ctx, msg);
            Err(())
        }
    }
}

fn block_on(ctx: &mut Ctx<'_>, keys: &[&[u8]], deadline: Option<UnixMillis>) {
    ctx.block = Some(BlockOn {
        keys: keys.iter().map(|k| k.to_vec()).collect(),
        deadline,
        argv: None,
    });
}

/// Redis's `blockingPopGenericCommand`: serve from the first non-empty list among `keys`, else
/// block (or reply the null array when blocking is not allowed). `count` is `None` for
/// BLPOP/BRPOP (reply `[key, element]`), `Some` for BLMPOP (reply `[key, [elements]]`).
fn blocking_pop(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    front: bool,
    count: Option<usize>,
    deadline: Option<UnixMillis>,
) {
    for &key in keys {
        match get_list(ctx, key, true) {
            Got::Missing => continue,
            // Redis 7.0 leaves a blocked client blocked when a key it waits on becomes
            // another type: only a first run reports WRONGTYPE.
            Got::WrongType if ctx.retrying_blocked => continue,
            Got::WrongType => return wrongtype(ctx),
            Got::List(f) => {
                match count {
                    Some(n) => {
                        pop_range_reply(ctx, key, f, front, n, true);
                    }
                    None => {
                        let v = pop_one(ctx, key, f, front);
                        ctx.reply.array_len(2);
                        ctx.reply.bulk(key);
                        ctx.reply.bulk(&v);
                    }
                }
                return;
            }
        }
    }
    if !ctx.may_block {
        return ctx.reply.null_array();
    }
    block_on(ctx, keys, deadline);
}

/// BLPOP key [key ...] timeout
pub(crate) fn blpop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Ok(deadline) = parse_deadline(ctx, argv[argv.len() - 1]) else {
        return;
    };
    blocking_pop(ctx, &argv[1..argv.len() - 1], true, None, deadline);
}

/// BRPOP key [key ...] timeout
pub(crate) fn brpop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Ok(deadline) = parse_deadline(ctx, argv[argv.len() - 1]) else {
        return;
    };
    blocking_pop(ctx, &argv[1..argv.len() - 1], false, None, deadline);
}

/// Redis's `blmoveGenericCommand`.
fn blmove_generic(
    ctx: &mut Ctx<'_>,
    argv: &[&[u8]],
    from_head: bool,
    to_head: bool,
    deadline: Option<UnixMillis>,
) {
    let (src, dst) = (argv[1], argv[2]);
    match get_list(ctx, src, true) {
        Got::WrongType if ctx.retrying_blocked => block_on(ctx, &[src], deadline),
        Got::WrongType => wrongtype(ctx),
        // Not a timeout: a plain null (`$-1` in RESP2), as Redis replies in MULTI.
        Got::Missing if !ctx.may_block => ctx.reply.null(),
        Got::Missing => block_on(ctx, &[src], deadline),
        Got::List(_) => lmove_generic(ctx, src, dst, from_head, to_head),
    }
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub(crate) fn blmove_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(from) = parse_where(ctx, argv[3]) else {
        return;
    };
    let Some(to) = parse_where(ctx, argv[4]) else {
        return;
    };
    let Ok(deadline) = parse_deadline(ctx, argv[5]) else {
        return;
    };
    blmove_generic(ctx, argv, from, to, deadline);
}

/// BRPOPLPUSH source destination timeout
pub(crate) fn brpoplpush_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Ok(deadline) = parse_deadline(ctx, argv[3]) else {
        return;
    };
    blmove_generic(ctx, argv, false, true, deadline);
}

/// Redis's `lmpopGenericCommand`: `numkeys_idx` is 1 for LMPOP, 2 for BLMPOP.
fn lmpop_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], numkeys_idx: usize, block: bool) {
    let numkeys = match parse_i64(argv[numkeys_idx]) {
        Some(n) if n >= 1 => n as u64,
        _ => return err(ctx, "ERR numkeys should be greater than 0"),
    };
    let where_idx = (numkeys_idx as u64 + 1).saturating_add(numkeys);
    if where_idx >= argv.len() as u64 {
        return ctx.reply.error(&hashslot_resp::ErrorReply::Syntax);
    }
    let where_idx = where_idx as usize;
    let Some(front) = parse_where(ctx, argv[where_idx]) else {
        return;
    };
    let mut count: Option<usize> = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && eq_ic(argv[j], b"count") && j + 1 < argv.len() {
            j += 1;
            match parse_i64(argv[j]) {
                Some(c) if c >= 1 => count = Some(c as usize),
                _ => return err(ctx, "ERR count should be greater than 0"),
            }
        } else {
            return ctx.reply.error(&hashslot_resp::ErrorReply::Syntax);
        }
        j += 1;
    }
    let count = count.unwrap_or(1);
    let keys = &argv[numkeys_idx + 1..where_idx];
    if block {
        let Ok(deadline) = parse_deadline(ctx, argv[1]) else {
            return;
        };
        return blocking_pop(ctx, keys, front, Some(count), deadline);
    }
    for &key in keys {
        match get_list(ctx, key, true) {
            Got::Missing => continue,
            Got::WrongType => return wrongtype(ctx),
            Got::List(f) => {
                pop_range_reply(ctx, key, f, front, count, true);
                return;
            }
        }
    }
    ctx.reply.null_array();
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub(crate) fn lmpop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    lmpop_generic(ctx, argv, 1, false);
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub(crate) fn blmpop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    lmpop_generic(ctx, argv, 2, true);
}

/// C's `atoi` as glibc implements it (`(int) strtol(s, NULL, 10)`): leading white space, a
/// sign, digits up to the first non-digit; out-of-range values clamp to `long` then truncate.
fn atoi(s: &[u8]) -> i32 {
    let mut i = 0;
    while i < s.len() && crate::util::is_c_space(s[i]) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        match v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d - b'0')))
        {
            Some(n) => v = n,
            None => overflow = true,
        }
        i += 1;
    }
    let v = match (overflow, neg) {
        (true, false) => i64::MAX,
        (true, true) => i64::MIN,
        (false, true) => -v,
        (false, false) => v,
    };
    v as i32
}

/// Redis's `genericGetKeys` for `numkeys` at `count_idx` and keys from `first`: no keys when
/// `numkeys` is out of range (the command will reply an error).
fn numkeys_positions(argv: &[&[u8]], count_idx: usize, first: usize, out: &mut Vec<usize>) {
    let Some(arg) = argv.get(count_idx) else {
        return;
    };
    let num = atoi(arg);
    if num < 1 || num as usize > argv.len().saturating_sub(first) {
        return;
    }
    out.extend(first..first + num as usize);
}

/// Key positions of LMPOP (`lmpopGetKeys`).
pub(crate) fn lmpop_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_positions(argv, 1, 2, out);
}

/// Key positions of BLMPOP (`blmpopGetKeys`).
pub(crate) fn blmpop_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_positions(argv, 2, 3, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashslot_resp::Proto;

    #[test]
    fn timeouts_parse_like_redis() {
        assert_eq!(parse_timeout_ms(b"0"), Ok(0));
        assert_eq!(parse_timeout_ms(b"1"), Ok(1000));
        assert_eq!(parse_timeout_ms(b"0.1"), Ok(100));
        assert_eq!(parse_timeout_ms(b"0.0001"), Ok(1));
        assert_eq!(parse_timeout_ms(b"-0.0001"), Ok(0));
        assert_eq!(parse_timeout_ms(b"1e3"), Ok(1_000_000));
        assert_eq!(parse_timeout_ms(b"0x0.1"), Ok(63));
        assert_eq!(parse_timeout_ms(b"-1"), Err(NEGATIVE));
        assert_eq!(parse_timeout_ms(b"inf"), Err(NEGATIVE));
        assert_eq!(parse_timeout_ms(b"1e400"), Err(NEGATIVE));
        assert_eq!(parse_timeout_ms(b"9223372036854775807"), Err(NEGATIVE));
        for bad in ["abc", "", " 1", "nan", "1e5000", "1x"] {
            assert_eq!(parse_timeout_ms(bad.as_bytes()), Err(NOT_FLOAT), "{bad}");
        }
    }

    #[test]
    fn movable_keys() {
        let mut out = Vec::new();
        lmpop_keys(&[b"lmpop", b"2", b"a", b"b", b"left"], &mut out);
        assert_eq!(out, [2, 3]);
        out.clear();
        blmpop_keys(&[b"blmpop", b"0", b"1", b"a", b"left"], &mut out);
        assert_eq!(out, [3]);
        out.clear();
        lmpop_keys(&[b"lmpop", b"5", b"a", b"left"], &mut out);
        assert!(out.is_empty());
        lmpop_keys(&[b"lmpop", b"0", b"a", b"left"], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn timeout_reply_is_the_null_array() {
        let mut out = Vec::new();
        timeout_reply(b"blmove", &mut Reply::new(&mut out, Proto::Resp2));
        assert_eq!(out, b"*-1\r\n");
        out.clear();
        timeout_reply(b"blpop", &mut Reply::new(&mut out, Proto::Resp3));
        assert_eq!(out, b"_\r\n");
    }
}
