//! Migration between a real `redis-server` 7.0.15 master and one of ours, both directions, in
//! one cluster: `redis-cli --cluster reshard` moves slots holding keys of every type and
//! encoding (strings raw/int/large, lists, hashes, sets int/str/large, zsets small/large, TTLs)
//! from Redis to ours and back; every key is then identical (type, value, TTL within a
//! margin). Then a raw `MIGRATE … KEYS …` session (BUSYKEY, COPY, REPLACE, NOKEY, the single-key
//! form, a refused SELECT, AUTH and AUTH2) runs once with Redis as the source and once with ours:
//! both sessions must produce the same replies and leave the same keys. Last, `CLUSTER
//! MIGRATESLOTS` on our node moves slots of every type to the Redis master by itself.
// A process test: it polls real processes against wall-clock deadlines.
#![allow(clippy::disallowed_methods)]
mod cluster_support;
mod migrate_support;

use std::time::Duration;

use cluster_support::{
    all_logs, create_cluster, have_tools, plain, redis_cli, wait_agree, wait_state_ok, Kind, Node,
    Reply, TempDir, NODE_TIMEOUT_MS,
};
use migrate_support::{assert_same, keys_of, run_all, slot_commands, slot_tags, snapshot, Conn};

/// Slots moved by the reshard (the first ones the Redis master owns: redis-cli takes a
/// source's slots in ascending order).
const MOVED: std::ops::Range<u16> = 0..10;
/// TTLs may drop this much while the test runs (debug build, shared machine).
const TTL_SLACK_MS: i64 = 120_000;

fn count_in_slot(n: &Node, slot: u16) -> i64 {
    match n.cmd(&["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]) {
        Reply::Int(c) => c,
        r => panic!("{}: COUNTKEYSINSLOT {slot}: {r:?}", n.port),
    }
}

fn reshard(nodes: &[Node], from: &Node, to: &Node, slots: usize) {
    let n = slots.to_string();
    let (from_id, to_id) = (from.myid(), to.myid());
    let run = redis_cli(
        &[
            "--cluster",
            "reshard",
            &from.addr(),
            "--cluster-from",
            &from_id,
            "--cluster-to",
            &to_id,
            "--cluster-slots",
            &n,
            "--cluster-yes",
        ],
        Duration::from_secs(120),
    );
    if run.success != Some(true) {
        panic!(
            "reshard {} -> {} failed\n{}\n{}\n{}",
            from.kind.label(),
            to.kind.label(),
            plain(&run.stdout),
            run.stderr,
            all_logs(nodes)
        );
    }
    wait_agree(nodes, Duration::from_secs(30));
    let check = redis_cli(&["--cluster", "check", &to.addr()], Duration::from_secs(30));
    let out = plain(&check.stdout);
    assert!(
        out.contains("[OK] All 16384 slots covered.") && !out.contains("[WARNING]"),
        "{out}"
    );
}

#[test]
fn reshard_between_redis_and_ours_keeps_every_key() {
    if !have_tools(&["redis-server", "redis-cli"]) {
        return;
    }
    let root = TempDir::new("migrate-mixed");
    let nodes = vec![
        Node::start(Kind::Redis, &root.0, NODE_TIMEOUT_MS),
        Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS),
    ];
    // Redis owns 0-8191, ours 8192-16383.
    create_cluster(&nodes, 2);
    let (redis, ours) = (&nodes[0], &nodes[1]);
    let tags = slot_tags();
    let mut keys = Vec::new();
    for slot in MOVED {
        let cmds = slot_commands(&tags[slot as usize], 1);
        run_all(redis.port, &cmds);
        keys.extend(keys_of(&cmds));
    }
    // A slot that does not move: its keys must stay put and unchanged.
    let still = slot_commands(&tags[100], 1);
    run_all(redis.port, &still);
    let still_keys = keys_of(&still);
    let still_before = snapshot(redis.port, &still_keys, false);
    let per_slot = keys.len() as i64 / MOVED.len() as i64;
    let before = snapshot(redis.port, &keys, false);
    assert!(before.values().all(Option::is_some));

    reshard(&nodes, redis, ours, MOVED.len());
    for slot in MOVED {
        assert_eq!(count_in_slot(ours, slot), per_slot, "slot {slot} on ours");
        assert_eq!(count_in_slot(redis, slot), 0, "slot {slot} on redis");
    }
    let on_ours = snapshot(ours.port, &keys, false);
    assert_same("redis -> ours", &before, &on_ours, TTL_SLACK_MS);

    reshard(&nodes, ours, redis, MOVED.len());
    for slot in MOVED {
        assert_eq!(count_in_slot(redis, slot), per_slot, "slot {slot} on redis");
        assert_eq!(count_in_slot(ours, slot), 0, "slot {slot} on ours");
    }
    let back = snapshot(redis.port, &keys, false);
    assert_same("ours -> redis", &before, &back, TTL_SLACK_MS);
    let still_after = snapshot(redis.port, &still_keys, false);
    assert_same("unmoved slot", &still_before, &still_after, TTL_SLACK_MS);
    wait_state_ok(&nodes, Duration::from_secs(30));
}

/// One reply as a line of the transcript (ASK redirects without their address, which differs
/// between the two runs).
fn line(r: &Reply) -> String {
    match r {
        Reply::Error(e) if e.starts_with("ASK ") => "-ASK".into(),
        Reply::Error(e) => format!("-{e}"),
        Reply::Status(s) => format!("+{s}"),
        Reply::Int(i) => format!(":{i}"),
        Reply::Bulk(Some(b)) => format!("${}", String::from_utf8_lossy(b)),
        Reply::Bulk(None) => "$nil".into(),
        Reply::Array(a) => format!("*{}", a.iter().map(line).collect::<Vec<_>>().join(",")),
    }
}

/// Open `slot` from `src` to `dst` and run the MIGRATE session on `src`; returns the
/// transcript (with the keys' final places) and leaves the slot owned by `dst`.
fn migrate_session(src: &Node, dst: &Node, slot: u16, tag: &str) -> Vec<String> {
    let s = slot.to_string();
    let (src_id, dst_id) = (src.myid(), dst.myid());
    let k = |n: &str| format!("{{{tag}}}{n}");
    let mut sc = Conn::connect(src.port).unwrap();
    let mut dc = Conn::connect(dst.port).unwrap();
    let v = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    sc.pipeline(&[
        v(&["SET", &k("a"), "1"]),
        v(&["SET", &k("b"), "src-b"]),
        v(&["HSET", &k("h"), "f", "v", "g", "w"]),
        v(&["SET", &k("c"), "c"]),
        v(&["RPUSH", &k("d"), "d1", "d2"]),
        v(&["SET", &k("e"), "e", "PX", "500000"]),
        v(&["SET", &k("f"), "f"]),
    ])
    .unwrap();
    // Open the slot once the source holds its keys (new keys would be sent to the target).
    dst.ok(&["CLUSTER", "SETSLOT", &s, "IMPORTING", &src_id]);
    src.ok(&["CLUSTER", "SETSLOT", &s, "MIGRATING", &dst_id]);
    dc.pipeline(&[v(&["ASKING"]), v(&["SET", &k("b"), "dst-b"])])
        .unwrap();
    let port = dst.port.to_string();
    let migrate = |extra: &[&str]| {
        let mut a = vec!["MIGRATE", "127.0.0.1", &port];
        a.extend_from_slice(extra);
        a.iter().map(|x| x.to_string()).collect::<Vec<String>>()
    };
    let mut t = Vec::new();
    let on_src = |c: &mut Conn, t: &mut Vec<String>, cmd: Vec<String>| {
        let r = c.cmd(&cmd).unwrap();
        t.push(format!("src {} -> {}", cmd[3..].join(" "), line(&r)));
    };
    // BUSYKEY for b: a still moves, b stays.
    on_src(
        &mut sc,
        &mut t,
        migrate(&["", "0", "5000", "KEYS", &k("a"), &k("b")]),
    );
    // COPY REPLACE: b and h overwrite / land on the target and stay on the source.
    on_src(
        &mut sc,
        &mut t,
        migrate(&["", "0", "5000", "COPY", "REPLACE", "KEYS", &k("b"), &k("h")]),
    );
    on_src(
        &mut sc,
        &mut t,
        migrate(&["", "0", "5000", "KEYS", &k("x"), &k("y")]),
    );
    on_src(&mut sc, &mut t, migrate(&[&k("c"), "0", "5000"]));
    on_src(&mut sc, &mut t, migrate(&[&k("c"), "0", "5000"]));
    // The target refuses SELECT in cluster mode.
    on_src(&mut sc, &mut t, migrate(&[&k("d"), "1", "5000"]));
    // REPLACE without COPY, and a TTL carried over.
    on_src(
        &mut sc,
        &mut t,
        migrate(&["", "0", "5000", "REPLACE", "KEYS", &k("b"), &k("e")]),
    );
    // AUTH / AUTH2 against a password-protected target.
    dc.cmd(&["CONFIG", "SET", "requirepass", "s3cret"]).unwrap();
    on_src(
        &mut sc,
        &mut t,
        migrate(&[&k("d"), "0", "5000", "AUTH", "wrong"]),
    );
    on_src(
        &mut sc,
        &mut t,
        migrate(&[&k("d"), "0", "5000", "AUTH", "s3cret"]),
    );
    on_src(
        &mut sc,
        &mut t,
        migrate(&[
            "",
            "0",
            "5000",
            "AUTH2",
            "default",
            "s3cret",
            "KEYS",
            &k("f"),
        ]),
    );
    dc.cmd(&["CONFIG", "SET", "requirepass", ""]).unwrap();
    // Where every key is now.
    for n in ["a", "b", "c", "d", "e", "f", "h", "x"] {
        let key = k(n);
        let get = |c: &mut Conn, asking: bool| {
            let mut cmds = Vec::new();
            if asking {
                cmds.push(v(&["ASKING"]));
            }
            cmds.push(v(&["DUMP", &key]));
            if asking {
                cmds.push(v(&["ASKING"]));
            }
            cmds.push(v(&["TYPE", &key]));
            let mut r = c.pipeline(&cmds).unwrap();
            let ty = line(&r.pop().unwrap());
            let dump = r.swap_remove(asking as usize);
            let present = match dump {
                Reply::Bulk(Some(_)) => "present".to_string(),
                other => line(&other),
            };
            format!("{present} {ty}")
        };
        let a = get(&mut sc, false);
        let b = get(&mut dc, true);
        t.push(format!("{n}: src {a} / dst {b}"));
    }
    let val = |c: &mut Conn, cmd: Vec<String>| {
        let mut r = c.pipeline(&[v(&["ASKING"]), cmd]).unwrap();
        line(&r.pop().unwrap())
    };
    t.push(format!("dst b = {}", val(&mut dc, v(&["GET", &k("b")]))));
    t.push(format!(
        "dst h = {}",
        val(&mut dc, v(&["HGETALL", &k("h")]))
    ));
    t.push(format!(
        "dst d = {}",
        val(&mut dc, v(&["LRANGE", &k("d"), "0", "-1"]))
    ));
    let pttl = match dc
        .pipeline(&[v(&["ASKING"]), v(&["PTTL", &k("e")])])
        .unwrap()
        .pop()
    {
        Some(Reply::Int(n)) => n,
        r => panic!("PTTL: {r:?}"),
    };
    assert!(
        pttl > 500_000 - TTL_SLACK_MS && pttl <= 500_000,
        "TTL after MIGRATE: {pttl}\n{}",
        t.join("\n")
    );
    // Finish: move what is left, then the slot.
    let mut left = match sc.cmd(&["CLUSTER", "GETKEYSINSLOT", &s, "100"]).unwrap() {
        Reply::Array(a) => a.into_iter().map(|r| r.text()).collect::<Vec<String>>(),
        r => panic!("GETKEYSINSLOT: {r:?}"),
    };
    left.sort();
    let mut last = vec!["", "0", "5000", "REPLACE", "KEYS"];
    last.extend(left.iter().map(String::as_str));
    on_src(&mut sc, &mut t, migrate(&last));
    dst.ok(&["CLUSTER", "SETSLOT", &s, "NODE", &dst_id]);
    src.ok(&["CLUSTER", "SETSLOT", &s, "NODE", &dst_id]);
    t.push(format!(
        "after: src {} dst {}",
        count_in_slot(src, slot),
        count_in_slot(dst, slot)
    ));
    t
}

#[test]
fn raw_migrate_sessions_agree_between_redis_and_ours() {
    if !have_tools(&["redis-server", "redis-cli"]) {
        return;
    }
    let root = TempDir::new("migrate-raw");
    let nodes = vec![
        Node::start(Kind::Redis, &root.0, NODE_TIMEOUT_MS),
        Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS),
    ];
    create_cluster(&nodes, 2);
    let tags = slot_tags();
    // Same tag text length on both runs so the transcripts compare equal after renaming.
    let from_redis = migrate_session(&nodes[0], &nodes[1], 30, &tags[30]);
    let from_ours = migrate_session(&nodes[1], &nodes[0], 9030, &tags[9030]);
    let norm = |t: &[String], tag: &str| {
        t.iter()
            .map(|l| l.replace(tag, "T"))
            .collect::<Vec<String>>()
    };
    let a = norm(&from_redis, &tags[30]);
    let b = norm(&from_ours, &tags[9030]);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "redis as source vs ours as source");
    }
    assert_eq!(a.len(), b.len());
    // The expected story (checked on the Redis-source run, which the other matched).
    let must = [
        "BUSYKEY Target key name already exists.",
        "+NOKEY",
        "d: src present +list / dst present +list",
        "x: src -ASK -ASK / dst $nil +none",
        "SELECT is not allowed in cluster mode",
        "WRONGPASS",
        "after: src 0 dst 7",
    ];
    for m in must {
        assert!(
            a.iter().any(|l| l.contains(m)),
            "{m} missing:\n{}",
            a.join("\n")
        );
    }
    wait_agree(&nodes, Duration::from_secs(30));
}

#[test]
fn migrateslots_moves_keys_from_ours_to_redis() {
    if !have_tools(&["redis-server", "redis-cli"])
        || Kind::Ours.program() == std::path::Path::new("redis-server")
    {
        return;
    }
    let root = TempDir::new("migrate-slots-to-redis");
    let nodes = vec![
        Node::start(Kind::Redis, &root.0, NODE_TIMEOUT_MS),
        Node::start(Kind::Ours, &root.0, NODE_TIMEOUT_MS),
    ];
    create_cluster(&nodes, 2);
    let (redis, ours) = (&nodes[0], &nodes[1]);
    // Our node owns 8192-16383: the job's SETSLOTs and RESTORE-ASKINGs go to a real Redis.
    let tags = slot_tags();
    let slots = 8192u16..8200;
    let mut keys = Vec::new();
    for slot in slots.clone() {
        let cmds = slot_commands(&tags[slot as usize], 1);
        run_all(ours.port, &cmds);
        keys.extend(keys_of(&cmds));
    }
    let before = snapshot(ours.port, &keys, false);
    let redis_id = redis.myid();
    let r = ours.cmd(&[
        "CLUSTER",
        "MIGRATESLOTS",
        "SLOTSRANGE",
        "8192",
        "8199",
        "NODE",
        &redis_id,
        "BATCH",
        "7",
    ]);
    assert_eq!(r, Reply::Status("OK".into()));
    let state = cluster_support::wait_for("the job to end", Duration::from_secs(60), || {
        match migrate_support::status_field(ours.port, "state").as_deref() {
            Some("running") => Err("running".into()),
            Some(s) => Ok(s.to_string()),
            None => Err("no STATUS".into()),
        }
    });
    assert_eq!(
        state,
        "done",
        "{:?}\n{}",
        migrate_support::status_field(ours.port, "last_error"),
        all_logs(&nodes)
    );
    wait_agree(&nodes, Duration::from_secs(30));
    for slot in slots {
        assert_eq!(count_in_slot(ours, slot), 0, "slot {slot} on ours");
    }
    let on_redis = snapshot(redis.port, &keys, false);
    assert_same(
        "ours -> redis by MIGRATESLOTS",
        &before,
        &on_redis,
        TTL_SLACK_MS,
    );
    let check = redis_cli(
        &["--cluster", "check", &redis.addr()],
        Duration::from_secs(30),
    );
    let out = plain(&check.stdout);
    assert!(
        out.contains("[OK] All 16384 slots covered.") && !out.contains("[WARNING]"),
        "{out}"
    );
}
