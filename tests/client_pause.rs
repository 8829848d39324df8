//! `CLIENT PAUSE timeout [WRITE|ALL]` and `CLIENT UNPAUSE`, side by side with redis-server
//! 7.0.15: a WRITE pause holds writes (and serves reads) until CLIENT UNPAUSE, then the held
//! write runs and is answered; an ALL pause holds every command, CLIENT UNPAUSE included, until
//! it times out; bad arguments get Redis's errors. The only time check is a lower bound (a
//! command held by a pause must not be answered before the pause ends).
// Real processes: deadlines from the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use std::time::{Duration, Instant};

use support::{Client, Flavor, Server};

/// The next reply of `c` within a deadline.
fn reply(c: &mut Client) -> Vec<u8> {
    c.stream()
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    c.read_reply().expect("no reply before the deadline")
}

/// Every reply seen, in order, for comparing the two servers.
fn run(flavor: Flavor) -> Vec<Vec<u8>> {
    let server = Server::start(flavor, &[]);
    let mut admin = server.connect();
    let mut reader = server.connect();
    let mut writer = server.connect();
    let mut seen = Vec::new();
    for bad in [
        &["CLIENT", "PAUSE", "abc"][..],
        &["CLIENT", "PAUSE", "10", "foo"],
        &["CLIENT", "PAUSE", "-1"],
        &["CLIENT", "PAUSE", "9223372036854775807"],
        &["CLIENT", "PAUSE"],
        &["CLIENT", "UNPAUSE", "x"],
    ] {
        seen.push(admin.cmd(bad));
    }

    // WRITE: the write waits, reads go on, UNPAUSE lets the write run.
    seen.push(admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]));
    writer.send(&["SET", "a", "1"]).expect("send");
    seen.push(reader.cmd(&["GET", "a"]));
    seen.push(reader.cmd(&["EXISTS", "b"]));
    seen.push(admin.cmd(&["CLIENT", "UNPAUSE"]));
    seen.push(reply(&mut writer));
    seen.push(reader.cmd(&["GET", "a"]));

    // WRITE holds a transaction's writes too.
    seen.push(admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]));
    seen.push(writer.cmd(&["MULTI"]));
    writer.send(&["INCR", "a"]).expect("send");
    seen.push(reader.cmd(&["GET", "a"]));
    seen.push(admin.cmd(&["CLIENT", "UNPAUSE"]));
    seen.push(reply(&mut writer));
    seen.push(writer.cmd(&["EXEC"]));

    // ALL: everything waits until the pause ends, CLIENT UNPAUSE too.
    let pause_ms = 400;
    let started = Instant::now();
    seen.push(admin.cmd(&["CLIENT", "PAUSE", &pause_ms.to_string()]));
    reader.send(&["GET", "a"]).expect("send");
    writer.send(&["CLIENT", "UNPAUSE"]).expect("send");
    seen.push(reply(&mut reader));
    seen.push(reply(&mut writer));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(pause_ms - 50),
        "{}: answered after {waited:?} of a {pause_ms} ms pause",
        flavor.label()
    );
    seen
}

#[test]
fn client_pause_holds_what_redis_holds() {
    let ours = run(Flavor::Node);
    if support::require_tool("redis-server").is_some() {
        let theirs = run(Flavor::Redis);
        for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(
                String::from_utf8_lossy(o),
                String::from_utf8_lossy(t),
                "reply {i}"
            );
        }
        assert_eq!(ours.len(), theirs.len());
    }
}
