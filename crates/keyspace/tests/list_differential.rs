//! List commands against a real redis-server 7.0 and against our `Db`s: the RESP bytes must be
//! identical, in RESP2 and (for the null shapes) RESP3. Skipped when redis-server is missing,
//! unless HASHSLOT_REQUIRE_REDIS=1.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use common::{split, wall_ms, Node, RedisServer};
use hashslot_keyspace::{commands, Ctx};
use hashslot_resp::{ErrorReply, Proto, Reply};

/// One command per line; `#` lines are comments. Blocking commands appear only where they are
/// served at once or fail, since a real server would park the connection.
const CASES: &str = r#"
# --- push / len / range
rpush l a b c
lpush l z y
llen l
lrange l 0 -1
lrange l 1 2
lrange l -2 -1
lrange l -100 100
lrange l 3 1
lrange l 5 10
lrange l 0 0
lrange l -1 -100
lrange l abc 1
lrange l 1 abc
lrange nosuch 0 -1
lrange nosuch abc 0
lrange l 9223372036854775807 -9223372036854775808
lrange l -9223372036854775808 9223372036854775807
rpushx l x1 x2
lpushx l x0
rpushx nosuch a
lpushx nosuch a
exists nosuch
lrange l 0 -1
type l
object encoding l
llen nosuch
rpush ints 1 -1 0 127 128 -4096 4095 4096 32767 -32768 8388607 -8388608 2147483647 -2147483648 9223372036854775807 -9223372036854775808
lrange ints 0 -1
rpush ints -0 007 +1 1.5 9223372036854775808 ""
lrange ints 0 -1
lindex ints 16
lindex ints -1
lpos ints 0
lpos ints -0
lpos ints 007
lrem ints 0 1
lrange ints 0 -1
# --- WRONGTYPE against a string
set s v
lpush s a
rpush s a
lpushx s a
rpushx s a
lpop s
rpop s
lpop s 2
llen s
lrange s 0 -1
lindex s 0
lset s 0 v
linsert s before a b
lrem s 0 a
ltrim s 0 1
lpos s a
lpos s a count 0
lmove s l left left
lmove l s left left
rpoplpush s l
rpoplpush l s
lmpop 1 s left
lmpop 2 nosuch s left
blpop s 0
brpop nosuch s 0
blmove s l left left 0
brpoplpush s l 0
blmpop 0 1 s left
lrange l 0 -1
get s
lrange s abc 0
lindex s abc
# --- LPOP / RPOP with count
del p
rpush p 1 2 3 4 5
lpop p
rpop p
lpop p 0
lpop p 2
rpop p 1
lpop p 10
exists p
lpop p
lpop p 3
rpop p 0
lpop p -1
rpop p abc
lpop p 1 2
rpop p 1 2 3
rpush p only
rpop p 5
exists p
# --- LINDEX / LSET
rpush x a b c d
lindex x 0
lindex x 3
lindex x 4
lindex x -1
lindex x -4
lindex x -5
lindex x 9223372036854775807
lindex x -9223372036854775808
lindex x abc
lindex nosuch abc
lindex nosuch 0
lset x 0 A
lset x -1 D
lset x 4 E
lset x -5 E
lset x abc E
lset nosuch 0 a
lset nosuch abc a
lset x 1 12345
lset x 2 a-much-longer-value-than-before-abcdefghijklmnopqrstuvwxyz0123456789
lrange x 0 -1
# --- LINSERT
linsert x before A first
linsert x after D last
linsert x after 12345 mid
linsert x before nope v
linsert x middle A v
linsert nosuch before a b
linsert nosuch middle a b
lrange x 0 -1
llen x
# --- LREM
del r
rpush r a b a c a b a
lrem r 2 a
lrange r 0 -1
lrem r -1 a
lrange r 0 -1
lrem r 0 b
lrange r 0 -1
lrem r 0 zz
lrem r abc a
lrem nosuch 1 a
lrem nosuch abc a
lrem r 0 a
lrem r 0 c
exists r
rpush r 1 2 1 2 1
lrem r -9223372036854775808 1
lrange r 0 -1
# --- LTRIM
del t
rpush t 0 1 2 3 4 5 6 7 8 9
ltrim t 1 -2
lrange t 0 -1
ltrim t -3 -1
lrange t 0 -1
ltrim t 0 100
lrange t 0 -1
ltrim t abc 1
ltrim t 1 abc
ltrim nosuch 0 1
ltrim nosuch abc 1
ltrim t 2 1
exists t
rpush t a b c
ltrim t 5 10
exists t
rpush t a b c
ltrim t -100 -3
lrange t 0 -1
# --- LPOS
del q
rpush q a b c 1 2 3 c c
lpos q c
lpos q c rank 2
lpos q c rank -1
lpos q c rank -2
lpos q c count 0
lpos q c count 2
lpos q c rank 2 count 0
lpos q c rank -1 count 2
lpos q c maxlen 3
lpos q c maxlen 3 count 0
lpos q c rank -1 maxlen 1
lpos q zz
lpos q zz count 0
lpos q 1
lpos q 3 rank 1 count 1 maxlen 0
lpos q c rank 0
lpos q c rank abc
lpos q c count -1
lpos q c count abc
lpos q c maxlen -1
lpos q c maxlen abc
lpos q c rank
lpos q c foo 1
lpos q c count 1 rank 10
lpos q c rank 9223372036854775807
lpos q c rank -9223372036854775808
lpos q c rank -9223372036854775808 count 0
lpos nosuch a
lpos nosuch a count 1
lpos nosuch a rank 0
# --- LMOVE / RPOPLPUSH
del m1 m2
rpush m1 a b c
lmove m1 m2 left right
lmove m1 m2 right left
lrange m1 0 -1
lrange m2 0 -1
lmove m1 m2 LEFT RIGHT
exists m1
lmove m1 m2 left left
lmove m2 m2 left right
lrange m2 0 -1
lmove m2 m2 right left
lrange m2 0 -1
lmove m2 m2 up left
lmove m2 m2 left down
rpoplpush m2 m3
rpoplpush m2 m3
rpoplpush m2 m3
rpoplpush m2 m3
lrange m3 0 -1
exists m2
rpush one x
rpoplpush one one
lrange one 0 -1
lmove nosuch m3 left left
lmove nosuch m3 foo left
# --- LMPOP
del mp1 mp2
rpush mp2 1 2 3 4 5
lmpop 2 mp1 mp2 left
lmpop 2 mp1 mp2 right count 2
lmpop 2 mp1 mp2 left count 10
exists mp2
lmpop 2 mp1 mp2 left
lmpop 0 mp1 left
lmpop -1 mp1 left
lmpop abc mp1 left
lmpop 3 mp1 mp2 left
lmpop 1 mp1 middle
lmpop 1 mp1 left count
lmpop 1 mp1 left count 0
lmpop 1 mp1 left count -5
lmpop 1 mp1 left count abc
lmpop 1 mp1 left count 1 count 1
lmpop 1 mp1 left foo
lmpop 9223372036854775807 mp1 left
lmpop 1
lmpop
# --- blocking commands that are served at once, or fail
del b1 b2
rpush b2 x y z
blpop b1 b2 0
brpop b1 b2 0.5
blpop b2 1
blpop b1 abc
blpop b1 -1
blpop b1 " 1"
blpop b1 inf
blpop b1 1e400
blpop b1 nan
blpop b1 ""
brpop b1 -0.5
rpush b2 p q r s
blmpop 0 2 b1 b2 left count 2
blmpop 1 1 b2 right
blmpop abc 1 b2 right
blmpop -1 1 b2 right
blmpop 0 0 b2 right
blmpop 0 1 b2 up
blmpop 0 1 b2 left count 0
blmpop 0 1 b2 left count 1 extra
rpush b2 m n
blmove b2 b3 left right 0
blmove b2 b3 left right abc
blmove b2 b3 left up 0
blmove b2 b3 up left abc
brpoplpush b2 b3 0.01
brpoplpush b2 b3 -1
brpoplpush b2 b3 nope
lrange b3 0 -1
exists b2
# --- arity
lpush l
rpush
llen
lrange l 0
linsert l before a
lpos l
blpop l
"#;

fn run_cases(ours: &mut Node, redis: &mut common::Client, cases: &str) -> Vec<String> {
    let mut diffs = Vec::new();
    for line in cases
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let want = redis.cmd(line);
        ours.now = hashslot_types::Now::new(ours.now.mono, hashslot_types::UnixMillis(wall_ms()));
        let got = ours.cmd(line);
        if want != got {
            diffs.push(format!(
                "{line}\n   redis: {:?}\n   ours:  {:?}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    diffs
}

/// Our side's arity error text for the arity cases: the node checks arity, and `Node::run`
/// does too (with the registered name), so the texts match Redis's.
#[test]
fn list_replies_match_redis_byte_for_byte() {
    let Some(server) = RedisServer::start() else {
        eprintln!("redis-server not found: skipping (set HASHSLOT_REQUIRE_REDIS=1 to fail)");
        return;
    };
    let mut redis = server.connect();
    redis.cmd("flushall");
    let mut ours = Node::new(wall_ms());
    let diffs = run_cases(&mut ours, &mut redis, CASES);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Long lists spanning many chunks: every read agrees after a mixed workload.
#[test]
fn long_lists_match_redis() {
    let Some(server) = RedisServer::start() else {
        eprintln!("redis-server not found: skipping");
        return;
    };
    let mut redis = server.connect();
    let mut ours = Node::new(wall_ms());
    let mut script = String::new();
    for i in 0..3000 {
        let v = match i % 4 {
            0 => format!("{i}"),
            1 => format!("v{i}"),
            2 => format!("{}{i}", "x".repeat(i % 200)),
            _ => format!("-{}", i * 7919),
        };
        if i % 3 == 0 {
            script.push_str(&format!("lpush big {v}\n"));
        } else {
            script.push_str(&format!("rpush big {v}\n"));
        }
    }
    for line in [
        "llen big",
        "lindex big 1500",
        "lindex big -1",
        "lrange big 1000 1100",
        "lrange big -50 -1",
        "lset big 1234 replaced",
        "linsert big before replaced inserted",
        "lrem big 0 inserted",
        "lrem big -3 5",
        "lpos big replaced",
        "lpos big 0 rank -1 count 3",
        "ltrim big 100 -100",
        "lpop big 50",
        "rpop big 50",
        "lrange big 0 -1",
        "lmpop 1 big right count 1000",
        "llen big",
        "lrange big 0 -1",
    ] {
        script.push_str(line);
        script.push('\n');
    }
    let diffs = run_cases(&mut ours, &mut redis, &script);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// RESP3: the null shapes of LPOP/RPOP (with and without count), LMPOP, LINDEX, LPOS.
#[test]
fn resp3_null_shapes_match_redis() {
    let Some(server) = RedisServer::start() else {
        eprintln!("redis-server not found: skipping");
        return;
    };
    let mut redis = Resp3Client::connect(server.port);
    let mut ours = Node::new(wall_ms());
    let mut diffs = Vec::new();
    for line in [
        "lpop nosuch",
        "lpop nosuch 2",
        "rpop nosuch 0",
        "rpush k a",
        "lpop k 0",
        "lindex k 5",
        "lindex nosuch 0",
        "lpos k zz",
        "lpos k zz count 0",
        "lmpop 1 nosuch left",
        "lrange nosuch 0 -1",
        "lmove nosuch k left left",
        "rpoplpush nosuch k",
        "lpop k 5",
    ] {
        let want = redis.cmd(line);
        let got = run_resp3(&mut ours, line);
        if want != got {
            diffs.push(format!(
                "{line}\n   redis: {:?}\n   ours:  {:?}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// One leaf command on our side with a RESP3 reply writer.
fn run_resp3(node: &mut Node, line: &str) -> Vec<u8> {
    let args = split(line);
    let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
    let spec = commands()
        .iter()
        .find(|c| c.name == name)
        .expect("known command");
    let mut out = Vec::new();
    let ok = if spec.arity >= 0 {
        argv.len() == spec.arity as usize
    } else {
        argv.len() >= (-spec.arity) as usize
    };
    if !ok {
        Reply::new(&mut out, Proto::Resp3).error(&ErrorReply::WrongArity(name));
        return out;
    }
    let mut ctx = Ctx::new(
        &mut node.dbs,
        node.db_index,
        node.now,
        Reply::new(&mut out, Proto::Resp3),
        &mut node.rng,
        &mut node.stats,
    );
    (spec.handler.expect("leaf"))(&mut ctx, &argv);
    out
}

/// A client that switched to RESP3 (`HELLO 3`) and returns each reply's raw bytes.
struct Resp3Client {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Resp3Client {
    fn connect(port: u16) -> Self {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut c = Resp3Client {
            w: s.try_clone().expect("clone"),
            r: BufReader::new(s),
        };
        c.cmd("hello 3");
        c
    }

    fn cmd(&mut self, line: &str) -> Vec<u8> {
        let args = split(line);
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in &args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.w.write_all(&req).expect("write");
        let mut out = Vec::new();
        self.read_value(&mut out);
        out
    }

    fn read_value(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        self.r.read_until(b'\n', out).expect("read");
        let line = out[start..out.len() - 2].to_vec();
        let n: i64 = std::str::from_utf8(&line[1..])
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        match line[0] {
            b'$' | b'=' | b'!' if n >= 0 => {
                let mut buf = vec![0u8; n as usize + 2];
                self.r.read_exact(&mut buf).expect("read bulk");
                out.extend_from_slice(&buf);
            }
            b'*' | b'~' | b'>' => (0..n.max(0)).for_each(|_| self.read_value(out)),
            b'%' | b'|' => (0..n.max(0) * 2).for_each(|_| self.read_value(out)),
            _ => {}
        }
    }
}
