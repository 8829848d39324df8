//! A client that shuts down its writing side (EOF) is closed by the server, as Redis does: the
//! requests already received are answered first, a partial request is dropped, and the server
//! does not keep the half-closed connection open.
mod support;

use std::time::Duration;

use support::{escape, Flavor, Server};

/// (bytes sent before the half-close, the whole reply Redis 7.0.15 sends before closing)
const CASES: &[(&[u8], &[u8])] = &[
    (b"PING\r\n", b"+PONG\r\n"),
    (b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n"),
    (b"*1\r\n$4\r\nPI", b""),
    (b"*1\r\n$4\r\nPING\r\n*2\r\n", b"+PONG\r\n"),
    (b"PING\r\nPIN", b"+PONG\r\n"),
    (b"", b""),
];

fn check(flavor: Flavor) {
    let server = Server::start(flavor, &[]);
    let mut bad = Vec::new();
    for (sent, want) in CASES {
        let mut c = server.connect();
        c.send_raw(sent).unwrap();
        c.shutdown_write();
        let (got, ending) = c.read_until_close(Duration::from_secs(5));
        if got != *want || !ending.is_closed() {
            bad.push(format!(
                "sent {} then EOF: want {} and a close, got {} and {ending:?}",
                escape(sent),
                escape(want),
                escape(&got)
            ));
        }
    }
    // The server is still fine.
    assert_eq!(server.connect().cmd(&["PING"]), b"+PONG\r\n");
    assert!(bad.is_empty(), "{}:\n{}", flavor.label(), bad.join("\n"));
}

#[test]
fn hashslot_closes_half_closed_clients() {
    check(Flavor::Node);
}

#[test]
fn redis_reference_closes_half_closed_clients() {
    if support::require_tool("redis-server").is_some() {
        check(Flavor::Redis);
    }
}
