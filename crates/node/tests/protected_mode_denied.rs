//! Protected mode: without a password, a client not on the loopback interface gets Redis
//! 7.0.15's -DENIED text and is closed, whatever `bind` says (7.0.15 checks no bind address);
//! loopback clients, a password, or `protected-mode no` let clients in.
mod common;
use common::*;
use hashslot_node::{ClientAddr, Output};
use hashslot_types::ConnId;

const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

fn accept_from(h: &mut Harness, conn: u64, peer: &str) -> Vec<Output> {
    let conn = ConnId(conn);
    h.node.handle_accept(
        h.now,
        conn,
        ClientAddr {
            peer: peer.parse().unwrap(),
            local: "192.0.2.2:6379".parse().unwrap(),
            fd: 99,
        },
    );
    let mut out = Vec::new();
    while let Some(o) = h.node.poll_output() {
        out.push(o);
    }
    out
}

#[test]
fn external_client_is_denied() {
    let mut h = Harness::with_config(config(&[("bind", "0.0.0.0")]));
    let out = accept_from(&mut h, 100, "192.0.2.7:5000");
    assert_eq!(sent_to(&out, ConnId(100)), DENIED.as_bytes());
    assert_eq!(out.last(), Some(&Output::Close { conn: ConnId(100) }));
    h.node.handle_read(h.now, ConnId(100), b"PING\r\n");
    assert!(h.node.poll_output().is_none());
    let c = h.connect();
    let info = bulk_text(&h.cmd(c, &["INFO", "stats"]));
    assert!(
        info.contains("\r\ntotal_connections_received:1\r\n"),
        "{info}"
    );
    assert!(info.contains("\r\nrejected_connections:1\r\n"));
}

#[test]
fn loopback_password_or_disabled_are_accepted() {
    let mut h = Harness::new();
    assert!(accept_from(&mut h, 100, "[::1]:5000").is_empty());
    assert!(accept_from(&mut h, 101, "127.0.0.1:5000").is_empty());
    let mut h = Harness::with_config(config(&[("requirepass", "pw")]));
    assert!(accept_from(&mut h, 100, "192.0.2.7:5000").is_empty());
    let mut h = Harness::with_config(config(&[("protected-mode", "no")]));
    assert!(accept_from(&mut h, 100, "192.0.2.7:5000").is_empty());
}
