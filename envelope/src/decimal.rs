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
