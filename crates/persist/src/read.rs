//! The loader's cursor: bounded reads of RDB primitives. Every length is checked against the
//! remaining input before anything is allocated for it.

use std::borrow::Cow;

use crate::error::RdbError;
use crate::lzf;

/// Longest string the loader accepts (Redis's default `proto-max-bulk-len`, 512 MiB).
pub const DEFAULT_MAX_STRING: usize = 512 << 20;
/// LZF cannot expand data by more than this (a 3-byte back-reference yields at most 264 bytes).
const LZF_MAX_RATIO: usize = 90;

/// A position in the input.
#[derive(Debug, Clone)]
pub(crate) struct Rd<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) max_string: usize,
}

/// An RDB length or a special string encoding (`11xxxxxx`).
pub(crate) enum Len {
    Len(u64),
    Enc(u8),
}

impl<'a> Rd<'a> {
    pub(crate) fn new(buf: &'a [u8], max_string: usize) -> Self {
        Rd {
            buf,
            pos: 0,
            max_string,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn corrupt(&self, what: &'static str) -> RdbError {
        RdbError::Corrupt {
            offset: self.pos,
            what,
        }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], RdbError> {
        if n > self.remaining() {
            return Err(RdbError::Truncated { offset: self.pos });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, RdbError> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    /// `rdbLoadLenByRef`.
    pub(crate) fn len_or_enc(&mut self) -> Result<Len, RdbError> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Len(u64::from(b & 0x3f)),
            1 => Len::Len(u64::from(b & 0x3f) << 8 | u64::from(self.u8()?)),
            2 => match b {
                0x80 => Len::Len(u64::from(u32::from_be_bytes(self.array()?))),
                0x81 => Len::Len(u64::from_be_bytes(self.array()?)),
                _ => return Err(self.corrupt("unknown length encoding")),
            },
            _ => Len::Enc(b & 0x3f),
        })
    }

    /// A plain length.
    pub(crate) fn len(&mut self) -> Result<u64, RdbError> {
        match self.len_or_enc()? {
            Len::Len(n) => Ok(n),
            Len::Enc(_) => Err(self.corrupt("string encoding where a length was expected")),
        }
    }

    /// A count of things each taking at least `min_bytes` bytes: bounded by the input left.
    pub(crate) fn count(&mut self, min_bytes: usize) -> Result<usize, RdbError> {
        let n = self.len()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() / min_bytes.max(1) => Ok(n),
            _ => Err(RdbError::Truncated { offset: self.pos }),
        }
    }

    /// `rdbGenericLoadStringObject`: a string, borrowed when stored plainly; integer encodings
    /// become their decimal text.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, [u8]>, RdbError> {
        match self.len_or_enc()? {
            Len::Len(n) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                if n > self.max_string && n <= self.remaining() {
                    return Err(self.corrupt("string longer than the limit"));
                }
                Ok(Cow::Borrowed(self.bytes(n)?))
            }
            Len::Enc(0) => Ok(Cow::Owned((self.u8()? as i8).to_string().into_bytes())),
            Len::Enc(1) => Ok(Cow::Owned(
                i16::from_le_bytes(self.array()?).to_string().into_bytes(),
            )),
            Len::Enc(2) => Ok(Cow::Owned(
                i32::from_le_bytes(self.array()?).to_string().into_bytes(),
            )),
            Len::Enc(3) => {
                let at = self.pos;
                let clen = self.len()?;
                let ulen = self.len()?;
                let clen = usize::try_from(clen).unwrap_or(usize::MAX);
                let data = self.bytes(clen)?;
                let ulen = usize::try_from(ulen).unwrap_or(usize::MAX);
                if ulen == 0 || ulen > self.max_string || ulen > clen.saturating_mul(LZF_MAX_RATIO)
                {
                    return Err(RdbError::Corrupt {
                        offset: at,
                        what: "bad LZF lengths",
                    });
                }
                lzf::decompress(data, ulen)
                    .map(Cow::Owned)
                    .map_err(|_| RdbError::Corrupt {
                        offset: at,
                        what: "invalid LZF data",
                    })
            }
            Len::Enc(_) => Err(self.corrupt("unknown string encoding")),
        }
    }

    /// `rdbLoadDoubleValue`: a score as text (RDB type 3).
    pub(crate) fn text_double(&mut self) -> Result<f64, RdbError> {
        let at = self.pos;
        match self.u8()? {
            253 => Err(RdbError::Corrupt {
                offset: at,
                what: "NaN score",
            }),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let s = self.bytes(usize::from(n))?;
                crate::score::parse(s).ok_or(RdbError::Corrupt {
                    offset: at,
                    what: "bad score",
                })
            }
        }
    }

    /// `rdbLoadBinaryDoubleValue`.
    pub(crate) fn binary_double(&mut self) -> Result<f64, RdbError> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}
