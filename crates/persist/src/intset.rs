//! Redis's intset byte format (`intset.c`), the body of RDB type 11:
//! `<width: u32 LE, 2|4|8> <count: u32 LE> <count integers of width bytes, LE, strictly ascending>`.

/// Encode `sorted` (strictly ascending) as an intset of the smallest width that holds them.
pub fn encode(sorted: &[i64]) -> Vec<u8> {
    let width = sorted.iter().map(|&v| width_for(v)).max().unwrap_or(2);
    let mut out = Vec::with_capacity(8 + sorted.len() * width);
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for &v in sorted {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// Bytes per integer that `v` needs.
pub fn width_for(v: i64) -> usize {
    if i64::from(v as i16) == v {
        2
    } else if i64::from(v as i32) == v {
        4
    } else {
        8
    }
}

/// Why an intset did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntsetCorrupt;

/// Decode an intset: its integers, checked to be strictly ascending (so no duplicates).
pub fn decode(buf: &[u8]) -> Result<Vec<i64>, IntsetCorrupt> {
    if buf.len() < 8 {
        return Err(IntsetCorrupt);
    }
    let width = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    let count = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
    if !matches!(width, 2 | 4 | 8) || count.checked_mul(width) != Some(buf.len() - 8) {
        return Err(IntsetCorrupt);
    }
    let mut out: Vec<i64> = Vec::with_capacity(count);
    for c in buf[8..].chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        };
        if out.last().is_some_and(|&p| p >= v) {
            return Err(IntsetCorrupt);
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_round_trip() {
        for set in [
            vec![],
            vec![1i64, 2, 3],
            vec![-40_000, 5],
            vec![i64::MIN, 0, i64::MAX],
        ] {
            let b = encode(&set);
            assert_eq!(decode(&b).unwrap(), set);
        }
        assert_eq!(encode(&[1, 2]), [2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0]);
        assert_eq!(encode(&[70_000])[0], 4);
    }

    #[test]
    fn rejects_bad() {
        assert!(decode(&[2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0]).is_err()); // unsorted
        assert!(decode(&[3, 0, 0, 0, 0, 0, 0, 0]).is_err()); // width
        assert!(decode(&[2, 0, 0, 0, 9, 0, 0, 0, 1, 0]).is_err()); // count
    }
}
