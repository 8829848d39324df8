//! Random list commands against a `VecDeque<Vec<u8>>` model per key: every reply and, after each
//! command, the whole content of both keys must agree. Values mix small and large integers
//! (stored packed), short strings and long ones, so lists cross the 8 KB chunk size and are
//! split, merged and walked from both ends.

mod common;

use std::collections::VecDeque;

use common::Node;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Push {
        key: usize,
        left: bool,
        vals: Vec<Vec<u8>>,
    },
    Pop {
        key: usize,
        left: bool,
        count: Option<usize>,
    },
    Index {
        key: usize,
        i: i64,
    },
    Set {
        key: usize,
        i: i64,
        v: Vec<u8>,
    },
    Insert {
        key: usize,
        after: bool,
        pivot: Vec<u8>,
        v: Vec<u8>,
    },
    Rem {
        key: usize,
        count: i64,
        v: Vec<u8>,
    },
    Trim {
        key: usize,
        start: i64,
        end: i64,
    },
    Range {
        key: usize,
        start: i64,
        end: i64,
    },
    Pos {
        key: usize,
        v: Vec<u8>,
        rank: i64,
        count: Option<i64>,
        maxlen: i64,
    },
    Move {
        from: usize,
        to: usize,
        left_from: bool,
        left_to: bool,
    },
}

const KEYS: [&[u8]; 2] = [b"ka", b"kb"];

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0i64..300).prop_map(|n| n.to_string().into_bytes()),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        prop::sample::select(vec!["a", "b", "c", "-0", "007", "+1", ""])
            .prop_map(|s| s.as_bytes().to_vec()),
        (60usize..400, any::<u8>()).prop_map(|(n, c)| vec![b'a' + c % 3; n]),
        (4000usize..5000).prop_map(|n| vec![b'z'; n]),
    ]
}

fn small_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0i64..5).prop_map(|n| n.to_string().into_bytes()),
        prop::sample::select(vec!["a", "b", "c"]).prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn index() -> impl Strategy<Value = i64> {
    prop_oneof![-60i64..60, -3000i64..3000, Just(i64::MIN), Just(i64::MAX)]
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0usize..2;
    prop_oneof![
        4 => (key.clone(), any::<bool>(), prop::collection::vec(prop_oneof![value(), small_value()], 1..120))
            .prop_map(|(key, left, vals)| Op::Push { key, left, vals }),
        2 => (key.clone(), any::<bool>(), prop::option::of(0usize..200))
            .prop_map(|(key, left, count)| Op::Pop { key, left, count }),
        1 => (key.clone(), index()).prop_map(|(key, i)| Op::Index { key, i }),
        1 => (key.clone(), index(), value()).prop_map(|(key, i, v)| Op::Set { key, i, v }),
        1 => (key.clone(), any::<bool>(), small_value(), value())
            .prop_map(|(key, after, pivot, v)| Op::Insert { key, after, pivot, v }),
        1 => (key.clone(), -3i64..4, small_value()).prop_map(|(key, count, v)| Op::Rem { key, count, v }),
        1 => (key.clone(), index(), index()).prop_map(|(key, start, end)| Op::Trim { key, start, end }),
        1 => (key.clone(), index(), index()).prop_map(|(key, start, end)| Op::Range { key, start, end }),
        1 => (key.clone(), small_value(), prop_oneof![-3i64..0, 1i64..4], prop::option::of(0i64..4), 0i64..50)
            .prop_map(|(key, v, rank, count, maxlen)| Op::Pos { key, v, rank, count, maxlen }),
        1 => (key.clone(), key, any::<bool>(), any::<bool>())
            .prop_map(|(from, to, left_from, left_to)| Op::Move { from, to, left_from, left_to }),
    ]
}

fn bulk(out: &mut Vec<u8>, v: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", v.len()).as_bytes());
    out.extend_from_slice(v);
    out.extend_from_slice(b"\r\n");
}

fn array<'a>(vs: impl ExactSizeIterator<Item = &'a Vec<u8>>) -> Vec<u8> {
    let mut out = format!("*{}\r\n", vs.len()).into_bytes();
    for v in vs {
        bulk(&mut out, v);
    }
    out
}

fn int(n: i64) -> Vec<u8> {
    format!(":{n}\r\n").into_bytes()
}

/// Redis's inclusive range normalisation; `None` when empty.
fn range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let l = len as i64;
    let s = if start < 0 {
        start.saturating_add(l)
    } else {
        start
    }
    .max(0);
    let e = if end < 0 { end.saturating_add(l) } else { end };
    if s > e || s >= l {
        return None;
    }
    Some((s as usize, e.min(l - 1) as usize + 1))
}

fn resolve(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { i.checked_add(len as i64)? } else { i };
    usize::try_from(i).ok().filter(|&i| i < len)
}

/// Apply `op` to the model; returns the argv and the expected reply.
fn apply(m: &mut [VecDeque<Vec<u8>>; 2], op: &Op) -> (Vec<Vec<u8>>, Vec<u8>) {
    let s = |x: &str| x.as_bytes().to_vec();
    let n = |x: i64| x.to_string().into_bytes();
    match op {
        Op::Push { key, left, vals } => {
            let l = &mut m[*key];
            for v in vals {
                if *left {
                    l.push_front(v.clone());
                } else {
                    l.push_back(v.clone());
                }
            }
            let mut argv = vec![
                s(if *left { "lpush" } else { "rpush" }),
                KEYS[*key].to_vec(),
            ];
            argv.extend(vals.iter().cloned());
            (argv, int(l.len() as i64))
        }
        Op::Pop { key, left, count } => {
            let l = &mut m[*key];
            let mut argv = vec![s(if *left { "lpop" } else { "rpop" }), KEYS[*key].to_vec()];
            if let Some(c) = count {
                argv.push(n(*c as i64));
            }
            let want = match count {
                None if l.is_empty() => b"$-1\r\n".to_vec(),
                Some(_) if l.is_empty() => b"*-1\r\n".to_vec(),
                None => {
                    let v = if *left { l.pop_front() } else { l.pop_back() }.unwrap();
                    let mut out = Vec::new();
                    bulk(&mut out, &v);
                    out
                }
                Some(c) => {
                    let k = (*c).min(l.len());
                    let popped: Vec<Vec<u8>> = (0..k)
                        .map(|_| if *left { l.pop_front() } else { l.pop_back() }.unwrap())
                        .collect();
                    array(popped.iter())
                }
            };
            (argv, want)
        }
        Op::Index { key, i } => {
            let l = &m[*key];
            let want = match resolve(*i, l.len()) {
                Some(i) => {
                    let mut out = Vec::new();
                    bulk(&mut out, &l[i]);
                    out
                }
                None => b"$-1\r\n".to_vec(),
            };
            (vec![s("lindex"), KEYS[*key].to_vec(), n(*i)], want)
        }
        Op::Set { key, i, v } => {
            let l = &mut m[*key];
            let want = if l.is_empty() {
                b"-ERR no such key\r\n".to_vec()
            } else if let Some(i) = resolve(*i, l.len()) {
                l[i] = v.clone();
                b"+OK\r\n".to_vec()
            } else {
                b"-ERR index out of range\r\n".to_vec()
            };
            (vec![s("lset"), KEYS[*key].to_vec(), n(*i), v.clone()], want)
        }
        Op::Insert {
            key,
            after,
            pivot,
            v,
        } => {
            let l = &mut m[*key];
            let want = if l.is_empty() {
                int(0)
            } else if let Some(p) = l.iter().position(|e| e == pivot) {
                l.insert(p + usize::from(*after), v.clone());
                int(l.len() as i64)
            } else {
                int(-1)
            };
            let w = s(if *after { "after" } else { "before" });
            (
                vec![
                    s("linsert"),
                    KEYS[*key].to_vec(),
                    w,
                    pivot.clone(),
                    v.clone(),
                ],
                want,
            )
        }
        Op::Rem { key, count, v } => {
            let l = &mut m[*key];
            let limit = count.unsigned_abs() as usize;
            let mut hits: Vec<usize> = Vec::new();
            let order: Vec<usize> = if *count < 0 {
                (0..l.len()).rev().collect()
            } else {
                (0..l.len()).collect()
            };
            for i in order {
                if &l[i] == v {
                    hits.push(i);
                    if limit != 0 && hits.len() == limit {
                        break;
                    }
                }
            }
            hits.sort_unstable();
            for &i in hits.iter().rev() {
                l.remove(i);
            }
            (
                vec![s("lrem"), KEYS[*key].to_vec(), n(*count), v.clone()],
                int(hits.len() as i64),
            )
        }
        Op::Trim { key, start, end } => {
            let l = &mut m[*key];
            match range(*start, *end, l.len()) {
                Some((a, b)) => {
                    l.truncate(b);
                    l.drain(..a);
                }
                None => l.clear(),
            }
            (
                vec![s("ltrim"), KEYS[*key].to_vec(), n(*start), n(*end)],
                b"+OK\r\n".to_vec(),
            )
        }
        Op::Range { key, start, end } => {
            let l = &m[*key];
            let want = match range(*start, *end, l.len()) {
                Some((a, b)) => array(l.range(a..b)),
                None => b"*0\r\n".to_vec(),
            };
            (
                vec![s("lrange"), KEYS[*key].to_vec(), n(*start), n(*end)],
                want,
            )
        }
        Op::Pos {
            key,
            v,
            rank,
            count,
            maxlen,
        } => {
            let l = &m[*key];
            let len = l.len();
            let order: Vec<usize> = if *rank < 0 {
                (0..len).rev().collect()
            } else {
                (0..len).collect()
            };
            let scan = if *maxlen == 0 {
                len
            } else {
                (*maxlen as usize).min(len)
            };
            let skip = rank.unsigned_abs() as usize - 1;
            let hits: Vec<usize> = order[..scan]
                .iter()
                .copied()
                .filter(|&i| &l[i] == v)
                .skip(skip)
                .collect();
            let mut argv = vec![
                s("lpos"),
                KEYS[*key].to_vec(),
                v.clone(),
                s("rank"),
                n(*rank),
            ];
            argv.extend([s("maxlen"), n(*maxlen)]);
            let want = match count {
                None => hits.first().map_or(b"$-1\r\n".to_vec(), |&i| int(i as i64)),
                Some(c) => {
                    argv.extend([s("count"), n(*c)]);
                    let take = if *c == 0 {
                        hits.len()
                    } else {
                        (*c as usize).min(hits.len())
                    };
                    let mut out = format!("*{take}\r\n").into_bytes();
                    for &i in &hits[..take] {
                        out.extend(int(i as i64));
                    }
                    out
                }
            };
            (argv, want)
        }
        Op::Move {
            from,
            to,
            left_from,
            left_to,
        } => {
            let side = |l: bool| s(if l { "left" } else { "right" });
            let argv = vec![
                s("lmove"),
                KEYS[*from].to_vec(),
                KEYS[*to].to_vec(),
                side(*left_from),
                side(*left_to),
            ];
            let src = &mut m[*from];
            let Some(v) = (if *left_from {
                src.pop_front()
            } else {
                src.pop_back()
            }) else {
                return (argv, b"$-1\r\n".to_vec());
            };
            let dst = &mut m[*to];
            if *left_to {
                dst.push_front(v.clone());
            } else {
                dst.push_back(v.clone());
            }
            let mut out = Vec::new();
            bulk(&mut out, &v);
            (argv, out)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn list_commands_agree_with_a_vecdeque_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut node = Node::new(1_700_000_000_000);
        let mut model = [VecDeque::new(), VecDeque::new()];
        for op in &ops {
            let (argv, want) = apply(&mut model, op);
            let args: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
            let got = node.run(&args);
            prop_assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{:?}",
                op
            );
            for (k, l) in model.iter().enumerate() {
                let key = String::from_utf8_lossy(KEYS[k]).into_owned();
                let exists = node.cmd(&format!("exists {key}"));
                prop_assert_eq!(exists, int(i64::from(!l.is_empty())), "empty lists are deleted");
                prop_assert_eq!(node.cmd(&format!("llen {key}")), int(l.len() as i64));
                prop_assert_eq!(node.cmd(&format!("lrange {key} 0 -1")), array(l.iter()));
            }
        }
    }
}
