//! Shared test support: a varied dataset as a model, conversions to keyspace values and to
//! Redis commands, comparisons, and a real redis-server with a tiny RESP client.
#![allow(dead_code, clippy::disallowed_methods)] // tests wait for and time real processes

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use hashslot_keyspace::{Db, Hash, List, Object, Set, StrRef, Value, ValueRef, ZSet};
use hashslot_types::UnixMillis;

/// One key's value, as plain data.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    Set(Vec<Vec<u8>>),
    ZSet(Vec<(Vec<u8>, f64)>),
}

/// (key, value, absolute expiry ms).
pub type Entry = (Vec<u8>, Model, Option<i64>);

fn b(s: impl AsRef<[u8]>) -> Vec<u8> {
    s.as_ref().to_vec()
}

/// A dataset with small and large encodings of every type, int strings and TTLs.
pub fn varied(now_ms: i64) -> Vec<Entry> {
    let mut rnd: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        rnd
    };
    let random_bytes: Vec<u8> = (0..300).map(|_| next() as u8).collect();
    let mut v: Vec<Entry> = vec![
        (b("s:small"), Model::Str(b("hello")), None),
        (b("s:empty"), Model::Str(b("")), None),
        (b("s:int"), Model::Str(b("12345")), None),
        (b("s:neg"), Model::Str(b("-7")), None),
        (b("s:i64"), Model::Str(b("9223372036854775807")), None),
        (b("s:lead0"), Model::Str(b("007")), None),
        (
            b("s:long"),
            Model::Str(vec![b'a'; 100]),
            Some(now_ms + 3_600_000),
        ),
        (b("s:rand"), Model::Str(random_bytes.clone()), None),
        (
            b("s:big"),
            Model::Str(b("0123456789").repeat(2000)),
            Some(now_ms + 7_200_000),
        ),
        (b("12345"), Model::Str(b("int key")), None),
        (
            b("l:small"),
            Model::List(vec![
                b("a"),
                b("1"),
                b("-5"),
                b(""),
                b("x").repeat(70),
                b("70000"),
            ]),
            None,
        ),
        (
            b("l:big"),
            Model::List(
                (0..5000)
                    .map(|i| format!("element-{i}").into_bytes())
                    .collect(),
            ),
            Some(now_ms + 600_000),
        ),
        (
            b("l:huge-elem"),
            Model::List(vec![b("h"), vec![b'z'; 20_000], random_bytes.clone()]),
            None,
        ),
        (
            b("h:small"),
            Model::Hash(vec![
                (b("f1"), b("v1")),
                (b("n"), b("42")),
                (b("neg"), b("-100000")),
                (b("e"), b("")),
            ]),
            None,
        ),
        (
            b("h:big"),
            Model::Hash(
                (0..1000)
                    .map(|i| {
                        (
                            format!("field{i}").into_bytes(),
                            format!("{i}").into_bytes(),
                        )
                    })
                    .collect(),
            ),
            None,
        ),
        (
            b("h:longval"),
            Model::Hash(vec![(b("f"), vec![b'q'; 100])]),
            Some(now_ms + 1000 * 86_400),
        ),
        (
            b("set:ints"),
            Model::Set(vec![
                b("1"),
                b("2"),
                b("-100"),
                b("70000"),
                b("9223372036854775807"),
            ]),
            None,
        ),
        (
            b("set:bigints"),
            Model::Set(
                (0..1000)
                    .map(|i| format!("{}", i * 3 - 500).into_bytes())
                    .collect(),
            ),
            None,
        ),
        (
            b("set:strs"),
            Model::Set(vec![
                b("apple"),
                b("banana"),
                b("7"),
                random_bytes[..40].to_vec(),
            ]),
            None,
        ),
        (
            b("z:small"),
            Model::ZSet(vec![
                (b("a"), 1.0),
                (b("b"), 2.5),
                (b("c"), f64::NEG_INFINITY),
                (b("d"), f64::INFINITY),
                (b("e"), 1e300),
                (b("f"), -0.125),
                (b("7"), 3.0),
                (b("g"), 0.1),
            ]),
            None,
        ),
        (
            b("z:big"),
            Model::ZSet(
                (0..500)
                    .map(|i| (format!("m{i}").into_bytes(), f64::from(i) * 1.5 - 100.0))
                    .collect(),
            ),
            Some(now_ms + 900_000),
        ),
        (
            b("z:longmember"),
            Model::ZSet(vec![(vec![b'm'; 80], 5.0), (b("x"), -1.0)]),
            None,
        ),
    ];
    for i in 0..50 {
        v.push((
            format!("key:{i}").into_bytes(),
            Model::Str(format!("value-{i}").into_bytes()),
            None,
        ));
    }
    v
}

/// The keyspace value of a model.
pub fn to_value(m: &Model) -> Value {
    match m {
        Model::Str(s) => Value::Str(s.clone()),
        Model::List(items) => {
            let mut l = List::new();
            for i in items {
                l.push_back(i);
            }
            Value::Obj(Object::List(l))
        }
        Model::Hash(pairs) => {
            let mut h = Hash::new();
            for (f, v) in pairs {
                h.insert(f, v);
            }
            Value::Obj(Object::Hash(h))
        }
        Model::Set(ms) => {
            let mut s = Set::new();
            for m in ms {
                s.insert(m);
            }
            Value::Obj(Object::Set(s))
        }
        Model::ZSet(ms) => {
            let mut z = ZSet::new();
            for (m, sc) in ms {
                z.insert(m, *sc);
            }
            Value::Obj(Object::ZSet(z))
        }
    }
}

/// A database holding `data`.
pub fn to_db(data: &[Entry], now: UnixMillis) -> Db {
    let mut db = Db::new();
    for (k, m, exp) in data {
        db.insert(k, to_value(m), *exp, now);
    }
    db
}

fn strref(s: StrRef<'_>) -> Vec<u8> {
    s.to_vec()
}

/// The model of a stored value, sorted where the type has no order (hash, set).
pub fn model_of(v: ValueRef<'_>) -> Model {
    match v {
        ValueRef::Str(s, _) => Model::Str(strref(s)),
        ValueRef::Obj(o) => match o {
            Object::Str(s) => Model::Str(s.clone()),
            Object::List(l) => Model::List(l.iter().map(strref).collect()),
            Object::Hash(h) => {
                let mut p: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
                p.sort();
                Model::Hash(p)
            }
            Object::Set(s) => {
                let mut m: Vec<_> = s.iter().map(strref).collect();
                m.sort();
                Model::Set(m)
            }
            Object::ZSet(z) => Model::ZSet(z.iter().map(|(m, s)| (m.to_vec(), s)).collect()),
            _ => panic!("unexpected object"),
        },
    }
}

/// The model in canonical form (hash and set sorted, zset by score then member).
pub fn canonical(m: &Model) -> Model {
    match m {
        Model::Hash(p) => {
            let mut p = p.clone();
            p.sort();
            Model::Hash(p)
        }
        Model::Set(s) => {
            let mut s = s.clone();
            s.sort();
            Model::Set(s)
        }
        Model::ZSet(z) => {
            let mut z = z.clone();
            z.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            Model::ZSet(z)
        }
        other => other.clone(),
    }
}

/// Zset equality by bits of the scores (so -0.0 != 0.0 and infinities compare exactly).
pub fn same(a: &Model, b: &Model) -> bool {
    match (canonical(a), canonical(b)) {
        (Model::ZSet(x), Model::ZSet(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(&y)
                    .all(|(p, q)| p.0 == q.0 && p.1.to_bits() == q.1.to_bits())
        }
        (x, y) => x == y,
    }
}

/// Assert `db` holds exactly `data`.
pub fn assert_db_holds(db: &Db, data: &[Entry]) {
    assert_eq!(db.len(), data.len());
    for (k, m, exp) in data {
        let v = db
            .peek(k)
            .unwrap_or_else(|| panic!("missing {}", String::from_utf8_lossy(k)));
        assert!(
            same(&model_of(v), m),
            "value of {}",
            String::from_utf8_lossy(k)
        );
        assert_eq!(
            db.expire_time(k),
            *exp,
            "expiry of {}",
            String::from_utf8_lossy(k)
        );
    }
}

/// Redis commands that create `data`.
pub fn commands(data: &[Entry]) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for (k, m, exp) in data {
        let mut c: Vec<Vec<u8>>;
        match m {
            Model::Str(s) => c = vec![b("SET"), k.clone(), s.clone()],
            Model::List(items) => {
                c = vec![b("RPUSH"), k.clone()];
                c.extend(items.iter().cloned());
            }
            Model::Hash(p) => {
                c = vec![b("HSET"), k.clone()];
                for (f, v) in p {
                    c.push(f.clone());
                    c.push(v.clone());
                }
            }
            Model::Set(ms) => {
                c = vec![b("SADD"), k.clone()];
                c.extend(ms.iter().cloned());
            }
            Model::ZSet(ms) => {
                c = vec![b("ZADD"), k.clone()];
                for (m, sc) in ms {
                    let mut t = Vec::new();
                    hashslot_persist::score::format(*sc, &mut t);
                    c.push(t);
                    c.push(m.clone());
                }
            }
        }
        out.push(c);
        if let Some(e) = exp {
            out.push(vec![b("PEXPIREAT"), k.clone(), e.to_string().into_bytes()]);
        }
    }
    out
}

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

impl Reply {
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Reply::Bulk(Some(b)) => b.clone(),
            Reply::Status(s) => s.clone().into_bytes(),
            other => panic!("not a string reply: {other:?}"),
        }
    }
    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }
    pub fn array(&self) -> Vec<Vec<u8>> {
        match self {
            Reply::Array(a) => a.iter().map(Reply::bytes).collect(),
            other => panic!("not an array: {other:?}"),
        }
    }
}

/// A std-only RESP2 client.
pub struct Client {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Client {
    pub fn run<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Reply {
        let mut req = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            let a = a.as_ref();
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.w.write_all(&req).expect("write");
        self.read()
    }

    pub fn cmd(&mut self, line: &str) -> Reply {
        let argv: Vec<&str> = line.split(' ').collect();
        self.run(&argv)
    }

    fn read(&mut self) -> Reply {
        let mut line = Vec::new();
        self.r.read_until(b'\n', &mut line).expect("read");
        assert!(line.len() >= 3, "connection closed");
        let body = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        match line[0] {
            b'+' => Reply::Status(body),
            b'-' => Reply::Error(body),
            b':' => Reply::Int(body.parse().expect("int")),
            b'$' => {
                let n: i64 = body.parse().expect("len");
                if n < 0 {
                    return Reply::Bulk(None);
                }
                let mut buf = vec![0u8; n as usize + 2];
                self.r.read_exact(&mut buf).expect("bulk");
                buf.truncate(n as usize);
                Reply::Bulk(Some(buf))
            }
            b'*' => {
                let n: i64 = body.parse().expect("len");
                Reply::Array((0..n.max(0)).map(|_| self.read()).collect())
            }
            c => panic!("bad reply type {c}"),
        }
    }
}

/// Whether a Redis tool is on PATH; panics when it is not and `HASHSLOT_REQUIRE_REDIS=1`.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        assert!(
            std::env::var("HASHSLOT_REQUIRE_REDIS").as_deref() != Ok("1"),
            "HASHSLOT_REQUIRE_REDIS=1 but {tool} is not on PATH"
        );
        eprintln!("skipping: {tool} not on PATH");
    }
    ok
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("hashslot-persist-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("mkdir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A redis-server child, killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Start redis-server in `dir` (loading `dbfilename` if it exists); `None` when it is not
    /// installed (see [`have`]).
    pub fn start(dir: &Path, dbfilename: &str) -> Option<Server> {
        if !have("redis-server") {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir)
            .args(["--dbfilename", dbfilename])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let server = Server { child, port };
        for _ in 0..500 {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                let mut c = Client {
                    w: s.try_clone().expect("clone"),
                    r: BufReader::new(s),
                };
                // Replies -LOADING until the file is in.
                if c.cmd("PING") == Reply::Status("PONG".into()) {
                    return Some(server);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("redis-server did not start on port {port}");
    }

    pub fn client(&self) -> Client {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        Client {
            w: s.try_clone().expect("clone"),
            r: BufReader::new(s),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wall-clock ms (a real server reads the real clock).
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

/// Read key `k` of type `ty` from a real server as a model.
pub fn fetch(c: &mut Client, k: &[u8]) -> Model {
    let ty = c.run(&[b"TYPE".as_slice(), k]).bytes();
    match ty.as_slice() {
        b"string" => Model::Str(c.run(&[b"GET".as_slice(), k]).bytes()),
        b"list" => Model::List(c.run(&[b"LRANGE".as_slice(), k, b"0", b"-1"]).array()),
        b"hash" => {
            let a = c.run(&[b"HGETALL".as_slice(), k]).array();
            Model::Hash(a.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect())
        }
        b"set" => Model::Set(c.run(&[b"SMEMBERS".as_slice(), k]).array()),
        b"zset" => {
            let a = c
                .run(&[b"ZRANGE".as_slice(), k, b"0", b"-1", b"WITHSCORES"])
                .array();
            Model::ZSet(
                a.chunks(2)
                    .map(|p| {
                        (
                            p[0].clone(),
                            hashslot_persist::score::parse(&p[1]).expect("score"),
                        )
                    })
                    .collect(),
            )
        }
        other => panic!("unexpected type {}", String::from_utf8_lossy(other)),
    }
}
