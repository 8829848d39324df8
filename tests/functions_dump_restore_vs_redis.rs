//! FUNCTION DUMP / RESTORE across redis-server 7.0.15 and hashslot-node: both give the same
//! payload bytes for the same library (FUNCTION2 records, LZF-compressed code, RDB version
//! and CRC-64 footer), each restores the other's payload and can call its functions, and the
//! APPEND / REPLACE / FLUSH policies and a corrupt payload give the same replies on both.
mod support;

use support::{require_tool, Client, Flavor, Server};

const LIB_A: &str = "#!lua name=liba\nredis.register_function('fa', function(keys, args) \
                     return 'from library a, called with ' .. #keys .. ' keys' end)";
const LIB_A2: &str = "#!lua name=liba\nredis.register_function('fa', function() return 'a2' end)";
const LIB_B: &str = "#!lua name=libb\nredis.register_function('fb', function() return 'b' end)";

fn load(c: &mut Client, code: &str) {
    let r = c.cmd(&["FUNCTION", "LOAD", "REPLACE", code]);
    assert!(r.starts_with(b"$"), "{}", String::from_utf8_lossy(&r));
}

/// The payload of a bulk reply.
fn bulk(r: &[u8]) -> Vec<u8> {
    let end = r.windows(2).position(|w| w == b"\r\n").expect("header") + 2;
    r[end..r.len() - 2].to_vec()
}

/// Replies of the policy script on `c`, given the other server's payload `theirs`.
fn policies(c: &mut Client, theirs: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![
        c.cmd(&["FUNCTION", "FLUSH"]),
        c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", theirs]),
        c.cmd(&["FCALL", "fa", "1", "k"]),
        // APPEND (the default) refuses a library that exists.
        c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", theirs]),
        c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", theirs, b"APPEND"]),
    ];
    load(c, LIB_A2);
    out.push(c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", theirs, b"REPLACE"]));
    out.push(c.cmd(&["FCALL", "fa", "0"]));
    load(c, LIB_B);
    out.push(c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", theirs, b"FLUSH"]));
    out.push(c.cmd(&["FCALL", "fb", "0"]));
    out.push(c.cmd(&["FCALL", "fa", "0"]));
    let mut bad = theirs.to_vec();
    bad[4] ^= 0x55;
    out.push(c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &bad]));
    out.push(c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", theirs, b"nope"]));
    out.push(c.cmd(&["FUNCTION", "STATS"]));
    out
}

#[test]
fn dump_payloads_match_and_restore_across_servers() {
    if require_tool("redis-server").is_none() {
        return;
    }
    let redis = Server::start(Flavor::Redis, &[]);
    let ours = Server::start(Flavor::Node, &[]);
    let (mut rc, mut oc) = (redis.connect(), ours.connect());
    load(&mut rc, LIB_A);
    load(&mut oc, LIB_A);
    let (rd, od) = (
        bulk(&rc.cmd(&["FUNCTION", "DUMP"])),
        bulk(&oc.cmd(&["FUNCTION", "DUMP"])),
    );
    assert_eq!(od, rd, "FUNCTION DUMP payloads differ");
    let on_redis = policies(&mut rc, &od);
    let on_ours = policies(&mut oc, &rd);
    for (i, (want, got)) in on_redis.iter().zip(&on_ours).enumerate() {
        assert_eq!(
            String::from_utf8_lossy(got),
            String::from_utf8_lossy(want),
            "step {i}"
        );
    }
    // The steps are meaningful: the restored function ran on both.
    assert_eq!(on_ours[2], b"$34\r\nfrom library a, called with 1 keys\r\n");
}
