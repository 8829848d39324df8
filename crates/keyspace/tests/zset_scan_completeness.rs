//! ZSCAN returns every member present for the whole scan, even when the set grows (and its
//! hash index resizes) or shrinks between calls; listpack sets come back whole with cursor 0.

mod common;

use std::collections::BTreeSet;

use common::Node;

/// Parse a RESP2 `[cursor, [m, s, m, s…]]` reply: the cursor and the members.
fn parse(reply: &[u8]) -> (String, Vec<String>) {
    let text = String::from_utf8_lossy(reply);
    let lines: Vec<&str> = text.split("\r\n").collect();
    let cursor = lines[2].to_string();
    let n: usize = lines[3][1..].parse().unwrap();
    let mut members = Vec::new();
    for i in 0..n / 2 {
        members.push(lines[5 + i * 4].to_string());
    }
    (cursor, members)
}

fn full_scan(
    node: &mut Node,
    count: usize,
    mut between: impl FnMut(&mut Node, usize),
) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut round = 0;
    loop {
        let (next, members) = parse(&node.cmd(&format!("zscan z {cursor} count {count}")));
        seen.extend(members);
        cursor = next;
        if cursor == "0" {
            return seen;
        }
        between(node, round);
        round += 1;
        assert!(round < 100_000, "scan does not terminate");
    }
}

#[test]
fn listpack_scan_is_one_call() {
    let mut node = Node::new(1_700_000_000_000);
    node.cmd("zadd z 1 a 2 b 3 c");
    assert_eq!(
        node.cmd("zscan z 0 count 1"),
        b"*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
}

#[test]
fn skiplist_scan_is_complete_under_growth_and_shrink() {
    for (grow, count) in [(true, 10), (false, 10), (true, 3), (false, 37)] {
        let mut node = Node::new(1_700_000_000_000);
        for i in 0..1000 {
            node.cmd(&format!("zadd z {i} stable{i}"));
        }
        let seen = full_scan(&mut node, count, |n, round| {
            if grow && round < 40 {
                for j in 0..40 {
                    n.cmd(&format!("zadd z 0 extra{round}_{j}"));
                }
            } else {
                for j in 0..20 {
                    n.cmd(&format!("zadd z 0 tmp{round}_{j}"));
                    n.cmd(&format!("zrem z tmp{round}_{j}"));
                }
                if round % 3 == 0 {
                    n.cmd("zremrangebyscore z (999 +inf");
                }
            }
        });
        let seen: BTreeSet<String> = seen.into_iter().collect();
        for i in 0..1000 {
            assert!(
                seen.contains(&format!("stable{i}")),
                "stable{i} missing (grow={grow}, count={count})"
            );
        }
    }
}

#[test]
fn shrinking_set_scan_still_complete() {
    let mut node = Node::new(1_700_000_000_000);
    for i in 0..3000 {
        node.cmd(&format!("zadd z {i} m{i}"));
    }
    // Remove most members between calls so the index shrinks mid-scan.
    let seen = full_scan(&mut node, 50, |n, round| {
        if round == 2 {
            n.cmd("zremrangebyrank z 100 -1");
        }
    });
    let seen: BTreeSet<String> = seen.into_iter().collect();
    for i in 0..100 {
        assert!(seen.contains(&format!("m{i}")), "m{i} missing");
    }
}
