//! Column values of a row image, decoded from the bytes the TABLE_MAP layout describes.
//!
//! Variable-length values (strings, blobs, geometry) borrow the event's bytes. Dates and times
//! keep MySQL's fields as they are — zero dates (`0000-00-00`) and `TIME` beyond 24 hours or
//! negative are valid values — so a later step can map them the way Debezium does.

use std::borrow::Cow;

use mysql_common::binlog::{decimal, jsonb, misc as mc_misc};
use mysql_common::io::ParseBuf;
use mysql_common::value::Value as McValue;

use super::cursor::Cursor;
use super::table::{ColumnInfo, ColumnType};

/// A calendar date as stored; month and day may be 0 (zero dates, `sql_mode` permitting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Date {
    /// Year, 0..=9999.
    pub year: u16,
    /// Month, 0..=12.
    pub month: u8,
    /// Day, 0..=31.
    pub day: u8,
}

/// A `DATETIME` as stored (no time zone); may be a zero date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// The date part.
    pub date: Date,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=59.
    pub second: u8,
    /// Microseconds, 0..=999_999.
    pub micros: u32,
}

/// A `TIME`: a signed duration, -838:59:59 to 838:59:59, not a time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    /// Whether the duration is negative.
    pub negative: bool,
    /// Hours, 0..=838 (not reduced modulo 24).
    pub hours: u32,
    /// Minutes, 0..=59.
    pub minutes: u8,
    /// Seconds, 0..=59.
    pub seconds: u8,
    /// Microseconds, 0..=999_999.
    pub micros: u32,
}

impl Time {
    /// The signed duration in microseconds (Debezium's `MicroTime`).
    pub fn total_micros(&self) -> i64 {
        let magnitude = ((i64::from(self.hours) * 60 + i64::from(self.minutes)) * 60
            + i64::from(self.seconds))
            * 1_000_000
            + i64::from(self.micros);
        if self.negative { -magnitude } else { magnitude }
    }
}

/// One column value of a row image.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValue<'a> {
    /// SQL NULL.
    Null,
    /// A signed integer column (`TINYINT`..`BIGINT`), sign-extended.
    Int(i64),
    /// An `UNSIGNED` integer column.
    UInt(u64),
    /// An integer column whose signedness is not known: the TABLE_MAP did not carry it
    /// (MariaDB by default) and the caller did not supply it. `raw` holds the stored
    /// `bytes`-wide two's-complement bits, zero-extended; [`Self::resolve_sign`] turns it into
    /// [`Self::Int`] or [`Self::UInt`] once the column's definition is known.
    IntUnknownSign {
        /// The stored bits, zero-extended.
        raw: u64,
        /// Width in bytes: 1, 2, 3, 4 or 8.
        bytes: u8,
    },
    /// `FLOAT`.
    Float(f32),
    /// `DOUBLE`.
    Double(f64),
    /// `DECIMAL`, exact, as text (`-12.340`, scale digits kept).
    Decimal(String),
    /// `YEAR`: 0 (the zero year) or 1901..=2155.
    Year(u16),
    /// `DATE`.
    Date(Date),
    /// `TIME`.
    Time(Time),
    /// `DATETIME`.
    DateTime(DateTime),
    /// `TIMESTAMP`: seconds since the Unix epoch, UTC (0 is the zero timestamp).
    Timestamp {
        /// Whole seconds since 1970-01-01 00:00:00 UTC.
        seconds: u32,
        /// Microseconds, 0..=999_999.
        micros: u32,
    },
    /// `BIT(n)`, right-aligned.
    Bit(u64),
    /// `ENUM`: the 1-based index of the label (0 = the empty "invalid" value); see
    /// [`TableMap::enum_label`](super::TableMap::enum_label).
    Enum(u16),
    /// `SET`: bit *i* set when the *i*-th label is in the set.
    Set(u64),
    /// `CHAR`, `VARCHAR`, `TEXT`, `BINARY`, `VARBINARY`, `BLOB` (and MariaDB `JSON`): the bytes
    /// as stored, in the column's charset ([`ColumnInfo::charset`] when known). `CHAR` values
    /// are stored without their trailing pad spaces.
    Bytes(Cow<'a, [u8]>),
    /// MySQL binary `JSON`, rendered as JSON text.
    Json(String),
    /// A spatial value: 4-byte little-endian SRID then WKB, as MySQL stores it.
    Geometry(Cow<'a, [u8]>),
    /// MySQL 9 `VECTOR`: little-endian `f32`s.
    Vector(Cow<'a, [u8]>),
}

impl ColumnValue<'_> {
    /// Resolves [`Self::IntUnknownSign`] with the column's signedness; other values are
    /// returned unchanged.
    pub fn resolve_sign(self, unsigned: bool) -> Self {
        match self {
            Self::IntUnknownSign { raw, .. } if unsigned => Self::UInt(raw),
            Self::IntUnknownSign { raw, bytes } => Self::Int(sign_extend(raw, bytes)),
            other => other,
        }
    }

    /// A `'static` copy, for keeping a value beyond the event's bytes.
    pub fn into_owned(self) -> ColumnValue<'static> {
        match self {
            Self::Null => ColumnValue::Null,
            Self::Int(v) => ColumnValue::Int(v),
            Self::UInt(v) => ColumnValue::UInt(v),
            Self::IntUnknownSign { raw, bytes } => ColumnValue::IntUnknownSign { raw, bytes },
            Self::Float(v) => ColumnValue::Float(v),
            Self::Double(v) => ColumnValue::Double(v),
            Self::Decimal(v) => ColumnValue::Decimal(v),
            Self::Year(v) => ColumnValue::Year(v),
            Self::Date(v) => ColumnValue::Date(v),
            Self::Time(v) => ColumnValue::Time(v),
            Self::DateTime(v) => ColumnValue::DateTime(v),
            Self::Timestamp { seconds, micros } => ColumnValue::Timestamp { seconds, micros },
            Self::Bit(v) => ColumnValue::Bit(v),
            Self::Enum(v) => ColumnValue::Enum(v),
            Self::Set(v) => ColumnValue::Set(v),
            Self::Bytes(v) => ColumnValue::Bytes(Cow::Owned(v.into_owned())),
            Self::Json(v) => ColumnValue::Json(v),
            Self::Geometry(v) => ColumnValue::Geometry(Cow::Owned(v.into_owned())),
            Self::Vector(v) => ColumnValue::Vector(Cow::Owned(v.into_owned())),
        }
    }
}

fn sign_extend(raw: u64, bytes: u8) -> i64 {
    let shift = 64 - u32::from(bytes.clamp(1, 8)) * 8;
    ((raw << shift) as i64) >> shift
}

/// Decodes one non-NULL value of `col` from the front of `c`.
///
/// `unsigned` is the column's resolved signedness (`None` = unknown). Errors are short
/// descriptions; the caller adds table, column and position.
pub(crate) fn decode_value<'a>(
    col: &ColumnInfo,
    unsigned: Option<bool>,
    c: &mut Cursor<'a>,
) -> Result<ColumnValue<'a>, String> {
    let short = || "row image truncated".to_owned();
    let int = |c: &mut Cursor<'a>, bytes: u8| -> Result<ColumnValue<'a>, String> {
        let raw = c.uint_le(usize::from(bytes)).ok_or_else(short)?;
        Ok(match unsigned {
            Some(true) => ColumnValue::UInt(raw),
            Some(false) => ColumnValue::Int(sign_extend(raw, bytes)),
            None => ColumnValue::IntUnknownSign { raw, bytes },
        })
    };
    let prefixed = |c: &mut Cursor<'a>, len_bytes: u8| -> Result<&'a [u8], String> {
        let len = c.uint_le(usize::from(len_bytes)).ok_or_else(short)?;
        c.take(usize::try_from(len).map_err(|_| short())?)
            .ok_or_else(short)
    };
    Ok(match col.column_type {
        ColumnType::Tiny => int(c, 1)?,
        ColumnType::Short => int(c, 2)?,
        ColumnType::Int24 => int(c, 3)?,
        ColumnType::Long => int(c, 4)?,
        ColumnType::LongLong => int(c, 8)?,
        ColumnType::Float => {
            let b = c.take(4).ok_or_else(short)?;
            ColumnValue::Float(f32::from_le_bytes(fixed(b)?))
        }
        ColumnType::Double => {
            let b = c.take(8).ok_or_else(short)?;
            ColumnValue::Double(f64::from_le_bytes(fixed(b)?))
        }
        ColumnType::NewDecimal { precision, scale } => {
            let (p, s) = (usize::from(precision), usize::from(scale));
            // mysql_common's reader assumes scale <= precision <= 65 (checked when the
            // TABLE_MAP was read) and reads exactly `decimal_bin_size` bytes.
            let mut bytes = c.take(decimal::decimal_bin_size(p, s)).ok_or_else(short)?;
            // mysql_common multiplies digit groups unchecked: reject out-of-range groups
            // (corrupt data) before it sees them.
            if !decimal_groups_valid(bytes, p, s) {
                return Err(format!("DECIMAL({p},{s}): digit group out of range"));
            }
            let d = decimal::Decimal::read_bin(&mut bytes, p, s, false)
                .map_err(|e| format!("DECIMAL({p},{s}): {e}"))?;
            ColumnValue::Decimal(d.to_string())
        }
        ColumnType::Year => {
            // mysql_common renders 0 as "1900"; the server stores the zero year as 0.
            let y = c.u8().ok_or_else(short)?;
            ColumnValue::Year(if y == 0 { 0 } else { 1900 + u16::from(y) })
        }
        ColumnType::Date => {
            let v = c.uint_le(3).ok_or_else(short)?;
            ColumnValue::Date(Date {
                year: u16::try_from(v >> 9).map_err(|_| short())?,
                month: ((v >> 5) & 15) as u8,
                day: (v & 31) as u8,
            })
        }
        ColumnType::Time => {
            // Pre-5.6 TIME: a signed 3-byte integer ±HHMMSS.
            let raw = c.uint_le(3).ok_or_else(short)?;
            let v = sign_extend(raw, 3);
            let a = v.unsigned_abs();
            ColumnValue::Time(Time {
                negative: v < 0,
                hours: (a / 10_000) as u32,
                minutes: ((a / 100) % 100) as u8,
                seconds: (a % 100) as u8,
                micros: 0,
            })
        }
        ColumnType::Time2 { fsp } => ColumnValue::Time(time2(c, fsp).ok_or_else(short)?),
        ColumnType::DateTime => {
            let v = c.u64_le().ok_or_else(short)?;
            let (d, t) = (v / 1_000_000, v % 1_000_000);
            ColumnValue::DateTime(DateTime {
                date: Date {
                    year: u16::try_from(d / 10_000).map_err(|_| "DATETIME year".to_owned())?,
                    month: ((d / 100) % 100) as u8,
                    day: (d % 100) as u8,
                },
                hour: (t / 10_000) as u8,
                minute: ((t / 100) % 100) as u8,
                second: (t % 100) as u8,
                micros: 0,
            })
        }
        ColumnType::DateTime2 { fsp } => {
            let mut bytes = c.take(5 + usize::from(fsp).div_ceil(2)).ok_or_else(short)?;
            let packed = mc_misc::my_datetime_packed_from_binary(&mut bytes, u32::from(fsp))
                .map_err(|e| format!("DATETIME({fsp}): {e}"))?;
            match mc_misc::datetime_from_packed(packed) {
                McValue::Date(year, month, day, hour, minute, second, micros) => {
                    ColumnValue::DateTime(DateTime {
                        date: Date { year, month, day },
                        hour,
                        minute,
                        second,
                        micros,
                    })
                }
                other => return Err(format!("DATETIME({fsp}) decoded as {other:?}")),
            }
        }
        ColumnType::Timestamp => ColumnValue::Timestamp {
            seconds: c.u32_le().ok_or_else(short)?,
            micros: 0,
        },
        ColumnType::Timestamp2 { fsp } => {
            // Big-endian seconds then the fraction; mysql_common renders this as text and
            // reads the seconds as i32 (wrong after 2038), so we read it here.
            let seconds = u32::try_from(c.uint_be(4).ok_or_else(short)?).map_err(|_| short())?;
            let micros = frac_micros(c, fsp).ok_or_else(short)?;
            ColumnValue::Timestamp { seconds, micros }
        }
        ColumnType::Bit { bits } => {
            let v = c.uint_be(usize::from(bits).div_ceil(8)).ok_or_else(short)?;
            ColumnValue::Bit(v)
        }
        ColumnType::Enum { pack_len } => {
            let v = c.uint_le(usize::from(pack_len)).ok_or_else(short)?;
            ColumnValue::Enum(u16::try_from(v).map_err(|_| "ENUM index".to_owned())?)
        }
        ColumnType::Set { pack_len } => {
            ColumnValue::Set(c.uint_le(usize::from(pack_len)).ok_or_else(short)?)
        }
        ColumnType::String { max_len } | ColumnType::VarChar { max_len } => {
            let len_bytes = if max_len < 256 { 1 } else { 2 };
            ColumnValue::Bytes(Cow::Borrowed(prefixed(c, len_bytes)?))
        }
        ColumnType::Blob { len_bytes } => {
            ColumnValue::Bytes(Cow::Borrowed(prefixed(c, len_bytes)?))
        }
        ColumnType::Geometry { len_bytes } => {
            ColumnValue::Geometry(Cow::Borrowed(prefixed(c, len_bytes)?))
        }
        ColumnType::Vector { len_bytes } => {
            ColumnValue::Vector(Cow::Borrowed(prefixed(c, len_bytes)?))
        }
        ColumnType::Json { len_bytes } => ColumnValue::Json(json_text(prefixed(c, len_bytes)?)?),
        ColumnType::Unsupported { code } => {
            return Err(format!("binlog column type {code} is not supported"));
        }
    })
}

/// Whether every digit group of a binary DECIMAL is a valid base-10^k number
/// (MySQL `bin2decimal`: groups of 9 digits in 4 bytes, leading/trailing partial groups in
/// 1-4 bytes, big-endian, the sign in the inverted top bit, negatives bit-complemented).
fn decimal_groups_valid(bytes: &[u8], precision: usize, scale: usize) -> bool {
    const DIG_TO_BYTES: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
    let Some(&first) = bytes.first() else {
        return false;
    };
    let negative = first & 0x80 == 0;
    let intg = precision.saturating_sub(scale);
    let mut groups = Vec::new();
    if !intg.is_multiple_of(9) {
        groups.push(intg % 9);
    }
    groups.extend(std::iter::repeat_n(9, intg / 9 + scale / 9));
    if !scale.is_multiple_of(9) {
        groups.push(scale % 9);
    }
    let mut c = Cursor::new(bytes);
    let mut first_byte = true;
    for digits in groups {
        let Some(len) = DIG_TO_BYTES.get(digits).copied() else {
            return false;
        };
        let Some(group) = c.take(len) else {
            return false;
        };
        let mut v: u64 = 0;
        for &b in group {
            let mut b = if first_byte { b ^ 0x80 } else { b };
            first_byte = false;
            if negative {
                b = !b;
            }
            v = (v << 8) | u64::from(b);
        }
        if v >= 10u64.pow(digits as u32) {
            return false;
        }
    }
    true
}

fn fixed<const N: usize>(b: &[u8]) -> Result<[u8; N], String> {
    b.try_into().map_err(|_| "row image truncated".to_owned())
}

/// Fractional seconds of TIMESTAMP2 / DATETIME2: (fsp+1)/2 big-endian bytes.
fn frac_micros(c: &mut Cursor<'_>, fsp: u8) -> Option<u32> {
    let v = match fsp {
        1 | 2 => c.uint_be(1)? * 10_000,
        3 | 4 => c.uint_be(2)? * 100,
        5 | 6 => c.uint_be(3)?,
        _ => 0,
    };
    u32::try_from(v).ok()
}

/// TIME(fsp) as MySQL's `my_time_packed_from_binary` + `TIME_from_longlong_time_packed`.
///
/// Written here because mysql_common 0.38 computes the fraction of a negative TIME(1)/TIME(2)
/// in unsigned arithmetic (`frac -= 0x100` on a `u32`): a panic under overflow checks and a
/// wrong value without.
fn time2(c: &mut Cursor<'_>, fsp: u8) -> Option<Time> {
    const TIMEF_INT_OFS: i64 = 0x80_0000;
    const TIMEF_OFS: i64 = 0x8000_0000_0000;
    let packed: i64 = match fsp {
        1 | 2 => {
            let mut int = i64::try_from(c.uint_be(3)?).ok()? - TIMEF_INT_OFS;
            let mut frac = i64::try_from(c.uint_be(1)?).ok()?;
            if int < 0 && frac > 0 {
                int += 1;
                frac -= 0x100;
            }
            (int << 24) + frac * 10_000
        }
        3 | 4 => {
            let mut int = i64::try_from(c.uint_be(3)?).ok()? - TIMEF_INT_OFS;
            let mut frac = i64::try_from(c.uint_be(2)?).ok()?;
            if int < 0 && frac > 0 {
                int += 1;
                frac -= 0x10000;
            }
            (int << 24) + frac * 100
        }
        5 | 6 => i64::try_from(c.uint_be(6)?).ok()? - TIMEF_OFS,
        _ => (i64::try_from(c.uint_be(3)?).ok()? - TIMEF_INT_OFS) << 24,
    };
    let negative = packed < 0;
    let a = packed.unsigned_abs();
    let hms = a >> 24;
    Some(Time {
        negative,
        hours: ((hms >> 12) % (1 << 10)) as u32,
        minutes: ((hms >> 6) % (1 << 6)) as u8,
        seconds: (hms % (1 << 6)) as u8,
        micros: (a % (1 << 24)) as u32,
    })
}

/// MySQL binary JSON → JSON text, through mysql_common's JSONB reader. An empty value is
/// what the server stores for a JSON `null` written by some paths; it reads as `null`.
fn json_text(bytes: &[u8]) -> Result<String, String> {
    if bytes.is_empty() {
        return Ok("null".to_owned());
    }
    let value: jsonb::Value<'_> = ParseBuf(bytes)
        .parse(())
        .map_err(|e| format!("binary JSON: {e}"))?;
    let dom = value.parse().map_err(|e| format!("binary JSON: {e}"))?;
    Ok(serde_json::Value::from(dom).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_time_with_one_digit_fraction() {
        // -00:00:01.5 as TIME(1): intpart = -2 (+0x800000), frac = 0x100 - 50.
        let int = (0x80_0000i64 - 2) as u32;
        let bytes = [(int >> 16) as u8, (int >> 8) as u8, int as u8, 0xce];
        let t = time2(&mut Cursor::new(&bytes), 1).unwrap();
        assert_eq!(t.total_micros(), -1_500_000);
    }

    #[test]
    fn sign_extension() {
        assert_eq!(sign_extend(0xff, 1), -1);
        assert_eq!(sign_extend(0x80_0000, 3), -8_388_608);
        assert_eq!(sign_extend(u64::MAX, 8), -1);
        assert_eq!(
            ColumnValue::IntUnknownSign {
                raw: 0xff,
                bytes: 1
            }
            .resolve_sign(true),
            ColumnValue::UInt(255)
        );
    }
}
