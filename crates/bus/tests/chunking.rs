//! Decoding a stream of messages gives the same results however the stream is split.

mod support;

use hashslot_bus::{decode, encode, BusError, Disposition, Message};
use proptest::collection::vec;
use proptest::prelude::*;

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Message(Box<Message>),
    Skipped(BusError),
    Closed(BusError),
}

/// A driver's read loop: append each chunk, take every whole message, act on errors.
fn read_stream<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Outcome> {
    let mut rcvbuf = Vec::new();
    let mut out = Vec::new();
    for chunk in chunks {
        rcvbuf.extend_from_slice(chunk);
        loop {
            match decode(&rcvbuf) {
                Ok(Some((msg, used))) => {
                    out.push(Outcome::Message(Box::new(msg)));
                    rcvbuf.drain(..used);
                }
                Ok(None) => break,
                Err(e) => match e.disposition() {
                    Disposition::Skip { len } => {
                        out.push(Outcome::Skipped(e));
                        rcvbuf.drain(..len);
                    }
                    Disposition::CloseLink => {
                        out.push(Outcome::Closed(e));
                        return out;
                    }
                },
            }
        }
    }
    out
}

/// One message of the stream, possibly spoiled so that Redis would ignore it.
fn item() -> impl Strategy<Value = Vec<u8>> {
    (support::message(), 0..4u8).prop_map(|(msg, spoil)| {
        let mut wire = Vec::new();
        encode(&msg, &mut wire).unwrap();
        match spoil {
            0 => wire[9] = 2, // version 2: skipped
            1 => {
                // 8 bytes more than the type implies: skipped (or more data for unknown types)
                wire.extend_from_slice(&[0; 8]);
                let totlen = wire.len() as u32;
                wire[4..8].copy_from_slice(&totlen.to_be_bytes());
            }
            _ => {}
        }
        wire
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn split_anywhere_same_outcomes(
        items in vec(item(), 1..6),
        garbage in proptest::option::of(vec(any::<u8>(), 8..16)),
        cuts in vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut stream: Vec<u8> = items.concat();
        if let Some(mut g) = garbage {
            g[0] = b'X'; // not "RCmb": the link is closed there
            stream.extend_from_slice(&g);
        }
        let whole = read_stream([&stream[..]]);
        prop_assert!(whole.len() >= items.len());

        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for c in cuts.into_iter().chain([stream.len()]) {
            chunks.push(&stream[from..c]);
            from = c;
        }
        prop_assert_eq!(read_stream(chunks), whole.clone());

        // Byte by byte too, the worst case for an incremental decoder.
        prop_assert_eq!(read_stream(stream.chunks(1)), whole);
    }
}
