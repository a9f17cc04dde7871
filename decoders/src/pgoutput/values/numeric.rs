//! `bool`, integers, floats, `numeric` and `money`.

use tributary_envelope::Value;
use tributary_envelope::decimal::Decimal;
use tributary_envelope::value::Numeric;

use super::text::utf8;

/// `boolout` writes `t` or `f`; `true`/`false` are accepted too.
pub(super) fn bool(t: &[u8]) -> Result<Value, &'static str> {
    match t {
        b"t" | b"true" => Ok(Value::Bool(true)),
        b"f" | b"false" => Ok(Value::Bool(false)),
        _ => Err("expected `t` or `f`"),
    }
}

pub(super) fn int2(t: &[u8]) -> Result<Value, &'static str> {
    utf8(t)?
        .parse()
        .map(Value::Int16)
        .map_err(|_| "expected an integer from -32768 to 32767")
}

pub(super) fn int4(t: &[u8]) -> Result<Value, &'static str> {
    utf8(t)?
        .parse()
        .map(Value::Int32)
        .map_err(|_| "expected a 32-bit integer")
}

pub(super) fn int8(t: &[u8]) -> Result<Value, &'static str> {
    utf8(t)?
        .parse()
        .map(Value::Int64)
        .map_err(|_| "expected a 64-bit integer")
}

/// `oid` is unsigned 32-bit; Debezium writes it as INT64.
pub(super) fn oid(t: &[u8]) -> Result<Value, &'static str> {
    utf8(t)?
        .parse::<u32>()
        .map(|v| Value::Int64(i64::from(v)))
        .map_err(|_| "expected an unsigned 32-bit integer")
}

/// `float4out`/`float8out` write `NaN`, `Infinity`, `-Infinity` or a shortest round-trip
/// decimal (with `extra_float_digits > 0`, e.g. `1.2345678e+30`).
fn float<T: std::str::FromStr>(t: &[u8], nan: T, inf: T, neg_inf: T) -> Result<T, &'static str> {
    match t {
        b"NaN" => Ok(nan),
        b"Infinity" => Ok(inf),
        b"-Infinity" => Ok(neg_inf),
        _ => {
            let s = utf8(t)?;
            // Rust also accepts "inf"/"nan" spellings PostgreSQL never writes; keep the
            // check strict so a wrong type or setting is noticed.
            if s.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
            {
                s.parse()
                    .map_err(|_| "expected a floating-point number, NaN or [-]Infinity")
            } else {
                Err("expected a floating-point number, NaN or [-]Infinity")
            }
        }
    }
}

pub(super) fn float4(t: &[u8]) -> Result<Value, &'static str> {
    float(t, f32::NAN, f32::INFINITY, f32::NEG_INFINITY).map(Value::Float32)
}

pub(super) fn float8(t: &[u8]) -> Result<Value, &'static str> {
    float(t, f64::NAN, f64::INFINITY, f64::NEG_INFINITY).map(Value::Float64)
}

/// `numeric_out`: `NaN`, `Infinity`, `-Infinity` (PostgreSQL 14+) or plain
/// `[-]digits[.digits]` with exactly the value's display scale (never an exponent).
pub(super) fn numeric(t: &[u8]) -> Result<Value, &'static str> {
    Ok(Value::Numeric(match t {
        b"NaN" => Numeric::NaN,
        b"Infinity" => Numeric::PositiveInfinity,
        b"-Infinity" => Numeric::NegativeInfinity,
        _ => Numeric::Finite(match small_decimal(t) {
            Some(d) => d,
            None => Decimal::parse(utf8(t)?)
                .map_err(|_| "expected [-]digits[.digits], NaN or [-]Infinity")?,
        }),
    }))
}

/// The common case without the big-number path: at most 38 digits fit an `i128`, so the
/// only allocation is the decimal's own bytes.
fn small_decimal(t: &[u8]) -> Option<Decimal> {
    let (negative, body) = match t.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let mut unscaled: i128 = 0;
    let mut digits = 0u32;
    let mut scale: Option<i32> = None;
    for &b in body {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 38 {
                    return None;
                }
                unscaled = unscaled * 10 + i128::from(b - b'0');
                if let Some(s) = scale.as_mut() {
                    *s += 1;
                }
            }
            b'.' if scale.is_none() => scale = Some(0),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    Some(Decimal::from_i128(
        if negative { -unscaled } else { unscaled },
        scale.unwrap_or(0),
    ))
}

/// `cash_out` (`src/backend/utils/adt/cash.c`) under an `lc_monetary` that uses `.` as the
/// decimal point: currency symbol, `,` grouping, `-` or parentheses for negatives
/// (`$1,234.56`, `-$1.00`, `($1.00)`). The value is an `int64` count of the smallest unit,
/// so at most 19 digits. See the module docs for the locale assumption.
pub(super) fn money(t: &[u8]) -> Result<Value, &'static str> {
    let mut unscaled: i128 = 0;
    let mut digits = 0u32;
    let mut scale: Option<i32> = None;
    let mut negative = false;
    for &b in t {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 24 {
                    return Err("more digits than a money value holds");
                }
                unscaled = unscaled * 10 + i128::from(b - b'0');
                if let Some(s) = scale.as_mut() {
                    *s += 1;
                }
            }
            b'.' if scale.is_none() => scale = Some(0),
            b'.' => return Err(MONEY_LOCALE),
            // A grouping comma after the decimal point means a decimal-comma locale.
            b',' if scale.is_some() => return Err(MONEY_LOCALE),
            b',' => {}
            b'-' | b'(' => negative = true,
            // Currency symbols (any bytes of UTF-8 text), spaces, `)` and `+`.
            _ => {}
        }
    }
    if digits == 0 {
        return Err("expected a money amount such as $1,234.56");
    }
    if negative {
        unscaled = -unscaled;
    }
    Ok(Value::Numeric(Numeric::Finite(Decimal::from_i128(
        unscaled,
        scale.unwrap_or(0),
    ))))
}

const MONEY_LOCALE: &str = "the money text does not use `.` as its decimal point; \
                            set lc_monetary to C or an English locale on the server";

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Value {
        Value::Numeric(Numeric::Finite(Decimal::parse(s).unwrap()))
    }

    #[test]
    fn integers_cover_their_full_range() {
        assert_eq!(bool(b"t"), Ok(Value::Bool(true)));
        assert_eq!(bool(b"f"), Ok(Value::Bool(false)));
        assert!(bool(b"").is_err());
        assert_eq!(int2(b"-32768"), Ok(Value::Int16(i16::MIN)));
        assert!(int2(b"32768").is_err());
        assert_eq!(int4(b"2147483647"), Ok(Value::Int32(i32::MAX)));
        assert_eq!(int8(b"-9223372036854775808"), Ok(Value::Int64(i64::MIN)));
        assert!(int8(b"").is_err());
        assert!(int8(b" 1").is_err());
        assert_eq!(oid(b"4294967295"), Ok(Value::Int64(4_294_967_295)));
        assert!(oid(b"-1").is_err());
    }

    #[test]
    fn floats_keep_specials_and_exact_bits() {
        assert!(matches!(float8(b"NaN"), Ok(Value::Float64(x)) if x.is_nan()));
        assert_eq!(float8(b"Infinity"), Ok(Value::Float64(f64::INFINITY)));
        assert_eq!(float4(b"-Infinity"), Ok(Value::Float32(f32::NEG_INFINITY)));
        assert_eq!(float8(b"1e+308"), Ok(Value::Float64(1e308)));
        assert_eq!(
            float8(b"2.2250738585072014e-308"),
            Ok(Value::Float64(f64::MIN_POSITIVE))
        );
        assert_eq!(float4(b"3.4028235e+38"), Ok(Value::Float32(f32::MAX)));
        assert_eq!(float8(b"-0"), Ok(Value::Float64(-0.0)));
        assert_eq!(float8(b"0.1"), Ok(Value::Float64(0.1)));
        for bad in [&b"inf"[..], b"nan", b"", b"1,5", b"infinity"] {
            assert!(float8(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numeric_is_exact_at_any_size() {
        assert_eq!(numeric(b"NaN"), Ok(Value::Numeric(Numeric::NaN)));
        assert_eq!(
            numeric(b"Infinity"),
            Ok(Value::Numeric(Numeric::PositiveInfinity))
        );
        assert_eq!(
            numeric(b"-Infinity"),
            Ok(Value::Numeric(Numeric::NegativeInfinity))
        );
        assert_eq!(numeric(b"-12.3400"), Ok(dec("-12.3400")));
        assert_eq!(numeric(b"0"), Ok(dec("0")));
        assert_eq!(numeric(b"-0.000"), Ok(dec("0.000")));
        let max38 = format!("-{}", "9".repeat(38));
        assert_eq!(numeric(max38.as_bytes()), Ok(dec(&max38)));
        let over = format!("{}.5", "9".repeat(38));
        assert_eq!(numeric(over.as_bytes()), Ok(dec(&over)));
        assert!(numeric(b"-").is_err());
        assert!(numeric(b"1.2.3").is_err());
        let big = format!("{}.{}", "9".repeat(1000), "1".repeat(1000));
        assert_eq!(numeric(big.as_bytes()), Ok(dec(&big)));
        assert!(numeric(b"").is_err());
        assert!(numeric(b"1e5").is_err());
    }

    #[test]
    fn money_reads_locale_text() {
        assert_eq!(money(b"$1,234.56"), Ok(dec("1234.56")));
        assert_eq!(money(b"-$1.00"), Ok(dec("-1.00")));
        assert_eq!(money(b"($1.00)"), Ok(dec("-1.00")));
        assert_eq!(money(b"$0.00"), Ok(dec("0.00")));
        assert_eq!(
            money(b"-$92,233,720,368,547,758.08"),
            Ok(dec("-92233720368547758.08"))
        );
        assert_eq!(money("1 234 ¥".as_bytes()), Ok(dec("1234")));
        assert!(money("1.234,56 €".as_bytes()).is_err());
        assert!(money(b"$").is_err());
        assert!(money(b"").is_err());
    }
}
