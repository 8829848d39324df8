//! Any bytes are a value: decode never panics, and what it accepts re-encodes to a message that
//! decodes the same (the stand-in for the fuzz target, run on every `cargo test`).

mod support;

use hashslot_bus::{decode, encode, BusError, Disposition};
use proptest::collection::vec;
use proptest::prelude::*;

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    match decode(bytes) {
        Ok(None) => {}
        Ok(Some((msg, used))) => {
            prop_assert!(used >= 2256 && used <= bytes.len());
            let mut again = Vec::new();
            encode(&msg, &mut again).unwrap();
            let (back, used_again) = decode(&again).unwrap().expect("complete");
            prop_assert_eq!(used_again, again.len());
            prop_assert_eq!(back.payload, msg.payload);
        }
        Err(e) => {
            if let Disposition::Skip { len } = e.disposition() {
                prop_assert!(len >= 2256 && len <= bytes.len(), "{:?}", e);
            }
            if let BusError::BadSignature { sig } = e {
                prop_assert_ne!(sig, *b"RCmb");
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_bytes(bytes in vec(any::<u8>(), 0..64)) {
        check(&bytes)?;
    }

    /// A valid message with some bytes overwritten: lengths, counts, types and extension
    /// headers end up wrong in every combination.
    #[test]
    fn mutated_messages(
        msg in support::message(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        hot in vec((0..16usize, any::<u8>()), 0..3),
        tail in vec(any::<u8>(), 0..40),
    ) {
        let mut bytes = Vec::new();
        encode(&msg, &mut bytes).unwrap();
        bytes.extend_from_slice(&tail);
        for (i, v) in edits {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        // The framing fields, and the extension area just after the header.
        for (i, v) in hot {
            let at = if i < 8 { 8 + i } else { 2214 + (i % 2) };
            bytes[at] = v;
        }
        check(&bytes)?;
    }
}

/// The longest readable string extension without a NUL would grow by 8 bytes if it were
/// decoded as a string; it is kept as is, so re-encoding cannot fail.
#[test]
fn decoded_messages_always_re_encode() {
    let mut w = Vec::new();
    let header = hashslot_bus::Header::new(hashslot_types::NodeId::from_raw([b'a'; 40]));
    let msg = hashslot_bus::Message {
        header,
        payload: hashslot_bus::Payload::Ping {
            gossip: vec![],
            extensions: vec![],
        },
    };
    encode(&msg, &mut w).unwrap();
    w.extend_from_slice(&[0, 0, 0xff, 0xf8, 0, 0, 0, 0]);
    w.resize(w.len() + 0xfff8 - 8, b'x');
    let totlen = w.len() as u32;
    w[4..8].copy_from_slice(&totlen.to_be_bytes());
    w[2214..2216].copy_from_slice(&1u16.to_be_bytes());
    w[2253] = hashslot_bus::MessageFlags::EXT_DATA.0;
    check(&w).unwrap();
}
