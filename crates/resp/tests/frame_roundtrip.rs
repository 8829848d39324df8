//! Round trip: decoding what `encode` wrote gives back the frame and consumes every byte.

#[path = "support/frame_strategy.rs"]
mod frame_strategy;

use bytes::Bytes;
use hashslot_resp::{decode, decode_bytes, encode, Frame, Limits};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn encode_then_decode_is_identity(frame in frame_strategy::frame()) {
        let mut wire = Vec::new();
        encode(&frame, &mut wire);
        prop_assert_eq!(decode(&wire, &Limits::default()), Ok(Some((frame.clone(), wire.len()))));
        let shared = Bytes::from(wire.clone());
        prop_assert_eq!(decode_bytes(&shared, &Limits::default()), Ok(Some((frame, wire.len()))));
    }

    #[test]
    fn decode_then_encode_gives_back_the_bytes(frame in frame_strategy::frame()) {
        let mut wire = Vec::new();
        encode(&frame, &mut wire);
        let (decoded, _) = decode(&wire, &Limits::default()).unwrap().unwrap();
        let mut again = Vec::new();
        encode(&decoded, &mut again);
        prop_assert_eq!(again, wire);
    }
}

#[test]
fn nan_and_infinities_round_trip() {
    for (v, text) in [
        (f64::NAN, &b",nan\r\n"[..]),
        (f64::INFINITY, b",inf\r\n"),
        (f64::NEG_INFINITY, b",-inf\r\n"),
    ] {
        let mut wire = Vec::new();
        encode(&Frame::Double(v), &mut wire);
        assert_eq!(wire, text);
        let Ok(Some((Frame::Double(back), _))) = decode(&wire, &Limits::default()) else {
            panic!()
        };
        assert_eq!(back.to_bits(), v.to_bits());
    }
}

#[test]
fn decode_bytes_shares_the_input() {
    let wire = Bytes::from_static(b"$5\r\nhello\r\n");
    let Ok(Some((Frame::Bulk(payload), 11))) = decode_bytes(&wire, &Limits::default()) else {
        panic!()
    };
    assert_eq!(payload.as_ptr(), wire[4..].as_ptr());
}
