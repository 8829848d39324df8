//! DUMP and RESTORE between redis-server and our node, both ways, every type and encoding:
//! each key DUMPed on one is RESTOREd on the other (with its TTL) and both then hold the same
//! dataset; RESTORE's ABSTTL and IDLETIME mean the same on both (OBJECT IDLETIME).
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use persistence_support::{assert_same, fill_varied, ok, snapshot, spawn, Snapshot};
use support::{require_tool, unique_dir, Client, Flavor, Value};

/// DUMP every key of db 0 and 2 of `from` and RESTORE it (absolute TTL) on `to`.
fn copy_all(from: &mut Client, to: &mut Client, keys: &Snapshot) {
    for ((db, key), (_, _, exp)) in keys {
        ok(from, &["SELECT", &db.to_string()]);
        ok(to, &["SELECT", &db.to_string()]);
        let payload = Value::parse(&from.cmd(&[b"DUMP".as_slice(), key])).unwrap();
        let payload = payload.bytes().expect("a payload").to_vec();
        let ttl = if *exp < 0 { 0 } else { *exp };
        let r = to.cmd(&[
            b"RESTORE".as_slice(),
            key,
            ttl.to_string().as_bytes(),
            &payload,
            b"ABSTTL",
        ]);
        assert_eq!(r, b"+OK\r\n", "{}", String::from_utf8_lossy(key));
    }
    ok(from, &["SELECT", "0"]);
    ok(to, &["SELECT", "0"]);
}

#[test]
fn dump_payloads_restore_on_the_other_server() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let (dir_r, dir_o) = (unique_dir("dump-r"), unique_dir("dump-o"));
    let args = ["--save", "", "--appendonly", "no"];
    for from_redis in [true, false] {
        let r = spawn(Flavor::Redis, &dir_r, &args);
        let o = spawn(Flavor::Node, &dir_o, &args);
        let (src, dst) = if from_redis { (&r, &o) } else { (&o, &r) };
        let (mut a, mut b) = (src.client(), dst.client());
        fill_varied(&mut a);
        let want = snapshot(&mut a, 3);
        copy_all(&mut a, &mut b, &want);
        let what = if from_redis {
            "redis → ours"
        } else {
            "ours → redis"
        };
        assert_same(what, &snapshot(&mut b, 3), &want);
    }
    let _ = (
        std::fs::remove_dir_all(dir_r),
        std::fs::remove_dir_all(dir_o),
    );
}

#[test]
fn restore_idletime_and_replace_agree_with_redis() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let dir = unique_dir("dump-idle");
    let args = ["--save", "", "--appendonly", "no"];
    let mut replies = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Node] {
        let p = spawn(flavor, &dir, &args);
        let mut c = p.client();
        ok(&mut c, &["RPUSH", "src", "a", "b"]);
        let payload = Value::parse(&c.cmd(&["DUMP", "src"])).unwrap();
        let payload = payload.bytes().unwrap().to_vec();
        let mut run = |args: &[&[u8]]| String::from_utf8_lossy(&c.cmd(args)).into_owned();
        let script: Vec<Vec<&[u8]>> = vec![
            vec![b"RESTORE", b"k", b"0", &payload, b"IDLETIME", b"1000"],
            vec![b"OBJECT", b"IDLETIME", b"k"],
            vec![b"RESTORE", b"k", b"0", &payload],
            vec![b"RESTORE", b"k", b"0", &payload, b"REPLACE", b"FREQ", b"5"],
            vec![b"OBJECT", b"IDLETIME", b"k"],
            vec![
                b"RESTORE",
                b"k",
                b"0",
                &payload,
                b"REPLACE",
                b"IDLETIME",
                b"-1",
            ],
            vec![
                b"RESTORE", b"k", b"0", &payload, b"REPLACE", b"FREQ", b"256",
            ],
            vec![
                b"RESTORE",
                b"k",
                b"0",
                &payload,
                b"REPLACE",
                b"IDLETIME",
                b"1",
                b"FREQ",
                b"1",
            ],
            vec![b"RESTORE", b"k", b"1", &payload, b"REPLACE", b"ABSTTL"],
            vec![b"EXISTS", b"k"],
            vec![b"OBJECT", b"FREQ", b"src"],
            vec![b"RESTORE", b"k", b"0", b"garbage"],
        ];
        replies.push(script.iter().map(|a| run(a)).collect::<Vec<_>>());
    }
    assert_eq!(replies[0], replies[1], "redis vs ours");
    let _ = std::fs::remove_dir_all(dir);
}
