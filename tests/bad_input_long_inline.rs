//! An inline request line that never ends (100 MB streamed in 64 KB chunks, no newline) gets
//! Redis's error text once it passes the 64 KB inline limit, and a closed connection; the server
//! does not buffer the stream, and other clients are not disturbed.
mod support;

use std::io::Write;

use support::attack::{assert_protocol_error, attack};
use support::{Flavor, Server};

/// Measured from redis-server 7.0.15.
const WANT: &[u8] = b"-ERR Protocol error: too big inline request\r\n";
const TOTAL: usize = 100 * 1024 * 1024;

fn check(flavor: Flavor) {
    let mut server = Server::start(flavor, &[]);
    let out = attack(&mut server, |s| {
        let chunk = vec![b'a'; 64 * 1024];
        let mut sent = 0;
        while sent < TOTAL {
            if let Err(e) = s.write_all(&chunk) {
                return (sent, Err(e));
            }
            sent += chunk.len();
        }
        (sent, Ok(()))
    });
    assert_protocol_error(&out, WANT);
    eprintln!(
        "{}: server stopped reading after {} bytes",
        flavor.label(),
        out.sent
    );
    assert!(
        out.sent < TOTAL,
        "the server read all 100 MB instead of closing early"
    );
}

#[test]
fn hashslot_refuses_endless_inline_line() {
    check(Flavor::Node);
}

#[test]
fn redis_reference_refuses_endless_inline_line() {
    if support::require_tool("redis-server").is_some() {
        check(Flavor::Redis);
    }
}
