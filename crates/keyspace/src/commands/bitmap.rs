//! Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (Redis 7.0.15's
//! `bitops.c` semantics, errors and edge cases). Bit 0 is the most significant bit of byte 0.

use std::borrow::Cow;

use hashslot_resp::ErrorReply;

use super::{eq_ic, err, ev, int_arg, lookup_read, lookup_write, value, Found};
use crate::util::parse_i64;
use crate::value::{Object, StrRef, ValueRef};
use crate::Ctx;

/// Redis's bit offset error, shared by SETBIT, GETBIT and BITFIELD.
const OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";

/// Bytes a bit offset may reach: `proto-max-bulk-len` (512 MB).
const MAX_BYTES: i64 = super::PROTO_MAX_BULK_LEN as i64;

/// The bytes of a string value: an integer-encoded one reads as its decimal text.
pub(crate) fn str_bytes(s: StrRef<'_>) -> Cow<'_, [u8]> {
    match s {
        StrRef::Bytes(b) => Cow::Borrowed(b),
        StrRef::Int(n) => Cow::Owned(n.to_string().into_bytes()),
    }
}

/// Redis's `getBitOffsetFromArgument`: a bit offset within 512 MB. With `hash_bits` (BITFIELD's
/// type width) an offset written `#N` means `N * width`.
pub(crate) fn bit_offset(ctx: &mut Ctx<'_>, arg: &[u8], hash_bits: Option<u32>) -> Option<u64> {
    let (digits, mul) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) if bits > 0 => (&arg[1..], Some(i64::from(bits))),
        _ => (arg, None),
    };
    let Some(mut off) = parse_i64(digits) else {
        err(ctx, OFFSET_ERR);
        return None;
    };
    if let Some(m) = mul {
        // Redis multiplies in a C `long long`; wrapping matches what it does on overflow.
        off = off.wrapping_mul(m);
    }
    if off < 0 || (off >> 3) >= MAX_BYTES {
        err(ctx, OFFSET_ERR);
        return None;
    }
    Some(off as u64)
}

/// Redis's `lookupStringForBitCommand`: the string at `key`, created or zero-padded so that bit
/// `maxbit` exists. `Some(changed)` tells whether it was created or grown; `None` after a
/// WRONGTYPE reply. The value is then an [`Object::Str`] (a `Vec`, so growth is amortized).
pub(crate) fn string_for_write(ctx: &mut Ctx<'_>, key: &[u8], maxbit: u64) -> Option<bool> {
    let need = (maxbit >> 3) as usize + 1;
    let now = ctx.now.wall;
    match lookup_write(ctx, key) {
        None => {
            let v = vec![0u8; need];
            ctx.dbs[ctx.db_index].insert_object(key, Object::Str(v), false, now);
            Some(true)
        }
        Some(f) => {
            if value(&ctx.dbs[ctx.db_index], f).as_str().is_none() {
                ctx.reply.error(&ErrorReply::WrongType);
                return None;
            }
            let v = str_mut(ctx, key);
            let grown = v.len() < need;
            if grown {
                v.resize(need, 0);
            }
            Some(grown)
        }
    }
}

/// The bytes of the string at `key`, which a caller has just checked or created.
pub(crate) fn str_mut<'a>(ctx: &'a mut Ctx<'_>, key: &[u8]) -> &'a mut Vec<u8> {
    match ctx.dbs[ctx.db_index].object_mut(key) {
        Some(Object::Str(v)) => v,
        _ => unreachable!("a string key gives a string object"),
    }
}

/// A read lookup that replies WRONGTYPE (`Err`) for a non-string, and `Ok(None)` when missing.
fn lookup_str(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<Found>, ()> {
    match lookup_read(ctx, key, 0) {
        None => Ok(None),
        Some(f) => match value(&ctx.dbs[ctx.db_index], f) {
            ValueRef::Str(..) => Ok(Some(f)),
            ValueRef::Obj(_) => {
                ctx.reply.error(&ErrorReply::WrongType);
                Err(())
            }
        },
    }
}

/// The string bytes of a found key known to be a string.
fn found_bytes<'a>(ctx: &'a Ctx<'_>, f: Found) -> Cow<'a, [u8]> {
    match value(&ctx.dbs[ctx.db_index], f) {
        ValueRef::Str(s, _) => str_bytes(s),
        ValueRef::Obj(_) => unreachable!("checked to be a string"),
    }
}

/// SETBIT key offset value
pub(crate) fn setbit_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    const BIT_ERR: &str = "ERR bit is not an integer or out of range";
    let key = argv[1];
    let Some(offset) = bit_offset(ctx, argv[2], None) else {
        return;
    };
    let on = match parse_i64(argv[3]) {
        Some(v @ (0 | 1)) => v as u8,
        _ => {
            err(ctx, BIT_ERR);
            return;
        }
    };
    let Some(grown) = string_for_write(ctx, key, offset) else {
        return;
    };
    let (byte, shift) = ((offset >> 3) as usize, 7 - (offset & 7) as u8);
    let v = str_mut(ctx, key);
    let old = (v[byte] >> shift) & 1;
    if grown || old != on {
        v[byte] = (v[byte] & !(1 << shift)) | (on << shift);
        ctx.notify(ev::STRING, "setbit", key);
        ctx.dirty += 1;
    }
    ctx.reply.int(i64::from(old));
}

/// GETBIT key offset
pub(crate) fn getbit_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(offset) = bit_offset(ctx, argv[2], None) else {
        return;
    };
    let Ok(found) = lookup_str(ctx, argv[1]) else {
        return;
    };
    let bit = found.map_or(0, |f| {
        let s = found_bytes(ctx, f);
        let byte = (offset >> 3) as usize;
        s.get(byte).map_or(0, |b| (b >> (7 - (offset & 7))) & 1)
    });
    ctx.reply.int(i64::from(bit));
}

/// A BITCOUNT/BITPOS range after Redis's normalisation: byte bounds plus, for a BIT range, the
/// masks of the bits outside it in its first and last byte.
struct Range {
    start: i64,
    end: i64,
    first_mask: u8,
    last_mask: u8,
}

/// Redis's index normalisation shared by BITCOUNT and BITPOS: negative indexes count from the
/// end, both are clamped, and a BIT range becomes bytes plus edge masks.
fn normalise(mut start: i64, mut end: i64, strlen: i64, is_bit: bool) -> Range {
    let total = if is_bit { strlen << 3 } else { strlen };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if is_bit && start <= end {
        first_mask = !((1u16 << (8 - (start & 7))) - 1) as u8;
        last_mask = ((1u16 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    Range {
        start,
        end,
        first_mask,
        last_mask,
    }
}

/// Parses a `BIT|BYTE` unit; `None` after a syntax error reply.
fn unit_arg(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<bool> {
    if eq_ic(arg, b"bit") {
        Some(true)
    } else if eq_ic(arg, b"byte") {
        Some(false)
    } else {
        ctx.reply.error(&ErrorReply::Syntax);
        None
    }
}

fn popcount(s: &[u8]) -> i64 {
    let mut n = 0i64;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        n += i64::from(u64::from_ne_bytes(c.try_into().expect("8 bytes")).count_ones());
    }
    n + chunks
        .remainder()
        .iter()
        .map(|b| i64::from(b.count_ones()))
        .sum::<i64>()
}

/// BITCOUNT key [start end [BYTE|BIT]]
pub(crate) fn bitcount_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    // Redis 7.0 looks the key up before parsing the range: a missing key answers 0 whatever
    // the other arguments are.
    let f = match lookup_str(ctx, argv[1]) {
        Ok(Some(f)) => f,
        Ok(None) => {
            ctx.reply.int(0);
            return;
        }
        Err(()) => return,
    };
    let strlen = found_bytes(ctx, f).len() as i64;
    let range = match argv.len() {
        4 | 5 => {
            let Some(start) = int_arg(ctx, argv[2]) else {
                return;
            };
            let Some(end) = int_arg(ctx, argv[3]) else {
                return;
            };
            if start < 0 && end < 0 && start > end {
                ctx.reply.int(0);
                return;
            }
            let is_bit = if argv.len() == 5 {
                let Some(b) = unit_arg(ctx, argv[4]) else {
                    return;
                };
                b
            } else {
                false
            };
            normalise(start, end, strlen, is_bit)
        }
        2 => Range {
            start: 0,
            end: strlen - 1,
            first_mask: 0,
            last_mask: 0,
        },
        _ => {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
    };
    if range.start > range.end {
        ctx.reply.int(0);
        return;
    }
    let s = found_bytes(ctx, f);
    let (a, b) = (range.start as usize, range.end as usize);
    let mut count = popcount(&s[a..=b]);
    count -= i64::from((s[a] & range.first_mask).count_ones());
    count -= i64::from((s[b] & range.last_mask).count_ones());
    drop(s);
    ctx.reply.int(count);
}

/// Redis's `redisBitpos`: the position of the first bit equal to `bit` in `s`; when there is
/// none, -1 when looking for a 1 and `8 * len` (the first bit past the end) for a 0.
fn first_bit(s: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0 } else { 0xff };
    match s.iter().position(|&b| b != skip) {
        Some(i) => {
            let b = if bit { s[i] } else { !s[i] };
            (i as i64) * 8 + i64::from(b.leading_zeros())
        }
        None if bit => -1,
        None => (s.len() as i64) * 8,
    }
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
pub(crate) fn bitpos_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let Some(bit) = int_arg(ctx, argv[2]) else {
        return;
    };
    if bit != 0 && bit != 1 {
        err(ctx, "ERR The bit argument must be 1 or 0.");
        return;
    }
    let bit = bit == 1;
    let f = match lookup_str(ctx, argv[1]) {
        Ok(Some(f)) => f,
        Ok(None) => {
            ctx.reply.int(if bit { -1 } else { 0 });
            return;
        }
        Err(()) => return,
    };
    let strlen = found_bytes(ctx, f).len() as i64;
    let mut end_given = false;
    let range = match argv.len() {
        4..=6 => {
            let Some(start) = int_arg(ctx, argv[3]) else {
                return;
            };
            let mut is_bit = false;
            if argv.len() == 6 {
                let Some(b) = unit_arg(ctx, argv[5]) else {
                    return;
                };
                is_bit = b;
            }
            let end = if argv.len() >= 5 {
                let Some(e) = int_arg(ctx, argv[4]) else {
                    return;
                };
                end_given = true;
                e
            } else {
                strlen - 1
            };
            normalise(start, end, strlen, is_bit)
        }
        3 => Range {
            start: 0,
            end: strlen - 1,
            first_mask: 0,
            last_mask: 0,
        },
        _ => {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
    };
    if range.start > range.end {
        ctx.reply.int(-1);
        return;
    }
    let s = found_bytes(ctx, f);
    let pos = bitpos_in(&s, bit, end_given, range);
    drop(s);
    ctx.reply.int(pos);
}

/// BITPOS's search over a non-empty normalised range, following Redis's steps (first partial
/// byte, whole bytes, last partial byte) so that its answers at the edges are the same.
fn bitpos_in(s: &[u8], bit: bool, end_given: bool, r: Range) -> i64 {
    let (mut start, end) = (r.start as usize, r.end as usize);
    let mut bytes = end - start + 1;
    let masked = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let pos = 'search: {
        if r.first_mask != 0 {
            let mut c = masked(s[start], r.first_mask);
            if r.last_mask != 0 && bytes == 1 {
                c = masked(c, r.last_mask);
            }
            let pos = first_bit(&[c], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'search pos;
            }
            start += 1;
            bytes -= 1;
        }
        let whole = bytes - usize::from(r.last_mask != 0);
        if whole > 0 {
            let pos = first_bit(&s[start..start + whole], bit);
            if bytes == whole || (pos != -1 && pos != (whole as i64) << 3) {
                break 'search pos;
            }
            start += whole;
            bytes -= whole;
        }
        first_bit(&[masked(s[end], r.last_mask)], bit)
    };
    // With an explicit end, the bits right of the range are not zero padding: no clear bit in
    // the range is -1, not the position just past it.
    if end_given && !bit && pos == (bytes as i64) << 3 {
        return -1;
    }
    if pos == -1 {
        -1
    } else {
        pos + ((start as i64) << 3)
    }
}

/// The BITOP operations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]
pub(crate) fn bitop_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let op = match argv[1] {
        o if eq_ic(o, b"and") => Op::And,
        o if eq_ic(o, b"or") => Op::Or,
        o if eq_ic(o, b"xor") => Op::Xor,
        o if eq_ic(o, b"not") => Op::Not,
        _ => {
            ctx.reply.error(&ErrorReply::Syntax);
            return;
        }
    };
    if op == Op::Not && argv.len() != 4 {
        err(
            ctx,
            "ERR BITOP NOT must be called with a single source key.",
        );
        return;
    }
    let dest = argv[2];
    let mut found = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        match lookup_str(ctx, key) {
            Ok(f) => found.push(f),
            Err(()) => return,
        }
    }
    let res = {
        let srcs: Vec<Cow<'_, [u8]>> = found
            .iter()
            .map(|f| f.map_or(Cow::Borrowed(&[][..]), |f| found_bytes(ctx, f)))
            .collect();
        combine(op, &srcs)
    };
    let len = res.len();
    if len > 0 {
        // Redis's `setKey`: a write lookup (lazy expiry) then an overwrite without the TTL.
        lookup_write(ctx, dest);
        let now = ctx.now.wall;
        ctx.dbs[ctx.db_index].insert_object(dest, Object::Str(res), false, now);
        ctx.notify(ev::STRING, "set", dest);
        ctx.dirty += 1;
    } else if ctx.dbs[ctx.db_index].remove(dest) {
        ctx.notify(ev::GENERIC, "del", dest);
        ctx.dirty += 1;
    }
    ctx.reply.int(len as i64);
}

/// The bitwise combination of `srcs`, as long as the longest; shorter ones read as zero-padded.
fn combine(op: Op, srcs: &[Cow<'_, [u8]>]) -> Vec<u8> {
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    if maxlen == 0 {
        return res;
    }
    res[..srcs[0].len()].copy_from_slice(&srcs[0]);
    match op {
        Op::Not => res.iter_mut().for_each(|b| *b = !*b),
        Op::And => {
            for s in &srcs[1..] {
                res.iter_mut()
                    .zip(s.iter().chain(std::iter::repeat(&0)))
                    .for_each(|(r, b)| *r &= b);
            }
        }
        Op::Or | Op::Xor => {
            for s in &srcs[1..] {
                let it = res.iter_mut().zip(s.iter());
                if op == Op::Or {
                    it.for_each(|(r, b)| *r |= b);
                } else {
                    it.for_each(|(r, b)| *r ^= b);
                }
            }
        }
    }
    res
}
