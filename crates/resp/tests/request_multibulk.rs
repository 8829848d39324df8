//! Multibulk requests: framing, empty requests, `wanted`, and the bytes Redis skips unchecked.

use hashslot_resp::{Limits, RequestParser};

fn parse_one(input: &[u8]) -> (usize, Vec<Vec<u8>>) {
    let mut parser = RequestParser::new(Limits::default());
    let n = parser.parse(input).unwrap().expect("complete");
    (n, parser.args(input).map(<[u8]>::to_vec).collect())
}

#[test]
fn a_command_with_binary_arguments() {
    let input = b"*3\r\n$3\r\nSET\r\n$4\r\nk\r\nx\r\n$0\r\n\r\n";
    let (n, args) = parse_one(input);
    assert_eq!(n, input.len());
    assert_eq!(args, [b"SET".to_vec(), b"k\r\nx".to_vec(), vec![]]);
}

#[test]
fn counts_of_zero_or_less_are_empty_requests() {
    for input in [&b"*0\r\n"[..], b"*-1\r\n", b"*-5\r\n"] {
        let mut parser = RequestParser::new(Limits::default());
        assert_eq!(parser.parse(input), Ok(Some(input.len())));
        assert_eq!(parser.argc(), 0);
    }
}

#[test]
fn redis_skips_the_bytes_after_a_cr_and_after_a_payload_unchecked() {
    // Verified on redis-server 7.0.15: both of these run PING.
    assert_eq!(
        parse_one(b"*1\rX$4\r\nPINGXY"),
        (14, vec![b"PING".to_vec()])
    );
    assert_eq!(
        parse_one(b"*1\r\n$4\r\nPINGXY"),
        (14, vec![b"PING".to_vec()])
    );
}

#[test]
fn the_largest_counts_redis_accepts_wait_for_more() {
    let mut parser = RequestParser::new(Limits::default());
    assert_eq!(parser.parse(b"*2147483647\r\n"), Ok(None));
    let mut parser = RequestParser::new(Limits::default());
    assert_eq!(parser.parse(b"*1\r\n$536870912\r\n"), Ok(None));
    assert_eq!(parser.wanted(), Some(536_870_914));
}

#[test]
fn wanted_counts_down_as_the_payload_arrives() {
    let mut input = b"*2\r\n$10\r\n0123".to_vec();
    let mut parser = RequestParser::new(Limits::default());
    assert_eq!(parser.wanted(), None);
    assert_eq!(parser.parse(&input), Ok(None));
    assert_eq!(parser.wanted(), Some(8));
    input.extend_from_slice(b"456789\r\n$1");
    assert_eq!(parser.parse(&input), Ok(None));
    assert_eq!(parser.wanted(), None, "inside a header the need is unknown");
    input.extend_from_slice(b"\r\nz\r\n");
    assert_eq!(parser.parse(&input), Ok(Some(input.len())));
    let args: Vec<&[u8]> = parser.args(&input).collect();
    assert_eq!(args, [&b"0123456789"[..], b"z"]);
}

#[test]
fn a_pipeline_is_parsed_one_request_at_a_time() {
    let input = b"*1\r\n$4\r\nPING\r\nPING\r\n*0\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    let mut parser = RequestParser::new(Limits::default());
    let mut rest = &input[..];
    let mut argcs = Vec::new();
    while let Some(n) = parser.parse(rest).unwrap() {
        argcs.push((parser.argc(), parser.is_inline()));
        rest = &rest[n..];
        parser.reset();
    }
    assert!(rest.is_empty());
    assert_eq!(argcs, [(1, false), (1, true), (0, false), (2, false)]);
}

#[test]
fn a_header_does_not_reserve_more_than_1024_arguments() {
    // Redis reserves min(count, 1024) up front; the rest grows as arguments arrive.
    let mut parser = RequestParser::new(Limits::default());
    assert_eq!(parser.parse(b"*2000000000\r\n$1\r\na\r\n"), Ok(None));
    assert_eq!(parser.argc(), 1);
}

#[test]
fn a_nul_byte_in_a_header_stalls_it_as_in_redis() {
    // Verified on redis-server 7.0.15: both wait forever (until the 64 KB cut-off).
    for input in [&b"*1\r\n$4\0\r\nPING\r\n"[..], b"*1\0\r\n$4\r\nPING\r\n"] {
        let mut parser = RequestParser::new(Limits::default());
        assert_eq!(parser.parse(input), Ok(None));
    }
    let mut input = b"*1\r\n$4\0".to_vec();
    input.resize(4 + 64 * 1024 + 1, b'\r');
    let mut parser = RequestParser::new(Limits::default());
    assert_eq!(
        parser.parse(&input),
        Err(hashslot_resp::ProtocolError::TooBigBulkCountString)
    );
}
