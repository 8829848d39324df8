//! Random operation lists, with virtual time advancing, against a simple `BTreeMap` model.

mod common;

use std::collections::BTreeMap;

use common::Node;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Set(u8, Vec<u8>, Option<u16>),
    Get(u8),
    Del(u8),
    Incr(u8),
    Append(u8, Vec<u8>),
    PExpire(u8, u16),
    Persist(u8),
    Pttl(u8),
    Strlen(u8),
    Rename(u8, u8),
    Advance(u16),
    ActiveExpire(u8),
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (-1000i64..1000).prop_map(|n| n.to_string().into_bytes()),
        proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b'1'), Just(b'-'), Just(b'0')],
            0..6
        ),
        proptest::collection::vec(any::<u8>(), 40..80),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0u8..6;
    prop_oneof![
        (k.clone(), value(), proptest::option::of(1u16..500))
            .prop_map(|(k, v, t)| Op::Set(k, v, t)),
        k.clone().prop_map(Op::Get),
        k.clone().prop_map(Op::Del),
        k.clone().prop_map(Op::Incr),
        (k.clone(), value()).prop_map(|(k, v)| Op::Append(k, v)),
        (k.clone(), 0u16..500).prop_map(|(k, t)| Op::PExpire(k, t)),
        k.clone().prop_map(Op::Persist),
        k.clone().prop_map(Op::Pttl),
        k.clone().prop_map(Op::Strlen),
        (k.clone(), k).prop_map(|(a, b)| Op::Rename(a, b)),
        (0u16..300).prop_map(Op::Advance),
        any::<u8>().prop_map(Op::ActiveExpire),
    ]
}

/// key → (value, absolute expiry ms)
type Model = BTreeMap<u8, (Vec<u8>, Option<i64>)>;

fn live(m: &mut Model, k: u8, now: i64) -> Option<&mut (Vec<u8>, Option<i64>)> {
    if m.get(&k).is_some_and(|(_, e)| e.is_some_and(|e| now > e)) {
        m.remove(&k);
    }
    m.get_mut(&k)
}

fn bulk(v: &[u8]) -> Vec<u8> {
    let mut o = format!("${}\r\n", v.len()).into_bytes();
    o.extend_from_slice(v);
    o.extend_from_slice(b"\r\n");
    o
}

fn int(n: i64) -> Vec<u8> {
    format!(":{n}\r\n").into_bytes()
}

fn key(k: u8) -> Vec<u8> {
    format!("key{k}").into_bytes()
}

fn check(ops: Vec<Op>) {
    let mut node = Node::new(1_700_000_000_000);
    let mut m = Model::new();
    for op in ops {
        let now = node.now.wall.0;
        let (argv, want): (Vec<Vec<u8>>, Vec<u8>) = match op {
            Op::Set(k, v, ttl) => {
                m.insert(k, (v.clone(), ttl.map(|t| now + i64::from(t))));
                let mut a = vec![b"SET".to_vec(), key(k), v];
                if let Some(t) = ttl {
                    a.extend([b"PX".to_vec(), t.to_string().into_bytes()]);
                }
                (a, b"+OK\r\n".to_vec())
            }
            Op::Get(k) => {
                let want = live(&mut m, k, now).map_or(b"$-1\r\n".to_vec(), |(v, _)| bulk(v));
                (vec![b"GET".to_vec(), key(k)], want)
            }
            Op::Del(k) => {
                let n = live(&mut m, k, now).is_some() as i64;
                m.remove(&k);
                (vec![b"DEL".to_vec(), key(k)], int(n))
            }
            Op::Incr(k) => {
                let want = match live(&mut m, k, now) {
                    None => {
                        m.insert(k, (b"1".to_vec(), None));
                        int(1)
                    }
                    Some((v, _)) => match hashslot_keyspace::parse_i64(v) {
                        None => b"-ERR value is not an integer or out of range\r\n".to_vec(),
                        Some(n) => match n.checked_add(1) {
                            None => b"-ERR increment or decrement would overflow\r\n".to_vec(),
                            Some(n) => {
                                *v = n.to_string().into_bytes();
                                int(n)
                            }
                        },
                    },
                };
                (vec![b"INCR".to_vec(), key(k)], want)
            }
            Op::Append(k, x) => {
                let len = match live(&mut m, k, now) {
                    Some((v, _)) => {
                        v.extend_from_slice(&x);
                        v.len()
                    }
                    None => {
                        m.insert(k, (x.clone(), None));
                        x.len()
                    }
                };
                (vec![b"APPEND".to_vec(), key(k), x], int(len as i64))
            }
            Op::PExpire(k, t) => {
                let when = now + i64::from(t);
                let want = match live(&mut m, k, now) {
                    None => int(0),
                    Some(e) => {
                        e.1 = Some(when);
                        if when <= now {
                            m.remove(&k);
                        }
                        int(1)
                    }
                };
                (
                    vec![b"PEXPIRE".to_vec(), key(k), t.to_string().into_bytes()],
                    want,
                )
            }
            Op::Persist(k) => {
                let want = match live(&mut m, k, now) {
                    Some(e) if e.1.is_some() => {
                        e.1 = None;
                        int(1)
                    }
                    _ => int(0),
                };
                (vec![b"PERSIST".to_vec(), key(k)], want)
            }
            Op::Pttl(k) => {
                let want = match live(&mut m, k, now) {
                    None => int(-2),
                    Some((_, None)) => int(-1),
                    Some((_, Some(e))) => int((*e - now).max(0)),
                };
                (vec![b"PTTL".to_vec(), key(k)], want)
            }
            Op::Strlen(k) => {
                let n = live(&mut m, k, now).map_or(0, |(v, _)| v.len() as i64);
                (vec![b"STRLEN".to_vec(), key(k)], int(n))
            }
            Op::Rename(a, b) => {
                let want = match live(&mut m, a, now).cloned() {
                    None => b"-ERR no such key\r\n".to_vec(),
                    Some(e) => {
                        m.remove(&a);
                        m.insert(b, e);
                        b"+OK\r\n".to_vec()
                    }
                };
                (vec![b"RENAME".to_vec(), key(a), key(b)], want)
            }
            Op::Advance(ms) => {
                node.advance(u64::from(ms));
                continue;
            }
            Op::ActiveExpire(budget) => {
                let now = node.now.wall;
                node.dbs[0].active_expire_cycle(now, usize::from(budget));
                continue;
            }
        };
        let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let got = node.run(&args);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{:?}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a))
                .collect::<Vec<_>>()
        );
    }
    // After a full active cycle the database holds exactly the model's live keys.
    let now = node.now.wall;
    node.dbs[0].active_expire_cycle(now, usize::MAX);
    let live_keys = m
        .iter()
        .filter(|(_, (_, e))| e.map_or(true, |e| now.0 <= e))
        .count();
    assert_eq!(node.dbs[0].len(), live_keys);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn commands_match_model(ops in proptest::collection::vec(op(), 1..120)) {
        check(ops);
    }
}
