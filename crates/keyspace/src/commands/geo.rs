//! GEO commands (Redis 7.0 `geo.c` semantics): a geo index is a sorted set whose scores are
//! 52-bit geohashes. GEOADD, GEOPOS, GEOHASH and GEODIST here; the searches (GEORADIUS*,
//! GEOSEARCH, GEOSEARCHSTORE) in `geo_search.rs`; the geohash arithmetic in `geo_hash.rs`; the
//! result sorts in `geo_sort.rs`.
//!
//! Replies are Redis's byte for byte: coordinates print as `%.17Lf` with trailing zeros cut
//! (Redis's "human" long double), distances as fixed-point with 4 decimals rounded with
//! `llrint`, and the arithmetic follows Redis's formulas operation by operation.

#[path = "geo_hash.rs"]
pub(crate) mod hash;
#[path = "geo_search.rs"]
mod search;
#[path = "geo_sort.rs"]
mod sort;

pub(crate) use search::*;

use hashslot_resp::{ErrorReply, Proto, Reply};

use super::zset::{self, as_zset, look_read, parse::parse_score, Look};
use super::{eq_ic, value};
use crate::value::{Object, ValueRef};
use crate::Ctx;

/// The bytes of an argument up to its first NUL: what Redis's `strcasecmp` on the C string
/// compares.
fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |n| &s[..n])
}

/// Redis's `strcasecmp(arg, lower) == 0`.
pub(crate) fn kw(arg: &[u8], lower: &[u8]) -> bool {
    eq_ic(c_str(arg), lower)
}

/// Redis's `getDoubleFromObjectOrReply`: `msg` replaces the default error text.
pub(crate) fn double_arg(ctx: &mut Ctx<'_>, arg: &[u8], msg: Option<&'static str>) -> Option<f64> {
    let v = parse_score(arg);
    if v.is_none() {
        match msg {
            Some(m) => ctx.reply.error(&ErrorReply::msg(m)),
            None => ctx.reply.error(&ErrorReply::NotFloat),
        }
    }
    v
}

/// Redis's `extractLongLatOrReply`: a longitude and a latitude inside the indexable area.
pub(crate) fn lon_lat_arg(ctx: &mut Ctx<'_>, lon: &[u8], lat: &[u8]) -> Option<[f64; 2]> {
    let x = double_arg(ctx, lon, None)?;
    let y = double_arg(ctx, lat, None)?;
    if !(hash::LONG_MIN..=hash::LONG_MAX).contains(&x)
        || !(hash::LAT_MIN..=hash::LAT_MAX).contains(&y)
    {
        let text = format!("ERR invalid longitude,latitude pair {x:.6},{y:.6}");
        ctx.reply.error(&ErrorReply::msg(text));
        return None;
    }
    Some([x, y])
}

/// Redis's `extractUnitOrReply`: meters per unit.
pub(crate) fn unit_arg(ctx: &mut Ctx<'_>, arg: &[u8]) -> Option<f64> {
    let u = if kw(arg, b"m") {
        1.0
    } else if kw(arg, b"km") {
        1000.0
    } else if kw(arg, b"ft") {
        0.3048
    } else if kw(arg, b"mi") {
        1609.34
    } else {
        ctx.reply.error(&ErrorReply::msg(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        ));
        return None;
    };
    Some(u)
}

/// Redis's `ld2string(…, LD_STR_HUMAN)` of a double: `%.17Lf` (a double widened to long double
/// prints the same digits as the double), trailing zeros and a bare point cut, `-0` made `0`.
pub(crate) fn human_double(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let s = format!("{d:.17}");
    let mut t = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if t == "-0" {
        t = "0".to_string();
    }
    t
}

/// Redis's `addReplyHumanLongDouble`: a bulk string in RESP2, a `,` double in RESP3.
pub(crate) fn reply_human(reply: &mut Reply<'_>, d: f64) {
    let text = human_double(d);
    match reply.proto() {
        Proto::Resp2 => reply.bulk(text.as_bytes()),
        Proto::Resp3 => {
            let mut raw = Vec::with_capacity(text.len() + 3);
            raw.push(b',');
            raw.extend_from_slice(text.as_bytes());
            raw.extend_from_slice(b"\r\n");
            reply.raw(&raw);
        }
    }
}

/// C's `llrint` on x86-64: round half to even, `LLONG_MIN` when out of range or NaN.
fn llrint(x: f64) -> i64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    let r = x.round_ties_even();
    if r.is_nan() || !(-TWO63..TWO63).contains(&r) {
        i64::MIN
    } else {
        r as i64
    }
}

/// Redis's `fixedpoint_d2string(…, 4)`: a distance with exactly 4 decimals.
pub(crate) fn distance_text(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".to_string();
    }
    let v = llrint(d * 10000.0);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:04}", a / 10000, a % 10000)
}

/// Redis's `addReplyDoubleDistance`: always a bulk string.
pub(crate) fn reply_distance(reply: &mut Reply<'_>, d: f64) {
    reply.bulk(distance_text(d).as_bytes());
}

/// The score of `member` in the sorted set at found key `f`.
fn score_in(ctx: &Ctx<'_>, f: super::Found, member: &[u8]) -> Option<f64> {
    match value(&ctx.dbs[ctx.db_index], f) {
        ValueRef::Obj(Object::ZSet(z)) => z.score(member),
        _ => None,
    }
}

// ----- GEOADD -----

/// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]: the
/// coordinates become scores and ZADD does the rest, as in Redis (which also rewrites the
/// command it propagates to ZADD).
pub(crate) fn geoadd_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let (mut xx, mut nx) = (false, false);
    let mut longidx = 2;
    while longidx < argv.len() {
        let opt = argv[longidx];
        if kw(opt, b"nx") {
            nx = true;
        } else if kw(opt, b"xx") {
            xx = true;
        } else if kw(opt, b"ch") {
            // ZADD reads it.
        } else {
            break;
        }
        longidx += 1;
    }
    if (argv.len() - longidx) % 3 != 0 || (xx && nx) {
        return ctx.reply.error(&ErrorReply::Syntax);
    }
    let elements = (argv.len() - longidx) / 3;
    let mut scores: Vec<Vec<u8>> = Vec::with_capacity(elements);
    for i in 0..elements {
        let at = longidx + i * 3;
        let Some([x, y]) = lon_lat_arg(ctx, argv[at], argv[at + 1]) else {
            return;
        };
        let bits = hash::score_of(x, y).expect("validated coordinates encode");
        scores.push(bits.to_string().into_bytes());
    }
    let mut zargv: Vec<&[u8]> = Vec::with_capacity(longidx + elements * 2);
    zargv.push(b"zadd");
    zargv.extend_from_slice(&argv[1..longidx]);
    for (i, s) in scores.iter().enumerate() {
        zargv.push(s);
        zargv.push(argv[longidx + i * 3 + 2]);
    }
    zset::zadd_command(ctx, &zargv);
}

// ----- GEOPOS / GEOHASH / GEODIST -----

/// GEOPOS key [member ...]: `[longitude, latitude]` of each member, a null array for a missing
/// one.
pub(crate) fn geopos_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let f = match look_read(ctx, argv[1]) {
        Look::Wrong => return,
        Look::Found(f) => Some(f),
        Look::Missing => None,
    };
    ctx.reply.array_len(argv.len() - 2);
    for m in &argv[2..] {
        match f.and_then(|f| score_in(ctx, f, m)) {
            None => ctx.reply.null_array(),
            Some(score) => {
                let [x, y] = hash::decode_score(score);
                ctx.reply.array_len(2);
                reply_human(&mut ctx.reply, x);
                reply_human(&mut ctx.reply, y);
            }
        }
    }
}

/// GEOHASH key [member ...]: the 11-character standard geohash of each member, null for a
/// missing one.
pub(crate) fn geohash_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let f = match look_read(ctx, argv[1]) {
        Look::Wrong => return,
        Look::Found(f) => Some(f),
        Look::Missing => None,
    };
    ctx.reply.array_len(argv.len() - 2);
    for m in &argv[2..] {
        match f.and_then(|f| score_in(ctx, f, m)) {
            None => ctx.reply.null(),
            Some(score) => ctx.reply.bulk(&hash::standard_geohash(score)),
        }
    }
}

/// GEODIST key member1 member2 [M|KM|FT|MI]: the distance, null if a member is missing.
pub(crate) fn geodist_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    let mut to_meter = 1.0;
    if argv.len() == 5 {
        let Some(u) = unit_arg(ctx, argv[4]) else {
            return;
        };
        to_meter = u;
    } else if argv.len() > 5 {
        return ctx.reply.error(&ErrorReply::Syntax);
    }
    let f = match look_read(ctx, argv[1]) {
        Look::Wrong => return,
        Look::Missing => return ctx.reply.null(),
        Look::Found(f) => f,
    };
    let z = as_zset(&ctx.dbs[ctx.db_index], f).expect("type checked");
    let (Some(s1), Some(s2)) = (z.score(argv[2]), z.score(argv[3])) else {
        return ctx.reply.null();
    };
    let [x1, y1] = hash::decode_score(s1);
    let [x2, y2] = hash::decode_score(s2);
    reply_distance(&mut ctx.reply, hash::distance(x1, y1, x2, y2) / to_meter);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Db, KeyspaceStats};
    use hashslot_types::{Instant, Now, Rng, UnixMillis};

    /// Run one command line (split on spaces) on `dbs` and return the raw RESP2 reply.
    fn run(dbs: &mut [Db], line: &str) -> String {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        let spec = crate::commands::table::all()
            .iter()
            .find(|c| c.name.as_bytes() == args[0])
            .expect("registered");
        let (mut rng, mut stats, mut out) =
            (Rng::from_seed(1), KeyspaceStats::default(), Vec::new());
        let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
        let mut ctx = Ctx::new(
            dbs,
            0,
            now,
            Reply::new(&mut out, Proto::Resp2),
            &mut rng,
            &mut stats,
        );
        (spec.handler.expect("handler"))(&mut ctx, &args);
        String::from_utf8(out).expect("utf-8 reply")
    }

    /// The replies redis-server 7.0.15 gives for its documentation's Sicily example.
    #[test]
    fn sicily_example_replies_as_redis() {
        let mut dbs = vec![Db::new()];
        let d = &mut dbs;
        assert_eq!(
            run(
                d,
                "geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"
            ),
            ":2\r\n"
        );
        assert_eq!(
            run(d, "geodist Sicily Palermo Catania"),
            "$11\r\n166274.1516\r\n"
        );
        assert_eq!(
            run(d, "geodist Sicily Palermo Catania km"),
            "$8\r\n166.2742\r\n"
        );
        assert_eq!(
            run(d, "geohash Sicily Palermo nope"),
            "*2\r\n$11\r\nsqc8b49rny0\r\n$-1\r\n"
        );
        assert_eq!(
            run(d, "geopos Sicily Catania nope"),
            "*2\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*-1\r\n"
        );
        assert_eq!(
            run(d, "georadius Sicily 15 37 200 km WITHDIST ASC"),
            "*2\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n"
        );
        assert_eq!(
            run(d, "geosearch Sicily FROMMEMBER Palermo BYRADIUS 100 km"),
            "*1\r\n$7\r\nPalermo\r\n"
        );
        assert_eq!(
            run(
                d,
                "geosearchstore dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 1 STOREDIST"
            ),
            ":1\r\n"
        );
        assert_eq!(
            run(d, "zrange dst 0 -1 withscores"),
            "*2\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n"
        );
        assert_eq!(
            run(d, "geoadd Sicily 200 100 x"),
            "-ERR invalid longitude,latitude pair 200.000000,100.000000\r\n"
        );
        assert_eq!(
            run(d, "geosearch Sicily FROMLONLAT 1 1 BYRADIUS 1 km ANY"),
            "-ERR the ANY argument requires COUNT argument\r\n"
        );
    }

    #[test]
    fn human_format_cuts_zeros() {
        assert_eq!(human_double(13.361389338970184), "13.36138933897018433");
        assert_eq!(human_double(1.5), "1.5");
        assert_eq!(human_double(-180.0), "-180");
        assert_eq!(human_double(-1e-30), "0");
        assert_eq!(human_double(0.0), "0");
    }

    #[test]
    fn distance_has_four_decimals() {
        assert_eq!(distance_text(0.0), "0.0000");
        assert_eq!(distance_text(-0.0), "0.0000");
        assert_eq!(distance_text(166274.15156960033), "166274.1516");
        assert_eq!(distance_text(0.00004), "0.0000");
        assert_eq!(distance_text(0.000051), "0.0001");
        assert_eq!(distance_text(12.5), "12.5000");
        assert_eq!(distance_text(f64::NAN), "-922337203685477.5808");
    }
}
