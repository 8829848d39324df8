//! What a node logs while it loads its data comes before "Ready to accept connections", as
//! in redis-server 7.0.15: "Server initialized", then "Done loading RDB, …", then "Ready to
//! accept connections" (ours used to log the loading lines after it).
// A process test: it reads the wall clock for deadlines and polls with short sleeps.
#![allow(clippy::disallowed_methods)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{free_port, require_tool, unique_dir, Flavor, Server};

/// Start `flavor` on the data in `dir` until it is ready; its log messages (without the
/// prefix of pid, role, time and level mark) that concern startup order.
fn startup_messages(flavor: Flavor, dir: &std::path::Path) -> Vec<String> {
    let out = dir.join(format!("{}.out", flavor.label()));
    let mut child = Command::new(flavor.program())
        .current_dir(dir)
        .args(["--port", &free_port().to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.contains("Ready to accept connections") {
            break text;
        }
        let exited = child.try_wait().expect("wait").is_some();
        if exited || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} never got ready:\n{text}", flavor.label());
        }
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    };
    let _ = child.kill();
    let _ = child.wait();
    text.lines()
        // `<pid>:<role> <dd> <Mon> <yyyy> <hh:mm:ss.mmm> <mark> <message>`
        .filter_map(|l| l.splitn(7, ' ').nth(6))
        .filter(|m| {
            *m == "Server initialized"
                || m.starts_with("Done loading RDB")
                || *m == "Ready to accept connections"
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn loading_lines_come_before_ready() {
    if require_tool("redis-server").is_none() {
        return;
    }
    // An RDB file with a few keys, written by redis-server.
    let source = Server::start(Flavor::Redis, &[]);
    let mut c = source.connect();
    for k in ["a", "b", "c"] {
        c.cmd(&["SET", k, "1"]);
    }
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    let rdb = std::fs::read(source.dir().join("dump.rdb")).expect("dump.rdb");
    drop(source);

    let mut seen = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Node] {
        let dir = unique_dir("startup-log-order");
        std::fs::write(dir.join("dump.rdb"), &rdb).unwrap();
        seen.push(startup_messages(flavor, &dir));
        let _ = std::fs::remove_dir_all(&dir);
    }
    let want = [
        "Server initialized",
        "Done loading RDB, keys loaded: 3, keys expired: 0.",
        "Ready to accept connections",
    ];
    assert_eq!(seen[0], want, "redis-server");
    assert_eq!(seen[1], seen[0], "ours, then redis-server");
}
