//! Random sorted-set operations against a `BTreeMap<member, score>` model: every reply (ranks,
//! score ranges, pops, removals) must equal the model's, across the listpack → skiplist switch.

mod common;

use std::collections::BTreeMap;

use common::Node;
use hashslot_resp::{Proto, Reply};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Add(u16, i8),
    Incr(u16, i8),
    Rem(u16),
    Rank(u16),
    Range(i16, i16, bool),
    ByScore(i8, i8, bool, bool, bool),
    Count(i8, i8),
    RemRank(i16, i16),
    PopMin(u8),
    PopMax(u8),
    Card,
}

fn op() -> impl Strategy<Value = Op> {
    let m = 0u16..400;
    prop_oneof![
        6 => (m.clone(), any::<i8>()).prop_map(|(m, s)| Op::Add(m, s)),
        2 => (m.clone(), any::<i8>()).prop_map(|(m, s)| Op::Incr(m, s)),
        2 => m.clone().prop_map(Op::Rem),
        1 => m.prop_map(Op::Rank),
        1 => (-300i16..300, -300i16..300, any::<bool>()).prop_map(|(a, b, r)| Op::Range(a, b, r)),
        1 => (any::<i8>(), any::<i8>(), any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(a, b, x, y, r)| Op::ByScore(a, b, x, y, r)),
        1 => (any::<i8>(), any::<i8>()).prop_map(|(a, b)| Op::Count(a, b)),
        1 => (-50i16..50, -50i16..50).prop_map(|(a, b)| Op::RemRank(a, b)),
        1 => (0u8..5).prop_map(Op::PopMin),
        1 => (0u8..5).prop_map(Op::PopMax),
        1 => Just(Op::Card),
    ]
}

fn member(m: u16) -> String {
    format!("m{m:03}")
}

/// The model's elements in (score, member) order.
fn sorted(model: &BTreeMap<String, f64>) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
    v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
    v
}

fn reply(f: impl FnOnce(&mut Reply<'_>)) -> Vec<u8> {
    let mut out = Vec::new();
    f(&mut Reply::new(&mut out, Proto::Resp2));
    out
}

fn pairs(items: &[(String, f64)]) -> Vec<u8> {
    reply(|r| {
        r.array_len(items.len() * 2);
        for (m, s) in items {
            r.bulk(m.as_bytes());
            r.double(*s);
        }
    })
}

/// Redis's rank normalisation: the inclusive index span, or None when empty.
fn span(len: usize, a: i64, b: i64) -> Option<(usize, usize)> {
    let l = len as i64;
    let (mut a, mut b) = (if a < 0 { a + l } else { a }, if b < 0 { b + l } else { b });
    a = a.max(0);
    if a > b || a >= l {
        return None;
    }
    b = b.min(l - 1);
    Some((a as usize, b as usize))
}

fn check(ops: Vec<Op>) {
    let mut node = Node::new(1_700_000_000_000);
    let mut model: BTreeMap<String, f64> = BTreeMap::new();
    for op in ops {
        let s = sorted(&model);
        let (line, want) = match op {
            Op::Add(m, sc) => {
                let new = model.insert(member(m), f64::from(sc)).is_none();
                (
                    format!("zadd z {sc} {}", member(m)),
                    reply(|r| r.int(i64::from(new))),
                )
            }
            Op::Incr(m, sc) => {
                let e = model.entry(member(m)).or_insert(0.0);
                *e += f64::from(sc);
                let v = *e;
                (
                    format!("zincrby z {sc} {}", member(m)),
                    reply(|r| r.double(v)),
                )
            }
            Op::Rem(m) => {
                let had = model.remove(&member(m)).is_some();
                (
                    format!("zrem z {}", member(m)),
                    reply(|r| r.int(i64::from(had))),
                )
            }
            Op::Rank(m) => {
                let want = match s.iter().position(|e| e.0 == member(m)) {
                    Some(i) => reply(|r| r.int(i as i64)),
                    None => reply(|r| r.null()),
                };
                (format!("zrank z {}", member(m)), want)
            }
            Op::Range(a, b, rev) => {
                let mut v = s.clone();
                if rev {
                    v.reverse();
                }
                let items = match span(v.len(), a.into(), b.into()) {
                    Some((x, y)) => v[x..=y].to_vec(),
                    None => Vec::new(),
                };
                let rv = if rev { " rev" } else { "" };
                (format!("zrange z {a} {b}{rv} withscores"), pairs(&items))
            }
            Op::ByScore(a, b, ax, bx, rev) => {
                let (lo, hi) = (f64::from(a), f64::from(b));
                let mut items: Vec<_> = s
                    .iter()
                    .filter(|e| {
                        (if ax { e.1 > lo } else { e.1 >= lo })
                            && (if bx { e.1 < hi } else { e.1 <= hi })
                    })
                    .cloned()
                    .collect();
                let (pa, pb) = (
                    format!("{}{a}", if ax { "(" } else { "" }),
                    format!("{}{b}", if bx { "(" } else { "" }),
                );
                let line = if rev {
                    items.reverse();
                    format!("zrevrangebyscore z {pb} {pa} withscores")
                } else {
                    format!("zrangebyscore z {pa} {pb} withscores")
                };
                (line, pairs(&items))
            }
            Op::Count(a, b) => {
                let n = s
                    .iter()
                    .filter(|e| e.1 >= f64::from(a) && e.1 <= f64::from(b))
                    .count();
                (format!("zcount z {a} {b}"), reply(|r| r.int(n as i64)))
            }
            Op::RemRank(a, b) => {
                let n = match span(s.len(), a.into(), b.into()) {
                    Some((x, y)) => {
                        for e in &s[x..=y] {
                            model.remove(&e.0);
                        }
                        y - x + 1
                    }
                    None => 0,
                };
                (
                    format!("zremrangebyrank z {a} {b}"),
                    reply(|r| r.int(n as i64)),
                )
            }
            Op::PopMin(n) | Op::PopMax(n) => {
                let max = matches!(op, Op::PopMax(_));
                let mut v = s.clone();
                if max {
                    v.reverse();
                }
                let items: Vec<_> = v.into_iter().take(n.into()).collect();
                for e in &items {
                    model.remove(&e.0);
                }
                let name = if max { "zpopmax" } else { "zpopmin" };
                (format!("{name} z {n}"), pairs(&items))
            }
            Op::Card => ("zcard z".to_string(), reply(|r| r.int(s.len() as i64))),
        };
        let got = node.cmd(&line);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{line}"
        );
        let exists = node.cmd("exists z");
        assert_eq!(
            exists,
            reply(|r| r.int(i64::from(!model.is_empty()))),
            "after {line}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn zset_matches_btreemap_model(ops in proptest::collection::vec(op(), 1..600)) {
        check(ops);
    }
}
