//! Scripts in a cluster, beside a two-master redis-server 7.0.15 cluster: the keys given to
//! EVAL/EVALSHA/EVAL_RO route like any command's (MOVED to the owner, CROSSSLOT for keys of
//! two slots, COMMAND GETKEYS names them), a key a script touches without declaring it must
//! be served here ("non local key"), scripts with a shebang must keep to one slot unless they
//! say `allow-cross-slot-keys`, and `no-cluster` scripts are refused. Node addresses in the
//! replies are replaced by `<node0>` / `<node1>` before comparing.
mod cluster_support;

use cluster_support::{create_cluster, have_tools, Kind, Node, TempDir, NODE_TIMEOUT_MS};

/// Key slots: `a` 15495 (second master), `b` 3300 and `c` 7365 (first master).
const SCRIPT: &[&[&str]] = &[
    &[
        "EVAL",
        "return redis.call('set',KEYS[1],ARGV[1])",
        "1",
        "b",
        "v",
    ],
    &["EVAL", "return redis.call('get',KEYS[1])", "1", "b"],
    &["EVAL_RO", "return redis.call('get',KEYS[1])", "1", "b"],
    &["EVAL", "return 1", "1", "a"],
    &["EVAL_RO", "return 1", "1", "a"],
    &["EVAL", "return 1", "2", "b", "c"],
    &["EVAL", "return 1", "2", "b", "{b}x"],
    &["EVAL", "return redis.call('get','c')", "1", "b"],
    &["EVAL", "return redis.call('get','a')", "1", "b"],
    &["EVAL", "return redis.call('get','a')", "0"],
    &["EVAL", "return redis.pcall('get','a')", "0"],
    &["EVAL", "return redis.call('mget','b','c')", "0"],
    &["EVAL", "#!lua\nreturn redis.call('get','c')", "1", "b"],
    &[
        "EVAL",
        "#!lua\nredis.call('get','b'); return redis.call('get','c')",
        "0",
    ],
    &[
        "EVAL",
        "#!lua flags=allow-cross-slot-keys\nreturn redis.call('get','c')",
        "1",
        "b",
    ],
    &["EVAL", "#!lua flags=no-cluster\nreturn 1", "0"],
    &["SCRIPT", "LOAD", "return KEYS[1]"],
    &[
        "EVALSHA",
        "4a2267357833227dd98abdedb8cf24b15a986445",
        "1",
        "a",
    ],
    &["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "x", "y"],
    &["COMMAND", "GETKEYS", "EVALSHA_RO", "abc", "1", "x", "y"],
    &["COMMAND", "GETKEYS", "EVAL", "return 1", "0", "x"],
];

fn normalize(r: &cluster_support::Reply, nodes: &[Node]) -> String {
    let mut s = format!("{r:?}");
    for (i, n) in nodes.iter().enumerate() {
        s = s.replace(&n.addr(), &format!("<node{i}>"));
    }
    s
}

fn run(kind: Kind, root: &std::path::Path) -> Vec<String> {
    let nodes = [
        Node::start(kind, root, NODE_TIMEOUT_MS),
        Node::start(kind, root, NODE_TIMEOUT_MS),
    ];
    create_cluster(&nodes, 2);
    SCRIPT
        .iter()
        .map(|args| normalize(&nodes[0].cmd(args), &nodes))
        .collect()
}

#[test]
fn scripts_route_and_check_keys_like_redis() {
    if !have_tools(&["redis-server"]) {
        return;
    }
    let root = TempDir::new("script-cluster");
    let theirs = run(Kind::Redis, &root.0);
    let ours = run(Kind::Ours, &root.0);
    let mut diffs = Vec::new();
    for ((args, want), got) in SCRIPT.iter().zip(&theirs).zip(&ours) {
        if want != got {
            diffs.push(format!(
                "{args:?}\n    redis:    {want}\n    hashslot: {got}"
            ));
        }
    }
    assert!(diffs.is_empty(), "replies differ:\n{}", diffs.join("\n"));
    // The script is meaningful: Redis redirected and refused what it should.
    assert!(theirs[3].contains("MOVED 15495 <node1>"), "{}", theirs[3]);
    assert!(theirs[5].contains("CROSSSLOT"), "{}", theirs[5]);
}
