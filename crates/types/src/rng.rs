//! Seeded randomness: every state machine draws from an [`Rng`] it was given at construction.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// A deterministic random number generator (ChaCha8), seeded by the driver.
///
/// Children are derived with [`Rng::child`], so that adding a consumer in one part of a node does
/// not shift the numbers every other part sees.
#[derive(Debug, Clone)]
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// A generator from a 64-bit seed.
    pub fn from_seed(seed: u64) -> Self {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A child generator for one named purpose; the same parent seed and label give the same child.
    pub fn child(&self, label: &str) -> Self {
        let mut seed = [0u8; 32];
        let parent = self.0.get_seed();
        for (i, b) in seed.iter_mut().enumerate() {
            *b = parent[i];
        }
        // FNV-1a of the label, folded into the seed so distinct labels give distinct streams.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in label.as_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        for (i, b) in h.to_le_bytes().iter().enumerate() {
            seed[i] ^= b;
        }
        Rng(ChaCha8Rng::from_seed(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform number in `0..n` (`n > 0`), by rejection so that no value is favoured.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// Fill `buf` with random bytes.
    pub fn fill_bytes(&mut self, buf: &mut [u8]) {
        self.0.fill_bytes(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_children_differ() {
        let mut a = Rng::from_seed(1);
        let mut b = Rng::from_seed(1);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut c1 = a.child("gossip");
        let mut c2 = a.child("keyspace");
        assert_ne!(c1.next_u64(), c2.next_u64());
        assert!(Rng::from_seed(3).below(10) < 10);
    }
}
