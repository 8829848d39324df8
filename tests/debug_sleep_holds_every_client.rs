//! DEBUG SLEEP stops the server for the time asked, as Redis's does: the caller's `+OK` and its
//! pipelined next command, another connected client's PING and a client that connects during
//! the sleep are all answered only after it; zero and negative times return at once. The same
//! steps run against `redis-server` and the replies (and the lower bounds on when they came)
//! must agree.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use std::time::{Duration, Instant};

use support::{require_tool, Flavor, Server};

const SLEEP: Duration = Duration::from_millis(600);
/// Replies held by the sleep must not come before this much of it passed (slack for the time
/// between sending and the server reading the command).
const HELD_AT_LEAST: Duration = Duration::from_millis(450);

fn text(reply: Vec<u8>) -> String {
    String::from_utf8_lossy(&reply).into_owned()
}

fn transcript(flavor: Flavor) -> Vec<String> {
    let server = Server::start(flavor, &["--enable-debug-command", "yes"]);
    let mut t = Vec::new();
    let mut a = server.connect();
    let mut b = server.connect();
    for arg in ["0", "-1", "abc"] {
        t.push(format!(
            "sleep {arg}: {}",
            text(a.cmd(&["DEBUG", "SLEEP", arg]))
        ));
    }

    let secs = format!("{}", SLEEP.as_secs_f64());
    let t0 = Instant::now();
    a.send(&["DEBUG", "SLEEP", secs.as_str()]).unwrap();
    a.send(&["PING"]).unwrap();
    std::thread::sleep(Duration::from_millis(100)); // let the sleep begin first
    b.send(&["PING"]).unwrap();
    let mut c = server.connect();
    c.send(&["ECHO", "late"]).unwrap();

    let b_reply = text(b.read_reply().unwrap());
    let b_at = t0.elapsed();
    let c_reply = text(c.read_reply().unwrap());
    let c_at = t0.elapsed();
    let a_reply = text(a.read_reply().unwrap()) + &text(a.read_reply().unwrap());
    let a_at = t0.elapsed();
    t.push(format!(
        "caller: {a_reply:?}, held: {}",
        a_at >= HELD_AT_LEAST
    ));
    t.push(format!(
        "other client: {b_reply:?}, held: {}",
        b_at >= HELD_AT_LEAST
    ));
    t.push(format!(
        "connected during the sleep: {c_reply:?}, held: {}",
        c_at >= HELD_AT_LEAST
    ));
    // Serving resumed.
    t.push(format!("after: {}", text(b.cmd(&["PING"]))));
    t
}

#[test]
fn debug_sleep_holds_every_client_as_redis() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let redis = transcript(Flavor::Redis);
    let ours = transcript(Flavor::Node);
    assert_eq!(ours, redis);
    assert!(
        ours.iter().all(|l| !l.ends_with("held: false")),
        "{ours:#?}"
    );
}
