//! In-process persistence: SAVE's outputs and its held reply, BGSAVE serving between steps
//! with a point-in-time file, DUMP/RESTORE round trip and errors.

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
    config.save.clear();
    let mut n = Node::new(config, 7, now_at(0), ProcessInfo::default());
    let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    n.handle_accept(
        now_at(0),
        ConnId(1),
        ClientAddr {
            peer,
            local: peer,
            fd: 1,
        },
    );
    n
}

fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend(format!("${}\r\n", a.len()).bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

fn run(n: &mut Node, now: Now, args: &[&[u8]]) -> (Vec<u8>, Vec<Output>) {
    n.handle_read(now, ConnId(1), &resp(args));
    let mut sent = Vec::new();
    let mut other = Vec::new();
    while let Some(o) = n.poll_output() {
        match o {
            Output::Send { data, .. } => sent.extend_from_slice(&data),
            Output::Log { .. } => {}
            o => other.push(o),
        }
    }
    (sent, other)
}

/// Collect the file bytes of file outputs and the commit token.
fn file_image(outs: &[Output]) -> (Vec<u8>, Option<PersistToken>) {
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
    (data, token)
}

#[test]
fn save_reply_waits_for_the_commit() {
    let mut n = node();
    run(&mut n, now_at(1), &[b"SET", b"k", b"v"]);
    let (sent, outs) = run(&mut n, now_at(2), &[b"SAVE"]);
    assert!(sent.is_empty(), "no reply before the commit");
    assert!(matches!(outs[0], Output::FileOpen { append: false, .. }));
    let (image, token) = file_image(&outs);
    let loaded = hashslot_persist::load(&image, &Default::default()).unwrap();
    assert_eq!(loaded.info.keys, 1);
    // A later request waits behind the held reply.
    let (sent, _) = run(&mut n, now_at(3), &[b"PING"]);
    assert!(sent.is_empty());
    n.handle_persist_done(now_at(4), token.unwrap(), Ok(()));
    let mut sent = Vec::new();
    while let Some(o) = n.poll_output() {
        if let Output::Send { data, .. } = o {
            sent.extend_from_slice(&data);
        }
    }
    assert_eq!(sent, b"+OK\r\n+PONG\r\n");
    let (sent, _) = run(&mut n, now_at(5), &[b"INFO", b"persistence"]);
    let info = String::from_utf8(sent).unwrap();
    assert!(info.contains("rdb_changes_since_last_save:0"), "{info}");
    assert!(info.contains("rdb_saves:1"), "{info}");
}

#[test]
fn failed_save_replies_err() {
    let mut n = node();
    let (_, outs) = run(&mut n, now_at(1), &[b"SAVE"]);
    let (_, token) = file_image(&outs);
    n.handle_persist_done(
        now_at(2),
        token.unwrap(),
        Err("No space left on device".into()),
    );
    let mut sent = Vec::new();
    while let Some(o) = n.poll_output() {
        if let Output::Send { data, .. } = o {
            sent.extend_from_slice(&data);
        }
    }
    assert_eq!(sent, b"-ERR\r\n");
}

#[test]
fn bgsave_serves_between_steps_and_keeps_the_point_in_time() {
    let mut n = node();
    for i in 0..50_000 {
        let k = format!("key:{i}");
        run(&mut n, now_at(1), &[b"SET", k.as_bytes(), b"old"]);
    }
    let (sent, mut outs) = run(&mut n, now_at(2), &[b"BGSAVE"]);
    assert_eq!(sent, b"+Background saving started\r\n");
    let mut steps = 0;
    let mut t = 3;
    loop {
        // Writes between steps: the file must still hold the old values.
        let k = format!("key:{}", t * 7 % 50_000);
        let (sent, o) = run(&mut n, now_at(t), &[b"SET", k.as_bytes(), b"new"]);
        assert_eq!(sent, b"+OK\r\n");
        outs.extend(o);
        run(&mut n, now_at(t), &[b"DEL", b"key:1"]);
        if outs.iter().any(|o| matches!(o, Output::FileCommit { .. })) {
            break;
        }
        n.handle_timeout(now_at(t));
        while let Some(o) = n.poll_output() {
            outs.push(o);
        }
        steps += 1;
        t += 1;
        assert!(steps < 1000);
    }
    assert!(
        steps > 1,
        "the save was spread over several steps ({steps})"
    );
    let (image, token) = file_image(&outs);
    let loaded = hashslot_persist::load(&image, &Default::default()).unwrap();
    assert_eq!(loaded.info.keys, 50_000);
    let mut checked = 0;
    for (k, v, _) in loaded.dbs[0].iter() {
        let hashslot_keyspace::ValueRef::Str(hashslot_keyspace::StrRef::Bytes(b), _) = v else {
            panic!("{k:?} is not a string");
        };
        assert_eq!(b, b"old", "{k:?} saved after the snapshot");
        checked += 1;
    }
    assert_eq!(checked, 50_000);
    n.handle_persist_done(now_at(t + 1), token.unwrap(), Ok(()));
    let (sent, _) = run(&mut n, now_at(t + 2), &[b"INFO", b"persistence"]);
    let info = String::from_utf8(sent).unwrap();
    assert!(info.contains("rdb_bgsave_in_progress:0"), "{info}");
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
}

#[test]
fn dump_restore_round_trip_and_errors() {
    let mut n = node();
    run(&mut n, now_at(1), &[b"RPUSH", b"l", b"a", b"b"]);
    let (dump, _) = run(&mut n, now_at(1), &[b"DUMP", b"l"]);
    let start = dump.iter().position(|&b| b == b'\n').unwrap() + 1;
    let payload = &dump[start..dump.len() - 2];
    let (r, _) = run(&mut n, now_at(2), &[b"RESTORE", b"l2", b"0", payload]);
    assert_eq!(r, b"+OK\r\n");
    let (r, _) = run(&mut n, now_at(2), &[b"LRANGE", b"l2", b"0", b"-1"]);
    assert_eq!(r, b"*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    let (r, _) = run(&mut n, now_at(2), &[b"RESTORE", b"l2", b"0", payload]);
    assert_eq!(r, b"-BUSYKEY Target key name already exists.\r\n");
    let (r, _) = run(&mut n, now_at(2), &[b"RESTORE", b"l3", b"-1", payload]);
    assert_eq!(r, b"-ERR Invalid TTL value, must be >= 0\r\n");
    let (r, _) = run(
        &mut n,
        now_at(2),
        &[b"RESTORE", b"l3", b"0", b"garbage-payload"],
    );
    assert_eq!(r, b"-ERR DUMP payload version or checksum are wrong\r\n");
    let (r, _) = run(
        &mut n,
        now_at(2),
        &[b"RESTORE", b"l2", b"5000", payload, b"REPLACE"],
    );
    assert_eq!(r, b"+OK\r\n");
    let (r, _) = run(&mut n, now_at(2), &[b"PTTL", b"l2"]);
    assert_eq!(r, b":5000\r\n");
    let (r, _) = run(
        &mut n,
        now_at(2),
        &[b"RESTORE", b"l4", b"0", payload, b"FREQ", b"300"],
    );
    assert_eq!(r, b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n");
    let (r, _) = run(&mut n, now_at(2), &[b"DUMP", b"missing"]);
    assert_eq!(r, b"$-1\r\n");
}
