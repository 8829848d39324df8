//! Shared by the migration process tests: a pipelined RESP connection, a data set with keys of
//! every type (and encoding size class) placed in chosen slots, and snapshots of keys (type,
//! value, TTL) compared across nodes. Needs `mod cluster_support;` beside it (for `Reply`).
#![allow(dead_code)]
// Tests drive real processes: socket timeouts are wall-clock.
#![allow(clippy::disallowed_methods)]

pub mod cut_job;

use std::collections::BTreeMap;
use std::io::{self, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::cluster_support::Reply;

/// One connection that sends many commands before reading their replies.
pub struct Conn {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Conn {
    /// Connect to 127.0.0.1:`port` (replies may take up to 60 s: big values in debug builds).
    pub fn connect(port: u16) -> io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        s.set_nodelay(true)?;
        Ok(Conn {
            r: BufReader::new(s.try_clone()?),
            w: s,
        })
    }

    /// Send every command, then read one reply each.
    pub fn pipeline<A: AsRef<[u8]>>(&mut self, cmds: &[Vec<A>]) -> io::Result<Vec<Reply>> {
        let mut req = Vec::new();
        for args in cmds {
            encode(&mut req, args);
        }
        self.w.write_all(&req)?;
        cmds.iter().map(|_| read_reply(&mut self.r)).collect()
    }

    /// One command.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Reply> {
        let mut req = Vec::new();
        encode(&mut req, args);
        self.w.write_all(&req)?;
        read_reply(&mut self.r)
    }
}

/// A RESP multibulk request.
pub fn encode<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Read one RESP2 reply (the cluster harness's reader).
pub use crate::cluster_support::read_reply;

/// For each slot, a hash tag (`{tag}`) whose keys hash to it.
pub fn slot_tags() -> Vec<String> {
    let mut tags: Vec<Option<String>> = vec![None; 16384];
    let mut left = 16384;
    let mut i = 0u64;
    while left > 0 {
        let t = format!("t{i}");
        let s = hashslot::slots::key_slot(t.as_bytes()).get() as usize;
        if tags[s].is_none() {
            tags[s] = Some(t);
            left -= 1;
        }
        i += 1;
    }
    tags.into_iter().map(|t| t.unwrap()).collect()
}

/// Deterministic filler bytes.
fn filler(seed: u64, n: usize) -> String {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (b'a' + ((x >> 33) % 26) as u8) as char
        })
        .collect()
}

/// The write commands of one slot's keys (all under `{tag}`): strings (raw, int-encoded,
/// large), lists, hashes, sets (int, str, large) and zsets in small and large encodings, and
/// keys with TTLs. `big` scales the large values (1 = the full mix of every encoding).
pub fn slot_commands(tag: &str, big: usize) -> Vec<Vec<String>> {
    let k = |name: &str| format!("{{{tag}}}:{name}");
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let mut out: Vec<Vec<String>> = vec![
        s(&["SET", &k("str"), "hello world"]),
        s(&["SET", &k("int"), "1234567"]),
        s(&["SET", &k("neg"), "-42"]),
        vec!["SET".into(), k("bigstr"), filler(1, 20_000 * big)],
    ];
    let mut small_list = s(&["RPUSH", &k("list")]);
    small_list.extend(["a", "b", "1", "300", "c"].map(String::from));
    out.push(small_list);
    let mut big_list = s(&["RPUSH", &k("biglist")]);
    big_list.extend((0..600 * big).map(|i| {
        if i % 50 == 0 {
            filler(i as u64, 100)
        } else {
            format!("e{i}")
        }
    }));
    out.push(big_list);
    out.push(s(&["HSET", &k("hash"), "f1", "v1", "f2", "2", "f3", "v3"]));
    let mut big_hash = s(&["HSET", &k("bighash")]);
    for i in 0..300 * big {
        big_hash.push(format!("field{i}"));
        big_hash.push(if i == 7 {
            filler(7, 200)
        } else {
            i.to_string()
        });
    }
    out.push(big_hash);
    let mut iset = s(&["SADD", &k("intset")]);
    iset.extend((0..20).map(|i| (i * 7 - 30).to_string()));
    out.push(iset);
    out.push(s(&["SADD", &k("strset"), "x", "y", "zz"]));
    let mut big_iset = s(&["SADD", &k("bigintset")]);
    big_iset.extend((0..700 * big).map(|i| (i * 13).to_string()));
    out.push(big_iset);
    let mut big_set = s(&["SADD", &k("bigset")]);
    big_set.extend((0..400 * big).map(|i| format!("m{i}")));
    out.push(big_set);
    out.push(s(&["ZADD", &k("zset"), "1", "a", "2.5", "b", "-3", "c"]));
    let mut big_zset = s(&["ZADD", &k("bigzset")]);
    for i in 0..300 * big {
        big_zset.push(format!("{}", i as f64 / 3.0));
        big_zset.push(format!("z{i}"));
    }
    out.push(big_zset);
    out.push(s(&["SET", &k("ttlstr"), "soon", "PX", "900000"]));
    out.push(s(&["HSET", &k("ttlhash"), "a", "1"]));
    out.push(s(&["EXPIRE", &k("ttlhash"), "3600"]));
    out.push(s(&["RPUSH", &k("ttllist"), "q", "r"]));
    out.push(s(&["PEXPIRE", &k("ttllist"), "7200000"]));
    out
}

/// The keys `slot_commands` creates (the first argument of each command, deduplicated).
pub fn keys_of(cmds: &[Vec<String>]) -> Vec<String> {
    let mut keys: Vec<String> = cmds.iter().map(|c| c[1].clone()).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Run `cmds` on `port` in pipelines of 100; every reply must be a success.
pub fn run_all(port: u16, cmds: &[Vec<String>]) {
    let mut c = Conn::connect(port).expect("connect");
    for chunk in cmds.chunks(100) {
        let replies = c.pipeline(chunk).expect("pipeline");
        for (cmd, r) in chunk.iter().zip(replies) {
            assert!(
                !matches!(r, Reply::Error(_)),
                "{port}: {} {}: {r:?}",
                cmd[0],
                cmd[1]
            );
        }
    }
}

/// What a key holds, in a form independent of the encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyState {
    pub kind: String,
    /// Strings: [value]; lists in order; hashes as sorted field, value pairs; sets sorted;
    /// zsets in order with scores.
    pub value: Vec<Vec<u8>>,
    /// PTTL (-1: none).
    pub pttl: i64,
}

fn flat(r: Reply) -> Vec<Vec<u8>> {
    match r {
        Reply::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Reply::Bulk(Some(b)) => b,
                other => panic!("array item {other:?}"),
            })
            .collect(),
        Reply::Bulk(Some(b)) => vec![b],
        other => panic!("value reply {other:?}"),
    }
}

/// The state of each of `keys` on `port` (`None`: missing). `asking` sends ASKING first (to
/// read a key of a slot the node is importing).
pub fn snapshot(port: u16, keys: &[String], asking: bool) -> BTreeMap<String, Option<KeyState>> {
    let mut c = Conn::connect(port).expect("connect");
    let mut out = BTreeMap::new();
    for chunk in keys.chunks(50) {
        let mut cmds: Vec<Vec<String>> = Vec::new();
        for k in chunk {
            if asking {
                cmds.push(vec!["ASKING".into()]);
            }
            cmds.push(vec!["TYPE".into(), k.clone()]);
        }
        let types: Vec<String> = c
            .pipeline(&cmds)
            .expect("TYPE")
            .into_iter()
            .filter_map(|r| match r {
                Reply::Status(s) if s != "OK" => Some(s),
                Reply::Status(_) => None,
                r => panic!("TYPE: {r:?}"),
            })
            .collect();
        let mut cmds: Vec<Vec<String>> = Vec::new();
        for (k, t) in chunk.iter().zip(&types) {
            let read: Vec<&str> = match t.as_str() {
                "string" => vec!["GET"],
                "list" => vec!["LRANGE", "@", "0", "-1"],
                "hash" => vec!["HGETALL"],
                "set" => vec!["SMEMBERS"],
                "zset" => vec!["ZRANGE", "@", "0", "-1", "WITHSCORES"],
                "none" => vec!["EXISTS"],
                other => panic!("type {other}"),
            };
            let mut cmd = vec![read[0].to_string(), k.clone()];
            cmd.extend(read.iter().skip(2).map(|s| s.to_string()));
            for extra in [cmd, vec!["PTTL".into(), k.clone()]] {
                if asking {
                    cmds.push(vec!["ASKING".into()]);
                }
                cmds.push(extra);
            }
        }
        let mut replies = c.pipeline(&cmds).expect("read").into_iter();
        for (k, t) in chunk.iter().zip(&types) {
            if asking {
                replies.next();
            }
            let v = replies.next().unwrap();
            if asking {
                replies.next();
            }
            let pttl = match replies.next().unwrap() {
                Reply::Int(n) => n,
                r => panic!("PTTL {k}: {r:?}"),
            };
            if t == "none" {
                out.insert(k.clone(), None);
                continue;
            }
            let mut value = flat(v);
            match t.as_str() {
                "set" => value.sort(),
                "hash" => {
                    let mut pairs: Vec<Vec<Vec<u8>>> = value.chunks(2).map(<[_]>::to_vec).collect();
                    pairs.sort();
                    value = pairs.concat();
                }
                _ => {}
            }
            out.insert(
                k.clone(),
                Some(KeyState {
                    kind: t.clone(),
                    value,
                    pttl,
                }),
            );
        }
    }
    out
}

/// Every key of `before` is on `after` with the same type and value, every key without TTL
/// still has none, and every TTL is within `slack_ms` below the earlier one (never above).
pub fn assert_same(
    what: &str,
    before: &BTreeMap<String, Option<KeyState>>,
    after: &BTreeMap<String, Option<KeyState>>,
    slack_ms: i64,
) {
    assert_eq!(before.len(), after.len(), "{what}: key counts");
    for (k, b) in before {
        let a = after
            .get(k)
            .unwrap_or_else(|| panic!("{what}: {k} not read"));
        let (Some(b), Some(a)) = (b, a) else {
            assert_eq!(b.is_some(), a.is_some(), "{what}: {k} presence");
            continue;
        };
        assert_eq!(a.kind, b.kind, "{what}: {k} type");
        assert!(a.value == b.value, "{what}: {k} value differs");
        if b.pttl < 0 {
            assert_eq!(a.pttl, b.pttl, "{what}: {k} TTL");
        } else {
            assert!(
                a.pttl <= b.pttl && a.pttl > b.pttl - slack_ms,
                "{what}: {k} PTTL {} then {}",
                b.pttl,
                a.pttl
            );
        }
    }
}

/// A small cluster client: one connection per node, a slot → port table learned from MOVED,
/// ASK followed with `ASKING` + the command, TRYAGAIN retried after a pause.
pub struct ClusterClient {
    seed: u16,
    conns: BTreeMap<u16, Conn>,
    slot_port: BTreeMap<u16, u16>,
    /// Redirects followed and retries: (MOVED, ASK, TRYAGAIN).
    pub moved: u64,
    pub ask: u64,
    pub tryagain: u64,
}

impl ClusterClient {
    pub fn new(seed: u16) -> ClusterClient {
        ClusterClient {
            seed,
            conns: BTreeMap::new(),
            slot_port: BTreeMap::new(),
            moved: 0,
            ask: 0,
            tryagain: 0,
        }
    }

    fn send(&mut self, port: u16, cmds: &[Vec<String>]) -> io::Result<Reply> {
        let conn = match self.conns.entry(port) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(Conn::connect(port)?),
        };
        let r = conn.pipeline(cmds);
        match r {
            Ok(mut replies) => Ok(replies.pop().unwrap()),
            Err(e) => {
                self.conns.remove(&port);
                Err(e)
            }
        }
    }

    /// A command on key `args[1]`, redirects followed. Errors other than redirects (and
    /// TRYAGAIN, retried) are returned as replies.
    pub fn keyed(&mut self, args: &[&str]) -> Result<Reply, String> {
        let slot = hashslot::slots::key_slot(args[1].as_bytes()).get();
        let cmd: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut port = *self.slot_port.get(&slot).unwrap_or(&self.seed);
        let mut asking = false;
        for _ in 0..200 {
            let mut cmds = Vec::new();
            if asking {
                cmds.push(vec!["ASKING".to_string()]);
            }
            cmds.push(cmd.clone());
            let reply = self
                .send(port, &cmds)
                .map_err(|e| format!("{args:?} on {port}: {e}"))?;
            asking = false;
            match reply {
                Reply::Error(e) if e.starts_with("MOVED ") || e.starts_with("ASK ") => {
                    let p: u16 = e.rsplit(':').next().unwrap().parse().unwrap();
                    if e.starts_with("MOVED ") {
                        self.moved += 1;
                        self.slot_port.insert(slot, p);
                    } else {
                        self.ask += 1;
                        asking = true;
                    }
                    port = p;
                }
                Reply::Error(e) if e.starts_with("TRYAGAIN") => {
                    self.tryagain += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => return Ok(other),
            }
        }
        Err(format!("{args:?}: too many redirects"))
    }
}

/// A `CLUSTER MIGRATESLOTS STATUS` field.
pub fn status_field(port: u16, name: &str) -> Option<String> {
    let mut c = Conn::connect(port).ok()?;
    let text = c
        .cmd(&["CLUSTER", "MIGRATESLOTS", "STATUS"])
        .ok()?
        .text_opt()?;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(|v| v.trim().to_string())
}

/// The load of the migration tests: a thread that keeps writing and reading its own keys
/// through a [`ClusterClient`] until told to stop. It returns what it knows each key holds,
/// the problems it saw (a wrong value, an error that is not a redirect) and its counters.
pub struct Load {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<LoadResult>,
}

/// What a [`Load`] saw.
#[derive(Debug)]
pub struct LoadResult {
    pub model: BTreeMap<String, String>,
    pub problems: Vec<String>,
    pub ops: u64,
    pub moved: u64,
    pub ask: u64,
    pub tryagain: u64,
}

impl Load {
    /// Start on `keys` keys (`load:<i>`, over every slot) via the node at `seed`.
    pub fn start(seed: u16, keys: usize) -> Load {
        Load::start_on(seed, (0..keys).map(|i| format!("load:{i}")).collect())
    }

    /// Start on the keys `names` via the node at `seed`.
    pub fn start_on(seed: u16, names: Vec<String>) -> Load {
        let keys = names.len();
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut c = ClusterClient::new(seed);
            let mut model = BTreeMap::new();
            let mut problems = Vec::new();
            let (mut ops, mut n) = (0u64, 0u64);
            while !flag.load(Ordering::Relaxed) && problems.len() < 10 {
                let k = &names[(n % keys as u64) as usize];
                let v = format!("v{n}");
                match c.keyed(&["SET", k, &v]) {
                    Ok(Reply::Status(ok)) if ok == "OK" => {
                        model.insert(k.clone(), v);
                    }
                    other => problems.push(format!("SET {k}: {other:?}")),
                }
                let k2 = &names[((n * 7919) % keys as u64) as usize];
                for key in [k, k2] {
                    let want = model.get(key).map_or(Reply::Bulk(None), |v: &String| {
                        Reply::Bulk(Some(v.clone().into_bytes()))
                    });
                    match c.keyed(&["GET", key]) {
                        Ok(r) if r == want => {}
                        other => problems.push(format!("GET {key}: {other:?}, want {want:?}")),
                    }
                }
                ops += 3;
                n += 1;
            }
            LoadResult {
                model,
                problems,
                ops,
                moved: c.moved,
                ask: c.ask,
                tryagain: c.tryagain,
            }
        });
        Load { stop, thread }
    }

    /// Stop and collect.
    pub fn stop(self) -> LoadResult {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().expect("load thread")
    }
}

/// Every key of `data` (SET commands) and of the load's `model` reads back with its value
/// through a cluster client starting at `port`, and the nodes hold exactly that many keys in
/// all: none lost, none on both sides.
pub fn assert_each_key_once(
    nodes: &[crate::cluster_support::Node],
    port: u16,
    data: &[Vec<String>],
    model: &BTreeMap<String, String>,
) {
    let mut c = ClusterClient::new(port);
    for cmd in data {
        let r = c.keyed(&["GET", &cmd[1]]).unwrap();
        assert_eq!(
            r,
            Reply::Bulk(Some(cmd[2].clone().into_bytes())),
            "{}",
            cmd[1]
        );
    }
    for (k, v) in model {
        let r = c.keyed(&["GET", k]).unwrap();
        assert_eq!(r, Reply::Bulk(Some(v.clone().into_bytes())), "{k}");
    }
    let total: i64 = nodes
        .iter()
        .map(|n| match n.cmd(&["DBSIZE"]) {
            Reply::Int(k) => k,
            r => panic!("{r:?}"),
        })
        .sum();
    assert_eq!(
        total as usize,
        data.len() + model.len(),
        "a key lost or on both sides"
    );
}
