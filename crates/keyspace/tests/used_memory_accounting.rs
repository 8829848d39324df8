//! `Db::used_memory` is kept incrementally (O(1) to read on every cron tick): after any sequence
//! of commands it must equal the full walk over every table and object (`used_memory_walk`).
//! Commands change objects in place (LPUSH, HSET, SADD, ZADD, APPEND, SETBIT…), convert
//! encodings (listpack → hashtable, intset → hashtable, a list growing past one chunk), rename,
//! move between databases, expire and delete; streams append, delete and trim their listpack
//! nodes in place; each is followed by the check.

mod common;

use common::Node;
use proptest::prelude::*;

/// One command over a small key space, so that commands meet the same keys often.
fn command() -> impl Strategy<Value = Vec<String>> {
    let key = prop::sample::select(vec!["a", "b", "c", "{a}x", "{a}y"]);
    let member = (0u32..300).prop_map(|n| format!("m{n}"));
    let value = (0usize..700, any::<u8>()).prop_map(|(n, b)| {
        // Short, embstr-sized, raw inline and past the 512-byte inline limit; some integers.
        if b % 5 == 0 {
            (n as i64 - 300).to_string()
        } else {
            char::from(b'a' + b % 26).to_string().repeat(n)
        }
    });
    let many = prop::collection::vec(member.clone(), 1..40);
    prop_oneof![
        (key.clone(), value.clone()).prop_map(|(k, v)| vec!["SET".into(), k.into(), v]),
        (key.clone(), value.clone()).prop_map(|(k, v)| vec!["APPEND".into(), k.into(), v]),
        (key.clone(), 0u32..2000, value.clone()).prop_map(|(k, o, v)| vec![
            "SETRANGE".into(),
            k.into(),
            o.to_string(),
            v
        ]),
        (key.clone(), 0u32..5000).prop_map(|(k, o)| vec![
            "SETBIT".into(),
            k.into(),
            o.to_string(),
            "1".into()
        ]),
        key.clone().prop_map(|k| vec!["INCR".into(), k.into()]),
        key.clone().prop_map(|k| vec!["DEL".into(), k.into()]),
        (key.clone(), 1u32..100).prop_map(|(k, s)| vec!["EXPIRE".into(), k.into(), s.to_string()]),
        key.clone().prop_map(|k| vec!["PERSIST".into(), k.into()]),
        (key.clone(), key.clone()).prop_map(|(a, b)| vec!["RENAME".into(), a.into(), b.into()]),
        (key.clone(), key.clone()).prop_map(|(a, b)| vec![
            "COPY".into(),
            a.into(),
            b.into(),
            "REPLACE".into()
        ]),
        key.clone()
            .prop_map(|k| vec!["MOVE".into(), k.into(), "1".into()]),
        (key.clone(), many.clone(), any::<bool>()).prop_map(|(k, m, left)| {
            let mut c = vec![if left { "LPUSH" } else { "RPUSH" }.into(), k.into()];
            c.extend(m);
            c
        }),
        (key.clone(), value.clone(), 1usize..200).prop_map(|(k, v, n)| {
            // Big elements make a list of many chunks.
            let mut c = vec!["RPUSH".to_string(), k.into()];
            c.extend(std::iter::repeat(v).take(n));
            c
        }),
        (key.clone(), 1u32..50, any::<bool>()).prop_map(|(k, n, left)| vec![
            if left { "LPOP" } else { "RPOP" }.into(),
            k.into(),
            n.to_string()
        ]),
        (key.clone(), -20i32..20, value.clone()).prop_map(|(k, i, v)| vec![
            "LSET".into(),
            k.into(),
            i.to_string(),
            v
        ]),
        (key.clone(), member.clone(), value.clone()).prop_map(|(k, p, v)| vec![
            "LINSERT".into(),
            k.into(),
            "BEFORE".into(),
            p,
            v
        ]),
        (key.clone(), member.clone()).prop_map(|(k, m)| vec![
            "LREM".into(),
            k.into(),
            "0".into(),
            m
        ]),
        (key.clone(), 0i32..50, -50i32..0).prop_map(|(k, a, b)| vec![
            "LTRIM".into(),
            k.into(),
            a.to_string(),
            b.to_string()
        ]),
        (
            key.clone(),
            prop::collection::vec((member.clone(), value.clone()), 1..20)
        )
            .prop_map(|(k, fv)| {
                let mut c = vec!["HSET".to_string(), k.into()];
                for (f, v) in fv {
                    c.push(f);
                    c.push(v);
                }
                c
            }),
        (key.clone(), many.clone()).prop_map(|(k, m)| {
            let mut c = vec!["HDEL".to_string(), k.into()];
            c.extend(m);
            c
        }),
        (
            key.clone(),
            prop::collection::vec(0u32..1000, 1..40),
            any::<bool>()
        )
            .prop_map(|(k, ns, ints)| {
                let mut c = vec!["SADD".to_string(), k.into()];
                c.extend(
                    ns.iter()
                        .map(|n| if ints { n.to_string() } else { format!("m{n}") }),
                );
                c
            }),
        (key.clone(), many.clone()).prop_map(|(k, m)| {
            let mut c = vec!["SREM".to_string(), k.into()];
            c.extend(m);
            c
        }),
        (key.clone(), 1u32..20).prop_map(|(k, n)| vec!["SPOP".into(), k.into(), n.to_string()]),
        (key.clone(), key.clone(), member.clone()).prop_map(|(a, b, m)| vec![
            "SMOVE".into(),
            a.into(),
            b.into(),
            m
        ]),
        (
            key.clone(),
            prop::collection::vec((0u32..1000, member.clone()), 1..40)
        )
            .prop_map(|(k, sm)| {
                let mut c = vec!["ZADD".to_string(), k.into()];
                for (s, m) in sm {
                    c.push(s.to_string());
                    c.push(m);
                }
                c
            }),
        (key.clone(), many).prop_map(|(k, m)| {
            let mut c = vec!["ZREM".to_string(), k.into()];
            c.extend(m);
            c
        }),
        (key.clone(), 1u32..20).prop_map(|(k, n)| vec!["ZPOPMIN".into(), k.into(), n.to_string()]),
        (key.clone(), key.clone()).prop_map(|(a, b)| vec![
            "LMOVE".into(),
            a.into(),
            b.into(),
            "LEFT".into(),
            "RIGHT".into()
        ]),
        Just(vec!["FLUSHDB".to_string()]),
        // Streams: appends (a node closes at 100 entries or 4096 bytes, big values close it
        // sooner), deletes that flag tombstones or drop whole nodes, trims of both kinds.
        (
            key.clone(),
            0u64..400,
            prop::collection::vec(value.clone(), 1..4)
        )
            .prop_map(|(k, ms, vs)| {
                let mut c = vec!["XADD".to_string(), k.into(), format!("{ms}-*")];
                for (i, v) in vs.into_iter().enumerate() {
                    c.push(format!("f{i}"));
                    c.push(v);
                }
                c
            }),
        (key.clone(), 0u64..400).prop_map(|(k, ms)| vec![
            "XDEL".into(),
            k.into(),
            format!("{ms}-0"),
            format!("{ms}-1")
        ]),
        (key.clone(), 0u32..60, any::<bool>()).prop_map(|(k, n, approx)| vec![
            "XTRIM".into(),
            k.into(),
            "MAXLEN".into(),
            if approx { "~" } else { "=" }.into(),
            n.to_string()
        ]),
        (key.clone(), 0u64..400).prop_map(|(k, ms)| vec![
            "XTRIM".into(),
            k.into(),
            "MINID".into(),
            ms.to_string()
        ]),
        key.clone()
            .prop_map(|k| vec!["XSETID".into(), k.into(), "500-0".into()]),
        // Consumer groups: created, read into PELs, acknowledged, claimed, consumers deleted.
        (key.clone(), 0u32..3).prop_map(|(k, g)| vec![
            "XGROUP".into(),
            "CREATE".into(),
            k.into(),
            format!("g{g}"),
            "0".into()
        ]),
        (key.clone(), 0u32..3, 0u32..4, 1u32..20).prop_map(|(k, g, c, n)| vec![
            "XREADGROUP".into(),
            "GROUP".into(),
            format!("g{g}"),
            format!("consumer{c}"),
            "COUNT".into(),
            n.to_string(),
            "STREAMS".into(),
            k.into(),
            ">".into()
        ]),
        (key.clone(), 0u32..3, 0u64..400).prop_map(|(k, g, ms)| vec![
            "XACK".into(),
            k.into(),
            format!("g{g}"),
            format!("{ms}-0"),
            format!("{ms}-1")
        ]),
        (key.clone(), 0u32..3, 0u32..4).prop_map(|(k, g, c)| vec![
            "XAUTOCLAIM".into(),
            k.into(),
            format!("g{g}"),
            format!("consumer{c}"),
            "0".into(),
            "0".into(),
            "COUNT".into(),
            "5".into()
        ]),
        (key.clone(), 0u32..3, 0u32..4).prop_map(|(k, g, c)| vec![
            "XGROUP".into(),
            "DELCONSUMER".into(),
            k.into(),
            format!("g{g}"),
            format!("consumer{c}")
        ]),
        (key, 0u32..3).prop_map(|(k, g)| vec![
            "XGROUP".into(),
            "DESTROY".into(),
            k.into(),
            format!("g{g}")
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn kept_count_equals_full_walk(cmds in prop::collection::vec(command(), 1..120)) {
        let mut node = Node::new(1_700_000_000_000);
        for (n, c) in cmds.iter().enumerate() {
            let argv: Vec<&[u8]> = c.iter().map(|a| a.as_bytes()).collect();
            node.run(&argv);
            // Time passes, so EXPIREs come due and lazy/active expiry deletes keys too.
            node.now = hashslot_types::Now::new(
                node.now.mono,
                hashslot_types::UnixMillis(node.now.wall.0 + 7_000),
            );
            if n % 7 == 0 {
                node.dbs[0].active_expire_cycle(node.now.wall, 3);
            }
            for (i, db) in node.dbs.iter().enumerate() {
                prop_assert_eq!(
                    db.used_memory(),
                    db.used_memory_walk(),
                    "db {} after {:?}",
                    i,
                    c
                );
            }
        }
    }
}
