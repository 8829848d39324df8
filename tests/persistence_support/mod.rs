//! Shared by the `persistence_*` process tests: start a server (ours or redis-server) on a
//! given directory, fill it with a varied dataset through commands, and read a whole dataset
//! back as plain data so two servers can be compared exactly.
#![allow(dead_code)] // each test file uses a part

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{free_port, Client, Flavor, Value};

/// A server process on a directory the test owns; killed (SIGKILL) and reaped on drop.
pub struct Proc {
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// A new client.
    pub fn client(&self) -> Client {
        Client::connect(&format!("127.0.0.1:{}", self.port)).expect("connect")
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SHUTDOWN with `how` (`NOSAVE`/`SAVE`) and wait (with a deadline) for the exit.
    pub fn shutdown(mut self, how: &str) {
        let mut c = self.client();
        let _ = c.send(&["SHUTDOWN", how]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !matches!(self.child.try_wait(), Ok(Some(_))) {
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(10)); // polling interval
        }
    }
}

/// The program of `flavor`.
pub fn program(flavor: Flavor) -> PathBuf {
    flavor.program()
}

/// Start `flavor` in `dir` (`--dir dir`, log to `dir/<label>.log`) with `extra` arguments and
/// wait until it answers PING with PONG (not `-LOADING`).
pub fn spawn(flavor: Flavor, dir: &Path, extra: &[&str]) -> Proc {
    match try_spawn(flavor, dir, extra) {
        Ok(p) => p,
        Err(text) => panic!("{} did not start:\n{text}", flavor.label()),
    }
}

/// [`spawn`], or `Err(log)` when the process exits during startup.
pub fn try_spawn(flavor: Flavor, dir: &Path, extra: &[&str]) -> Result<Proc, String> {
    let port = free_port();
    let log = dir.join(format!("{}.log", flavor.label()));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .expect("log file");
    let child = Command::new(program(flavor))
        .current_dir(dir)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(dir)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log"))
        .stderr(file)
        .spawn()
        .expect("spawn");
    let mut p = Proc { child, port, log };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(_)) = p.child.try_wait() {
            return Err(p.log_text());
        }
        if let Ok(mut c) = Client::connect(&format!("127.0.0.1:{port}")) {
            // The process may be exiting right now (a file it refused): no panic on a reset.
            if c.send(&["PING"]).is_ok() && c.read_reply().is_ok_and(|r| r == b"+PONG\r\n") {
                return Ok(p);
            }
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(20)); // polling interval
    }
}

/// INFO persistence `aof_*` fields as a map.
pub fn aof_info(c: &mut Client) -> BTreeMap<String, String> {
    let info = String::from_utf8_lossy(&c.cmd(&["INFO", "persistence"])).into_owned();
    info.lines()
        .filter_map(|l| l.trim_end().split_once(':'))
        .filter(|(k, _)| k.starts_with("aof_"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Run one command and fail on an error reply.
pub fn ok<A: AsRef<[u8]>>(c: &mut Client, args: &[A]) -> Vec<u8> {
    let r = c.cmd(args);
    assert!(
        !r.starts_with(b"-"),
        "{:?} -> {}",
        args.iter()
            .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
            .collect::<Vec<_>>(),
        String::from_utf8_lossy(&r)
    );
    r
}

/// Far-future absolute expiry times (ms) used by [`fill_varied`], so both servers hold the
/// same `PEXPIRETIME`s.
pub const EXPIRE_AT: i64 = 4_102_444_800_000; // 2100-01-01

/// Fill db 0 and db 2 with every type in small and large encodings, integer and binary
/// strings, and TTLs, using only commands both servers support alike.
pub fn fill_varied(c: &mut Client) {
    let bin: Vec<u8> = (0u8..=255).collect();
    ok(c, &["SELECT", "0"]);
    ok(c, &["SET", "s:int", "12345"]);
    ok(c, &["SET", "s:neg", "-9223372036854775808"]);
    ok(c, &["SET", "s:small", "hello"]);
    ok(c, &["SET", "s:empty", ""]);
    ok(c, &["SET", "s:long", &"abc".repeat(30)]);
    ok(c, &["SET", "s:big", &"0123456789".repeat(3000)]);
    ok(c, &[b"SET".as_slice(), b"s:bin", &bin]);
    ok(c, &["SET", "s:ttl", "v", "PXAT", &EXPIRE_AT.to_string()]);
    ok(c, &["APPEND", "s:small", " world"]);
    ok(c, &["INCRBY", "s:int", "5"]);
    ok(c, &["RPUSH", "l:small", "a", "1", "-5", "", "xyz"]);
    let many: Vec<String> = (0..600).map(|i| format!("elem-{i}")).collect();
    let mut cmd: Vec<&str> = vec!["RPUSH", "l:big"];
    cmd.extend(many.iter().map(String::as_str));
    ok(c, &cmd);
    ok(c, &["LPUSH", "l:bigelem", &"z".repeat(10_000), "small"]);
    ok(c, &["HSET", "h:small", "f", "v", "n", "42", "e", ""]);
    let mut cmd: Vec<String> = vec!["HSET".into(), "h:big".into()];
    for i in 0..300 {
        cmd.push(format!("field{i}"));
        cmd.push(format!("{}", i * 7));
    }
    ok(c, &cmd);
    ok(c, &["HSET", "h:longval", "f", &"q".repeat(100)]);
    ok(c, &["SADD", "set:ints", "1", "2", "-100", "70000"]);
    let mut cmd: Vec<String> = vec!["SADD".into(), "set:bigints".into()];
    cmd.extend((0..600).map(|i| format!("{}", i * 3 - 500)));
    ok(c, &cmd);
    ok(c, &["SADD", "set:strs", "apple", "banana", "7"]);
    ok(
        c,
        &[
            "ZADD", "z:small", "1", "a", "2.5", "b", "-inf", "c", "inf", "d",
        ],
    );
    ok(
        c,
        &["ZADD", "z:small", "0.1", "e", "-0.125", "f", "1e300", "g"],
    );
    let mut cmd: Vec<String> = vec!["ZADD".into(), "z:big".into()];
    for i in 0..300 {
        cmd.push(format!("{}", f64::from(i) * 1.5 - 100.0));
        cmd.push(format!("m{i}"));
    }
    ok(c, &cmd);
    ok(c, &["ZADD", "z:longmember", "5", &"m".repeat(80)]);
    for k in ["l:big", "h:big", "z:big", "set:strs"] {
        ok(c, &["PEXPIREAT", k, &(EXPIRE_AT + 1).to_string()]);
    }
    // Changes after creation, so an AOF holds more than plain creations.
    ok(c, &["LPOP", "l:small"]);
    ok(c, &["HDEL", "h:small", "e"]);
    ok(c, &["SREM", "set:ints", "2"]);
    ok(c, &["ZINCRBY", "z:small", "1", "a"]);
    ok(c, &["DEL", "s:empty"]);
    ok(c, &["SET", "gone", "x"]);
    ok(c, &["DEL", "gone"]);
    for i in 0..100 {
        ok(c, &["SET", &format!("key:{i}"), &format!("value-{i}")]);
    }
    ok(c, &["SELECT", "2"]);
    ok(c, &["SET", "db2:s", "two"]);
    ok(c, &["HSET", "db2:h", "a", "b"]);
    ok(c, &["PEXPIREAT", "db2:h", &EXPIRE_AT.to_string()]);
    ok(c, &["SELECT", "0"]);
}

/// One key as plain data: type, canonical content, absolute expiry (PEXPIRETIME).
pub type Snapshot = BTreeMap<(u32, Vec<u8>), (String, Vec<Vec<u8>>, i64)>;

fn parse(r: &[u8]) -> Value {
    Value::parse(r).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(r)))
}

fn strings(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::Agg(_, Some(items)) => items
            .iter()
            .map(|i| i.bytes().expect("string element").to_vec())
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn int(r: &[u8]) -> i64 {
    String::from_utf8_lossy(&r[1..r.len() - 2])
        .parse()
        .expect("int")
}

/// Every key of dbs `0..dbs` with its type, content (hash fields, set members sorted; zset in
/// order with scores as the server prints them) and `PEXPIRETIME`.
pub fn snapshot(c: &mut Client, dbs: u32) -> Snapshot {
    let mut out = Snapshot::new();
    for db in 0..dbs {
        ok(c, &["SELECT", &db.to_string()]);
        let keys = strings(&parse(&c.cmd(&["KEYS", "*"])));
        for k in keys {
            let ty = parse(&c.cmd(&[b"TYPE".as_slice(), &k]))
                .bytes()
                .expect("type")
                .to_vec();
            let ty = String::from_utf8(ty).expect("type name");
            let content = match ty.as_str() {
                "string" => vec![parse(&c.cmd(&[b"GET".as_slice(), &k]))
                    .bytes()
                    .expect("bulk")
                    .to_vec()],
                "list" => strings(&parse(&c.cmd(&[b"LRANGE".as_slice(), &k, b"0", b"-1"]))),
                "hash" => {
                    let flat = strings(&parse(&c.cmd(&[b"HGETALL".as_slice(), &k])));
                    let mut pairs: Vec<Vec<u8>> = flat
                        .chunks(2)
                        .map(|p| [p[0].as_slice(), b"=", p[1].as_slice()].concat())
                        .collect();
                    pairs.sort();
                    pairs
                }
                "set" => {
                    let mut m = strings(&parse(&c.cmd(&[b"SMEMBERS".as_slice(), &k])));
                    m.sort();
                    m
                }
                "zset" => strings(&parse(&c.cmd(&[
                    b"ZRANGE".as_slice(),
                    &k,
                    b"0",
                    b"-1",
                    b"WITHSCORES",
                ]))),
                other => panic!("unexpected type {other}"),
            };
            let exp = int(&c.cmd(&[b"PEXPIRETIME".as_slice(), &k]));
            out.insert((db, k), (ty, content, exp));
        }
    }
    ok(c, &["SELECT", "0"]);
    out
}

/// Assert two snapshots are equal, naming the first difference.
pub fn assert_same(what: &str, ours: &Snapshot, theirs: &Snapshot) {
    for (k, v) in theirs {
        match ours.get(k) {
            None => panic!("{what}: key {:?} missing", String::from_utf8_lossy(&k.1)),
            Some(o) => assert!(
                o == v,
                "{what}: key {:?} differs: {:?} vs {:?}",
                String::from_utf8_lossy(&k.1),
                (&o.0, o.1.len(), o.2),
                (&v.0, v.1.len(), v.2)
            ),
        }
    }
    for k in ours.keys() {
        assert!(
            theirs.contains_key(k),
            "{what}: extra key {:?}",
            String::from_utf8_lossy(&k.1)
        );
    }
}

/// Run `tool args…` and return (success, stdout + stderr).
pub fn run_tool(tool: &Path, args: &[&Path]) -> (bool, String) {
    let o = Command::new(tool).args(args).output().expect("run tool");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// The messages of a log in Redis's format (`pid:role dd Mon yyyy hh:mm:ss.mmm <mark> msg`),
/// each with its level mark, without the process and time prefix. Other lines (a multi-line
/// banner) are skipped.
pub fn log_messages(text: &str) -> Vec<(char, String)> {
    text.lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.splitn(7, ' ').collect();
            let [_, _, _, _, _, mark, msg] = parts.as_slice() else {
                return None;
            };
            let mark = mark.chars().next().filter(|_| mark.len() == 1)?;
            Some((mark, (*msg).to_owned()))
        })
        .collect()
}

/// Every file of `dir` (not recursive) by name with its content.
pub fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_file())
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name, std::fs::read(e.path()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Copy the files of `from` (not recursive) into `to`, creating it.
pub fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for (name, bytes) in files_of(from) {
        std::fs::write(to.join(name), bytes).expect("copy file");
    }
}

/// The end offsets of the complete RESP commands at the start of `bytes` (an AOF's records).
pub fn record_ends(bytes: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut pos = 0;
    while let Ok(Some(n)) = crate::support::reply_len(&bytes[pos..]) {
        pos += n;
        ends.push(pos);
        if pos >= bytes.len() {
            break;
        }
    }
    ends
}

/// The files of an appendonly dir once it has settled: both servers remove the files a rewrite
/// replaced after reporting it done (Redis "in the background"), so this waits (with a
/// deadline) until the dir holds exactly the manifest and the files it names, then returns
/// them as [`files_of`] does. Past the deadline it returns what is there, for the caller's
/// comparison to show.
pub fn settled_aof_files(aof_dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let files = files_of(aof_dir);
        let named: std::collections::BTreeSet<String> = files
            .iter()
            .filter(|(name, _)| name.ends_with(".manifest"))
            .flat_map(|(name, text)| {
                let text = String::from_utf8_lossy(text).into_owned();
                let listed: Vec<String> = text
                    .lines()
                    .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
                    .collect();
                listed.into_iter().chain(std::iter::once(name.clone()))
            })
            .collect();
        let present: std::collections::BTreeSet<String> = files.keys().cloned().collect();
        // Mid-way, a manifest still lists history files (`type h`) and a temp manifest waits
        // for its rename: every file is named then too, but the layout is not final.
        let transient = files.iter().any(|(name, text)| {
            name.starts_with("temp-")
                || (name.ends_with(".manifest")
                    && String::from_utf8_lossy(text)
                        .lines()
                        .any(|l| l.ends_with(" type h")))
        });
        if (present == named && !transient) || Instant::now() >= deadline {
            return files;
        }
        std::thread::sleep(Duration::from_millis(10)); // polling interval
    }
}

/// Every command of the incr AOF files in `dir/appendonlydir`, in file-name order, each as
/// its arguments (read by bulk length, so arguments may hold newlines). Panics on anything
/// that is not a RESP multibulk: the caller compares what two servers wrote.
pub fn incr_aof_commands(dir: &Path) -> Vec<Vec<String>> {
    let aof_dir = dir.join("appendonlydir");
    let mut names: Vec<_> = std::fs::read_dir(&aof_dir)
        .expect("appendonlydir")
        .map(|e| e.expect("entry").file_name().into_string().expect("name"))
        .filter(|n| n.ends_with(".incr.aof"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for n in names {
        let bytes = std::fs::read(aof_dir.join(&n)).expect("read incr file");
        out.extend(aof_commands(&bytes).into_iter().map(|args| {
            args.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
        }));
    }
    out
}

/// The commands of an AOF in command form (an incr file, or a base written with
/// `aof-use-rdb-preamble no`), each as its arguments, read by bulk length. Panics on
/// anything that is not a RESP multibulk.
pub fn aof_commands(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    let line = |pos: &mut usize| -> Vec<u8> {
        let end = bytes[*pos..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("CRLF")
            + *pos;
        let l = bytes[*pos..end].to_vec();
        *pos = end + 2;
        l
    };
    while pos < bytes.len() {
        let head = line(&mut pos);
        assert_eq!(head[0], b'*', "not a multibulk: {head:?}");
        let argc: usize = std::str::from_utf8(&head[1..]).unwrap().parse().unwrap();
        let mut args = Vec::new();
        for _ in 0..argc {
            let len = line(&mut pos);
            assert_eq!(len[0], b'$', "not a bulk: {len:?}");
            let len: usize = std::str::from_utf8(&len[1..]).unwrap().parse().unwrap();
            args.push(bytes[pos..pos + len].to_vec());
            pos += len + 2;
        }
        out.push(args);
    }
    out
}
