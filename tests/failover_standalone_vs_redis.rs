//! Standalone `FAILOVER`'s refusals, `ABORT`, `TIMEOUT` and `FORCE`, byte for byte against
//! `redis-server` 7.0: the same transcript is taken from both, with a scripted replica (a raw
//! socket that syncs once, acknowledges, then never again) so that a round never completes by
//! itself. Our transcript is also checked against Redis's literal texts, so the test means
//! something without `redis-server` too.
// Whole-node tests drive real processes: real clocks, short polling sleeps under deadlines.
#![allow(clippy::disallowed_methods)]
mod failover_standalone_support;
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use failover_standalone_support::{field, info_field, text, wait_for};
use support::{encode_command, free_port, require_tool, Client, Flavor, Server};

/// A replica played by the test: it announces `listening_port` (where nothing listens), takes
/// the full sync, acknowledges its offset once and then stays silent, so the master's offset
/// runs ahead of it after the next write.
struct ScriptedReplica {
    /// Held open only: the master keeps the replica while the socket lives.
    _link: TcpStream,
}

impl ScriptedReplica {
    /// The handshake up to `PSYNC ? -1`; with `sync`, also read the payload and ACK.
    fn start(master: &Server, listening_port: u16, sync: bool) -> ScriptedReplica {
        let mut stream = TcpStream::connect(master.addr()).expect("connect the scripted replica");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let port = listening_port.to_string();
        let mut buf = Vec::new();
        for cmd in [
            &["REPLCONF", "listening-port", port.as_str()][..],
            &["REPLCONF", "capa", "eof", "capa", "psync2"][..],
        ] {
            stream.write_all(&encode_command(cmd)).unwrap();
            assert_eq!(read_line(&mut stream, &mut buf), "+OK");
        }
        stream
            .write_all(&encode_command(&["PSYNC", "?", "-1"]))
            .unwrap();
        if sync {
            let full = read_line(&mut stream, &mut buf);
            let offset = full
                .strip_prefix("+FULLRESYNC ")
                .and_then(|rest| rest.split(' ').nth(1))
                .unwrap_or_else(|| panic!("not a full resync: {full}"))
                .to_owned();
            read_payload(&mut stream, &mut buf);
            stream
                .write_all(&encode_command(&["REPLCONF", "ACK", offset.as_str()]))
                .unwrap();
        }
        ScriptedReplica { _link: stream }
    }
}

/// One line (without CRLF), skipping the bare `\n` keepalives a master sends before a payload.
fn read_line(stream: &mut TcpStream, buf: &mut Vec<u8>) -> String {
    loop {
        while buf.first() == Some(&b'\n') {
            buf.remove(0);
        }
        if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
            let line = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 2);
            return line;
        }
        fill(stream, buf);
    }
}

fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).expect("read from the master");
    assert!(n > 0, "the master closed the scripted replica's link");
    buf.extend_from_slice(&chunk[..n]);
}

/// The RDB payload: `$EOF:<40-byte mark>` ... mark (diskless), or `$<len>` and `len` bytes.
fn read_payload(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let header = read_line(stream, buf);
    if let Some(mark) = header.strip_prefix("$EOF:") {
        let mark = mark.as_bytes().to_vec();
        while !buf.ends_with(&mark) {
            fill(stream, buf);
        }
    } else {
        let len: usize = header[1..].parse().expect("payload length");
        while buf.len() < len {
            fill(stream, buf);
        }
    }
    buf.clear();
}

/// What one flavor answered, step by step: (command or what was looked at, answer).
#[derive(Default)]
struct Transcript {
    steps: Vec<(String, String)>,
    /// Per-run ports, shown as `<port>` in the step names so both runs name steps alike.
    ports: Vec<String>,
}

fn step(t: &mut Transcript, c: &mut Client, args: &[&str]) -> String {
    let reply = text(c.cmd(args));
    let name: Vec<&str> = args
        .iter()
        .map(|a| {
            if t.ports.iter().any(|p| p == a) {
                "<port>"
            } else {
                a
            }
        })
        .collect();
    t.steps.push((name.join(" "), reply.clone()));
    reply
}

fn note(t: &mut Transcript, what: &str, value: String) {
    t.steps.push((what.to_owned(), value));
}

/// The whole script against one flavor. Ports that differ between runs never appear in replies.
fn transcript(flavor: Flavor) -> Transcript {
    let mut t = Transcript::default();
    let server = Server::start(
        flavor,
        &[
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
        ],
    );
    let servers = [&server];
    let mut c = server.connect();

    // The command's metadata, then parsing and the checks before any replica.
    for cmd in [
        &["COMMAND", "INFO", "failover"][..],
        &["COMMAND", "DOCS", "failover"],
        &["FAILOVER"],
        &["FAILOVER", "ABORT"],
        &["FAILOVER", "abort", "TIMEOUT", "5"],
        &["FAILOVER", "TO", "h"],
        &["FAILOVER", "TO", "h", "notaport"],
        &["FAILOVER", "TIMEOUT", "0"],
        &["FAILOVER", "TIMEOUT", "-5"],
        &["FAILOVER", "TIMEOUT", "x"],
        &["FAILOVER", "TIMEOUT", "5", "TIMEOUT", "6"],
        &["FAILOVER", "FORCE", "FORCE"],
        &["FAILOVER", "FORCE"],
        &["FAILOVER", "bogus"],
        &["PSYNC", "abc", "1", "FAILOVER"],
    ] {
        step(&mut t, &mut c, cmd);
    }

    // A replica whose link is down: FAILOVER is refused, and a PSYNC FAILOVER naming another
    // history too.
    let dead = free_port().to_string();
    t.ports.push(dead.clone());
    step(&mut t, &mut c, &["REPLICAOF", "127.0.0.1", &dead]);
    step(&mut t, &mut c, &["FAILOVER"]);
    step(
        &mut t,
        &mut c,
        &[
            "PSYNC",
            "0123456789012345678901234567890123456789",
            "1",
            "FAILOVER",
        ],
    );
    step(&mut t, &mut c, &["REPLICAOF", "NO", "ONE"]);

    // One online replica that never catches up after a write.
    let fake_port = free_port();
    let fake_port_s = fake_port.to_string();
    t.ports.push(fake_port_s.clone());
    let _fake = ScriptedReplica::start(&server, fake_port, true);
    wait_for("the scripted replica online", &servers, || {
        field(&mut c, "slave0")
            .filter(|l| l.contains("state=online"))
            .map(|_| ())
    });
    step(&mut t, &mut c, &["SET", "k", "v"]);
    for cmd in [
        &["FAILOVER", "FORCE"][..],
        &["FAILOVER", "TIMEOUT", "100", "FORCE"],
        &["FAILOVER", "TO", "127.0.0.1", &fake_port_s, "FORCE"],
        &["FAILOVER", "TO", "127.0.0.1", "1"],
        &["FAILOVER", "TO", "127.0.0.1", "99999"],
        &["FAILOVER", "TO", "localhost", &fake_port_s],
    ] {
        step(&mut t, &mut c, cmd);
    }

    // A replica still waiting for its snapshot is not online.
    step(
        &mut t,
        &mut c,
        &["CONFIG", "SET", "repl-diskless-sync-delay", "5"],
    );
    let waiting_port = free_port();
    let waiting = ScriptedReplica::start(&server, waiting_port, false);
    wait_for("the second replica listed", &servers, || {
        field(&mut c, "slave1").map(|_| ())
    });
    let waiting_s = waiting_port.to_string();
    t.ports.push(waiting_s.clone());
    step(&mut t, &mut c, &["FAILOVER", "TO", "127.0.0.1", &waiting_s]);
    drop(waiting);
    wait_for("the second replica gone", &servers, || {
        field(&mut c, "slave1").is_none().then_some(())
    });
    step(
        &mut t,
        &mut c,
        &["CONFIG", "SET", "repl-diskless-sync-delay", "0"],
    );

    // A round that waits: what it refuses, then ABORT.
    step(
        &mut t,
        &mut c,
        &["FAILOVER", "TO", "127.0.0.1", &fake_port_s],
    );
    note(
        &mut t,
        "state",
        field(&mut c, "master_failover_state").unwrap_or_default(),
    );
    step(&mut t, &mut c, &["FAILOVER"]);
    step(&mut t, &mut c, &["REPLICAOF", "NO", "ONE"]);
    step(&mut t, &mut c, &["SLAVEOF", "127.0.0.1", "1"]);
    // Refused at EXEC too, and counted as failed calls (not rejected ones).
    step(&mut t, &mut c, &["MULTI"]);
    step(&mut t, &mut c, &["REPLICAOF", "NO", "ONE"]);
    step(&mut t, &mut c, &["EXEC"]);
    note(
        &mut t,
        "cmdstat_replicaof",
        info_field(&mut c, "commandstats", "cmdstat_replicaof")
            .unwrap_or_default()
            .split(',')
            .filter(|f| !f.starts_with("usec"))
            .collect::<Vec<_>>()
            .join(","),
    );
    let mut other = server.connect();
    step(&mut t, &mut other, &["PSYNC", "?", "-1"]);
    step(&mut t, &mut other, &["SYNC"]);
    let mut writer = server.connect();
    writer.send(&["SET", "held", "1"]).unwrap();
    step(&mut t, &mut c, &["CLIENT", "UNPAUSE"]);
    step(&mut t, &mut c, &["GET", "k"]);
    step(&mut t, &mut c, &["FAILOVER", "ABORT"]);
    note(&mut t, "held write", text(writer.read_reply().unwrap()));
    note(
        &mut t,
        "state",
        field(&mut c, "master_failover_state").unwrap_or_default(),
    );
    step(&mut t, &mut c, &["FAILOVER", "ABORT"]);

    // TIMEOUT without FORCE: the round gives up, the held write runs.
    step(&mut t, &mut c, &["FAILOVER", "TIMEOUT", "300"]);
    writer.send(&["SET", "held", "2"]).unwrap();
    note(&mut t, "held write", text(writer.read_reply().unwrap()));
    note(
        &mut t,
        "state",
        field(&mut c, "master_failover_state").unwrap_or_default(),
    );
    note(&mut t, "role", field(&mut c, "role").unwrap_or_default());

    // TIMEOUT with FORCE: the master follows the target anyway (nothing listens on its port,
    // so the round stays in progress) until ABORT makes it a master again.
    step(
        &mut t,
        &mut c,
        &[
            "FAILOVER",
            "TO",
            "127.0.0.1",
            &fake_port_s,
            "TIMEOUT",
            "200",
            "FORCE",
        ],
    );
    wait_for("the forced switch", &servers, || {
        (field(&mut c, "role").as_deref() == Some("slave")).then_some(())
    });
    note(
        &mut t,
        "state",
        field(&mut c, "master_failover_state").unwrap_or_default(),
    );
    note(
        &mut t,
        "master_port is the target",
        (field(&mut c, "master_port") == Some(fake_port_s.clone())).to_string(),
    );
    step(&mut t, &mut c, &["FAILOVER"]);
    step(&mut t, &mut c, &["FAILOVER", "ABORT"]);
    note(&mut t, "role", field(&mut c, "role").unwrap_or_default());
    note(
        &mut t,
        "state",
        field(&mut c, "master_failover_state").unwrap_or_default(),
    );
    step(&mut t, &mut c, &["SET", "after", "1"]);
    t
}

/// Redis 7.0.15's answers, for the run without `redis-server`.
fn check_literals(t: &Transcript) {
    let get = |what: &str| -> Vec<&str> {
        t.steps
            .iter()
            .filter(|(k, _)| k == what)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(
        get("FAILOVER"),
        [
            "-ERR FAILOVER requires connected replicas.\r\n",
            "-ERR FAILOVER is not valid when server is a replica.\r\n",
            "-ERR FAILOVER already in progress.\r\n",
            "-ERR FAILOVER already in progress.\r\n",
        ]
    );
    assert_eq!(
        get("FAILOVER ABORT"),
        [
            "-ERR No failover in progress.\r\n",
            "+OK\r\n",
            "-ERR No failover in progress.\r\n",
            "+OK\r\n",
        ]
    );
    assert_eq!(
        get("FAILOVER TIMEOUT 0"),
        ["-ERR FAILOVER timeout must be greater than 0\r\n"]
    );
    assert_eq!(
        get("FAILOVER FORCE"),
        [
            "-ERR FAILOVER requires connected replicas.\r\n",
            "-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n",
        ]
    );
    assert_eq!(
        get("FAILOVER TO 127.0.0.1 1"),
        ["-ERR FAILOVER target HOST and PORT is not a replica.\r\n"]
    );
    assert_eq!(
        get("PSYNC abc 1 FAILOVER"),
        ["-ERR PSYNC FAILOVER can't be sent to a master.\r\n"]
    );
    assert_eq!(
        get("REPLICAOF NO ONE"),
        [
            "+OK\r\n",
            "-ERR REPLICAOF not allowed while failing over.\r\n",
            "+QUEUED\r\n",
        ]
    );
    assert_eq!(
        get("PSYNC ? -1"),
        ["-NOMASTERLINK Can't SYNC while failing over\r\n"]
    );
    assert_eq!(
        get("state"),
        [
            "waiting-for-sync",
            "no-failover",
            "no-failover",
            "failover-in-progress",
            "no-failover"
        ]
    );
    assert_eq!(get("held write"), ["+OK\r\n", "+OK\r\n"]);
}

#[test]
fn failover_answers_like_redis() {
    let ours = transcript(Flavor::Node);
    check_literals(&ours);
    if require_tool("redis-server").is_none() {
        return;
    }
    let redis = transcript(Flavor::Redis);
    for (i, (o, r)) in ours.steps.iter().zip(&redis.steps).enumerate() {
        assert_eq!(o, r, "step {i} differs (ours, redis)");
    }
    assert_eq!(ours.steps.len(), redis.steps.len());
}

/// In cluster mode FAILOVER is refused whatever its arguments (CLUSTER FAILOVER is the way).
#[test]
fn failover_is_refused_in_cluster_mode_like_redis() {
    let answers = |flavor: Flavor| -> Vec<String> {
        let server = Server::start(flavor, &["--cluster-enabled", "yes"]);
        let mut c = server.connect();
        [
            &["FAILOVER"][..],
            &["FAILOVER", "ABORT"],
            &["FAILOVER", "bogus"],
        ]
        .iter()
        .map(|cmd| text(c.cmd(cmd)))
        .collect()
    };
    let ours = answers(Flavor::Node);
    let refusal =
        "-ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.\r\n";
    assert_eq!(ours, [refusal, refusal, refusal]);
    if require_tool("redis-server").is_none() {
        return;
    }
    assert_eq!(ours, answers(Flavor::Redis));
}
