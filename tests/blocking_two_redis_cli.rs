//! Blocking commands between two real `redis-cli` processes: one runs `BLPOP q 5` (or
//! `BZPOPMIN z 5`) and waits, the other pushes; the first prints the popped reply and exits.
//! A `BLPOP`/`BZPOPMIN` with timeout 1 on an empty key prints redis-cli's nil output and exits
//! after about a second. Every output is compared with what the same redis-cli prints against
//! redis-server. Deadlines are generous; the only time check is a lower bound (a timed-out pop
//! must not answer before its timeout).
// Real processes: deadlines from the clock and a polling interval.
#![allow(clippy::disallowed_methods)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Client, Flavor, Server};

const DEADLINE: Duration = Duration::from_secs(20);

/// A spawned `redis-cli`, killed on drop if still running.
struct Cli {
    child: Option<Child>,
    what: String,
}

impl Cli {
    fn spawn(port: u16, args: &[&str]) -> Cli {
        let child = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn redis-cli");
        Cli {
            child: Some(child),
            what: args.join(" "),
        }
    }

    /// Wait (polling, with [`DEADLINE`]) for the process to exit; returns (stdout, stderr).
    fn finish(mut self) -> (String, String) {
        let end = Instant::now() + DEADLINE;
        let mut child = self.child.take().unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if Instant::now() > end {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "redis-cli {} did not exit within {DEADLINE:?}; stdout so far {:?}",
                    self.what,
                    String::from_utf8_lossy(&out.stdout)
                );
            }
            std::thread::sleep(Duration::from_millis(10)); // polling interval
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "redis-cli {} exited with {}: {}",
            self.what,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Poll `INFO clients` until `blocked_clients:n`.
fn wait_blocked(server: &Server, c: &mut Client, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let end = Instant::now() + DEADLINE;
    loop {
        let info = String::from_utf8_lossy(&c.cmd(&["INFO", "clients"])).into_owned();
        if info.contains(&want) {
            return;
        }
        assert!(
            Instant::now() < end,
            "{}: never saw {want:?} in INFO clients; last:\n{info}\n{}",
            server.flavor().label(),
            server.logs()
        );
        std::thread::sleep(Duration::from_millis(5)); // polling interval
    }
}

/// What each scenario printed, in order, for comparison between the two servers.
fn scenarios(flavor: Flavor) -> Vec<(String, String)> {
    let server = Server::start(flavor, &[]);
    let port = server.port();
    let mut admin = server.connect();
    let mut outputs = Vec::new();

    // BLPOP woken by an RPUSH from another redis-cli.
    let popper = Cli::spawn(port, &["BLPOP", "q", "5"]);
    wait_blocked(&server, &mut admin, 1);
    let push = support::redis_cli(port, &["RPUSH", "q", "hello"], b"");
    outputs.push((
        "RPUSH q hello".to_string(),
        String::from_utf8_lossy(&push.stdout).into_owned(),
    ));
    let (out, _) = popper.finish();
    outputs.push(("BLPOP q 5".to_string(), out));
    wait_blocked(&server, &mut admin, 0);

    // BZPOPMIN woken by a ZADD from another redis-cli.
    let zpopper = Cli::spawn(port, &["BZPOPMIN", "z", "5"]);
    wait_blocked(&server, &mut admin, 1);
    let zadd = support::redis_cli(port, &["ZADD", "z", "1.5", "a", "2", "b"], b"");
    outputs.push((
        "ZADD z 1.5 a 2 b".to_string(),
        String::from_utf8_lossy(&zadd.stdout).into_owned(),
    ));
    let (out, _) = zpopper.finish();
    outputs.push(("BZPOPMIN z 5".to_string(), out));
    let rest = support::redis_cli(port, &["ZRANGE", "z", "0", "-1", "WITHSCORES"], b"");
    outputs.push((
        "ZRANGE z 0 -1 WITHSCORES".to_string(),
        String::from_utf8_lossy(&rest.stdout).into_owned(),
    ));

    wait_blocked(&server, &mut admin, 0);

    // Two pops on empty keys with timeout 1, side by side: each must take at least its timeout.
    let t0 = Instant::now();
    let empty_list = Cli::spawn(port, &["BLPOP", "empty", "1"]);
    let empty_zset = Cli::spawn(port, &["BZPOPMIN", "emptyz", "1"]);
    let (out, _) = empty_list.finish();
    outputs.push(("BLPOP empty 1".to_string(), out));
    let (out, _) = empty_zset.finish();
    outputs.push(("BZPOPMIN emptyz 1".to_string(), out));
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "{}: the timed-out pops answered after {took:?}, before their 1 s timeout",
        flavor.label()
    );
    wait_blocked(&server, &mut admin, 0);
    outputs
}

#[test]
fn blocking_pops_between_two_redis_cli_processes() {
    if support::require_tool("redis-cli").is_none() {
        return;
    }
    let ours = std::thread::spawn(|| scenarios(Flavor::Node));
    let reference = if support::require_tool("redis-server").is_some() {
        Some(scenarios(Flavor::Redis))
    } else {
        None
    };
    let ours = ours.join().expect("hashslot scenario panicked");
    // What redis-cli prints when stdout is not a terminal.
    let expected: &[(&str, &str)] = &[
        ("RPUSH q hello", "1\n"),
        ("BLPOP q 5", "q\nhello\n"),
        ("ZADD z 1.5 a 2 b", "2\n"),
        ("BZPOPMIN z 5", "z\na\n1.5\n"),
        ("ZRANGE z 0 -1 WITHSCORES", "b\n2\n"),
        ("BLPOP empty 1", "\n"),
        ("BZPOPMIN emptyz 1", "\n"),
    ];
    if let Some(reference) = &reference {
        for ((cmd, r), (_, o)) in reference.iter().zip(&ours) {
            assert_eq!(o, r, "redis-cli {cmd}: hashslot printed {o:?}, redis {r:?}");
        }
    }
    for ((cmd, want), (got_cmd, got)) in expected.iter().zip(&ours) {
        assert_eq!(cmd, got_cmd);
        assert_eq!(got, want, "redis-cli {cmd} printed {got:?}");
    }
}
