//! Sorted-set commands against a real redis-server 7.0, byte for byte, in RESP2 and (after
//! HELLO 3 on the Redis side) RESP3. Skipped when redis-server is missing, unless
//! HASHSLOT_REQUIRE_REDIS=1.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use common::{split, wall_ms, Node, RedisServer};
use hashslot_keyspace::{commands, Ctx};
use hashslot_resp::{ErrorReply, Proto, Reply};

/// One command per line; `#` lines are comments. Run on a listpack set and, with `@` replaced,
/// again: lines are also replayed with every key renamed to a skiplist-encoded twin (see
/// `big_prelude`).
const CASES: &str = r#"
# --- ZADD options and errors
zadd z 1 a 2 b 3 c
zadd z 1 a
zadd z ch 5 a 2 b
zadd z nx 10 a 4 d
zadd z xx 20 a 30 nope
zrange z 0 -1 withscores
zadd z xx nx 1 a
zadd z nx xx 1 a
zadd z gt lt 1 a
zadd z gt nx 1 a
zadd z lt nx 1 a
zadd z incr 1 a 2 b
zadd z 1
zadd z 1 a 2
zadd z abc a
zadd z nan a
zadd z 1e400 a
zadd z " 1" a
zadd z "1 " a
zadd z 0x10 hex
zadd z 1e-400 a
zadd z "" a
zadd z +inf pinf -inf ninf
zadd z gt 1 a
zadd z gt ch 100 a
zadd z lt ch 100 a
zadd z lt ch -100 a
zadd z incr 5 a
zadd z incr nx 5 a
zadd z incr xx 5 newmem
zadd z incr gt -1 a
zadd z incr lt -1 a
zadd z incr 5 fresh
zadd z incr -inf pinf
zadd z incr +inf pinf
zadd z incr -inf pinf
zscore z pinf
zadd z 1.5 f 0.1 g -0 negz 1e20 big 3.0e-5 small
zrange z 0 -1 withscores
zadd z XX CH GT 1000 a 1 b
zadd z NX 1 a
zadd nokey xx 1 a
exists nokey
zincrby z 1 a
zincrby z 1.5 newinc
zincrby z abc a
zincrby z +inf pinf
zincrby z -inf pinf
zincrby z 1
zscore z nomember
zscore nokey a
zmscore z a b nomember c
zmscore nokey a b
zcard z
zcard nokey
# --- wrong types
set str v
zadd str 1 a
zincrby str 1 a
zrem str a
zscore str a
zmscore str a
zcard str
zcount str 0 1
zlexcount str - +
zrange str 0 1
zrangestore dst str 0 1
zrangebyscore str 0 1
zrevrange str 0 1
zrank str a
zrevrank str a
zpopmin str
zpopmax str
zmpop 1 str min
bzpopmin str 0
bzmpop 0 1 str min
zrandmember str
zrandmember str 2
zremrangebyrank str 0 1
zremrangebyscore str 0 1
zremrangebylex str - +
zunion 1 str
zinter 2 z str
zdiff 2 z str
zunionstore dst 1 str
zintercard 1 str
zscan str 0
zunion 1 str weights x
# --- ranks
del z
zadd z 1 a 2 b 3 c 4 d 5 e 5 ee 5 eee 6 f
zrank z a
zrank z eee
zrank z nope
zrevrank z a
zrevrank z f
zrank nokey a
zrange z 0 -1
zrange z 2 4
zrange z -3 -1 withscores
zrange z 5 2
zrange z 100 200
zrange z -100 1
zrange z 0 100
zrange z 0 -1 rev
zrange z 0 2 rev withscores
zrange z a b
zrange z 0 1 limit 0 1
zrange z 0 1 foo
zrange z 0 1 withscores withscores
zrevrange z 0 2
zrevrange z 0 -1 withscores
zrevrange z -2 -1
zrevrange z 0 1 rev
zrevrange z 0 1 limit 0 1
zrange nokey 0 -1
# --- score ranges
zrangebyscore z 2 5
zrangebyscore z (2 5
zrangebyscore z 2 (5
zrangebyscore z (2 (5 withscores
zrangebyscore z -inf +inf
zrangebyscore z -inf +inf limit 2 3
zrangebyscore z -inf +inf limit 2 -1
zrangebyscore z -inf +inf limit -1 2
zrangebyscore z -inf +inf limit 100 2
zrangebyscore z -inf +inf limit 0 0
zrangebyscore z -inf +inf limit 7 5
zrangebyscore z 5 2
zrangebyscore z abc 2
zrangebyscore z 1 nan
zrangebyscore z "" ""
zrangebyscore z " 1" " 3"
zrangebyscore z 1e400 +inf
zrangebyscore z ( 3
zrangebyscore z -inf +inf limit 1
zrangebyscore z -inf +inf limit a 1
zrangebyscore z 0 10 rev
zrangebyscore z 0 10 byscore
zrevrangebyscore z 5 2
zrevrangebyscore z +inf -inf withscores limit 1 3
zrevrangebyscore z (5 (2
zrevrangebyscore z 2 5
zrange z 2 5 byscore
zrange z 5 2 byscore rev
zrange z (1 +inf byscore limit 1 2 withscores
zrange z +inf (1 byscore rev limit 1 2
zrange z 0 1 byscore bylex
zrange z 0 1 bylex
zcount z 2 5
zcount z (2 (5
zcount z -inf +inf
zcount z 5 2
zcount z x 1
zcount nokey 0 1
# --- lex ranges (equal scores)
zadd lex 0 a 0 b 0 c 0 d 0 e 0 f 0 ga 0 gb
zrangebylex lex - +
zrangebylex lex [b [d
zrangebylex lex (b (d
zrangebylex lex (b +
zrangebylex lex - (c
zrangebylex lex + -
zrangebylex lex [z +
zrangebylex lex [g [gz
zrangebylex lex - + limit 2 3
zrangebylex lex - + limit -1 3
zrangebylex lex b d
zrangebylex lex "" +
zrangebylex lex -x +
zrangebylex lex - + withscores
zrevrangebylex lex + -
zrevrangebylex lex [d [b
zrevrangebylex lex (d - limit 1 2
zrange lex [b [e bylex
zrange lex [e [b bylex rev
zrange lex - + bylex limit 1 1
zrange lex - + bylex withscores
zlexcount lex - +
zlexcount lex [b (e
zlexcount lex + -
zlexcount lex a b
zlexcount nokey - +
zremrangebylex lex [b [c
zrange lex 0 -1
zremrangebylex lex x y
zremrangebylex lex - +
exists lex
# --- ZRANGESTORE
zrangestore dst z 0 2
zrange dst 0 -1 withscores
object encoding dst
zrangestore dst z 2 5 byscore limit 1 2
zrange dst 0 -1 withscores
zrangestore dst z 0 -1 rev
zrange dst 0 -1
zrangestore dst z 100 200
exists dst
zrangestore dst nokey 0 -1
zrangestore dst z 0 1 withscores
set dst x
expire dst 100
zrangestore dst z 0 1
ttl dst
type dst
# --- ZREM and deletion of empty sets
zadd r 1 a 2 b 3 c
zrem r a nope
zrem r b c d
exists r
zrem r a
zrem nokey a
# --- ZREMRANGEBYRANK / BYSCORE
zadd rr 1 a 2 b 3 c 4 d 5 e
zremrangebyrank rr 1 2
zrange rr 0 -1
zremrangebyrank rr 5 10
zremrangebyrank rr -1 -1
zremrangebyrank rr 1 0
zremrangebyrank rr a b
zremrangebyscore rr (1 5
zremrangebyscore rr x 5
zrange rr 0 -1 withscores
zremrangebyscore rr -inf +inf
exists rr
# --- pops
zadd p 1 a 2 b 3 c 4 d 5 e
zpopmin p
zpopmax p
zpopmin p 2
zpopmax p 0
zpopmin p -1
zpopmin p x
zpopmin p 1 2
zpopmax p 10
exists p
zpopmin p
zpopmin p 3
zadd p 1 a 2 b
zmpop 1 p min
zmpop 2 nokey p max count 5
zmpop 1 p min
zmpop 0 p min
zmpop -1 p min
zmpop x p min
zmpop 1 p
zmpop 1 p middle
zmpop 1 p min count 0
zmpop 1 p min count x
zmpop 1 p min count 1 count 1
zmpop 1 p min foo
zmpop 5 p min
zadd p 1 a 2 b 3 c
bzpopmin p 0
bzpopmax nokey p 0
bzpopmin p x
bzpopmin p -1
bzmpop 0 1 p max count 2
bzmpop x 1 p max
bzmpop -1 1 p max
bzmpop 0 0 p max
exists p
# --- set algebra
del a b c
zadd a 1 x 2 y 3 z
zadd b 10 y 20 z 30 w
zunion 2 a b
zunion 2 a b withscores
zunion 2 a b weights 2 3 withscores
zunion 2 a b aggregate min withscores
zunion 2 a b aggregate max withscores
zunion 2 a b weights 1 withscores
zunion 2 a b weights 1 x
zunion 2 a b aggregate avg
zunion 2 a b aggregate
zunion 0 a
zunion -1 a
zunion x a
zunion 3 a b
zunion 2 a nokey withscores
zunion 2 a b withscores withscores
zinter 2 a b withscores
zinter 2 a b weights 0 inf withscores
zinter 2 a b aggregate max withscores
zinter 2 a nokey
zinter 1 a withscores
zdiff 2 a b withscores
zdiff 2 b a
zdiff 1 a withscores
zdiff 2 a b weights 1 1
zdiff 2 a b aggregate sum
zdiff 2 nokey a
zunionstore out 2 a b
zrange out 0 -1 withscores
object encoding out
zunionstore out 2 a b withscores
zinterstore out 2 a b aggregate min
zrange out 0 -1 withscores
zdiffstore out 2 a b
zrange out 0 -1 withscores
zinterstore out 2 a nokey
exists out
zunionstore out 0 a
zinterstore a 2 a b
zrange a 0 -1 withscores
zintercard 2 a b
zintercard 2 a b limit 1
zintercard 2 a b limit 0
zintercard 2 a b limit -1
zintercard 2 a b limit x
zintercard 0 a
zintercard 2 a b withscores
zintercard 1 nokey
zadd inf1 +inf m
zadd inf2 -inf m
zunion 2 inf1 inf2 withscores
zinter 2 inf1 inf2 withscores
zunion 2 inf1 inf1 weights 0 1 withscores
# --- plain sets as inputs (members score 1)
sadd pset y q 5
zunion 2 b pset withscores
zinter 2 b pset weights 2 3 withscores
zdiff 2 pset b withscores
zunionstore out 2 pset b aggregate max
zrange out 0 -1 withscores
zintercard 2 pset b
# --- ZRANDMEMBER (only the deterministic shapes)
zrandmember nokey
zrandmember nokey 5
zrandmember a 0
zrandmember a 100
zrandmember a 100 withscores
zrandmember a 3 withscores
zrandmember a 1 foo
zrandmember a 1 withscores extra
zrandmember a x
zrandmember a -9223372036854775808
zrandmember a 9223372036854775807 withscores
zrandmember a -9223372036854775807 withscores
# --- ZSCAN (listpack: everything at once)
zscan a 0
zscan a 0 match *z*
zscan a 0 count 0
zscan a 0 count x
zscan a 0 foo bar
zscan a x
zscan nokey 0
zscan nokey 0 count 0
# --- blocking in a transaction acts as timed out
"#;

/// ZADDs building skiplist-encoded sets: many members, and one long member.
fn big_lines() -> Vec<String> {
    let mut lines = Vec::new();
    let mut cmd = String::from("zadd big");
    for i in 0..300 {
        cmd.push_str(&format!(" {} m{:03}", (i * 7) % 50, i));
    }
    lines.push(cmd);
    let long = "x".repeat(65);
    lines.push(format!("zadd long 1 a 2 {long} 3 c"));
    let max = "y".repeat(64);
    lines.push(format!("zadd fits 1 a 2 {max}"));
    for l in [
        "object encoding big",
        "object encoding long",
        "object encoding fits",
        "zcard big",
        "zrange big 0 10 withscores",
        "zrange big -10 -1 withscores",
        "zrange big 100 120",
        "zrevrange big 5 15 withscores",
        "zrangebyscore big 10 12 withscores",
        "zrangebyscore big (10 (12 limit 3 5",
        "zrevrangebyscore big 30 (20 limit 2 4 withscores",
        "zrange big 49 0 byscore rev limit 0 3",
        "zcount big 5 (9",
        "zrank big m150",
        "zrevrank big m150",
        "zrank big m299",
        "zscore big m007",
        "zmscore big m001 nope m002",
        "zrange long 0 -1 withscores",
        "zrank long c",
        "zadd big xx ch 1000 m001",
        "zrank big m001",
        "zincrby big -2000 m001",
        "zrank big m001",
        "zrem big m001 m002 m003",
        "zcard big",
        "zremrangebyrank big 0 9",
        "zremrangebyscore big 40 (45",
        "zcard big",
        "zpopmin big 3",
        "zpopmax big 3",
        "zmpop 1 big max count 2",
        "object encoding big",
        "zrangestore small big 0 9",
        "object encoding small",
        "zrangestore large big 0 199",
        "object encoding large",
        "zrangestore lng long 0 -1",
        "object encoding lng",
        "zunionstore u 2 big long",
        "object encoding u",
        "zcard u",
        "zinterstore i 2 big large weights 2 0.5",
        "zrange i 0 5 withscores",
        "object encoding i",
        "zdiffstore d 2 big small",
        "zcard d",
        "object encoding d",
        "zunionstore u2 1 small",
        "object encoding u2",
        "zrandmember big 1000 withscores",
        "zremrangebyrank big 0 -1",
        "exists big",
        "zadd lexbig 0 a",
    ] {
        lines.push(l.to_string());
    }
    let mut cmd = String::from("zadd lexbig");
    for i in 0..200 {
        cmd.push_str(&format!(" 0 k{i:03}"));
    }
    lines.push(cmd);
    for l in [
        "zrangebylex lexbig [k050 (k060",
        "zrevrangebylex lexbig (k060 [k050 limit 2 3",
        "zlexcount lexbig (k100 +",
        "zremrangebylex lexbig - [k100",
        "zcard lexbig",
        "zrange lexbig - (k120 bylex",
    ] {
        lines.push(l.to_string());
    }
    lines
}

fn cases() -> Vec<String> {
    CASES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .chain(big_lines())
        .collect()
}

#[test]
fn zset_replies_match_redis_resp2() {
    let Some(server) = RedisServer::start() else {
        eprintln!("redis-server not found: skipping (set HASHSLOT_REQUIRE_REDIS=1 to fail)");
        return;
    };
    let mut redis = server.connect();
    redis.cmd("flushall");
    let mut ours = Node::new(wall_ms());
    let mut diffs = Vec::new();
    for line in cases() {
        let want = redis.cmd(&line);
        let got = ours.cmd(&line);
        if want != got {
            diffs.push(format!(
                "{line}\n   redis: {:?}\n   ours:  {:?}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

// ----- RESP3: our own runner and a client that understands RESP3 aggregates -----

fn run3(node: &mut Node, line: &str) -> Vec<u8> {
    let args = split(line);
    let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
    let mut out = Vec::new();
    let Some(spec) = commands().iter().find(|c| c.name == name) else {
        return b"-ERR unknown command\r\n".to_vec();
    };
    let Some(handler) = spec.handler else {
        // Containers (OBJECT) are RESP-independent here: reuse the RESP2 runner.
        return node.cmd(line);
    };
    let n = argv.len() as i32;
    if (spec.arity >= 0 && n != spec.arity) || (spec.arity < 0 && n < -spec.arity) {
        Reply::new(&mut out, Proto::Resp3).error(&ErrorReply::WrongArity(spec.name.into()));
        return out;
    }
    let reply = Reply::new(&mut out, Proto::Resp3);
    let mut ctx = Ctx::new(
        &mut node.dbs,
        node.db_index,
        node.now,
        reply,
        &mut node.rng,
        &mut node.stats,
    );
    handler(&mut ctx, &argv);
    out
}

struct Client3 {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Client3 {
    fn run(&mut self, line: &str) -> Vec<u8> {
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
                std::io::Read::read_exact(&mut self.r, &mut buf).expect("read bulk");
                out.extend_from_slice(&buf);
            }
            b'*' | b'~' | b'>' => (0..n.max(0)).for_each(|_| self.read_value(out)),
            b'%' => (0..n.max(0) * 2).for_each(|_| self.read_value(out)),
            _ => {}
        }
    }
}

#[test]
fn zset_replies_match_redis_resp3() {
    let Some(server) = RedisServer::start() else {
        eprintln!("redis-server not found: skipping (set HASHSLOT_REQUIRE_REDIS=1 to fail)");
        return;
    };
    let s = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    let mut redis = Client3 {
        w: s.try_clone().expect("clone"),
        r: BufReader::new(s),
    };
    redis.run("hello 3");
    redis.run("flushall");
    let mut ours = Node::new(wall_ms());
    let mut diffs = Vec::new();
    for line in cases() {
        let want = redis.run(&line);
        let got = run3(&mut ours, &line);
        if want != got {
            diffs.push(format!(
                "{line}\n   redis: {:?}\n   ours:  {:?}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
