//! Every protocol error of the request parser, with Redis 7.0's exact reply text. Each case was
//! checked against `redis-server` 7.0.15 (`-ERR <text>` then the connection closes).

use hashslot_resp::{Limits, ProtocolError, RequestParser};

fn error_of(input: &[u8], limits: Limits) -> ProtocolError {
    let mut parser = RequestParser::new(limits);
    match parser.parse(input) {
        Err(e) => e,
        other => panic!(
            "{:?}: expected an error, got {other:?}",
            String::from_utf8_lossy(input)
        ),
    }
}

#[test]
fn error_texts_match_redis() {
    use ProtocolError::*;
    let huge_header = [&b"*"[..], &[b'1'; 70_000][..]].concat();
    let huge_bulk_header = [&b"*1\r\n$"[..], &[b'1'; 70_000][..]].concat();
    let huge_inline = vec![b'a'; 70_000];
    let table: &[(&[u8], ProtocolError, &str)] = &[
        (
            &huge_header,
            TooBigMbulkCountString,
            "Protocol error: too big mbulk count string",
        ),
        (
            b"*2147483648\r\n",
            InvalidMultibulkLength,
            "Protocol error: invalid multibulk length",
        ),
        (
            b"*01\r\n",
            InvalidMultibulkLength,
            "Protocol error: invalid multibulk length",
        ),
        (
            b"*+1\r\n",
            InvalidMultibulkLength,
            "Protocol error: invalid multibulk length",
        ),
        (
            b"* 1\r\n",
            InvalidMultibulkLength,
            "Protocol error: invalid multibulk length",
        ),
        (
            b"*\r\n",
            InvalidMultibulkLength,
            "Protocol error: invalid multibulk length",
        ),
        (
            b"*-0\r\n",
            InvalidMultibulkLength,
            "Protocol error: invalid multibulk length",
        ),
        (
            b"*x\r\n",
            InvalidMultibulkLength,
            "Protocol error: invalid multibulk length",
        ),
        (
            &huge_bulk_header,
            TooBigBulkCountString,
            "Protocol error: too big bulk count string",
        ),
        (
            b"*1\r\n:4\r\n",
            ExpectedDollar(b':'),
            "Protocol error: expected '$', got ':'",
        ),
        (
            b"*2\r\n$1\r\na\r\n+x\r\n",
            ExpectedDollar(b'+'),
            "Protocol error: expected '$', got '+'",
        ),
        (
            b"*1\r\n$-1\r\n",
            InvalidBulkLength,
            "Protocol error: invalid bulk length",
        ),
        (
            b"*1\r\n$-0\r\n",
            InvalidBulkLength,
            "Protocol error: invalid bulk length",
        ),
        (
            b"*1\r\n$\r\n",
            InvalidBulkLength,
            "Protocol error: invalid bulk length",
        ),
        (
            b"*1\r\n$536870913\r\n",
            InvalidBulkLength,
            "Protocol error: invalid bulk length",
        ),
        (
            &huge_inline,
            TooBigInlineRequest,
            "Protocol error: too big inline request",
        ),
        (
            b"PING \"a\"b\r\n",
            UnbalancedQuotes,
            "Protocol error: unbalanced quotes in request",
        ),
        (
            b"ECHO \"\\\"\r\n",
            UnbalancedQuotes,
            "Protocol error: unbalanced quotes in request",
        ),
        (
            b"ECHO 'abc\r\n",
            UnbalancedQuotes,
            "Protocol error: unbalanced quotes in request",
        ),
    ];
    for (input, want, text) in table {
        let got = error_of(input, Limits::default());
        assert_eq!(
            &got,
            want,
            "{:?}",
            String::from_utf8_lossy(&input[..input.len().min(40)])
        );
        assert_eq!(got.to_string(), *text);
    }
}

#[test]
fn a_carriage_return_in_the_element_position_is_reported_as_itself() {
    // Redis replies "got '\r'"; its reply writer turns the CR into a space on the wire.
    assert_eq!(
        error_of(b"*1\r\n\r\n", Limits::default()),
        ProtocolError::ExpectedDollar(b'\r')
    );
}

#[test]
fn unauthenticated_clients_get_redis_smaller_caps() {
    use ProtocolError::*;
    let unauth = Limits::unauthenticated();
    assert_eq!(error_of(b"*11\r\n", unauth), UnauthenticatedMultibulkLength);
    assert_eq!(
        UnauthenticatedMultibulkLength.to_string(),
        "Protocol error: unauthenticated multibulk length"
    );
    assert_eq!(
        error_of(b"*1\r\n$16385\r\n", unauth),
        UnauthenticatedBulkLength
    );
    assert_eq!(
        UnauthenticatedBulkLength.to_string(),
        "Protocol error: unauthenticated bulk length"
    );
    // The general checks come first, as in Redis.
    assert_eq!(error_of(b"*2147483648\r\n", unauth), InvalidMultibulkLength);
    assert_eq!(error_of(b"*1\r\n$536870913\r\n", unauth), InvalidBulkLength);
    // At the caps exactly, the parser waits for the payload.
    let mut parser = RequestParser::new(unauth);
    assert_eq!(parser.parse(b"*10\r\n$16384\r\n"), Ok(None));
    assert_eq!(parser.wanted(), Some(16386));
    // Inline requests are not capped, and an empty multibulk neither.
    let mut parser = RequestParser::new(unauth);
    assert_eq!(
        parser.parse(b"PING a b c d e f g h i j k l\r\n"),
        Ok(Some(30))
    );
    assert_eq!(parser.argc(), 13);
}

#[test]
fn authenticating_lifts_the_caps() {
    let mut parser = RequestParser::new(Limits::unauthenticated());
    parser.set_limits(Limits {
        auth_required: false,
        ..*parser.limits()
    });
    assert_eq!(parser.parse(b"*11\r\n"), Ok(None));
}
