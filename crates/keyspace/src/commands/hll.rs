//! Redis's HyperLogLog string format, bit for bit: a 16-byte header (`HYLL`, encoding, three
//! reserved bytes, the cached cardinality little endian with bit 63 meaning "stale"), then
//! either 16384 dense 6-bit registers (LSB first) or the sparse opcodes ZERO `00xxxxxx`,
//! XZERO `01xxxxxx yyyyyyyy` and VAL `1vvvvvxx`. Elements hash with MurmurHash64A (seed
//! `0xadc83b19`); the estimate is Otmar Ertl's improved estimator, as Redis computes it. Keeping
//! the same bytes means an HLL made by Redis (RESTORE, RDB) counts the same here, and ours there.

/// Header size in bytes.
pub(crate) const HDR: usize = 16;
/// Number of registers (`2^14`).
pub(crate) const REGISTERS: usize = 1 << 14;
const P: u32 = 14;
const Q: usize = 64 - P as usize;
const REG_MAX: u8 = 63;
/// Size of a dense HLL string: header plus 16384 × 6 bits.
pub(crate) const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
/// Encoding byte of a dense HLL.
pub(crate) const DENSE: u8 = 0;
/// Encoding byte of a sparse HLL.
pub(crate) const SPARSE: u8 = 1;
/// `hll-sparse-max-bytes`'s default: a sparse HLL that would grow past this turns dense.
pub(crate) const SPARSE_MAX_BYTES: usize = 3000;

const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;

/// A sparse or dense HLL that does not describe exactly 16384 registers (Redis's
/// `INVALIDOBJ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Corrupt;

/// MurmurHash64A, as Redis uses it (little-endian word loads).
pub(crate) fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    // Redis passes the length as a C `int`.
    let mut h = seed ^ (key.len() as i32 as i64 as u64).wrapping_mul(M);
    let mut words = key.chunks_exact(8);
    for w in &mut words {
        let mut k = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// Redis's `hllPatLen`: the register an element maps to and the length of its "000..1" run.
pub(crate) fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, 0xadc83b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Dense register `i` of `regs` (the bytes after the header).
pub(crate) fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = u16::from(regs[byte]);
    // The last register's second byte is past the array (Redis reads the sds terminator, 0).
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & u16::from(REG_MAX)) as u8
}

/// Every dense register in order, four per three bytes (PFCOUNT and PFMERGE read all 16384).
pub(crate) fn dense_all(regs: &[u8]) -> impl Iterator<Item = u8> + '_ {
    regs.chunks_exact(3).flat_map(|b| {
        [
            b[0] & 63,
            ((b[0] >> 6) | (b[1] << 2)) & 63,
            ((b[1] >> 4) | (b[2] << 4)) & 63,
            b[2] >> 2,
        ]
    })
}

/// Sets dense register `i` to `v` (at most 63).
pub(crate) fn dense_set_raw(regs: &mut [u8], i: usize, v: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = u16::from(v);
    regs[byte] &= !((u16::from(REG_MAX) << fb) as u8);
    regs[byte] |= (v << fb) as u8;
    if let Some(b) = regs.get_mut(byte + 1) {
        *b &= !((u16::from(REG_MAX) >> (8 - fb)) as u8);
        *b |= (v >> (8 - fb)) as u8;
    }
}

/// Redis's `hllDenseSet`: raise register `i` to `count`; whether it changed.
pub(crate) fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_set_raw(regs, i, count);
        true
    } else {
        false
    }
}

/// A new, empty HLL: sparse, one XZERO opcode per 16384 registers.
pub(crate) fn new_sparse() -> Vec<u8> {
    let mut s = vec![0u8; HDR];
    s[..4].copy_from_slice(b"HYLL");
    s[4] = SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let n = left.min(XZERO_MAX_LEN);
        push_xzero(&mut s, n);
        left -= n;
    }
    s
}

/// Whether `s` is a value the HLL commands accept (Redis's `isHLLObjectOrReply` checks).
pub(crate) fn looks_valid(s: &[u8]) -> bool {
    s.len() >= HDR
        && &s[..4] == b"HYLL"
        && s[4] <= SPARSE
        && (s[4] != DENSE || s.len() == DENSE_SIZE)
}

/// Marks the cached cardinality stale.
pub(crate) fn invalidate(s: &mut [u8]) {
    s[15] |= 0x80;
}

/// The cached cardinality, when valid.
pub(crate) fn cached(s: &[u8]) -> Option<u64> {
    (s[15] & 0x80 == 0).then(|| u64::from_le_bytes(s[8..16].try_into().expect("8 bytes")))
}

/// Stores a freshly computed cardinality.
pub(crate) fn set_cached(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

/// One decoded sparse opcode.
#[derive(Clone, Copy)]
pub(crate) enum Op {
    /// A run of zero registers (ZERO or XZERO).
    Zero { len: usize, xzero: bool },
    /// A run of registers of one value.
    Val { value: u8, len: usize },
}

impl Op {
    /// Decodes the opcode at `p`; an XZERO cut short reads its missing byte as 0, as Redis
    /// reads the string's terminator.
    pub(crate) fn at(s: &[u8], p: usize) -> Op {
        let b = s[p];
        match b & 0xc0 {
            0x00 => Op::Zero {
                len: usize::from(b & 0x3f) + 1,
                xzero: false,
            },
            0x40 => Op::Zero {
                len: ((usize::from(b & 0x3f) << 8)
                    | usize::from(s.get(p + 1).copied().unwrap_or(0)))
                    + 1,
                xzero: true,
            },
            _ => Op::Val {
                value: ((b >> 2) & 0x1f) + 1,
                len: usize::from(b & 3) + 1,
            },
        }
    }

    /// Bytes the opcode takes.
    pub(crate) fn size(self) -> usize {
        match self {
            Op::Zero { xzero: true, .. } => 2,
            _ => 1,
        }
    }

    /// Registers the opcode covers.
    pub(crate) fn span(self) -> usize {
        match self {
            Op::Zero { len, .. } | Op::Val { len, .. } => len,
        }
    }
}

fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn push_xzero(out: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    out.push(0x40 | (l >> 8) as u8);
    out.push((l & 0xff) as u8);
}

fn push_zero_run(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        push_xzero(out, len);
    } else {
        out.push((len - 1) as u8);
    }
}

/// Redis's `hllSparseToDense`: the dense string with the same header fields (cached value
/// included), or [`Corrupt`] when the opcodes do not cover exactly 16384 registers.
pub(crate) fn sparse_to_dense(s: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&s[..HDR]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR..];
    let (mut idx, mut p) = (0usize, HDR);
    while p < s.len() {
        let op = Op::at(s, p);
        match op {
            Op::Zero { len, .. } => idx += len,
            Op::Val { value, len } => {
                if idx + len > REGISTERS {
                    break;
                }
                for i in idx..idx + len {
                    dense_set_raw(regs, i, value);
                }
                idx += len;
            }
        }
        p += op.size();
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    Ok(dense)
}

/// Turns `s` dense in place if it is sparse.
pub(crate) fn to_dense(s: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if s[4] == DENSE {
        return Ok(false);
    }
    *s = sparse_to_dense(s)?;
    Ok(true)
}

/// Redis's `hllSparseSet`: raise register `index` to `count` in a sparse HLL, turning it dense
/// when the value does not fit a VAL opcode or the string would pass `max_bytes`. `Ok(changed)`.
pub(crate) fn sparse_set(
    s: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Find the opcode covering `index`.
    let (mut p, mut first, mut span) = (HDR, 0usize, 0usize);
    let mut prev = None;
    while p < s.len() {
        let op = Op::at(s, p);
        span = op.span();
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += op.size();
        first += span;
    }
    if span == 0 || p >= s.len() {
        return Err(Corrupt);
    }
    let op = Op::at(s, p);
    let runlen = op.span();
    match op {
        Op::Val { value, .. } if value >= count => return Ok(false),
        Op::Val { .. } | Op::Zero { xzero: false, .. } if runlen == 1 => {
            s[p] = val_byte(count, 1);
            merge_adjacent(s, prev.unwrap_or(HDR));
            invalidate(s);
            return Ok(true);
        }
        _ => {}
    }
    // Split the run into up to three opcodes: before, the new value, after.
    let last = first + span - 1;
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Zero { .. } => {
            if index != first {
                push_zero_run(&mut seq, index - first);
            }
            seq.push(val_byte(count, 1));
            if index != last {
                push_zero_run(&mut seq, last - index);
            }
        }
        Op::Val { value, .. } => {
            if index != first {
                seq.push(val_byte(value, index - first));
            }
            seq.push(val_byte(count, 1));
            if index != last {
                seq.push(val_byte(value, last - index));
            }
        }
    }
    let old_len = op.size();
    if seq.len() > old_len && s.len() + seq.len() - old_len > max_bytes {
        return promote(s, index, count);
    }
    if p + old_len <= s.len() {
        s.splice(p..p + old_len, seq);
    } else {
        // An XZERO cut short by the string's end: Redis writes the new opcodes at `p` but sizes
        // the string by the opcode's nominal length, so the last byte written falls off.
        let total = s.len() + seq.len() - old_len;
        s.truncate(p);
        s.extend_from_slice(&seq);
        s.truncate(total);
    }
    merge_adjacent(s, prev.unwrap_or(HDR));
    invalidate(s);
    Ok(true)
}

/// The end of `hllSparseSet`: merge adjacent VAL opcodes of equal value, scanning at most five
/// opcodes from `p` (the opcode before the one changed).
fn merge_adjacent(s: &mut Vec<u8>, mut p: usize) {
    let mut scan = 5;
    while p < s.len() && scan > 0 {
        scan -= 1;
        match Op::at(s, p) {
            Op::Zero { xzero, .. } => {
                p += if xzero { 2 } else { 1 };
                continue;
            }
            Op::Val { value: v1, len: l1 } => {
                if p + 1 < s.len() {
                    if let Op::Val { value: v2, len: l2 } = Op::at(s, p + 1) {
                        if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                            s[p + 1] = val_byte(v1, l1 + l2);
                            s.remove(p);
                            continue;
                        }
                    }
                }
            }
        }
        p += 1;
    }
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(s)?;
    Ok(dense_set(&mut s[HDR..], index, count))
}

/// Redis's `hllAdd`: add one element; `Ok(true)` when a register changed.
pub(crate) fn add(s: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pat_len(ele);
    match s[4] {
        DENSE => Ok(dense_set(&mut s[HDR..], index, count)),
        SPARSE => sparse_set(s, index, count, max_bytes),
        _ => Err(Corrupt),
    }
}

/// Redis's `hllMerge`: raise `max[i]` to register `i` of HLL `s` for every register.
pub(crate) fn merge_into(max: &mut [u8; REGISTERS], s: &[u8]) -> Result<(), Corrupt> {
    if s[4] == DENSE {
        for (m, r) in max.iter_mut().zip(dense_all(&s[HDR..])) {
            *m = (*m).max(r);
        }
        return Ok(());
    }
    let (mut i, mut p) = (0usize, HDR);
    while p < s.len() {
        let op = Op::at(s, p);
        match op {
            Op::Zero { len, .. } => i += len,
            Op::Val { value, len } => {
                if i + len > REGISTERS {
                    break;
                }
                for m in &mut max[i..i + len] {
                    *m = (*m).max(value);
                }
                i += len;
            }
        }
        p += op.size();
    }
    if i != REGISTERS {
        return Err(Corrupt);
    }
    Ok(())
}

/// The registers as a histogram of values.
pub(crate) enum Registers<'a> {
    /// A whole HLL string (dense or sparse).
    Hll(&'a [u8]),
    /// One byte per register (PFCOUNT of several keys; Redis's internal `HLL_RAW`).
    Raw(&'a [u8; REGISTERS]),
}

/// Redis's `hllCount`: the estimated cardinality, or [`Corrupt`] for a sparse HLL that does not
/// cover 16384 registers.
pub(crate) fn count(regs: Registers<'_>) -> Result<u64, Corrupt> {
    let mut histo = [0u32; 64];
    match regs {
        Registers::Raw(r) => r.iter().for_each(|&v| histo[usize::from(v & 63)] += 1),
        Registers::Hll(s) if s[4] == DENSE => {
            dense_all(&s[HDR..]).for_each(|r| histo[usize::from(r)] += 1)
        }
        Registers::Hll(s) => {
            let (mut idx, mut p) = (0usize, HDR);
            while p < s.len() {
                let op = Op::at(s, p);
                // A corrupt HLL may describe billions of registers: wrap (its count is
                // discarded below) rather than overflow.
                let (slot, len) = match op {
                    Op::Zero { len, .. } => (0, len),
                    Op::Val { value, len } => (usize::from(value), len),
                };
                histo[slot] = histo[slot].wrapping_add(len as u32);
                idx += op.span();
                p += op.size();
            }
            if idx != REGISTERS {
                return Err(Corrupt);
            }
        }
    }
    Ok(estimate(&histo))
}

/// The estimator over a register histogram, with Redis's operation order (so the same doubles).
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(histo[Q + 1])) / m);
    for j in (1..=Q).rev() {
        z += f64::from(histo[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histo[0]) / m);
    // 0.5 / ln(2); `round` is C's `llroundl` (halves away from zero).
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        // C's pow(1 - x, 2), which compilers fold to this exact product.
        z -= (1.0 - x) * (1.0 - x) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// PFDEBUG DECODE's text of a sparse HLL: `z:N`, `Z:N` and `v:VALUE,LEN` separated by spaces.
pub(crate) fn decode(s: &[u8]) -> String {
    let mut out = Vec::new();
    let mut p = HDR;
    while p < s.len() {
        let op = Op::at(s, p);
        out.push(match op {
            Op::Zero { len, xzero: false } => format!("z:{len}"),
            Op::Zero { len, xzero: true } => format!("Z:{len}"),
            Op::Val { value, len } => format!("v:{value},{len}"),
        });
        p += op.size();
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_registers_round_trip_without_touching_neighbours() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR];
        let mut expect = vec![0u8; REGISTERS];
        let mut x = 12345u64;
        for (i, e) in expect.iter_mut().enumerate() {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *e = (x >> 58) as u8;
            dense_set_raw(&mut regs, i, *e);
        }
        for (i, e) in expect.iter().enumerate() {
            assert_eq!(dense_get(&regs, i), *e, "register {i}");
        }
        assert!(dense_all(&regs).eq(expect.iter().copied()));
    }

    #[test]
    fn sparse_and_dense_agree_and_sparse_turns_dense_at_the_limit() {
        let mut sparse = new_sparse();
        let mut dense = sparse_to_dense(&sparse).unwrap();
        for n in 0u32..5000 {
            let e = n.to_le_bytes();
            add(&mut sparse, &e, SPARSE_MAX_BYTES).unwrap();
            add(&mut dense, &e, SPARSE_MAX_BYTES).unwrap();
            if n % 97 == 0 {
                assert_eq!(
                    count(Registers::Hll(&sparse)),
                    count(Registers::Hll(&dense)),
                    "after {n}"
                );
            }
            assert!(sparse.len() <= SPARSE_MAX_BYTES || sparse[4] == DENSE);
        }
        assert_eq!(sparse[4], DENSE);
        assert_eq!(sparse[HDR..], dense[HDR..]);
        let est = count(Registers::Hll(&dense)).unwrap();
        assert!((4800..5200).contains(&est), "{est}");
    }

    #[test]
    fn corrupt_sparse_is_an_error_not_a_panic() {
        // A single ZERO opcode: one register described instead of 16384.
        let mut s = new_sparse();
        s.truncate(HDR);
        s.push(0x00);
        assert_eq!(count(Registers::Hll(&s)), Err(Corrupt));
        assert_eq!(sparse_to_dense(&s), Err(Corrupt));
        assert_eq!(sparse_set(&mut s, 5, 3, SPARSE_MAX_BYTES), Err(Corrupt));
        let mut max = [0u8; REGISTERS];
        assert_eq!(merge_into(&mut max, &s), Err(Corrupt));
    }
}
