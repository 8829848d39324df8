//! Decoder of Redis's zipmap (`zipmap.c`), the body of RDB type 9 (hashes saved by Redis < 2.6).
//!
//! ```text
//! <zmlen: 1 byte> (<len> <key> <len> <free: 1 byte> <value> <free bytes>)* <0xFF>
//! len = 1 byte < 254, or 254 + u32 (little-endian, as the x86 machines that wrote them)
//! ```

/// Why a zipmap did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipmapCorrupt;

/// A (field, value) pair, borrowed from the zipmap.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// The (field, value) pairs of a zipmap.
pub fn decode(buf: &[u8]) -> Result<Vec<Pair<'_>>, ZipmapCorrupt> {
    let mut pos = 1usize;
    if buf.is_empty() {
        return Err(ZipmapCorrupt);
    }
    let take = |pos: &mut usize, n: usize| -> Result<&[u8], ZipmapCorrupt> {
        let e = pos
            .checked_add(n)
            .filter(|&e| e <= buf.len())
            .ok_or(ZipmapCorrupt)?;
        let s = &buf[*pos..e];
        *pos = e;
        Ok(s)
    };
    let len = |pos: &mut usize| -> Result<Option<usize>, ZipmapCorrupt> {
        let b = take(pos, 1)?[0];
        Ok(match b {
            0..=253 => Some(usize::from(b)),
            254 => {
                let d = take(pos, 4)?;
                Some(u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize)
            }
            _ => None,
        })
    };
    let mut out = Vec::new();
    while let Some(kl) = len(&mut pos)? {
        let k = take(&mut pos, kl)?;
        let vl = len(&mut pos)?.ok_or(ZipmapCorrupt)?;
        let free = usize::from(take(&mut pos, 1)?[0]);
        let v = take(&mut pos, vl)?;
        take(&mut pos, free)?;
        out.push((k, v));
    }
    if pos != buf.len() {
        return Err(ZipmapCorrupt);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        let zm = [
            2, 3, b'f', b'o', b'o', 3, 1, b'b', b'a', b'r', 0, 1, b'k', 1, 0, b'v', 0xFF,
        ];
        assert_eq!(
            decode(&zm).unwrap(),
            vec![(&b"foo"[..], &b"bar"[..]), (&b"k"[..], &b"v"[..])]
        );
        assert!(decode(&zm[..10]).is_err());
    }
}
