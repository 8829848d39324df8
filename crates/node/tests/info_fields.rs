//! INFO: sections in Redis's order, field presence, counters that move.
mod common;
use common::*;

fn sections(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# "))
        .map(str::to_owned)
        .collect()
}

fn field(text: &str, name: &str) -> Option<String> {
    text.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_owned))
}

#[test]
fn default_all_everything_and_named_sections() {
    let mut h = Harness::new();
    let c = h.connect();
    let info = bulk_text(&h.cmd(c, &["INFO"]));
    assert_eq!(
        sections(&info),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    let all = bulk_text(&h.cmd(c, &["INFO", "everything"]));
    assert!(sections(&all).contains(&"Commandstats".to_string()));
    let two = bulk_text(&h.cmd(c, &["INFO", "keyspace", "SERVER"]));
    assert_eq!(sections(&two), ["Server", "Keyspace"]);
    assert!(two.ends_with("# Keyspace\r\n"));
    assert_eq!(bulk_text(&h.cmd(c, &["INFO", "nosuchsection"])), "");
    for (name, want) in [
        ("redis_version", Some("7.0.15")),
        ("redis_mode", Some("standalone")),
        ("role", Some("master")),
        ("connected_slaves", Some("0")),
        ("master_repl_offset", Some("0")),
        ("cluster_enabled", Some("0")),
        ("rdb_bgsave_in_progress", Some("0")),
        ("aof_enabled", Some("0")),
        ("connected_clients", Some("1")),
        ("process_id", Some("42")),
        ("hz", Some("10")),
    ] {
        assert_eq!(field(&info, name).as_deref(), want, "{name}");
    }
    for name in [
        "hashslot_version",
        "used_memory",
        "used_memory_rss",
        "used_cpu_sys",
        "run_id",
        "uptime_in_seconds",
        "instantaneous_ops_per_sec",
        "keyspace_hits",
        "expired_keys",
        "total_connections_received",
        "rejected_connections",
    ] {
        assert!(field(&info, name).is_some(), "{name} missing");
    }
    let replid = field(&info, "master_replid").unwrap();
    assert_eq!(replid.len(), 40);
    assert!(replid.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn counters_and_uptime_move() {
    let mut h = Harness::new();
    let c = h.connect();
    for _ in 0..5 {
        h.cmd(c, &["PING"]);
    }
    h.cmd(c, &["NOSUCH"]);
    h.advance(3_000);
    let info = bulk_text(&h.cmd(c, &["INFO", "all"]));
    assert_eq!(field(&info, "uptime_in_seconds").as_deref(), Some("3"));
    assert_eq!(
        field(&info, "total_commands_processed").as_deref(),
        Some("5")
    );
    assert_eq!(field(&info, "total_error_replies").as_deref(), Some("1"));
    assert_eq!(field(&info, "errorstat_ERR").as_deref(), Some("count=1"));
    assert_eq!(
        field(&info, "cmdstat_ping").as_deref(),
        Some("calls=5,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0")
    );
    h.cmd(c, &["CONFIG", "RESETSTAT"]);
    let info = bulk_text(&h.cmd(c, &["INFO", "stats"]));
    assert_eq!(
        field(&info, "total_commands_processed").as_deref(),
        Some("1")
    );
}

#[test]
fn same_seed_same_ids() {
    let a = bulk_text(&{
        let mut h = Harness::new();
        let c = h.connect();
        h.cmd(c, &["INFO", "replication"])
    });
    let b = bulk_text(&{
        let mut h = Harness::new();
        let c = h.connect();
        h.cmd(c, &["INFO", "replication"])
    });
    assert_eq!(a, b);
}
