//! Redis's formatting of doubles in replies (`%.17g`, with `inf`/`-inf`/`nan`).

/// Format `v` as C's `%.17g` does, with Redis's words for the infinities (`inf`, `-inf`) and
/// `nan`. This is what RESP2 bulk replies and RESP3 `,` doubles carry.
pub fn format_double(v: f64, out: &mut Vec<u8>) {
    use std::io::Write;
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    const P: i32 = 17;
    // The exponent after rounding to P significant digits decides fixed or scientific, as %g.
    let sci = format!("{:.*e}", (P - 1) as usize, v);
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    if (-4..P).contains(&exp) {
        let fixed = format!("{:.*}", (P - 1 - exp) as usize, v);
        out.extend_from_slice(strip_zeros(&fixed).as_bytes());
    } else {
        let m = strip_zeros(mantissa);
        let _ = write!(
            out,
            "{}e{}{:02}",
            m,
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        );
    }
}

/// Drop trailing zeros of a fraction, and the point if nothing follows it (%g's rule).
fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> String {
        let mut o = Vec::new();
        format_double(v, &mut o);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn matches_c_percent_17g() {
        assert_eq!(f(1.0), "1");
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(0.1), "0.10000000000000001");
        assert_eq!(f(3.0e20), "3e+20");
        assert_eq!(f(1.0e-5), "1.0000000000000001e-05");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(-2.5), "-2.5");
        assert_eq!(f(123456789012345680.0), "1.2345678901234568e+17");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
    }
}
