//! Cluster routing of the GEO commands that write a second key: GEOSEARCHSTORE (fixed key
//! positions 1 and 2) and GEORADIUS/GEORADIUSBYMEMBER with STORE/STOREDIST (movable keys found
//! like Redis's `georadiusGetKeys`) refuse keys of two slots with CROSSSLOT, accept keys of one
//! slot, and COMMAND GETKEYS names the same keys, replying as a one-node redis-server cluster.
mod cluster_support;

use std::time::Duration;

use cluster_support::{have_tools, wait_state_ok, Kind, Node, TempDir, NODE_TIMEOUT_MS};

const SCRIPT: &[&[&str]] = &[
    &[
        "GEOADD",
        "{a}src",
        "13.361389",
        "38.115556",
        "Palermo",
        "15.087269",
        "37.502669",
        "Catania",
    ],
    &[
        "GEOSEARCHSTORE",
        "{b}dst",
        "{a}src",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "200",
        "km",
    ],
    &[
        "GEOSEARCHSTORE",
        "{a}dst",
        "{a}src",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "200",
        "km",
    ],
    &[
        "GEORADIUS",
        "{a}src",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "{b}dst",
    ],
    &[
        "GEORADIUS",
        "{a}src",
        "15",
        "37",
        "200",
        "km",
        "STOREDIST",
        "{b}dst",
    ],
    &[
        "GEORADIUS",
        "{a}src",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "{b}x",
        "STORE",
        "{a}dst",
    ],
    &[
        "GEORADIUS",
        "{a}src",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "{a}dst",
    ],
    &[
        "GEORADIUSBYMEMBER",
        "{a}src",
        "Palermo",
        "200",
        "km",
        "STORE",
        "{b}dst",
    ],
    &[
        "GEORADIUSBYMEMBER",
        "{a}src",
        "Palermo",
        "200",
        "km",
        "STOREDIST",
        "{a}dst",
    ],
    &[
        "GEORADIUS_RO",
        "{a}src",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "{b}dst",
    ],
    &["GEORADIUS", "{a}src", "15", "37", "200", "km", "WITHDIST"],
    &[
        "COMMAND",
        "GETKEYS",
        "GEORADIUS",
        "{a}src",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "{b}dst",
    ],
    &[
        "COMMAND",
        "GETKEYS",
        "GEORADIUSBYMEMBER",
        "k",
        "m",
        "1",
        "km",
        "STOREDIST",
        "d",
    ],
    &[
        "COMMAND",
        "GETKEYS",
        "GEOSEARCHSTORE",
        "d",
        "s",
        "FROMMEMBER",
        "m",
        "BYRADIUS",
        "1",
        "m",
    ],
    &["COMMAND", "GETKEYS", "GEOADD", "k", "1", "1", "m"],
];

#[test]
fn geo_store_keys_route_like_redis() {
    if !have_tools(&["redis-server"]) {
        return;
    }
    let root = TempDir::new("geo-crossslot");
    let nodes = [
        Node::start(Kind::Redis, &root.0, NODE_TIMEOUT_MS),
        Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS),
    ];
    for n in &nodes {
        n.ok(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
        wait_state_ok(std::slice::from_ref(n), Duration::from_secs(20));
    }
    let mut diffs = Vec::new();
    for args in SCRIPT {
        let want = nodes[0].cmd(args);
        let got = nodes[1].cmd(args);
        if want != got {
            diffs.push(format!(
                "{args:?}\n    redis:    {want:?}\n    hashslot: {got:?}"
            ));
        }
    }
    assert!(diffs.is_empty(), "replies differ:\n{}", diffs.join("\n"));
    // The script is meaningful: the two-slot forms were refused.
    let r = nodes[1].cmd(SCRIPT[1]);
    assert!(
        format!("{r:?}").contains("CROSSSLOT"),
        "GEOSEARCHSTORE across slots: {r:?}"
    );
}
