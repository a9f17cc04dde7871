//! Binlog row images → the shared typed value model ([`tributary_envelope::Value`]).
//!
//! # Why the caller describes the columns
//! A row image carries only what the binlog type needs to find a value's bytes: `TEXT` and
//! `BLOB` are the same binlog type, a charset is not in the row, MariaDB sends no signedness,
//! an `ENUM` is its index and a `SET` its bitmask. The meaning comes from the table's
//! definition at the event's position, which the engine keeps in its schema history. The
//! engine turns each column definition into a [`ColumnSpec`] once per table version
//! ([`RowConverter::new`]); [`RowConverter::convert_row`] then converts every row with no
//! lookups, into a caller-owned `Vec` that is reused from row to row.
//!
//! # Debezium's rules applied here
//! - `TIMESTAMP` is an instant: the binlog stores seconds since the epoch in UTC, so the
//!   value does not depend on the server's or the host's time zone. `DATETIME` is zone-less
//!   and read as if it were UTC ([`Value::Timestamp`]).
//! - A zero date — `DATE`/`DATETIME` with a zero year, month or day, or the zero
//!   `TIMESTAMP` — becomes [`Value::ZeroDate`]; the envelope's mapping writes null for a
//!   nullable column and the epoch for a `NOT NULL` one (Debezium's binlog deserializers
//!   return null for `year == 0 || month == 0 || day == 0`).
//! - `GEOMETRY`: the binlog's 4-byte little-endian SRID prefix is split off the WKB; SRID 0
//!   is "unset" (`BinlogGeometry.fromBytes`).
//! - `BIT(1)` and `BOOLEAN` are booleans; `BIT(n>1)` keeps its width.
//! - `ENUM` index 0 is the empty string MySQL stores for an invalid value.
//!
//! # Never a wrong schema
//! A row whose column count differs from the description, or a value whose binlog kind does
//! not belong to the described type (an `INT` column arriving as text after a missed DDL),
//! is a [`RowConvertError`] naming the table, column and binlog position — never a guess.

use std::fmt;

use tributary_envelope::decimal::Decimal;
use tributary_envelope::value::{Extended, Numeric, Value};

use super::error::Position;
use super::rows::Row;
use super::value::{ColumnValue, Date, DateTime};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// The character set of a text column, for turning its bytes into Unicode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charset {
    /// `utf8mb4`, `utf8mb3` (`utf8`): UTF-8.
    Utf8,
    /// MySQL's `latin1`, which is Windows-1252 (cp1252) with the five bytes cp1252 leaves
    /// undefined mapped to the C1 controls of the same code.
    Latin1,
    /// `ascii`: 7-bit.
    Ascii,
    /// `ucs2` and `utf16`: UTF-16 big-endian.
    Utf16Be,
    /// `utf16le`.
    Utf16Le,
    /// `utf32`: UTF-32 big-endian.
    Utf32,
}

/// What a column's charset name means for its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetKind {
    /// Text in this charset.
    Text(Charset),
    /// `binary`: the column holds bytes (`CHAR(n) CHARACTER SET binary` is `BINARY(n)`).
    Binary,
}

impl Charset {
    /// Looks up a MySQL/MariaDB character set name (case-insensitive), or a collation name
    /// (its charset is the part before the first `_`). `None` for a charset this converter
    /// cannot decode.
    pub fn from_mysql_name(name: &str) -> Option<CharsetKind> {
        let lower = name.trim().to_ascii_lowercase();
        let charset = match lower.as_str() {
            "binary" => return Some(CharsetKind::Binary),
            "utf8mb4" | "utf8mb3" | "utf8" => Self::Utf8,
            "latin1" => Self::Latin1,
            "ascii" => Self::Ascii,
            "ucs2" | "utf16" => Self::Utf16Be,
            "utf16le" => Self::Utf16Le,
            "utf32" => Self::Utf32,
            other => {
                // A collation (`utf8mb4_unicode_ci`, `latin1_bin`) names its charset first.
                let (head, _) = other.split_once('_')?;
                if head == lower {
                    return None;
                }
                return Self::from_mysql_name(head);
            }
        };
        Some(CharsetKind::Text(charset))
    }

    /// Decodes `bytes`; `Err` with a short reason when they are not valid in this charset.
    pub fn decode(self, bytes: &[u8]) -> Result<Box<str>, String> {
        match self {
            Self::Utf8 => std::str::from_utf8(bytes)
                .map(Box::from)
                .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to())),
            Self::Ascii => {
                if let Some(i) = bytes.iter().position(|b| !b.is_ascii()) {
                    return Err(format!("non-ASCII byte at {i}"));
                }
                // All ASCII: valid UTF-8.
                std::str::from_utf8(bytes)
                    .map(Box::from)
                    .map_err(|e| e.to_string())
            }
            Self::Latin1 => Ok(bytes.iter().map(|&b| cp1252(b)).collect::<String>().into()),
            Self::Utf16Be | Self::Utf16Le => {
                if !bytes.len().is_multiple_of(2) {
                    return Err("odd number of bytes in UTF-16 text".to_owned());
                }
                let units = bytes.chunks_exact(2).map(|c| match (self, c) {
                    (Self::Utf16Le, [a, b]) => u16::from_le_bytes([*a, *b]),
                    (_, [a, b]) => u16::from_be_bytes([*a, *b]),
                    _ => 0,
                });
                char::decode_utf16(units)
                    .collect::<Result<String, _>>()
                    .map(Box::from)
                    .map_err(|e| format!("invalid UTF-16: {e}"))
            }
            Self::Utf32 => {
                if !bytes.len().is_multiple_of(4) {
                    return Err("byte count of UTF-32 text not a multiple of 4".to_owned());
                }
                bytes
                    .chunks_exact(4)
                    .map(|c| {
                        let code = u32::from_be_bytes(c.try_into().unwrap_or([0xff; 4]));
                        char::from_u32(code).ok_or_else(|| format!("invalid code point {code:#x}"))
                    })
                    .collect::<Result<String, _>>()
                    .map(Box::from)
            }
        }
    }
}

/// MySQL `latin1` (cp1252) byte → char. The bytes 0x80..=0x9F differ from ISO-8859-1.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}',
        '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}',
        '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}',
        '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
    ];
    match b {
        0x80..=0x9f => HIGH
            .get(usize::from(b - 0x80))
            .copied()
            .unwrap_or(char::REPLACEMENT_CHARACTER),
        _ => char::from(b),
    }
}

/// The integer types, which fix the [`Value`] width Debezium's mapping expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntegerType {
    /// `TINYINT`: [`Value::Int16`] signed or unsigned.
    Tiny,
    /// `SMALLINT`: [`Value::Int16`], unsigned [`Value::Int32`].
    Small,
    /// `MEDIUMINT`: [`Value::Int32`].
    Medium,
    /// `INT`: [`Value::Int32`], unsigned [`Value::Int64`].
    Int,
    /// `BIGINT`: [`Value::Int64`], unsigned [`Value::UInt64`].
    Big,
}

impl IntegerType {
    fn bytes(self) -> u8 {
        match self {
            Self::Tiny => 1,
            Self::Small => 2,
            Self::Medium => 3,
            Self::Int => 4,
            Self::Big => 8,
        }
    }
}

/// What a column holds, as far as turning its binlog value into a [`Value`] goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// `BOOLEAN` (a `TINYINT(1)` declared as such) or `BIT(1)`: [`Value::Bool`].
    Bool,
    /// An integer type.
    Integer {
        /// Which one.
        ty: IntegerType,
        /// `UNSIGNED`.
        unsigned: bool,
    },
    /// `FLOAT` or `DOUBLE`: [`Value::Float32`]/[`Value::Float64`] as the binlog stored it
    /// (`FLOAT(p>24)` is a `DOUBLE`).
    Floating,
    /// `DECIMAL`/`NUMERIC`: [`Value::Numeric`].
    Decimal,
    /// `YEAR`: [`Value::Int32`] (0 for the zero year).
    Year,
    /// `DATE`: [`Value::Date`] or [`Value::ZeroDate`].
    Date,
    /// `TIME`: [`Value::Time`] (a signed duration).
    Time,
    /// `DATETIME`: [`Value::Timestamp`] (zone-less) or [`Value::ZeroDate`].
    DateTime,
    /// `TIMESTAMP`: [`Value::TimestampTz`] (UTC instant) or [`Value::ZeroDate`].
    Timestamp,
    /// `BIT(n)`, n > 1: [`Value::Bits`].
    Bits {
        /// Width in bits, 2..=64.
        len: u32,
    },
    /// `ENUM`: [`Value::Enum`] with the label.
    Enum(Box<[Box<str>]>),
    /// `SET`: [`Value::Set`] with the chosen labels in definition order.
    Set(Box<[Box<str>]>),
    /// Character data: [`Value::Text`].
    Text(Charset),
    /// `BINARY`/`VARBINARY`/`BLOB`, or character types in the `binary` charset:
    /// [`Value::Bytes`].
    Binary,
    /// `JSON`: [`Value::Json`] (MySQL binary JSON rendered to text by the decoder; MariaDB's
    /// `JSON` is UTF-8 `LONGTEXT`).
    Json,
    /// A spatial type: [`Value::Geometry`].
    Geometry,
    /// A type the converter has no rule for (MariaDB `INET6`, `UUID`): its bytes, which the
    /// mapping writes only with `include.unknown.datatypes=true`.
    Unknown,
}

impl ColumnKind {
    fn describe(&self) -> &'static str {
        match self {
            Self::Bool => "boolean",
            Self::Integer { .. } => "integer",
            Self::Floating => "floating point",
            Self::Decimal => "decimal",
            Self::Year => "year",
            Self::Date => "date",
            Self::Time => "time",
            Self::DateTime => "datetime",
            Self::Timestamp => "timestamp",
            Self::Bits { .. } => "bit string",
            Self::Enum(_) => "enum",
            Self::Set(_) => "set",
            Self::Text(_) => "text",
            Self::Binary => "binary",
            Self::Json => "json",
            Self::Geometry => "geometry",
            Self::Unknown => "unknown type",
        }
    }
}

/// One column of a [`RowConverter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The column name, for errors.
    pub name: Box<str>,
    /// How its values convert.
    pub kind: ColumnKind,
}

impl ColumnSpec {
    /// A column spec.
    pub fn new(name: impl Into<Box<str>>, kind: ColumnKind) -> Self {
        Self {
            name: name.into(),
            kind,
        }
    }
}

/// Why a row could not be converted. Definite: the same bytes and schema fail again. The
/// details are boxed so the per-row `Result` stays small.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowConvertError {
    /// The row image has another number of columns than the table's known schema.
    #[error(transparent)]
    ColumnCount(Box<ColumnCountMismatch>),
    /// A value could not be converted for its column.
    #[error(transparent)]
    Value(Box<ValueConvertError>),
}

/// A row image with another number of columns than the schema history knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "row of `{schema}`.`{table}` at binlog position {at} has {row_columns} columns, but the \
     schema history knows {schema_columns}; the history does not match the binlog here (a DDL \
     was missed or skipped); hint: re-snapshot the table's schema — rows are never decoded \
     with a wrong schema"
)]
pub struct ColumnCountMismatch {
    /// Database.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Where the rows event starts.
    pub at: Position,
    /// Columns in the row image.
    pub row_columns: usize,
    /// Columns in the schema history's definition.
    pub schema_columns: usize,
}

/// A value that could not be converted for its column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot convert column {column} (`{column_name}`, {kind}) of `{schema}`.`{table}` at \
     binlog position {at}: {detail}; hint: if the column's type changed, the schema history \
     missed the DDL — re-snapshot the table's schema"
)]
pub struct ValueConvertError {
    /// Database.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Where the rows event starts.
    pub at: Position,
    /// Zero-based column index.
    pub column: usize,
    /// The column's name.
    pub column_name: String,
    /// The column's kind.
    pub kind: &'static str,
    /// What was wrong (never the value itself).
    pub detail: String,
}

/// Converts the row images of one table version into [`Value`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowConverter {
    schema: Box<str>,
    table: Box<str>,
    columns: Box<[ColumnSpec]>,
}

impl RowConverter {
    /// A converter for `schema`.`table` whose columns are `columns`, in table order.
    pub fn new(
        schema: impl Into<Box<str>>,
        table: impl Into<Box<str>>,
        columns: Vec<ColumnSpec>,
    ) -> Self {
        Self {
            schema: schema.into(),
            table: table.into(),
            columns: columns.into_boxed_slice(),
        }
    }

    /// The columns, in table order.
    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }

    /// Converts `row` (from a rows event starting at `at`) into `out`, which is cleared
    /// first; `out[i]` is column `i`. A column missing from the image (a non-FULL
    /// `binlog_row_image`) is an error: Tributary requires FULL images.
    pub fn convert_row(
        &self,
        row: &Row<'_>,
        at: &Position,
        out: &mut Vec<Value>,
    ) -> Result<(), RowConvertError> {
        let values = row.values();
        self.convert_each(values.len(), at, out, |i, spec| match values.get(i) {
            Some(Some(v)) => convert_value(&spec.kind, v),
            _ => Err(
                "the column is not in the row image; set binlog_row_image=FULL \
                      on the server"
                    .to_owned(),
            ),
        })
    }

    /// Converts `count` values with `convert(i, column)` into `out` (cleared first),
    /// checking the count against the schema and naming the column of a failed value.
    fn convert_each(
        &self,
        count: usize,
        at: &Position,
        out: &mut Vec<Value>,
        mut convert: impl FnMut(usize, &ColumnSpec) -> Result<Value, String>,
    ) -> Result<(), RowConvertError> {
        out.clear();
        if count != self.columns.len() {
            return Err(RowConvertError::ColumnCount(Box::new(
                ColumnCountMismatch {
                    schema: self.schema.to_string(),
                    table: self.table.to_string(),
                    at: at.clone(),
                    row_columns: count,
                    schema_columns: self.columns.len(),
                },
            )));
        }
        out.reserve(count);
        for (i, spec) in self.columns.iter().enumerate() {
            match convert(i, spec) {
                Ok(v) => out.push(v),
                Err(detail) => {
                    out.clear();
                    return Err(RowConvertError::Value(Box::new(ValueConvertError {
                        schema: self.schema.to_string(),
                        table: self.table.to_string(),
                        at: at.clone(),
                        column: i,
                        column_name: spec.name.to_string(),
                        kind: spec.kind.describe(),
                        detail,
                    })));
                }
            }
        }
        Ok(())
    }

    /// Converts a row of a text result set (a snapshot's `SELECT` of the table's columns in
    /// table order; see [`parse_text`](super::text::parse_text) for what the session must
    /// set) into `out`, exactly as [`convert_row`](Self::convert_row) converts the same row
    /// from a binlog image. `float32[i]` says column `i` is a `FLOAT` (from the result set's
    /// column types); `at` is the snapshot's binlog position, for errors.
    pub fn convert_text_row(
        &self,
        values: &[Option<&[u8]>],
        float32: &[bool],
        at: &Position,
        out: &mut Vec<Value>,
    ) -> Result<(), RowConvertError> {
        self.convert_each(values.len(), at, out, |i, spec| match values.get(i) {
            Some(Some(text)) => {
                let single = float32.get(i).copied().unwrap_or(false);
                super::text::parse_text(&spec.kind, single, text)
                    .and_then(|v| convert_value(&spec.kind, &v))
            }
            _ => Ok(Value::Null),
        })
    }
}

/// The variant name of a binlog value, for errors (never the value).
fn binlog_kind(v: &ColumnValue<'_>) -> &'static str {
    match v {
        ColumnValue::Null => "NULL",
        ColumnValue::Int(_) | ColumnValue::UInt(_) | ColumnValue::IntUnknownSign { .. } => {
            "an integer"
        }
        ColumnValue::Float(_) => "a FLOAT",
        ColumnValue::Double(_) => "a DOUBLE",
        ColumnValue::Decimal(_) => "a DECIMAL",
        ColumnValue::Year(_) => "a YEAR",
        ColumnValue::Date(_) => "a DATE",
        ColumnValue::Time(_) => "a TIME",
        ColumnValue::DateTime(_) => "a DATETIME",
        ColumnValue::Timestamp { .. } => "a TIMESTAMP",
        ColumnValue::Bit(_) => "a BIT",
        ColumnValue::Enum(_) => "an ENUM",
        ColumnValue::Set(_) => "a SET",
        ColumnValue::Bytes(_) => "a string/blob",
        ColumnValue::Json(_) => "a binary JSON",
        ColumnValue::Geometry(_) => "a GEOMETRY",
        ColumnValue::Vector(_) => "a VECTOR",
    }
}

/// Converts one binlog value for a column of `kind`. Errors are short descriptions.
pub fn convert_value(kind: &ColumnKind, v: &ColumnValue<'_>) -> Result<Value, String> {
    if matches!(v, ColumnValue::Null) {
        return Ok(Value::Null);
    }
    let mismatch = || {
        format!(
            "the binlog holds {} value, which does not belong in a {} column",
            binlog_kind(v),
            kind.describe()
        )
    };
    Ok(match (kind, v) {
        (ColumnKind::Integer { ty, unsigned }, _) => integer(*ty, *unsigned, v)?,
        (ColumnKind::Bool, ColumnValue::Bit(b)) => Value::Bool(*b != 0),
        (ColumnKind::Bool, _) => match integer_i128(v, IntegerType::Tiny.bytes(), false) {
            Some(n) => Value::Bool(n? != 0),
            None => return Err(mismatch()),
        },
        (ColumnKind::Floating, ColumnValue::Float(f)) => Value::Float32(*f),
        (ColumnKind::Floating, ColumnValue::Double(d)) => Value::Float64(*d),
        (ColumnKind::Decimal, ColumnValue::Decimal(text)) => Value::Numeric(Numeric::Finite(
            Decimal::parse(text).map_err(|e| format!("decoded DECIMAL is not a number: {e}"))?,
        )),
        (ColumnKind::Year, ColumnValue::Year(y)) => Value::Int32(i32::from(*y)),
        (ColumnKind::Date, ColumnValue::Date(d)) => match epoch_days(d)? {
            Some(days) => Value::Date(Extended::Finite(days)),
            None => Value::ZeroDate,
        },
        (ColumnKind::Time, ColumnValue::Time(t)) => {
            // TIME2 stores 10 bits of hours; anything beyond is not a server value (and
            // would overflow the microsecond count).
            if t.hours > 1023 || t.minutes > 59 || t.seconds > 59 || t.micros > 999_999 {
                return Err("TIME field out of range".to_owned());
            }
            Value::Time(t.total_micros())
        }
        (ColumnKind::DateTime, ColumnValue::DateTime(dt)) => match datetime_micros(dt)? {
            Some(us) => Value::Timestamp(Extended::Finite(us)),
            None => Value::ZeroDate,
        },
        (ColumnKind::Timestamp, ColumnValue::Timestamp { seconds, micros }) => {
            if *micros > 999_999 {
                return Err("TIMESTAMP fraction above 999999 µs".to_owned());
            }
            if *seconds == 0 && *micros == 0 {
                // '0000-00-00 00:00:00': TIMESTAMP's range starts at 1970-01-01 00:00:01 UTC,
                // so a stored 0 is always the zero value.
                Value::ZeroDate
            } else {
                Value::TimestampTz(Extended::Finite(
                    i64::from(*seconds) * MICROS_PER_SECOND + i64::from(*micros),
                ))
            }
        }
        (ColumnKind::Bits { len }, ColumnValue::Bit(bits)) => {
            let len = (*len).clamp(1, 64);
            if len < 64 && bits >> len != 0 {
                return Err(format!("BIT value wider than the column's {len} bits"));
            }
            let n = len.div_ceil(8) as usize;
            let be = bits.to_be_bytes();
            Value::Bits {
                len,
                bytes: be.get(8 - n..).unwrap_or(&be).into(),
            }
        }
        (ColumnKind::Enum(labels), ColumnValue::Enum(index)) => {
            match *index {
                0 => Value::Enum("".into()),
                i => Value::Enum(labels.get(usize::from(i) - 1).cloned().ok_or_else(|| {
                    format!("ENUM index {i} but the column has {}", labels.len())
                })?),
            }
        }
        (ColumnKind::Set(labels), ColumnValue::Set(mask)) => {
            if labels.len() < 64 && mask >> labels.len() != 0 {
                return Err(format!(
                    "SET bitmask {mask:#x} names members beyond the column's {}",
                    labels.len()
                ));
            }
            Value::Set(
                labels
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        u32::try_from(*i)
                            .ok()
                            .and_then(|i| 1u64.checked_shl(i))
                            .is_some_and(|bit| mask & bit != 0)
                    })
                    .map(|(_, l)| l.clone())
                    .collect(),
            )
        }
        (ColumnKind::Text(charset), ColumnValue::Bytes(b)) => Value::Text(charset.decode(b)?),
        (ColumnKind::Binary | ColumnKind::Unknown, ColumnValue::Bytes(b)) => {
            Value::Bytes(b.as_ref().into())
        }
        (ColumnKind::Json, ColumnValue::Json(text)) => Value::Json(text.as_str().into()),
        (ColumnKind::Json, ColumnValue::Bytes(b)) => Value::Json(Charset::Utf8.decode(b)?),
        (ColumnKind::Geometry, ColumnValue::Geometry(b)) => {
            let (srid, wkb) = b
                .split_first_chunk::<4>()
                .ok_or_else(|| "GEOMETRY shorter than its 4-byte SRID".to_owned())?;
            let srid = u32::from_le_bytes(*srid);
            Value::Geometry {
                wkb: wkb.into(),
                srid: (srid != 0).then_some(srid),
            }
        }
        _ => return Err(mismatch()),
    })
}

/// An integer binlog value as `i128`: `None` when `v` is not an integer; `Some(Err)` when
/// its stored width differs from `bytes` (the TABLE_MAP and the schema disagree).
fn integer_i128(v: &ColumnValue<'_>, bytes: u8, unsigned: bool) -> Option<Result<i128, String>> {
    Some(match v {
        ColumnValue::Int(i) => Ok(i128::from(*i)),
        ColumnValue::UInt(u) => Ok(i128::from(*u)),
        ColumnValue::IntUnknownSign { raw, bytes: width } => {
            if *width != bytes {
                return Some(Err(format!(
                    "the binlog stores a {width}-byte integer, the column's type has {bytes}"
                )));
            }
            match v.clone().resolve_sign(unsigned) {
                ColumnValue::Int(i) => Ok(i128::from(i)),
                ColumnValue::UInt(u) => Ok(i128::from(u)),
                _ => Ok(i128::from(*raw)),
            }
        }
        _ => return None,
    })
}

fn integer(ty: IntegerType, unsigned: bool, v: &ColumnValue<'_>) -> Result<Value, String> {
    let n = match integer_i128(v, ty.bytes(), unsigned) {
        Some(n) => n?,
        None => {
            return Err(format!(
                "the binlog holds {} value, which does not belong in an integer column",
                binlog_kind(v)
            ));
        }
    };
    let range = || format!("integer out of range for the column's type {ty:?}");
    Ok(match (ty, unsigned) {
        (IntegerType::Tiny, _) | (IntegerType::Small, false) => {
            Value::Int16(i16::try_from(n).map_err(|_| range())?)
        }
        (IntegerType::Small, true) | (IntegerType::Medium, _) | (IntegerType::Int, false) => {
            Value::Int32(i32::try_from(n).map_err(|_| range())?)
        }
        (IntegerType::Int, true) | (IntegerType::Big, false) => {
            Value::Int64(i64::try_from(n).map_err(|_| range())?)
        }
        (IntegerType::Big, true) => Value::UInt64(u64::try_from(n).map_err(|_| range())?),
    })
}

/// Days since 1970-01-01, or `None` for a zero date (zero year, month or day).
fn epoch_days(d: &Date) -> Result<Option<i32>, String> {
    if d.year == 0 || d.month == 0 || d.day == 0 {
        return Ok(None);
    }
    if d.month > 12 || d.day > 31 {
        return Err(format!("date with month {} day {}", d.month, d.day));
    }
    let days = days_from_civil(i64::from(d.year), i64::from(d.month), i64::from(d.day));
    i32::try_from(days)
        .map(Some)
        .map_err(|_| "date out of range".to_owned())
}

/// Microseconds since 1970-01-01T00:00:00 read as UTC, or `None` for a zero date.
fn datetime_micros(dt: &DateTime) -> Result<Option<i64>, String> {
    let Some(days) = epoch_days(&dt.date)? else {
        return Ok(None);
    };
    if dt.hour > 23 || dt.minute > 59 || dt.second > 59 || dt.micros > 999_999 {
        return Err("time of day out of range".to_owned());
    }
    let of_day = ((i64::from(dt.hour) * 60 + i64::from(dt.minute)) * 60 + i64::from(dt.second))
        * MICROS_PER_SECOND
        + i64::from(dt.micros);
    Ok(Some(i64::from(days) * MICROS_PER_DAY + of_day))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Utf8 => "utf8mb4",
            Self::Latin1 => "latin1",
            Self::Ascii => "ascii",
            Self::Utf16Be => "utf16",
            Self::Utf16Le => "utf16le",
            Self::Utf32 => "utf32",
        })
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::binlog::value::Time;

    fn conv(kind: ColumnKind, v: ColumnValue<'_>) -> Result<Value, String> {
        convert_value(&kind, &v)
    }

    #[test]
    fn integers_take_the_width_debezium_maps() {
        let unknown = |raw, bytes| ColumnValue::IntUnknownSign { raw, bytes };
        let int = |ty, unsigned| ColumnKind::Integer { ty, unsigned };
        assert_eq!(
            conv(int(IntegerType::Tiny, false), unknown(0x80, 1)),
            Ok(Value::Int16(-128))
        );
        assert_eq!(
            conv(int(IntegerType::Tiny, true), unknown(0xff, 1)),
            Ok(Value::Int16(255))
        );
        assert_eq!(
            conv(int(IntegerType::Small, true), unknown(0xffff, 2)),
            Ok(Value::Int32(65_535))
        );
        assert_eq!(
            conv(int(IntegerType::Int, true), unknown(0xffff_ffff, 4)),
            Ok(Value::Int64(4_294_967_295))
        );
        assert_eq!(
            conv(int(IntegerType::Big, true), unknown(u64::MAX, 8)),
            Ok(Value::UInt64(u64::MAX))
        );
        assert_eq!(
            conv(int(IntegerType::Big, false), unknown(u64::MAX, 8)),
            Ok(Value::Int64(-1))
        );
        // A width that disagrees with the schema is an error, not a reinterpretation.
        assert!(conv(int(IntegerType::Int, false), unknown(1, 8)).is_err());
        assert!(
            conv(
                int(IntegerType::Int, false),
                ColumnValue::Bytes(Cow::Borrowed(b"1"))
            )
            .is_err()
        );
        assert!(conv(int(IntegerType::Small, false), ColumnValue::Int(70_000)).is_err());
    }

    #[test]
    fn zero_dates_and_instants() {
        let date = |year, month, day| Date { year, month, day };
        assert_eq!(
            conv(ColumnKind::Date, ColumnValue::Date(date(0, 0, 0))),
            Ok(Value::ZeroDate)
        );
        assert_eq!(
            conv(ColumnKind::Date, ColumnValue::Date(date(2024, 2, 0))),
            Ok(Value::ZeroDate)
        );
        assert_eq!(
            conv(ColumnKind::Date, ColumnValue::Date(date(1970, 1, 2))),
            Ok(Value::Date(Extended::Finite(1)))
        );
        assert_eq!(
            conv(ColumnKind::Date, ColumnValue::Date(date(1000, 1, 1))),
            Ok(Value::Date(Extended::Finite(-354_285)))
        );
        assert_eq!(
            conv(
                ColumnKind::DateTime,
                ColumnValue::DateTime(DateTime {
                    date: date(1969, 12, 31),
                    hour: 23,
                    minute: 59,
                    second: 59,
                    micros: 999_999
                })
            ),
            Ok(Value::Timestamp(Extended::Finite(-1)))
        );
        assert_eq!(
            conv(
                ColumnKind::Timestamp,
                ColumnValue::Timestamp {
                    seconds: 0,
                    micros: 0
                }
            ),
            Ok(Value::ZeroDate)
        );
        assert_eq!(
            conv(
                ColumnKind::Timestamp,
                ColumnValue::Timestamp {
                    seconds: 1,
                    micros: 5
                }
            ),
            Ok(Value::TimestampTz(Extended::Finite(1_000_005)))
        );
        assert_eq!(
            conv(
                ColumnKind::Time,
                ColumnValue::Time(Time {
                    negative: true,
                    hours: 838,
                    minutes: 59,
                    seconds: 59,
                    micros: 0
                })
            ),
            Ok(Value::Time(-3_020_399_000_000))
        );
    }

    #[test]
    fn charsets() {
        assert_eq!(
            Charset::from_mysql_name("utf8mb4_unicode_ci"),
            Some(CharsetKind::Text(Charset::Utf8))
        );
        assert_eq!(
            Charset::from_mysql_name("BINARY"),
            Some(CharsetKind::Binary)
        );
        assert_eq!(Charset::from_mysql_name("sjis"), None);
        assert_eq!(Charset::from_mysql_name("weird_thing"), None);
        assert_eq!(
            Charset::Latin1.decode(b"\x80 \xe9\x81").unwrap().as_ref(),
            "€ é\u{81}"
        );
        assert_eq!(
            Charset::Utf16Be
                .decode(b"\x00A\xd8\x3d\xde\x00")
                .unwrap()
                .as_ref(),
            "A😀"
        );
        assert!(Charset::Utf8.decode(b"\xff").is_err());
        assert!(Charset::Utf16Be.decode(b"\xd8\x00").is_err());
        assert!(Charset::Utf32.decode(b"\x00\x11\x00\x00").is_err());
    }

    #[test]
    fn enum_set_bits_geometry() {
        let labels: Box<[Box<str>]> = vec!["a".into(), "b".into(), "c".into()].into();
        assert_eq!(
            conv(ColumnKind::Enum(labels.clone()), ColumnValue::Enum(0)),
            Ok(Value::Enum("".into()))
        );
        assert_eq!(
            conv(ColumnKind::Enum(labels.clone()), ColumnValue::Enum(3)),
            Ok(Value::Enum("c".into()))
        );
        assert!(conv(ColumnKind::Enum(labels.clone()), ColumnValue::Enum(4)).is_err());
        assert_eq!(
            conv(ColumnKind::Set(labels.clone()), ColumnValue::Set(0b101)),
            Ok(Value::Set(vec!["a".into(), "c".into()].into()))
        );
        assert!(conv(ColumnKind::Set(labels), ColumnValue::Set(0b1000)).is_err());
        assert_eq!(
            conv(ColumnKind::Bits { len: 10 }, ColumnValue::Bit(0x3ff)),
            Ok(Value::Bits {
                len: 10,
                bytes: vec![0x03, 0xff].into()
            })
        );
        assert!(conv(ColumnKind::Bits { len: 10 }, ColumnValue::Bit(0x400)).is_err());
        assert_eq!(
            conv(ColumnKind::Bool, ColumnValue::Bit(1)),
            Ok(Value::Bool(true))
        );
        let geometry = [7, 0, 0, 0, 1, 2];
        assert_eq!(
            conv(
                ColumnKind::Geometry,
                ColumnValue::Geometry(Cow::Borrowed(&geometry))
            ),
            Ok(Value::Geometry {
                wkb: vec![1, 2].into(),
                srid: Some(7)
            })
        );
        assert!(
            conv(
                ColumnKind::Geometry,
                ColumnValue::Geometry(Cow::Borrowed(&[1]))
            )
            .is_err()
        );
    }
}
