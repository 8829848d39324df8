//! A real `hashslot-node` recording its inputs (`--hashslot-record-file`) is replayed by
//! `hashslot_sim::replay` with no divergence: client writes from several connections, CLUSTER
//! commands, a bus peer (MEET, PING/PONG, nodes.conf writes), SIGTERM. The same log, torn or
//! with a damaged byte, gives a clear error instead of a replay.
// A process test: it reads the wall clock for deadlines and polls with short sleeps.
#![allow(clippy::disallowed_methods)]

mod cluster_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cluster_support::{call, free_cluster_port, wait_for, Kind, Node, Reply, TempDir};
use hashslot::sim::replay::{Replay, ReplayError};

/// The recorded node: our binary with recording on; killed on drop if still running.
struct Recorded {
    child: Option<Child>,
    port: u16,
}

impl Drop for Recorded {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn start_recorded(dir: &std::path::Path) -> Recorded {
    let port = free_cluster_port();
    let log = std::fs::File::create(dir.join("out.log")).unwrap();
    // A config file, so CONFIG REWRITE has something to rewrite (the driver's file work comes
    // back to the node as an input in the middle of draining its outputs).
    let conf = dir.join("node.conf");
    std::fs::write(&conf, "# recorded node\n").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_hashslot-node"))
        .current_dir(dir)
        .arg(&conf)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
        .args(["--save", "", "--appendonly", "no"])
        .args(["--hashslot-record-file", "node.hsrec"])
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("spawn hashslot-node");
    let node = Recorded {
        child: Some(child),
        port,
    };
    wait_for(
        "the recorded node to answer PING",
        Duration::from_secs(10),
        || match call(port, &["PING"]) {
            Ok(Reply::Status(_)) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    node
}

/// `n` requests on one connection, pipelined in two batches, every reply read.
fn client_writes(port: u16, id: usize, n: usize) {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    for batch in 0..2 {
        let mut req = Vec::new();
        for i in 0..n / 2 {
            let key = format!("{{c{id}}}k{batch}-{i}");
            let val = format!("v{i}");
            for args in [
                vec!["SET", key.as_str(), val.as_str()],
                vec!["INCR", "counter"],
                vec!["LPUSH", "{c}list", val.as_str()],
            ] {
                req.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
                for a in args {
                    req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
                }
            }
        }
        (&s).write_all(&req).unwrap();
        let mut line = String::new();
        for _ in 0..(n / 2) * 3 {
            line.clear();
            r.read_line(&mut line).unwrap();
            assert!(!line.starts_with('-'), "client {id}: error reply {line}");
        }
    }
}

#[test]
fn a_recorded_node_replays_without_divergence_and_damage_is_reported() {
    let root = TempDir::new("record-replay");
    let dir = root.0.join("recorded");
    std::fs::create_dir_all(&dir).unwrap();
    let mut node = start_recorded(&dir);
    let port = node.port;

    // A bus peer: a second node (not recorded) that the recorded one meets.
    let peer = Node::start(Kind::Ours, &root.0, 2000);
    let ok = |args: &[&str]| match call(port, args) {
        Ok(Reply::Error(e)) => panic!("{args:?}: -{e}"),
        Ok(r) => r,
        Err(e) => panic!("{args:?}: {e}"),
    };
    ok(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]);
    ok(&["CLUSTER", "MEET", "127.0.0.1", &peer.port.to_string()]);
    wait_for("the peer to join", Duration::from_secs(20), || {
        let nodes = ok(&["CLUSTER", "NODES"]).text();
        let connected = nodes
            .lines()
            .filter(|l| l.contains(" connected") && !l.contains("handshake"))
            .count();
        (connected == 2).then_some(()).ok_or(nodes)
    });

    wait_for("cluster_state:ok", Duration::from_secs(20), || {
        let info = ok(&["CLUSTER", "INFO"]).text();
        info.contains("cluster_state:ok").then_some(()).ok_or(info)
    });

    // Several clients writing at once, then a few reads and CLUSTER commands.
    let writers: Vec<_> = (0..4)
        .map(|id| std::thread::spawn(move || client_writes(port, id, 200)))
        .collect();
    for w in writers {
        w.join().expect("client thread");
    }
    assert_eq!(ok(&["GET", "counter"]), Reply::Bulk(Some(b"800".to_vec())));
    ok(&["CLUSTER", "INFO"]);
    ok(&["CLUSTER", "KEYSLOT", "counter"]);
    ok(&["CLUSTER", "COUNTKEYSINSLOT", "0"]);
    ok(&["INFO"]);
    ok(&["CONFIG", "SET", "maxmemory", "100mb"]);
    ok(&["CONFIG", "REWRITE"]);
    ok(&["TIME"]);
    ok(&["RANDOMKEY"]);

    // Stop it the way an operator does; the log ends with its marker.
    let mut child = node.child.take().unwrap();
    hashslot::server::supervise::terminate(child.id()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the node ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(peer);

    let log = std::fs::read(dir.join("node.hsrec")).expect("the log exists");
    let mut replay = Replay::new(&log[..]).expect("the header reads");
    assert_eq!(
        replay.header().config.iter().find(|(k, _)| k == "port"),
        Some(&("port".to_string(), port.to_string()))
    );
    let mut kinds = std::collections::BTreeMap::<String, u64>::new();
    let mut steps = 0u64;
    loop {
        match replay.step() {
            Ok(Some(step)) => {
                steps += 1;
                let kind = step.input.split(" at ").next().unwrap_or("").to_string();
                let kind: String = kind
                    .split_whitespace()
                    .take_while(|w| !w.chars().all(|c| c.is_ascii_digit()))
                    .collect::<Vec<_>>()
                    .join(" ");
                *kinds.entry(kind).or_default() += 1;
            }
            Ok(None) => break,
            Err(e) => panic!("replay failed after {steps} inputs: {e}\ninputs so far: {kinds:?}"),
        }
    }
    for kind in [
        "load_cluster_config",
        "load_data",
        "accept conn",
        "read conn",
        "closed conn",
        "timeout",
        "bus connected link",
        "bus read link",
        "persist done token",
        "config rewritten for conn",
        "process stats",
        "shutdown signal",
    ] {
        assert!(
            kinds.get(kind).is_some_and(|&n| n > 0),
            "no {kind:?} input in the log: {kinds:?}"
        );
    }
    let report = Replay::new(&log[..]).unwrap().run().expect("no divergence");
    eprintln!("{report}; inputs by kind: {kinds:?}");
    assert_eq!(report.inputs, steps);
    assert_eq!(report.checked, steps, "{report}");
    assert_eq!(report.end, Some(hashslot::sim::replay::EndReason::Closed));

    // Torn: the process died in the middle of a frame.
    let torn = &log[..log.len() - 5];
    let err = Replay::new(torn).unwrap().run().unwrap_err();
    assert!(
        matches!(err, ReplayError::Log { .. }) && err.to_string().contains("truncated at byte"),
        "{err}"
    );
    // A damaged byte in the middle of the log.
    let mut bad = log.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    let err = Replay::new(&bad[..]).unwrap().run().unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, ReplayError::Log { .. })
            && (text.contains("corrupt") || text.contains("truncated")),
        "{text}"
    );
}
