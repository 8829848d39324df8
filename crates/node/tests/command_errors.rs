//! Unknown commands, unknown subcommands and arity errors, word for word as Redis 7.0.15.
mod common;
use common::*;

#[test]
fn exact_texts() {
    let mut h = Harness::new();
    let c = h.connect();
    for (req, want) in [
        (
            "client\r\n",
            "-ERR wrong number of arguments for 'client' command\r\n",
        ),
        (
            "client foo\r\n",
            "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n",
        ),
        (
            "client kill\r\n",
            "-ERR wrong number of arguments for 'client|kill' command\r\n",
        ),
        (
            "foo a b\r\n",
            "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n",
        ),
        (
            "foo\r\n",
            "-ERR unknown command 'foo', with args beginning with: \r\n",
        ),
        (
            "echo\r\n",
            "-ERR wrong number of arguments for 'echo' command\r\n",
        ),
        (
            "ping a b\r\n",
            "-ERR wrong number of arguments for 'ping' command\r\n",
        ),
        (
            "CONFIG\r\n",
            "-ERR wrong number of arguments for 'config' command\r\n",
        ),
        (
            "command getkeys get a b\r\n",
            "-ERR Invalid number of arguments specified for command\r\n",
        ),
        (
            "command getkeys ping x\r\n",
            "-ERR The command has no key arguments\r\n",
        ),
        (
            "command getkeys foo a\r\n",
            "-ERR Invalid command specified\r\n",
        ),
    ] {
        assert_eq!(h.raw(c, req.as_bytes()), want.as_bytes(), "{req:?}");
    }
}

#[test]
fn unknown_command_quotes_at_most_128_bytes() {
    let mut h = Harness::new();
    let c = h.connect();
    let long = "x".repeat(300);
    let r = h.cmd_str(c, &[&long, &long, "b"]);
    let want = format!(
        "-ERR unknown command '{}', with args beginning with: '{}' \r\n",
        "x".repeat(128),
        "x".repeat(128)
    );
    assert_eq!(r, want);
    let args: Vec<String> = (0..60).map(|i| format!("a{i}")).collect();
    let mut req = vec!["nope"];
    req.extend(args.iter().map(String::as_str));
    let r = h.cmd_str(c, &req);
    // Arguments are added while the quoted list is shorter than 128 bytes.
    let quoted = r
        .split_once("beginning with: ")
        .unwrap()
        .1
        .trim_end_matches("\r\n");
    assert!(quoted.len() >= 128 && quoted.len() < 128 + 8, "{quoted}");
}
