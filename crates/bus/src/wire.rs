//! Big-endian field access on byte slices whose length the caller has already checked.
//!
//! Every reader takes a slice and an offset the caller proved to be in bounds (the decoder
//! checks the full message length before reading any field). Out-of-bounds reads would be a
//! bug in this crate, not bad input, so they return zero instead of panicking: a fuzz target
//! must never find a panic here.

pub(crate) fn u8_at(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

pub(crate) fn array_at<const N: usize>(buf: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = at.checked_add(N).and_then(|end| buf.get(at..end)) {
        out.copy_from_slice(src);
    }
    out
}

pub(crate) fn u16_at(buf: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(array_at(buf, at))
}

pub(crate) fn u32_at(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(array_at(buf, at))
}

pub(crate) fn u64_at(buf: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(array_at(buf, at))
}

/// Bytes `at..at + len` of `buf`, empty if out of bounds.
pub(crate) fn slice_at(buf: &[u8], at: usize, len: usize) -> &[u8] {
    at.checked_add(len)
        .and_then(|end| buf.get(at..end))
        .unwrap_or(&[])
}

/// `n` rounded up to a multiple of 8 (`EIGHT_BYTE_ALIGN`).
pub(crate) const fn eight_byte_align(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// Writes into a zero-filled region of a `Vec` that starts at `base`, as Redis fills a
/// `zcalloc`ed buffer.
pub(crate) struct Patch<'a> {
    pub(crate) buf: &'a mut Vec<u8>,
    pub(crate) base: usize,
}

impl Patch<'_> {
    pub(crate) fn bytes(&mut self, at: usize, src: &[u8]) {
        let start = self.base + at;
        self.buf[start..start + src.len()].copy_from_slice(src);
    }

    pub(crate) fn u8(&mut self, at: usize, v: u8) {
        self.bytes(at, &[v]);
    }

    pub(crate) fn u16(&mut self, at: usize, v: u16) {
        self.bytes(at, &v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, at: usize, v: u32) {
        self.bytes(at, &v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, at: usize, v: u64) {
        self.bytes(at, &v.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_align() {
        let b = [0, 1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(u16_at(&b, 1), 0x0102);
        assert_eq!(u32_at(&b, 6), 0);
        assert_eq!(u64_at(&b, 1), 0x0102_0304_0506_0708);
        assert_eq!(slice_at(&b, 8, 2), &[] as &[u8]);
        assert_eq!(eight_byte_align(0), 0);
        assert_eq!(eight_byte_align(15), 16);
        assert_eq!(eight_byte_align(16), 16);
    }
}
