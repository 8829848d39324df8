//! DEBUG runs only as `enable-debug-command` allows, as in Redis 7.0: `no` (the default) refuses
//! everyone with Redis's text, `local` admits loopback clients only, `yes` admits all. The arity
//! check comes first, as Redis's `processCommand` does it.
mod common;
use common::*;
use hashslot_node::ClientAddr;
use hashslot_types::ConnId;

const NOT_ALLOWED: &str = "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n";
const ZEROS: &str = "+0000000000000000000000000000000000000000\r\n";

/// A client connected from `peer` (the harness's own clients come from 127.0.0.1).
fn connect_from(h: &mut Harness, conn: u64, peer: &str) -> ConnId {
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
    while h.node.poll_output().is_some() {}
    conn
}

#[test]
fn default_refuses_after_the_arity_check() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(h.cmd_str(c, &["DEBUG", "DIGEST"]), NOT_ALLOWED);
    assert_eq!(h.cmd_str(c, &["debug", "nosuch"]), NOT_ALLOWED);
    assert_eq!(
        h.cmd_str(c, &["DEBUG"]),
        "-ERR wrong number of arguments for 'debug' command\r\n"
    );
}

#[test]
fn local_admits_loopback_only() {
    let mut h = Harness::with_config(config(&[
        ("enable-debug-command", "local"),
        ("protected-mode", "no"),
    ]));
    let local = h.connect();
    assert_eq!(h.cmd_str(local, &["DEBUG", "DIGEST"]), ZEROS);
    let v6 = connect_from(&mut h, 500, "[::1]:5000");
    assert_eq!(h.cmd_str(v6, &["DEBUG", "DIGEST"]), ZEROS);
    let remote = connect_from(&mut h, 501, "192.0.2.7:5000");
    assert_eq!(h.cmd_str(remote, &["DEBUG", "DIGEST"]), NOT_ALLOWED);
    // Redis's islocalClient is exactly 127.0.0.1, not the whole 127/8.
    let other_loop = connect_from(&mut h, 502, "127.0.0.2:5000");
    assert_eq!(h.cmd_str(other_loop, &["DEBUG", "DIGEST"]), NOT_ALLOWED);
}

#[test]
fn yes_admits_everyone() {
    let mut h = Harness::with_config(config(&[
        ("enable-debug-command", "yes"),
        ("protected-mode", "no"),
    ]));
    let remote = connect_from(&mut h, 501, "192.0.2.7:5000");
    assert_eq!(h.cmd_str(remote, &["DEBUG", "DIGEST"]), ZEROS);
}
