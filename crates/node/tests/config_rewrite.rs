//! CONFIG REWRITE asks the driver, and the client's later requests wait for its answer.
use std::net::SocketAddr;

use hashslot_node::{ClientAddr, Config, Node, Output, ProcessInfo};
use hashslot_types::{ConnId, Instant, Now, UnixMillis};

fn drain(node: &mut Node) -> Vec<Output> {
    std::iter::from_fn(|| node.poll_output()).collect()
}

#[test]
fn rewrite_blocks_until_the_driver_answers() {
    let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
    let process = ProcessInfo {
        config_file: "/etc/redis.conf".into(),
        ..Default::default()
    };
    let mut node = Node::new(Config::default(), 1, now, process);
    let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
    let conn = ConnId(9);
    node.handle_accept(
        now,
        conn,
        ClientAddr {
            peer: addr,
            local: addr,
            fd: 3,
        },
    );
    node.handle_read(now, conn, b"PING\r\nCONFIG REWRITE\r\nECHO after\r\n");
    let out = drain(&mut node);
    assert!(out.contains(&Output::RewriteConfig {
        conn,
        path: "/etc/redis.conf".into()
    }));
    assert!(out.contains(&Output::Send {
        conn,
        data: bytes::Bytes::from_static(b"+PONG\r\n")
    }));
    // More input waits too.
    node.handle_read(now, conn, b"PING\r\n");
    assert!(drain(&mut node).is_empty());
    node.handle_config_rewritten(now, conn, Ok(()));
    let out = drain(&mut node);
    let want = bytes::Bytes::from_static(b"+OK\r\n$5\r\nafter\r\n+PONG\r\n");
    assert_eq!(out, vec![Output::Send { conn, data: want }]);
    // A failure is reported with the OS error text.
    node.handle_read(now, conn, b"CONFIG REWRITE\r\n");
    drain(&mut node);
    node.handle_config_rewritten(now, conn, Err("Permission denied".into()));
    let want = bytes::Bytes::from_static(b"-ERR Rewriting config file: Permission denied\r\n");
    assert_eq!(drain(&mut node), vec![Output::Send { conn, data: want }]);
}
