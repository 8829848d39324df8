//! Our table-driven (slice-by-8) CRC16 equals an independent CRC-16/XMODEM for any input.

use proptest::prelude::*;

proptest! {
    #[test]
    fn crc_matches_the_crc16_crate(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let want = crc16::State::<crc16::XMODEM>::calculate(&data);
        prop_assert_eq!(hashslot_slots::crc16_xmodem(&data), want);
    }

    #[test]
    fn slot_is_the_crc_of_the_tag(
        pre in "[a-z{}]{0,20}",
        tag in "[^{}]{1,10}",
        post in "[a-z{}]{0,20}",
    ) {
        // With no brace before it, `{tag}` is the key's hash tag.
        let pre: String = pre.chars().filter(|&c| c != '{').collect();
        let key = format!("{pre}{{{tag}}}{post}");
        let want = crc16::State::<crc16::XMODEM>::calculate(tag.as_bytes()) & 0x3FFF;
        prop_assert_eq!(hashslot_slots::key_slot(key.as_bytes()).get(), want);
    }
}
