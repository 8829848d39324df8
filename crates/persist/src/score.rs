//! Scores as text: how a listpack zset stores them (Redis's `d2string`) and how text scores
//! (RDB type 3, listpack strings) are read back.

/// Append the text of `v`: an integer when `v` is integral and fits an i64 (so a listpack stores
/// it as an integer, as Redis does), `inf`/`-inf`, `-0`, else the shortest text that reads back
/// as the same double (Redis writes `%.17g`; both parse to the same value).
pub fn format(v: f64, out: &mut Vec<u8>) {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
    } else if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
    } else if v.fract() == 0.0 && (-TWO63..TWO63).contains(&v) {
        out.extend_from_slice((v as i64).to_string().as_bytes());
    } else {
        let a = v.abs();
        let s = if (1e-5..1e17).contains(&a) {
            format!("{v}")
        } else {
            format!("{v:e}")
        };
        out.extend_from_slice(s.as_bytes());
    }
}

/// Parse a score written as text (`strtod` semantics for what Redis writes); `None` for text
/// that is not a number or is NaN.
pub fn parse(s: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(s).ok()?;
    let v: f64 = match t {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => t.parse().ok()?,
    };
    (!v.is_nan()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -3.0,
            0.1,
            1.5e300,
            -2.5e-300,
            1e17,
            123456.789,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            9.3e18,
        ] {
            let mut b = Vec::new();
            format(v, &mut b);
            let back = parse(&b).unwrap();
            assert_eq!(
                back.to_bits(),
                v.to_bits(),
                "{}",
                String::from_utf8_lossy(&b)
            );
        }
        let mut b = Vec::new();
        format(2.0, &mut b);
        assert_eq!(b, b"2");
    }
}
