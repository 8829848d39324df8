//! Pub/sub, byte for byte against redis-server 7.0 (see `support/diff.rs` for the script
//! syntax). The first connection subscribes; `@conn2` publishes and asks PUBSUB questions;
//! `READ` takes one pushed message (or the second confirmation of a multi-channel SUBSCRIBE,
//! each channel getting its own reply) off the subscriber. PUBSUB CHANNELS lists a hash table:
//! `@sort`. `HASHSLOT_NODE_BIN=redis-server` checks the battery against Redis itself.
mod support;

use support::diff::{assert_no_mismatches, Case};

const fn case(name: &'static str, lines: &'static [&'static str]) -> Case {
    Case {
        name,
        config: &[],
        lines,
    }
}

const CASES: &[Case] = &[
    case(
        "resp2 subscribe and messages",
        &[
            "@conn2 PUBLISH a nobody",
            "SUBSCRIBE a b",
            "READ",
            "@conn2 PUBLISH a hello",
            "READ",
            "@conn2 PUBLISH b \"bin \\x00\\r\\n\"",
            "READ",
            "@conn2 PUBLISH c none",
            "@conn2 @sort PUBSUB CHANNELS",
            "@conn2 PUBSUB CHANNELS a*",
            "@conn2 PUBSUB NUMSUB a b c",
            "@conn2 PUBSUB NUMSUB",
            "@conn2 PUBSUB NUMPAT",
            "SUBSCRIBE a",
            "@conn2 PUBSUB NUMSUB a",
            "PING",
            "PING hi",
            "UNSUBSCRIBE a",
            "@conn2 PUBLISH a gone",
            "@conn2 PUBLISH b still",
            "READ",
            "UNSUBSCRIBE",
            "@conn2 PUBSUB NUMSUB a b",
            "PING",
            "UNSUBSCRIBE",
            "UNSUBSCRIBE x",
            "GET k",
        ],
    ),
    case(
        "resp2 patterns",
        &[
            "PSUBSCRIBE news.* n?ws",
            "READ",
            "@conn2 PUBSUB NUMPAT",
            "@conn2 PUBLISH news.it ciao",
            "READ",
            "@conn2 PUBLISH nows x",
            "READ",
            "SUBSCRIBE news.it",
            "@conn2 PUBLISH news.it both",
            "READ",
            "READ",
            "PSUBSCRIBE news.*",
            "@conn2 PUBSUB NUMPAT",
            "PUNSUBSCRIBE news.*",
            "@conn2 PUBSUB NUMPAT",
            "PUNSUBSCRIBE",
            "UNSUBSCRIBE",
            "PUNSUBSCRIBE",
            "@conn2 PUBSUB NUMPAT",
            "PSUBSCRIBE \"h[ae]llo\" \"*\"",
            "READ",
            "@conn2 PUBLISH hallo 1",
            "@sort READ 2",
            "PUNSUBSCRIBE nope",
            "PUNSUBSCRIBE \"h[ae]llo\" \"*\"",
            "READ",
        ],
    ),
    case(
        "resp2 restricted commands while subscribed",
        &[
            "SUBSCRIBE a",
            "GET k",
            "SET k v",
            "HELLO",
            "MULTI",
            "PUBLISH a x",
            "PUBSUB NUMSUB a",
            "ECHO x",
            "PING",
            "SSUBSCRIBE s",
            "PSUBSCRIBE p",
            "PUNSUBSCRIBE",
            "UNSUBSCRIBE",
            "GET k",
        ],
    ),
    case(
        "shard channels",
        &[
            "SSUBSCRIBE s1 s2",
            "READ",
            "@conn2 SPUBLISH s1 hi",
            "READ",
            "@conn2 PUBLISH s1 plain",
            "@conn2 @sort PUBSUB SHARDCHANNELS",
            "@conn2 PUBSUB SHARDCHANNELS s1*",
            "@conn2 PUBSUB SHARDNUMSUB s1 s2 s3",
            "@conn2 PUBSUB SHARDNUMSUB",
            "@conn2 PUBSUB CHANNELS",
            "SUNSUBSCRIBE s1",
            "@conn2 SPUBLISH s1 gone",
            "SUNSUBSCRIBE",
            "SUNSUBSCRIBE",
        ],
    ),
    case(
        "resp3 pushes",
        &[
            "@hello HELLO 3",
            "SUBSCRIBE a b",
            "READ",
            "@conn2 PUBLISH a hello",
            "READ",
            "GET k",
            "SET k v",
            "GET k",
            "PING",
            "ECHO x",
            "PSUBSCRIBE p*",
            "@conn2 PUBLISH pa m",
            "READ",
            "@conn2 PUBLISH a again",
            "GET k",
            "READ",
            "SSUBSCRIBE s",
            "@conn2 SPUBLISH s sm",
            "READ",
            "UNSUBSCRIBE b a",
            "READ",
            "PUNSUBSCRIBE",
            "SUNSUBSCRIBE",
            "UNSUBSCRIBE",
            "PING",
        ],
    ),
    case(
        "resp3 publisher and introspection",
        &[
            "@conn2 @hello HELLO 3",
            "SUBSCRIBE x",
            "@conn2 PUBLISH x m",
            "READ",
            "@conn2 PUBSUB NUMSUB x",
            "@conn2 PUBSUB CHANNELS",
            "@conn2 PUBSUB NUMPAT",
            "@conn2 PUBSUB SHARDNUMSUB x",
        ],
    ),
    case(
        "pubsub errors",
        &[
            "PUBLISH",
            "PUBLISH a",
            "PUBLISH a b c",
            "SPUBLISH a",
            "SUBSCRIBE",
            "PSUBSCRIBE",
            "SSUBSCRIBE",
            "PUBSUB",
            "PUBSUB NOPE",
            "PUBSUB NUMPAT x",
            "PUBSUB CHANNELS a b",
            "PUBSUB HELP",
        ],
    ),
    case(
        "reset leaves subscribed mode",
        &[
            "SUBSCRIBE a",
            "PSUBSCRIBE b*",
            "RESET",
            "@conn2 PUBSUB NUMSUB a",
            "@conn2 PUBSUB NUMPAT",
            "GET k",
        ],
    ),
    case(
        "two subscribers and counts",
        &[
            "SUBSCRIBE ch",
            "@conn3 SUBSCRIBE ch other",
            "@conn3 READ",
            "@conn4 PSUBSCRIBE c*",
            "@conn2 PUBLISH ch m1",
            "READ",
            "@conn3 READ",
            "@conn4 READ",
            "@conn2 PUBLISH other m2",
            "@conn3 READ",
            "@conn2 PUBSUB NUMSUB ch other c*",
            "@conn2 PUBSUB NUMPAT",
            "@conn2 @sort PUBSUB CHANNELS",
            "@conn2 PUBSUB CHANNELS o*",
            "@conn3 UNSUBSCRIBE ch",
            "@conn2 PUBLISH ch m3",
            "READ",
            "@conn4 READ",
            "@conn3 PING",
            "@conn4 PUNSUBSCRIBE",
            "@conn2 PUBLISH ch m4",
            "READ",
            "@conn2 PUBSUB NUMPAT",
            "@conn2 PUBSUB NUMSUB ch other",
        ],
    ),
    case(
        "subscriber disconnects",
        &[
            "@conn3 GETID",
            "@conn3 SUBSCRIBE gone",
            "@conn3 PSUBSCRIBE g*",
            "@conn2 PUBSUB NUMSUB gone",
            "CLIENT KILL ID $id3",
            "@conn2 PUBSUB NUMSUB gone",
            "@conn2 PUBSUB NUMPAT",
            "@conn2 PUBLISH gone x",
        ],
    ),
    case(
        "resp3 subscriber switches protocol",
        &[
            "SUBSCRIBE a",
            "HELLO 3",
            "@conn2 @hello HELLO 3",
            "@conn2 SUBSCRIBE b",
            "@conn2 @hello HELLO 2",
            "@conn2 GET k",
            "@conn2 UNSUBSCRIBE b",
            "@conn2 @hello HELLO 2",
            "@conn2 GET k",
        ],
    ),
];

/// Keyspace notifications (`notify-keyspace-events`) of collection commands, delivered to a
/// pattern subscriber. A separate test: a server that publishes nothing costs the 3 s read
/// timeout per `READ`, so the case is kept short.
const NOTIFICATIONS: &[Case] = &[case(
    "keyspace notifications of collection commands",
    &[
        "@conn2 CONFIG SET notify-keyspace-events KEA",
        "@conn2 CONFIG GET notify-keyspace-events",
        "PSUBSCRIBE __key*@0__:*",
        "@conn2 RPUSH l a",
        "@conn2 HSET h f 1",
        "@conn2 SADD s 1",
        "@conn2 ZADD z 1 a",
        "@conn2 ZPOPMIN z",
        "@sort READ 12",
        "@conn2 CONFIG SET notify-keyspace-events \"\"",
        "@conn2 SADD u x",
        "PING",
    ],
)];

#[test]
fn pubsub_matches_redis() {
    assert_no_mismatches(CASES);
}

#[test]
#[ignore = "keyspace notifications (notify-keyspace-events) are not implemented yet; run with --ignored"]
fn keyspace_notifications_match_redis() {
    assert_no_mismatches(NOTIFICATIONS);
}
