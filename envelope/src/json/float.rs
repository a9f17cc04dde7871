//! Floating-point numbers written as Java's `Double.toString` / `Float.toString`.
//!
//! # Where the format comes from
//! JsonConverter builds Jackson `DoubleNode`/`FloatNode`s for FLOAT64/FLOAT32, and Jackson's
//! `UTF8JsonGenerator.writeNumber(double|float)` writes `String.valueOf(d)` (or
//! `NumberOutput.toString`, the same text unless `USE_FAST_DOUBLE_WRITER` is enabled, which
//! Kafka does not do). Non-finite values are written as JSON *strings* because
//! `QUOTE_NON_NUMERIC_NUMBERS` is on by default: `"NaN"`, `"Infinity"`, `"-Infinity"`.
//! (Checked in Jackson's `UTF8JsonGenerator.writeNumber` and Kafka's `JsonConverter.java`.)
//!
//! Java's rendering of a finite value (JDK 19+ `Double.toString` specification):
//! - the shortest decimal that rounds back to the value (ryu computes exactly this);
//! - if `10^-3 <= |v| < 10^7`: plain notation with at least one fraction digit
//!   (`1.0`, `0.001`, `1234567.5`);
//! - otherwise "computerized scientific notation": one digit, `.`, at least one fraction
//!   digit, `E`, the exponent (`1.0E7`, `1.234E-5`, `-4.9E-324`);
//! - zero is `0.0` / `-0.0`.
//!
//! # Known divergences
//! - JDK 17 and older use a different algorithm that, for rare values, prints more digits
//!   than the shortest; Kafka 4.x workers on JDK 17 would then differ in those digits. The
//!   numbers still parse to the same double. Example: `Float.MIN_NORMAL` is
//!   `1.17549435E-38` on JDK 17 and `1.1754944E-38` (what we write) on JDK 19+.
//! - When the shortest decimal has one digit, JDK 19+ may prefer a closer two-digit one;
//!   that only happens for subnormals (`Double.MIN_VALUE` is `4.9E-324` in Java, `5.0E-324`
//!   here). Same value after parsing.

/// Appends a FLOAT64 value as Jackson writes it.
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    if let Some(text) = non_finite(v.is_nan(), v.is_infinite(), v.is_sign_negative()) {
        out.extend_from_slice(text);
        return;
    }
    let mut buf = ryu::Buffer::new();
    write_java(out, buf.format_finite(v));
}

/// Appends a FLOAT32 value as Jackson writes it (shortest digits for an `f32`, so `0.1f`
/// is `0.1`, not the `f64` widening's `0.10000000149011612`).
pub(crate) fn write_f32(out: &mut Vec<u8>, v: f32) {
    if let Some(text) = non_finite(v.is_nan(), v.is_infinite(), v.is_sign_negative()) {
        out.extend_from_slice(text);
        return;
    }
    let mut buf = ryu::Buffer::new();
    write_java(out, buf.format_finite(v));
}

fn non_finite(nan: bool, infinite: bool, negative: bool) -> Option<&'static [u8]> {
    match (nan, infinite, negative) {
        (true, _, _) => Some(b"\"NaN\""),
        (false, true, false) => Some(b"\"Infinity\""),
        (false, true, true) => Some(b"\"-Infinity\""),
        _ => None,
    }
}

/// Re-lays ryu's shortest digits (`"1.5e-7"`, `"123.0"`, `"1e16"`) in Java's format.
fn write_java(out: &mut Vec<u8>, ryu_text: &str) {
    let (negative, text) = match ryu_text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, ryu_text),
    };
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    // Collect the significant digits; `point` = how many of them precede the decimal point.
    let mut digits = [0u8; 40];
    let mut n = 0usize;
    let mut point: i32 = 0;
    let mut seen_point = false;
    for &b in mantissa.as_bytes() {
        if b == b'.' {
            seen_point = true;
            continue;
        }
        if n == 0 && b == b'0' {
            // Leading zero: shifts the point left if it is after the decimal point.
            if seen_point {
                point -= 1;
            }
            continue;
        }
        if n < digits.len() {
            digits[n] = b;
            n += 1;
        }
        if !seen_point {
            point += 1;
        }
    }
    while n > 0 && digits[n - 1] == b'0' {
        n -= 1;
    }
    if negative {
        out.push(b'-');
    }
    if n == 0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    let digits = &digits[..n];
    let point = point + exp;
    // Scientific exponent: value = d.ddd × 10^sci.
    let sci = point - 1;
    if (-3..7).contains(&sci) {
        if point <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
            out.extend_from_slice(digits);
        } else {
            let p = point as usize;
            if p >= n {
                out.extend_from_slice(digits);
                out.extend(std::iter::repeat_n(b'0', p - n));
                out.extend_from_slice(b".0");
            } else {
                out.extend_from_slice(&digits[..p]);
                out.push(b'.');
                out.extend_from_slice(&digits[p..]);
            }
        }
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if n > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        out.push(b'E');
        let mut ibuf = itoa::Buffer::new();
        out.extend_from_slice(ibuf.format(sci).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn f(v: f32) -> String {
        let mut out = Vec::new();
        write_f32(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn doubles_match_java_double_to_string() {
        // Expected strings are what Java's Double.toString prints for each value.
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1234567.0, "1234567.0"),
            (9999999.0, "9999999.0"),
            (10000000.0, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (1e21, "1.0E21"),
            (1.0e-10, "1.0E-10"),
            (std::f64::consts::PI, "3.141592653589793"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (-123.456e-7, "-1.23456E-5"),
            (0.5, "0.5"),
            (1e100, "1.0E100"),
        ];
        for &(v, want) in cases {
            assert_eq!(d(v), want, "{v:e}");
        }
    }

    #[test]
    fn floats_match_java_float_to_string() {
        let cases: &[(f32, &str)] = &[
            (0.0, "0.0"),
            (0.1, "0.1"),
            (1.0, "1.0"),
            (3.4028235e38, "3.4028235E38"),
            (1.0e7, "1.0E7"),
            // Float.MIN_NORMAL: JDK 19+ prints the shortest "1.1754944E-38"; JDK 17 printed
            // "1.17549435E-38" (see the module docs on divergences).
            (f32::MIN_POSITIVE, "1.1754944E-38"),
            (-2.5, "-2.5"),
            (16777216.0, "1.6777216E7"),
            (0.001, "0.001"),
        ];
        for &(v, want) in cases {
            assert_eq!(f(v), want, "{v:e}");
        }
    }

    #[test]
    fn non_finite_values_are_quoted_like_jackson() {
        assert_eq!(d(f64::NAN), "\"NaN\"");
        assert_eq!(d(f64::INFINITY), "\"Infinity\"");
        assert_eq!(d(f64::NEG_INFINITY), "\"-Infinity\"");
        assert_eq!(f(f32::NAN), "\"NaN\"");
        assert_eq!(f(f32::NEG_INFINITY), "\"-Infinity\"");
    }

    #[test]
    fn output_round_trips() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if !v.is_finite() {
                continue;
            }
            let text = d(v);
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
            let v32 = f32::from_bits(x as u32);
            if v32.is_finite() {
                let text = f(v32);
                assert_eq!(
                    text.parse::<f32>().unwrap().to_bits(),
                    v32.to_bits(),
                    "{text}"
                );
            }
        }
    }
}
