//! What a master propagates (to its AOF and to a replica's stream) for keys that expire, beside
//! redis-server 7.0.15: one command's lazy-expiry `DEL`s and its own write are wrapped in
//! `MULTI` … `EXEC` when there is more than one (a read expiring several keys, a write to an
//! expired key, an EXEC), a single one goes out bare (an EXEC with one write too), and SCAN,
//! RANDOMKEY and the active expiry cycle write each `DEL` bare.
//!
//! Both servers run the same script with active expiry off (`DEBUG SET-ACTIVE-EXPIRE 0`) so
//! only the commands expire keys; the AOF incr files and the replication stream a raw replica
//! connection reads must hold the same commands. Absolute expiry times differ by the clock and
//! are masked; where the order of `DEL`s follows the hash table (SCAN, RANDOMKEY, the active
//! cycle) each stretch between two marker writes is compared sorted.
// A process test: it polls real processes against wall-clock deadlines and waits for TTLs.
#![allow(clippy::disallowed_methods)]
mod persistence_support;
mod support;

use std::time::{Duration, Instant};

use persistence_support::{ok, spawn};
use support::{require_tool, unique_dir, Client, Flavor};

/// Keys given a TTL that has passed when the cases run; each case expires its own.
const DOOMED: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "o", "p", "q", "u1", "u2",
];

/// The script: `(case, commands)`; each case ends with a marker write `SET mark:<case> x`.
fn cases() -> Vec<(&'static str, Vec<Vec<&'static str>>)> {
    vec![
        ("read-one", vec![vec!["GET", "a"]]),
        ("read-several", vec![vec!["MGET", "b", "c", "live"]]),
        ("set-expired", vec![vec!["SET", "d", "9"]]),
        ("incr-expired", vec![vec!["INCR", "e"]]),
        ("del-several", vec![vec!["DEL", "f", "g"]]),
        ("exists-several", vec![vec!["EXISTS", "h", "i"]]),
        (
            "exec-read-and-write",
            vec![
                vec!["MULTI"],
                vec!["GET", "j"],
                vec!["SET", "z", "1"],
                vec!["EXEC"],
            ],
        ),
        (
            "exec-one-write",
            vec![vec!["MULTI"], vec!["SET", "y", "1"], vec!["EXEC"]],
        ),
        (
            "exec-one-expiry",
            vec![vec!["MULTI"], vec!["GET", "k"], vec!["EXEC"]],
        ),
        (
            "exec-two-expiries",
            vec![
                vec!["MULTI"],
                vec!["GET", "u1"],
                vec!["GET", "u2"],
                vec!["EXEC"],
            ],
        ),
        ("del-expired-and-missing", vec![vec!["DEL", "l", "nothing"]]),
        ("sadd-expired", vec![vec!["SADD", "s", "y"]]),
        ("getex-expired", vec![vec!["GETEX", "o", "PERSIST"]]),
        ("scan", vec![vec!["SCAN", "0", "COUNT", "1000"]]),
        (
            "randomkey",
            vec![vec!["SELECT", "1"], vec!["RANDOMKEY"], vec!["SELECT", "0"]],
        ),
    ]
}

/// One command as the test compares it: its arguments joined by spaces (names keep their case:
/// `DEL`, `MULTI`, `EXEC` are the server's, the rest as the client sent them), unix times in
/// ms (`PXAT`, `PEXPIREAT`) masked.
fn show(args: &[String]) -> String {
    let time = |a: &String| a.len() >= 12 && a.bytes().all(|b| b.is_ascii_digit());
    args.iter()
        .map(|a| if time(a) { "T" } else { a.as_str() })
        .collect::<Vec<_>>()
        .join(" ")
}

fn line(bytes: &[u8], pos: &mut usize) -> Option<String> {
    let end = bytes[*pos..].windows(2).position(|w| w == b"\r\n")? + *pos;
    let s = String::from_utf8_lossy(&bytes[*pos..end]).into_owned();
    *pos = end + 2;
    Some(s)
}

/// The command at `pos`, moving `pos` past it; `None` (and `pos` unmoved) if incomplete.
fn parse_one(bytes: &[u8], pos: &mut usize) -> Option<Vec<String>> {
    let mut at = *pos;
    let args = parse_at(bytes, &mut at)?;
    *pos = at;
    Some(args)
}

fn parse_at(bytes: &[u8], pos: &mut usize) -> Option<Vec<String>> {
    if *pos >= bytes.len() {
        return None;
    }
    let head = line(bytes, pos)?;
    let argc: usize = head.strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::new();
    for _ in 0..argc {
        let len: usize = line(bytes, pos)?.strip_prefix('$')?.parse().ok()?;
        if bytes.len() < *pos + len + 2 {
            return None;
        }
        args.push(String::from_utf8_lossy(&bytes[*pos..*pos + len]).into_owned());
        *pos += len + 2;
    }
    Some(args)
}

/// A raw replica link: PSYNC, skip the RDB, then read the stream.
struct Stream {
    c: Client,
    buf: Vec<u8>,
    pos: usize,
}

impl Stream {
    fn attach(port: u16) -> Stream {
        let mut link = Client::connect(&format!("127.0.0.1:{port}")).expect("connect");
        assert_eq!(
            link.cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]),
            b"+OK\r\n"
        );
        link.send(&["PSYNC", "?", "-1"]).expect("send PSYNC");
        // Short reads, so every wait below is bounded by its deadline.
        link.stream()
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut buf = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        // +FULLRESYNC <id> <offset>\r\n, then $<len>\r\n<rdb> or $EOF:<mark>\r\n<rdb><mark>.
        let pos = loop {
            if let Some(p) = rdb_end(&buf) {
                break p;
            }
            assert!(
                Instant::now() < deadline,
                "no full sync: {:?}",
                String::from_utf8_lossy(&buf)
            );
            let mut chunk = [0u8; 65536];
            let n = std::io::Read::read(&mut link.stream(), &mut chunk).unwrap_or(0);
            buf.extend_from_slice(&chunk[..n]);
        };
        Stream { c: link, buf, pos }
    }

    /// Read until a command `SET mark:<case> x` arrived; returns the commands before it.
    fn until_mark(&mut self, case: &str) -> Vec<String> {
        let want = format!("SET mark:{case} x");
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut out = Vec::new();
        loop {
            while let Some(args) = parse_one(&self.buf, &mut self.pos) {
                let c = show(&args);
                if c == want {
                    return out;
                }
                out.push(c);
            }
            assert!(
                Instant::now() < deadline,
                "{case}: mark never came; got {out:?}"
            );
            let mut chunk = [0u8; 65536];
            if let Ok(n) = std::io::Read::read(&mut self.c.stream(), &mut chunk) {
                self.buf.extend_from_slice(&chunk[..n]);
            }
        }
    }
}

/// Where the RDB payload of a full sync ends in `buf`, once it is complete.
fn rdb_end(buf: &[u8]) -> Option<usize> {
    let mut pos = 0;
    // Newlines (keepalives) may come before the +FULLRESYNC line and the bulk.
    loop {
        while buf.get(pos) == Some(&b'\n') {
            pos += 1;
        }
        let l = line(buf, &mut pos)?;
        if let Some(mark) = l.strip_prefix("$EOF:") {
            let at = buf[pos..]
                .windows(mark.len())
                .position(|w| w == mark.as_bytes())?;
            return Some(pos + at + mark.len());
        }
        if let Some(n) = l.strip_prefix('$') {
            let n: usize = n.parse().ok()?;
            return (buf.len() >= pos + n).then_some(pos + n);
        }
    }
}

/// Group `cmds` (one case's) for comparison: sorted where the order follows a hash table.
fn normal(case: &str, mut cmds: Vec<String>) -> Vec<String> {
    cmds.retain(|c| !c.starts_with("PING") && !c.starts_with("SELECT"));
    if matches!(case, "scan" | "randomkey" | "active") {
        cmds.sort();
    }
    cmds
}

/// What `flavor` propagates, per case: from its AOF and from its replication stream.
type Seen = Vec<(String, Vec<String>, Vec<String>)>;

fn run(flavor: Flavor) -> Seen {
    let dir = unique_dir(&format!("expiry-prop-{}", flavor.label()));
    let p = spawn(
        flavor,
        &dir,
        &[
            "--save",
            "",
            "--appendonly",
            "yes",
            // A reply then comes after its write reached the file, so reading the file after
            // the last reply sees everything.
            "--appendfsync",
            "always",
            "--enable-debug-command",
            "yes",
            "--repl-diskless-sync",
            "no",
        ],
    );
    let mut c = p.client();
    ok(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let mut stream = Stream::attach(p.port);
    ok(&mut c, &["SET", "live", "1"]);
    for k in DOOMED {
        ok(&mut c, &["SET", k, "5", "PX", "30"]);
    }
    ok(&mut c, &["SADD", "s", "x"]);
    ok(&mut c, &["PEXPIRE", "s", "30"]);
    ok(&mut c, &["SELECT", "1"]);
    for k in ["r1", "r2", "r3"] {
        ok(&mut c, &["SET", k, "5", "PX", "30"]);
    }
    // Left to the active cycle at the end (SCAN in db 0 would reach them there).
    ok(&mut c, &["SELECT", "2"]);
    for k in ["t1", "t2", "t3"] {
        ok(&mut c, &["SET", k, "5", "PX", "30"]);
    }
    ok(&mut c, &["SELECT", "0"]);
    ok(&mut c, &["SET", "mark:setup", "x"]);
    std::thread::sleep(Duration::from_millis(60)); // let the TTLs pass
    let mut order = vec!["setup".to_owned()];
    for (case, cmds) in cases() {
        for cmd in cmds {
            let r = c.cmd(&cmd);
            assert!(!r.starts_with(b"-"), "{case}: {cmd:?} -> {r:?}");
        }
        ok(&mut c, &["SET", &format!("mark:{case}"), "x"]);
        order.push(case.to_owned());
    }
    // The active cycle, on again, deletes what is left: t1 t2 t3 of db 2.
    ok(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    ok(&mut c, &["SELECT", "2"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.cmd(&["DBSIZE"]) != b":0\r\n" {
        assert!(
            Instant::now() < deadline,
            "{}: active expiry never ran",
            flavor.label()
        );
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
    ok(&mut c, &["SELECT", "0"]);
    ok(&mut c, &["SET", "mark:active", "x"]);
    order.push("active".to_owned());
    let mut seen = Vec::new();
    let aof: Vec<String> = persistence_support::incr_aof_commands(&dir)
        .iter()
        .map(|a| show(a))
        .collect();
    let mut rest = aof.as_slice();
    for case in &order {
        let want = format!("SET mark:{case} x");
        let at = rest
            .iter()
            .position(|c| *c == want)
            .unwrap_or_else(|| panic!("{}: no {want} in the AOF: {aof:?}", flavor.label()));
        let from_aof = normal(case, rest[..at].to_vec());
        rest = &rest[at + 1..];
        let from_stream = normal(case, stream.until_mark(case));
        seen.push((case.clone(), from_aof, from_stream));
    }
    p.shutdown("NOSAVE");
    let _ = std::fs::remove_dir_all(&dir);
    seen
}

#[test]
fn expired_keys_propagate_as_redis_7_0_propagates_them() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let theirs = run(Flavor::Redis);
    // The premise, from redis-server itself: these are the shapes the node must reproduce.
    let case = |name: &str| {
        theirs
            .iter()
            .find(|(c, _, _)| c == name)
            .map(|(_, aof, _)| aof.join(" | "))
            .unwrap()
    };
    assert_eq!(case("read-one"), "DEL a");
    assert_eq!(case("read-several"), "MULTI | DEL b | DEL c | EXEC");
    assert_eq!(case("set-expired"), "MULTI | DEL d | SET d 9 | EXEC");
    assert_eq!(case("exec-one-write"), "SET y 1");
    assert_eq!(case("scan"), "DEL p | DEL q");
    assert_eq!(case("active"), "DEL t1 | DEL t2 | DEL t3");
    let ours = run(Flavor::Node);
    for ((case, their_aof, their_stream), (_, our_aof, our_stream)) in theirs.iter().zip(&ours) {
        assert_eq!(our_aof, their_aof, "{case}: AOF");
        assert_eq!(
            their_stream, their_aof,
            "{case}: redis's stream and AOF differ"
        );
        assert_eq!(our_stream, their_stream, "{case}: replication stream");
    }
}
