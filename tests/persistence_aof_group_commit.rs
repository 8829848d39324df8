//! `appendfsync always` with group commit, in-process: a write's reply waits for the fsync
//! that covers it; writes arriving while an fsync is in flight are written together and
//! covered by ONE next fsync (Redis fsyncs once per event-loop turn for all clients), and
//! their replies wait for that one.

use std::net::SocketAddr;

use hashslot_node::{AppendFsync, ClientAddr, Config, Node, Output, PersistToken, ProcessInfo};
use hashslot_types::{ConnId, Instant, Now, UnixMillis};

fn now() -> Now {
    Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000))
}

fn resp(args: &[&str]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend(format!("${}\r\n{a}\r\n", a.len()).bytes());
    }
    v
}

#[derive(Default, Debug)]
struct Seen {
    sends: Vec<ConnId>,
    writes: Vec<Vec<u8>>,
    syncs: Vec<PersistToken>,
    commits: Vec<PersistToken>,
}

fn drain(n: &mut Node) -> Seen {
    let mut s = Seen::default();
    while let Some(o) = n.poll_output() {
        match o {
            Output::Send { conn, .. } => s.sends.push(conn),
            Output::FileWrite { data, .. } => s.writes.push(data.to_vec()),
            Output::FileSync { token, .. } => s.syncs.push(token),
            Output::FileCommit { token, .. } => s.commits.push(token),
            _ => {}
        }
    }
    s
}

fn done(n: &mut Node, t: PersistToken) -> Seen {
    n.handle_persist_done(now(), t, Ok(()));
    drain(n)
}

#[test]
fn writes_behind_an_fsync_in_flight_share_the_next_one() {
    let mut config = Config::default();
    config.save.clear();
    config.appendonly = true;
    config.appendfsync = AppendFsync::Always;
    let mut n = Node::new(config, 7, now(), ProcessInfo::default());
    n.load_data(now(), &mut |_: &str| Ok(None)).unwrap();
    // The fresh base, incr and manifest commit.
    let start = drain(&mut n);
    for t in start.commits.into_iter().chain(start.syncs) {
        done(&mut n, t);
    }
    let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    for c in 1..=3 {
        n.handle_accept(
            now(),
            ConnId(c),
            ClientAddr {
                peer,
                local: peer,
                fd: c as i64,
            },
        );
    }
    drain(&mut n);
    n.handle_read(now(), ConnId(1), &resp(&["SET", "a", "1"]));
    let first = drain(&mut n);
    assert!(first.sends.is_empty(), "reply before its fsync");
    assert_eq!(first.syncs.len(), 1);
    assert_eq!(first.writes.len(), 1);
    // Two more clients write while that fsync runs: nothing is written or answered yet.
    n.handle_read(now(), ConnId(2), &resp(&["SET", "b", "2"]));
    n.handle_read(now(), ConnId(3), &resp(&["INCR", "c"]));
    let waiting = drain(&mut n);
    assert!(waiting.sends.is_empty() && waiting.syncs.is_empty() && waiting.writes.is_empty());
    // The first fsync completes: client 1 is answered; both waiting writes go in one write
    // and one fsync.
    let second = done(&mut n, first.syncs[0]);
    assert_eq!(second.sends, vec![ConnId(1)]);
    assert_eq!(second.writes.len(), 1);
    let text = String::from_utf8_lossy(&second.writes[0]).into_owned();
    assert!(
        text.contains("$1\r\nb\r\n") && text.contains("INCR"),
        "{text}"
    );
    assert_eq!(second.syncs.len(), 1);
    // Its completion answers both.
    let third = done(&mut n, second.syncs[0]);
    assert_eq!(third.sends, vec![ConnId(2), ConnId(3)]);
    assert!(third.syncs.is_empty());
}
