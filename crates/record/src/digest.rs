//! A stable digest of what a node produced for one input: how many outputs it gave the driver
//! and a 64-bit hash over them.
//!
//! The hash is our own (not `std`'s `DefaultHasher`, whose algorithm may change between Rust
//! releases) so a log recorded by one build can be checked by another. It is for spotting a
//! divergence, not for security: a word-at-a-time multiply-rotate mix with a final avalanche.

use hashslot_node::{LogLevel, Output};
use serde::{Deserialize, Serialize};

/// The multiplier of the mix (the golden-ratio constant, odd, well spread bits).
const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// An incremental, stable 64-bit hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(0x243F_6A88_85A3_08D3)
    }
}

impl StableHasher {
    /// A hasher in its initial state.
    pub fn new() -> Self {
        Self::default()
    }

    fn word(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
    }

    /// Mix in a number.
    pub fn u64(&mut self, v: u64) {
        self.word(v);
    }

    /// Mix in bytes, length first, so `("ab", "c")` and `("a", "bc")` differ.
    pub fn bytes(&mut self, b: &[u8]) {
        self.word(b.len() as u64);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(last));
        }
    }

    /// The hash so far, avalanched (splitmix64's finalizer) so every input bit reaches every
    /// output bit.
    pub fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The outputs a node gave its driver after one input, until the next input: their number and
/// a hash over all of them in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OutputDigest {
    /// How many outputs were taken with `poll_output`.
    pub count: u32,
    /// [`StableHasher`] over each output's fields, in order.
    pub hash: u64,
}

impl std::fmt::Display for OutputDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} outputs, hash {:016x}", self.count, self.hash)
    }
}

/// Builds an [`OutputDigest`] one output at a time.
#[derive(Debug, Clone, Copy, Default)]
pub struct DigestBuilder {
    count: u32,
    hasher: StableHasher,
}

impl DigestBuilder {
    /// An empty digest (no outputs yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one output, in the order the node produced it.
    pub fn add(&mut self, out: &Output) {
        self.count = self.count.saturating_add(1);
        hash_output(&mut self.hasher, out);
    }

    /// The digest of the outputs added so far.
    pub fn digest(&self) -> OutputDigest {
        OutputDigest {
            count: self.count,
            hash: self.hasher.finish(),
        }
    }
}

fn level_byte(l: LogLevel) -> u64 {
    match l {
        LogLevel::Debug => 0,
        LogLevel::Verbose => 1,
        LogLevel::Notice => 2,
        LogLevel::Warning => 3,
    }
}

/// Every field of `out`, behind a tag per variant. Byte payloads are hashed as bytes (the hot
/// path: replies); an output kind this crate does not know yet is hashed by its `Debug` text,
/// which is stable within one build.
fn hash_output(h: &mut StableHasher, out: &Output) {
    match out {
        Output::Send { conn, data } => {
            h.u64(1);
            h.u64(conn.0);
            h.bytes(data);
        }
        Output::Close { conn } => {
            h.u64(2);
            h.u64(conn.0);
        }
        Output::Shutdown => h.u64(3),
        Output::Exit { status } => {
            h.u64(23);
            h.u64(*status as u64);
        }
        Output::RewriteConfig { conn, path } => {
            h.u64(4);
            h.u64(conn.0);
            h.bytes(path.as_bytes());
        }
        Output::BusConnect { link, addr } => {
            h.u64(5);
            h.u64(link.0);
            h.bytes(addr.to_string().as_bytes());
        }
        Output::BusSend { link, data } => {
            h.u64(6);
            h.u64(link.0);
            h.bytes(data);
        }
        Output::BusClose { link } => {
            h.u64(7);
            h.u64(link.0);
        }
        Output::Persist {
            token,
            path,
            data,
            sync,
        } => {
            h.u64(8);
            h.u64(token.0);
            h.bytes(path.as_bytes());
            h.bytes(data);
            h.u64(u64::from(*sync));
        }
        Output::FileOpen { file, path, append } => {
            h.u64(9);
            h.u64(file.0);
            h.bytes(path.as_bytes());
            h.u64(u64::from(*append));
        }
        Output::FileWrite { file, data } => {
            h.u64(10);
            h.u64(file.0);
            h.bytes(data);
        }
        Output::FileSync { file, token } => {
            h.u64(11);
            h.u64(file.0);
            h.u64(token.0);
        }
        Output::FileCommit {
            file,
            token,
            final_path,
        } => {
            h.u64(12);
            h.u64(file.0);
            h.u64(token.0);
            h.bytes(final_path.as_bytes());
        }
        Output::FileClose { file, remove } => {
            h.u64(13);
            h.u64(file.0);
            h.u64(u64::from(*remove));
        }
        Output::FileRemove { path } => {
            h.u64(14);
            h.bytes(path.as_bytes());
        }
        Output::MigrateConnect {
            id,
            host,
            port,
            timeout,
        } => {
            h.u64(15);
            h.u64(id.0);
            h.bytes(host.as_bytes());
            h.u64(u64::from(*port));
            h.u64(u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX));
        }
        Output::MigrateSend { id, data } => {
            h.u64(16);
            h.u64(id.0);
            h.bytes(data);
        }
        Output::MigrateClose { id } => {
            h.u64(17);
            h.u64(id.0);
        }
        Output::ReplConnect { link, host, port } => {
            h.u64(18);
            h.u64(*link);
            h.bytes(host.as_bytes());
            h.u64(u64::from(*port));
        }
        Output::ReplSend { link, data } => {
            h.u64(19);
            h.u64(*link);
            h.bytes(data);
        }
        Output::ReplClose { link } => {
            h.u64(20);
            h.u64(*link);
        }
        Output::Log { level, message } => {
            h.u64(21);
            h.u64(level_byte(*level));
            h.bytes(message.as_bytes());
        }
        Output::ChangeDir { conn, path } => {
            h.u64(22);
            h.u64(conn.0);
            h.bytes(path.as_bytes());
        }
        other => {
            h.u64(255);
            h.bytes(format!("{other:?}").as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use hashslot_types::ConnId;

    fn send(conn: u64, data: &'static [u8]) -> Output {
        Output::Send {
            conn: ConnId(conn),
            data: Bytes::from_static(data),
        }
    }

    #[test]
    fn digest_depends_on_every_field_and_order() {
        let of = |outs: &[Output]| {
            let mut d = DigestBuilder::new();
            outs.iter().for_each(|o| d.add(o));
            d.digest()
        };
        let base = of(&[send(1, b"+OK\r\n"), send(2, b":1\r\n")]);
        assert_eq!(base, of(&[send(1, b"+OK\r\n"), send(2, b":1\r\n")]));
        assert_eq!(base.count, 2);
        assert_ne!(base, of(&[send(2, b":1\r\n"), send(1, b"+OK\r\n")]));
        assert_ne!(base, of(&[send(1, b"+OK\r\n"), send(3, b":1\r\n")]));
        assert_ne!(base, of(&[send(1, b"+OK\r\n"), send(2, b":2\r\n")]));
        assert_ne!(of(&[]), of(&[Output::Shutdown]));
    }

    #[test]
    fn byte_boundaries_matter() {
        let mut a = StableHasher::new();
        a.bytes(b"ab");
        a.bytes(b"c");
        let mut b = StableHasher::new();
        b.bytes(b"a");
        b.bytes(b"bc");
        assert_ne!(a.finish(), b.finish());
    }

    /// The hash is part of the log format: a change here breaks old logs, so it is pinned.
    #[test]
    fn hash_is_pinned() {
        let mut h = StableHasher::new();
        h.bytes(b"hashslot");
        h.u64(42);
        assert_eq!(h.finish(), PINNED);
    }
    const PINNED: u64 = 14164337136737418268;
}
