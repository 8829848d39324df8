//! The GEO searches: GEORADIUS, GEORADIUS_RO, GEORADIUSBYMEMBER, GEORADIUSBYMEMBER_RO,
//! GEOSEARCH and GEOSEARCHSTORE, all one routine as Redis's `georadiusGeneric`: parse in
//! Redis's order (so the first error is Redis's), walk the 3x3 grid of geohash boxes as score
//! ranges of the sorted set, keep the points inside the shape, sort (with Redis's own sorts,
//! so that ties come out alike), then reply or store.

use hashslot_resp::ErrorReply;

use super::hash::{self, Hash, Search, Shape};
use super::sort::{cmp_asc, merge_sort, partial_sort};
use super::{c_str, double_arg, kw, lon_lat_arg, reply_distance, reply_human, unit_arg};
use crate::commands::zset::{as_zset, cfg, look_read, Look};
use crate::commands::{ev, int_arg, Found};
use crate::value::Object;
use crate::{Ctx, ZSet};

/// Search around coordinates (GEORADIUS*).
const RADIUS_COORDS: u8 = 1;
/// Search around a member (GEORADIUSBYMEMBER*).
const RADIUS_MEMBER: u8 = 2;
/// No STORE/STOREDIST (the `_RO` variants).
const RADIUS_NOSTORE: u8 = 4;
/// GEOSEARCH's argument syntax.
const GEOSEARCH: u8 = 8;
/// GEOSEARCHSTORE: the destination is the first key; STOREDIST is a flag.
const GEOSEARCHSTORE: u8 = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// One point found (Redis's `geoPoint`).
struct Point {
    lon: f64,
    lat: f64,
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// Redis's `extractDistanceOrReply`: `(meters per unit, radius)`.
fn distance_args(ctx: &mut Ctx<'_>, r: &[u8], unit: &[u8]) -> Option<(f64, f64)> {
    let radius = double_arg(ctx, r, Some("ERR need numeric radius"))?;
    if radius < 0.0 {
        ctx.reply
            .error(&ErrorReply::msg("ERR radius cannot be negative"));
        return None;
    }
    Some((unit_arg(ctx, unit)?, radius))
}

/// Redis's `extractBoxOrReply`: `(meters per unit, width, height)`.
fn box_args(ctx: &mut Ctx<'_>, w: &[u8], h: &[u8], unit: &[u8]) -> Option<(f64, f64, f64)> {
    let w = double_arg(ctx, w, Some("ERR need numeric width"))?;
    let h = double_arg(ctx, h, Some("ERR need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        ctx.reply
            .error(&ErrorReply::msg("ERR height or width cannot be negative"));
        return None;
    }
    Some((unit_arg(ctx, unit)?, w, h))
}

/// The decoded position of `member` in the set at `f`, or Redis's error.
fn member_xy(ctx: &mut Ctx<'_>, f: Found, member: &[u8]) -> Option<[f64; 2]> {
    let z = as_zset(&ctx.dbs[ctx.db_index], f).expect("type checked");
    match z.score(member) {
        Some(s) => Some(hash::decode_score(s)),
        None => {
            ctx.reply.error(&ErrorReply::msg(
                "ERR could not decode requested zset member",
            ));
            None
        }
    }
}

/// Redis's `geoGetPointsInRange` for one box: the points with `min <= score < max` inside the
/// shape, stopping once `limit` (ANY) points were found in all.
fn points_in_box(z: &ZSet, b: Hash, search: &Search, out: &mut Vec<Point>, limit: usize) {
    let min = b.align52() as f64;
    let max = Hash {
        bits: b.bits.wrapping_add(1),
        step: b.step,
    }
    .align52() as f64;
    let start = z.count_prefix(|_, s| s < min);
    for (member, score) in z.iter_from(start, false) {
        if score >= max {
            break;
        }
        let [lon, lat] = hash::decode_score(score);
        if let Some(dist) = search.distance_if_within(lon, lat) {
            out.push(Point {
                lon,
                lat,
                dist,
                score,
                member: member.to_vec(),
            });
        }
        if limit > 0 && out.len() >= limit {
            break;
        }
    }
}

/// Redis's `membersOfAllNeighbors`: the nine boxes in order, skipping removed ones and a box
/// equal to the one processed last (huge radii make neighbours coincide).
fn points_in_boxes(z: &ZSet, search: &Search, limit: usize) -> Vec<Point> {
    let boxes = search.boxes();
    let mut out = Vec::new();
    // Redis's `last_processed` starts at 0 and is compared only once non-zero.
    let mut last_processed = 0;
    for (i, b) in boxes.iter().enumerate() {
        if b.is_zero() {
            continue;
        }
        if last_processed != 0 && *b == boxes[last_processed] {
            continue;
        }
        if limit > 0 && out.len() >= limit {
            break;
        }
        points_in_box(z, *b, search, &mut out, limit);
        last_processed = i;
    }
    out
}

/// Parsed options of a search.
struct Opts<'a> {
    store: Option<&'a [u8]>,
    storedist: bool,
    withdist: bool,
    withhash: bool,
    withcoords: bool,
    sort: Sort,
    any: bool,
    count: usize,
}

/// Redis's `georadiusGeneric`.
fn georadius_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], src: usize, flags: u8) {
    let found = match look_read(ctx, argv[src]) {
        Look::Wrong => return,
        Look::Found(f) => Some(f),
        Look::Missing => None,
    };
    let mut xy = [0.0f64; 2];
    let mut conversion = 0.0f64;
    let mut shape = Shape::Circle { radius: 0.0 };
    let mut store: Option<&[u8]> = None;
    let base = if flags & RADIUS_COORDS != 0 {
        let Some(p) = lon_lat_arg(ctx, argv[2], argv[3]) else {
            return;
        };
        xy = p;
        let Some((c, r)) = distance_args(ctx, argv[4], argv[5]) else {
            return;
        };
        (conversion, shape) = (c, Shape::Circle { radius: r });
        6
    } else if flags & RADIUS_MEMBER != 0 {
        // Without a source key the arguments are still parsed, to pick the reply.
        if let Some(f) = found {
            let Some(p) = member_xy(ctx, f, argv[2]) else {
                return;
            };
            xy = p;
            let Some((c, r)) = distance_args(ctx, argv[3], argv[4]) else {
                return;
            };
            (conversion, shape) = (c, Shape::Circle { radius: r });
        }
        5
    } else if flags & GEOSEARCHSTORE != 0 {
        store = Some(argv[1]);
        3
    } else {
        2
    };

    let mut o = Opts {
        store,
        storedist: false,
        withdist: false,
        withhash: false,
        withcoords: false,
        sort: Sort::None,
        any: false,
        count: 0,
    };
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let search_syntax = flags & GEOSEARCH != 0;
    let may_store = flags & RADIUS_NOSTORE == 0 && !search_syntax;
    let remaining = argv.len().saturating_sub(base);
    let mut i = 0;
    while i < remaining {
        let at = base + i;
        let arg = argv[at];
        if kw(arg, b"withdist") {
            o.withdist = true;
        } else if kw(arg, b"withhash") {
            o.withhash = true;
        } else if kw(arg, b"withcoord") {
            o.withcoords = true;
        } else if kw(arg, b"any") {
            o.any = true;
        } else if kw(arg, b"asc") {
            o.sort = Sort::Asc;
        } else if kw(arg, b"desc") {
            o.sort = Sort::Desc;
        } else if kw(arg, b"count") && i + 1 < remaining {
            let Some(n) = int_arg(ctx, argv[at + 1]) else {
                return;
            };
            if n <= 0 {
                return ctx.reply.error(&ErrorReply::msg("ERR COUNT must be > 0"));
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
            i += 1;
        } else if kw(arg, b"store") && i + 1 < remaining && may_store {
            o.store = Some(argv[at + 1]);
            o.storedist = false;
            i += 1;
        } else if kw(arg, b"storedist") && i + 1 < remaining && may_store {
            o.store = Some(argv[at + 1]);
            o.storedist = true;
            i += 1;
        } else if kw(arg, b"storedist") && search_syntax && flags & GEOSEARCHSTORE != 0 {
            o.storedist = true;
        } else if kw(arg, b"frommember") && i + 1 < remaining && search_syntax && !fromloc {
            if let Some(f) = found {
                let Some(p) = member_xy(ctx, f, argv[at + 1]) else {
                    return;
                };
                xy = p;
            }
            frommember = true;
            i += 1;
        } else if kw(arg, b"fromlonlat") && i + 2 < remaining && search_syntax && !frommember {
            let Some(p) = lon_lat_arg(ctx, argv[at + 1], argv[at + 2]) else {
                return;
            };
            xy = p;
            fromloc = true;
            i += 2;
        } else if kw(arg, b"byradius") && i + 2 < remaining && search_syntax && !bybox {
            let Some((c, r)) = distance_args(ctx, argv[at + 1], argv[at + 2]) else {
                return;
            };
            (conversion, shape) = (c, Shape::Circle { radius: r });
            byradius = true;
            i += 2;
        } else if kw(arg, b"bybox") && i + 3 < remaining && search_syntax && !byradius {
            let Some((c, w, h)) = box_args(ctx, argv[at + 1], argv[at + 2], argv[at + 3]) else {
                return;
            };
            (conversion, shape) = (
                c,
                Shape::Rect {
                    width: w,
                    height: h,
                },
            );
            bybox = true;
            i += 3;
        } else {
            return ctx.reply.error(&ErrorReply::Syntax);
        }
        i += 1;
    }

    if o.store.is_some() && (o.withdist || o.withhash || o.withcoords) {
        let who = if flags & GEOSEARCHSTORE != 0 {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        let text =
            format!("ERR {who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
        return ctx.reply.error(&ErrorReply::msg(text));
    }
    let name = String::from_utf8_lossy(c_str(argv[0]));
    if search_syntax && !(frommember || fromloc) {
        let text =
            format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}");
        return ctx.reply.error(&ErrorReply::msg(text));
    }
    if search_syntax && !(byradius || bybox) {
        let text = format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {name}");
        return ctx.reply.error(&ErrorReply::msg(text));
    }
    if o.any && o.count == 0 {
        return ctx.reply.error(&ErrorReply::msg(
            "ERR the ANY argument requires COUNT argument",
        ));
    }

    let Some(f) = found else {
        match o.store {
            Some(dst) => {
                // Redis's dbDelete: no lazy expiry first, an expired key still counts.
                if ctx.dbs[ctx.db_index].remove(dst) {
                    ctx.notify(ev::GENERIC, "del", dst);
                    ctx.dirty += 1;
                }
                ctx.reply.int(0);
            }
            None => ctx.reply.array_len(0),
        }
        return;
    };

    // COUNT without an order means the N nearest (but ANY means any N).
    if o.count != 0 && o.sort == Sort::None && !o.any {
        o.sort = Sort::Asc;
    }
    let search = Search {
        xy,
        conversion,
        shape,
    };
    let z = as_zset(&ctx.dbs[ctx.db_index], f).expect("type checked");
    let limit = if o.any { o.count } else { 0 };
    let mut points = points_in_boxes(z, &search, limit);
    if points.is_empty() && o.store.is_none() {
        return ctx.reply.array_len(0);
    }
    let returned = if o.count == 0 || points.len() < o.count {
        points.len()
    } else {
        o.count
    };
    if o.sort != Sort::None {
        let desc = o.sort == Sort::Desc;
        let cmp = |a: &Point, b: &Point| {
            let c = cmp_asc(a.dist, b.dist);
            if desc {
                c.reverse()
            } else {
                c
            }
        };
        if returned == points.len() {
            // glibc sorts elements this large through an array of pointers; sorting indices
            // is the same merge sort without moving the points.
            let mut order: Vec<usize> = (0..points.len()).collect();
            merge_sort(&mut order, &|&a: &usize, &b: &usize| {
                cmp(&points[a], &points[b])
            });
            let mut slots: Vec<Option<Point>> = points.into_iter().map(Some).collect();
            points = order
                .into_iter()
                .map(|i| slots[i].take().expect("a permutation"))
                .collect();
        } else {
            partial_sort(&mut points, returned - 1, &cmp);
        }
    }
    points.truncate(returned);
    for p in &mut points {
        p.dist /= conversion;
    }
    match o.store {
        None => reply_points(ctx, &points, &o),
        Some(dst) => store_points(ctx, dst, &points, o.storedist, flags & GEOSEARCH != 0),
    }
}

fn reply_points(ctx: &mut Ctx<'_>, points: &[Point], o: &Opts<'_>) {
    let options = usize::from(o.withdist) + usize::from(o.withhash) + usize::from(o.withcoords);
    ctx.reply.array_len(points.len());
    for p in points {
        if options > 0 {
            ctx.reply.array_len(options + 1);
        }
        ctx.reply.bulk(&p.member);
        if o.withdist {
            reply_distance(&mut ctx.reply, p.dist);
        }
        if o.withhash {
            ctx.reply.int(hash::c_double_to_i64(p.score));
        }
        if o.withcoords {
            ctx.reply.array_len(2);
            reply_human(&mut ctx.reply, p.lon);
            reply_human(&mut ctx.reply, p.lat);
        }
    }
}

/// Store the points as a sorted set (scores: the geohash, or the distance for STOREDIST), or
/// delete `dst` when there are none; reply the count.
fn store_points(ctx: &mut Ctx<'_>, dst: &[u8], points: &[Point], storedist: bool, search: bool) {
    let n = points.len();
    if n > 0 {
        let c = cfg(&ctx.dbs[ctx.db_index], &ctx.limits);
        let maxlen = points.iter().map(|p| p.member.len()).max().unwrap_or(0);
        let mut z = ZSet::with_capacity_for(n, maxlen, &c);
        for p in points {
            z.insert_with(&p.member, if storedist { p.dist } else { p.score }, &c);
        }
        let now = ctx.now.wall;
        ctx.dbs[ctx.db_index].insert_object(dst, Object::ZSet(z), false, now);
        let event = if search {
            "geosearchstore"
        } else {
            "georadiusstore"
        };
        ctx.notify(ev::ZSET, event, dst);
        ctx.dirty += n as u64;
    } else if ctx.dbs[ctx.db_index].remove(dst) {
        ctx.notify(ev::GENERIC, "del", dst);
        ctx.dirty += 1;
    }
    ctx.reply.int(n as i64);
}

/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC] [STORE key|STOREDIST key]
pub(crate) fn georadius_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    georadius_generic(ctx, argv, 1, RADIUS_COORDS);
}

/// GEORADIUS_RO: GEORADIUS without STORE.
pub(crate) fn georadius_ro_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    georadius_generic(ctx, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE);
}

/// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options as GEORADIUS]
pub(crate) fn georadiusbymember_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    georadius_generic(ctx, argv, 1, RADIUS_MEMBER);
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE.
pub(crate) fn georadiusbymember_ro_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    georadius_generic(ctx, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE);
}

/// GEOSEARCH key FROMMEMBER member|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit
/// [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
pub(crate) fn geosearch_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    georadius_generic(ctx, argv, 1, GEOSEARCH);
}

/// GEOSEARCHSTORE destination source … [STOREDIST]
pub(crate) fn geosearchstore_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    georadius_generic(ctx, argv, 2, GEOSEARCH | GEOSEARCHSTORE);
}

/// Key positions of GEORADIUS and GEORADIUSBYMEMBER: the source, and the key after the last
/// STORE or STOREDIST from the sixth argument on. Ref: db.c georadiusGetKeys.
pub(crate) fn georadius_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    out.push(1);
    let mut stored = None;
    let mut i = 5;
    while i < argv.len() {
        let a = argv[i];
        if (kw(a, b"store") || kw(a, b"storedist")) && i + 1 < argv.len() {
            stored = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    out.extend(stored);
}
