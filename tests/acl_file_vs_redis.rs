//! `aclfile`, side by side with redis-server 7.0.15: users loaded from the file at startup, ACL
//! SAVE's file (compared byte for byte), ACL LOAD with bad lines (same error naming each line,
//! users unchanged), a good ACL LOAD (users replaced, clients of the old users closed), ACL
//! LOAD of a missing file, and the startup refusals (a bad file, a missing file, `user` lines
//! beside `aclfile`) with the same log text.
// Real processes: deadlines and polling read the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;
use std::time::Duration;

use support::{Flavor, Server};

/// The file both servers start from.
const START: &str = "user alice on >p1 ~k* &ch +@read +set\n\
                     user bob off nopass\n\
                     \n\
                     user carol on nopass resetchannels -@all +get (~x* +@write)\n\
                     user default on nopass ~* &* +@all\n";

/// Every kind of bad line ACL LOAD reports (none that makes 7.0.15 crash: an unclosed
/// selector after another rule does).
const BAD: &str = "user alice on >p2\n\
                   foo bar\n\
                   user alice off\n\
                   user x +nosuch +nosuch2 bogus bogus2 >pw\n\
                   user c (~x\n\
                   user d on ~* ~x\n\
                   User e on\n\
                   user\n";

/// A good file without alice, where the default user needs a password.
const NEXT: &str = "user default on >dpw ~* &* +@all\n\
                    user zed  on   nopass  ~z* +@string\r\n";

/// Run the scenario on `flavor` with the ACL file at `file` (the same absolute path for both
/// servers, so messages naming it compare equal): every (step, reply or file content).
fn run(flavor: Flavor, file: &Path) -> Vec<(String, String)> {
    std::fs::write(file, START).unwrap();
    let f = file.to_str().unwrap();
    let server = Server::start(flavor, &["--aclfile", f]);
    let mut admin = server.connect();
    let mut out = Vec::new();
    let mut step = |name: &str, v: Vec<u8>| {
        out.push((name.to_owned(), String::from_utf8_lossy(&v).into_owned()));
    };
    step("ACL LIST at start", admin.cmd(&["ACL", "LIST"]));
    let mut alice = server.connect();
    step("AUTH alice", alice.cmd(&["AUTH", "alice", "p1"]));
    step(
        "SETUSER dave",
        admin.cmd(&["ACL", "SETUSER", "dave", "on", ">d", "~d*", "+@hash"]),
    );
    step("ACL SAVE", admin.cmd(&["ACL", "SAVE"]));
    step("file after SAVE", std::fs::read(file).unwrap());
    std::fs::write(file, BAD).unwrap();
    step("ACL LOAD bad", admin.cmd(&["ACL", "LOAD"]));
    step("ACL LIST after bad", admin.cmd(&["ACL", "LIST"]));
    step("alice still in", alice.cmd(&["ACL", "WHOAMI"]));
    std::fs::write(file, NEXT).unwrap();
    step("ACL LOAD next", admin.cmd(&["ACL", "LOAD"]));
    step("ACL LIST after next", admin.cmd(&["ACL", "LIST"]));
    let closed = alice
        .read_until_close(Duration::from_secs(10))
        .1
        .is_closed();
    step("alice closed", format!("{closed}").into_bytes());
    step("admin still in", admin.cmd(&["PING"]));
    step("new client", server.connect().cmd(&["PING"]));
    std::fs::remove_file(file).unwrap();
    step("ACL LOAD missing", admin.cmd(&["ACL", "LOAD"]));
    step("ACL SAVE recreates", admin.cmd(&["ACL", "SAVE"]));
    step("file after second SAVE", std::fs::read(file).unwrap());
    let leftovers: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    step(
        "temporary files left",
        format!("{leftovers:?}").into_bytes(),
    );
    out
}

#[test]
fn aclfile_load_and_save_behave_as_redis() {
    let dir = support::unique_dir("aclfile");
    let file = dir.join("users.acl");
    let ours = run(Flavor::Node, &file);
    if support::require_tool("redis-server").is_none() {
        return;
    }
    if std::env::var_os("ACL_FILE_SHOW").is_some() {
        eprintln!("{ours:#?}");
    }
    let theirs = run(Flavor::Redis, &file);
    let _ = std::fs::remove_dir_all(&dir);
    let bad: Vec<String> = ours
        .iter()
        .zip(&theirs)
        .filter(|(o, t)| o != t)
        .map(|((step, o), (_, t))| format!("{step}\n  redis: {t:?}\n  ours:  {o:?}"))
        .collect();
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Start `flavor` with `extra`, which must make it exit by itself: its exit status and the
/// text after `marker` on the log line holding it.
fn failed_start(flavor: Flavor, extra: &[&str], marker: &str) -> (Option<i32>, Option<String>) {
    let dir = support::unique_dir("aclfile-start");
    let log = dir.join("stdout.log");
    let stdout = std::process::Stdio::from(std::fs::File::create(&log).unwrap());
    let status = support::exit_status_of_start(&flavor.program(), &dir, extra, stdout);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let found = text
        .lines()
        .find_map(|l| l.find(marker).map(|i| l[i..].to_owned()));
    (status, found)
}

#[test]
fn a_bad_aclfile_stops_the_server_as_redis() {
    let dir = support::unique_dir("aclfile-bad");
    let bad = dir.join("bad.acl");
    std::fs::write(&bad, BAD).unwrap();
    let good = dir.join("good.acl");
    std::fs::write(&good, START).unwrap();
    let missing = dir.join("missing.acl");
    let (bad, good, missing) = (
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let cases: [(&[&str], &str); 3] = [
        (&["--aclfile", bad], "Aborting Redis startup"),
        (&["--aclfile", missing], "Aborting Redis startup"),
        (
            &["--aclfile", good, "--user", "a", "on"],
            "Configuring Redis with users",
        ),
    ];
    for (extra, marker) in cases {
        let ours = failed_start(Flavor::Node, extra, marker);
        assert_eq!(ours.0, Some(1), "{extra:?}");
        assert!(ours.1.is_some(), "{extra:?}: no '{marker}' line");
        if support::which("redis-server").is_some() {
            let theirs = failed_start(Flavor::Redis, extra, marker);
            assert_eq!(theirs.0, ours.0, "{extra:?}");
            assert!(
                theirs.1.is_some(),
                "{extra:?}: redis logged no '{marker}' line"
            );
            // Redis cuts a log line at 1024 bytes (LOG_MAX_LEN); the text up to there matches.
            let (t, o) = (theirs.1.unwrap_or_default(), ours.1.unwrap_or_default());
            assert!(o.starts_with(&t), "{extra:?}\n  redis: {t}\n  ours:  {o}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
