//! Chunking invariance of the frame decoder: every prefix of a stream gives "need more" until
//! the first frame (or error) is decidable, and the same answer for every longer prefix.

#[path = "support/frame_strategy.rs"]
mod frame_strategy;

use hashslot_resp::{decode, encode, Limits, ProtocolError};
use proptest::prelude::*;

type Answer = Result<Option<(hashslot_resp::Frame, usize)>, ProtocolError>;

fn check_prefixes(input: &[u8], limits: &Limits) -> Result<(), TestCaseError> {
    let whole: Answer = decode(input, limits);
    let mut decided = false;
    for k in 0..=input.len() {
        let got = decode(&input[..k], limits);
        match &got {
            Ok(None) => prop_assert!(!decided, "{k}: undecided after deciding"),
            Ok(Some((_, n))) if *n > k => prop_assert!(false, "used {n} of {k} bytes"),
            _ => {
                decided = true;
                prop_assert_eq!(&got, &whole, "prefix of {} bytes", k);
            }
        }
    }
    Ok(())
}

/// RESP-looking noise: plausible tokens glued at random, to reach deep into the decoder.
fn noise() -> impl Strategy<Value = Vec<u8>> {
    let tokens: &[&[u8]] = &[
        b"*", b"$", b":", b"+", b"-", b"%", b"~", b">", b"|", b"_", b"#", b",", b"(", b"!", b"=",
        b"\r\n", b"\r", b"\n", b"-1", b"0", b"1", b"2", b"3", b"4", b"12", b"t", b"f", b"1.5",
        b"inf", b"abc", b"txt:", b"?", b"x",
    ];
    proptest::collection::vec(prop::sample::select(tokens), 0..30).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(800))]

    #[test]
    fn frames_decode_the_same_from_every_prefix(
        frames in proptest::collection::vec(frame_strategy::frame(), 1..3),
    ) {
        let mut wire = Vec::new();
        for f in &frames {
            encode(f, &mut wire);
        }
        check_prefixes(&wire, &Limits::default())?;
        let (first, n) = decode(&wire, &Limits::default()).unwrap().unwrap();
        prop_assert_eq!(&first, &frames[0]);
        // The next frame starts right after.
        if frames.len() > 1 {
            prop_assert_eq!(decode(&wire[n..], &Limits::default()).unwrap().unwrap().0, frames[1].clone());
        }
    }

    #[test]
    fn noise_is_decided_the_same_from_every_prefix(
        input in noise(),
        max_inline_len in prop_oneof![Just(64 * 1024), 2usize..10],
        max_depth in 0usize..4,
        max_bulk_len in prop_oneof![Just(1u64 << 20), 0u64..5],
    ) {
        let limits = Limits { max_inline_len, max_depth, max_bulk_len, max_multibulk_len: 5, ..Limits::default() };
        check_prefixes(&input, &limits)?;
    }
}
