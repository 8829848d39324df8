//! Redis's listpack byte format (`listpack.c`): what RDB types 16, 17 and 18 carry.
//!
//! ```text
//! <total bytes: u32 LE> <count: u16 LE, 65535 = unknown> <entry>* <0xFF>
//! entry = <encoding + data> <back-length of encoding + data, 1..=5 bytes>
//! ```
//! Encodings: `0xxxxxxx` 7-bit uint; `10LLLLLL` string < 64 bytes; `110xxxxx yyyyyyyy` 13-bit
//! signed int; `1110LLLL LLLLLLLL` string < 4096 bytes; `0xF1`/`F2`/`F3`/`F4` 16/24/32/64-bit
//! signed int (LE); `0xF0` + u32 LE length: longer string. The back-length is written most
//! significant 7-bit group first; every byte but the first has bit 7 set, so it can be read
//! backwards from the entry's end.
//!
//! A string that is the canonical text of an i64 is stored as an integer, as `lpAppend` does.

use hashslot_keyspace::{parse_i64, StrRef};

/// Header bytes: total length and count.
pub const HEADER_SIZE: usize = 6;
/// The terminator byte.
const EOF: u8 = 0xFF;

/// Builds a listpack entry by entry.
#[derive(Debug, Clone)]
pub struct ListpackBuilder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackBuilder {
    fn default() -> Self {
        ListpackBuilder::new()
    }
}

/// Bytes of the back-length of an entry of `l` bytes.
fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

fn put_backlen(out: &mut Vec<u8>, l: usize) {
    let n = backlen_size(l);
    for i in (0..n).rev() {
        let group = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { group } else { group | 128 });
    }
}

/// The size in bytes of the encoding + data part of an entry holding `v`.
pub fn entry_size(v: StrRef<'_>) -> usize {
    let body = match int_of(v) {
        Some(i) => int_size(i),
        None => str_header(v.len()) + v.len(),
    };
    body + backlen_size(body)
}

fn int_of(v: StrRef<'_>) -> Option<i64> {
    match v {
        StrRef::Int(i) => Some(i),
        StrRef::Bytes(b) if b.len() <= 20 => parse_i64(b),
        StrRef::Bytes(_) => None,
    }
}

fn int_size(v: i64) -> usize {
    match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32_768..=32_767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    }
}

fn str_header(len: usize) -> usize {
    match len {
        0..=63 => 1,
        64..=4095 => 2,
        _ => 5,
    }
}

impl ListpackBuilder {
    /// An empty listpack.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; HEADER_SIZE]);
        ListpackBuilder { buf, count: 0 }
    }

    /// Number of entries so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Size in bytes of the finished listpack if no more entries were added.
    pub fn size(&self) -> usize {
        self.buf.len() + 1
    }

    /// Append an integer entry.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = v.to_le_bytes();
        match int_size(v) {
            1 => self.buf.push(v as u8),
            2 => {
                let u = (v as u16) & 0x1fff;
                self.buf
                    .extend_from_slice(&[0xC0 | (u >> 8) as u8, u as u8]);
            }
            3 => self.buf.extend_from_slice(&[0xF1, b[0], b[1]]),
            4 => self.buf.extend_from_slice(&[0xF2, b[0], b[1], b[2]]),
            5 => self.buf.extend_from_slice(&[0xF3, b[0], b[1], b[2], b[3]]),
            _ => {
                self.buf.push(0xF4);
                self.buf.extend_from_slice(&b);
            }
        }
        let l = self.buf.len() - start;
        put_backlen(&mut self.buf, l);
        self.count += 1;
    }

    /// Append a string entry, stored as an integer when it is the canonical text of one.
    pub fn push(&mut self, v: StrRef<'_>) {
        let s = match (int_of(v), v) {
            (Some(i), _) => return self.push_int(i),
            (None, StrRef::Bytes(s)) => s,
            (None, StrRef::Int(_)) => unreachable!("int_of accepts every Int"),
        };
        let start = self.buf.len();
        let n = s.len();
        match str_header(n) {
            1 => self.buf.push(0x80 | n as u8),
            2 => self
                .buf
                .extend_from_slice(&[0xE0 | (n >> 8) as u8, n as u8]),
            _ => {
                self.buf.push(0xF0);
                self.buf.extend_from_slice(&(n as u32).to_le_bytes());
            }
        }
        self.buf.extend_from_slice(s);
        let l = self.buf.len() - start;
        put_backlen(&mut self.buf, l);
        self.count += 1;
    }

    /// Append a string given as bytes (see [`ListpackBuilder::push`]).
    pub fn push_bytes(&mut self, v: &[u8]) {
        self.push(StrRef::Bytes(v));
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let count = self.count.min(65_535) as u16;
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// Why a listpack did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListpackCorrupt;

/// The entries of a listpack, validated as they are read (an `Err` item ends the iteration).
#[derive(Debug, Clone)]
pub struct ListpackIter<'a> {
    buf: &'a [u8],
    pos: usize,
    seen: usize,
    declared: Option<usize>,
    done: bool,
}

/// Start reading `buf` as a listpack: checks the header against the buffer's length.
pub fn iter(buf: &[u8]) -> Result<ListpackIter<'_>, ListpackCorrupt> {
    if buf.len() < HEADER_SIZE + 1 {
        return Err(ListpackCorrupt);
    }
    let total = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if total != buf.len() || buf[buf.len() - 1] != EOF {
        return Err(ListpackCorrupt);
    }
    let declared = u16::from_le_bytes([buf[4], buf[5]]);
    Ok(ListpackIter {
        buf,
        pos: HEADER_SIZE,
        seen: 0,
        declared: (declared != 65_535).then_some(usize::from(declared)),
        done: false,
    })
}

impl<'a> ListpackIter<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ListpackCorrupt> {
        // The last byte is the terminator; no entry may reach it.
        let end = self.pos.checked_add(n).ok_or(ListpackCorrupt)?;
        if end >= self.buf.len() {
            return Err(ListpackCorrupt);
        }
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn entry(&mut self) -> Result<StrRef<'a>, ListpackCorrupt> {
        let start = self.pos;
        let b = self.take(1)?[0];
        let v = match b {
            0x00..=0x7F => StrRef::Int(i64::from(b)),
            0x80..=0xBF => StrRef::Bytes(self.take(usize::from(b & 0x3f))?),
            0xC0..=0xDF => {
                let lo = self.take(1)?[0];
                let u = i64::from(b & 0x1f) << 8 | i64::from(lo);
                StrRef::Int(if u >= 1 << 12 { u - (1 << 13) } else { u })
            }
            0xE0..=0xEF => {
                let lo = self.take(1)?[0];
                let n = usize::from(b & 0x0f) << 8 | usize::from(lo);
                StrRef::Bytes(self.take(n)?)
            }
            0xF0 => {
                let l = self.take(4)?;
                let n = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                StrRef::Bytes(self.take(n)?)
            }
            0xF1 => {
                let d = self.take(2)?;
                StrRef::Int(i64::from(i16::from_le_bytes([d[0], d[1]])))
            }
            0xF2 => {
                let d = self.take(3)?;
                StrRef::Int(i64::from(i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8))
            }
            0xF3 => {
                let d = self.take(4)?;
                StrRef::Int(i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]])))
            }
            0xF4 => {
                let d = self.take(8)?;
                StrRef::Int(i64::from_le_bytes(
                    d.try_into().map_err(|_| ListpackCorrupt)?,
                ))
            }
            _ => return Err(ListpackCorrupt),
        };
        let l = self.pos - start;
        let n = backlen_size(l);
        let bl = self.take(n)?;
        let mut got = 0usize;
        for (i, &byte) in bl.iter().enumerate() {
            if (i == 0) == (byte & 128 != 0) {
                return Err(ListpackCorrupt);
            }
            got = got << 7 | usize::from(byte & 127);
        }
        if got != l {
            return Err(ListpackCorrupt);
        }
        Ok(v)
    }
}

impl<'a> Iterator for ListpackIter<'a> {
    type Item = Result<StrRef<'a>, ListpackCorrupt>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.pos == self.buf.len() - 1 {
            self.done = true;
            return match self.declared {
                Some(d) if d != self.seen => Some(Err(ListpackCorrupt)),
                _ => None,
            };
        }
        let r = self.entry();
        self.seen += 1;
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_encoding() {
        let ints = [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            8_388_607,
            -8_388_608,
            8_388_608,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ];
        let strs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            vec![b'x'; 63],
            vec![b'x'; 64],
            vec![b'x'; 4095],
            vec![b'x'; 4096],
            vec![b'y'; 20_000],
            b"007".to_vec(),
            b"-0".to_vec(),
        ];
        let mut b = ListpackBuilder::new();
        for &i in &ints {
            b.push_int(i);
        }
        for s in &strs {
            b.push_bytes(s);
        }
        b.push_bytes(b"12345");
        let size = b.size();
        let lp = b.finish();
        assert_eq!(lp.len(), size);
        let got: Vec<StrRef<'_>> = iter(&lp).unwrap().map(Result::unwrap).collect();
        let mut want: Vec<StrRef<'_>> = ints.iter().map(|&i| StrRef::Int(i)).collect();
        want.extend(strs.iter().map(|s| StrRef::Bytes(s)));
        want.push(StrRef::Int(12345));
        assert_eq!(got, want);
    }

    #[test]
    fn known_bytes() {
        // "a", 1, -1 as Redis writes them.
        let mut b = ListpackBuilder::new();
        b.push_bytes(b"a");
        b.push_int(1);
        b.push_int(-1);
        let lp = b.finish();
        assert_eq!(
            lp,
            [15, 0, 0, 0, 3, 0, 0x81, b'a', 2, 1, 1, 0xDF, 0xFF, 2, 0xFF]
        );
    }

    #[test]
    fn backlen_sizes() {
        for l in [1usize, 127, 128, 16_382, 16_383, 2_097_150, 2_097_151] {
            let mut v = Vec::new();
            put_backlen(&mut v, l);
            assert_eq!(v.len(), backlen_size(l));
            let mut got = 0;
            for &b in &v {
                got = got << 7 | usize::from(b & 127);
            }
            assert_eq!(got, l);
        }
    }
}
