//! HSCAN over a `hashtable` hash returns every field present for the whole scan at least once,
//! while the hash grows and shrinks (resizes) between calls; MATCH filters fields.

mod common;
mod hash_set_support;

use std::collections::BTreeSet;

use common::Node;
use hash_set_support::{parse, Val};

fn scan_all(
    node: &mut Node,
    key: &str,
    count: usize,
    mut between: impl FnMut(&mut Node, usize),
) -> Vec<Vec<u8>> {
    let mut cursor = b"0".to_vec();
    let mut seen = Vec::new();
    for step in 0.. {
        let c = String::from_utf8(cursor.clone()).unwrap();
        let Val::Agg(_, parts) = parse(&node.cmd(&format!("hscan {key} {c} count {count}"))) else {
            panic!("array");
        };
        let (Val::Bulk(next), Val::Agg(_, items)) = (&parts[0], &parts[1]) else {
            panic!("scan reply");
        };
        for pair in items.chunks(2) {
            let (Val::Bulk(f), Val::Bulk(v)) = (&pair[0], &pair[1]) else {
                panic!("bulks")
            };
            assert_eq!(
                f.strip_prefix(b"f"),
                v.strip_prefix(b"v"),
                "field and value travel together"
            );
            seen.push(f.clone());
        }
        if next == b"0" {
            break;
        }
        cursor = next.clone();
        between(node, step);
    }
    seen
}

#[test]
fn hscan_returns_every_stable_field_across_resizes() {
    let mut node = Node::new(1_700_000_000_000);
    for i in 0..2000 {
        node.cmd(&format!("hset h f{i} v{i}"));
    }
    assert_eq!(node.cmd("object encoding h"), b"$9\r\nhashtable\r\n");
    // Fields 0..1000 stay; 1000..2000 are deleted during the scan (shrinks) and 2000.. are
    // added (grows).
    let seen = scan_all(&mut node, "h", 25, |node, step| {
        for j in 0..40 {
            let n = 1000 + step * 40 + j;
            if n < 2000 {
                node.cmd(&format!("hdel h f{n}"));
            }
            node.cmd(&format!(
                "hset h f{} v{}",
                5000 + step * 40 + j,
                5000 + step * 40 + j
            ));
        }
    });
    let seen: BTreeSet<Vec<u8>> = seen.into_iter().collect();
    for i in 0..1000 {
        assert!(seen.contains(format!("f{i}").as_bytes()), "f{i} missed");
    }
}

#[test]
fn hscan_without_changes_returns_each_field_once() {
    let mut node = Node::new(1_700_000_000_000);
    for i in 0..3000 {
        node.cmd(&format!("hset h f{i} v{i}"));
    }
    let seen = scan_all(&mut node, "h", 7, |_, _| {});
    let set: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!((seen.len(), set.len()), (3000, 3000));
}

#[test]
fn hscan_match_filters_fields_on_both_encodings() {
    let mut node = Node::new(1_700_000_000_000);
    node.cmd("hset small f1 v1 f22 v22 f3 v3");
    let seen = scan_all(&mut node, "small", 10, |_, _| {});
    assert_eq!(seen.len(), 3);
    assert_eq!(
        node.cmd("hscan small 0 match f2*"),
        b"*2\r\n$1\r\n0\r\n*2\r\n$3\r\nf22\r\n$3\r\nv22\r\n"
    );
    for i in 0..600 {
        node.cmd(&format!("hset big f{i} v{i}"));
    }
    let mut cursor = "0".to_string();
    let mut got = BTreeSet::new();
    loop {
        let Val::Agg(_, parts) = parse(&node.cmd(&format!("hscan big {cursor} match f5?"))) else {
            panic!()
        };
        let (Val::Bulk(next), Val::Agg(_, items)) = (&parts[0], &parts[1]) else {
            panic!()
        };
        for pair in items.chunks(2) {
            let Val::Bulk(f) = &pair[0] else { panic!() };
            got.insert(String::from_utf8(f.clone()).unwrap());
        }
        cursor = String::from_utf8(next.clone()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    let want: BTreeSet<String> = (50..60).map(|i| format!("f{i}")).collect();
    assert_eq!(got, want);
}
