//! Random hash operations against a `BTreeMap` model, across both encodings (long values and
//! many fields force `hashtable`).

mod common;
mod hash_set_support;

use std::collections::BTreeMap;

use common::Node;
use hash_set_support::{parse, Val};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Set(Vec<(u16, u8)>),
    Del(Vec<u16>),
    Incr(u16, i8),
    Get(u16),
    Bulk(u16),
}

fn field(i: u16) -> Vec<u8> {
    format!("f{i}").into_bytes()
}

fn val(v: u8) -> Vec<u8> {
    // Every 16th value is longer than hash-max-listpack-value.
    if v % 16 == 0 {
        vec![b'L'; 70 + v as usize]
    } else {
        v.to_string().into_bytes()
    }
}

fn op() -> impl Strategy<Value = Op> {
    let f = 0u16..40;
    prop_oneof![
        3 => prop::collection::vec((f.clone(), any::<u8>()), 1..4).prop_map(Op::Set),
        2 => prop::collection::vec(f.clone(), 1..4).prop_map(Op::Del),
        1 => (f.clone(), any::<i8>()).prop_map(|(a, b)| Op::Incr(a, b)),
        1 => f.clone().prop_map(Op::Get),
        1 => (0u16..4).prop_map(Op::Bulk),
    ]
}

fn run(node: &mut Node, args: Vec<Vec<u8>>) -> Val {
    let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    parse(&node.run(&argv))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn hash_matches_btreemap(ops in prop::collection::vec(op(), 1..60)) {
        let mut node = Node::new(1_700_000_000_000);
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Set(pairs) => {
                    let mut args = vec![b"hset".to_vec(), b"h".to_vec()];
                    let mut created = std::collections::BTreeSet::new();
                    for (f, v) in pairs {
                        args.push(field(f));
                        args.push(val(v));
                        if model.insert(field(f), val(v)).is_none() {
                            created.insert(f);
                        }
                    }
                    prop_assert_eq!(run(&mut node, args), Val::Line(b':', created.len().to_string().into_bytes()));
                }
                Op::Del(fs) => {
                    let mut args = vec![b"hdel".to_vec(), b"h".to_vec()];
                    let mut n = 0;
                    for f in fs {
                        args.push(field(f));
                        n += usize::from(model.remove(&field(f)).is_some());
                    }
                    prop_assert_eq!(run(&mut node, args), Val::Line(b':', n.to_string().into_bytes()));
                }
                Op::Incr(f, by) => {
                    let got = run(&mut node, vec![b"hincrby".to_vec(), b"h".to_vec(), field(f), by.to_string().into_bytes()]);
                    let cur = model.get(&field(f)).map(|v| std::str::from_utf8(v).ok().and_then(|s| s.parse::<i64>().ok()));
                    match cur {
                        Some(None) => prop_assert_eq!(got, Val::Line(b'-', b"ERR hash value is not an integer".to_vec())),
                        _ => {
                            let c = cur.flatten().unwrap_or(0);
                            let new = c + i64::from(by);
                            model.insert(field(f), new.to_string().into_bytes());
                            prop_assert_eq!(got, Val::Line(b':', new.to_string().into_bytes()));
                        }
                    }
                }
                Op::Get(f) => {
                    let got = run(&mut node, vec![b"hget".to_vec(), b"h".to_vec(), field(f)]);
                    let want = model.get(&field(f)).map_or(Val::Line(b'$', b"-1".to_vec()), |v| Val::Bulk(v.clone()));
                    prop_assert_eq!(got, want);
                }
                Op::Bulk(k) => {
                    // Add many fields at once: crosses hash-max-listpack-entries.
                    let mut args = vec![b"hset".to_vec(), b"h".to_vec()];
                    for i in 0..300u16 {
                        let f = field(1000 + k * 300 + i);
                        args.push(f.clone());
                        args.push(b"x".to_vec());
                        model.insert(f, b"x".to_vec());
                    }
                    run(&mut node, args);
                }
            }
            let len = run(&mut node, vec![b"hlen".to_vec(), b"h".to_vec()]);
            prop_assert_eq!(len, Val::Line(b':', model.len().to_string().into_bytes()));
            let all = run(&mut node, vec![b"hgetall".to_vec(), b"h".to_vec()]);
            let Val::Agg(_, items) = all else { panic!("array") };
            let mut got: Vec<(Val, Val)> = items.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
            got.sort();
            let want: Vec<(Val, Val)> = model.iter().map(|(k, v)| (Val::Bulk(k.clone()), Val::Bulk(v.clone()))).collect();
            prop_assert_eq!(got, want);
            let enc = run(&mut node, vec![b"object".to_vec(), b"encoding".to_vec(), b"h".to_vec()]);
            let big = model.len() > 512 || model.iter().any(|(k, v)| k.len() > 64 || v.len() > 64);
            if model.is_empty() {
                prop_assert_eq!(enc, Val::Line(b'$', b"-1".to_vec()));
            } else if big {
                prop_assert_eq!(enc, Val::Bulk(b"hashtable".to_vec()));
            }
        }
    }
}
