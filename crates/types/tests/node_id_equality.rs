//! `NodeId` equality (compared as words, not by `memcmp`) is byte equality: ids that differ
//! in any one byte, at any position, are unequal, and copies are equal.

use hashslot_types::NodeId;

#[test]
fn ids_differing_in_any_one_byte_are_unequal() {
    let base = *b"0123456789abcdef0123456789abcdef01234567";
    let a = NodeId::from_raw(base);
    assert_eq!(a, NodeId::from_raw(base));
    for i in 0..40 {
        for delta in [1u8, 0x80] {
            let mut other = base;
            other[i] ^= delta;
            let b = NodeId::from_raw(other);
            assert_ne!(a, b, "byte {i} xor {delta:#x}");
            assert_eq!(a.as_bytes() == b.as_bytes(), a == b);
            assert_eq!(b, NodeId::from_raw(other));
        }
    }
}
