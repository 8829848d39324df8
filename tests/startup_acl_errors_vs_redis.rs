//! Bad users at startup stop the process as redis-server 7.0.15 stops, with the same words in
//! the same order, never after "Ready to accept connections":
//!
//! - a `user` line whose rules cannot be parsed: the FATAL CONFIG FILE ERROR report on
//!   standard error, naming the line, before anything is logged;
//! - a `user` line with an unknown command (accepted while reading, refused when the users are
//!   loaded): "Server initialized", the error, "Critical error while loading ACLs. Exiting.";
//! - an `aclfile` with a bad line: "Server initialized", then "Aborting Redis startup because
//!   of ACL errors: …";
//! - `user` lines and an `aclfile` both: "Server initialized", then the refusal of the mix.
//!
//! The unknown command is 2000 bytes long, so the logged error is also cut where Redis cuts
//! every log message (`LOG_MAX_LEN`, 1024 bytes with the C string's terminator).
// A process test: it reads the wall clock for deadlines and polls with short sleeps.
#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{free_port, require_tool, unique_dir, Flavor};

/// What a start that must fail left: exit status, log messages (stdout, without the prefix
/// of pid, role, time and level mark), standard error.
struct Failed {
    status: Option<i32>,
    messages: Vec<String>,
    stderr: String,
}

/// Start `flavor` in `dir` with the config file `conf` (if any) and `extra` options; wait for
/// it to exit by itself (killed after 20 s: `status` is then `None`).
fn failed_start(flavor: Flavor, dir: &Path, conf: Option<&str>, extra: &[&str]) -> Failed {
    let out = dir.join(format!("{}.out", flavor.label()));
    let err = dir.join(format!("{}.err", flavor.label()));
    let mut cmd = Command::new(flavor.program());
    cmd.current_dir(dir);
    if let Some(c) = conf {
        cmd.arg(c);
    }
    let mut child = cmd
        .args(["--port", &free_port().to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    };
    let stdout = std::fs::read(&out).unwrap();
    let messages = stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        // `<pid>:<role> <dd> <Mon> <yyyy> <hh:mm:ss.mmm> <mark> <message>`
        .filter_map(|l| l.splitn(7, |&b| b == b' ').nth(6))
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect();
    let stderr = std::fs::read_to_string(&err).unwrap();
    Failed {
        status,
        messages,
        stderr,
    }
}

/// The messages from "Server initialized" on, without Redis's host warnings (memory
/// overcommit, THP: about the machine, not the configuration).
fn after_init(f: &Failed) -> Vec<&str> {
    f.messages
        .iter()
        .skip_while(|m| *m != "Server initialized")
        .filter(|m| !m.starts_with("WARNING"))
        .map(String::as_str)
        .collect()
}

fn short(lines: &[&str]) -> Vec<String> {
    lines
        .iter()
        .map(|l| format!("{} bytes: {:.120}", l.len(), l))
        .collect()
}

#[test]
fn bad_users_at_startup_stop_the_process_as_redis_does() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let dir = unique_dir("startup-acl-errors");
    let long = "a".repeat(2000);
    std::fs::write(dir.join("bad-rule.conf"), "user alice on bogus\n").unwrap();
    std::fs::write(
        dir.join("unknown-command.conf"),
        format!("user alice on +{long}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("bad.acl"), format!("user alice on +{long}\n")).unwrap();
    std::fs::write(dir.join("good.acl"), "user bob on nopass +@all\n").unwrap();
    std::fs::write(dir.join("good-user.conf"), "user alice on\n").unwrap();
    let good_acl = dir.join("good.acl").display().to_string();
    let acl = dir.join("bad.acl").display().to_string();

    // Each case: what both exit with, then what they said.
    let cases: [(&str, Option<&str>, Vec<&str>); 4] = [
        ("bad rule in a user line", Some("bad-rule.conf"), vec![]),
        (
            "unknown command in a user line",
            Some("unknown-command.conf"),
            vec![],
        ),
        ("bad aclfile", None, vec!["--aclfile", acl.as_str()]),
        (
            "users in both places",
            Some("good-user.conf"),
            vec!["--aclfile", good_acl.as_str()],
        ),
    ];
    for (what, conf, extra) in cases {
        let redis = failed_start(Flavor::Redis, &dir, conf, &extra);
        let ours = failed_start(Flavor::Node, &dir, conf, &extra);
        assert_eq!(redis.status, Some(1), "{what}: redis-server's exit");
        assert_eq!(ours.status, redis.status, "{what}: our exit");
        for f in [&redis, &ours] {
            assert!(
                !f.messages
                    .iter()
                    .any(|m| m == "Ready to accept connections"),
                "{what}: ready before exiting: {:?}",
                f.messages
            );
        }
        if what == "bad rule in a user line" {
            // Refused while reading: nothing logged, the report on standard error. Ours also
            // names the file on the "at line" line; the rest is Redis's, line for line.
            assert!(redis.messages.is_empty(), "{:?}", redis.messages);
            assert!(ours.messages.is_empty(), "{what}: {:?}", ours.messages);
            let lines = |s: &str| -> Vec<String> {
                s.lines()
                    .map(|l| {
                        if l.starts_with("Reading the configuration file, at line 1") {
                            "Reading the configuration file, at line 1".to_owned()
                        } else {
                            l.to_owned()
                        }
                    })
                    .collect()
            };
            assert_eq!(lines(&ours.stderr), lines(&redis.stderr), "{what}");
            assert!(redis.stderr.contains("Error in user declaration"));
            continue;
        }
        let (r, o) = (after_init(&redis), after_init(&ours));
        assert!(
            !r.is_empty(),
            "{what}: redis-server said {:?}",
            redis.messages
        );
        assert_eq!(
            o,
            r,
            "{what}:\nours {:#?}\nredis {:#?}",
            short(&o),
            short(&r)
        );
        // The long error is cut at 1023 bytes, in both.
        if what != "users in both places" {
            assert!(
                r.iter().any(|m| m.len() == 1023),
                "{what}: {:#?}",
                short(&r)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
