//! Arbitrary bytes, split into arbitrary reads, through the request parser: it must not panic,
//! and every split must give the same requests and error as the whole input at once.
#![no_main]

use hashslot_resp::{Limits, ProtocolError, RequestParser};
use libfuzzer_sys::fuzz_target;

type Outcomes = (Vec<Vec<Vec<u8>>>, Option<ProtocolError>);

fn drive(limits: Limits, input: &[u8], read_sizes: &[u8]) -> Outcomes {
    let mut parser = RequestParser::new(limits);
    let (mut buf, mut requests, mut start) = (Vec::new(), Vec::new(), 0);
    let mut sizes = read_sizes.iter().cycle();
    while start < input.len() {
        let size = sizes.next().map_or(input.len(), |&s| usize::from(s) + 1);
        let end = input.len().min(start + size);
        buf.extend_from_slice(&input[start..end]);
        start = end;
        loop {
            match parser.parse(&buf) {
                Ok(Some(n)) => {
                    assert!(n <= buf.len());
                    requests.push(parser.args(&buf).map(<[u8]>::to_vec).collect());
                    buf.drain(..n);
                    parser.reset();
                }
                Ok(None) => {
                    if let Some(wanted) = parser.wanted() {
                        assert!(wanted > 0);
                    }
                    break;
                }
                Err(e) => return (requests, Some(e)),
            }
        }
    }
    (requests, None)
}

fuzz_target!(|data: &[u8]| {
    // Layout: [flags][n][n read sizes][input]. Small limits reach the limit paths quickly.
    let Some((&flags, rest)) = data.split_first() else { return };
    let Some((&n, rest)) = rest.split_first() else { return };
    let (sizes, input) = rest.split_at(rest.len().min(usize::from(n % 16)));
    let limits = Limits {
        max_inline_len: if flags & 1 == 0 { 64 * 1024 } else { usize::from(flags >> 4) + 1 },
        max_bulk_len: if flags & 2 == 0 { 512 << 20 } else { u64::from(flags >> 4) },
        max_multibulk_len: if flags & 4 == 0 { i32::MAX as u64 } else { 4 },
        auth_required: flags & 8 != 0,
        ..Limits::default()
    };
    let whole = drive(limits, input, &[]);
    assert_eq!(drive(limits, input, sizes), whole);
    assert_eq!(drive(limits, input, &[0]), whole, "byte by byte");
});
