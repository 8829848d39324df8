//! `redis-cli --memkeys` and `redis-cli --bigkeys` run against our node as against
//! redis-server 7.0 over the same dataset: both finish without warnings, `--bigkeys`' summary is
//! identical (it counts members), and `--memkeys`' summary names the same biggest key per type
//! with the same key counts, only the byte numbers being ours (MEMORY USAGE is this node's own
//! estimate, see `crates/node/src/commands/memory.rs`). Progress lines are not compared: they
//! follow SCAN order, which is hash-table order.
// A process test: it starts real servers and runs redis-cli.
#![allow(clippy::disallowed_methods)]
mod support;

use support::{redis_cli, require_tool, Client, Flavor, Server};

/// One key per type that is clearly the biggest both in members and in bytes, and smaller ones.
fn load(c: &mut Client) {
    let big = "x".repeat(5000);
    let mut cmds: Vec<Vec<String>> = vec![
        vec!["SET".into(), "s:small".into(), "hello".into()],
        vec!["SET".into(), "s:int".into(), "12345".into()],
        vec!["SET".into(), "s:big".into(), big],
        vec!["RPUSH".into(), "l:small".into(), "a".into()],
        vec!["HSET".into(), "h:small".into(), "f".into(), "v".into()],
        vec!["SADD".into(), "st:small".into(), "1".into()],
        vec!["ZADD".into(), "z:small".into(), "1".into(), "a".into()],
        vec![
            "GEOADD".into(),
            "geo".into(),
            "13.36".into(),
            "38.11".into(),
            "Palermo".into(),
        ],
        vec![
            "SET".into(),
            "s:ttl".into(),
            "v".into(),
            "EX".into(),
            "1000".into(),
        ],
    ];
    let mut rpush = vec!["RPUSH".to_string(), "l:big".to_string()];
    let mut hset = vec!["HSET".to_string(), "h:big".to_string()];
    let mut sadd = vec!["SADD".to_string(), "st:big".to_string()];
    let mut zadd = vec!["ZADD".to_string(), "z:big".to_string()];
    for i in 0..600 {
        rpush.push(format!("element-{i}"));
        hset.extend([format!("field-{i}"), format!("value-{i}")]);
        sadd.push(format!("member-{i}"));
        zadd.extend([i.to_string(), format!("member-{i}")]);
    }
    cmds.extend([rpush, hset, sadd, zadd]);
    for cmd in cmds {
        let r = c.cmd(&cmd);
        assert!(
            !r.starts_with(b"-"),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&r)
        );
    }
}

/// The text after redis-cli's summary marker.
fn summary(out: &str) -> &str {
    let at = out
        .find("-------- summary -------")
        .unwrap_or_else(|| panic!("no summary in redis-cli output:\n{out}"));
    &out[at..]
}

/// `summary` with every byte count and average replaced: what --memkeys sizes in bytes.
fn without_byte_counts(s: &str) -> String {
    let mut out = Vec::new();
    for line in s.lines() {
        // "<n> bytes": the byte figures; key counts ("2 lists") stay.
        let words: Vec<&str> = line.split(' ').collect();
        let mut l: String = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if words.get(i + 1).is_some_and(|n| n.starts_with("bytes")) {
                    "<n>"
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        // "avg size <n>)".
        if let Some(at) = l.find("avg size ") {
            let from = at + "avg size ".len();
            let to = l[from..].find(')').map_or(l.len(), |e| from + e);
            l.replace_range(from..to, "<n>");
        }
        out.push(l);
    }
    out.join("\n")
}

fn run(server: &Server, mode: &str) -> String {
    let out = redis_cli(server.port(), &[mode], b"");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && !stderr.contains("Warning") && !stderr.contains("Error"),
        "redis-cli {mode} against {} failed: {}\n{stdout}\n{stderr}",
        server.flavor().label(),
        out.status
    );
    stdout
}

#[test]
fn memkeys_and_bigkeys_report_like_redis() {
    if require_tool("redis-server").is_none() || require_tool("redis-cli").is_none() {
        return;
    }
    let redis = Server::start(Flavor::Redis, &[]);
    let ours = Server::start(Flavor::Node, &[]);
    load(&mut redis.connect());
    load(&mut ours.connect());

    let (br, bo) = (run(&redis, "--bigkeys"), run(&ours, "--bigkeys"));
    assert_eq!(summary(&bo), summary(&br), "--bigkeys summaries differ");

    let (mr, mo) = (run(&redis, "--memkeys"), run(&ours, "--memkeys"));
    let (sr, so) = (
        without_byte_counts(summary(&mr)),
        without_byte_counts(summary(&mo)),
    );
    assert_eq!(so, sr, "--memkeys summaries differ beyond byte counts");
    for t in ["list", "hash", "string", "set", "zset"] {
        let line = so
            .lines()
            .find(|l| l.contains(&format!("{t} found")))
            .unwrap_or_else(|| panic!("no biggest {t} in:\n{so}"));
        assert!(line.contains(":big"), "{line}");
    }
}
