//! Decoder of Redis's ziplist (`ziplist.c`), the body of RDB types 10, 12, 13 and of the nodes of
//! type 14, written by Redis before 7.0 (7.0 converts them to listpacks on load).
//!
//! ```text
//! <zlbytes: u32 LE> <zltail: u32 LE> <zllen: u16 LE> <entry>* <0xFF>
//! entry = <prevlen: 1 byte < 254, or 0xFE + u32 LE> <encoding> <data>
//! ```
//! Encodings: `00LLLLLL` string < 64; `01LLLLLL LLLLLLLL` (BE) string < 16384; `0x80` + u32 BE
//! string; `0xC0` i16, `0xD0` i32, `0xE0` i64, `0xF0` i24, `0xFE` i8 (LE); `0xF1..=0xFD`
//! immediate 0..=12.

use hashslot_keyspace::StrRef;

/// Why a ziplist did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZiplistCorrupt;

/// Decode every entry of a ziplist, checking lengths, back-links and the declared count.
pub fn decode(buf: &[u8]) -> Result<Vec<StrRef<'_>>, ZiplistCorrupt> {
    if buf.len() < 11 || buf[buf.len() - 1] != 0xFF {
        return Err(ZiplistCorrupt);
    }
    let total = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    let declared = u16::from_le_bytes([buf[8], buf[9]]);
    if total != buf.len() {
        return Err(ZiplistCorrupt);
    }
    let end = buf.len() - 1;
    let mut pos = 10;
    let mut prev_len = 0usize;
    let mut out = Vec::new();
    let take = |pos: &mut usize, n: usize| -> Result<&[u8], ZiplistCorrupt> {
        let e = pos
            .checked_add(n)
            .filter(|&e| e <= end)
            .ok_or(ZiplistCorrupt)?;
        let s = &buf[*pos..e];
        *pos = e;
        Ok(s)
    };
    while pos < end {
        let start = pos;
        let p = take(&mut pos, 1)?[0];
        let prevlen = match p {
            0..=253 => usize::from(p),
            254 => {
                let d = take(&mut pos, 4)?;
                u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize
            }
            _ => return Err(ZiplistCorrupt),
        };
        if prevlen != prev_len {
            return Err(ZiplistCorrupt);
        }
        let e = take(&mut pos, 1)?[0];
        let v = match e >> 6 {
            0 => StrRef::Bytes(take(&mut pos, usize::from(e & 0x3f))?),
            1 => {
                let lo = take(&mut pos, 1)?[0];
                StrRef::Bytes(take(
                    &mut pos,
                    usize::from(e & 0x3f) << 8 | usize::from(lo),
                )?)
            }
            2 if e == 0x80 => {
                let d = take(&mut pos, 4)?;
                let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize;
                StrRef::Bytes(take(&mut pos, n)?)
            }
            2 => return Err(ZiplistCorrupt),
            _ => StrRef::Int(match e {
                0xC0 => {
                    let d = take(&mut pos, 2)?;
                    i64::from(i16::from_le_bytes([d[0], d[1]]))
                }
                0xD0 => {
                    let d = take(&mut pos, 4)?;
                    i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]]))
                }
                0xE0 => {
                    let d = take(&mut pos, 8)?;
                    i64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
                }
                0xF0 => {
                    let d = take(&mut pos, 3)?;
                    i64::from(i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8)
                }
                0xFE => i64::from(take(&mut pos, 1)?[0] as i8),
                0xF1..=0xFD => i64::from(e & 0x0f) - 1,
                _ => return Err(ZiplistCorrupt),
            }),
        };
        prev_len = pos - start;
        out.push(v);
    }
    if declared != u16::MAX && usize::from(declared) != out.len() {
        return Err(ZiplistCorrupt);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny ziplist encoder for tests only (we never write ziplists).
    pub(crate) fn encode(items: &[StrRef<'_>]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        for it in items {
            let start = body.len();
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(254);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match *it {
                StrRef::Int(v @ 0..=12) => body.push(0xF1 + v as u8),
                StrRef::Int(v) if i64::from(v as i8) == v => {
                    body.extend_from_slice(&[0xFE, v as u8])
                }
                StrRef::Int(v) if i64::from(v as i16) == v => {
                    body.push(0xC0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                StrRef::Int(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                    body.push(0xF0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                StrRef::Int(v) if i64::from(v as i32) == v => {
                    body.push(0xD0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                StrRef::Int(v) => {
                    body.push(0xE0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                StrRef::Bytes(s) if s.len() < 64 => {
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                StrRef::Bytes(s) if s.len() < 16384 => {
                    body.extend_from_slice(&[0x40 | (s.len() >> 8) as u8, s.len() as u8]);
                    body.extend_from_slice(s);
                }
                StrRef::Bytes(s) => {
                    body.push(0x80);
                    body.extend_from_slice(&(s.len() as u32).to_be_bytes());
                    body.extend_from_slice(s);
                }
            }
            prev = body.len() - start;
        }
        let mut out = Vec::new();
        out.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
        out.extend_from_slice(&((10 + body.len() - prev) as u32).to_le_bytes());
        out.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out.push(0xFF);
        out
    }

    #[test]
    fn round_trip() {
        let big = vec![b'z'; 300];
        let mid = vec![b'm'; 100];
        let items = [
            StrRef::Int(0),
            StrRef::Int(12),
            StrRef::Int(-5),
            StrRef::Int(1000),
            StrRef::Int(1 << 20),
            StrRef::Int(-(1 << 30)),
            StrRef::Int(i64::MIN),
            StrRef::Bytes(b"hello"),
            StrRef::Bytes(&mid),
            StrRef::Bytes(&big),
            StrRef::Bytes(b""),
        ];
        let zl = encode(&items);
        assert_eq!(decode(&zl).unwrap(), items);
        assert!(decode(&zl[..zl.len() - 1]).is_err());
    }
}
