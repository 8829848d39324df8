//! HELLO 3 switches the connection to RESP3.
mod common;
use common::*;

#[test]
fn hello_3_then_maps() {
    let mut h = Harness::new();
    let c = h.connect();
    let r = h.cmd_str(c, &["HELLO", "3"]);
    assert_eq!(
        r,
        "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n\
         $2\r\nid\r\n:1\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n\
         $7\r\nmodules\r\n*0\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "GET", "hz"]),
        "%1\r\n$2\r\nhz\r\n$2\r\n10\r\n"
    );
    assert_eq!(h.cmd_str(c, &["CLIENT", "GETNAME"]), "_\r\n");
    assert!(h.cmd_str(c, &["INFO", "server"]).starts_with("="));
    // HELLO without a version replies in the current protocol; HELLO 2 switches back.
    assert!(h.cmd_str(c, &["HELLO"]).starts_with("%7\r\n"));
    assert!(h.cmd_str(c, &["HELLO", "2"]).starts_with("*14\r\n"));
    assert_eq!(h.cmd_str(c, &["CLIENT", "GETNAME"]), "$-1\r\n");
}

#[test]
fn hello_errors_and_setname() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.cmd_str(c, &["HELLO", "4"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["HELLO", "x"]),
        "-ERR Protocol version is not an integer or out of range\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["HELLO", "3", "foo"]),
        "-ERR Syntax error in HELLO option 'foo'\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["HELLO", "2", "auth", "a"]),
        "-ERR Syntax error in HELLO option 'auth'\r\n"
    );
    assert!(h
        .cmd_str(c, &["HELLO", "2", "SETNAME", "worker"])
        .starts_with("*14\r\n"));
    assert_eq!(h.cmd_str(c, &["CLIENT", "GETNAME"]), "$6\r\nworker\r\n");
}
