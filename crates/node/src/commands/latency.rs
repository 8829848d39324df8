//! LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP over the node's latency
//! monitor and per-command histograms (`crate::latency`), in Redis 7.0's reply shapes.
//! Ref: latency.c latencyCommand.

use hashslot_keyspace::flags::{ADMIN, LOADING, NOSCRIPT, STALE};
use hashslot_resp::{ErrorReply, Reply};
use hashslot_types::Now;

use super::{cmd, help_reply, Spec, ADMIN_ACL};
use crate::latency::{self, Histogram};
use crate::session::Client;
use crate::Node;

const F: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

/// LATENCY's subcommands.
pub(super) static SUBCOMMANDS: &[Spec] = &[
    cmd(
        "latency|latest",
        2,
        F,
        ADMIN_ACL,
        "server",
        "2.8.13",
        "O(1)",
        "Return the latest latency samples for all events.",
        latest,
    ),
    cmd(
        "latency|history",
        3,
        F,
        ADMIN_ACL,
        "server",
        "2.8.13",
        "O(1)",
        "Return timestamp-latency samples for the event.",
        history,
    ),
    cmd(
        "latency|reset",
        -2,
        F,
        ADMIN_ACL,
        "server",
        "2.8.13",
        "O(1)",
        "Reset latency data for one or more events.",
        reset,
    ),
    cmd(
        "latency|graph",
        3,
        F,
        ADMIN_ACL,
        "server",
        "2.8.13",
        "O(1)",
        "Return a latency graph for the event.",
        graph,
    ),
    cmd(
        "latency|doctor",
        2,
        F,
        ADMIN_ACL,
        "server",
        "2.8.13",
        "O(1)",
        "Return a human readable latency analysis report.",
        doctor,
    ),
    cmd(
        "latency|histogram",
        -2,
        F,
        ADMIN_ACL,
        "server",
        "7.0.0",
        "O(N) where N is the number of commands with latency information being retrieved.",
        "Return the cumulative distribution of latencies of a subset of commands or all.",
        histogram,
    ),
    cmd(
        "latency|help",
        2,
        LOADING | STALE,
        &["@slow"],
        "server",
        "2.8.13",
        "O(1)",
        "Show helpful text about the different subcommands.",
        help,
    ),
];

/// `[[event, time, latest ms, all-time max ms], …]`.
fn latest(node: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    let m = &node.timing.monitor;
    let mut r = c.reply();
    r.array_len(m.iter().count());
    for (event, s) in m.iter() {
        let last = s.latest();
        r.array_len(4);
        r.bulk(event.as_bytes());
        r.int(last.time);
        r.int(last.latency as i64);
        r.int(s.max as i64);
    }
}

/// `[[time, ms], …]` oldest first; an empty array for an unknown event.
fn history(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let samples: Vec<_> = node
        .timing
        .monitor
        .get(args[2])
        .map(|(_, s)| s.samples().collect())
        .unwrap_or_default();
    let mut r = c.reply();
    r.array_len(samples.len());
    for s in samples {
        r.array_len(2);
        r.int(s.time);
        r.int(s.latency as i64);
    }
}

/// The number of event classes dropped.
fn reset(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let m = &mut node.timing.monitor;
    let n = if args.len() == 2 {
        m.reset(None)
    } else {
        args[2..].iter().map(|e| m.reset(Some(e))).sum()
    };
    c.reply().int(n as i64);
}

fn graph(node: &mut Node, now: Now, c: &mut Client, args: &[&[u8]]) {
    let Some((event, series)) = node.timing.monitor.get(args[2]) else {
        let err = format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(args[2])
        );
        return c.reply().error(&ErrorReply::msg(err));
    };
    let text = latency::graph(event, series, now.wall.as_secs());
    c.reply().verbatim(b"txt", text.as_bytes());
}

fn doctor(node: &mut Node, now: Now, c: &mut Client, _: &[&[u8]]) {
    let text = latency::report(
        &node.timing.monitor,
        node.doctor_settings(),
        now.wall.as_secs(),
    );
    c.reply().verbatim(b"txt", text.as_bytes());
}

/// `{name: {calls, histogram_usec: {µs: cumulative count, …}}, …}` for every command with
/// samples, or for the commands named (a container name covers its subcommands; unknown names
/// are skipped).
fn histogram(node: &mut Node, _: Now, c: &mut Client, args: &[&[u8]]) {
    let t = node.table;
    let mut picked: Vec<usize> = Vec::new();
    if args.len() == 2 {
        picked.extend(0..t.entries.len());
    } else {
        for name in &args[2..] {
            // Ref: lookupCommandBySds: `container|sub` names a subcommand.
            let Some(i) = t.find(name) else { continue };
            picked.push(i);
            picked.extend(t.entries[i].subs.iter().copied());
        }
    }
    let found: Vec<(&str, &Histogram)> = picked
        .into_iter()
        .filter_map(|i| node.cmd_histogram(i).map(|h| (t.entries[i].name, h)))
        .collect();
    let mut r = c.reply();
    r.map_len(found.len());
    for (name, h) in found {
        r.bulk(name.as_bytes());
        write_cdf(h, &mut r);
    }
}

/// Redis's `fillCommandCDF`.
fn write_cdf(h: &Histogram, r: &mut Reply<'_>) {
    r.map_len(2);
    r.bulk(b"calls");
    r.int(h.total() as i64);
    r.bulk(b"histogram_usec");
    let cdf = h.cdf();
    r.map_len(cdf.len());
    for (us, n) in cdf {
        r.int(us as i64);
        r.int(n as i64);
    }
}

fn help(_: &mut Node, _: Now, c: &mut Client, _: &[&[u8]]) {
    help_reply(
        c,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
}
