//! LZF, the compressor Redis uses for long strings in RDB files (`lzf_c.c`, `lzf_d.c`).
//!
//! Written here rather than taken from the `lzf` crate: that crate is deprecated, uses `unsafe`,
//! and allocates and zeroes a 512 KiB hash table on every call, which would dominate saving a
//! dataset of many short strings. [`Compressor`] keeps one 64 KiB table for its whole life and
//! never clears it: a stale entry is only a candidate position, checked against the input before
//! it is used, so correctness does not depend on the table's contents.
//!
//! The format: a control byte `000LLLLL` starts a literal run of `L + 1` bytes; `LLLooooo`
//! (`L` in 1..=7) is a back-reference of `L + 2` bytes (`L == 7`: one more length byte follows,
//! added) at distance `(ooooo << 8 | next byte) + 1` behind the output position.

/// log2 of the hash table's size.
const HLOG: u32 = 14;
/// Farthest back-reference distance (13 bits).
const MAX_OFF: usize = 1 << 13;
/// Longest back-reference: `7 + 255 + 2` bytes.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Longest literal run.
const MAX_LIT: usize = 1 << 5;

/// An LZF compressor with a reusable hash table (allocate once, compress many strings).
#[derive(Clone)]
pub struct Compressor {
    htab: Box<[u32]>,
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compressor").finish_non_exhaustive()
    }
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor::new()
    }
}

#[inline]
fn hash3(b: &[u8]) -> usize {
    let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HLOG)) as usize
}

fn flush_literals(out: &mut Vec<u8>, lit: &[u8]) {
    for run in lit.chunks(MAX_LIT) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
}

impl Compressor {
    /// A compressor (one 64 KiB table).
    pub fn new() -> Self {
        Compressor {
            htab: vec![0u32; 1 << HLOG].into_boxed_slice(),
        }
    }

    /// Append the compressed form of `input` to `out` if it takes at most `max_out` bytes and
    /// return its length; `None` (and `out` unchanged) when it does not fit.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>, max_out: usize) -> Option<usize> {
        let start = out.len();
        let n = input.len();
        if n == 0 || n > u32::MAX as usize {
            return None;
        }
        let mut ip = 0usize;
        let mut lit_start = 0usize;
        while ip + 2 < n {
            let h = hash3(&input[ip..]);
            let r = self.htab[h] as usize;
            self.htab[h] = ip as u32;
            if r < ip && ip - r - 1 < MAX_OFF && input[r..r + 3] == input[ip..ip + 3] {
                let max_len = MAX_REF.min(n - ip);
                let mut len = 3;
                while len < max_len && input[r + len] == input[ip + len] {
                    len += 1;
                }
                flush_literals(out, &input[lit_start..ip]);
                let off = ip - r - 1;
                let code = len - 2;
                if code < 7 {
                    out.push(((code << 5) | (off >> 8)) as u8);
                } else {
                    out.push(((7 << 5) | (off >> 8)) as u8);
                    out.push((code - 7) as u8);
                }
                out.push((off & 0xff) as u8);
                // Index the last positions of the match so that runs keep matching.
                let end = ip + len;
                let mut p = end.saturating_sub(2).max(ip + 1);
                while p + 2 < n && p < end {
                    self.htab[hash3(&input[p..])] = p as u32;
                    p += 1;
                }
                ip = end;
                lit_start = ip;
                if out.len() - start > max_out {
                    out.truncate(start);
                    return None;
                }
            } else {
                ip += 1;
            }
        }
        flush_literals(out, &input[lit_start..]);
        if out.len() - start > max_out {
            out.truncate(start);
            return None;
        }
        Some(out.len() - start)
    }
}

/// Why LZF data did not decompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LzfCorrupt;

/// Decompress `input` into exactly `out_len` bytes (Redis checks the length it stored).
/// The caller bounds `out_len` before calling: this allocates it up front.
pub(crate) fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfCorrupt> {
    let mut out = Vec::with_capacity(out_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            if ip + run > input.len() || out.len() + run > out_len {
                return Err(LzfCorrupt);
            }
            out.extend_from_slice(&input[ip..ip + run]);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(LzfCorrupt)?);
                ip += 1;
            }
            len += 2;
            let low = usize::from(*input.get(ip).ok_or(LzfCorrupt)?);
            ip += 1;
            let off = ((ctrl & 0x1f) << 8 | low) + 1;
            if off > out.len() || out.len() + len > out_len {
                return Err(LzfCorrupt);
            }
            let from = out.len() - off;
            if off >= len {
                out.extend_from_within(from..from + len);
            } else {
                for i in 0..len {
                    let b = out[from + i];
                    out.push(b);
                }
            }
        }
    }
    if out.len() == out_len {
        Ok(out)
    } else {
        Err(LzfCorrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(input: &[u8]) {
        let mut c = Compressor::new();
        let mut out = Vec::new();
        if let Some(n) = c.compress(input, &mut out, input.len() + input.len() / 16 + 64) {
            assert_eq!(n, out.len());
            assert_eq!(decompress(&out, input.len()).unwrap(), input);
        }
    }

    #[test]
    fn round_trips() {
        round(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        round(b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcxyz");
        let v: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        round(&v);
        let r: Vec<u8> = (0..5000u64)
            .map(|i| (i.wrapping_mul(6364136223846793005) >> 56) as u8)
            .collect();
        round(&r);
    }

    #[test]
    fn compresses_repetition() {
        let mut c = Compressor::new();
        let mut out = Vec::new();
        let n = c.compress(&[b'x'; 1000], &mut out, 996).unwrap();
        assert!(n < 30, "{n}");
    }

    #[test]
    fn corrupt_is_an_error() {
        assert!(decompress(&[0x20, 0x00], 3).is_err()); // reference before start
        assert!(decompress(&[0x05, b'a'], 6).is_err()); // literal past input
        assert!(decompress(&[0x00, b'a'], 2).is_err()); // wrong length
    }
}
