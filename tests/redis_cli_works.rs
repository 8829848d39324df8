//! redis-cli against hashslot-node prints what it prints against redis-server: plain commands
//! (its RESP2 and RESP3 reply rendering) and a `--pipe` mass insertion.
mod support;

use support::{redis_cli, Flavor, Server};

/// redis-cli invocations whose whole stdout is compared between the two servers.
const RUNS: &[&[&str]] = &[
    &["SET", "k", "v"],
    &["GET", "k"],
    &["GET", "missing"],
    &["INCR", "n"],
    &["INCRBYFLOAT", "f", "1.5"],
    &["MSET", "a", "1", "b", "2"],
    &["MGET", "a", "b", "missing"],
    &["--no-raw", "GET", "k"],
    &["-3", "GET", "missing"],
    &["-3", "INCRBYFLOAT", "f", "1"],
    &["-3", "MGET", "a", "missing"],
    &["EXISTS", "a", "b", "c"],
    &["TYPE", "k"],
    &["NOSUCHCOMMAND", "x"],
    &["GET"],
    &["PING"],
    &["ECHO", "hello world"],
    &["CONFIG", "GET", "maxmemory"],
    &["-3", "CONFIG", "GET", "maxmemory"],
];

fn transcript(flavor: Flavor) -> Vec<String> {
    let server = Server::start(flavor, &[]);
    let mut out = Vec::new();
    for args in RUNS {
        let o = redis_cli(server.port(), args, b"");
        out.push(format!(
            "redis-cli {} -> status {:?}\n{}{}",
            args.join(" "),
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    // Mass insertion: 10,000 SETs as raw protocol through --pipe.
    let mut proto = Vec::new();
    for i in 0..10_000 {
        let cmd = [
            b"SET".to_vec(),
            format!("key:{i}").into_bytes(),
            format!("value:{i}").into_bytes(),
        ];
        proto.extend(support::encode_command(&cmd));
    }
    let o = redis_cli(server.port(), &["--pipe"], &proto);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{}: redis-cli --pipe failed: {text}",
        flavor.label()
    );
    assert!(
        text.contains("errors: 0, replies: 10000"),
        "{}: redis-cli --pipe output: {text}",
        flavor.label()
    );
    let dbsize = redis_cli(server.port(), &["DBSIZE"], b"");
    out.push(format!(
        "DBSIZE after --pipe: {}",
        String::from_utf8_lossy(&dbsize.stdout)
    ));
    out
}

#[test]
fn redis_cli_output_matches_redis() {
    if support::require_tool("redis-cli").is_none()
        || support::require_tool("redis-server").is_none()
    {
        return;
    }
    let ours = transcript(Flavor::Node);
    let redis = transcript(Flavor::Redis);
    let bad: Vec<String> = ours
        .iter()
        .zip(&redis)
        .filter(|(o, r)| o != r)
        .map(|(o, r)| format!("redis:\n{r}hashslot:\n{o}"))
        .collect();
    assert!(
        bad.is_empty(),
        "redis-cli output differs:\n{}",
        bad.join("\n")
    );
}
