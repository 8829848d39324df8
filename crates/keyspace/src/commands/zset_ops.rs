//! Set algebra over sorted sets (and plain sets, whose members score 1): ZUNION, ZINTER, ZDIFF,
//! their STORE forms and ZINTERCARD — Redis's `zunionInterDiffGenericCommand` — and the key
//! finders of the commands with movable keys.

use std::collections::BTreeMap;

use hashslot_resp::{ErrorReply, Proto};

use super::parse::parse_score;
use super::{cfg, err, store_result};
use crate::commands::{eq_ic, lookup_read, value};
use crate::util::parse_i64;
use crate::value::{Object, StrRef, ValueRef};
use crate::{Ctx, ZSet};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Agg {
    Sum,
    Min,
    Max,
}

/// One input: a sorted set, a plain set's members, or nothing (a missing key).
enum Src<'a> {
    None,
    Z(&'a ZSet),
    Set(&'a crate::types::Set),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::None => 0,
            Src::Z(z) => z.len(),
            Src::Set(v) => v.len(),
        }
    }

    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::None => None,
            Src::Z(z) => z.score(m),
            Src::Set(v) => v.contains(m).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Src::None => {}
            Src::Z(z) => z.iter().for_each(|(m, s)| f(m, s)),
            Src::Set(v) => v.iter().for_each(|m| match m {
                StrRef::Bytes(b) => f(b, 1.0),
                StrRef::Int(_) => f(&m.to_vec(), 1.0),
            }),
        }
    }
}

fn aggregate(target: &mut f64, v: f64, agg: Agg) {
    match agg {
        Agg::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Agg::Min => {
            if v < *target {
                *target = v;
            }
        }
        Agg::Max => {
            if v > *target {
                *target = v;
            }
        }
    }
}

fn generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], dst: Option<&[u8]>, nk: usize, op: Op, card: bool) {
    let Some(setnum) = parse_i64(argv[nk]) else {
        return ctx.reply.error(&ErrorReply::NotInteger);
    };
    if setnum < 1 {
        let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
        return ctx.reply.error(&ErrorReply::msg(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    if setnum > (argv.len() - (nk + 1)) as i64 {
        return ctx.reply.error(&ErrorReply::Syntax);
    }
    let setnum = setnum as usize;
    let keys = &argv[nk + 1..nk + 1 + setnum];
    let mut found = Vec::with_capacity(setnum);
    for k in keys {
        let f = lookup_read(ctx, k, 0);
        if let Some(f) = f {
            let db = &ctx.dbs[ctx.db_index];
            let ok = matches!(
                value(db, f),
                ValueRef::Obj(Object::ZSet(_) | Object::Set(_))
            );
            if !ok {
                return ctx.reply.error(&ErrorReply::WrongType);
            }
        }
        found.push(f);
    }
    let mut weights = vec![1.0f64; setnum];
    let (mut agg, mut withscores, mut limit) = (Agg::Sum, false, 0i64);
    let mut j = nk + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = argv[j];
        if op != Op::Diff && !card && remaining > setnum && eq_ic(a, b"weights") {
            j += 1;
            for w in weights.iter_mut() {
                match parse_score(argv[j]) {
                    Some(v) => *w = v,
                    None => return err(ctx, "ERR weight value is not a float"),
                }
                j += 1;
            }
        } else if op != Op::Diff && !card && remaining >= 2 && eq_ic(a, b"aggregate") {
            let v = argv[j + 1];
            agg = if eq_ic(v, b"sum") {
                Agg::Sum
            } else if eq_ic(v, b"min") {
                Agg::Min
            } else if eq_ic(v, b"max") {
                Agg::Max
            } else {
                return ctx.reply.error(&ErrorReply::Syntax);
            };
            j += 2;
        } else if dst.is_none() && !card && eq_ic(a, b"withscores") {
            withscores = true;
            j += 1;
        } else if card && remaining >= 2 && eq_ic(a, b"limit") {
            match parse_i64(argv[j + 1]) {
                Some(l) if l >= 0 => limit = l,
                _ => return err(ctx, "ERR LIMIT can't be negative"),
            }
            j += 2;
        } else {
            return ctx.reply.error(&ErrorReply::Syntax);
        }
    }
    let db = &ctx.dbs[ctx.db_index];
    let mut srcs: Vec<(Src<'_>, f64)> = found
        .iter()
        .zip(&weights)
        .map(|(f, &w)| {
            let src = match f.map(|f| value(db, f)) {
                None => Src::None,
                Some(ValueRef::Obj(Object::ZSet(z))) => Src::Z(z),
                Some(ValueRef::Obj(Object::Set(s))) => Src::Set(s),
                Some(_) => unreachable!("type checked"),
            };
            (src, w)
        })
        .collect();
    if op != Op::Diff {
        srcs.sort_by_key(|s| s.0.len());
    }
    let weighted = |s: f64, w: f64| {
        let v = w * s;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut cardinality = 0i64;
    match op {
        Op::Inter => {
            if srcs[0].0.len() > 0 {
                let (first, rest) = srcs.split_first().expect("at least one input");
                let mut stop = false;
                first.0.for_each(|m, s0| {
                    if stop {
                        return;
                    }
                    let mut score = weighted(s0, first.1);
                    for (src, w) in rest {
                        match src.score(m) {
                            Some(v) => aggregate(&mut score, v * w, agg),
                            None => return,
                        }
                    }
                    if card {
                        cardinality += 1;
                        if limit > 0 && cardinality >= limit {
                            stop = true;
                        }
                    } else {
                        result.push((m.to_vec(), score));
                    }
                });
            }
        }
        Op::Union => {
            // Ordered by member so that nothing depends on hashing; sorted by score below.
            let mut acc: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            for (src, w) in &srcs {
                src.for_each(|m, s| {
                    let v = weighted(s, *w);
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, v, agg),
                        None => {
                            acc.insert(m.to_vec(), v);
                        }
                    }
                });
            }
            result = acc.into_iter().collect();
        }
        Op::Diff => {
            let (first, rest) = srcs.split_first().expect("at least one input");
            first.0.for_each(|m, s| {
                if rest.iter().all(|(src, _)| src.score(m).is_none()) {
                    result.push((m.to_vec(), s));
                }
            });
        }
    }
    if card {
        return ctx.reply.int(cardinality);
    }
    result.sort_by(|a, b| crate::types::zset::zset_tree::cmp_key(a.1, &a.0, b.1, &b.0));
    match dst {
        Some(dst) => {
            let maxlen = result.iter().map(|p| p.0.len()).max().unwrap_or(0);
            let c = cfg(&ctx.dbs[ctx.db_index], &ctx.limits);
            let mut out = ZSet::with_capacity_for(result.len(), maxlen, &c);
            for (m, s) in &result {
                out.insert_with(m, *s, &c);
            }
            let event = match op {
                Op::Union => "zunionstore",
                Op::Inter => "zinterstore",
                Op::Diff => "zdiffstore",
            };
            store_result(ctx, dst, out, event);
        }
        None => {
            let resp3 = ctx.reply.proto() == Proto::Resp3;
            let n = result.len();
            ctx.reply
                .array_len(if withscores && !resp3 { n * 2 } else { n });
            for (m, s) in &result {
                if withscores && resp3 {
                    ctx.reply.array_len(2);
                }
                ctx.reply.bulk(m);
                if withscores {
                    ctx.reply.double(*s);
                }
            }
        }
    }
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub(crate) fn zunionstore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    generic(ctx, argv, Some(argv[1]), 2, Op::Union, false);
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub(crate) fn zinterstore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    generic(ctx, argv, Some(argv[1]), 2, Op::Inter, false);
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub(crate) fn zdiffstore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    generic(ctx, argv, Some(argv[1]), 2, Op::Diff, false);
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(crate) fn zunion_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    generic(ctx, argv, None, 1, Op::Union, false);
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(crate) fn zinter_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    generic(ctx, argv, None, 1, Op::Inter, false);
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub(crate) fn zdiff_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    generic(ctx, argv, None, 1, Op::Diff, false);
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub(crate) fn zintercard_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    generic(ctx, argv, None, 1, Op::Inter, true);
}

// ----- key finders (Redis's `genericGetKeys`) -----

/// Keys `first..first+numkeys` where `argv[count_at]` is numkeys, plus `store` when given;
/// nothing when numkeys is not a count of available arguments (the command will fail).
fn numkeys_keys(
    argv: &[&[u8]],
    store: Option<usize>,
    count_at: usize,
    first: usize,
    out: &mut Vec<usize>,
) {
    let Some(n) = argv.get(count_at).and_then(|a| parse_i64(a)) else {
        return;
    };
    if n < 1 || n as usize > argv.len().saturating_sub(first) {
        return;
    }
    out.extend(first..first + n as usize);
    if let Some(s) = store {
        out.push(s);
    }
}

/// Keys of ZUNION.
pub(crate) fn zunion_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_keys(argv, None, 1, 2, out);
}

/// Keys of ZINTER.
pub(crate) fn zinter_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_keys(argv, None, 1, 2, out);
}

/// Keys of ZDIFF.
pub(crate) fn zdiff_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_keys(argv, None, 1, 2, out);
}

/// Keys of ZINTERCARD.
pub(crate) fn zintercard_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_keys(argv, None, 1, 2, out);
}

/// Keys of ZUNIONSTORE (the destination last, as Redis lists it).
pub(crate) fn zunionstore_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_keys(argv, Some(1), 2, 3, out);
}

/// Keys of ZINTERSTORE.
pub(crate) fn zinterstore_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_keys(argv, Some(1), 2, 3, out);
}

/// Keys of ZDIFFSTORE.
pub(crate) fn zdiffstore_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_keys(argv, Some(1), 2, 3, out);
}

/// Keys of ZMPOP.
pub(crate) fn zmpop_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_keys(argv, None, 1, 2, out);
}

/// Keys of BZMPOP.
pub(crate) fn bzmpop_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    numkeys_keys(argv, None, 2, 3, out);
}
