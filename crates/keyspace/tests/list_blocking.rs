//! The keyspace side of blocking list commands: immediate replies when blocking is not allowed
//! (MULTI), `ctx.block` with the right keys and deadline and no reply bytes when it is, and a
//! retry after a push that serves the client.

mod common;

use common::{split, Node};
use hashslot_keyspace::{commands, timeout_reply, BlockOn, Ctx};
use hashslot_resp::{Proto, Reply};
use hashslot_types::UnixMillis;

const NOW: i64 = 1_700_000_000_000;

struct Run {
    out: Vec<u8>,
    block: Option<BlockOn>,
    dirty: u64,
}

fn run(node: &mut Node, line: &str, proto: Proto, may_block: bool, retrying: bool) -> Run {
    let args = split(line);
    let argv: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
    let spec = commands().iter().find(|c| c.name == name).expect("command");
    let mut out = Vec::new();
    let mut ctx = Ctx::new(
        &mut node.dbs,
        0,
        node.now,
        Reply::new(&mut out, proto),
        &mut node.rng,
        &mut node.stats,
    );
    ctx.may_block = may_block;
    ctx.retrying_blocked = retrying;
    (spec.handler.expect("leaf"))(&mut ctx, &argv);
    let (block, dirty) = (ctx.block.take(), ctx.dirty);
    Run { out, block, dirty }
}

fn keys(ks: &[&str]) -> Vec<Vec<u8>> {
    ks.iter().map(|k| k.as_bytes().to_vec()).collect()
}

#[test]
fn without_blocking_an_empty_wait_replies_at_once() {
    let mut node = Node::new(NOW);
    for (line, resp2, resp3) in [
        ("blpop a b 0", &b"*-1\r\n"[..], &b"_\r\n"[..]),
        ("brpop a 1.5", b"*-1\r\n", b"_\r\n"),
        ("blmpop 0 2 a b left count 3", b"*-1\r\n", b"_\r\n"),
        // BLMOVE and BRPOPLPUSH reply a plain null in MULTI (not the timeout's null array).
        ("blmove a b left right 0", b"$-1\r\n", b"_\r\n"),
        ("brpoplpush a b 0", b"$-1\r\n", b"_\r\n"),
    ] {
        let r = run(&mut node, line, Proto::Resp2, false, false);
        assert_eq!(r.out, resp2, "{line}");
        assert!(r.block.is_none());
        let r = run(&mut node, line, Proto::Resp3, false, false);
        assert_eq!(r.out, resp3, "{line}");
        assert_eq!(r.dirty, 0);
    }
}

#[test]
fn an_empty_wait_blocks_with_keys_and_deadline_and_no_reply() {
    let mut node = Node::new(NOW);
    for (line, ks, deadline) in [
        ("blpop a b 0", &["a", "b"][..], None),
        ("brpop a b c 2", &["a", "b", "c"], Some(NOW + 2000)),
        ("blpop a 0.1", &["a"], Some(NOW + 100)),
        ("blmpop 1.5 2 a b right", &["a", "b"], Some(NOW + 1500)),
        // BLMOVE waits on its source only.
        ("blmove src dst left right 3", &["src"], Some(NOW + 3000)),
        ("brpoplpush src dst 0", &["src"], None),
    ] {
        let r = run(&mut node, line, Proto::Resp2, true, false);
        assert!(r.out.is_empty(), "{line}: no reply while blocked");
        assert_eq!(
            r.block,
            Some(BlockOn {
                keys: keys(ks),
                deadline: deadline.map(UnixMillis),
                argv: None,
            }),
            "{line}"
        );
    }
}

#[test]
fn a_retry_after_a_push_serves_the_client() {
    let mut node = Node::new(NOW);
    let r = run(&mut node, "blpop a b 0", Proto::Resp2, true, false);
    assert!(r.block.is_some());
    assert!(run(&mut node, "rpush b x y", Proto::Resp2, true, false).dirty > 0);
    let r = run(&mut node, "blpop a b 0", Proto::Resp2, true, true);
    assert_eq!(r.out, b"*2\r\n$1\r\nb\r\n$1\r\nx\r\n");
    assert!(r.block.is_none());
    assert_eq!(r.dirty, 1);

    run(&mut node, "rpush c 1 2 3", Proto::Resp2, true, false);
    let r = run(
        &mut node,
        "blmpop 0 2 a c right count 2",
        Proto::Resp2,
        true,
        true,
    );
    assert_eq!(r.out, b"*2\r\n$1\r\nc\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
    assert_eq!(r.dirty, 2);

    let r = run(
        &mut node,
        "blmove c d right left 0",
        Proto::Resp2,
        true,
        true,
    );
    assert_eq!(r.out, b"$1\r\n1\r\n");
    assert_eq!(node.cmd("exists c"), b":0\r\n", "emptied source is deleted");
    assert_eq!(node.cmd("lrange d 0 -1"), b"*1\r\n$1\r\n1\r\n");
}

#[test]
fn a_retry_finding_the_wrong_type_blocks_again() {
    let mut node = Node::new(NOW);
    node.cmd("set a str");
    // First run: WRONGTYPE, as Redis replies.
    let r = run(&mut node, "blpop a 0", Proto::Resp2, true, false);
    assert!(r.out.starts_with(b"-WRONGTYPE"));
    assert!(r.block.is_none());
    // A retry (the key was rewritten as a string while the client waited): still blocked.
    let r = run(&mut node, "blpop a b 5", Proto::Resp2, true, true);
    assert!(r.out.is_empty());
    assert_eq!(r.block.map(|b| b.keys), Some(keys(&["a", "b"])));
    // ...but a later key with data is served.
    node.cmd("rpush b v");
    let r = run(&mut node, "blpop a b 5", Proto::Resp2, true, true);
    assert_eq!(r.out, b"*2\r\n$1\r\nb\r\n$1\r\nv\r\n");
    let r = run(
        &mut node,
        "blmove a x left left 0",
        Proto::Resp2,
        true,
        true,
    );
    assert!(r.out.is_empty());
    assert_eq!(r.block.map(|b| b.keys), Some(keys(&["a"])));
    // A served BLMOVE whose destination is the wrong type replies WRONGTYPE (Redis unblocks it).
    node.cmd("rpush src e");
    let r = run(
        &mut node,
        "blmove src a left left 0",
        Proto::Resp2,
        true,
        true,
    );
    assert!(r.out.starts_with(b"-WRONGTYPE"));
    assert_eq!(node.cmd("llen src"), b":1\r\n");
}

#[test]
fn timeout_reply_is_the_null_array_in_both_protocols() {
    for cmd in ["blpop", "brpop", "blmpop", "blmove", "brpoplpush"] {
        let mut out = Vec::new();
        timeout_reply(cmd.as_bytes(), &mut Reply::new(&mut out, Proto::Resp2));
        assert_eq!(out, b"*-1\r\n");
        out.clear();
        timeout_reply(cmd.as_bytes(), &mut Reply::new(&mut out, Proto::Resp3));
        assert_eq!(out, b"_\r\n");
    }
}
