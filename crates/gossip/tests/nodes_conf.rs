//! nodes.conf: what a node writes loads back the same; corrupt files are errors naming the line.
mod common;

use common::{config, Net};
use hashslot_gossip::Cluster;
use hashslot_types::{Instant, Now, Rng, UnixMillis};

fn now() -> Now {
    Now::new(
        Instant::from_nanos(5_000_000_000),
        UnixMillis(1_700_000_100_000),
    )
}

/// The fields that survive a restart: id, address, flags, master, epoch, slots.
fn stable_fields(conf: &str) -> Vec<String> {
    let mut v: Vec<String> = conf
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            if f[0] == "vars" {
                return l.to_owned();
            }
            let mut keep = vec![f[0], f[1], f[2], f[3], f[6]];
            keep.extend(&f[8..]);
            keep.join(" ")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn round_trip() {
    let net = Net::three_masters(15000, 7);
    let conf = net.persisted[0].clone().unwrap();
    assert_eq!(conf.lines().count(), 4, "{conf}");
    let c = Cluster::load(config(0, 15000), Rng::from_seed(9), now(), conf.as_bytes()).unwrap();
    assert_eq!(c.myself_id(), net.nodes[0].myself_id());
    assert_eq!(stable_fields(&c.nodes_conf_text()), stable_fields(&conf));
    assert_eq!(c.current_epoch().0, 3);
    assert_eq!(c.slot_map().assigned_count(), 16384);
}

#[test]
fn loads_a_redis_written_file() {
    let text = "\
07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 1 connected
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001,host-1 myself,master - 0 0 1 connected 0-5460 [5461-<-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]
67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922


vars currentEpoch 6 lastVoteEpoch 0
";
    let c = Cluster::load(config(0, 15000), Rng::from_seed(1), now(), text.as_bytes()).unwrap();
    assert_eq!(
        c.myself_id().to_string(),
        "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"
    );
    assert_eq!(c.current_epoch().0, 6);
    assert_eq!(c.known_nodes(), 3);
    let me = c.nodes_text();
    assert!(me.contains("myself,master - 0 0 1 connected 0-5460 [5461-<-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]"), "{me}");
    assert!(me.contains("07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"), "{me}");
}

#[test]
fn corrupt_files_are_errors_naming_the_line() {
    let good = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460\n";
    let cases: &[(&str, Option<usize>)] = &[
        // Truncated in the middle of the second line.
        (
            &format!("{good}67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 mas"),
            Some(2),
        ),
        (&good.replace("myself,master", "myself,wizard"), Some(1)),
        (&good.replace("0-5460", "0-16384"), Some(1)),
        (&good.replace("127.0.0.1:30001", "127.0.0.1"), Some(1)),
        (&good.replace("e7d1", "E7D1"), Some(1)),
        (&format!("{good}vars currentEpoch\n"), Some(2)),
        (&good.replace("myself,", ""), None),
    ];
    for (text, line) in cases {
        let e = Cluster::load(config(0, 15000), Rng::from_seed(1), now(), text.as_bytes())
            .expect_err(text);
        assert_eq!(e.line, *line, "{text}: {e}");
    }
    // Empty is a fresh node.
    assert!(Cluster::load(config(0, 15000), Rng::from_seed(1), now(), b"").is_ok());
}
