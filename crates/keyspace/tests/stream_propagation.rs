//! XADD/XTRIM as propagated (`stream_command_for_propagation`): replaying what a master
//! propagates on an empty replica whose clock is far behind (so generated IDs could not come out
//! the same by themselves) rebuilds the master's streams exactly, nodes included; approximate
//! trims with LIMIT arrive as the exact trims they turned out to be.

mod common;

use common::Node;
use hashslot_keyspace::stream_command_for_propagation;

#[test]
fn replaying_propagated_commands_rebuilds_the_streams() {
    let mut master = Node::new(1_700_000_000_000);
    let mut replica = Node::new(1_600_000_000_000);
    let mut s = 5u64;
    let mut rnd = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s >> 33
    };
    let mut rewritten = 0;
    for n in 0..2000 {
        let line = match rnd() % 8 {
            0 => format!("XADD s MAXLEN ~ {} * f {n}", rnd() % 300),
            1 => format!(
                "XADD s MINID ~ {} LIMIT {} * f {n}",
                1_700_000_000_000 + rnd() % 100,
                rnd() % 200
            ),
            2 => format!("XTRIM s MAXLEN ~ {}", rnd() % 300),
            3 => format!("XTRIM s MINID ~ {}-0", 1_700_000_000_000 + rnd() % 100),
            4 => format!(
                "XADD s {}-* f {n}",
                1_700_000_000_000 + rnd() % 100 + n / 10
            ),
            _ => format!("XADD s * f {n} g x"),
        };
        if n % 50 == 0 {
            master.advance(1);
        }
        let args = common::split(&line);
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let before = master.dirty;
        let reply = master.run(&argv);
        if master.dirty == before {
            continue;
        }
        let prop = stream_command_for_propagation(&master.dbs[0], &argv, &reply);
        if prop.is_some() {
            rewritten += 1;
        }
        let prop = prop.unwrap_or_else(|| args.clone());
        let pargv: Vec<&[u8]> = prop.iter().map(|a| a.as_slice()).collect();
        let r = replica.run(&pargv);
        assert!(
            !r.starts_with(b"-"),
            "{line} -> {:?}: {}",
            prop,
            String::from_utf8_lossy(&r)
        );
    }
    assert!(rewritten > 1000);
    for check in ["XRANGE s - +", "XINFO STREAM s FULL COUNT 0", "XLEN s"] {
        assert_eq!(replica.cmd(check), master.cmd(check), "{check}");
    }
}
