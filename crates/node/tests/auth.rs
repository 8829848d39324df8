//! requirepass: NOAUTH before AUTH, Redis 7.0's AUTH errors, HELLO AUTH.
mod common;
use common::*;

#[test]
fn noauth_until_auth() {
    let mut h = Harness::with_config(config(&[("requirepass", "secret")]));
    let c = h.connect();
    assert_eq!(
        h.cmd_str(c, &["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["GET", "a"]),
        "-NOAUTH Authentication required.\r\n"
    );
    // Unknown commands and arity errors come before the auth check, as in Redis 7.0.
    assert!(h
        .cmd_str(c, &["FOO"])
        .starts_with("-ERR unknown command 'FOO'"));
    assert_eq!(
        h.cmd_str(c, &["ECHO"]),
        "-ERR wrong number of arguments for 'echo' command\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["AUTH", "wrong"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["AUTH", "bob", "secret"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["AUTH", "a", "b", "c"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(h.cmd_str(c, &["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(h.cmd_str(c, &["PING"]), "+PONG\r\n");
    // RESET forgets the authentication.
    assert_eq!(h.cmd_str(c, &["RESET"]), "+RESET\r\n");
    assert_eq!(
        h.cmd_str(c, &["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(h.cmd_str(c, &["AUTH", "default", "secret"]), "+OK\r\n");
}

#[test]
fn hello_with_auth() {
    let mut h = Harness::with_config(config(&[("requirepass", "secret")]));
    let c = h.connect();
    assert!(h
        .cmd_str(c, &["HELLO", "3"])
        .starts_with("-NOAUTH HELLO must be called"));
    assert_eq!(
        h.cmd_str(c, &["HELLO", "3", "AUTH", "default", "x"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert!(h
        .cmd_str(c, &["HELLO", "3", "AUTH", "default", "secret"])
        .starts_with("%7\r\n"));
    assert_eq!(h.cmd_str(c, &["PING"]), "+PONG\r\n");
}

#[test]
fn auth_without_password_configured() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.cmd_str(c, &["AUTH", "x"]),
        "-ERR AUTH <password> called without any password configured for the default user. \
         Are you sure your configuration is correct?\r\n"
    );
    assert_eq!(h.cmd_str(c, &["AUTH", "default", "anything"]), "+OK\r\n");
}

#[test]
fn unauthenticated_clients_have_tight_request_limits() {
    let mut h = Harness::with_config(config(&[("requirepass", "secret")]));
    let c = h.connect();
    let out = h.feed(c, b"*11\r\n");
    assert_eq!(
        sent_to(&out, c),
        b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    assert!(closed(&out, c));
}
