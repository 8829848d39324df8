//! Consumer group commands as propagated (`stream_commands_for_propagation`): replaying on an
//! empty replica, whose clock differs (ahead: times in the future are clamped), what a master propagates for XADD, XGROUP,
//! XREADGROUP (with and without NOACK, new and history reads), XACK, XCLAIM, XAUTOCLAIM and
//! XDEL rebuilds the master's entries and, per group, the last delivered ID and the PEL:
//! every pending ID with its owner, delivery time and delivery count.

mod common;

use common::Node;
use hashslot_keyspace::{stream_commands_for_propagation, Object, ValueRef};

/// A group as compared: name, last ID, PEL lines, consumers with pending counts.
type GroupView = (Vec<u8>, String, Vec<String>, Vec<(Vec<u8>, usize)>);

fn groups_of(n: &Node) -> Vec<GroupView> {
    let Some(ValueRef::Obj(Object::Stream(s))) = n.dbs[0].peek(b"s") else {
        return Vec::new();
    };
    s.groups()
        .iter()
        .map(|(name, g)| {
            let pel = g
                .pel()
                .iter()
                .map(|(id, nack)| {
                    format!(
                        "{id} {} {} {}",
                        String::from_utf8_lossy(&nack.consumer),
                        nack.delivery_time,
                        nack.delivery_count
                    )
                })
                .collect();
            let consumers = g
                .consumers()
                .iter()
                .filter(|(_, c)| !c.pel().is_empty())
                .map(|(k, c)| (k.clone(), c.pel().len()))
                .collect();
            (name.to_vec(), g.last_id.to_string(), pel, consumers)
        })
        .collect()
}

#[test]
fn replaying_propagated_group_commands_rebuilds_the_pels() {
    let mut master = Node::new(1_700_000_000_000);
    // Ahead of the master: XCLAIM TIME in the future is clamped to the clock, as in Redis.
    let mut replica = Node::new(1_700_003_600_000);
    let mut s = 11u64;
    let mut rnd = move |n: u64| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) % n
    };
    let mut fed = 0;
    for n in 0..3000u64 {
        let g = ["g1", "g2"][rnd(2) as usize];
        let c = ["alice", "bob", "carol"][rnd(3) as usize];
        let id = format!("{}-0", 1 + rnd(n / 3 + 2));
        let line = match rnd(12) {
            0..=3 => format!("XADD s {}-0 f {n}", n + 1),
            4 => format!("XGROUP CREATE s {g} 0"),
            5 => format!("XREADGROUP GROUP {g} {c} COUNT {} STREAMS s >", 1 + rnd(4)),
            6 => format!("XREADGROUP GROUP {g} {c} NOACK COUNT 2 STREAMS s >"),
            7 => format!("XREADGROUP GROUP {g} {c} STREAMS s 0"),
            8 => format!("XACK s {g} {id}"),
            9 => format!(
                "XCLAIM s {g} {c} {} {id} {}",
                rnd(2) * 5,
                ["", "JUSTID", "FORCE"][rnd(3) as usize]
            ),
            10 => format!("XAUTOCLAIM s {g} {c} 0 0 COUNT {}", 1 + rnd(3)),
            _ => format!("XDEL s {id}"),
        };
        master.advance(1 + rnd(3));
        let args = common::split(&line);
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let before = master.dirty;
        let reply = master.run(&argv);
        if master.dirty == before {
            continue;
        }
        let cmds = stream_commands_for_propagation(&master.dbs[0], &argv, &reply)
            .unwrap_or_else(|| vec![args.clone()]);
        for c in cmds {
            let pargv: Vec<&[u8]> = c.iter().map(|a| a.as_slice()).collect();
            let r = replica.run(&pargv);
            assert!(
                !r.starts_with(b"-"),
                "{line} -> {c:?}: {}",
                String::from_utf8_lossy(&r)
            );
            fed += 1;
        }
        assert_eq!(groups_of(&replica), groups_of(&master), "after {line}");
    }
    assert!(fed > 1000);
    assert_eq!(replica.cmd("XRANGE s - +"), master.cmd("XRANGE s - +"));
    assert!(
        groups_of(&master).iter().any(|g| !g.2.is_empty()),
        "PELs stayed empty"
    );
}
