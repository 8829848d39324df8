//! MIGRATE as a sans-IO exchange: the node asks for a connection, writes `SELECT` and
//! `RESTORE …` requests, holds every client's input until the target's replies are in, then
//! deletes what the target acknowledged and answers. Driven in virtual time with a scripted
//! target; the payloads are checked by restoring them into a second node (RESTORE-ASKING).

mod common;

use common::{encode, sent_to, split_values, Harness};
use hashslot_node::{MigrateId, Output};

/// The one `MigrateConnect` among `outs`.
fn connect_of(outs: &[Output]) -> Option<(MigrateId, String, u16)> {
    outs.iter().find_map(|o| match o {
        Output::MigrateConnect { id, host, port, .. } => Some((*id, host.clone(), *port)),
        _ => None,
    })
}

/// Everything written to MIGRATE connection `id` in `outs`.
fn written(outs: &[Output], id: MigrateId) -> Vec<u8> {
    let mut v = Vec::new();
    for o in outs {
        if let Output::MigrateSend { id: i, data } = o {
            if *i == id {
                v.extend_from_slice(data);
            }
        }
    }
    v
}

/// Split a stream of multibulk requests into argument lists.
fn requests(mut b: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        assert_eq!(b[0], b'*');
        let n: usize = std::str::from_utf8(&b[1..line_end])
            .unwrap()
            .parse()
            .unwrap();
        b = &b[line_end + 2..];
        let mut args = Vec::new();
        for _ in 0..n {
            let le = b.windows(2).position(|w| w == b"\r\n").unwrap();
            let len: usize = std::str::from_utf8(&b[1..le]).unwrap().parse().unwrap();
            args.push(b[le + 2..le + 2 + len].to_vec());
            b = &b[le + 2 + len + 2..];
        }
        out.push(args);
    }
    out
}

fn names(reqs: &[Vec<Vec<u8>>]) -> Vec<String> {
    reqs.iter()
        .map(|r| String::from_utf8_lossy(&r[0]).into_owned())
        .collect()
}

#[test]
fn migrate_moves_keys_and_holds_other_clients_until_done() {
    let mut h = Harness::new();
    let c = h.connect();
    let other = h.connect();
    h.cmd(c, &["SET", "a", "1"]);
    h.cmd(c, &["RPUSH", "l", "x", "y"]);
    h.cmd(c, &["SET", "t", "v", "PX", "50000"]);

    let outs = h.feed(
        c,
        &encode(&[
            "MIGRATE", "10.0.0.9", "7001", "", "0", "5000", "KEYS", "a", "l", "t", "nope",
        ]),
    );
    let (id, host, port) = connect_of(&outs).expect("connect");
    assert_eq!((host.as_str(), port), ("10.0.0.9", 7001));
    assert!(sent_to(&outs, c).is_empty(), "the client waits");

    // Another client's command waits too.
    let outs = h.feed(other, &encode(&["GET", "a"]));
    assert!(sent_to(&outs, other).is_empty());

    let now = h.now;
    h.node.handle_migrate_connected(now, id);
    let outs = h.advance(0);
    let reqs = requests(&written(&outs, id));
    assert_eq!(names(&reqs), ["SELECT", "RESTORE", "RESTORE", "RESTORE"]);
    assert_eq!(reqs[1][1], b"a");
    assert_eq!(reqs[1][2], b"0");
    let ttl: i64 = std::str::from_utf8(&reqs[3][2]).unwrap().parse().unwrap();
    assert!((1..=50000).contains(&ttl), "{ttl}");

    // Replies in two pieces: nothing happens until the last line.
    let now = h.now;
    h.node.handle_migrate_read(now, id, b"+OK\r\n+OK\r\n+O");
    let outs = h.advance(0);
    assert!(sent_to(&outs, c).is_empty());
    h.node.handle_migrate_read(now, id, b"K\r\n+OK\r\n");
    let outs = h.advance(0);
    assert_eq!(sent_to(&outs, c), b"+OK\r\n");
    assert_eq!(
        sent_to(&outs, other),
        b"$-1\r\n",
        "deleted before the held GET ran"
    );
    assert_eq!(h.cmd(c, &["EXISTS", "a", "l", "t"]), b":0\r\n");

    // The socket is cached: no connect and no SELECT the second time.
    h.cmd(c, &["SET", "b", "2"]);
    let outs = h.feed(
        c,
        &encode(&["MIGRATE", "10.0.0.9", "7001", "b", "0", "5000", "COPY"]),
    );
    assert!(connect_of(&outs).is_none());
    let reqs = requests(&written(&outs, id));
    assert_eq!(names(&reqs), ["RESTORE"]);
    let now = h.now;
    h.node.handle_migrate_read(now, id, b"+OK\r\n");
    let outs = h.advance(0);
    assert_eq!(sent_to(&outs, c), b"+OK\r\n");
    assert_eq!(
        h.cmd(c, &["GET", "b"]),
        b"$1\r\n2\r\n",
        "COPY keeps the key"
    );

    // Idle for 10 s: the cached socket is closed.
    let outs = h.advance(11_000);
    assert!(outs
        .iter()
        .any(|o| matches!(o, Output::MigrateClose { id: i } if *i == id)));
}

#[test]
fn migrate_replies_nokey_errors_and_timeouts() {
    let mut h = Harness::new();
    let c = h.connect();
    assert_eq!(
        h.cmd(c, &["MIGRATE", "h", "1", "nope", "0", "100"]),
        b"+NOKEY\r\n"
    );
    let e = h.cmd(c, &["MIGRATE", "h", "1", "k", "0", "100", "KEYS", "a"]);
    assert!(
        e.starts_with(b"-ERR When using MIGRATE KEYS option"),
        "{e:?}"
    );
    assert_eq!(
        h.cmd(c, &["MIGRATE", "h", "1", "k", "0", "100", "AUTH"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(
        h.cmd(c, &["MIGRATE", "h", "1", "k", "x", "100"]),
        b"-ERR value is not an integer or out of range\r\n"
    );

    // The target refuses a key: its error is relayed, the key stays; others go.
    h.cmd(c, &["MSET", "k1", "1", "k2", "2"]);
    let outs = h.feed(
        c,
        &encode(&[
            "MIGRATE", "h", "2", "", "0", "100", "AUTH", "pw", "KEYS", "k1", "k2",
        ]),
    );
    let (id, _, _) = connect_of(&outs).unwrap();
    let now = h.now;
    h.node.handle_migrate_connected(now, id);
    let outs = h.advance(0);
    assert_eq!(
        names(&requests(&written(&outs, id))),
        ["AUTH", "SELECT", "RESTORE", "RESTORE"]
    );
    h.node.handle_migrate_read(
        now,
        id,
        b"+OK\r\n+OK\r\n-BUSYKEY Target key name already exists.\r\n+OK\r\n",
    );
    let outs = h.advance(0);
    assert_eq!(
        sent_to(&outs, c),
        b"-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"
    );
    assert_eq!(h.cmd(c, &["EXISTS", "k1", "k2"]), b":1\r\n");

    // Connect timeout.
    let outs = h.feed(c, &encode(&["MIGRATE", "h", "3", "k1", "0", "100"]));
    let (id, _, _) = connect_of(&outs).unwrap();
    let outs = h.advance(150);
    assert_eq!(
        sent_to(&outs, c),
        b"-IOERR error or timeout connecting to the client\r\n"
    );
    assert!(outs
        .iter()
        .any(|o| matches!(o, Output::MigrateClose { id: i } if *i == id)));

    // Read timeout: no reply within the timeout.
    let outs = h.feed(c, &encode(&["MIGRATE", "h", "4", "k1", "0", "100"]));
    let (id, _, _) = connect_of(&outs).unwrap();
    let now = h.now;
    h.node.handle_migrate_connected(now, id);
    h.advance(50);
    let outs = h.advance(100);
    assert_eq!(
        sent_to(&outs, c),
        b"-IOERR error or timeout reading to target instance\r\n"
    );
    assert_eq!(h.cmd(c, &["EXISTS", "k1"]), b":1\r\n");

    // A cached socket found closed before any reply: one retry on a fresh connection.
    let outs = h.feed(c, &encode(&["MIGRATE", "h", "5", "k1", "0", "1000"]));
    let (id, _, _) = connect_of(&outs).unwrap();
    let now = h.now;
    h.node.handle_migrate_connected(now, id);
    h.node.handle_migrate_closed(now, id);
    let outs = h.advance(0);
    let (id2, _, _) = connect_of(&outs).expect("reconnect");
    assert_ne!(id, id2);
    h.node.handle_migrate_connected(now, id2);
    let outs = h.advance(0);
    assert_eq!(
        names(&requests(&written(&outs, id2))),
        ["SELECT", "RESTORE"]
    );
    h.node.handle_migrate_read(now, id2, b"+OK\r\n+OK\r\n");
    let outs = h.advance(0);
    assert_eq!(sent_to(&outs, c), b"+OK\r\n");
    assert_eq!(h.cmd(c, &["EXISTS", "k1"]), b":0\r\n");
}

#[test]
fn payloads_restore_on_another_node() {
    let mut src = Harness::new();
    let mut dst = Harness::new();
    let c = src.connect();
    let d = dst.connect();
    src.cmd(c, &["SET", "s", "hello"]);
    src.cmd(c, &["SET", "n", "12345"]);
    src.cmd(c, &["RPUSH", "l", "a", "b", "c"]);
    src.cmd(c, &["HSET", "h", "f1", "v1", "f2", "v2"]);
    src.cmd(c, &["SADD", "st", "x", "y", "1"]);
    src.cmd(c, &["SADD", "is", "1", "2", "3"]);
    src.cmd(c, &["ZADD", "z", "1.5", "m1", "2", "m2"]);
    src.cmd(c, &["SET", "e", "v", "EX", "100"]);
    let keys = ["s", "n", "l", "h", "st", "is", "z", "e"];
    let mut args = vec!["MIGRATE", "h", "1", "", "0", "1000", "KEYS"];
    args.extend(keys);
    let outs = src.feed(c, &encode(&args));
    let (id, _, _) = connect_of(&outs).unwrap();
    let now = src.now;
    src.node.handle_migrate_connected(now, id);
    let outs = src.advance(0);
    let reqs = requests(&written(&outs, id));
    let mut replies = Vec::new();
    for r in &reqs {
        let mut args: Vec<&[u8]> = r.iter().map(|a| a.as_slice()).collect();
        if args[0] == b"RESTORE" {
            args[0] = b"RESTORE-ASKING";
        }
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in &args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        replies.extend(dst.raw(d, &req));
    }
    assert_eq!(split_values(&replies).len(), keys.len() + 1);
    src.node.handle_migrate_read(now, id, &replies);
    let outs = src.advance(0);
    assert_eq!(sent_to(&outs, c), b"+OK\r\n");
    assert_eq!(src.cmd(c, &["DBSIZE"]), b":0\r\n");
    assert_eq!(dst.cmd(d, &["GET", "s"]), b"$5\r\nhello\r\n");
    assert_eq!(dst.cmd(d, &["GET", "n"]), b"$5\r\n12345\r\n");
    assert_eq!(
        dst.cmd(d, &["LRANGE", "l", "0", "-1"]),
        b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(dst.cmd(d, &["HGET", "h", "f2"]), b"$2\r\nv2\r\n");
    assert_eq!(dst.cmd(d, &["SCARD", "st"]), b":3\r\n");
    assert_eq!(dst.cmd(d, &["SISMEMBER", "is", "2"]), b":1\r\n");
    assert_eq!(dst.cmd(d, &["ZSCORE", "z", "m1"]), b"$3\r\n1.5\r\n");
    let ttl = dst.cmd_str(d, &["TTL", "e"]);
    assert!(ttl == ":100\r\n" || ttl == ":99\r\n", "{ttl}");
    // Without REPLACE an existing key is refused.
    let again = format!(
        "*4\r\n$14\r\nRESTORE-ASKING\r\n$1\r\ns\r\n$1\r\n0\r\n${}\r\n",
        reqs[1][3].len()
    );
    let mut req = again.into_bytes();
    req.extend_from_slice(&reqs[1][3]);
    req.extend_from_slice(b"\r\n");
    assert_eq!(
        dst.raw(d, &req),
        b"-BUSYKEY Target key name already exists.\r\n"
    );
}
