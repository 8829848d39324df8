//! The latency monitor and latency tracking beside redis-server 7.0.15: with
//! `latency-monitor-threshold 100`, a `DEBUG SLEEP 0.2` is a `command` event on both servers;
//! LATEST / HISTORY / GRAPH / DOCTOR / RESET / HELP and the errors answer the same (sample times
//! and milliseconds checked, then replaced by placeholders); LATENCY HISTOGRAM and INFO
//! latencystats list the same commands with the same call counts, percentile names and bucket
//! boundaries (Redis's HdrHistogram levels); INFO commandstats `usec` holds the sleep; CONFIG
//! RESETSTAT and `latency-tracking no` empty them; RESP3 shapes too.
#![allow(clippy::disallowed_methods)] // Reads the wall clock to check sample times.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use support::{Client, Flavor, Server, Value};

/// Redis's LATENCY HISTOGRAM bucket labels (µs): HdrHistogram's highest equivalent values of
/// 1,024 ns · 2^k at 2 significant figures, and the last counter's.
const LABELS: &[i64] = &[
    1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266,
    270532, 541065, 1073741,
];

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Line(b':', t) => std::str::from_utf8(t).unwrap().parse().unwrap(),
        other => panic!("not an integer: {other:?}"),
    }
}

fn text(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

/// The payload of a bulk or verbatim reply.
fn payload(raw: &[u8]) -> String {
    match Value::parse(raw) {
        Ok(Value::Blob(_, Some(b))) => String::from_utf8_lossy(&b).into_owned(),
        _ => panic!("not a bulk reply: {}", text(raw)),
    }
}

/// A sample `[time, ms]` (HISTORY) or an event `[name, time, ms, max]` (LATEST): the time must
/// be recent and the ms at least `min_ms`; both become placeholders.
fn sample(v: &Value, min_ms: i64) -> Value {
    let Value::Agg(k, Some(items)) = v else {
        panic!("not a sample: {v:?}")
    };
    let now = now_secs();
    let mut out = Vec::new();
    let skip = usize::from(items.len() == 4);
    if skip == 1 {
        out.push(items[0].clone());
    }
    let t = int(&items[skip]);
    assert!((now - 60..=now + 2).contains(&t), "sample time {t}");
    out.push(Value::Line(b'+', b"<time>".to_vec()));
    for ms in &items[skip + 1..] {
        let ms = int(ms);
        assert!((min_ms..10_000).contains(&ms), "sample ms {ms}");
        out.push(Value::Line(b'+', b"<ms>".to_vec()));
    }
    Value::Agg(*k, Some(out))
}

/// Each element of an array reply through `f`.
fn each(raw: &[u8], f: impl Fn(&Value) -> Value) -> String {
    match Value::parse(raw).unwrap() {
        Value::Agg(k, Some(items)) => {
            text(&Value::Agg(k, Some(items.iter().map(f).collect())).encode())
        }
        other => text(&other.encode()),
    }
}

/// LATENCY HISTOGRAM: each command's `histogram_usec` checked (Redis's labels, increasing
/// cumulative counts ending at `calls`) and replaced; commands sorted by name when `sort`
/// (Redis lists them in its hash table's order).
fn histogram(raw: &[u8], sort: bool) -> String {
    let Value::Agg(k, Some(items)) = Value::parse(raw).unwrap() else {
        return text(raw);
    };
    let mut pairs: Vec<(Value, Value)> = items
        .chunks(2)
        .map(|p| {
            let Value::Agg(k2, Some(f)) = &p[1] else {
                panic!("bad histogram entry {p:?}")
            };
            assert_eq!(f[0].bytes(), Some(&b"calls"[..]));
            assert_eq!(f[2].bytes(), Some(&b"histogram_usec"[..]));
            let calls = int(&f[1]);
            let Value::Agg(_, Some(cdf)) = &f[3] else {
                panic!("bad cdf {f:?}")
            };
            let mut prev = 0;
            for b in cdf.chunks(2) {
                let (label, n) = (int(&b[0]), int(&b[1]));
                assert!(LABELS.contains(&label), "bucket label {label}");
                assert!(n > prev, "cumulative counts {cdf:?}");
                prev = n;
            }
            assert_eq!(prev, calls, "{cdf:?}");
            let mut f = f.clone();
            f[3] = Value::Line(b'+', b"<cdf>".to_vec());
            (p[0].clone(), Value::Agg(*k2, Some(f)))
        })
        .collect();
    if sort {
        pairs.sort();
    }
    let flat = pairs.into_iter().flat_map(|(a, b)| [a, b]).collect();
    text(&Value::Agg(k, Some(flat)).encode())
}

/// INFO latencystats: the sorted lines with each percentile value checked (`%.3f`) and replaced.
fn latencystats(raw: &[u8]) -> String {
    let body = payload(raw);
    let mut lines: Vec<String> = body
        .lines()
        .map(|l| match l.split_once(':') {
            Some((k, v)) if k.starts_with("latency_percentiles_usec_") => {
                let ps: Vec<String> = v
                    .split(',')
                    .map(|p| {
                        let (name, val) = p.split_once('=').unwrap();
                        let (int, frac) = val.split_once('.').unwrap();
                        assert!(int.parse::<u64>().is_ok() && frac.len() == 3, "{p}");
                        format!("{name}=<v>")
                    })
                    .collect();
                format!("{k}:{}", ps.join(","))
            }
            _ => l.to_owned(),
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// INFO commandstats: the sorted `cmdstat_` lines with `usec` and `usec_per_call` replaced;
/// returns them and DEBUG's usec.
fn commandstats(raw: &[u8]) -> (String, u64) {
    let body = payload(raw);
    let mut debug_usec = 0;
    let mut lines: Vec<String> = body
        .lines()
        .filter(|l| l.starts_with("cmdstat_"))
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            let fields: Vec<String> = v
                .split(',')
                .map(|f| {
                    let (n, x) = f.split_once('=').unwrap();
                    if n == "usec" && k == "cmdstat_debug" {
                        debug_usec = x.parse().unwrap();
                    }
                    match n {
                        "usec" | "usec_per_call" => format!("{n}=<v>"),
                        _ => f.to_owned(),
                    }
                })
                .collect();
            format!("{k}:{}", fields.join(","))
        })
        .collect();
    lines.sort();
    (lines.join("\n"), debug_usec)
}

/// LATENCY DOCTOR / GRAPH text: digits in the lines that hold sample figures become `N`.
fn figures_out(s: &str) -> String {
    s.lines()
        .map(|l| {
            // The graph's vertical "seconds ago" labels: digits and unit letters only.
            let label = l.chars().any(|c| c.is_ascii_digit())
                && l.chars().all(|c| c.is_ascii_digit() || " smhd".contains(c));
            let figures = label || l.contains("latency spikes") || l.contains(" - high ");
            if figures {
                l.chars()
                    .map(|c| if c.is_ascii_digit() { 'N' } else { c })
                    .collect()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(flavor: Flavor) -> Vec<String> {
    let server = Server::start(flavor, &["--enable-debug-command", "yes"]);
    let mut c: Client = server.connect();
    let mut out = Vec::new();
    let raw = |c: &mut Client, args: &[&str]| -> Vec<u8> { c.cmd(args) };
    // Nothing recorded yet, monitoring off.
    for args in [
        &["LATENCY", "LATEST"][..],
        &["LATENCY", "HISTORY", "command"],
        &["LATENCY", "GRAPH", "command"],
        &["LATENCY", "RESET"],
        &["LATENCY", "HELP"],
        &["LATENCY", "NOSUCH"],
        &["LATENCY", "HISTORY"],
        &["LATENCY", "DOCTOR"],
    ] {
        out.push(text(&raw(&mut c, args)));
    }
    out.push(text(&raw(
        &mut c,
        &["CONFIG", "SET", "latency-monitor-threshold", "100"],
    )));
    out.push(payload(&raw(&mut c, &["LATENCY", "DOCTOR"])));
    // A 200 ms command: a `command` event. The threshold is well above what an ordinary
    // command takes even on a loaded machine, so that no other event shows on one server only.
    out.push(text(&raw(&mut c, &["DEBUG", "SLEEP", "0.2"])));
    out.push(each(&raw(&mut c, &["LATENCY", "LATEST"]), |v| {
        sample(v, 200)
    }));
    out.push(each(
        &raw(&mut c, &["LATENCY", "HISTORY", "command"]),
        |v| sample(v, 200),
    ));
    out.push(text(&raw(&mut c, &["LATENCY", "HISTORY", "COMMAND"])));
    out.push(figures_out(&payload(&raw(
        &mut c,
        &["LATENCY", "GRAPH", "command"],
    ))));
    out.push(figures_out(&payload(&raw(&mut c, &["LATENCY", "DOCTOR"]))));
    // Histograms.
    for args in [&["SET", "a", "1"][..], &["SET", "b", "2"], &["GET", "a"]] {
        out.push(text(&raw(&mut c, args)));
    }
    out.push(histogram(
        &raw(
            &mut c,
            &[
                "LATENCY",
                "HISTOGRAM",
                "set",
                "GET",
                "nosuch",
                "config",
                "debug",
            ],
        ),
        false,
    ));
    out.push(histogram(&raw(&mut c, &["LATENCY", "HISTOGRAM"]), true));
    out.push(text(&raw(&mut c, &["LATENCY", "HISTOGRAM", "nosuch"])));
    out.push(latencystats(&raw(&mut c, &["INFO", "latencystats"])));
    let (stats, debug_usec) = commandstats(&raw(&mut c, &["INFO", "commandstats"]));
    assert!(
        debug_usec >= 200_000,
        "{flavor:?}: DEBUG SLEEP 0.2 took {debug_usec} usec"
    );
    out.push(stats);
    out.push(text(&raw(
        &mut c,
        &[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "50 99.99 0",
        ],
    )));
    out.push(latencystats(&raw(&mut c, &["INFO", "latencystats"])));
    out.push(text(&raw(
        &mut c,
        &["CONFIG", "SET", "latency-tracking", "no"],
    )));
    out.push(text(&raw(&mut c, &["PING"])));
    out.push(latencystats(&raw(&mut c, &["INFO", "latencystats"])));
    out.push(text(&raw(
        &mut c,
        &["CONFIG", "SET", "latency-tracking", "yes"],
    )));
    // CONFIG RESETSTAT drops the histograms and the usec.
    out.push(text(&raw(&mut c, &["CONFIG", "RESETSTAT"])));
    out.push(histogram(&raw(&mut c, &["LATENCY", "HISTOGRAM"]), true));
    out.push(commandstats(&raw(&mut c, &["INFO", "commandstats"])).0);
    // RESP3 shapes.
    raw(&mut c, &["HELLO", "3"]);
    out.push(histogram(
        &raw(&mut c, &["LATENCY", "HISTOGRAM", "ping"]),
        false,
    ));
    out.push(each(&raw(&mut c, &["LATENCY", "LATEST"]), |v| {
        sample(v, 200)
    }));
    let doctor = raw(&mut c, &["LATENCY", "DOCTOR"]);
    assert!(doctor.starts_with(b"="), "{}", text(&doctor));
    raw(&mut c, &["HELLO", "2"]);
    // Resets.
    for args in [
        &["LATENCY", "RESET", "nosuch", "COMMAND"][..],
        &["LATENCY", "LATEST"],
        &["LATENCY", "RESET"],
        &["LATENCY", "GRAPH", "command"],
        &[
            "COMMAND",
            "INFO",
            "latency|latest",
            "latency|history",
            "latency|reset",
            "latency|graph",
            "latency|doctor",
            "latency|histogram",
            "latency|help",
        ],
    ] {
        out.push(text(&raw(&mut c, args)));
    }
    out
}

#[test]
fn latency_matches_redis() {
    let ours = run(Flavor::Node);
    let all = ours.join("\n");
    assert!(
        all.contains("$7\r\ncommand\r\n+<time>\r\n+<ms>\r\n+<ms>"),
        "{all}"
    );
    if support::require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run(Flavor::Redis);
    if std::env::var_os("HASHSLOT_DIFF_VERBOSE").is_some() {
        eprintln!("{}", theirs.join("\n"));
    }
    // Redis adds advice when the process has transparent huge pages; the node reads no /proc.
    let thp = "- I detected a non zero amount of anonymous huge pages";
    for (o, t) in ours.iter().zip(&theirs) {
        let t: String = t
            .lines()
            .filter(|l| !l.starts_with(thp))
            .collect::<Vec<_>>()
            .join("\n");
        let o = o.lines().collect::<Vec<_>>().join("\n");
        assert_eq!(o, t, "\nours:\n{o}\nredis:\n{t}");
    }
    assert_eq!(ours.len(), theirs.len());
}
