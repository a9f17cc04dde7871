//! Exact decimal numbers as Kafka Connect carries them: an unscaled integer and a scale.
//!
//! # Why two's complement bytes
//! Connect's `Decimal` logical type (and Debezium's `VariableScaleDecimal`) put the unscaled
//! value on the wire as Java's `BigInteger.toByteArray()`: the minimal big-endian two's
//! complement encoding. Keeping the value in exactly that form means the converters copy it
//! out without any arithmetic per row, and no precision limit applies: PostgreSQL `numeric`
//! holds up to 131072 digits before the point, far beyond `i128`.
//!
//! Parsing from the databases' text form ([`Decimal::parse`]) happens once per value in the
//! decoders; it works on 32-bit limbs, nine decimal digits at a time.

use std::fmt;

/// An exact decimal: `unscaled × 10^-scale`.
///
/// The unscaled integer is stored as minimal big-endian two's complement bytes (what Java's
/// `BigInteger.toByteArray()` returns), so 99.99 is `[0x27, 0x0F]` with scale 2, and zero is
/// `[0x00]`. Every constructor normalises to the minimal form, so equal numbers with equal
/// scale compare equal.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    unscaled: Box<[u8]>,
    scale: i32,
}

/// Why a decimal's text could not be parsed; names the text at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The text is not `[+-]digits[.digits]` (exponents are not accepted: neither database
    /// writes them in its decimal text form).
    #[error("invalid decimal text {text:?}: expected [+-]digits[.digits]")]
    Syntax {
        /// The offending text, cut to its first 64 characters.
        text: String,
    },
    /// More fraction digits than an `i32` scale can describe.
    #[error("decimal text has {digits} fraction digits, more than a 32-bit scale can hold")]
    ScaleOverflow {
        /// How many fraction digits the text had.
        digits: usize,
    },
}

impl Decimal {
    /// A decimal from any big-endian two's complement bytes (normalised to minimal form;
    /// empty bytes mean zero).
    pub fn from_twos_complement(bytes: &[u8], scale: i32) -> Self {
        Self {
            unscaled: minimal_twos_complement(bytes).into(),
            scale,
        }
    }

    /// A decimal from an unscaled integer that fits in 128 bits (MySQL `DECIMAL(p<=38)` and
    /// most PostgreSQL values take this path without touching the big-number code).
    pub fn from_i128(unscaled: i128, scale: i32) -> Self {
        Self::from_twos_complement(&unscaled.to_be_bytes(), scale)
    }

    /// Parses `[+-]digits[.digits]` (at least one digit overall), the text form both
    /// PostgreSQL `numeric` and MySQL `DECIMAL` use. The scale is the number of digits after
    /// the point, so `"1.50"` keeps scale 2 like `BigDecimal` does.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        let syntax = || DecimalError::Syntax {
            text: text.chars().take(64).collect(),
        };
        let (negative, body) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part)
        {
            return Err(syntax());
        }
        let scale = i32::try_from(frac_part.len()).map_err(|_| DecimalError::ScaleOverflow {
            digits: frac_part.len(),
        })?;
        let magnitude = digits_to_magnitude(int_part.bytes().chain(frac_part.bytes()));
        Ok(Self {
            unscaled: signed_bytes(&magnitude, negative).into(),
            scale,
        })
    }

    /// The unscaled value as minimal big-endian two's complement bytes: exactly the bytes
    /// Connect's `Decimal` logical type writes (base64 in JSON, raw in Avro).
    pub fn unscaled_twos_complement(&self) -> &[u8] {
        &self.unscaled
    }

    /// The number of digits after the decimal point (negative scales multiply by 10^-scale).
    pub fn scale(&self) -> i32 {
        self.scale
    }

    /// The unscaled value when it fits in 128 bits; converters use it for the
    /// `decimal.handling.mode=double|string` paths.
    pub fn unscaled_i128(&self) -> Option<i128> {
        if self.unscaled.len() > 16 {
            return None;
        }
        let fill = if self.is_negative() { 0xFF } else { 0x00 };
        let mut buf = [fill; 16];
        let start = 16 - self.unscaled.len();
        buf[start..].copy_from_slice(&self.unscaled);
        Some(i128::from_be_bytes(buf))
    }

    /// Whether the value is below zero (the sign bit of the first byte).
    pub fn is_negative(&self) -> bool {
        self.unscaled.first().is_some_and(|b| b & 0x80 != 0)
    }

    /// The unscaled value's magnitude as decimal digits (no sign, no leading zeros; `"0"`
    /// for zero). The non-`precise` decimal modes and rescaling work on this text: they
    /// allocate anyway, and text keeps them obviously exact at any size.
    pub fn unscaled_digits(&self) -> String {
        let mut bytes = self.unscaled.to_vec();
        if self.is_negative() {
            // Two's complement negation: invert, add one.
            for b in bytes.iter_mut() {
                *b = !*b;
            }
            for b in bytes.iter_mut().rev() {
                let (v, overflow) = b.overflowing_add(1);
                *b = v;
                if !overflow {
                    break;
                }
            }
        }
        // Big-endian bytes to little-endian 32-bit limbs.
        let mut limbs: Vec<u32> = bytes
            .rchunks(4)
            .map(|c| c.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
            .collect();
        let mut groups: Vec<u32> = Vec::new();
        loop {
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
            if limbs.is_empty() {
                break;
            }
            let mut rem: u64 = 0;
            for limb in limbs.iter_mut().rev() {
                let cur = (rem << 32) | u64::from(*limb);
                *limb = (cur / 1_000_000_000) as u32;
                rem = cur % 1_000_000_000;
            }
            groups.push(rem as u32);
        }
        let mut out = String::new();
        match groups.split_last() {
            None => out.push('0'),
            Some((most, rest)) => {
                out.push_str(&most.to_string());
                for g in rest.iter().rev() {
                    out.push_str(&format!("{g:09}"));
                }
            }
        }
        out
    }

    /// Java's `BigDecimal.toPlainString()`: no exponent, `scale` fraction digits.
    pub fn to_plain_string(&self) -> String {
        let digits = self.unscaled_digits();
        let mut out = String::with_capacity(digits.len() + 3);
        if self.is_negative() {
            out.push('-');
        }
        if self.scale <= 0 {
            out.push_str(&digits);
            if digits != "0" {
                out.extend(std::iter::repeat_n('0', self.scale.unsigned_abs() as usize));
            }
            return out;
        }
        let scale = self.scale as usize;
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - digits.len()));
            out.push_str(&digits);
        }
        out
    }

    /// Java's `BigDecimal.toString()`, which Debezium's `decimal.handling.mode=string`
    /// writes: plain unless the scale is negative or the adjusted exponent is below -6, then
    /// scientific (`1E-7`, `1.23E+5`).
    pub fn to_java_string(&self) -> String {
        let digits = self.unscaled_digits();
        let adjusted = -i64::from(self.scale) + (digits.len() as i64 - 1);
        if self.scale >= 0 && adjusted >= -6 {
            return self.to_plain_string();
        }
        let mut out = String::new();
        if self.is_negative() {
            out.push('-');
        }
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('E');
        if adjusted >= 0 {
            out.push('+');
        }
        out.push_str(&adjusted.to_string());
        out
    }

    /// Java's `BigDecimal.doubleValue()` (correctly rounded, like Rust's float parsing).
    pub fn to_f64(&self) -> f64 {
        self.to_plain_string().parse::<f64>().unwrap_or(f64::NAN)
    }

    /// The same number with `scale` fraction digits, rounding half away from zero when
    /// digits are dropped (Java's `setScale(scale, RoundingMode.HALF_UP)`).
    pub fn with_scale_half_up(&self, scale: i32) -> Decimal {
        if scale == self.scale {
            return self.clone();
        }
        let mut digits = self.unscaled_digits();
        if scale > self.scale {
            let add = (i64::from(scale) - i64::from(self.scale)) as usize;
            if digits != "0" {
                digits.extend(std::iter::repeat_n('0', add));
            }
        } else {
            let drop = (i64::from(self.scale) - i64::from(scale)) as usize;
            let round_up;
            if drop > digits.len() {
                digits = "0".to_owned();
                round_up = false;
            } else {
                let first_dropped = digits.as_bytes().get(digits.len() - drop).copied();
                round_up = first_dropped.is_some_and(|d| d >= b'5');
                digits.truncate(digits.len() - drop);
                if digits.is_empty() {
                    digits.push('0');
                }
            }
            if round_up {
                digits = increment_digits(&digits);
            }
        }
        let magnitude = digits_to_magnitude(digits.bytes());
        Decimal {
            unscaled: signed_bytes(&magnitude, self.is_negative()).into(),
            scale,
        }
    }

    /// Java's `stripTrailingZeros()` followed by `setScale(0)` when the scale went negative:
    /// what Debezium does to a PostgreSQL `numeric` without a declared scale before writing
    /// it as a `VariableScaleDecimal`.
    pub fn strip_trailing_zeros_min_scale_zero(&self) -> Decimal {
        let digits = self.unscaled_digits();
        if digits == "0" {
            return Decimal {
                unscaled: Box::from([0u8]),
                scale: 0,
            };
        }
        let zeros = digits.bytes().rev().take_while(|&b| b == b'0').count();
        let strip = zeros.min(self.scale.max(0) as usize);
        if strip == 0 {
            return self.clone();
        }
        let kept = &digits[..digits.len() - strip];
        let magnitude = digits_to_magnitude(kept.bytes());
        Decimal {
            unscaled: signed_bytes(&magnitude, self.is_negative()).into(),
            scale: self.scale - strip as i32,
        }
    }
}

/// Adds one to a decimal digit string.
fn increment_digits(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    let mut out = String::with_capacity(bytes.len() + 1);
    out.push('1');
    out.push_str(&String::from_utf8_lossy(&bytes));
    out
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unscaled_i128() {
            Some(v) => write!(f, "Decimal({v}e-{})", self.scale),
            None => write!(f, "Decimal({:02x?}e-{})", self.unscaled, self.scale),
        }
    }
}

/// Strips redundant sign-extension bytes: leading `0x00` while the next byte's sign bit is
/// clear, leading `0xFF` while it is set. Zero (or empty input) becomes `[0x00]`, as in Java.
fn minimal_twos_complement(bytes: &[u8]) -> Vec<u8> {
    let mut start = 0;
    while start + 1 < bytes.len() {
        let (b, next) = (bytes[start], bytes[start + 1]);
        let redundant = (b == 0x00 && next & 0x80 == 0) || (b == 0xFF && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    if bytes.is_empty() {
        return vec![0];
    }
    bytes[start..].to_vec()
}

/// Decimal digits (ASCII) to a magnitude as little-endian 32-bit limbs.
fn digits_to_magnitude(digits: impl Iterator<Item = u8>) -> Vec<u32> {
    let mut limbs: Vec<u32> = Vec::new();
    let mut chunk: u32 = 0;
    let mut chunk_len = 0u32;
    let flush = |limbs: &mut Vec<u32>, chunk: u32, len: u32| {
        // limbs = limbs * 10^len + chunk
        let mul = 10u64.pow(len);
        let mut carry = u64::from(chunk);
        for limb in limbs.iter_mut() {
            let v = u64::from(*limb) * mul + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            limbs.push(carry as u32);
        }
    };
    for d in digits {
        chunk = chunk * 10 + u32::from(d - b'0');
        chunk_len += 1;
        if chunk_len == 9 {
            flush(&mut limbs, chunk, 9);
            chunk = 0;
            chunk_len = 0;
        }
    }
    if chunk_len > 0 {
        flush(&mut limbs, chunk, chunk_len);
    }
    limbs
}

/// A magnitude (little-endian limbs) and a sign to minimal big-endian two's complement.
fn signed_bytes(magnitude: &[u32], negative: bool) -> Vec<u8> {
    // One leading zero byte leaves room for the sign bit.
    let mut be = Vec::with_capacity(magnitude.len() * 4 + 1);
    be.push(0u8);
    for limb in magnitude.iter().rev() {
        be.extend_from_slice(&limb.to_be_bytes());
    }
    let is_zero = magnitude.iter().all(|&l| l == 0);
    if negative && !is_zero {
        // Two's complement: invert, then add one from the least significant byte.
        for b in be.iter_mut() {
            *b = !*b;
        }
        for b in be.iter_mut().rev() {
            let (v, overflow) = b.overflowing_add(1);
            *b = v;
            if !overflow {
                break;
            }
        }
    }
    minimal_twos_complement(&be)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_bytes_match_java_biginteger_to_byte_array() {
        // Expected values are BigInteger.valueOf(n).toByteArray() for each n.
        let cases: &[(i128, &[u8])] = &[
            (0, &[0x00]),
            (5, &[0x05]),
            (127, &[0x7F]),
            (128, &[0x00, 0x80]),
            (9999, &[0x27, 0x0F]),
            (-1, &[0xFF]),
            (-128, &[0x80]),
            (-129, &[0xFF, 0x7F]),
            (-9999, &[0xD8, 0xF1]),
            (
                i64::MAX as i128,
                &[0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            ),
        ];
        for &(n, want) in cases {
            assert_eq!(
                Decimal::from_i128(n, 0).unscaled_twos_complement(),
                want,
                "{n}"
            );
        }
    }

    #[test]
    fn parse_keeps_scale_and_sign() {
        let d = Decimal::parse("99.99").unwrap();
        assert_eq!(
            (d.unscaled_twos_complement(), d.scale()),
            (&[0x27, 0x0F][..], 2)
        );
        let d = Decimal::parse("-1.50").unwrap();
        assert_eq!(d.unscaled_i128(), Some(-150));
        assert_eq!(d.scale(), 2);
        assert_eq!(Decimal::parse("-0.00").unwrap(), Decimal::from_i128(0, 2));
        assert_eq!(Decimal::parse(".5").unwrap(), Decimal::from_i128(5, 1));
        assert_eq!(Decimal::parse("+7.").unwrap(), Decimal::from_i128(7, 0));
    }

    #[test]
    fn parse_agrees_with_i128_for_long_values() {
        for text in [
            "170141183460469231731687303715884105727",
            "-170141183460469231731687303715884105728",
            "123456789012345678901234567890.123456789",
            "-0.000000000000000000000000000001",
        ] {
            let d = Decimal::parse(text).unwrap();
            let digits: String = text.chars().filter(|c| *c != '.').collect();
            let want: i128 = digits.parse().unwrap();
            assert_eq!(d.unscaled_i128(), Some(want), "{text}");
        }
    }

    #[test]
    fn parse_beyond_i128_is_exact() {
        // 2^128 = 340282366920938463463374607431768211456 -> 0x01 followed by 16 zero bytes.
        let d = Decimal::parse("340282366920938463463374607431768211456").unwrap();
        let mut want = vec![0x01];
        want.extend([0u8; 16]);
        assert_eq!(d.unscaled_twos_complement(), &want[..]);
        assert_eq!(d.unscaled_i128(), None);
        // -2^128 -> 0xFF 0x00*16.
        let d = Decimal::parse("-340282366920938463463374607431768211456").unwrap();
        let mut want = vec![0xFF];
        want.extend([0u8; 16]);
        assert_eq!(d.unscaled_twos_complement(), &want[..]);
    }

    #[test]
    fn text_forms_match_java_bigdecimal() {
        let d = |t: &str| Decimal::parse(t).unwrap();
        assert_eq!(d("-12.3400").to_plain_string(), "-12.3400");
        assert_eq!(d("0.0000001").to_java_string(), "1E-7");
        assert_eq!(d("0.000001").to_java_string(), "0.000001");
        assert_eq!(d("-0.00000123").to_java_string(), "-0.00000123");
        assert_eq!(Decimal::from_i128(123, -3).to_java_string(), "1.23E+5");
        assert_eq!(Decimal::from_i128(123, -3).to_plain_string(), "123000");
        assert_eq!(
            d("99999999999999999999999999999999999999999.5")
                .unscaled_digits()
                .len(),
            42
        );
        assert_eq!(d("1.005").with_scale_half_up(2), d("1.01"));
        assert_eq!(d("-1.005").with_scale_half_up(2), d("-1.01"));
        assert_eq!(d("9.995").with_scale_half_up(2), d("10.00"));
        assert_eq!(d("1.5").with_scale_half_up(4), d("1.5000"));
        assert_eq!(
            d("10.2500").strip_trailing_zeros_min_scale_zero(),
            d("10.25")
        );
        assert_eq!(d("100").strip_trailing_zeros_min_scale_zero(), d("100"));
        assert_eq!(d("0.000").strip_trailing_zeros_min_scale_zero(), d("0"));
        assert_eq!(d("-2.50").to_f64(), -2.5);
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        for text in ["", "-", ".", "1e5", "1.2.3", "١٢", "--1", "NaN", "1 "] {
            assert!(Decimal::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn from_twos_complement_normalises() {
        assert_eq!(
            Decimal::from_twos_complement(&[0x00, 0x00, 0x05], 1),
            Decimal::from_i128(5, 1)
        );
        assert_eq!(
            Decimal::from_twos_complement(&[0xFF, 0xFF, 0x80], 0),
            Decimal::from_i128(-128, 0)
        );
        assert_eq!(
            Decimal::from_twos_complement(&[], 0),
            Decimal::from_i128(0, 0)
        );
    }
}
