//! A hasher for maps keyed by the project's own integers (link ids, node indexes).

use std::hash::Hasher;

/// A multiply-rotate mix of the integers written to it, for hash maps keyed by ids this
/// process hands out itself (counters, a flag bit plus a counter, indexes): one multiply
/// spreads them, where SipHash costs more than the rest of a lookup on a hot path. Not for
/// keys a peer can choose (no protection against crafted collisions), and only for maps whose
/// iteration order never reaches an output.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Integers go through `write_u64`; anything else is folded in byte by byte, not
        // dropped.
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let x = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = x ^ (x >> 29);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}
