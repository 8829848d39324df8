//! Inline requests (telnet, `nc`): line framing and `sdssplitargs` splitting, as Redis 7.0.15
//! answers them (each case was sent to a real server).

use hashslot_resp::{Limits, RequestParser};

/// Parse every request in `input`; returns each one's arguments.
fn requests(input: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut parser = RequestParser::new(Limits::default());
    let mut rest = input;
    let mut out = Vec::new();
    while let Some(n) = parser.parse(rest).unwrap() {
        out.push(parser.args(rest).map(<[u8]>::to_vec).collect());
        rest = &rest[n..];
        parser.reset();
    }
    assert!(rest.is_empty(), "left over: {rest:?}");
    out
}

fn v(args: &[&[u8]]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.to_vec()).collect()
}

#[test]
fn lines_end_at_lf_with_an_optional_cr() {
    assert_eq!(
        requests(b"PING\r\nPING\nGET k\r\n"),
        [v(&[b"PING"]), v(&[b"PING"]), v(&[b"GET", b"k"])]
    );
    // Only one CR is stripped; another is a blank.
    assert_eq!(requests(b"a\r\r\n"), [v(&[b"a"])]);
}

#[test]
fn empty_and_blank_lines_are_empty_requests() {
    let got = requests(b"\r\n\n  \t \r\nPING\r\n");
    assert_eq!(got, [v(&[]), v(&[]), v(&[]), v(&[b"PING"])]);
}

#[test]
fn quoting_follows_sdssplitargs() {
    let got = requests(b"ECHO \"\\x41\\x4g\"\r\nECHO 'a\\'b'\r\nECHO a\"b c\"\r\nECHO \"a\"\x0b\r\nECHO a\x0bb\r\n");
    assert_eq!(
        got,
        [
            v(&[b"ECHO", b"Ax4g"]),
            v(&[b"ECHO", b"a'b"]),
            v(&[b"ECHO", b"ab c"]),
            v(&[b"ECHO", b"a"]),
            v(&[b"ECHO", b"a\x0bb"]),
        ]
    );
}

#[test]
fn plain_arguments_are_not_copied() {
    let input = b"SET key value\r\n";
    let mut parser = RequestParser::new(Limits::default());
    assert_eq!(parser.parse(input), Ok(Some(input.len())));
    assert!(parser.is_inline());
    for arg in parser.args(input) {
        let inside = input.as_ptr_range().contains(&arg.as_ptr());
        assert!(inside, "argument {arg:?} was copied");
    }
}

#[test]
fn a_nul_byte_stalls_the_line_until_the_size_limit() {
    // Redis finds line ends with strchr, which stops at NUL: the request never completes and
    // the client is cut off at 64 KB. We keep that behaviour rather than invent an error.
    let mut parser = RequestParser::new(Limits::default());
    let mut input = b"PING\0x\r\nPING\r\n".to_vec();
    assert_eq!(parser.parse(&input), Ok(None));
    input.resize(64 * 1024, b'\n');
    assert_eq!(parser.parse(&input), Ok(None));
    input.push(b'\n');
    assert_eq!(
        parser.parse(&input),
        Err(hashslot_resp::ProtocolError::TooBigInlineRequest)
    );
}

#[test]
fn a_line_of_exactly_the_limit_is_accepted() {
    let mut input = vec![b'a'; 64 * 1024];
    input.push(b'\n');
    let mut parser = RequestParser::new(Limits::default());
    assert_eq!(parser.parse(&input), Ok(Some(input.len())));
    assert_eq!(parser.argc(), 1);
}
