//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST, on strings in Redis's
//! own HLL format (see `hll.rs`), with Redis 7.0.15's replies, errors and side effects (the
//! cached cardinality PFCOUNT writes back, PFDEBUG GETREG turning a sparse HLL dense).

use hashslot_resp::ErrorReply;

use super::bitmap::str_mut;
use super::hll::{self, Corrupt, Registers, HDR, REGISTERS, SPARSE_MAX_BYTES};
use super::{err, ev, lookup_read, lookup_write, value, Found};
use crate::value::{Object, StrRef, ValueRef};
use crate::Ctx;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

/// Redis's `isHLLObjectOrReply` for a found key: `false` after an error reply.
fn check_hll(ctx: &mut Ctx<'_>, f: Found) -> bool {
    let ok = match value(&ctx.dbs[ctx.db_index], f) {
        ValueRef::Obj(_) => {
            ctx.reply.error(&ErrorReply::WrongType);
            return false;
        }
        // An integer-encoded string is never an HLL.
        ValueRef::Str(StrRef::Int(_), _) => false,
        ValueRef::Str(StrRef::Bytes(b), _) => hll::looks_valid(b),
    };
    if !ok {
        err(ctx, NOT_HLL);
    }
    ok
}

/// The bytes of a found key already checked by [`check_hll`].
fn hll_bytes<'a>(ctx: &'a Ctx<'_>, f: Found) -> &'a [u8] {
    match value(&ctx.dbs[ctx.db_index], f) {
        ValueRef::Str(StrRef::Bytes(b), _) => b,
        _ => unreachable!("checked to be an HLL"),
    }
}

/// PFADD key [element ...]
pub(crate) fn pfadd_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let key = argv[1];
    let mut updated = 0u64;
    match lookup_write(ctx, key) {
        None => {
            let now = ctx.now.wall;
            let v = Object::Str(hll::new_sparse());
            ctx.dbs[ctx.db_index].insert_object(key, v, false, now);
            updated += 1;
        }
        Some(f) => {
            if !check_hll(ctx, f) {
                return;
            }
        }
    }
    let sparse_max = ctx.limits.hll_sparse_max_bytes;
    let s = str_mut(ctx, key);
    for ele in &argv[2..] {
        match hll::add(s, ele, sparse_max) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            Err(Corrupt) => {
                err(ctx, CORRUPT);
                return;
            }
        }
    }
    if updated > 0 {
        hll::invalidate(s);
        ctx.notify(ev::STRING, "pfadd", key);
        ctx.dirty += updated;
    }
    ctx.reply.int(i64::from(updated > 0));
}

/// PFCOUNT key [key ...]
pub(crate) fn pfcount_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    if argv.len() > 2 {
        // The union's cardinality, from the per-register maxima; nothing is cached.
        let mut max = Box::new([0u8; REGISTERS]);
        for key in &argv[1..] {
            let Some(f) = lookup_read(ctx, key, 0) else {
                continue;
            };
            if !check_hll(ctx, f) {
                return;
            }
            if hll::merge_into(&mut max, hll_bytes(ctx, f)).is_err() {
                err(ctx, CORRUPT);
                return;
            }
        }
        let card = hll::count(Registers::Raw(&max)).expect("raw registers are always whole");
        ctx.reply.int(card as i64);
        return;
    }
    let key = argv[1];
    let Some(f) = lookup_read(ctx, key, 0) else {
        ctx.reply.int(0);
        return;
    };
    if !check_hll(ctx, f) {
        return;
    }
    let s = str_mut(ctx, key);
    let card = match hll::cached(s) {
        Some(c) => c,
        None => {
            let Ok(card) = hll::count(Registers::Hll(s)) else {
                err(ctx, CORRUPT);
                return;
            };
            // The cache lives in the value, so refreshing it is a write Redis propagates.
            hll::set_cached(s, card);
            ctx.dirty += 1;
            card
        }
    };
    ctx.reply.int(card as i64);
}

/// PFMERGE destkey [sourcekey ...]
pub(crate) fn pfmerge_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let dest = argv[1];
    let mut max = Box::new([0u8; REGISTERS]);
    let mut use_dense = false;
    // The destination is a source too (argv[1..]).
    for key in &argv[1..] {
        let Some(f) = lookup_read(ctx, key, 0) else {
            continue;
        };
        if !check_hll(ctx, f) {
            return;
        }
        let s = hll_bytes(ctx, f);
        use_dense |= s[4] == hll::DENSE;
        if hll::merge_into(&mut max, s).is_err() {
            err(ctx, CORRUPT);
            return;
        }
    }
    if lookup_write(ctx, dest).is_none() {
        let now = ctx.now.wall;
        let v = Object::Str(hll::new_sparse());
        ctx.dbs[ctx.db_index].insert_object(dest, v, false, now);
    }
    let sparse_max = ctx.limits.hll_sparse_max_bytes;
    let s = str_mut(ctx, dest);
    if use_dense && hll::to_dense(s).is_err() {
        err(ctx, CORRUPT);
        return;
    }
    for (i, &m) in max.iter().enumerate() {
        if m == 0 {
            continue;
        }
        // Redis ignores the result here: the destination was validated by the merge above.
        if s[4] == hll::DENSE {
            hll::dense_set(&mut s[HDR..], i, m);
        } else {
            let _ = hll::sparse_set(s, i, m, sparse_max);
        }
    }
    hll::invalidate(s);
    ctx.notify(ev::STRING, "pfadd", dest);
    ctx.dirty += 1;
    ctx.reply.ok();
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
pub(crate) fn pfdebug_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (sub, key) = (argv[1], argv[2]);
    let Some(f) = lookup_write(ctx, key) else {
        err(ctx, "ERR The specified key does not exist");
        return;
    };
    if !check_hll(ctx, f) {
        return;
    }
    // Redis unshares the value before looking at the subcommand.
    let _ = str_mut(ctx, key);
    let name = String::from_utf8_lossy(sub).into_owned();
    let lower = name.to_ascii_lowercase();
    if !matches!(lower.as_str(), "getreg" | "decode" | "encoding" | "todense") {
        ctx.reply.error(&ErrorReply::msg(format!(
            "ERR Unknown PFDEBUG subcommand '{name}'"
        )));
        return;
    }
    if argv.len() != 3 {
        ctx.reply.error(&ErrorReply::msg(format!(
            "ERR Wrong number of arguments for the '{name}' subcommand"
        )));
        return;
    }
    let s = str_mut(ctx, key);
    match lower.as_str() {
        "getreg" | "todense" => {
            let Ok(converted) = hll::to_dense(s) else {
                err(ctx, CORRUPT);
                return;
            };
            if lower == "todense" {
                ctx.reply.int(i64::from(converted));
            } else {
                let regs: Vec<u8> = (0..REGISTERS)
                    .map(|i| hll::dense_get(&s[HDR..], i))
                    .collect();
                ctx.reply.array_len(REGISTERS);
                for r in regs {
                    ctx.reply.int(i64::from(r));
                }
            }
            if converted {
                ctx.dirty += 1;
            }
        }
        "decode" => {
            if s[4] != hll::SPARSE {
                err(ctx, "ERR HLL encoding is not sparse");
                return;
            }
            let text = hll::decode(s);
            ctx.reply.bulk(text.as_bytes());
        }
        _ => {
            let enc: &[u8] = if s[4] == hll::DENSE {
                b"dense"
            } else {
                b"sparse"
            };
            ctx.reply.simple(enc);
        }
    }
}

/// PFSELFTEST: Redis's own checks of the implementation, run on ours — register access in a
/// dense array, then 10 million elements added to a dense and a sparse HLL side by side, with
/// their estimates compared to each other and to the true count at every power of ten.
pub(crate) fn pfselftest_command(ctx: &mut Ctx<'_>, _argv: &[&[u8]]) {
    let rng = &mut *ctx.rng;
    let result = selftest(&mut || rng.next_u64());
    match result {
        Ok(()) => ctx.reply.ok(),
        Err(text) => ctx.reply.error(&ErrorReply::msg(text)),
    }
}

fn selftest(rand: &mut dyn FnMut() -> u64) -> Result<(), String> {
    let mut dense = hll::sparse_to_dense(&hll::new_sparse()).expect("a new HLL is whole");
    let mut bytes = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (rand() & 63) as u8;
            hll::dense_set_raw(&mut dense[HDR..], i, *b);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let v = hll::dense_get(&dense[HDR..], i);
            if v != b {
                return Err(format!("TESTFAILED Register {i} should be {b} but is {v}"));
            }
        }
    }
    dense[HDR..].fill(0);
    let mut sparse = hll::new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed = rand();
    let mut checkpoint: u64 = 1;
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_ne_bytes();
        let (index, count) = hll::pat_len(&ele);
        hll::dense_set(&mut dense[HDR..], index, count);
        hll::add(&mut sparse, &ele, SPARSE_MAX_BYTES)
            .map_err(|_| "TESTFAILED sparse HLL corrupted".to_owned())?;
        if j != checkpoint {
            continue;
        }
        if (j as usize) < SPARSE_MAX_BYTES / 2 && sparse[4] != hll::SPARSE {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let d = hll::count(Registers::Hll(&dense)).map_err(|_| "TESTFAILED dense".to_owned())?;
        let sp = hll::count(Registers::Hll(&sparse)).map_err(|_| "TESTFAILED sparse".to_owned())?;
        if d != sp {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64 - d as i64).unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn selftest_passes_on_this_implementation() {
        let mut x = 0x9e3779b97f4a7c15u64;
        let r = super::selftest(&mut || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        });
        assert_eq!(r, Ok(()));
    }
}
