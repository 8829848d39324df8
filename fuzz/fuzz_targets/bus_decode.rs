//! Arbitrary bytes through the cluster-bus decoder: it must not panic; a decoded message must
//! encode (the encoder accepts everything the decoder produces) to bytes that decode to the same
//! message; a prefix must be "need more" or the same answer as the whole input.
#![no_main]

use hashslot_bus::{decode_with, encode, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits so the fuzzer reaches the "too long" paths with short inputs too.
    let limits = Limits { max_totlen: 64 * 1024, max_ping_ext_bytes: 8 * 1024 };
    let answer = decode_with(data, &limits);
    if let Ok(Some((msg, used))) = &answer {
        assert!(*used <= data.len());
        let mut wire = Vec::new();
        encode(msg, &mut wire).expect("a decoded message encodes");
        let (again, n) = decode_with(&wire, &limits)
            .expect("own encoding decodes")
            .expect("complete");
        assert_eq!(n, wire.len());
        assert_eq!(&again, msg);
    }
    // Chunking invariance at one cut chosen from the data.
    if !data.is_empty() {
        let cut = usize::from(data[0]) * data.len() / 256;
        let partial = decode_with(&data[..cut], &limits);
        if partial != Ok(None) {
            assert_eq!(partial, answer);
        }
    }
});
