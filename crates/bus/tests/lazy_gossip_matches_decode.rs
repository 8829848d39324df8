//! `decode_lazy_with` is `decode_with` with the gossip entries left in place: for valid,
//! mutated and random bytes both give the same outcome (the same error, or the same message
//! once the section's entries are read into it), and the section reads every field as the
//! full decode does.

mod support;

use hashslot_bus::{decode_lazy_with, decode_with, encode, Limits, Message, Payload};
use proptest::collection::vec;
use proptest::prelude::*;

/// `msg` with `entries` put back into its (empty) gossip vector.
fn filled(mut msg: Message, entries: Vec<hashslot_bus::GossipEntry>) -> Message {
    match &mut msg.payload {
        Payload::Ping { gossip, .. }
        | Payload::Pong { gossip, .. }
        | Payload::Meet { gossip, .. } => {
            assert!(gossip.is_empty(), "the lazy decode leaves the vector empty");
            *gossip = entries;
        }
        _ => assert!(entries.is_empty(), "only ping-like messages have a section"),
    }
    msg
}

fn same_outcome(bytes: &[u8]) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    let full = decode_with(bytes, &limits);
    let lazy = decode_lazy_with(bytes, &limits);
    match (full, lazy) {
        (Ok(None), Ok(None)) => {}
        (Ok(Some((msg, used))), Ok(Some((lmsg, section, lused)))) => {
            prop_assert_eq!(used, lused);
            let entries: Vec<_> = section.iter().map(|g| g.to_entry()).collect();
            prop_assert_eq!(section.len(), entries.len());
            for (g, e) in section.iter().zip(&entries) {
                prop_assert_eq!(g.nodename(), e.nodename);
                prop_assert_eq!(g.flags(), e.flags);
                prop_assert_eq!(g.pong_received(), e.pong_received);
            }
            prop_assert_eq!(filled(lmsg, entries), msg);
        }
        (Err(a), Err(b)) => prop_assert_eq!(a, b),
        (a, b) => prop_assert!(
            false,
            "full {:?} vs lazy {:?}",
            a.map(|_| ()),
            b.map(|_| ())
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_messages(msg in support::message()) {
        let mut bytes = Vec::new();
        encode(&msg, &mut bytes).unwrap();
        same_outcome(&bytes)?;
    }

    #[test]
    fn mutated_messages(
        msg in support::message(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = Vec::new();
        encode(&msg, &mut bytes).unwrap();
        for (i, v) in edits {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        same_outcome(&bytes)?;
        same_outcome(&bytes[..cut.index(bytes.len() + 1)])?;
    }

    #[test]
    fn random_bytes(bytes in vec(any::<u8>(), 0..64)) {
        same_outcome(&bytes)?;
    }
}
