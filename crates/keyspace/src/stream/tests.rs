//! Random operations on a stream, checking after each one that every node is a valid Redis
//! stream listpack (the deep check RDB loading uses), that the kept byte count equals the
//! nodes' capacities, and that the entries equal a simple model's.

use super::*;

/// splitmix64.
fn rnd(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn check(s: &Stream, model: &[(StreamId, Vec<Vec<u8>>)]) {
    let mut live = 0;
    for (k, lp) in &s.nodes {
        assert!(trim::validate_node(lp, &mut live), "node {k} invalid");
    }
    assert_eq!(live, s.len());
    assert_eq!(
        s.lp_bytes,
        s.nodes.values().map(Vec::capacity).sum::<usize>()
    );
    let got: Vec<(StreamId, Vec<Vec<u8>>)> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .map(|e| {
            let mut fv = Vec::new();
            for (f, v) in e.pairs() {
                fv.push(f.to_vec());
                fv.push(v.to_vec());
            }
            (e.id, fv)
        })
        .collect();
    assert_eq!(got, model);
    let mut back: Vec<StreamId> = s
        .range(StreamId::MIN, StreamId::MAX, true)
        .map(|e| e.id)
        .collect();
    back.reverse();
    assert_eq!(back, model.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    let rebuilt = Stream::from_parts(
        s.nodes().map(|(k, lp)| (k, lp.to_vec())).collect(),
        s.meta(),
    )
    .expect("own nodes load back");
    assert_eq!(rebuilt.len(), s.len());
}

#[test]
fn random_operations_keep_nodes_valid_and_match_a_model() {
    for seed in 0..20u64 {
        let mut st = seed;
        let lim = StreamLimits {
            node_max_bytes: [0, 120, 4096][(seed % 3) as usize],
            node_max_entries: [0, 3, 100][(seed % 3) as usize],
        };
        let mut s = Stream::new();
        let mut model: Vec<(StreamId, Vec<Vec<u8>>)> = Vec::new();
        let mut ms = 0u64;
        for _ in 0..400 {
            match rnd(&mut st) % 10 {
                0..=5 => {
                    ms += rnd(&mut st) % 3;
                    let n = 1 + rnd(&mut st) % 3;
                    let mut pairs: Vec<Vec<u8>> = Vec::new();
                    for i in 0..n {
                        let f = if rnd(&mut st) % 2 == 0 {
                            format!("f{i}")
                        } else {
                            format!("{}", rnd(&mut st) % 5)
                        };
                        pairs.push(f.into_bytes());
                        let v = match rnd(&mut st) % 3 {
                            0 => format!("{}", rnd(&mut st) as i64),
                            1 => "x".repeat((rnd(&mut st) % 300) as usize),
                            _ => "-0".into(),
                        };
                        pairs.push(v.into_bytes());
                    }
                    let argv: Vec<&[u8]> = pairs.iter().map(|p| p.as_slice()).collect();
                    let id = ParsedId {
                        id: StreamId::new(ms, 0),
                        seq_given: false,
                    };
                    if let Ok(id) = s.append(&argv, Some(id), 0, lim) {
                        model.push((id, pairs));
                    }
                }
                6 | 7 if !model.is_empty() => {
                    let i = (rnd(&mut st) % model.len() as u64) as usize;
                    let id = model[i].0;
                    assert!(s.delete(id));
                    assert!(!s.delete(id));
                    s.after_delete(&[id]);
                    model.remove(i);
                }
                8 => {
                    let maxlen = rnd(&mut st) % 30;
                    let approx = rnd(&mut st) % 2 == 0;
                    let n = s.trim(TrimArgs {
                        strategy: TrimStrategy::MaxLen(maxlen),
                        approx,
                        limit: 0,
                    });
                    model.drain(..n as usize);
                    if !approx {
                        assert!(model.len() as u64 <= maxlen);
                    }
                }
                _ => {
                    let min = StreamId::new(rnd(&mut st) % (ms + 1), 0);
                    let n = s.trim(TrimArgs {
                        strategy: TrimStrategy::MinId(min),
                        approx: false,
                        limit: 0,
                    });
                    model.drain(..n as usize);
                    assert!(model.first().is_none_or(|(id, _)| *id >= min));
                }
            }
            check(&s, &model);
            let c = s.clone();
            assert_eq!(
                c.lp_bytes,
                c.nodes.values().map(Vec::capacity).sum::<usize>()
            );
        }
    }
}

#[test]
fn group_byte_count_follows_every_change() {
    let mut g = groups::Groups::default();
    let id = |n: u64| StreamId::new(n, 0);
    let check = |g: &groups::Groups| assert_eq!(g.heap_size(), g.heap_size_walk());
    assert!(g.create(b"g", StreamId::MIN, -1));
    assert!(!g.create(b"g", StreamId::MIN, -1));
    check(&g);
    assert!(g.create_consumer(b"g", b"alice", 1));
    assert!(g.create_consumer(b"g", b"", 1));
    for n in 0..10 {
        g.assign(
            b"g",
            id(n),
            if n % 2 == 0 { b"alice" } else { b"" },
            5,
            |_| 1,
        );
        check(&g);
    }
    // Reassign, claim by another consumer, ack, delete a consumer, destroy.
    g.assign(b"g", id(3), b"alice", 6, |c| c.unwrap_or(0) + 1);
    check(&g);
    assert!(g.ack(b"g", id(4)));
    assert!(!g.ack(b"g", id(4)));
    check(&g);
    assert_eq!(g.del_consumer(b"g", b""), Some(4));
    check(&g);
    assert_eq!(g.get(b"g").unwrap().pel().len(), 5);
    assert!(g.destroy(b"g"));
    assert_eq!(g.heap_size(), 0);
    // Loading: entries first, owners after; an entry owned twice is refused.
    assert!(g.create(b"h", StreamId::MIN, -1));
    g.load_nack(b"h", id(1), 7, 2).unwrap();
    g.load_nack(b"h", id(2), 7, 2).unwrap();
    assert!(g.load_nack(b"h", id(2), 7, 2).is_err());
    assert!(!g.all_owned());
    g.load_consumer(b"h", b"", 9, &[id(1)]).unwrap();
    assert!(g.load_consumer(b"h", b"x", 9, &[id(1)]).is_err());
    assert!(g.load_consumer(b"h", b"y", 9, &[id(9)]).is_err());
    g.load_consumer(b"h", b"z", 9, &[id(2)]).unwrap();
    assert!(g.all_owned());
    check(&g);
}
