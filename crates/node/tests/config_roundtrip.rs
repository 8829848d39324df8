//! CONFIG GET/SET round trips, and what a SET changes live.
mod common;
use common::*;

#[test]
fn set_then_get() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "SET", "maxmemory", "100mb"]),
        "+OK\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "GET", "maxmemory"]),
        "*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "SET", "foo", "bar"]),
        "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "SET", "hz", "20", "x"]),
        "-ERR wrong number of arguments for 'config|set' command\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "GET"]),
        "-ERR wrong number of arguments for 'config|get' command\r\n"
    );
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "FOO"]),
        "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n"
    );
    let all = h.cmd(c, &["CONFIG", "GET", "*"]);
    assert!(split_values(&all).len() == 1 && all.len() > 1000);
    assert!(h.cmd_str(c, &["CONFIG", "HELP"]).starts_with("*"));
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "REWRITE"]),
        "-ERR The server is running without a config file\r\n"
    );
}

#[test]
fn set_hz_changes_the_cron_period() {
    let mut h = Harness::new();
    let c = h.connect();
    let t0 = h.now.mono;
    let first = h.node.poll_timeout().unwrap();
    assert_eq!(first.saturating_duration_since(t0).as_millis(), 100);
    assert_eq!(h.cmd_str(c, &["CONFIG", "SET", "hz", "100"]), "+OK\r\n");
    let next = h.node.poll_timeout().unwrap();
    assert_eq!(next.saturating_duration_since(t0).as_millis(), 10);
}

#[test]
fn set_requirepass_keeps_existing_clients_in() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.cmd_str(c, &["CONFIG", "SET", "requirepass", "pw"]),
        "+OK\r\n"
    );
    assert_eq!(h.cmd_str(c, &["PING"]), "+PONG\r\n");
    let d = h.connect();
    assert_eq!(
        h.cmd_str(d, &["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
}
