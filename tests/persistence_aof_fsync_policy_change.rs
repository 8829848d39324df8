//! `CONFIG SET appendfsync` at runtime, in-process: a write that arrived under `always` while
//! an fsync was in flight (its reply held for the next fsync, group commit) still gets that
//! fsync and its reply when the policy is changed to `everysec` or `no` before the fsync in
//! flight completes; after the change, writes are answered without waiting for an fsync.

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
    syncs: Vec<PersistToken>,
    commits: Vec<PersistToken>,
}

fn drain(n: &mut Node) -> Seen {
    let mut s = Seen::default();
    while let Some(o) = n.poll_output() {
        match o {
            Output::Send { conn, .. } => s.sends.push(conn),
            Output::FileSync { token, .. } => s.syncs.push(token),
            Output::FileCommit { token, .. } => s.commits.push(token),
            _ => {}
        }
    }
    s
}

/// A node under `always` with its fresh AOF files committed and clients 1..=3 connected.
fn node() -> Node {
    let mut config = Config::default();
    config.save.clear();
    config.appendonly = true;
    config.appendfsync = AppendFsync::Always;
    let mut n = Node::new(config, 7, now(), ProcessInfo::default());
    n.load_data(now(), &mut |_: &str| Ok(None)).unwrap();
    let start = drain(&mut n);
    for t in start.commits.into_iter().chain(start.syncs) {
        n.handle_persist_done(now(), t, Ok(()));
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
    n
}

/// Complete every fsync asked for until none is left; the connections answered meanwhile.
fn complete_all(n: &mut Node, mut pending: Vec<PersistToken>) -> Vec<ConnId> {
    let mut answered = Vec::new();
    while let Some(t) = pending.pop() {
        n.handle_persist_done(now(), t, Ok(()));
        let s = drain(n);
        answered.extend(s.sends);
        pending.extend(s.syncs);
    }
    answered
}

#[test]
fn a_write_held_for_the_next_fsync_is_answered_after_a_policy_change() {
    for policy in ["everysec", "no"] {
        let mut n = node();
        n.handle_read(now(), ConnId(1), &resp(&["SET", "a", "1"]));
        let first = drain(&mut n);
        assert!(first.sends.is_empty(), "reply before its fsync");
        assert_eq!(first.syncs.len(), 1);
        // Behind the fsync in flight: held for the next one.
        n.handle_read(now(), ConnId(2), &resp(&["SET", "b", "2"]));
        let second = drain(&mut n);
        assert!(second.sends.is_empty() && second.syncs.is_empty());
        n.handle_read(
            now(),
            ConnId(3),
            &resp(&["CONFIG", "SET", "appendfsync", policy]),
        );
        let change = drain(&mut n);
        // The held write's fsync is asked for now or when the one in flight completes.
        let mut pending = first.syncs;
        pending.extend(change.syncs);
        let mut answered = change.sends;
        answered.extend(complete_all(&mut n, pending));
        answered.sort();
        answered.dedup();
        assert_eq!(
            answered,
            vec![ConnId(1), ConnId(2), ConnId(3)],
            "{policy}: every client answered"
        );
        // From now on a write is answered without an fsync.
        n.handle_read(now(), ConnId(1), &resp(&["SET", "c", "3"]));
        let later = drain(&mut n);
        assert_eq!(later.sends, vec![ConnId(1)], "{policy}");
        assert!(later.syncs.is_empty(), "{policy}: no fsync per write");
    }
}

#[test]
fn switching_to_always_fsyncs_the_next_write_before_its_reply() {
    let mut n = node();
    n.handle_read(
        now(),
        ConnId(3),
        &resp(&["CONFIG", "SET", "appendfsync", "everysec"]),
    );
    drain(&mut n);
    n.handle_read(now(), ConnId(1), &resp(&["SET", "a", "1"]));
    let s = drain(&mut n);
    assert_eq!(s.sends, vec![ConnId(1)]);
    assert!(s.syncs.is_empty());
    n.handle_read(
        now(),
        ConnId(3),
        &resp(&["CONFIG", "SET", "appendfsync", "always"]),
    );
    drain(&mut n);
    n.handle_read(now(), ConnId(2), &resp(&["SET", "b", "2"]));
    let s = drain(&mut n);
    assert!(s.sends.is_empty(), "reply before its fsync");
    assert_eq!(s.syncs.len(), 1);
    assert_eq!(complete_all(&mut n, s.syncs), vec![ConnId(2)]);
}
