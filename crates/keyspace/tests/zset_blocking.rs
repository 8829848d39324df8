//! BZPOPMIN / BZPOPMAX / BZMPOP: block (no reply, `ctx.block` set) on empty keys, act as timed
//! out inside MULTI, serve at once when data is there, and on a retry skip keys of another type.

use hashslot_keyspace::{commands, BlockOn, Ctx, Db, KeyspaceStats};
use hashslot_resp::{Proto, Reply};
use hashslot_types::{Instant, Now, Rng, UnixMillis};

const NOW: i64 = 1_700_000_000_000;

struct Run {
    out: Vec<u8>,
    block: Option<BlockOn>,
}

fn run(dbs: &mut [Db], line: &str, may_block: bool, retry: bool, proto: Proto) -> Run {
    let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    let spec = commands()
        .iter()
        .find(|c| c.name.as_bytes() == args[0])
        .unwrap();
    let (mut rng, mut stats, mut out) = (Rng::from_seed(1), KeyspaceStats::default(), Vec::new());
    let now = Now::new(Instant::from_nanos(0), UnixMillis(NOW));
    let mut ctx = Ctx::new(
        dbs,
        0,
        now,
        Reply::new(&mut out, proto),
        &mut rng,
        &mut stats,
    );
    ctx.may_block = may_block;
    ctx.retrying_blocked = retry;
    (spec.handler.unwrap())(&mut ctx, &args);
    let block = ctx.block.take();
    Run { out, block }
}

#[test]
fn blocks_with_deadline_and_no_reply() {
    let mut dbs = vec![Db::new()];
    let r = run(&mut dbs, "bzpopmin a b 1.5", true, false, Proto::Resp2);
    assert!(r.out.is_empty());
    let b = r.block.unwrap();
    assert_eq!(b.keys, vec![b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(b.deadline, Some(UnixMillis(NOW + 1500)));
    let r = run(
        &mut dbs,
        "bzmpop 0 2 a b min count 3",
        true,
        false,
        Proto::Resp2,
    );
    assert!(r.out.is_empty());
    assert_eq!(r.block.unwrap().deadline, None);
}

#[test]
fn in_multi_replies_null_array() {
    let mut dbs = vec![Db::new()];
    for (line, proto, want) in [
        ("bzpopmax a 0", Proto::Resp2, &b"*-1\r\n"[..]),
        ("bzpopmax a 0", Proto::Resp3, b"_\r\n"),
        ("bzmpop 1 1 a max", Proto::Resp2, b"*-1\r\n"),
    ] {
        let r = run(&mut dbs, line, false, false, proto);
        assert_eq!(r.out, want, "{line}");
        assert!(r.block.is_none());
    }
}

#[test]
fn serves_when_data_present_and_skips_wrong_type_on_retry() {
    let mut dbs = vec![Db::new()];
    run(&mut dbs, "set s x", true, false, Proto::Resp2);
    run(&mut dbs, "zadd z 1 a 2 b", true, false, Proto::Resp2);
    let r = run(&mut dbs, "bzpopmin s z 0", true, false, Proto::Resp2);
    assert!(r.out.starts_with(b"-WRONGTYPE"));
    let r = run(&mut dbs, "bzpopmin s z 0", true, true, Proto::Resp2);
    assert_eq!(r.out, b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n");
    let r = run(
        &mut dbs,
        "bzmpop 0 2 s z max count 5",
        true,
        true,
        Proto::Resp3,
    );
    assert_eq!(r.out, b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
    let r = run(&mut dbs, "bzpopmin s z 0", true, true, Proto::Resp2);
    assert!(r.out.is_empty() && r.block.is_some());
}
