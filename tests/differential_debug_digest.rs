//! `DEBUG DIGEST` and `DEBUG DIGEST-VALUE` equal redis-server 7.0's byte for byte over the same
//! varied dataset: every type in its small and large encodings, integer-encoded strings and
//! elements, binary bytes, scores that stress `%.17g`, keys with and without a TTL, and keys in
//! two databases. This is what lets `redis-cli --cluster fix` compare a key's copies across our
//! node and Redis. The dataset is generated from a seed printed on failure.
// A process test: it starts real servers and reads replies with socket deadlines.
#![allow(clippy::disallowed_methods)]
mod support;

use support::{escape, require_tool, Client, Flavor, Rng, Server};

const SEED: u64 = 0x00D1_6E57;

/// The commands that build the dataset, as argument lists.
fn dataset(rng: &mut Rng) -> Vec<Vec<Vec<u8>>> {
    let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut add = |args: &[&[u8]]| cmds.push(args.iter().map(|a| a.to_vec()).collect());
    // Strings: int-encoded, embstr, raw, binary, empty, grown in place, numeric edits.
    for (k, v) in [
        (&b"s:int"[..], &b"12345"[..]),
        (b"s:neg", b"-7"),
        (b"s:zero", b"0"),
        (b"s:max", b"9223372036854775807"),
        (b"s:lead0", b"007"),
        (b"s:embstr", &[b'e'; 44]),
        (b"s:raw", &[b'r'; 100]),
        (b"s:bin", b"\x00\xff\r\n\x01"),
        (b"s:empty", b""),
    ] {
        add(&[b"SET", k, v]);
    }
    add(&[b"APPEND", b"s:grown", b"abc"]);
    add(&[
        b"APPEND",
        b"s:grown",
        b"defghijklmnopqrstuvwxyz0123456789-0123456789",
    ]);
    add(&[b"SETRANGE", b"s:range", b"5", b"xy"]);
    add(&[b"INCRBY", b"s:incr", b"41"]);
    add(&[b"INCRBYFLOAT", b"s:float", b"3.5"]);
    let big = rng.bytes(3000);
    add(&[b"SET", b"s:big", &big]);
    // Lists: small (listpack) with integers and text, large (quicklist), edited.
    add(&[b"RPUSH", b"l:small", b"a", b"1", b"-2", b"", b"b c"]);
    add(&[b"LPUSH", b"l:small", b"9223372036854775807"]);
    let long: Vec<Vec<u8>> = (0..600).map(|i| format!("item-{i}").into_bytes()).collect();
    let mut push: Vec<&[u8]> = vec![b"RPUSH", b"l:big"];
    push.extend(long.iter().map(Vec::as_slice));
    add(&push);
    add(&[b"LINSERT", b"l:big", b"BEFORE", b"item-300", b"42"]);
    add(&[b"LSET", b"l:big", b"0", &[b'z'; 70]]);
    add(&[b"RPUSH", b"l:same", b"x", b"y"]);
    add(&[b"RPUSH", b"l:rev", b"y", b"x"]);
    // Sets: intset, small and large hashtable, mixed.
    add(&[
        b"SADD",
        b"set:int",
        b"3",
        b"1",
        b"-2",
        b"9223372036854775807",
    ]);
    add(&[b"SADD", b"set:str", b"a", b"b", b"", b"\x00"]);
    add(&[b"SADD", b"set:mixed", b"1", b"2", b"two"]);
    let members: Vec<Vec<u8>> = (0..700)
        .map(|i| format!("{}", i * 7).into_bytes())
        .collect();
    let mut sadd: Vec<&[u8]> = vec![b"SADD", b"set:bigint"];
    sadd.extend(members.iter().map(Vec::as_slice));
    add(&sadd);
    let words: Vec<Vec<u8>> = (0..300)
        .map(|_| {
            let n = 1 + (rng.next_u64() % 20) as usize;
            rng.bytes(n)
        })
        .collect();
    let mut sadd: Vec<&[u8]> = vec![b"SADD", b"set:big"];
    sadd.extend(words.iter().map(Vec::as_slice));
    add(&sadd);
    // Sorted sets: scores that %.17g prints in every form; listpack and skiplist.
    add(&[
        b"ZADD",
        b"z:small",
        b"0.1",
        b"a",
        b"-0",
        b"b",
        b"inf",
        b"c",
        b"-inf",
        b"d",
        b"1e-300",
        b"e",
        b"3",
        b"f",
        b"1e17",
        b"g",
        b"123456789012345678",
        b"h",
        b"2.5e-5",
        b"7",
    ]);
    let scored: Vec<(Vec<u8>, Vec<u8>)> = (0..200)
        .map(|i| {
            let s = (rng.next_u64() % 2_000_001) as f64 / 1000.0 - 1000.0;
            (format!("{s}").into_bytes(), format!("m{i}").into_bytes())
        })
        .collect();
    let mut zadd: Vec<&[u8]> = vec![b"ZADD", b"z:big"];
    for (s, m) in &scored {
        zadd.push(s);
        zadd.push(m);
    }
    add(&zadd);
    add(&[b"ZADD", b"z:long", b"1", &[b'm'; 80]]);
    add(&[b"ZINCRBY", b"z:incr", b"0.3", b"x"]);
    add(&[b"ZINCRBY", b"z:incr", b"0.3", b"x"]);
    // Hashes: listpack with integer values, long values (hashtable), many fields.
    add(&[b"HSET", b"h:small", b"a", b"1", b"b", b"text", b"", b"-5"]);
    add(&[b"HSET", b"h:longval", b"f", &[b'v'; 70]]);
    let fields: Vec<(Vec<u8>, Vec<u8>)> = (0..600)
        .map(|i| {
            (
                format!("f{i}").into_bytes(),
                format!("{}", rng.next_u64()).into_bytes(),
            )
        })
        .collect();
    let mut hset: Vec<&[u8]> = vec![b"HSET", b"h:big"];
    for (f, v) in &fields {
        hset.push(f);
        hset.push(v);
    }
    add(&hset);
    add(&[b"HINCRBY", b"h:small", b"a", b"10"]);
    // TTLs: the flag (not the time) enters the digest; PERSIST removes it again.
    for k in [
        &b"s:int"[..],
        b"l:small",
        b"set:int",
        b"z:small",
        b"h:small",
        b"s:raw",
    ] {
        add(&[b"EXPIRE", k, b"100000"]);
    }
    add(&[b"PEXPIRE", b"h:big", b"90000000"]);
    add(&[b"EXPIRE", b"s:zero", b"100000"]);
    add(&[b"PERSIST", b"s:zero"]);
    cmds
}

fn keys(c: &mut Client) -> Vec<Vec<u8>> {
    let reply = c.cmd(&["KEYS", "*"]);
    // `*N\r\n` then `$len\r\n<key>\r\n` pairs; keys may hold CR/LF, so read by length.
    let mut out = Vec::new();
    let mut pos = reply.iter().position(|&b| b == b'\n').unwrap() + 1;
    while pos < reply.len() {
        let nl = pos + reply[pos..].iter().position(|&b| b == b'\n').unwrap();
        let len: usize = std::str::from_utf8(&reply[pos + 1..nl - 1])
            .unwrap()
            .parse()
            .unwrap();
        out.push(reply[nl + 1..nl + 1 + len].to_vec());
        pos = nl + 1 + len + 2;
    }
    out.sort();
    out
}

#[test]
fn digests_equal_redis() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let debug = ["--enable-debug-command", "yes"];
    let redis = Server::start(Flavor::Redis, &debug);
    let ours = Server::start(Flavor::Node, &debug);
    let (mut r, mut o) = (redis.connect(), ours.connect());
    let both = |r: &mut Client, o: &mut Client, args: &[&[u8]]| {
        let (a, b) = (r.cmd(args), o.cmd(args));
        assert_eq!(
            escape(&b),
            escape(&a),
            "seed {SEED:#x}: {} differs (ours, then Redis)",
            escape(&args.join(&b' '))
        );
        a
    };
    // Empty: 40 zeros, and a missing key is 40 zeros too.
    both(&mut r, &mut o, &[b"DEBUG", b"DIGEST"]);
    both(&mut r, &mut o, &[b"DEBUG", b"DIGEST-VALUE", b"missing"]);
    both(&mut r, &mut o, &[b"DEBUG", b"DIGEST-VALUE"]);

    let mut rng = Rng::new(SEED);
    let cmds = dataset(&mut rng);
    for db in [&b"0"[..], b"3"] {
        both(&mut r, &mut o, &[b"SELECT", db]);
        for c in &cmds {
            let args: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
            both(&mut r, &mut o, &args);
        }
        if db == b"3" {
            // Db 3 differs from db 0 by one key, so the per-db parts cannot cancel out.
            both(&mut r, &mut o, &[b"SET", b"only-in-3", b"x"]);
        }
    }
    let all = keys(&mut r);
    assert_eq!(all, keys(&mut o), "key sets differ");
    assert!(all.len() > 30, "dataset too small: {}", all.len());
    let mut distinct = std::collections::BTreeSet::new();
    for k in &all {
        let d = both(&mut r, &mut o, &[b"DEBUG", b"DIGEST-VALUE", k]);
        distinct.insert(d);
    }
    // The digests are real: all keys hold different values, so all digests differ.
    assert_eq!(distinct.len(), all.len(), "two keys share a digest");
    let mut many: Vec<&[u8]> = vec![b"DEBUG", b"DIGEST-VALUE", b"missing"];
    many.extend(all.iter().map(Vec::as_slice));
    both(&mut r, &mut o, &many);
    let full = both(&mut r, &mut o, &[b"debug", b"digest"]);
    // Removing a TTL or reordering a list changes the digest on both sides alike.
    both(&mut r, &mut o, &[b"PERSIST", b"s:int"]);
    both(&mut r, &mut o, &[b"LPUSH", b"l:rev", b"z"]);
    let after = both(&mut r, &mut o, &[b"DEBUG", b"DIGEST"]);
    assert_ne!(full, after);
}
