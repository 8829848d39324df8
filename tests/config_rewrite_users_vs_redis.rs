//! CONFIG REWRITE writes the ACL users as redis-server 7.0.15 does (no `aclfile`): one
//! `user <name> <rules>` line per user in name order, in place of the old `user` lines (a
//! deleted user's line goes). The `user` lines of both rewritten files are compared; then our
//! node is restarted from its rewritten file and must list the same users.
// Real processes: deadlines and polling read the clock.
#![allow(clippy::disallowed_methods)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Client, Flavor};

/// A server started from a config file; killed and reaped on drop.
struct Proc {
    child: Child,
    port: u16,
}

impl Proc {
    fn start(flavor: Flavor, conf: &Path, port: u16) -> Proc {
        let dir = conf.parent().unwrap();
        let child = Command::new(flavor.program())
            .arg(conf)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("stdout.log")).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut p = Proc { child, port };
        let deadline = Instant::now() + support::START_DEADLINE;
        while Client::connect(&p.addr()).is_err() {
            if let Ok(Some(s)) = p.child.try_wait() {
                panic!("{} exited at start with {s}", flavor.label());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not start",
                flavor.label()
            );
            std::thread::sleep(Duration::from_millis(20)); // polling interval
        }
        p
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Write the starting config for `port` in `dir`.
fn write_conf(dir: &Path, port: u16) -> PathBuf {
    let conf = dir.join("node.conf");
    let text = format!(
        "port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {}\n\
         # users\nuser olduser on nopass ~* +@all\nuser zoe on >z ~z* +@read\n# end\n",
        dir.display()
    );
    std::fs::write(&conf, text).unwrap();
    conf
}

/// What one flavor did: the `user` lines of the rewritten file (with the comments around
/// them), ACL LIST after the rewrite, and ACL LIST after a restart from the rewritten file.
struct Outcome {
    lines: Vec<String>,
    list: Vec<u8>,
    list_after_restart: Vec<u8>,
}

fn run(flavor: Flavor) -> Outcome {
    let dir = support::unique_dir("rewrite-users");
    let port = support::free_port();
    let conf = write_conf(&dir, port);
    let p = Proc::start(flavor, &conf, port);
    let mut c = Client::connect(&p.addr()).unwrap();
    for cmd in [
        &[
            "ACL",
            "SETUSER",
            "alice",
            "on",
            ">p",
            "~k*",
            "&ch",
            "+@read",
            "(~x* +@write)",
        ][..],
        &["ACL", "SETUSER", "bob", "off", "nopass"],
        &["ACL", "DELUSER", "olduser"],
        &["ACL", "SETUSER", "default", ">dpw"],
    ] {
        let r = c.cmd(cmd);
        assert!(r.starts_with(b"+OK") || r == b":1\r\n", "{cmd:?}: {r:?}");
    }
    assert_eq!(
        c.cmd(&["CONFIG", "REWRITE"]),
        b"+OK\r\n",
        "{}",
        flavor.label()
    );
    let list = c.cmd(&["ACL", "LIST"]);
    let text = std::fs::read_to_string(&conf).unwrap();
    // The user lines, and the comments kept around them (the old lines' places are reused).
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("user ") || l.starts_with("# users") || l.starts_with("# end"))
        .map(str::to_owned)
        .collect();
    drop(c);
    drop(p);
    let p = Proc::start(flavor, &conf, port);
    let mut c = Client::connect(&p.addr()).unwrap();
    assert_eq!(c.cmd(&["AUTH", "default", "dpw"]), b"+OK\r\n");
    let list_after_restart = c.cmd(&["ACL", "LIST"]);
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
    Outcome {
        lines,
        list,
        list_after_restart,
    }
}

#[test]
fn config_rewrite_writes_users_as_redis() {
    let ours = run(Flavor::Node);
    assert!(
        ours.lines.iter().any(|l| l.starts_with("user alice on #")),
        "{:#?}",
        ours.lines
    );
    assert!(!ours.lines.iter().any(|l| l.contains("olduser")));
    // Restarted from the rewritten file, every user but `default` reads back the same (a
    // `user default` line starts from `reset`, which adds `sanitize-payload`, as in Redis).
    let others = |l: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(l)
            .split("\r\n")
            .filter(|x| x.starts_with("user ") && !x.starts_with("user default"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(others(&ours.list_after_restart), others(&ours.list));
    assert_eq!(others(&ours.list).len(), 3);
    if support::require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run(Flavor::Redis);
    let show = |b: &[u8]| support::escape(b);
    assert_eq!(show(&ours.list), show(&theirs.list), "ACL LIST");
    assert_eq!(ours.lines, theirs.lines, "rewritten user lines");
    assert_eq!(
        show(&ours.list_after_restart),
        show(&theirs.list_after_restart),
        "ACL LIST after a restart from the rewritten file"
    );
}
