//! ZRANGE and its older forms (ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
//! ZREVRANGEBYLEX) and ZRANGESTORE: Redis's `zrangeGenericCommand`.
//!
//! Every kind of range is turned into a span of ranks `[start, end)` with O(log n) rank
//! queries, then walked from `start` (or from `end` backwards for REV) with LIMIT applied as
//! an offset and a count of ranks.

use hashslot_resp::ErrorReply;

use super::parse::{LexBound, ScoreRange};
use super::{
    as_zset, cfg, err, lex_span, look_read, reply_pairs, score_span, store_result, Look,
    LEX_RANGE_ERR, SCORE_RANGE_ERR,
};
use crate::commands::eq_ic;
use crate::util::parse_i64;
use crate::{Ctx, ZSet};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Auto,
    Fwd,
    Rev,
}

/// `zrangeGenericCommand`: `src` is the index of the source key; `store` the destination key.
fn zrange_generic(
    ctx: &mut Ctx<'_>,
    argv: &[&[u8]],
    src: usize,
    store: Option<&[u8]>,
    mut kind: Kind,
    mut dir: Dir,
) {
    let key = argv[src];
    let (mut minidx, mut maxidx) = (src + 1, src + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = src + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv[j];
        if store.is_none() && eq_ic(a, b"withscores") {
            withscores = true;
        } else if eq_ic(a, b"limit") && left >= 2 {
            let Some(o) = parse_i64(argv[j + 1]) else {
                return ctx.reply.error(&ErrorReply::NotInteger);
            };
            let Some(l) = parse_i64(argv[j + 2]) else {
                return ctx.reply.error(&ErrorReply::NotInteger);
            };
            offset = o;
            limit = l;
            j += 2;
        } else if dir == Dir::Auto && eq_ic(a, b"rev") {
            dir = Dir::Rev;
        } else if kind == Kind::Auto && eq_ic(a, b"bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && eq_ic(a, b"byscore") {
            kind = Kind::Score;
        } else {
            return ctx.reply.error(&ErrorReply::Syntax);
        }
        j += 1;
    }
    if dir == Dir::Auto {
        dir = Dir::Fwd;
    }
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if limit != -1 && kind == Kind::Rank {
        return err(
            ctx,
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && kind == Kind::Lex {
        return err(
            ctx,
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        );
    }
    let rev = dir == Dir::Rev;
    if rev && kind != Kind::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    enum Parsed<'a> {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexBound<'a>, LexBound<'a>),
    }
    let parsed = match kind {
        Kind::Rank => {
            let Some(a) = parse_i64(argv[minidx]) else {
                return ctx.reply.error(&ErrorReply::NotInteger);
            };
            let Some(b) = parse_i64(argv[maxidx]) else {
                return ctx.reply.error(&ErrorReply::NotInteger);
            };
            Parsed::Rank(a, b)
        }
        Kind::Score => match ScoreRange::parse(argv[minidx], argv[maxidx]) {
            Some(r) => Parsed::Score(r),
            None => return err(ctx, SCORE_RANGE_ERR),
        },
        _ => match (LexBound::parse(argv[minidx]), LexBound::parse(argv[maxidx])) {
            (Some(a), Some(b)) => Parsed::Lex(a, b),
            _ => return err(ctx, LEX_RANGE_ERR),
        },
    };
    let f = match look_read(ctx, key) {
        Look::Found(f) => f,
        Look::Missing => {
            return match store {
                Some(dst) => store_result(ctx, dst, ZSet::new(), "zrangestore"),
                None => ctx.reply.array_len(0),
            };
        }
        Look::Wrong => return,
    };
    let z = as_zset(&ctx.dbs[ctx.db_index], f).expect("zset");
    let llen = z.len();
    // The span of ranks in ascending order, then the walk.
    let (start, end) = match parsed {
        Parsed::Rank(mut a, mut b) => {
            let l = llen as i64;
            if a < 0 {
                a += l;
            }
            if b < 0 {
                b += l;
            }
            a = a.max(0);
            if a > b || a >= l {
                (0, 0)
            } else {
                let b = b.min(l - 1);
                if rev {
                    // Reverse ranks a..=b are ascending ranks l-1-b ..= l-1-a.
                    ((l - 1 - b) as usize, (l - a) as usize)
                } else {
                    (a as usize, b as usize + 1)
                }
            }
        }
        Parsed::Score(r) => score_span(z, &r),
        Parsed::Lex(a, b) => lex_span(z, &a, &b),
    };
    let mut n = end - start;
    if kind != Kind::Rank {
        // LIMIT: a negative offset returns nothing; a negative count means all.
        if offset < 0 || (offset > 0 && offset as usize >= llen) {
            n = 0;
        } else {
            n = n.saturating_sub(offset as usize);
            if limit >= 0 {
                n = n.min(limit as usize);
            }
        }
    }
    let skip = if kind == Kind::Rank {
        0
    } else {
        offset.max(0) as usize
    };
    let first = if rev { llen - end + skip } else { start + skip };
    let items = z.iter_from(first, rev);
    match store {
        None => reply_pairs(&mut ctx.reply, n, withscores, items),
        Some(dst) => {
            let pairs: Vec<(Vec<u8>, f64)> = items.take(n).map(|(m, s)| (m.to_vec(), s)).collect();
            let maxlen = pairs.iter().map(|p| p.0.len()).max().unwrap_or(0);
            let c = cfg(&ctx.dbs[ctx.db_index], &ctx.limits);
            let mut out = ZSet::with_capacity_for(pairs.len(), maxlen, &c);
            for (m, s) in &pairs {
                out.insert_with(m, *s, &c);
            }
            store_result(ctx, dst, out, "zrangestore");
        }
    }
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub(crate) fn zrange_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zrange_generic(ctx, argv, 1, None, Kind::Auto, Dir::Auto);
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub(crate) fn zrangestore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zrange_generic(ctx, argv, 2, Some(argv[1]), Kind::Auto, Dir::Auto);
}

/// ZREVRANGE key start stop [WITHSCORES]
pub(crate) fn zrevrange_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zrange_generic(ctx, argv, 1, None, Kind::Rank, Dir::Rev);
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub(crate) fn zrangebyscore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zrange_generic(ctx, argv, 1, None, Kind::Score, Dir::Fwd);
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub(crate) fn zrevrangebyscore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zrange_generic(ctx, argv, 1, None, Kind::Score, Dir::Rev);
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub(crate) fn zrangebylex_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zrange_generic(ctx, argv, 1, None, Kind::Lex, Dir::Fwd);
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub(crate) fn zrevrangebylex_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    zrange_generic(ctx, argv, 1, None, Kind::Lex, Dir::Rev);
}
