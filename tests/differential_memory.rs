//! MEMORY and LOLWUT against redis-server 7.0: the replies that carry no number of ours (help,
//! errors, the doctor's report of a near-empty instance, MALLOC-STATS' and PURGE's libc
//! replies' shape, LOLWUT's default text, command metadata) byte for byte; MEMORY STATS with
//! the same field names, order, nesting and value types (the values are ours); MEMORY USAGE
//! with Redis's null for a missing key and numbers that grow with what a key holds.
// A process test: it starts real servers.
#![allow(clippy::disallowed_methods)]
mod support;

use support::diff::{assert_no_mismatches, Case};
use support::{require_tool, Client, Flavor, Server, Value};

const fn case(name: &'static str, lines: &'static [&'static str]) -> Case {
    Case {
        name,
        config: &[],
        lines,
    }
}

const CASES: &[Case] = &[
    case(
        "memory subcommands",
        &[
            "SET k v",
            "MEMORY HELP",
            "MEMORY help",
            "MEMORY",
            "MEMORY FOO",
            "MEMORY HELP extra",
            "MEMORY USAGE",
            "MEMORY USAGE nope",
            "MEMORY USAGE nope SAMPLES 0",
            "MEMORY USAGE k SAMPLES -1",
            "MEMORY USAGE k SAMPLES x",
            "MEMORY USAGE k SAMPLES",
            "MEMORY USAGE k FOO 1",
            "MEMORY USAGE nope SAMPLES 5 SAMPLES -1",
            "MEMORY STATS extra",
            "MEMORY DOCTOR extra",
            "MEMORY PURGE",
            "MEMORY DOCTOR",
            "@hello HELLO 3",
            "MEMORY DOCTOR",
            "MEMORY USAGE nope",
        ],
    ),
    case(
        "lolwut",
        &[
            "LOLWUT",
            "LOLWUT VERSION 7",
            "LOLWUT VERSION 8 1 2",
            "LOLWUT VERSION x",
            "LOLWUT VERSION",
            "LOLWUT 10 20",
            "@hello HELLO 3",
            "LOLWUT",
        ],
    ),
    case(
        "metadata",
        &[
            "COMMAND INFO memory|usage memory|stats memory|doctor memory|malloc-stats memory|purge memory|help lolwut",
            "COMMAND DOCS memory|usage",
            "COMMAND DOCS memory|stats",
            "COMMAND GETKEYS MEMORY USAGE k SAMPLES 5",
        ],
    ),
];

#[test]
fn memory_replies_match_redis() {
    assert_no_mismatches(CASES);
}

/// The names and reply kinds of a MEMORY STATS map, nested maps included: `name:kind`.
fn shape(v: &Value) -> Vec<String> {
    let Value::Agg(_, Some(items)) = v else {
        panic!("MEMORY STATS is not an aggregate: {v:?}");
    };
    let mut out = Vec::new();
    for pair in items.chunks(2) {
        let name = match &pair[0] {
            Value::Blob(_, Some(b)) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("field name {other:?}"),
        };
        match &pair[1] {
            nested @ Value::Agg(..) => {
                out.push(format!("{name}:map"));
                out.extend(shape(nested).into_iter().map(|s| format!("{name}.{s}")));
            }
            Value::Line(k, _) => out.push(format!("{name}:{}", *k as char)),
            Value::Blob(k, _) => out.push(format!("{name}:{}", *k as char)),
            other => panic!("{name}: {other:?}"),
        }
    }
    out
}

fn stats(c: &mut Client) -> Value {
    Value::parse(&c.cmd(&["MEMORY", "STATS"])).expect("parse MEMORY STATS")
}

fn usage(c: &mut Client, key: &str) -> i64 {
    let r = c.cmd(&["MEMORY", "USAGE", key]);
    let text = String::from_utf8_lossy(&r);
    text.trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap_or_else(|_| panic!("MEMORY USAGE {key}: {text:?}"))
}

#[test]
fn memory_stats_has_redis_fields_and_usage_grows_with_values() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let redis = Server::start(Flavor::Redis, &[]);
    let ours = Server::start(Flavor::Node, &[]);
    let (mut cr, mut co) = (redis.connect(), ours.connect());
    for c in [&mut cr, &mut co] {
        for args in [
            vec!["SET", "small", "v"],
            vec!["SELECT", "3"],
            vec!["SET", "other", "v"],
            vec!["EXPIRE", "other", "100"],
            vec!["SELECT", "0"],
        ] {
            c.cmd(&args);
        }
    }
    // RESP2 and RESP3 (a `%` map with `,` doubles).
    for proto in ["2", "3"] {
        cr.cmd(&["HELLO", proto]);
        co.cmd(&["HELLO", proto]);
        assert_eq!(
            shape(&stats(&mut co)),
            shape(&stats(&mut cr)),
            "RESP{proto}"
        );
    }
    cr.cmd(&["HELLO", "2"]);
    co.cmd(&["HELLO", "2"]);

    // MEMORY USAGE counts what a key holds.
    let c = &mut co;
    let long = "x".repeat(10_000);
    c.cmd(&["SET", "long", &long]);
    let (small, big) = (usage(c, "small"), usage(c, "long"));
    assert!(small > 0 && small < 200, "a one-byte string: {small}");
    assert!(big - small >= 10_000, "10 KB more value: {small} vs {big}");
    c.cmd(&["SET", "ttl", "v", "EX", "100"]);
    assert!(usage(c, "ttl") > small, "a TTL costs bytes");
    c.cmd(&["RPUSH", "l3", "a", "b", "c"]);
    let mut push = vec!["RPUSH".to_string(), "l1000".to_string()];
    push.extend((0..1000).map(|i| format!("element-{i}")));
    c.cmd(&push);
    let (l3, l1000) = (usage(c, "l3"), usage(c, "l1000"));
    assert!(
        l1000 > l3 + 10_000,
        "1000 elements of 12 bytes: {l3} vs {l1000}"
    );
    // Like Redis, an existing key in another database is not seen from this one.
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "other"]), b"$-1\r\n");
}
