//! Streams through RDB files and DUMP payloads, both ways with redis-server 7.0:
//!
//! - our file with streams (nodes split by the default and by small limits, tombstones,
//!   trimmed nodes, XSETID metadata, an empty stream) passes `redis-check-rdb`, and
//!   redis-server loaded from it replies to XRANGE, XREVRANGE and XINFO STREAM [FULL] exactly as
//!   we do (XINFO shows node counts, so the nodes themselves arrive intact);
//! - a file redis-server saved after the same commands loads here with the same replies;
//! - DUMP from Redis RESTOREs here and our DUMP RESTOREs in Redis, same replies;
//! - consumer groups (PELs, consumers, times, counts, the empty-named consumer) survive a save
//!   by Redis and a load here, and a save here and a load by Redis, with identical XINFO STREAM
//!   FULL / XINFO GROUPS / XPENDING replies;
//! - every truncation and many byte flips of a stream DUMP payload (CRC fixed up so the body is
//!   decoded) are refused with an error, never a panic.
//!
//! Skipped when redis-server is missing, unless HASHSLOT_REQUIRE_REDIS=1.
#![allow(clippy::disallowed_methods)] // real redis-server processes: wall clock and sleeps

mod support;

use std::path::Path;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use hashslot_keyspace::{commands, Ctx, Db, EncodingLimits, KeyspaceStats, Value};
use hashslot_persist::{dump_payload, load, restore_payload, save_dbs, Aux, LoadOptions, Options};
use hashslot_resp::{Proto, Reply};
use hashslot_types::{Instant, Now, Rng, UnixMillis};
use support::{require_tool, unique_dir, which, Flavor, Server};

/// Run one command in-process; the RESP2 reply bytes.
fn run(db: &mut [Db], lim: EncodingLimits, argv: &[&[u8]]) -> Vec<u8> {
    let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
    let mut spec = commands().iter().find(|c| c.name == name).expect("command");
    if spec.handler.is_none() {
        let full = format!(
            "{name}|{}",
            String::from_utf8_lossy(argv[1]).to_ascii_lowercase()
        );
        spec = spec
            .subcommands
            .iter()
            .find(|c| c.name == full)
            .expect("subcommand");
    }
    let mut out = Vec::new();
    let (mut rng, mut stats) = (Rng::from_seed(1), KeyspaceStats::default());
    let now = Now::new(Instant::from_nanos(0), UnixMillis(1_700_000_000_000));
    let mut ctx = Ctx::new(
        db,
        0,
        now,
        Reply::new(&mut out, Proto::Resp2),
        &mut rng,
        &mut stats,
    );
    ctx.limits = lim;
    (spec.handler.unwrap())(&mut ctx, argv);
    out
}

/// A raw RESP2 client: replies as bytes.
struct Raw {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Raw {
    fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        Raw {
            w: s.try_clone().unwrap(),
            r: BufReader::new(s),
        }
    }
    fn run(&mut self, argv: &[&[u8]]) -> Vec<u8> {
        let mut req = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.w.write_all(&req).unwrap();
        let mut out = Vec::new();
        self.read(&mut out);
        out
    }
    fn read(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        self.r.read_until(b'\n', out).unwrap();
        let line = String::from_utf8_lossy(&out[start + 1..out.len() - 2]).into_owned();
        match out[start] {
            b'$' => {
                let n: i64 = line.parse().unwrap();
                if n >= 0 {
                    let mut b = vec![0; n as usize + 2];
                    self.r.read_exact(&mut b).unwrap();
                    out.extend_from_slice(&b);
                }
            }
            b'*' => {
                let n: i64 = line.parse().unwrap();
                for _ in 0..n.max(0) {
                    self.read(out);
                }
            }
            _ => {}
        }
    }
}

/// splitmix64.
fn rnd(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The commands that build the test streams (explicit IDs, so both servers agree).
fn script() -> Vec<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut s = 7u64;
    let c = |parts: &[&str]| {
        parts
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    for (key, n) in [("big", 700u64), ("small", 40)] {
        for i in 1..=n {
            let v = match rnd(&mut s) % 4 {
                0 => format!("{}", rnd(&mut s) as i64),
                1 => "x".repeat((rnd(&mut s) % 300) as usize),
                _ => format!("v{i}"),
            };
            let f = if rnd(&mut s) % 5 == 0 {
                "other"
            } else {
                "field"
            };
            out.push(c(&[
                "XADD",
                key,
                &format!("{}-{}", i / 3, i % 3),
                f,
                &v,
                "n",
                &i.to_string(),
            ]));
            if rnd(&mut s) % 9 == 0 {
                let d = rnd(&mut s) % i + 1;
                out.push(c(&["XDEL", key, &format!("{}-{}", d / 3, d % 3)]));
            }
        }
    }
    out.push(c(&["XTRIM", "big", "MAXLEN", "~", "500"]));
    out.push(c(&["XTRIM", "big", "MINID", "40"]));
    out.push(c(&[
        "XSETID",
        "small",
        "99999-9",
        "ENTRIESADDED",
        "5000",
        "MAXDELETEDID",
        "99999-1",
    ]));
    out.push(c(&["XADD", "empty", "1-1", "a", "b"]));
    out.push(c(&["XDEL", "empty", "1-1"]));
    out
}

fn checks(key: &str) -> Vec<Vec<Vec<u8>>> {
    let c = |parts: &[&str]| {
        parts
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    vec![
        c(&["XRANGE", key, "-", "+"]),
        c(&["XREVRANGE", key, "+", "-", "COUNT", "7"]),
        c(&["XINFO", "STREAM", key]),
        c(&["XINFO", "STREAM", key, "FULL", "COUNT", "0"]),
        c(&["XLEN", key]),
    ]
}

const KEYS: [&str; 4] = ["big", "small", "empty", "tiny"];

/// Our databases after the script (with node limits as Redis's config below sets them).
fn ours(lim: EncodingLimits) -> Vec<Db> {
    let mut dbs = vec![Db::new()];
    for cmd in script() {
        let argv: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
        let r = run(&mut dbs, lim, &argv);
        assert!(
            !r.starts_with(b"-"),
            "{:?}: {}",
            cmd,
            String::from_utf8_lossy(&r)
        );
    }
    dbs
}

fn limits() -> EncodingLimits {
    let mut l = EncodingLimits::default();
    l.stream_node_max_entries = 37;
    l.stream_node_max_bytes = 1500;
    l
}

fn compare(redis: &mut Raw, dbs: &mut [Db], lim: EncodingLimits, keys: &[&str]) {
    for key in keys {
        for cmd in checks(key) {
            let argv: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
            let want = redis.run(&argv);
            let got = run(dbs, lim, &argv);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{}",
                String::from_utf8_lossy(&cmd.join(&b' '))
            );
        }
    }
}

/// redis-server with `dir` and `dbfilename` (loading it when it exists) and our node limits.
fn start(dir: &Path, file: &str) -> Option<(Server, Raw)> {
    let d = dir.to_str().expect("utf-8 temp dir");
    let server = Server::start(Flavor::Redis, &["--dir", d, "--dbfilename", file]);
    let mut raw = Raw::connect(server.port());
    raw.run(&[b"CONFIG", b"SET", b"stream-node-max-entries", b"37"]);
    raw.run(&[b"CONFIG", b"SET", b"stream-node-max-bytes", b"1500"]);
    Some((server, raw))
}

#[test]
fn our_streams_load_in_redis_and_redis_streams_load_here() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let lim = limits();
    let mut dbs = ours(lim);
    // A stream built with Redis's default limits too (nodes of 100 entries / 4096 bytes).
    {
        let mut d = vec![Db::new()];
        for i in 1..=250 {
            let id = format!("{i}-0");
            run(
                &mut d,
                EncodingLimits::default(),
                &[b"XADD", b"tiny", id.as_bytes(), b"f", b"v"],
            );
        }
        let (v, _) = d[0].take(b"tiny").unwrap();
        dbs[0].insert(b"tiny", v, None, UnixMillis(0));
    }
    let now = UnixMillis(1_700_000_000_000);
    let file = save_dbs(&dbs, now, &Aux::default(), &Options::default()).unwrap();
    let dir = unique_dir("stream-rdb");
    std::fs::write(dir.join("ours.rdb"), &file).unwrap();

    if which("redis-check-rdb").is_some() {
        let out = std::process::Command::new("redis-check-rdb")
            .arg(dir.join("ours.rdb"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("RDB looks OK"),
            "{text}"
        );
    }

    // Ours -> Redis.
    let Some((_server, mut redis)) = start(&dir, "ours.rdb") else {
        return;
    };
    assert_eq!(redis.run(&[b"DBSIZE"]), b":4\r\n");
    compare(&mut redis, &mut dbs, lim, &KEYS);

    // Redis -> ours: the same script run by Redis, saved, loaded here.
    let Some((_s2, mut r2)) = start(&dir, "theirs.rdb") else {
        return;
    };
    for cmd in script() {
        let argv: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
        r2.run(&argv);
    }
    assert_eq!(r2.run(&[b"SAVE"]), b"+OK\r\n");
    let bytes = std::fs::read(dir.join("theirs.rdb")).unwrap();
    let mut loaded = load(&bytes, &LoadOptions::default())
        .expect("Redis's streams load")
        .dbs;
    loaded.truncate(1);
    compare(&mut r2, &mut loaded, lim, &KEYS[..3]);

    // DUMP both ways.
    for key in &KEYS[..3] {
        let payload = r2.run(&[b"DUMP", key.as_bytes()]);
        let body =
            &payload[payload.iter().position(|&b| b == b'\n').unwrap() + 1..payload.len() - 2];
        let v = restore_payload(body).expect("Redis's DUMP restores here");
        let mut d = vec![Db::new()];
        d[0].insert(key.as_bytes(), v, None, now);
        compare(&mut r2, &mut d, lim, &[key]);

        let (loc_val, _) = dbs[0].take(key.as_bytes()).unwrap();
        let Value::Obj(o) = &loc_val else {
            panic!("stream is an object")
        };
        let ours = dump_payload(hashslot_keyspace::ValueRef::Obj(o)).unwrap();
        let copy = format!("{key}-copy");
        assert_eq!(
            redis.run(&[b"RESTORE", copy.as_bytes(), b"0", &ours]),
            b"+OK\r\n",
            "Redis restores our DUMP of {key}"
        );
        for check in ["XRANGE", "XINFO"] {
            let (a, b) = if check == "XRANGE" {
                (
                    redis.run(&[b"XRANGE", key.as_bytes(), b"-", b"+"]),
                    redis.run(&[b"XRANGE", copy.as_bytes(), b"-", b"+"]),
                )
            } else {
                (
                    redis.run(&[b"XINFO", b"STREAM", key.as_bytes(), b"FULL"]),
                    redis.run(&[b"XINFO", b"STREAM", copy.as_bytes(), b"FULL"]),
                )
            };
            assert_eq!(a, b, "{check} of {key} after RESTORE");
        }
        dbs[0].insert(key.as_bytes(), loc_val, None, now);
    }

    // Consumer groups (PELs, consumers, delivery times and counts) both ways.
    for cmd in [
        &["XGROUP", "CREATE", "small", "g", "0"][..],
        &["XGROUP", "CREATE", "small", "idle", "$", "ENTRIESREAD", "3"],
        &["XGROUP", "CREATE", "empty", "e", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "5",
            "STREAMS",
            "small",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "COUNT",
            "3",
            "STREAMS",
            "small",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "",
            "COUNT",
            "2",
            "STREAMS",
            "small",
            ">",
        ],
        &["XGROUP", "CREATECONSUMER", "small", "g", "carol"],
        &[
            "XCLAIM",
            "small",
            "g",
            "carol",
            "0",
            "1-0",
            "1-1",
            "RETRYCOUNT",
            "9",
        ],
        &["XACK", "small", "g", "2-2"],
    ] {
        r2.run(&cmd.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
    }
    assert_eq!(r2.run(&[b"SAVE"]), b"+OK\r\n");
    let bytes = std::fs::read(dir.join("theirs.rdb")).unwrap();
    let mut loaded = load(&bytes, &LoadOptions::default())
        .expect("streams with groups load")
        .dbs;
    loaded.truncate(1);
    let group_checks: [&[&[u8]]; 4] = [
        &[b"XINFO", b"STREAM", b"small", b"FULL", b"COUNT", b"0"],
        &[b"XINFO", b"GROUPS", b"small"],
        &[b"XPENDING", b"small", b"g"],
        &[b"XINFO", b"STREAM", b"empty", b"FULL"],
    ];
    for c in group_checks {
        assert_eq!(
            String::from_utf8_lossy(&run(&mut loaded, lim, c)),
            String::from_utf8_lossy(&r2.run(c)),
            "{:?} after loading Redis's groups",
            String::from_utf8_lossy(&c.join(&b' '))
        );
    }
    // And back: our save of those groups, loaded by redis-server.
    let file = save_dbs(&loaded, now, &Aux::default(), &Options::default()).unwrap();
    std::fs::write(dir.join("groups.rdb"), &file).unwrap();
    let (_s3, mut r3) = start(&dir, "groups.rdb").expect("redis-server");
    for c in group_checks {
        assert_eq!(
            String::from_utf8_lossy(&r3.run(c)),
            String::from_utf8_lossy(&r2.run(c)),
            "{:?} after Redis loads our groups",
            String::from_utf8_lossy(&c.join(&b' '))
        );
    }
    // Redis's DUMP of a stream with groups restores here too.
    let payload = r2.run(&[b"DUMP", b"small"]);
    let body = &payload[payload.iter().position(|&b| b == b'\n').unwrap() + 1..payload.len() - 2];
    assert!(restore_payload(body).is_ok());
    drop(_s3);
    drop((_server, _s2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damaged_stream_payloads_are_refused_without_panic() {
    let mut dbs = ours(limits());
    // Groups too, so that damage reaches PELs and consumers.
    for cmd in [
        &["XGROUP", "CREATE", "small", "g", "0"][..],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "4",
            "STREAMS",
            "small",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "COUNT",
            "4",
            "STREAMS",
            "small",
            ">",
        ],
    ] {
        let argv: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        assert!(!run(&mut dbs, limits(), &argv).starts_with(b"-"));
    }
    let (v, _) = dbs[0].take(b"small").unwrap();
    let Value::Obj(o) = &v else { panic!("object") };
    let good = dump_payload(hashslot_keyspace::ValueRef::Obj(o)).unwrap();
    assert!(restore_payload(&good).is_ok());
    let with_crc = |body: &[u8]| {
        let mut p = body.to_vec();
        let crc = hashslot_persist::crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    };
    let body = &good[..good.len() - 8];
    // Every truncation of the body (version bytes kept).
    for cut in 1..body.len() - 2 {
        let mut b = body[..cut].to_vec();
        b.extend_from_slice(&body[body.len() - 2..]);
        let _ = restore_payload(&with_crc(&b));
    }
    // Byte flips everywhere.
    let mut s = 99u64;
    let mut refused = 0;
    for i in 0..body.len() - 2 {
        for _ in 0..4 {
            let mut b = body.to_vec();
            b[i] ^= 1 << (rnd(&mut s) % 8);
            if restore_payload(&with_crc(&b)).is_err() {
                refused += 1;
            }
        }
    }
    // Most flips land in listpack bytes the deep check catches (values may flip harmlessly).
    assert!(
        refused > body.len(),
        "only {refused} of {} flips refused",
        4 * body.len()
    );
    // A node count far beyond the payload does not allocate for it.
    let mut huge = vec![19u8, 0x81];
    huge.extend_from_slice(&u64::MAX.to_be_bytes());
    huge.extend_from_slice(&10u16.to_le_bytes());
    assert!(restore_payload(&with_crc(&huge)).is_err());
}
