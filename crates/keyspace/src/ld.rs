//! INCRBYFLOAT's arithmetic: x86 `long double` (64-bit significand, 15-bit exponent) emulated
//! exactly with big integers, because Redis parses with `strtold`, adds in long double and
//! prints with `%.17Lf`. With f64 `incrbyfloat k 0.1` would print `0.10000000000000001`; with
//! 64 significand bits the 17-decimal rounding gives `0.1` as Redis does.
//!
//! Every step is exact then rounded once, half to even, as glibc does: parsing (`strtold`),
//! addition, and fixed-point formatting. Hex float input (`0x1.8p1`) is accepted, as strtold does.

/// A finite long double: `(-1)^neg * mant * 2^exp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ld {
    neg: bool,
    mant: u64,
    exp: i64,
}

/// Exponent of the least significant bit of the smallest subnormal (2^-16445).
const MIN_EXP: i64 = -16445;
/// Largest finite values are below 2^16384.
const MAX_BITS: i64 = 16384;

/// Little-endian base-2^32 big unsigned integer, just what this module needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    fn bits(&self) -> i64 {
        match self.0.last() {
            None => 0,
            Some(&top) => (self.0.len() as i64 - 1) * 32 + (32 - top.leading_zeros() as i64),
        }
    }
    fn bit(&self, i: i64) -> bool {
        let (w, b) = ((i / 32) as usize, i % 32);
        i >= 0 && self.0.get(w).is_some_and(|x| x >> b & 1 == 1)
    }
    /// Whether any bit below `i` is set.
    fn any_below(&self, i: i64) -> bool {
        let w = (i.max(0) / 32) as usize;
        self.0.iter().take(w.min(self.0.len())).any(|&x| x != 0)
            || (i % 32 != 0
                && self
                    .0
                    .get(w)
                    .is_some_and(|&x| x & ((1u32 << (i % 32)) - 1) != 0))
    }
    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for x in &mut self.0 {
            let v = u64::from(*x) * u64::from(m) + carry;
            *x = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }
    fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for x in &mut self.0 {
            if carry == 0 {
                return;
            }
            let v = u64::from(*x) + carry;
            *x = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }
    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        self.mul_small(10u32.pow(n));
    }
    fn shl(&self, n: i64) -> Big {
        let (w, b) = ((n / 32) as usize, (n % 32) as u32);
        let mut out = vec![0u32; w];
        let mut carry = 0u32;
        for &x in &self.0 {
            out.push(if b == 0 { x } else { (x << b) | carry });
            carry = if b == 0 { 0 } else { x >> (32 - b) };
        }
        out.push(carry);
        let mut r = Big(out);
        r.trim();
        r
    }
    fn shr(&self, n: i64) -> Big {
        let (w, b) = ((n / 32) as usize, (n % 32) as u32);
        if w >= self.0.len() {
            return Big(Vec::new());
        }
        let src = &self.0[w..];
        let mut out = Vec::with_capacity(src.len());
        for i in 0..src.len() {
            let hi = src.get(i + 1).copied().unwrap_or(0);
            out.push(if b == 0 {
                src[i]
            } else {
                (src[i] >> b) | (hi << (32 - b))
            });
        }
        let mut r = Big(out);
        r.trim();
        r
    }
    fn low_u64(&self) -> u64 {
        u64::from(self.0.first().copied().unwrap_or(0))
            | u64::from(self.0.get(1).copied().unwrap_or(0)) << 32
    }
    fn cmp(&self, o: &Big) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }
    fn sub_assign(&mut self, o: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let v = i64::from(self.0[i]) - i64::from(o.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            self.0[i] = (v + (borrow << 32)) as u32;
        }
        self.trim();
    }
    fn add(&self, o: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len().max(o.0.len()) + 1);
        let mut carry = 0u64;
        for i in 0..self.0.len().max(o.0.len()) {
            let v = u64::from(self.0.get(i).copied().unwrap_or(0))
                + u64::from(o.0.get(i).copied().unwrap_or(0))
                + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        out.push(carry as u32);
        let mut r = Big(out);
        r.trim();
        r
    }
    /// Decimal digits.
    fn to_decimal(&self) -> Vec<u8> {
        let mut limbs = self.0.clone();
        let mut chunks = Vec::new();
        while !limbs.is_empty() {
            let mut rem = 0u64;
            for x in limbs.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*x);
                *x = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
            chunks.push(rem as u32);
        }
        let mut s = chunks
            .pop()
            .map(|c| c.to_string())
            .unwrap_or_else(|| "0".into());
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s.into_bytes()
    }
}

/// Round `num * 2^-k` (plus a tiny amount if `sticky`) to a long double.
fn round(neg: bool, num: &Big, k: i64, sticky: bool) -> Option<Ld> {
    if num.is_zero() {
        return Some(Ld {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    let e = (num.bits() - 64 - k).max(MIN_EXP);
    let s = e + k;
    let mut mant;
    let mut e = e;
    if s <= 0 {
        debug_assert!(!sticky);
        mant = num.shl(-s).low_u64();
    } else {
        mant = num.shr(s).low_u64();
        let half = num.bit(s - 1);
        let rest = sticky || num.any_below(s - 1);
        if half && (rest || mant & 1 == 1) {
            let (m, over) = mant.overflowing_add(1);
            mant = if over { 1 << 63 } else { m };
            if over {
                e += 1;
            }
        }
    }
    if mant == 0 {
        return Some(Ld {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    if e + 64 - i64::from(mant.leading_zeros()) > MAX_BITS {
        return None;
    }
    Some(Ld { neg, mant, exp: e })
}

/// Decimal exponent digits after `p`/`e`: (value, bytes used), `None` if no digit follows.
fn exponent(b: &[u8]) -> Option<(i64, usize)> {
    let mut j = 0;
    let neg = b.first() == Some(&b'-');
    if matches!(b.first(), Some(b'-' | b'+')) {
        j += 1;
    }
    let start = j;
    let mut e: i64 = 0;
    while j < b.len() && b[j].is_ascii_digit() {
        e = (e * 10 + i64::from(b[j] - b'0')).min(1 << 40);
        j += 1;
    }
    (j > start).then_some((if neg { -e } else { e }, j))
}

/// The part of a C99 hex float after `0x` (lowercased): hex digits, optional fraction, optional
/// binary exponent `p±n`.
fn parse_hex(neg: bool, b: &[u8]) -> Result<Option<Ld>, ()> {
    let mut digits = Big(Vec::new());
    let (mut i, mut ndig, mut exp2) = (0usize, 0usize, 0i64);
    let hexval = |c: u8| (c as char).to_digit(16);
    while let Some(d) = b.get(i).and_then(|&c| hexval(c)) {
        digits.mul_small(16);
        digits.add_small(d);
        ndig += 1;
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = b.get(i).and_then(|&c| hexval(c)) {
            digits.mul_small(16);
            digits.add_small(d);
            ndig += 1;
            exp2 -= 4;
            i += 1;
        }
    }
    if ndig == 0 {
        return Err(());
    }
    if b.get(i) == Some(&b'p') {
        let (e, used) = exponent(&b[i + 1..]).ok_or(())?;
        exp2 += e;
        i += 1 + used;
    }
    if i != b.len() {
        return Err(());
    }
    if digits.is_zero() {
        return Ok(Some(Ld {
            neg,
            mant: 0,
            exp: 0,
        }));
    }
    if digits.bits() + exp2 > MAX_BITS + 64 || digits.bits() + exp2 < MIN_EXP - 64 {
        return Err(());
    }
    match round(neg, &digits, -exp2, false) {
        Some(v) if v.mant != 0 => Ok(Some(v)),
        _ => Err(()),
    }
}

impl Ld {
    /// An integer, exactly.
    pub(crate) fn from_i64(n: i64) -> Ld {
        Ld {
            neg: n < 0,
            mant: n.unsigned_abs(),
            exp: 0,
        }
    }

    /// Redis's `string2ld`: `strtold` accepting the whole input, no leading space, no NaN, no
    /// overflow and no underflow to zero. `Err(())` for invalid, `Ok(None)` for infinity.
    pub(crate) fn parse(s: &[u8]) -> Result<Option<Ld>, ()> {
        if s.is_empty() || s.len() >= 5 * 1024 || s[0].is_ascii_whitespace() || s[0] == 0x0b {
            return Err(());
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let lower = body.to_ascii_lowercase();
        if lower == b"inf" || lower == b"infinity" {
            return Ok(None);
        }
        if lower.starts_with(b"0x") {
            return parse_hex(neg, &lower[2..]);
        }
        let mut digits = Big(Vec::new());
        let (mut i, mut ndig, mut exp10) = (0usize, 0usize, 0i64);
        let mut nonzero_seen = false;
        while i < body.len() && body[i].is_ascii_digit() {
            digits.mul_small(10);
            digits.add_small(u32::from(body[i] - b'0'));
            nonzero_seen |= body[i] != b'0';
            ndig += 1;
            i += 1;
        }
        if i < body.len() && body[i] == b'.' {
            i += 1;
            while i < body.len() && body[i].is_ascii_digit() {
                digits.mul_small(10);
                digits.add_small(u32::from(body[i] - b'0'));
                nonzero_seen |= body[i] != b'0';
                ndig += 1;
                exp10 -= 1;
                i += 1;
            }
        }
        if ndig == 0 {
            return Err(());
        }
        if i < body.len() && (body[i] == b'e' || body[i] == b'E') {
            let mut j = i + 1;
            let eneg = j < body.len() && body[j] == b'-';
            if j < body.len() && (body[j] == b'-' || body[j] == b'+') {
                j += 1;
            }
            let start = j;
            let mut e: i64 = 0;
            while j < body.len() && body[j].is_ascii_digit() {
                e = (e * 10 + i64::from(body[j] - b'0')).min(1 << 40);
                j += 1;
            }
            if j == start {
                return Err(()); // strtold stops before the 'e': trailing garbage
            }
            exp10 += if eneg { -e } else { e };
            i = j;
        }
        if i != body.len() {
            return Err(());
        }
        if !nonzero_seen {
            return Ok(Some(Ld {
                neg,
                mant: 0,
                exp: 0,
            }));
        }
        // Bounds far outside the range: overflow (rejected) or underflow to zero (rejected).
        let magnitude = ndig as i64 + exp10;
        if magnitude > 4934 + 1 {
            return Err(());
        }
        if magnitude < -4951 - 1 {
            return Err(());
        }
        let v = if exp10 >= 0 {
            digits.mul_pow10(exp10 as u32);
            round(neg, &digits, 0, false)
        } else {
            let mut den = Big::from_u64(1);
            den.mul_pow10((-exp10) as u32);
            // Scale so the quotient has 66-67 bits: enough for 64 bits plus rounding.
            let k = 66 + den.bits() - digits.bits();
            let (num, den) = if k >= 0 {
                (digits.shl(k), den)
            } else {
                (digits, den.shl(-k))
            };
            let mut rem = num;
            let mut q = 0u128;
            for bit in (0..68).rev() {
                let d = den.shl(bit);
                if rem.cmp(&d) != std::cmp::Ordering::Less {
                    rem.sub_assign(&d);
                    q |= 1u128 << bit;
                }
            }
            let qb = Big::from_u64(q as u64).add(&Big::from_u64((q >> 64) as u64).shl(64));
            round(neg, &qb, k, !rem.is_zero())
        };
        match v {
            Some(v) if v.mant == 0 => Err(()), // underflow to zero: ERANGE
            Some(v) => Ok(Some(v)),
            None => Err(()),
        }
    }

    /// `self + o`, rounded; `None` on overflow to infinity.
    pub(crate) fn add(self, o: Ld) -> Option<Ld> {
        let e = self.exp.min(o.exp);
        let a = Big::from_u64(self.mant).shl(self.exp - e);
        let b = Big::from_u64(o.mant).shl(o.exp - e);
        let (neg, sum) = if self.neg == o.neg {
            (self.neg, a.add(&b))
        } else if a.cmp(&b) != std::cmp::Ordering::Less {
            let mut a = a;
            a.sub_assign(&b);
            (self.neg && !a.is_zero(), a)
        } else {
            let mut b = b;
            b.sub_assign(&a);
            (o.neg, b)
        };
        round(neg, &sum, -e, false)
    }

    /// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf`, trailing zeros and point removed,
    /// `-0` written `0`.
    pub(crate) fn format_human(self) -> Vec<u8> {
        // R = round_half_even(mant * 2^exp * 10^17)
        let mut n = Big::from_u64(self.mant);
        n.mul_pow10(17);
        let r = if self.exp >= 0 {
            n.shl(self.exp)
        } else {
            let s = -self.exp;
            let mut q = n.shr(s);
            if n.bit(s - 1) && (n.any_below(s - 1) || q.bit(0)) {
                q.add_small(1);
            }
            q
        };
        let digits = r.to_decimal();
        let mut out = Vec::with_capacity(digits.len() + 3);
        let padded: Vec<u8> = if digits.len() < 18 {
            let mut p = vec![b'0'; 18 - digits.len()];
            p.extend_from_slice(&digits);
            p
        } else {
            digits
        };
        if self.neg {
            out.push(b'-');
        }
        let split = padded.len() - 17;
        out.extend_from_slice(&padded[..split]);
        out.push(b'.');
        out.extend_from_slice(&padded[split..]);
        while out.last() == Some(&b'0') {
            out.pop();
        }
        if out.last() == Some(&b'.') {
            out.pop();
        }
        if out == b"-0" {
            out = b"0".to_vec();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> String {
        let x = Ld::parse(a.as_bytes()).unwrap().unwrap();
        let y = Ld::parse(b.as_bytes()).unwrap().unwrap();
        String::from_utf8(x.add(y).unwrap().format_human()).unwrap()
    }

    #[test]
    fn matches_redis_long_double_outputs() {
        assert_eq!(incr("0", "0.1"), "0.1");
        assert_eq!(incr("0", "3.0e3"), "3000");
        assert_eq!(incr("10.5", "0.1"), "10.6");
        assert_eq!(incr("5.0e3", "2.0e2"), "5200");
        assert_eq!(incr("0", "-0"), "0");
        assert_eq!(incr("1", "-1.5"), "-0.5");
        assert_eq!(incr("0", "1e-20"), "0");
    }

    #[test]
    fn rejects_what_string2ld_rejects() {
        for bad in [
            "", " 1", "1 ", "abc", "1e", "nan", ".", "-", "1e99999", "1e-99999", "0x", "0x1p",
        ] {
            assert!(Ld::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(Ld::parse(b"inf"), Ok(None));
        assert!(Ld::parse(b"+1.").is_ok());
        assert!(Ld::parse(b".5").is_ok());
        assert_eq!(incr("0x10", "1"), "17");
        assert_eq!(incr("0x1.8p1", "0"), "3");
    }
}
