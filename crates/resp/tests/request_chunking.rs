//! Chunking invariance of the request parser: however a byte stream is split into reads, the
//! parser yields the same requests and the same error, and the same as all at once.

use hashslot_resp::{Limits, ProtocolError, RequestParser};
use proptest::prelude::*;

/// What a connection sees: each request's arguments, then possibly an error.
type Outcomes = (Vec<Vec<Vec<u8>>>, Option<ProtocolError>);

/// Drive a parser the way a server does: append each read to a buffer, parse all complete
/// requests at its front, drop them.
fn drive(limits: Limits, input: &[u8], cuts: &[usize]) -> Outcomes {
    let mut parser = RequestParser::new(limits);
    let mut buf = Vec::new();
    let mut requests = Vec::new();
    let mut start = 0;
    let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    ends.sort_unstable();
    ends.push(input.len());
    for end in ends {
        buf.extend_from_slice(&input[start.min(end)..end]);
        start = start.max(end);
        loop {
            match parser.parse(&buf) {
                Ok(Some(n)) => {
                    requests.push(parser.args(&buf).map(<[u8]>::to_vec).collect());
                    buf.drain(..n);
                    parser.reset();
                }
                Ok(None) => break,
                Err(e) => return (requests, Some(e)),
            }
        }
    }
    (requests, None)
}

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..12),
        proptest::collection::vec(prop::sample::select(&b"ab \"'\\x4\r\n\0$*"[..]), 0..12),
    ]
}

/// Fragments that reach the parser's corner cases when glued at random.
const TOKENS: &[&[u8]] = &[
    b"*", b"$", b"\r\n", b"\r", b"\n", b"-1", b"1", b"3", b"12", b"\"", b"'", b" ", b"\\x41",
    b"\0", b"abc", b"*0\r\n", b"$-",
];

/// Valid and broken requests of both kinds, and raw bytes, glued together.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(arg(), 0..5).prop_map(|args| {
            let mut out = format!("*{}\r\n", args.len()).into_bytes();
            for a in args {
                out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                out.extend_from_slice(&a);
                out.extend_from_slice(b"\r\n");
            }
            out
        }),
        2 => proptest::collection::vec(arg(), 0..4).prop_map(|args| {
            let mut out = b"X".to_vec();
            for a in args {
                out.push(b' ');
                out.extend(a.into_iter().filter(|&b| b != b'\n' && b != 0));
            }
            out.extend_from_slice(b"\r\n");
            out
        }),
        1 => proptest::collection::vec(prop::sample::select(TOKENS), 0..10)
        .prop_map(|parts| parts.concat()),
        1 => proptest::collection::vec(any::<u8>(), 0..20),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(piece(), 0..8).prop_map(|p| p.concat())
}

fn limits() -> impl Strategy<Value = Limits> {
    (
        prop_oneof![Just(64 * 1024), 4usize..24],
        any::<bool>(),
        prop_oneof![Just(512u64 << 20), 0u64..8],
    )
        .prop_map(|(max_inline_len, auth_required, max_bulk_len)| Limits {
            max_inline_len,
            auth_required,
            max_bulk_len,
            max_multibulk_len: 6,
            ..Limits::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_split_gives_the_same_requests(
        input in stream(),
        limits in limits(),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let whole = drive(limits, &input, &[]);
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        prop_assert_eq!(&drive(limits, &input, &cuts), &whole);
    }

    #[test]
    fn byte_by_byte_gives_the_same_requests(input in stream(), limits in limits()) {
        let whole = drive(limits, &input, &[]);
        let every: Vec<usize> = (0..input.len()).collect();
        prop_assert_eq!(&drive(limits, &input, &every), &whole);
    }
}
