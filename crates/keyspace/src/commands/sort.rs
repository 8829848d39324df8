//! SORT and SORT_RO over lists, sets and sorted sets, with BY/GET patterns (`*` substitution,
//! `->field` hash dereference, `#`), LIMIT, ASC/DESC, ALPHA and STORE.
//!
//! Follows Redis 7.0.15's `sort.c` step by step, because the order of its steps decides the
//! replies: options are parsed (and refused in cluster mode) before the key is looked up; a
//! sorted set is converted to `skiplist` before anything else (SORT is destructive there, even
//! SORT_RO); LIMIT is clamped to the collection; a list or sorted set sorted `BY` a constant
//! keeps its own order (reversed by DESC) and reads only the LIMIT range; a set sorted `BY` a
//! constant into STORE is sorted ALPHA instead so the stored list is deterministic.
//!
//! Comparisons are the C ones: numeric scores come from `strtod` (ties broken by comparing the
//! elements as binary strings), ALPHA compares with `strcoll` when replying and binary when
//! storing. Our `strcoll` is the C/C.UTF-8 locale's, i.e. `strcmp` on NUL-terminated strings;
//! a server run under another LC_COLLATE would order ALPHA replies by that locale instead.

use std::cmp::Ordering;

use hashslot_resp::ErrorReply;

use super::zset::parse::strtod;
use super::zset::{as_zset, cfg, zset_mut};
use super::{eq_ic, err, ev, int_arg, lookup_read, value, Found};
use crate::value::{Object, StrRef, ValueRef};
use crate::{Ctx, List};

/// One element to sort: its text, its numeric score and (ALPHA with BY) the text it sorts by.
struct Elem {
    obj: Vec<u8>,
    score: f64,
    cmp: Option<Vec<u8>>,
}

impl Elem {
    fn new(obj: Vec<u8>) -> Self {
        Elem {
            obj,
            score: 0.0,
            cmp: None,
        }
    }
}

/// The parsed options.
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    dontsort: bool,
    gets: Vec<&'a [u8]>,
}

/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dst]`
pub(crate) fn sort_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    sort_generic(ctx, argv, false);
}

/// `SORT_RO`: SORT without STORE.
pub(crate) fn sort_ro_command(ctx: &mut Ctx<'_>, argv: &[&[u8]]) {
    sort_generic(ctx, argv, true);
}

/// Key positions of SORT: the sorted key, and the argument after the last `STORE`. Options are
/// skipped by their known arity (LIMIT 2, GET 1, BY 1), anything else as a word alone.
/// Ref: db.c sortGetKeys.
pub(crate) fn sort_keys(argv: &[&[u8]], out: &mut Vec<usize>) {
    out.push(1);
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = argv[i];
        if eq_ic(a, b"limit") {
            i += 2;
        } else if eq_ic(a, b"get") || eq_ic(a, b"by") {
            i += 1;
        } else if eq_ic(a, b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    out.extend(store);
}

/// Key positions of SORT_RO: the sorted key only. Ref: db.c sortROGetKeys.
pub(crate) fn sort_ro_keys(_argv: &[&[u8]], out: &mut Vec<usize>) {
    out.push(1);
}

/// The bytes of `s` up to its first NUL: what a C string function sees.
fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |n| &s[..n])
}

/// `strcoll` in the C / C.UTF-8 locale: `strcmp` on the C strings.
fn strcoll(a: &[u8], b: &[u8]) -> Ordering {
    c_str(a).cmp(c_str(b))
}

fn parse_opts<'a>(ctx: &mut Ctx<'_>, argv: &[&'a [u8]], readonly: bool) -> Option<Opts<'a>> {
    let mut o = Opts {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv[j];
        if eq_ic(a, b"asc") {
            o.desc = false;
        } else if eq_ic(a, b"desc") {
            o.desc = true;
        } else if eq_ic(a, b"alpha") {
            o.alpha = true;
        } else if eq_ic(a, b"limit") && left >= 2 {
            o.limit_start = int_arg(ctx, argv[j + 1])?;
            o.limit_count = int_arg(ctx, argv[j + 2])?;
            j += 2;
        } else if !readonly && eq_ic(a, b"store") && left >= 1 {
            o.store = Some(argv[j + 1]);
            j += 1;
        } else if eq_ic(a, b"by") && left >= 1 {
            let pat = argv[j + 1];
            o.by = Some(pat);
            // A BY pattern without `*` is a constant: nothing to sort nor look up.
            if !c_str(pat).contains(&b'*') {
                o.dontsort = true;
            } else if ctx.cluster_enabled {
                err(ctx, "ERR BY option of SORT denied in Cluster mode.");
                return None;
            }
            j += 1;
        } else if eq_ic(a, b"get") && left >= 1 {
            if ctx.cluster_enabled {
                err(ctx, "ERR GET option of SORT denied in Cluster mode.");
                return None;
            }
            o.gets.push(argv[j + 1]);
            j += 1;
        } else {
            ctx.reply.error(&ErrorReply::Syntax);
            return None;
        }
        j += 1;
    }
    Some(o)
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the first `*` is replaced
/// by the element and the key read (a string, or with `->field` a hash field). `None` when the
/// pattern has no `*`, the key is missing or of the other type, or the field is missing.
fn lookup_by_pattern(ctx: &mut Ctx<'_>, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    if pattern.first() == Some(&b'#') && pattern.get(1).map_or(true, |&b| b == 0) {
        return Some(subst.to_vec());
    }
    let cpat = c_str(pattern);
    let star = cpat.iter().position(|&b| b == b'*')?;
    // `->` after the star with a non-empty field name: a hash dereference. The field runs to
    // the end of the pattern (C string searches stop at a NUL, the length does not).
    let arrow = cpat[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&f| cpat.get(f + 2).is_some());
    let (postfix_end, field) = match arrow {
        Some(f) => (f, Some(&pattern[f + 2..])),
        None => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(star + subst.len() + postfix_end - star);
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pattern[star + 1..postfix_end]);
    let f = lookup_read(ctx, &key, 0)?;
    let db = &ctx.dbs[ctx.db_index];
    match (value(db, f), field) {
        (ValueRef::Obj(Object::Hash(h)), Some(field)) => h.get(field).map(<[u8]>::to_vec),
        (ValueRef::Str(s, _), None) => Some(s.to_vec()),
        _ => None,
    }
}

fn str_vec(s: StrRef<'_>) -> Vec<u8> {
    s.to_vec()
}

fn sort_generic(ctx: &mut Ctx<'_>, argv: &[&[u8]], readonly: bool) {
    let Some(mut o) = parse_opts(ctx, argv, readonly) else {
        return;
    };
    let key = argv[1];
    let found: Option<Found> = lookup_read(ctx, key, 0);
    let kind = match found.map(|f| value(&ctx.dbs[ctx.db_index], f)) {
        None => Kind::List,
        Some(ValueRef::Obj(Object::List(_))) => Kind::List,
        Some(ValueRef::Obj(Object::Set(_))) => Kind::Set,
        Some(ValueRef::Obj(Object::ZSet(_))) => Kind::ZSet,
        Some(_) => {
            ctx.reply.error(&ErrorReply::WrongType);
            return;
        }
    };
    // A set has no order of its own: sorted BY a constant into STORE, it is sorted ALPHA so
    // that the stored list (and what replicas store) is deterministic.
    if o.dontsort && kind == Kind::Set && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    // Ref: sort.c: `zsetConvert(sortval, OBJ_ENCODING_SKIPLIST)`, destructive.
    if let (Kind::ZSet, Some(f)) = (kind, found) {
        let db = &mut ctx.dbs[ctx.db_index];
        let c = cfg(db, &ctx.limits);
        zset_mut(db, f).convert_to_skiplist(&c);
    }
    let db = &ctx.dbs[ctx.db_index];
    let total = found.map_or(0, |f| match value(db, f) {
        ValueRef::Obj(Object::List(l)) => l.len(),
        ValueRef::Obj(Object::Set(s)) => s.len(),
        ValueRef::Obj(Object::ZSet(z)) => z.len(),
        _ => 0,
    }) as i64;

    // LIMIT, clamped to the collection. Ref: sort.c "LIMIT start,count sanity checking".
    let mut start = o.limit_start.max(0).min(total);
    let limit_count = o.limit_count.max(-1).min(total);
    let mut end = if limit_count < 0 {
        total - 1
    } else {
        start + limit_count - 1
    };
    if start >= total {
        start = total - 1;
        end = total - 2;
    }
    if end >= total {
        end = total - 1;
    }

    // Load the vector; a list or sorted set in its own order reads only the LIMIT range.
    let mut vector: Vec<Elem> = Vec::new();
    if let Some(f) = found {
        match value(db, f) {
            ValueRef::Obj(Object::List(l)) if o.dontsort => {
                if end >= start {
                    let n = (end - start + 1) as usize;
                    let s = start as usize;
                    if o.desc {
                        vector.extend(
                            l.iter()
                                .rev()
                                .skip(s)
                                .take(n)
                                .map(|e| Elem::new(str_vec(e))),
                        );
                    } else {
                        vector.extend(l.iter().skip(s).take(n).map(|e| Elem::new(str_vec(e))));
                    }
                    end -= start;
                    start = 0;
                }
            }
            ValueRef::Obj(Object::List(l)) => {
                vector.extend(l.iter().map(|e| Elem::new(str_vec(e))));
            }
            ValueRef::Obj(Object::Set(s)) => {
                vector.extend(s.iter().map(|e| Elem::new(str_vec(e))));
            }
            ValueRef::Obj(Object::ZSet(_)) => {
                let z = as_zset(db, f).expect("checked to be a zset");
                if o.dontsort {
                    let n = (end - start + 1).max(0) as usize;
                    vector.extend(
                        z.iter_from(start.max(0) as usize, o.desc)
                            .take(n)
                            .map(|(m, _)| Elem::new(m.to_vec())),
                    );
                    end -= start;
                    start = 0;
                } else {
                    vector.extend(z.iter().map(|(m, _)| Elem::new(m.to_vec())));
                }
            }
            _ => unreachable!("type checked above"),
        }
    }

    let mut conversion_error = false;
    if !o.dontsort {
        for e in vector.iter_mut() {
            let looked_up;
            let byval: &[u8] = match o.by {
                Some(pat) => match lookup_by_pattern(ctx, pat, &e.obj) {
                    Some(v) => {
                        looked_up = v;
                        &looked_up
                    }
                    None => continue,
                },
                None => &e.obj,
            };
            if o.alpha {
                if o.by.is_some() {
                    e.cmp = Some(byval.to_vec());
                }
            } else {
                let (score, n, erange) = strtod(byval);
                if byval.get(n).is_some_and(|&b| b != 0) || erange || score.is_nan() {
                    conversion_error = true;
                }
                e.score = score;
            }
        }
        // With a bad score the reply is an error: the order no longer matters.
        if !conversion_error {
            let (alpha, by, storing, desc) = (o.alpha, o.by.is_some(), o.store.is_some(), o.desc);
            vector.sort_by(|a, b| {
                let c = compare(a, b, alpha, by, storing);
                if desc {
                    c.reverse()
                } else {
                    c
                }
            });
        }
    }

    let span = if end >= start {
        (end - start + 1) as usize
    } else {
        0
    };
    let output_len = if o.gets.is_empty() {
        span
    } else {
        o.gets.len() * span
    };
    if conversion_error {
        err(ctx, "ERR One or more scores can't be converted into double");
        return;
    }
    let range = if span == 0 {
        &vector[..0]
    } else {
        &vector[start as usize..=end as usize]
    };
    match o.store {
        None => {
            ctx.reply.array_len(output_len);
            for e in range {
                if o.gets.is_empty() {
                    ctx.reply.bulk(&e.obj);
                }
                for pat in &o.gets {
                    match lookup_by_pattern(ctx, pat, &e.obj) {
                        Some(v) => ctx.reply.bulk(&v),
                        None => ctx.reply.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut list = List::new();
            for e in range {
                if o.gets.is_empty() {
                    list.push_back(&e.obj);
                }
                for pat in &o.gets {
                    let v = lookup_by_pattern(ctx, pat, &e.obj).unwrap_or_default();
                    list.push_back(&v);
                }
            }
            let now = ctx.now.wall;
            let db = &mut ctx.dbs[ctx.db_index];
            if output_len > 0 {
                db.insert_object(dst, Object::List(list), false, now);
                ctx.dirty += output_len as u64;
                ctx.notify(ev::LIST, "sortstore", dst);
            } else if db.remove(dst) {
                ctx.dirty += 1;
                ctx.notify(ev::GENERIC, "del", dst);
            }
            ctx.reply.int(output_len as i64);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// Redis's `sortCompare` (before DESC): numeric by score with ties by binary comparison of the
/// elements; ALPHA by the BY values (missing ones first) or by the elements, with `strcoll`
/// when replying and binary comparison when storing.
fn compare(a: &Elem, b: &Elem, alpha: bool, by: bool, storing: bool) -> Ordering {
    let coll = |x: &[u8], y: &[u8]| {
        if storing {
            x.cmp(y)
        } else {
            strcoll(x, y)
        }
    };
    if !alpha {
        return match a.score.partial_cmp(&b.score) {
            Some(Ordering::Equal) | None => a.obj.cmp(&b.obj),
            Some(c) => c,
        };
    }
    if by {
        return match (&a.cmp, &b.cmp) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => coll(x, y),
        };
    }
    coll(&a.obj, &b.obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(args: &[&str]) -> Vec<usize> {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let mut out = Vec::new();
        sort_keys(&argv, &mut out);
        out
    }

    #[test]
    fn store_key_is_the_last_store_and_option_arguments_are_skipped() {
        assert_eq!(keys(&["sort", "l"]), vec![1]);
        assert_eq!(keys(&["sort", "l", "STORE", "x"]), vec![1, 3]);
        assert_eq!(keys(&["sort", "l", "store", "x", "STORE", "y"]), vec![1, 5]);
        // `store` as the argument of GET or BY is not an option.
        assert_eq!(keys(&["sort", "l", "GET", "store", "x"]), vec![1]);
        assert_eq!(keys(&["sort", "l", "LIMIT", "store", "x"]), vec![1]);
        assert_eq!(keys(&["sort", "l", "STORE"]), vec![1]);
    }

    #[test]
    fn numeric_ties_fall_back_to_binary_order_and_alpha_uses_c_strings() {
        let e = |s: &str, score: f64| Elem {
            obj: s.as_bytes().to_vec(),
            score,
            cmp: None,
        };
        assert_eq!(
            compare(&e("b", 1.0), &e("a", 1.0), false, false, false),
            Ordering::Greater
        );
        assert_eq!(
            compare(&e("a", 2.0), &e("b", 1.0), false, false, false),
            Ordering::Greater
        );
        // strcoll stops at a NUL; a binary comparison (STORE) does not.
        let (x, y) = (e("a\0x", 0.0), e("a\0y", 0.0));
        assert_eq!(compare(&x, &y, true, false, false), Ordering::Equal);
        assert_eq!(compare(&x, &y, true, false, true), Ordering::Less);
    }
}
