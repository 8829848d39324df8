//! A started node accepts a connection on its port and answers PING.
mod common;

use common::*;

#[test]
fn answers_ping_on_its_port() {
    let dir = Scratch::new("ping");
    let port = free_port().to_string();
    let _node = NodeProcess::spawn(&["--port", &port, "--bind", "127.0.0.1"], &dir.0);
    let mut conn = connect(port.parse().unwrap());
    expect_reply(&mut conn, b"PING\r\n", b"+PONG\r\n");
    expect_reply(&mut conn, b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n");
}
