//! nodes.conf text is byte-for-byte what it was before the per-node slot runs: a file with
//! fragmented slot ranges, single slots and open slots (migrating and importing markers) loads
//! and is written back identically, and edits through the slot map show in the text at once.
mod common;

use common::config;
use hashslot_gossip::Cluster;
use hashslot_types::{Instant, Now, Rng, UnixMillis};

fn now() -> Now {
    Now::new(
        Instant::from_nanos(5_000_000_000),
        UnixMillis(1_700_000_100_000),
    )
}

const ME: &str = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";
const B: &str = "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1";
const C: &str = "07c37dfeb235213a872192d90877d0cd55635b91";

/// Ping and pong 0 load as "never" and print as 0; loaded peers have no link yet
/// (`disconnected`), and my address is the configured one (port 7000, bus 17000), so a whole
/// file can round-trip exactly.
fn file() -> String {
    format!(
        "{ME} 127.0.0.1:7000@17000 myself,master - 0 0 4 connected 0-10 12 14-20 5000-5460 16383 \
         [11->-{B}] [13-<-{C}] [5461-<-{B}] [9000->-{C}]\n\
         {B} 127.0.0.1:30002@31002 master - 0 0 2 disconnected 11 13 21-4999 5461-8999\n\
         {C} 127.0.0.1:30003@31003 master - 0 0 3 disconnected 9000-16382\n\
         vars currentEpoch 6 lastVoteEpoch 5\n"
    )
}

#[test]
fn fragmented_ranges_and_open_slots_round_trip_byte_for_byte() {
    let text = file();
    let c = Cluster::load(config(0, 15000), Rng::from_seed(3), now(), text.as_bytes()).unwrap();
    assert_eq!(c.nodes_conf_text(), text);
    // CLUSTER NODES prints the same lines (no handshake nodes here), without the vars line.
    let vars_at = text.find("vars").unwrap();
    assert_eq!(c.nodes_text(), text[..vars_at]);
}

#[test]
fn ranges_of_each_node_match_a_scan_of_the_map() {
    let text = file();
    let c = Cluster::load(config(0, 15000), Rng::from_seed(3), now(), text.as_bytes()).unwrap();
    let map = c.slot_map();
    for (r, _) in c.nodes() {
        let runs: Vec<_> = map.ranges_of(r).collect();
        let scanned: Vec<_> = map.ranges().filter(|x| x.owner == Some(r)).collect();
        assert_eq!(runs, scanned);
        let from_runs: usize = runs
            .iter()
            .map(|x| usize::from(x.end.get() - x.start.get()) + 1)
            .sum();
        assert_eq!(from_runs, map.count_of(r));
        assert_eq!(map.slots_of(r).len(), from_runs);
    }
    let open: Vec<u16> = map.open_slots().map(|s| s.get()).collect();
    assert_eq!(open, vec![11, 13, 5461, 9000]);
}
