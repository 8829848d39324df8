//! MONITOR beside redis-server 7.0.15: the same commands sent to both produce the same stream
//! (timestamps and client ports aside): each command after it ran, with its db and quoted
//! arguments, EXEC's commands before the EXEC, AUTH's password redacted, admin commands and
//! refused commands left out, the monitor's own commands included after their replies, and
//! RESET ending the stream.
// Real processes: deadlines from the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::Duration;

use support::{Client, Flavor, Server};

/// The next reply of `c` within a deadline, as text.
fn next(c: &mut Client) -> String {
    c.stream()
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    String::from_utf8_lossy(&c.read_reply().expect("no reply before the deadline")).into_owned()
}

/// `+<secs>.<6 digits> [<db> 127.0.0.1:<port>] rest` -> `[<db>] rest`; panics on another shape.
fn normalize(line: &str) -> String {
    let body = line
        .strip_prefix('+')
        .and_then(|l| l.strip_suffix("\r\n"))
        .unwrap_or_else(|| panic!("not a status line: {line:?}"));
    let (stamp, rest) = body.split_once(' ').expect("timestamp");
    let (secs, micros) = stamp.split_once('.').expect("secs.micros");
    assert!(
        secs.parse::<u64>().is_ok() && micros.len() == 6 && micros.parse::<u32>().is_ok(),
        "{line:?}"
    );
    let (client, args) = rest.split_once("] ").expect("[db peer]");
    let (db, peer) = client
        .trim_start_matches('[')
        .split_once(' ')
        .expect("db peer");
    assert!(peer.starts_with("127.0.0.1:"), "{line:?}");
    format!("[{db}] {args}")
}

fn run(flavor: Flavor) -> Vec<String> {
    let server = Server::start(flavor, &[]);
    let mut monitor = server.connect();
    let mut c = server.connect();
    let mut seen = vec![next_after(&mut monitor, &["MONITOR"])];
    let sent: &[&[&str]] = &[
        &["SET", "k", "a \"b\"\n\x01"],
        &["GET", "k"],
        &["CONFIG", "GET", "port"],
        &["NOSUCHCOMMAND", "x"],
        &["GET"],
        &["AUTH", "secret"],
        &["SELECT", "1"],
        &["MULTI"],
        &["INCR", "n"],
        &["EXEC"],
        &["LPUSH", "l", "1", "2"],
    ];
    for args in sent {
        c.cmd(args);
    }
    // Shown: SET, GET, AUTH, SELECT, MULTI, INCR, EXEC, LPUSH.
    for _ in 0..8 {
        seen.push(normalize(&next(&mut monitor)));
    }
    // The monitor's own command: its reply, then its line.
    monitor.send(&["PING"]).expect("send");
    seen.push(next(&mut monitor));
    seen.push(normalize(&next(&mut monitor)));
    // RESET ends the stream: the next command is not shown.
    seen.push(next_after(&mut monitor, &["RESET"]));
    c.cmd(&["SET", "after", "reset"]);
    seen.push(next_after(&mut monitor, &["GET", "after"]));
    seen
}

/// Send `args` on `c` and read its reply.
fn next_after(c: &mut Client, args: &[&str]) -> String {
    c.send(args).expect("send");
    next(c)
}

#[test]
fn monitor_shows_what_redis_shows() {
    let ours = run(Flavor::Node);
    assert_eq!(
        ours[1], "[0] \"SET\" \"k\" \"a \\\"b\\\"\\n\\x01\"",
        "{ours:#?}"
    );
    if support::require_tool("redis-server").is_some() {
        let theirs = run(Flavor::Redis);
        assert_eq!(ours, theirs);
    }
}
