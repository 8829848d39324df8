//! The frame decoder's refusals: unknown types, bad lines, and every limit.

use hashslot_resp::{decode, Frame, Limits, ProtocolError};

fn err(input: &[u8], limits: &Limits) -> ProtocolError {
    match decode(input, limits) {
        Err(e) => e,
        other => panic!(
            "{:?}: expected an error, got {other:?}",
            String::from_utf8_lossy(input)
        ),
    }
}

#[test]
fn malformed_input_is_refused() {
    use ProtocolError::*;
    let l = Limits::default();
    assert_eq!(err(b"?x\r\n", &l), InvalidType(b'?'));
    assert_eq!(err(b":12x\r\n", &l), Malformed("invalid integer"));
    assert_eq!(
        err(b"+a\nb\r\n", &l),
        Malformed("line feed without carriage return")
    );
    assert_eq!(
        err(b"+a\rb\r\n", &l),
        Malformed("carriage return without line feed")
    );
    assert_eq!(
        err(b"$3\r\nabcde", &l),
        Malformed("bulk payload not followed by CRLF")
    );
    assert_eq!(err(b"$-2\r\n", &l), InvalidBulkLength);
    assert_eq!(err(b"!-1\r\n", &l), InvalidBulkLength);
    assert_eq!(err(b"%-1\r\n", &l), InvalidMultibulkLength);
    assert_eq!(err(b"#x\r\n", &l), Malformed("invalid boolean"));
    assert_eq!(err(b"_x\r\n", &l), Malformed("invalid null"));
    assert_eq!(err(b",one\r\n", &l), Malformed("invalid double"));
    assert_eq!(err(b"(12a\r\n", &l), Malformed("invalid big number"));
    assert_eq!(
        err(b"=3\r\ntxt\r\n", &l),
        Malformed("verbatim string without format")
    );
    assert_eq!(
        err(b"=5\r\ntxt-x\r\n", &l),
        Malformed("verbatim string without format")
    );
    assert_eq!(
        err(b"$?\r\n", &l),
        Malformed("streamed strings are not supported")
    );
    assert_eq!(
        err(b"*?\r\n", &l),
        Malformed("streamed aggregates are not supported")
    );
}

#[test]
fn limits_are_enforced() {
    let small = Limits {
        max_bulk_len: 3,
        max_multibulk_len: 2,
        max_depth: 2,
        max_inline_len: 8,
        ..Limits::default()
    };
    assert_eq!(err(b"$4\r\n", &small), ProtocolError::InvalidBulkLength);
    assert_eq!(
        err(b"*3\r\n", &small),
        ProtocolError::InvalidMultibulkLength
    );
    assert_eq!(
        err(b"%3\r\n", &small),
        ProtocolError::InvalidMultibulkLength
    );
    assert_eq!(err(b"*1\r\n*1\r\n*1\r\n", &small), ProtocolError::TooDeep);
    assert_eq!(
        err(b"+123456789", &small),
        ProtocolError::Malformed("line too long")
    );
    assert_eq!(
        err(b"*123456789", &small),
        ProtocolError::TooBigMbulkCountString
    );
    assert_eq!(
        err(b"$123456789", &small),
        ProtocolError::TooBigBulkCountString
    );
    assert_eq!(
        decode(b"*1\r\n*1\r\n:1\r\n", &small)
            .unwrap()
            .map(|(_, n)| n),
        Some(12)
    );
    // A chain of attributes nests too, so it cannot grow without bound.
    assert_eq!(
        err(b"|0\r\n|0\r\n|0\r\n:1\r\n", &small),
        ProtocolError::TooDeep
    );
}

#[test]
fn huge_announcements_fail_without_allocating_for_them() {
    let l = Limits::default();
    assert_eq!(
        err(b"*1000000000000\r\n", &l),
        ProtocolError::InvalidMultibulkLength
    );
    assert_eq!(
        err(b"$999999999999\r\n", &l),
        ProtocolError::InvalidBulkLength
    );
    // Accepted counts just wait: nothing is reserved before the elements arrive.
    assert_eq!(decode(b"*2147483647\r\n:1\r\n", &l), Ok(None));
    let deep = b"*1\r\n".repeat(100_000);
    assert_eq!(
        err(
            &deep,
            &Limits {
                max_depth: usize::MAX,
                ..l
            }
        ),
        ProtocolError::TooDeep
    );
}

#[test]
fn resp2_and_resp3_nulls_stay_distinct() {
    let l = Limits::default();
    assert_eq!(decode(b"$-1\r\n", &l), Ok(Some((Frame::NullBulk, 5))));
    assert_eq!(decode(b"*-1\r\n", &l), Ok(Some((Frame::NullArray, 5))));
    assert_eq!(decode(b"_\r\n", &l), Ok(Some((Frame::Null, 3))));
}

#[test]
fn an_attribute_is_attached_to_the_frame_it_describes() {
    let wire = b"*2\r\n|1\r\n+ttl\r\n:3\r\n$1\r\na\r\n:2\r\n";
    let (frame, n) = decode(wire, &Limits::default()).unwrap().unwrap();
    assert_eq!(n, wire.len());
    let Frame::Array(items) = frame else { panic!() };
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0],
        Frame::Attribute {
            attrs: vec![(Frame::simple("ttl"), Frame::Integer(3))],
            data: Box::new(Frame::bulk("a"))
        }
    );
}
