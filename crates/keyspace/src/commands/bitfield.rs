//! BITFIELD and BITFIELD_RO: signed and unsigned integers of 1 to 64 bits (u63 at most) at any
//! bit offset of a string, with Redis 7.0.15's WRAP/SAT/FAIL overflow semantics.

use hashslot_resp::ErrorReply;

use super::bitmap::{bit_offset, str_bytes, str_mut, string_for_write};
use super::{eq_ic, err, ev, int_arg, lookup_read, value};
use crate::value::ValueRef;
use crate::Ctx;

/// What to do when SET or INCRBY does not fit the field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// One parsed GET, SET or INCRBY.
#[derive(Clone, Copy)]
struct Field {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    arg: i64,
    overflow: Overflow,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Set,
    Incrby,
}

/// Redis's `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63`.
fn field_type(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<(bool, u32)> {
    const TYPE_ERR: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 \
                            is not supported but i64 is.";
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => {
            err(ctx, TYPE_ERR);
            return None;
        }
    };
    // Redis reads the width as a C string: it stops at a NUL byte.
    let digits = &arg[1..];
    let digits = &digits[..digits.iter().position(|&b| b == 0).unwrap_or(digits.len())];
    match crate::util::parse_i64(digits) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Some((signed, n as u32)),
        _ => {
            err(ctx, TYPE_ERR);
            None
        }
    }
}

/// Reads `bits` bits at bit `offset` of `p` as an unsigned number; bytes past the end read 0.
fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..u64::from(bits) {
        let o = offset + i;
        let byte = p.get((o >> 3) as usize).copied().unwrap_or(0);
        v = (v << 1) | u64::from((byte >> (7 - (o & 7))) & 1);
    }
    v
}

/// Reads a two's complement signed field.
fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let mut v = get_unsigned(p, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        v |= u64::MAX << bits;
    }
    v as i64
}

/// Writes the low `bits` bits of `v` at bit `offset`; the string already reaches that far.
fn set_bits(p: &mut [u8], offset: u64, bits: u32, v: u64) {
    for i in 0..u64::from(bits) {
        let o = offset + i;
        let bit = ((v >> (u64::from(bits) - 1 - i)) & 1) as u8;
        let shift = 7 - (o & 7) as u8;
        let b = &mut p[(o >> 3) as usize];
        *b = (*b & !(1 << shift)) | (bit << shift);
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: `None` when `value + incr` fits, else the value to
/// store (wrapped or saturated; unused with FAIL).
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = (value as i64).wrapping_neg();
    let wrap = || value.wrapping_add(incr as u64) & !(u64::MAX << bits);
    if value > max || (incr > 0 && incr > maxincr) {
        Some(if ow == Overflow::Wrap { wrap() } else { max })
    } else if incr < 0 && incr < minincr {
        Some(if ow == Overflow::Wrap { wrap() } else { 0 })
    } else {
        None
    }
}

/// Redis's `checkSignedBitfieldOverflow`, with its exact (wrapping) comparisons.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(if ow == Overflow::Wrap { wrap() } else { max })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        Some(if ow == Overflow::Wrap { wrap() } else { min })
    } else {
        None
    }
}

/// Parses the subcommands; `None` after an error reply.
fn parse(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> Option<Vec<Field>> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let rem = argv.len() - j - 1;
        let sub = argv[j];
        let kind = if eq_ic(sub, b"get") && rem >= 2 {
            Kind::Get
        } else if eq_ic(sub, b"set") && rem >= 3 {
            Kind::Set
        } else if eq_ic(sub, b"incrby") && rem >= 3 {
            Kind::Incrby
        } else if eq_ic(sub, b"overflow") && rem >= 1 {
            let name = argv[j + 1];
            overflow = if eq_ic(name, b"wrap") {
                Overflow::Wrap
            } else if eq_ic(name, b"sat") {
                Overflow::Sat
            } else if eq_ic(name, b"fail") {
                Overflow::Fail
            } else {
                err(ctx, "ERR Invalid OVERFLOW type specified");
                return None;
            };
            j += 2;
            continue;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return None;
        };
        let (signed, bits) = field_type(ctx, argv[j + 1])?;
        let offset = bit_offset(ctx, argv[j + 2], Some(bits))?;
        let arg = if kind == Kind::Get {
            0
        } else {
            int_arg(ctx, argv[j + 3])?
        };
        fields.push(Field {
            kind,
            signed,
            bits,
            offset,
            arg,
            overflow,
        });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Some(fields)
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL] ...
pub(crate) fn bitfield_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    generic(ctx, argv, false);
}

/// BITFIELD_RO key [GET type offset] ...
pub(crate) fn bitfield_ro_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    generic(ctx, argv, true);
}

fn generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], ro: bool) {
    let key = argv[1];
    let Some(fields) = parse(ctx, argv) else {
        return;
    };
    let highest = fields
        .iter()
        .filter(|f| f.kind != Kind::Get)
        .map(|f| f.offset + u64::from(f.bits) - 1)
        .max();
    let Some(highest) = highest else {
        read_only(ctx, key, &fields);
        return;
    };
    if ro {
        err(ctx, "ERR BITFIELD_RO only supports the GET subcommand");
        return;
    }
    let Some(grown) = string_for_write(ctx, key, highest) else {
        return;
    };
    ctx.reply.array_len(fields.len());
    let mut changes = 0u64;
    for f in &fields {
        let p = str_mut(ctx, key);
        if f.kind == Kind::Get {
            let v = if f.signed {
                get_signed(p, f.offset, f.bits)
            } else {
                get_unsigned(p, f.offset, f.bits) as i64
            };
            ctx.reply.int(v);
            continue;
        }
        // Work on the raw u64 bits of both kinds; the reply converts back.
        let (old, new, ret, failed) = if f.signed {
            let old = get_signed(p, f.offset, f.bits);
            let (new, ret, of) = if f.kind == Kind::Incrby {
                let of = signed_overflow(old, f.arg, f.bits, f.overflow);
                let new = of.unwrap_or_else(|| old.wrapping_add(f.arg));
                (new, new, of.is_some())
            } else {
                let of = signed_overflow(f.arg, 0, f.bits, f.overflow);
                (of.unwrap_or(f.arg), old, of.is_some())
            };
            (
                old as u64,
                new as u64,
                ret,
                of && f.overflow == Overflow::Fail,
            )
        } else {
            let old = get_unsigned(p, f.offset, f.bits);
            let (new, ret, of) = if f.kind == Kind::Incrby {
                let of = unsigned_overflow(old, f.arg, f.bits, f.overflow);
                let new = of.unwrap_or_else(|| old.wrapping_add(f.arg as u64));
                (new, new as i64, of.is_some())
            } else {
                let of = unsigned_overflow(f.arg as u64, 0, f.bits, f.overflow);
                (of.unwrap_or(f.arg as u64), old as i64, of.is_some())
            };
            (old, new, ret, of && f.overflow == Overflow::Fail)
        };
        if failed {
            ctx.reply.null();
            continue;
        }
        set_bits(p, f.offset, f.bits, new);
        ctx.reply.int(ret);
        if grown || old != new {
            changes += 1;
        }
    }
    if changes > 0 {
        ctx.notify(ev::STRING, "setbit", key);
        ctx.dirty += changes;
    }
}

/// Only GETs: a read lookup; a missing key reads as zeros.
fn read_only(ctx: &mut Ctx<'_>, key: &[u8], fields: &[Field]) {
    let found = lookup_read(ctx, key, 0);
    let db = &ctx.dbs[ctx.db_index];
    let s = match found.map(|f| value(db, f)) {
        None => None,
        Some(ValueRef::Str(s, _)) => Some(str_bytes(s)),
        Some(ValueRef::Obj(_)) => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
    };
    let p: &[u8] = s.as_deref().unwrap_or(&[]);
    ctx.reply.array_len(fields.len());
    for f in fields {
        let v = if f.signed {
            get_signed(p, f.offset, f.bits)
        } else {
            get_unsigned(p, f.offset, f.bits) as i64
        };
        ctx.reply.int(v);
    }
}
