//! MODULE beside redis-server 7.0.15 with no module loaded: the same replies for LIST, HELP,
//! COMMAND INFO of each subcommand, the protected LOAD/LOADEX/UNLOAD refused by default, and with
//! `enable-module-command yes` a load of a missing library failing with Redis's error.

mod support;

use support::{Flavor, Server};

fn run(flavor: Flavor, extra: &[&str]) -> Vec<String> {
    let server = Server::start(flavor, extra);
    let mut c = server.connect();
    let sent: &[&[&str]] = &[
        &["MODULE", "LIST"],
        &["MODULE", "HELP"],
        &["MODULE"],
        &["MODULE", "FOO"],
        &["MODULE", "LOAD", "/nonexistent/hashslot-test-module.so"],
        &[
            "MODULE",
            "LOADEX",
            "/nonexistent/hashslot-test-module.so",
            "ARGS",
            "x",
        ],
        &["MODULE", "UNLOAD", "nosuchmodule"],
        // The container is left out: Redis lists its subcommands in a random order.
        &[
            "COMMAND",
            "INFO",
            "module|help",
            "module|list",
            "module|load",
            "module|loadex",
            "module|unload",
        ],
    ];
    sent.iter()
        .map(|args| String::from_utf8_lossy(&c.cmd(args)).into_owned())
        .collect()
}

#[test]
fn module_answers_as_redis_with_no_module_loaded() {
    for extra in [&[][..], &["--enable-module-command", "yes"]] {
        let ours = run(Flavor::Node, extra);
        assert_eq!(ours[0], "*0\r\n", "{extra:?}");
        if support::require_tool("redis-server").is_some() {
            let theirs = run(Flavor::Redis, extra);
            assert_eq!(ours, theirs, "{extra:?}");
        }
    }
}
