//! Protocol errors: Redis's exact text, then Close; other sessions are unaffected.
mod common;
use common::*;
use hashslot_types::Rng;

#[test]
fn huge_multibulk_count() {
    let mut h = Harness::new();
    let c = h.connect();
    let out = h.feed(c, b"*1000000000000\r\n");
    assert_eq!(
        sent_to(&out, c),
        b"-ERR Protocol error: invalid multibulk length\r\n"
    );
    assert!(closed(&out, c));
}

#[test]
fn bulk_over_proto_max_bulk_len() {
    let mut h = Harness::new();
    let c = h.connect();
    let out = h.feed(c, b"*1\r\n$600000000\r\n");
    assert_eq!(
        sent_to(&out, c),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(closed(&out, c));
    // A smaller proto-max-bulk-len applies.
    let mut h = Harness::with_config(config(&[("proto-max-bulk-len", "1mb")]));
    let c = h.connect();
    let out = h.feed(c, b"*1\r\n$2000000\r\n");
    assert_eq!(
        sent_to(&out, c),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
}

#[test]
fn replies_before_the_error_are_sent_and_input_after_is_ignored() {
    let mut h = Harness::new();
    let c = h.connect();
    let out = h.feed(c, b"PING\r\n*1\r\n$-1\r\nPING\r\n");
    assert_eq!(
        sent_to(&out, c),
        b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(closed(&out, c));
    assert!(
        h.feed(c, b"PING\r\n").is_empty(),
        "a closing client's input is ignored"
    );
}

#[test]
fn other_sessions_keep_working() {
    let mut h = Harness::new();
    let bad = h.connect();
    let good = h.connect();
    assert_eq!(h.raw(good, b"*2\r\n$4\r\nECHO\r\n$3\r\nabc"), b"");
    let out = h.feed(bad, b"*x\r\n");
    assert!(closed(&out, bad));
    assert!(!closed(&out, good));
    assert_eq!(h.raw(good, b"\r\n"), b"$3\r\nabc\r\n");
}

#[test]
fn random_bytes_never_panic_and_errors_close() {
    let mut rng = Rng::from_seed(99);
    for round in 0..200 {
        let mut h = Harness::new();
        let c = h.connect();
        let len = 1 + rng.below(300) as usize;
        let mut junk = vec![0u8; len];
        rng.fill_bytes(&mut junk);
        if round % 3 == 0 {
            junk[0] = b"*$+-:"[rng.below(5) as usize];
        }
        let out = h.feed(c, &junk);
        let sent = sent_to(&out, c);
        // Whatever came back is well-formed RESP; a protocol error ends with a Close.
        let values = split_values(&sent);
        if let Some(last) = values.last() {
            if last.starts_with(b"-ERR Protocol error") {
                assert!(closed(&out, c), "round {round}");
            }
        }
        let other = h.connect();
        assert_eq!(h.raw(other, b"PING\r\n"), b"+PONG\r\n");
    }
}
