//! Encode then decode gives back the same message, for every message type.

mod support;

use hashslot_bus::{decode, encode, MsgType};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_is_identity(msg in support::message()) {
        let mut wire = vec![0xEE; 3]; // encode appends: existing bytes are kept
        encode(&msg, &mut wire).unwrap();
        prop_assert_eq!(&wire[..3], &[0xEE; 3]);
        let wire = &wire[3..];
        prop_assert_eq!(wire.len() as u64, msg.encoded_len());
        let (back, used) = decode(wire).unwrap().expect("complete");
        prop_assert_eq!(used, wire.len());
        prop_assert_eq!(&back, &msg);
        // And the bytes are stable: encoding the decoded message gives the same bytes.
        let mut again = Vec::new();
        encode(&back, &mut again).unwrap();
        prop_assert_eq!(again, wire);
    }

    #[test]
    fn a_prefix_of_a_message_is_incomplete(msg in support::message(), cut in any::<prop::sample::Index>()) {
        let mut wire = Vec::new();
        encode(&msg, &mut wire).unwrap();
        let cut = cut.index(wire.len());
        prop_assert_eq!(decode(&wire[..cut]), Ok(None));
    }
}

#[test]
fn the_strategy_covers_every_type() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = [false; MsgType::COUNT + 1];
    for _ in 0..2000 {
        let msg = support::message().new_tree(&mut runner).unwrap().current();
        let t = msg.msg_type();
        seen[t.stats_index().unwrap_or(MsgType::COUNT)] = true;
    }
    assert!(seen.iter().all(|&s| s), "types seen: {seen:?}");
}
