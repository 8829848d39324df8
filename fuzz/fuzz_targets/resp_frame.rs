//! Arbitrary bytes through the frame decoder: it must not panic; a decoded frame must encode
//! to bytes that decode to the same frame; a prefix must be "need more" or the same answer.
#![no_main]

use hashslot_resp::{decode, encode, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_depth: 16, ..Limits::default() };
    let answer = decode(data, &limits);
    if let Ok(Some((frame, used))) = &answer {
        assert!(*used <= data.len());
        let mut wire = Vec::new();
        encode(frame, &mut wire);
        let (again, n) = decode(&wire, &limits).expect("own encoding decodes").expect("complete");
        assert_eq!(n, wire.len());
        // Compare encodings rather than frames: a NaN double is not equal to itself.
        let mut wire2 = Vec::new();
        encode(&again, &mut wire2);
        assert_eq!(wire, wire2);
    }
    // Chunking invariance at one cut chosen from the data.
    if !data.is_empty() {
        let cut = usize::from(data[0]) * data.len() / 256;
        let partial = decode(&data[..cut], &limits);
        if partial != Ok(None) {
            assert_eq!(partial, answer);
        }
    }
});
