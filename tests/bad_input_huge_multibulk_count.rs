//! `*1000000000000\r\n` (a multibulk count over Redis's limit, which is INT_MAX = 2147483647 in
//! 7.0.15: `*2147483647` is accepted and waits, `*2147483648` is refused) gets Redis's error text
//! and a closed connection, allocates nothing, and does not disturb other clients.
mod support;

use support::attack::{assert_protocol_error, attack, send_chunked};
use support::{Flavor, Server};

/// Measured from redis-server 7.0.15.
const WANT: &[u8] = b"-ERR Protocol error: invalid multibulk length\r\n";

fn check(flavor: Flavor) {
    let mut server = Server::start(flavor, &[]);
    let out = attack(&mut server, |s| {
        send_chunked(s, b"*1000000000000\r\n", 1 << 16)
    });
    assert_protocol_error(&out, WANT);
    // Just over the limit, and garbage after the digits, are refused the same way.
    let out = attack(&mut server, |s| {
        send_chunked(s, b"*2147483648\r\n", 1 << 16)
    });
    assert_protocol_error(&out, WANT);
    let out = attack(&mut server, |s| send_chunked(s, b"*12x\r\n", 1 << 16));
    assert_protocol_error(&out, WANT);
}

#[test]
fn hashslot_refuses_huge_multibulk_count() {
    check(Flavor::Node);
}

#[test]
fn redis_reference_refuses_huge_multibulk_count() {
    if support::require_tool("redis-server").is_some() {
        check(Flavor::Redis);
    }
}
