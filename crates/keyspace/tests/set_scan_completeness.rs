//! SSCAN over a `hashtable` set returns every member present for the whole scan at least once,
//! while the set grows and shrinks (resizes) between calls; intsets come back whole and sorted.

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
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    for step in 0.. {
        let Val::Agg(_, parts) = parse(&node.cmd(&format!("sscan {key} {cursor} count {count}")))
        else {
            panic!("array");
        };
        let (Val::Bulk(next), Val::Agg(_, items)) = (&parts[0], &parts[1]) else {
            panic!("scan reply");
        };
        for m in items {
            let Val::Bulk(m) = m else { panic!("bulk") };
            seen.push(m.clone());
        }
        cursor = String::from_utf8(next.clone()).unwrap();
        if cursor == "0" {
            break;
        }
        between(node, step);
    }
    seen
}

#[test]
fn sscan_returns_every_stable_member_across_resizes() {
    let mut node = Node::new(1_700_000_000_000);
    for i in 0..2000 {
        node.cmd(&format!("sadd s m{i}"));
    }
    let seen = scan_all(&mut node, "s", 20, |node, step| {
        for j in 0..40 {
            let n = 1000 + step * 40 + j;
            if n < 2000 {
                node.cmd(&format!("srem s m{n}"));
            }
            node.cmd(&format!("sadd s n{}", step * 40 + j));
        }
    });
    let seen: BTreeSet<Vec<u8>> = seen.into_iter().collect();
    for i in 0..1000 {
        assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
    }
}

#[test]
fn sscan_without_changes_returns_each_member_once() {
    let mut node = Node::new(1_700_000_000_000);
    for i in 0..3000 {
        node.cmd(&format!("sadd s {i}"));
    }
    assert_eq!(node.cmd("object encoding s"), b"$9\r\nhashtable\r\n");
    let seen = scan_all(&mut node, "s", 9, |_, _| {});
    let set: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!((seen.len(), set.len()), (3000, 3000));
}

#[test]
fn sscan_of_an_intset_is_one_sorted_call() {
    let mut node = Node::new(1_700_000_000_000);
    node.cmd("sadd i 30 -1 7 1000000");
    assert_eq!(
        node.cmd("sscan i 0 count 1"),
        b"*2\r\n$1\r\n0\r\n*4\r\n$2\r\n-1\r\n$1\r\n7\r\n$2\r\n30\r\n$7\r\n1000000\r\n"
    );
    assert_eq!(
        node.cmd("sscan i 0 match 3*"),
        b"*2\r\n$1\r\n0\r\n*1\r\n$2\r\n30\r\n"
    );
}
