//! In-process DEBUG RELOAD: the file outputs and the held reply (save, then `+OK` only when
//! the commit completes, `-ERR` when it fails), the data reloaded at once (other clients see it
//! before the reply), and NOSAVE's `Output::LoadRdbFile` contract (`+OK` after the bytes come
//! back; a missing file empties the dataset and fails).

use std::net::SocketAddr;

use hashslot_node::{ClientAddr, Config, Node, Output, PersistToken, ProcessInfo};
use hashslot_types::{ConnId, Instant, Now, UnixMillis};

fn now_at(ms: u64) -> Now {
    Now::new(
        Instant::from_nanos(ms * 1_000_000),
        UnixMillis(1_700_000_000_000 + ms as i64),
    )
}

fn node() -> Node {
    let mut config = Config::default();
    config
        .apply_startup("enable-debug-command", &[b"yes".to_vec()])
        .expect("enable DEBUG");
    config.finish_startup().expect("finish");
    config.save.clear();
    let mut n = Node::new(config, 7, now_at(0), ProcessInfo::default());
    for conn in [1, 2] {
        let peer: SocketAddr = format!("127.0.0.1:{}", 50000 + conn).parse().unwrap();
        n.handle_accept(
            now_at(0),
            ConnId(conn),
            ClientAddr {
                peer,
                local: peer,
                fd: conn as i64,
            },
        );
    }
    n
}

fn resp(args: &[&str]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend(format!("${}\r\n{a}\r\n", a.len()).bytes());
    }
    v
}

/// Replies sent to `conn`, and the other outputs (logs left out).
fn drain(n: &mut Node, conn: u64) -> (Vec<u8>, Vec<Output>) {
    let mut sent = Vec::new();
    let mut other = Vec::new();
    while let Some(o) = n.poll_output() {
        match o {
            Output::Send { conn: c, data } if c == ConnId(conn) => sent.extend_from_slice(&data),
            Output::Send { .. } | Output::Log { .. } => {}
            o => other.push(o),
        }
    }
    (sent, other)
}

fn run(n: &mut Node, now: Now, conn: u64, args: &[&str]) -> (Vec<u8>, Vec<Output>) {
    n.handle_read(now, ConnId(conn), &resp(args));
    drain(n, conn)
}

/// The commit token and the bytes written, of a save to `dump.rdb`.
fn commit(outs: &[Output]) -> (PersistToken, Vec<u8>) {
    let mut data = Vec::new();
    let mut token = None;
    for o in outs {
        match o {
            Output::FileWrite { data: d, .. } => data.extend_from_slice(d),
            Output::FileCommit {
                token: t,
                final_path,
                ..
            } => {
                assert_eq!(final_path, "dump.rdb");
                token = Some(*t);
            }
            _ => {}
        }
    }
    (token.expect("a commit"), data)
}

#[test]
fn reload_saves_reloads_at_once_and_replies_after_the_commit() {
    let mut n = node();
    let t = now_at(10);
    run(&mut n, t, 1, &["SET", "k", "v"]);
    run(&mut n, t, 1, &["PEXPIRE", "k", "100000"]);
    let (sent, outs) = run(&mut n, t, 1, &["DEBUG", "RELOAD"]);
    assert!(sent.is_empty(), "the reply waits for the commit");
    let (token, image) = commit(&outs);
    assert!(image.starts_with(b"REDIS0010"));
    // Another client sees the reloaded dataset (TTL kept) before the reply.
    assert_eq!(run(&mut n, t, 2, &["PTTL", "k"]).0, b":100000\r\n");
    n.handle_persist_done(t, token, Ok(()));
    assert_eq!(drain(&mut n, 1).0, b"+OK\r\n");

    // A failed save: Redis's bare -ERR.
    let (_, outs) = run(&mut n, t, 1, &["DEBUG", "RELOAD", "MERGE"]);
    let (token, _) = commit(&outs);
    n.handle_persist_done(t, token, Err("No space left on device".into()));
    assert_eq!(drain(&mut n, 1).0, b"-ERR\r\n");
    assert_eq!(run(&mut n, t, 1, &["GET", "k"]).0, b"$1\r\nv\r\n");
}

#[test]
fn nosave_loads_what_the_driver_reads() {
    let mut n = node();
    let t = now_at(10);
    run(&mut n, t, 1, &["SET", "k", "v"]);
    let (_, outs) = run(&mut n, t, 1, &["DEBUG", "RELOAD"]);
    let (token, image) = commit(&outs);
    n.handle_persist_done(t, token, Ok(()));
    drain(&mut n, 1);
    run(&mut n, t, 1, &["SET", "k", "changed"]);
    run(&mut n, t, 1, &["SET", "other", "x"]);

    let (sent, outs) = run(&mut n, t, 1, &["DEBUG", "RELOAD", "NOSAVE"]);
    assert!(sent.is_empty());
    let conn = outs
        .iter()
        .find_map(|o| match o {
            Output::LoadRdbFile { conn, path } => {
                assert_eq!(path, "dump.rdb");
                Some(*conn)
            }
            _ => None,
        })
        .expect("LoadRdbFile");
    // The client's next request waits behind the reload.
    n.handle_read(t, ConnId(1), &resp(&["GET", "k"]));
    assert!(drain(&mut n, 1).0.is_empty());
    n.handle_rdb_file_read(t, conn, Ok(Some(image)));
    assert_eq!(drain(&mut n, 1).0, b"+OK\r\n$1\r\nv\r\n");
    assert_eq!(run(&mut n, t, 1, &["EXISTS", "other"]).0, b":0\r\n");

    // No file: emptied, then the error.
    let (_, outs) = run(&mut n, t, 1, &["DEBUG", "RELOAD", "NOSAVE"]);
    assert!(outs.iter().any(|o| matches!(o, Output::LoadRdbFile { .. })));
    n.handle_rdb_file_read(t, ConnId(1), Ok(None));
    assert_eq!(
        drain(&mut n, 1).0,
        b"-ERR Error trying to load the RDB dump\r\n"
    );
    assert_eq!(run(&mut n, t, 1, &["DBSIZE"]).0, b":0\r\n");
}

#[test]
fn inside_exec_the_reply_is_immediate_and_nosave_is_refused() {
    let mut n = node();
    let t = now_at(10);
    run(&mut n, t, 1, &["SET", "k", "v"]);
    run(&mut n, t, 1, &["MULTI"]);
    run(&mut n, t, 1, &["DEBUG", "RELOAD"]);
    run(&mut n, t, 1, &["DEBUG", "RELOAD", "NOSAVE"]);
    run(&mut n, t, 1, &["GET", "k"]);
    let (sent, outs) = run(&mut n, t, 1, &["EXEC"]);
    assert_eq!(
        sent,
        b"*3\r\n+OK\r\n-ERR DEBUG RELOAD NOSAVE is not supported inside MULTI/EXEC\r\n$1\r\nv\r\n"
    );
    let (token, _) = commit(&outs);
    n.handle_persist_done(t, token, Ok(()));
    assert!(drain(&mut n, 1).0.is_empty(), "no second reply");
}
