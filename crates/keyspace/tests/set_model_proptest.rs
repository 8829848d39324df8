//! Random set operations against a `BTreeSet` model, across both encodings (a non-integer
//! member or more than 512 members forces `hashtable`), including SPOP and the STORE algebra.

mod common;
mod hash_set_support;

use std::collections::BTreeSet;

use common::Node;
use hash_set_support::{parse, Val};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Add(u8, Vec<i16>),
    Rem(u8, Vec<i16>),
    Pop(u8, u8),
    Has(u8, i16),
    Store(u8, u8),
    Bulk(u8),
}

/// Members: small integers, and every member ending in 7 as text (not an integer).
fn member(m: i16) -> Vec<u8> {
    if m.rem_euclid(10) == 7 {
        format!("m{m}").into_bytes()
    } else {
        m.to_string().into_bytes()
    }
}

fn key(k: u8) -> Vec<u8> {
    format!("{{s}}{}", k % 3).into_bytes()
}

fn op() -> impl Strategy<Value = Op> {
    let m = -60i16..60;
    prop_oneof![
        4 => (any::<u8>(), prop::collection::vec(m.clone(), 1..5)).prop_map(|(k, v)| Op::Add(k, v)),
        2 => (any::<u8>(), prop::collection::vec(m.clone(), 1..5)).prop_map(|(k, v)| Op::Rem(k, v)),
        1 => (any::<u8>(), 0u8..5).prop_map(|(k, n)| Op::Pop(k, n)),
        1 => (any::<u8>(), m.clone()).prop_map(|(k, x)| Op::Has(k, x)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Store(a, b)),
        1 => any::<u8>().prop_map(Op::Bulk),
    ]
}

fn run(node: &mut Node, args: Vec<Vec<u8>>) -> Val {
    let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    parse(&node.run(&argv))
}

fn int(n: usize) -> Val {
    Val::Line(b':', n.to_string().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn set_matches_btreeset(ops in prop::collection::vec(op(), 1..60)) {
        let mut node = Node::new(1_700_000_000_000);
        let mut model: Vec<BTreeSet<Vec<u8>>> = vec![BTreeSet::new(); 3];
        // Whether each key has been a hashtable since it was created (never converts back).
        let mut table = [false; 3];
        for op in ops {
            match op {
                Op::Add(k, ms) => {
                    let s = &mut model[usize::from(k % 3)];
                    let mut args = vec![b"sadd".to_vec(), key(k)];
                    let mut n = 0;
                    for m in ms {
                        args.push(member(m));
                        n += usize::from(s.insert(member(m)));
                    }
                    prop_assert_eq!(run(&mut node, args), int(n));
                }
                Op::Rem(k, ms) => {
                    let s = &mut model[usize::from(k % 3)];
                    let mut args = vec![b"srem".to_vec(), key(k)];
                    let mut n = 0;
                    for m in ms {
                        args.push(member(m));
                        n += usize::from(s.remove(&member(m)));
                    }
                    prop_assert_eq!(run(&mut node, args), int(n));
                }
                Op::Pop(k, n) => {
                    let s = &mut model[usize::from(k % 3)];
                    let got = run(&mut node, vec![b"spop".to_vec(), key(k), n.to_string().into_bytes()]);
                    let Val::Agg(_, items) = got else { panic!("array") };
                    prop_assert_eq!(items.len(), s.len().min(usize::from(n)));
                    for it in items {
                        let Val::Bulk(b) = it else { panic!("bulk") };
                        prop_assert!(s.remove(&b), "popped a non-member");
                    }
                }
                Op::Has(k, m) => {
                    let s = &model[usize::from(k % 3)];
                    let got = run(&mut node, vec![b"sismember".to_vec(), key(k), member(m)]);
                    prop_assert_eq!(got, int(usize::from(s.contains(&member(m)))));
                }
                Op::Store(a, b) => {
                    let (x, y) = (model[usize::from(a % 3)].clone(), model[usize::from(b % 3)].clone());
                    let (cmd, want): (&[u8], BTreeSet<Vec<u8>>) = match (a / 3) % 3 {
                        0 => (b"sinterstore", x.intersection(&y).cloned().collect()),
                        1 => (b"sunionstore", x.union(&y).cloned().collect()),
                        _ => (b"sdiffstore", x.difference(&y).cloned().collect()),
                    };
                    let dst = (a.wrapping_add(b)) % 3;
                    let card = run(&mut node, vec![b"sintercard".to_vec(), b"2".to_vec(), key(a), key(b)]);
                    prop_assert_eq!(card, int(x.intersection(&y).count()));
                    let got = run(&mut node, vec![cmd.to_vec(), key(dst), key(a), key(b)]);
                    prop_assert_eq!(got, int(want.len()));
                    table[usize::from(dst)] = false;
                    model[usize::from(dst)] = want;
                }
                Op::Bulk(k) => {
                    let s = &mut model[usize::from(k % 3)];
                    let mut args = vec![b"sadd".to_vec(), key(k)];
                    for i in 0..520 {
                        let m = (1000 + i * 3 + i32::from(k % 3)).to_string().into_bytes();
                        args.push(m.clone());
                        s.insert(m);
                    }
                    run(&mut node, args);
                }
            }
            for k in 0..3u8 {
                let s = &model[usize::from(k)];
                let t = &mut table[usize::from(k)];
                *t = !s.is_empty() && (*t || s.len() > 512 || s.iter().any(|m| m.starts_with(b"m")));
                prop_assert_eq!(run(&mut node, vec![b"scard".to_vec(), key(k)]), int(s.len()));
                let Val::Agg(_, mut items) = run(&mut node, vec![b"smembers".to_vec(), key(k)]) else { panic!("array") };
                let enc = run(&mut node, vec![b"object".to_vec(), b"encoding".to_vec(), key(k)]);
                let ints: Option<Vec<i64>> = s.iter().map(|m| std::str::from_utf8(m).unwrap().parse().ok()).collect();
                match ints {
                    _ if s.is_empty() => prop_assert_eq!(enc, Val::Line(b'$', b"-1".to_vec())),
                    Some(mut v) if !*t => {
                        // intset: SMEMBERS is sorted numerically.
                        prop_assert_eq!(enc, Val::Bulk(b"intset".to_vec()));
                        v.sort();
                        let want: Vec<Val> = v.iter().map(|n| Val::Bulk(n.to_string().into_bytes())).collect();
                        prop_assert_eq!(&items, &want);
                    }
                    _ => {}
                }
                if s.iter().any(|m| m.starts_with(b"m")) || s.len() > 512 {
                    prop_assert_eq!(run(&mut node, vec![b"object".to_vec(), b"encoding".to_vec(), key(k)]), Val::Bulk(b"hashtable".to_vec()));
                }
                items.sort();
                let want: Vec<Val> = s.iter().map(|m| Val::Bulk(m.clone())).collect();
                prop_assert_eq!(items, want);
            }
        }
    }
}
