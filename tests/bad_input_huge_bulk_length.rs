//! `*1\r\n$999999999999\r\n` (a bulk length over the 512 MB `proto-max-bulk-len`) gets Redis's
//! error text and a closed connection, allocates nothing, and does not disturb other clients.
mod support;

use support::attack::{assert_protocol_error, attack, send_chunked};
use support::{Flavor, Server};

/// Measured from redis-server 7.0.15.
const WANT: &[u8] = b"-ERR Protocol error: invalid bulk length\r\n";

fn check(flavor: Flavor) {
    let mut server = Server::start(flavor, &[]);
    let out = attack(&mut server, |s| {
        send_chunked(s, b"*1\r\n$999999999999\r\n", 1 << 16)
    });
    assert_protocol_error(&out, WANT);
    // One byte over 512 MB is refused too; the header is refused before any body is awaited.
    let out = attack(&mut server, |s| {
        send_chunked(s, b"*2\r\n$3\r\nGET\r\n$536870913\r\n", 1 << 16)
    });
    assert_protocol_error(&out, WANT);
    let out = attack(&mut server, |s| send_chunked(s, b"*1\r\n$-5\r\n", 1 << 16));
    assert_protocol_error(&out, WANT);
}

#[test]
fn hashslot_refuses_huge_bulk_length() {
    check(Flavor::Node);
}

#[test]
fn redis_reference_refuses_huge_bulk_length() {
    if support::require_tool("redis-server").is_some() {
        check(Flavor::Redis);
    }
}
