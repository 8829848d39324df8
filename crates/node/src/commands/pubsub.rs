//! Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB. Ref: pubsub.c.

use hashslot_keyspace::flags::{FAST, LOADING, MAY_REPLICATE, NOSCRIPT, PUBSUB, STALE};
use hashslot_keyspace::CommandSpec;
use hashslot_resp::ErrorReply;
use hashslot_types::Now;

use super::{cmd, Spec};
use crate::pubsub::Kind;
use crate::session::Client;
use crate::Node;

const SUB: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;
const PUB: u32 = PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE;
const SLOW: &[&str] = &["@pubsub", "@slow"];
const G: &str = "pubsub";

/// Key positions of the sharded commands: their channels hash to slots like keys (Redis's
/// `NOT_KEY` key specs), so cluster routing sends them to the channel's shard.
const fn channels(spec: Spec, last: i32) -> Spec {
    CommandSpec {
        first_key: 1,
        last_key: last,
        key_step: 1,
        ..spec
    }
}

pub(super) const SUBSCRIBE: Spec = cmd(
    "subscribe",
    -2,
    SUB,
    SLOW,
    G,
    "2.0.0",
    "O(N) where N is the number of channels to subscribe to.",
    "Listen for messages published to the given channels",
    subscribe,
);
pub(super) const UNSUBSCRIBE: Spec = cmd(
    "unsubscribe",
    -1,
    SUB,
    SLOW,
    G,
    "2.0.0",
    "O(N) where N is the number of clients already subscribed to a channel.",
    "Stop listening for messages posted to the given channels",
    unsubscribe,
);
pub(super) const PSUBSCRIBE: Spec = cmd(
    "psubscribe",
    -2,
    SUB,
    SLOW,
    G,
    "2.0.0",
    "O(N) where N is the number of patterns the client is already subscribed to.",
    "Listen for messages published to channels matching the given patterns",
    psubscribe,
);
pub(super) const PUNSUBSCRIBE: Spec = cmd("punsubscribe", -1, SUB, SLOW, G, "2.0.0", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", "Stop listening for messages posted to channels matching the given patterns", punsubscribe);
pub(super) const PUBLISH: Spec = cmd("publish", 3, PUB, &["@pubsub", "@fast"], G, "2.0.0", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", "Post a message to a channel", publish);
pub(super) const SSUBSCRIBE: Spec = channels(
    cmd(
        "ssubscribe",
        -2,
        SUB,
        SLOW,
        G,
        "7.0.0",
        "O(N) where N is the number of shard channels to subscribe to.",
        "Listen for messages published to the given shard channels",
        ssubscribe,
    ),
    -1,
);
pub(super) const SUNSUBSCRIBE: Spec = channels(
    cmd(
        "sunsubscribe",
        -1,
        SUB,
        SLOW,
        G,
        "7.0.0",
        "O(N) where N is the number of clients already subscribed to a shard channel.",
        "Stop listening for messages posted to the given shard channels",
        sunsubscribe,
    ),
    -1,
);
pub(super) const SPUBLISH: Spec = channels(
    cmd(
        "spublish",
        3,
        PUB,
        &["@pubsub", "@fast"],
        G,
        "7.0.0",
        "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        "Post a message to a shard channel",
        spublish,
    ),
    1,
);

const INTRO: u32 = PUBSUB | LOADING | STALE;

/// PUBSUB's subcommands.
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd("pubsub|channels", -2, INTRO, SLOW, G, "2.8.0", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", "List active channels", pubsub_channels),
    cmd("pubsub|numsub", -2, INTRO, SLOW, G, "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", "Get the count of subscribers for channels", pubsub_numsub),
    cmd("pubsub|numpat", 2, INTRO, SLOW, G, "2.8.0", "O(1)", "Get the count of unique patterns pattern subscriptions", pubsub_numpat),
    cmd("pubsub|shardchannels", -2, INTRO, SLOW, G, "7.0.0", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", "List active shard channels", pubsub_shardchannels),
    cmd("pubsub|shardnumsub", -2, INTRO, SLOW, G, "7.0.0", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", "Get the count of subscribers for shard channels", pubsub_shardnumsub),
    cmd("pubsub|help", 2, LOADING | STALE, &["@slow"], G, "6.2.0", "O(1)", "Show helpful text about the different subcommands", pubsub_help),
];

/// Ref: pubsub.c subscribeCommand: refused to a client that may not block (inside EXEC only
/// the MULTI exception applies).
fn deny_subscribe(c: &mut Client, name: &str, multi_ok: bool) -> bool {
    if c.in_exec && !(multi_ok && c.multi.is_some()) {
        let text = format!("ERR {name} isn't allowed for a DENY BLOCKING client");
        c.reply().error(&ErrorReply::msg(text));
        return true;
    }
    false
}

fn subscribe(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if deny_subscribe(c, "SUBSCRIBE", true) {
        return;
    }
    for ch in &args[1..] {
        node.subscribe(c, Kind::Channel, ch);
    }
}

fn psubscribe(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if deny_subscribe(c, "PSUBSCRIBE", true) {
        return;
    }
    for p in &args[1..] {
        node.subscribe(c, Kind::Pattern, p);
    }
}

fn ssubscribe(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    if deny_subscribe(c, "SSUBSCRIBE", false) {
        return;
    }
    for ch in &args[1..] {
        node.subscribe(c, Kind::Shard, ch);
    }
}

fn unsubscribe_kind(node: &mut Node, c: &mut Client, args: &[&[u8]], kind: Kind) {
    if args.len() == 1 {
        node.unsubscribe_all(c, kind, true);
    } else {
        for ch in &args[1..] {
            node.unsubscribe(c, kind, ch, true);
        }
    }
}

fn unsubscribe(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    unsubscribe_kind(node, c, args, Kind::Channel);
}

fn punsubscribe(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    unsubscribe_kind(node, c, args, Kind::Pattern);
}

fn sunsubscribe(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    unsubscribe_kind(node, c, args, Kind::Shard);
}

fn publish(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let n = node.publish_local(Some(c), args[1], args[2], false);
    node.on_publish(args[1], args[2], false);
    c.reply().int(n as i64);
}

fn spublish(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let n = node.publish_local(Some(c), args[1], args[2], true);
    node.on_publish(args[1], args[2], true);
    c.reply().int(n as i64);
}

fn list_names(node: &Node, c: &mut Client, args: &[&[u8]], kind: Kind) {
    if args.len() > 3 {
        return subcommand_syntax(c, args);
    }
    let names = node.pubsub.names(kind, args.get(2).copied());
    let mut r = c.reply();
    r.array_len(names.len());
    for n in names {
        r.bulk(n);
    }
}

fn count_subs(node: &Node, c: &mut Client, args: &[&[u8]], kind: Kind) {
    let counts: Vec<usize> = args[2..]
        .iter()
        .map(|ch| node.pubsub.subscribers(kind, ch))
        .collect();
    let mut r = c.reply();
    r.array_len(counts.len() * 2);
    for (ch, n) in args[2..].iter().zip(counts) {
        r.bulk(ch);
        r.int(n as i64);
    }
}

/// Ref: server.c addReplySubcommandSyntaxError.
fn subcommand_syntax(c: &mut Client, args: &[&[u8]]) {
    let text = format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
        String::from_utf8_lossy(&args[1][..args[1].len().min(128)])
    );
    c.reply().error(&ErrorReply::msg(text));
}

fn pubsub_channels(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    list_names(node, c, args, Kind::Channel);
}

fn pubsub_shardchannels(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    list_names(node, c, args, Kind::Shard);
}

fn pubsub_numsub(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    count_subs(node, c, args, Kind::Channel);
}

fn pubsub_shardnumsub(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    count_subs(node, c, args, Kind::Shard);
}

fn pubsub_numpat(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let n = node.pubsub.len(Kind::Pattern);
    c.reply().int(n as i64);
}

fn pubsub_help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    const LINES: &[&str] = &[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    let mut r = c.reply();
    r.array_len(LINES.len());
    for l in LINES {
        r.simple(l.as_bytes());
    }
}
