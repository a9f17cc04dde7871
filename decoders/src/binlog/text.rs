//! Values as a MySQL/MariaDB text result set prints them — what a snapshot's `SELECT`
//! returns — turned into the same [`ColumnValue`]s a binlog row image gives, so one
//! conversion ([`convert_value`](super::convert_value)) serves the snapshot and the stream
//! and an `r` record is typed exactly like the `c` record of the same row.
//!
//! # What the session must set
//! - `character_set_results = NULL` (or `binary`): strings, `ENUM`/`SET` labels and JSON
//!   arrive in the column's own charset, as the binlog stores them, not converted to the
//!   connection's.
//! - `time_zone = '+00:00'`: a `TIMESTAMP` prints in UTC, which is what is parsed here.
//!
//! # Formats
//! Integers, `FLOAT`/`DOUBLE`, `DECIMAL` and `YEAR` print as decimal text; `DATE` as
//! `YYYY-MM-DD`; `DATETIME`/`TIMESTAMP` as `YYYY-MM-DD HH:MM:SS[.ffffff]`; `TIME` as
//! `[-]H…H:MM:SS[.ffffff]`. `BIT(n)` is its big-endian bytes, and spatial values the
//! internal format (4-byte little-endian SRID, then WKB) — the same bytes as the binlog.
//! `BOOLEAN` is a `TINYINT(1)` and prints as digits; `BIT(1)` (also read as a boolean) is
//! one raw byte, never an ASCII digit, which tells the two apart.

use super::convert::ColumnKind;
use super::value::{ColumnValue, Date, DateTime, Time};

/// Parses one non-NULL text value of a column of `kind`. `float32` says a floating-point
/// column is `FLOAT` (the result set's column type; `DOUBLE` otherwise). Errors are short
/// descriptions that never contain the value.
pub fn parse_text<'a>(
    kind: &ColumnKind,
    float32: bool,
    text: &'a [u8],
) -> Result<ColumnValue<'a>, String> {
    Ok(match kind {
        ColumnKind::Integer { unsigned, .. } => integer(text, *unsigned)?,
        ColumnKind::Bool => match text {
            [byte] if !byte.is_ascii_digit() => ColumnValue::Bit(u64::from(*byte)),
            _ => integer(text, false)?,
        },
        ColumnKind::Floating => {
            let x: f64 = ascii(text)?
                .parse()
                .map_err(|_| "not a floating-point number".to_owned())?;
            if float32 {
                // The server printed the float's shortest form; parsing it as f32 gives back
                // the stored value.
                ColumnValue::Float(ascii(text)?.parse().unwrap_or(x as f32))
            } else {
                ColumnValue::Double(x)
            }
        }
        ColumnKind::Decimal => {
            let t = ascii(text)?;
            if t.is_empty() {
                return Err("empty DECIMAL".to_owned());
            }
            ColumnValue::Decimal(t.to_owned())
        }
        ColumnKind::Year => {
            ColumnValue::Year(ascii(text)?.parse().map_err(|_| "not a YEAR".to_owned())?)
        }
        ColumnKind::Date => ColumnValue::Date(date(ascii(text)?)?),
        ColumnKind::Time => ColumnValue::Time(time(ascii(text)?)?),
        ColumnKind::DateTime => ColumnValue::DateTime(datetime(ascii(text)?)?),
        ColumnKind::Timestamp => timestamp(datetime(ascii(text)?)?)?,
        ColumnKind::Bits { .. } => {
            if text.len() > 8 {
                return Err(format!("BIT value of {} bytes (at most 8)", text.len()));
            }
            ColumnValue::Bit(text.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b)))
        }
        ColumnKind::Enum(labels) => {
            if text.is_empty() && !labels.iter().any(|l| l.is_empty()) {
                ColumnValue::Enum(0)
            } else {
                let label = std::str::from_utf8(text).map_err(|_| "ENUM label is not UTF-8")?;
                let index = labels
                    .iter()
                    .position(|l| l.as_ref() == label)
                    .ok_or_else(|| "ENUM label not among the column's labels".to_owned())?;
                ColumnValue::Enum(
                    u16::try_from(index + 1).map_err(|_| "ENUM with over 65535 labels")?,
                )
            }
        }
        ColumnKind::Set(labels) => {
            let members = std::str::from_utf8(text).map_err(|_| "SET labels are not UTF-8")?;
            let mut mask = 0u64;
            for member in members.split(',').filter(|m| !m.is_empty()) {
                let index = labels
                    .iter()
                    .position(|l| l.as_ref() == member)
                    .ok_or_else(|| "SET member not among the column's labels".to_owned())?;
                let bit = u32::try_from(index)
                    .ok()
                    .and_then(|i| 1u64.checked_shl(i))
                    .ok_or_else(|| "SET with over 64 members".to_owned())?;
                mask |= bit;
            }
            ColumnValue::Set(mask)
        }
        ColumnKind::Text(_) | ColumnKind::Binary | ColumnKind::Unknown | ColumnKind::Json => {
            ColumnValue::Bytes(text.into())
        }
        ColumnKind::Geometry => ColumnValue::Geometry(text.into()),
    })
}

fn ascii(text: &[u8]) -> Result<&str, String> {
    if !text.is_ascii() {
        return Err("non-ASCII bytes where the server prints digits".to_owned());
    }
    std::str::from_utf8(text).map_err(|e| e.to_string())
}

fn integer(text: &[u8], unsigned: bool) -> Result<ColumnValue<'static>, String> {
    let t = ascii(text)?;
    if unsigned {
        t.parse()
            .map(ColumnValue::UInt)
            .map_err(|_| "not an unsigned integer".to_owned())
    } else {
        t.parse()
            .map(ColumnValue::Int)
            .map_err(|_| "not an integer".to_owned())
    }
}

/// A fixed-width run of digits.
fn digits<T: std::str::FromStr>(part: Option<&str>, width: usize, what: &str) -> Result<T, String> {
    match part {
        Some(p) if p.len() == width && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse().map_err(|_| format!("bad {what}"))
        }
        _ => Err(format!("bad {what}")),
    }
}

fn date(t: &str) -> Result<Date, String> {
    let mut parts = t.split('-');
    let d = Date {
        year: digits(parts.next(), 4, "year")?,
        month: digits(parts.next(), 2, "month")?,
        day: digits(parts.next(), 2, "day")?,
    };
    if parts.next().is_some() {
        return Err("bad DATE".to_owned());
    }
    Ok(d)
}

/// `.ffffff` (1 to 6 digits) → microseconds.
fn fraction(f: Option<&str>) -> Result<u32, String> {
    let Some(f) = f else { return Ok(0) };
    if f.is_empty() || f.len() > 6 || !f.bytes().all(|b| b.is_ascii_digit()) {
        return Err("bad fractional seconds".to_owned());
    }
    let n: u32 = f.parse().map_err(|_| "bad fractional seconds")?;
    Ok(n * 10u32.pow(6 - f.len() as u32))
}

fn datetime(t: &str) -> Result<DateTime, String> {
    let (day, clock) = t.split_once(' ').ok_or("bad DATETIME")?;
    let (clock, frac) = match clock.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (clock, None),
    };
    let mut hms = clock.split(':');
    let dt = DateTime {
        date: date(day)?,
        hour: digits(hms.next(), 2, "hour")?,
        minute: digits(hms.next(), 2, "minute")?,
        second: digits(hms.next(), 2, "second")?,
        micros: fraction(frac)?,
    };
    if hms.next().is_some() {
        return Err("bad DATETIME".to_owned());
    }
    Ok(dt)
}

fn time(t: &str) -> Result<Time, String> {
    let (negative, rest) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (clock, frac) = match rest.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (rest, None),
    };
    let mut hms = clock.split(':');
    let hours = hms.next().filter(|h| !h.is_empty() && h.len() <= 4);
    let hours: u32 = match hours {
        Some(h) if h.bytes().all(|b| b.is_ascii_digit()) => {
            h.parse().map_err(|_| "bad TIME hours")?
        }
        _ => return Err("bad TIME hours".to_owned()),
    };
    let value = Time {
        negative,
        hours,
        minutes: digits(hms.next(), 2, "minutes")?,
        seconds: digits(hms.next(), 2, "seconds")?,
        micros: fraction(frac)?,
    };
    if hms.next().is_some() {
        return Err("bad TIME".to_owned());
    }
    Ok(value)
}

/// A `TIMESTAMP` printed in UTC → seconds since the epoch (the zero timestamp is 0, as in
/// the binlog).
fn timestamp(dt: DateTime) -> Result<ColumnValue<'static>, String> {
    let d = dt.date;
    if d.year == 0 && d.month == 0 && d.day == 0 {
        return Ok(ColumnValue::Timestamp {
            seconds: 0,
            micros: 0,
        });
    }
    if d.month == 0 || d.month > 12 || d.day == 0 || d.day > 31 || dt.hour > 23 {
        return Err("TIMESTAMP field out of range".to_owned());
    }
    let y = i64::from(d.year) - i64::from(d.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(d.month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d.day) - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let seconds = days * 86_400
        + i64::from(dt.hour) * 3_600
        + i64::from(dt.minute) * 60
        + i64::from(dt.second);
    Ok(ColumnValue::Timestamp {
        seconds: u32::try_from(seconds).map_err(|_| "TIMESTAMP before 1970 or after 2106")?,
        micros: dt.micros,
    })
}

#[cfg(test)]
mod tests {
    use super::super::convert::{Charset, IntegerType};
    use super::*;

    fn parse(kind: &ColumnKind, text: &[u8]) -> ColumnValue<'static> {
        match parse_text(kind, false, text) {
            Ok(v) => match v {
                ColumnValue::Bytes(b) => ColumnValue::Bytes(b.into_owned().into()),
                ColumnValue::Geometry(b) => ColumnValue::Geometry(b.into_owned().into()),
                ColumnValue::Int(i) => ColumnValue::Int(i),
                ColumnValue::UInt(u) => ColumnValue::UInt(u),
                ColumnValue::Float(f) => ColumnValue::Float(f),
                ColumnValue::Double(d) => ColumnValue::Double(d),
                ColumnValue::Decimal(d) => ColumnValue::Decimal(d),
                ColumnValue::Year(y) => ColumnValue::Year(y),
                ColumnValue::Date(d) => ColumnValue::Date(d),
                ColumnValue::Time(t) => ColumnValue::Time(t),
                ColumnValue::DateTime(d) => ColumnValue::DateTime(d),
                ColumnValue::Timestamp { seconds, micros } => {
                    ColumnValue::Timestamp { seconds, micros }
                }
                ColumnValue::Bit(b) => ColumnValue::Bit(b),
                ColumnValue::Enum(e) => ColumnValue::Enum(e),
                ColumnValue::Set(s) => ColumnValue::Set(s),
                other => panic!("unexpected {other:?}"),
            },
            Err(e) => panic!("{e}"),
        }
    }

    fn labels(names: &[&str]) -> Box<[Box<str>]> {
        names.iter().map(|n| Box::from(*n)).collect()
    }

    #[test]
    fn numbers_parse_with_their_signedness() {
        let int = ColumnKind::Integer {
            ty: IntegerType::Int,
            unsigned: false,
        };
        let big_unsigned = ColumnKind::Integer {
            ty: IntegerType::Big,
            unsigned: true,
        };
        assert_eq!(parse(&int, b"-42"), ColumnValue::Int(-42));
        assert_eq!(
            parse(&big_unsigned, b"18446744073709551615"),
            ColumnValue::UInt(u64::MAX)
        );
        assert!(parse_text(&big_unsigned, false, b"-1").is_err());
        assert!(parse_text(&int, false, b"12x").is_err());
        assert_eq!(
            parse_text(&ColumnKind::Floating, true, b"1.1").unwrap(),
            ColumnValue::Float(1.1f32)
        );
        assert_eq!(
            parse(&ColumnKind::Floating, b"-2.5e-300"),
            ColumnValue::Double(-2.5e-300)
        );
        assert_eq!(
            parse(&ColumnKind::Decimal, b"-12.340"),
            ColumnValue::Decimal("-12.340".into())
        );
        assert_eq!(parse(&ColumnKind::Year, b"0000"), ColumnValue::Year(0));
    }

    #[test]
    fn booleans_come_as_digits_or_as_one_bit_byte() {
        assert_eq!(parse(&ColumnKind::Bool, b"1"), ColumnValue::Int(1));
        assert_eq!(parse(&ColumnKind::Bool, b"0"), ColumnValue::Int(0));
        assert_eq!(parse(&ColumnKind::Bool, &[1]), ColumnValue::Bit(1));
        assert_eq!(parse(&ColumnKind::Bool, &[0]), ColumnValue::Bit(0));
        assert_eq!(
            parse(&ColumnKind::Bits { len: 12 }, &[0x0a, 0xbc]),
            ColumnValue::Bit(0xabc)
        );
        assert!(parse_text(&ColumnKind::Bits { len: 64 }, false, &[0; 9]).is_err());
    }

    #[test]
    fn temporal_values_parse_fields_and_fractions() {
        assert_eq!(
            parse(&ColumnKind::Date, b"2024-02-29"),
            ColumnValue::Date(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        assert_eq!(
            parse(&ColumnKind::DateTime, b"2024-02-29 23:59:58.12"),
            ColumnValue::DateTime(DateTime {
                date: Date {
                    year: 2024,
                    month: 2,
                    day: 29
                },
                hour: 23,
                minute: 59,
                second: 58,
                micros: 120_000,
            })
        );
        assert_eq!(
            parse(&ColumnKind::Time, b"-838:59:59.000001"),
            ColumnValue::Time(Time {
                negative: true,
                hours: 838,
                minutes: 59,
                seconds: 59,
                micros: 1,
            })
        );
        assert_eq!(
            parse(&ColumnKind::Timestamp, b"1970-01-02 00:00:01.5"),
            ColumnValue::Timestamp {
                seconds: 86_401,
                micros: 500_000
            }
        );
        assert_eq!(
            parse(&ColumnKind::Timestamp, b"0000-00-00 00:00:00"),
            ColumnValue::Timestamp {
                seconds: 0,
                micros: 0
            }
        );
        for bad in [
            &b"2024-2-29"[..],
            b"2024-02-29 1:00:00",
            b"2024-02-29 10:00:00.1234567",
            b"2024-02-29T10:00:00",
        ] {
            assert!(parse_text(&ColumnKind::DateTime, false, bad).is_err());
        }
        assert!(parse_text(&ColumnKind::Time, false, b"12:3:00").is_err());
        assert!(parse_text(&ColumnKind::Timestamp, false, b"1969-12-31 23:59:59").is_err());
    }

    #[test]
    fn enum_and_set_labels_become_index_and_mask() {
        let e = ColumnKind::Enum(labels(&["small", "large"]));
        assert_eq!(parse(&e, b"large"), ColumnValue::Enum(2));
        assert_eq!(parse(&e, b""), ColumnValue::Enum(0));
        assert!(parse_text(&e, false, b"medium").is_err());
        let s = ColumnKind::Set(labels(&["a", "b", "c"]));
        assert_eq!(parse(&s, b"a,c"), ColumnValue::Set(0b101));
        assert_eq!(parse(&s, b""), ColumnValue::Set(0));
        assert!(parse_text(&s, false, b"a,d").is_err());
    }

    #[test]
    fn strings_and_spatial_values_keep_their_bytes() {
        let text = ColumnKind::Text(Charset::Latin1);
        assert_eq!(parse(&text, &[0xe9]), ColumnValue::Bytes(vec![0xe9].into()));
        assert_eq!(
            parse(&ColumnKind::Geometry, &[0, 0, 0, 0, 1]),
            ColumnValue::Geometry(vec![0, 0, 0, 0, 1].into())
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let kinds = [
            ColumnKind::Bool,
            ColumnKind::Floating,
            ColumnKind::Decimal,
            ColumnKind::Year,
            ColumnKind::Date,
            ColumnKind::Time,
            ColumnKind::DateTime,
            ColumnKind::Timestamp,
            ColumnKind::Bits { len: 9 },
            ColumnKind::Enum(labels(&["x"])),
            ColumnKind::Set(labels(&["x"])),
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let alphabet = b"0123456789-:. ,x\xff";
                    let pick = ((seed >> (i % 8 * 8)) % 17) as usize;
                    alphabet.get(pick).copied().unwrap_or(b'0')
                })
                .collect();
            for kind in &kinds {
                let _ = parse_text(kind, seed & 1 == 0, &bytes);
            }
        }
    }
}
