//! Debezium's type mapping: a column description to a Connect schema and a converter.
//!
//! # Built once, run per value
//! [`plan_column`] reads a [`ColumnDescription`] and the [`EnvelopeOptions`] once per table
//! schema version and returns a [`ValueConverter`]: the field schema plus a small enum that
//! says how to turn a [`Value`] into a [`Datum`]. Converting borrows from the value (strings,
//! bytes, JSON text, decimals already at the column's scale) and from the converter
//! (placeholders, defaults), so the common paths allocate nothing per row.
//!
//! # Sources
//! Debezium `PostgresValueConverter`, `BinlogValueConverters` (MySQL/MariaDB) and
//! `JdbcValueConverters` (read with the search tool; see docs/debezium-compat-findings.md):
//! - NULL in a NOT NULL column (a PostgreSQL `before` image under REPLICA IDENTITY DEFAULT,
//!   a MySQL zero date) becomes the column default, else a per-type fallback
//!   (`JdbcValueConverters.convertValue`): 0, `""`, epoch, empty bytes.
//! - Bits are little-endian (`BitSet.toByteArray`); MySQL pads to the column's byte length,
//!   PostgreSQL keeps only the bytes its set bits need.
//! - PostgreSQL `timestamptz`/MySQL `TIMESTAMP` strings pad the fraction to the column's
//!   fractional-second digits ([`crate::temporal`]).

use std::borrow::Cow;

use crate::datum::{Datum, Seq};
use crate::decimal::Decimal;
use crate::logical::{connect, debezium};
use crate::options::{
    BigIntUnsignedHandlingMode, BinaryHandlingMode, DecimalHandlingMode, EnvelopeOptions,
    HstoreHandlingMode, IntervalHandlingMode, TimePrecisionMode,
};
use crate::schema::{SchemaBuilder, SchemaError, SchemaRef};
use crate::table::ColumnDescription;
use crate::temporal;
use crate::value::{Extended, Numeric, Value};

/// PostgreSQL `infinity` timestamp in microseconds (`PGStatement.DATE_POSITIVE_INFINITY`),
/// which Debezium writes for `MicroTimestamp` (and divided by 1000 for millisecond types).
pub const PG_POSITIVE_INFINITY_MICROS: i64 = 9_223_372_036_825_200_000;
/// PostgreSQL `-infinity` timestamp in microseconds (`PGStatement.DATE_NEGATIVE_INFINITY`).
pub const PG_NEGATIVE_INFINITY_MICROS: i64 = -9_223_372_036_832_400_000;
/// What Debezium writes for a PostgreSQL `infinity` date: the epoch day of
/// `PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE` (`-5877611-06-21`).
pub const PG_POSITIVE_INFINITY_DATE: i32 = -2_147_472_693;
/// What Debezium writes for a PostgreSQL `-infinity` date (`-5877611-06-22`).
pub const PG_NEGATIVE_INFINITY_DATE: i32 = -2_147_472_692;

/// The largest scale change a converter performs: PostgreSQL's own limit on `numeric`
/// scale. Larger gaps (a corrupt description) are errors, not giant allocations.
const MAX_RESCALE: i32 = 16_383;

/// Why a value could not be converted. The envelope builder adds the table and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The value's kind does not belong in this column (a reader/description mismatch).
    #[error("a {found} value does not fit this column, which expects {expected}")]
    Mismatch {
        /// What the column's converter takes.
        expected: &'static str,
        /// The value's variant.
        found: &'static str,
    },
    /// The value does not fit the Connect type chosen for the column.
    #[error("value {value} is out of range for {target}")]
    OutOfRange {
        /// The value, as text.
        value: String,
        /// The Connect type.
        target: &'static str,
    },
    /// NaN or ±Infinity in a `numeric` column under `decimal.handling.mode=precise`.
    #[error(
        "{value} cannot be written as a Connect Decimal; set decimal.handling.mode=string (or double) to capture it"
    )]
    SpecialDecimal {
        /// `NaN`, `Infinity` or `-Infinity`.
        value: &'static str,
    },
    /// A decimal with more fraction digits than the column's scale.
    #[error("decimal has scale {scale}, more than the column's scale {column_scale}")]
    ScaleTooLarge {
        /// The value's scale.
        scale: i32,
        /// The column's scale.
        column_scale: i32,
    },
    /// An unchanged TOAST marker in a column type Debezium has no placeholder for.
    #[error(
        "an unchanged TOASTed value arrived for a type with no placeholder; use REPLICA IDENTITY FULL for this table"
    )]
    UnchangedToast,
    /// Malformed data inside a value (hstore text, point WKB).
    #[error("malformed {what}")]
    Malformed {
        /// What could not be read.
        what: &'static str,
    },
}

/// Why a column's schema or converter could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot map column `{column}` of type `{type_name}`: {reason}")]
pub struct MappingError {
    /// The column name.
    pub column: String,
    /// The column's database type.
    pub type_name: String,
    /// What went wrong.
    pub reason: String,
}

/// How one value is converted; chosen once per column.
#[derive(Debug, Clone, PartialEq)]
enum Conv {
    Boolean,
    Int16,
    Int32,
    Int64,
    /// MySQL `BIGINT UNSIGNED` with `bigint.unsigned.handling.mode=long`: two's complement wrap.
    UInt64Wrapped,
    /// MySQL `BIGINT UNSIGNED` with `precise`: Decimal scale 0.
    UInt64Decimal,
    Float32,
    Float64,
    Decimal {
        scale: i32,
    },
    VariableScaleDecimal,
    DecimalDouble,
    DecimalString {
        scale: Option<i32>,
    },
    Money {
        digits: i32,
    },
    Text,
    Uuid,
    EnumSet,
    Binary {
        mode: BinaryHandlingMode,
        pad_to: usize,
    },
    Bits {
        pad_to: Option<usize>,
    },
    Date,
    TimeMillis,
    TimeMicros,
    TimestampMillis,
    TimestampMicros,
    ZonedTimestamp {
        width: Option<u32>,
    },
    ZonedTime,
    Year,
    IntervalMicros,
    IntervalString,
    HstoreJson,
    HstoreMap,
    Geometry,
    PgPoint,
    MySqlPoint,
    Array(Box<Conv>),
    UnknownBinary(BinaryHandlingMode),
}

/// Converts one column's values to Connect values matching [`ValueConverter::schema`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValueConverter {
    conv: Conv,
    nullable: bool,
    schema: SchemaRef,
    /// What NULL becomes in a NOT NULL column: the schema default, else Debezium's fallback.
    null_replacement: Datum<'static>,
    /// `unavailable.value.placeholder` shaped for this column, when the type has one.
    toast: Option<Datum<'static>>,
}

impl ValueConverter {
    /// The same conversion with another field schema (the same type, more parameters).
    pub(crate) fn with_schema(mut self, schema: SchemaRef) -> Self {
        self.schema = schema;
        self
    }

    /// The column's field schema (optional when nullable, with its default).
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Converts one value; borrows from `value` and `self` where the bytes already exist.
    pub fn convert<'a>(&'a self, value: &'a Value) -> Result<Datum<'a>, ConvertError> {
        match value {
            Value::Null | Value::ZeroDate => Ok(if self.nullable {
                Datum::Null
            } else {
                borrow(&self.null_replacement)
            }),
            Value::UnchangedToast => self
                .toast
                .as_ref()
                .map(borrow)
                .ok_or(ConvertError::UnchangedToast),
            v => self.conv.convert(v),
        }
    }
}

/// A view of a stored `'static` datum that borrows its strings, bytes and children.
pub(crate) fn borrow<'a>(d: &'a Datum<'static>) -> Datum<'a> {
    match d {
        Datum::String(s) => Datum::String(Cow::Borrowed(s)),
        Datum::Bytes(b) => Datum::Bytes(Cow::Borrowed(b)),
        Datum::Array(items) => Datum::Array(Seq::Borrowed(items)),
        Datum::Struct(items) => Datum::Struct(Seq::Borrowed(items)),
        Datum::Map(entries) => Datum::Map(Seq::Borrowed(entries)),
        other => other.clone(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int16(_) => "int16",
        Value::Int32(_) => "int32",
        Value::Int64(_) => "int64",
        Value::UInt64(_) => "uint64",
        Value::Float32(_) => "float32",
        Value::Float64(_) => "float64",
        Value::Numeric(_) => "numeric",
        Value::Text(_) => "text",
        Value::Bytes(_) => "bytes",
        Value::Json(_) => "json",
        Value::Date(_) => "date",
        Value::ZeroDate => "zero date",
        Value::Time(_) => "time",
        Value::TimeTz { .. } => "timetz",
        Value::Timestamp(_) => "timestamp",
        Value::TimestampTz(_) => "timestamptz",
        Value::Interval { .. } => "interval",
        Value::Uuid(_) => "uuid",
        Value::Enum(_) => "enum",
        Value::Set(_) => "set",
        Value::Bits { .. } => "bits",
        Value::Array(_) => "array",
        Value::Geometry { .. } => "geometry",
        Value::Point { .. } => "point",
        Value::UnchangedToast => "unchanged TOAST",
        Value::Unknown(_) => "unknown-type text",
    }
}

fn mismatch(expected: &'static str, v: &Value) -> ConvertError {
    ConvertError::Mismatch {
        expected,
        found: kind(v),
    }
}

fn integer(v: &Value) -> Option<i128> {
    match v {
        Value::Int16(x) => Some(i128::from(*x)),
        Value::Int32(x) => Some(i128::from(*x)),
        Value::Int64(x) => Some(i128::from(*x)),
        Value::UInt64(x) => Some(i128::from(*x)),
        _ => None,
    }
}

fn fit<T: TryFrom<i128>>(
    v: &Value,
    expected: &'static str,
    target: &'static str,
) -> Result<T, ConvertError> {
    let n = integer(v).ok_or_else(|| mismatch(expected, v))?;
    T::try_from(n).map_err(|_| ConvertError::OutOfRange {
        value: n.to_string(),
        target,
    })
}

fn owned_bytes<'a>(bytes: Vec<u8>) -> Datum<'a> {
    Datum::Bytes(Cow::Owned(bytes))
}

fn owned_str<'a>(s: String) -> Datum<'a> {
    Datum::String(Cow::Owned(s))
}

fn text_of(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) | Value::Json(s) | Value::Enum(s) | Value::Unknown(s) => Some(s),
        _ => None,
    }
}

impl Conv {
    fn convert<'a>(&self, v: &'a Value) -> Result<Datum<'a>, ConvertError> {
        Ok(match self {
            Conv::Boolean => match v {
                Value::Bool(b) => Datum::Boolean(*b),
                Value::Bits { bytes, .. } => Datum::Boolean(bytes.iter().any(|b| *b != 0)),
                other => {
                    Datum::Boolean(integer(other).ok_or_else(|| mismatch("boolean", other))? != 0)
                }
            },
            Conv::Int16 => Datum::Int16(fit(v, "integer", "INT16")?),
            Conv::Int32 => Datum::Int32(fit(v, "integer", "INT32")?),
            Conv::Int64 => Datum::Int64(fit(v, "integer", "INT64")?),
            Conv::UInt64Wrapped => match v {
                Value::UInt64(x) => Datum::Int64(*x as i64),
                other => Datum::Int64(fit(other, "integer", "INT64")?),
            },
            Conv::UInt64Decimal => {
                let n = integer(v).ok_or_else(|| mismatch("integer", v))?;
                owned_bytes(Decimal::from_i128(n, 0).unscaled_twos_complement().to_vec())
            }
            Conv::Float32 => match v {
                Value::Float32(x) => Datum::Float32(*x),
                Value::Float64(x) => Datum::Float32(*x as f32),
                other => return Err(mismatch("float", other)),
            },
            Conv::Float64 => match v {
                Value::Float64(x) => Datum::Float64(*x),
                Value::Float32(x) => Datum::Float64(f64::from(*x)),
                other => return Err(mismatch("double", other)),
            },
            Conv::Decimal { scale } => {
                let d = finite(v)?;
                if d.scale() == *scale {
                    Datum::bytes(d.unscaled_twos_complement())
                } else if d.scale() < *scale && *scale - d.scale() <= MAX_RESCALE {
                    owned_bytes(
                        d.with_scale_half_up(*scale)
                            .unscaled_twos_complement()
                            .to_vec(),
                    )
                } else {
                    return Err(ConvertError::ScaleTooLarge {
                        scale: d.scale(),
                        column_scale: *scale,
                    });
                }
            }
            Conv::VariableScaleDecimal => {
                let d = finite(v)?.strip_trailing_zeros_min_scale_zero();
                Datum::structure_owned(vec![
                    Datum::Int32(d.scale()),
                    owned_bytes(d.unscaled_twos_complement().to_vec()),
                ])
            }
            Conv::DecimalDouble => match v {
                Value::Numeric(Numeric::Finite(d)) => Datum::Float64(d.to_f64()),
                Value::Numeric(Numeric::NaN) => Datum::Float64(f64::NAN),
                Value::Numeric(Numeric::PositiveInfinity) => Datum::Float64(f64::INFINITY),
                Value::Numeric(Numeric::NegativeInfinity) => Datum::Float64(f64::NEG_INFINITY),
                other => return Err(mismatch("numeric", other)),
            },
            Conv::DecimalString { scale } => match v {
                Value::Numeric(Numeric::Finite(d)) => match scale {
                    Some(s) if d.scale() < *s && *s - d.scale() <= MAX_RESCALE => {
                        owned_str(d.with_scale_half_up(*s).to_java_string())
                    }
                    _ => owned_str(d.to_java_string()),
                },
                // SpecialValueDecimal.toString(): the enum constant's name.
                Value::Numeric(Numeric::NaN) => Datum::str("NAN"),
                Value::Numeric(Numeric::PositiveInfinity) => Datum::str("POSITIVE_INFINITY"),
                Value::Numeric(Numeric::NegativeInfinity) => Datum::str("NEGATIVE_INFINITY"),
                other => return Err(mismatch("numeric", other)),
            },
            Conv::Money { digits } => {
                let d = finite(v)?;
                if (i64::from(*digits) - i64::from(d.scale())).abs() > i64::from(MAX_RESCALE) {
                    return Err(ConvertError::ScaleTooLarge {
                        scale: d.scale(),
                        column_scale: *digits,
                    });
                }
                if d.scale() == *digits {
                    Datum::bytes(d.unscaled_twos_complement())
                } else {
                    owned_bytes(
                        d.with_scale_half_up(*digits)
                            .unscaled_twos_complement()
                            .to_vec(),
                    )
                }
            }
            Conv::Text => match text_of(v) {
                Some(s) => Datum::str(s),
                None => match v {
                    Value::Uuid(u) => owned_str(uuid_text(u)),
                    other => return Err(mismatch("text", other)),
                },
            },
            Conv::Uuid => match v {
                Value::Uuid(u) => owned_str(uuid_text(u)),
                Value::Text(s) => Datum::str(s),
                other => return Err(mismatch("uuid", other)),
            },
            Conv::EnumSet => match v {
                Value::Set(labels) => owned_str(labels.join(",")),
                Value::Text(s) | Value::Enum(s) => Datum::str(s),
                other => return Err(mismatch("set", other)),
            },
            Conv::Binary { mode, pad_to } => match v {
                Value::Bytes(b) if b.len() < *pad_to => {
                    let mut padded = b.to_vec();
                    padded.resize(*pad_to, 0);
                    binary(*mode, Cow::Owned(padded))
                }
                Value::Bytes(b) => binary(*mode, Cow::Borrowed(b)),
                other => return Err(mismatch("bytes", other)),
            },
            Conv::Bits { pad_to } => match v {
                Value::Bits { bytes, .. } => {
                    let mut le: Vec<u8> = bytes.iter().rev().copied().collect();
                    match pad_to {
                        // MySQL: BitSet.toByteArray padded back to the column's bytes.
                        Some(n) => le.resize(le.len().max(*n), 0),
                        // PostgreSQL: only the bytes up to the highest set bit.
                        None => {
                            while le.last() == Some(&0) {
                                le.pop();
                            }
                        }
                    }
                    owned_bytes(le)
                }
                other => return Err(mismatch("bits", other)),
            },
            Conv::Date => match v {
                Value::Date(Extended::Finite(d)) => Datum::Int32(*d),
                Value::Date(Extended::PositiveInfinity) => Datum::Int32(PG_POSITIVE_INFINITY_DATE),
                Value::Date(Extended::NegativeInfinity) => Datum::Int32(PG_NEGATIVE_INFINITY_DATE),
                other => return Err(mismatch("date", other)),
            },
            Conv::TimeMillis => match v {
                Value::Time(us) => {
                    Datum::Int32(i32::try_from(us.div_euclid(1000)).map_err(|_| {
                        ConvertError::OutOfRange {
                            value: us.to_string(),
                            target: "INT32 milliseconds",
                        }
                    })?)
                }
                other => return Err(mismatch("time", other)),
            },
            Conv::TimeMicros => match v {
                Value::Time(us) => Datum::Int64(*us),
                other => return Err(mismatch("time", other)),
            },
            Conv::TimestampMillis => match v {
                Value::Timestamp(t) => Datum::Int64(match t {
                    Extended::Finite(us) => us.div_euclid(1000),
                    Extended::PositiveInfinity => PG_POSITIVE_INFINITY_MICROS / 1000,
                    Extended::NegativeInfinity => PG_NEGATIVE_INFINITY_MICROS / 1000,
                }),
                other => return Err(mismatch("timestamp", other)),
            },
            Conv::TimestampMicros => match v {
                Value::Timestamp(t) => Datum::Int64(match t {
                    Extended::Finite(us) => *us,
                    Extended::PositiveInfinity => PG_POSITIVE_INFINITY_MICROS,
                    Extended::NegativeInfinity => PG_NEGATIVE_INFINITY_MICROS,
                }),
                other => return Err(mismatch("timestamp", other)),
            },
            Conv::ZonedTimestamp { width } => match v {
                Value::TimestampTz(Extended::Finite(us)) => {
                    owned_str(temporal::zoned_timestamp(*us, *width))
                }
                Value::TimestampTz(Extended::PositiveInfinity) => Datum::str("infinity"),
                Value::TimestampTz(Extended::NegativeInfinity) => Datum::str("-infinity"),
                other => return Err(mismatch("timestamptz", other)),
            },
            Conv::ZonedTime => match v {
                Value::TimeTz {
                    micros,
                    offset_seconds,
                } => owned_str(temporal::zoned_time(*micros, *offset_seconds)),
                other => return Err(mismatch("timetz", other)),
            },
            Conv::Year => Datum::Int32(fit(v, "year", "INT32")?),
            Conv::IntervalMicros => match v {
                Value::Interval {
                    months,
                    days,
                    micros,
                } => Datum::Int64(temporal::micro_duration(*months, *days, *micros)),
                other => return Err(mismatch("interval", other)),
            },
            Conv::IntervalString => match v {
                Value::Interval {
                    months,
                    days,
                    micros,
                } => owned_str(temporal::interval_iso(*months, *days, *micros)),
                other => return Err(mismatch("interval", other)),
            },
            Conv::HstoreJson => {
                let text = text_of(v).ok_or_else(|| mismatch("hstore", v))?;
                let pairs = java_hashmap_order(parse_hstore(text)?);
                let mut out = Vec::with_capacity(text.len() + 2);
                out.push(b'{');
                for (i, (k, val)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    crate::json::write_json_string(&mut out, k);
                    out.push(b':');
                    match val {
                        Some(s) => crate::json::write_json_string(&mut out, s),
                        None => out.extend_from_slice(b"null"),
                    }
                }
                out.push(b'}');
                owned_str(String::from_utf8_lossy(&out).into_owned())
            }
            Conv::HstoreMap => {
                let text = text_of(v).ok_or_else(|| mismatch("hstore", v))?;
                let pairs = java_hashmap_order(parse_hstore(text)?);
                Datum::map_owned(
                    pairs
                        .into_iter()
                        .map(|(k, val)| (owned_str(k), val.map_or(Datum::Null, owned_str)))
                        .collect(),
                )
            }
            Conv::Geometry => match v {
                Value::Geometry { wkb, srid } => {
                    Datum::structure_owned(vec![Datum::bytes(wkb), srid_datum(*srid)?])
                }
                other => return Err(mismatch("geometry", other)),
            },
            Conv::PgPoint => match v {
                Value::Point { x, y } => Datum::structure_owned(vec![
                    Datum::Float64(*x),
                    Datum::Float64(*y),
                    owned_bytes(point_wkb(*x, *y)),
                    Datum::Null,
                ]),
                other => return Err(mismatch("point", other)),
            },
            Conv::MySqlPoint => match v {
                Value::Geometry { wkb, srid } => {
                    let (x, y) = parse_wkb_point(wkb)?;
                    Datum::structure_owned(vec![
                        Datum::Float64(x),
                        Datum::Float64(y),
                        Datum::bytes(wkb),
                        srid_datum(*srid)?,
                    ])
                }
                Value::Point { x, y } => Datum::structure_owned(vec![
                    Datum::Float64(*x),
                    Datum::Float64(*y),
                    owned_bytes(point_wkb(*x, *y)),
                    Datum::Null,
                ]),
                other => return Err(mismatch("point", other)),
            },
            Conv::Array(element) => match v {
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items.iter() {
                        out.push(match item {
                            Value::Null => Datum::Null,
                            other => element.convert(other)?,
                        });
                    }
                    Datum::array_owned(out)
                }
                other => return Err(mismatch("array", other)),
            },
            Conv::UnknownBinary(mode) => match v {
                Value::Unknown(s) | Value::Text(s) => binary(*mode, Cow::Borrowed(s.as_bytes())),
                Value::Bytes(b) => binary(*mode, Cow::Borrowed(b)),
                other => return Err(mismatch("unknown type", other)),
            },
        })
    }
}

fn finite(v: &Value) -> Result<&Decimal, ConvertError> {
    match v {
        Value::Numeric(Numeric::Finite(d)) => Ok(d),
        Value::Numeric(Numeric::NaN) => Err(ConvertError::SpecialDecimal { value: "NaN" }),
        Value::Numeric(Numeric::PositiveInfinity) => {
            Err(ConvertError::SpecialDecimal { value: "Infinity" })
        }
        Value::Numeric(Numeric::NegativeInfinity) => {
            Err(ConvertError::SpecialDecimal { value: "-Infinity" })
        }
        other => Err(mismatch("numeric", other)),
    }
}

fn srid_datum(srid: Option<u32>) -> Result<Datum<'static>, ConvertError> {
    match srid {
        None => Ok(Datum::Null),
        Some(s) => i32::try_from(s)
            .map(Datum::Int32)
            .map_err(|_| ConvertError::OutOfRange {
                value: s.to_string(),
                target: "INT32 srid",
            }),
    }
}

/// `Point.buildWKBPoint`: byte order 1, then little-endian type 1, x, y (21 bytes).
fn point_wkb(x: f64, y: f64) -> Vec<u8> {
    let mut wkb = Vec::with_capacity(21);
    wkb.push(1);
    wkb.extend_from_slice(&1u32.to_le_bytes());
    wkb.extend_from_slice(&x.to_le_bytes());
    wkb.extend_from_slice(&y.to_le_bytes());
    wkb
}

/// `Point.parseWKBPoint`: exactly a 2D point, either byte order.
fn parse_wkb_point(wkb: &[u8]) -> Result<(f64, f64), ConvertError> {
    let bad = ConvertError::Malformed {
        what: "WKB for a 2D point",
    };
    if wkb.len() != 21 {
        return Err(bad);
    }
    let little = wkb[0] != 0;
    let word = |b: &[u8]| -> Option<[u8; 8]> { b.try_into().ok() };
    let ty: [u8; 4] = wkb[1..5].try_into().map_err(|_| bad.clone())?;
    let ty = if little {
        u32::from_le_bytes(ty)
    } else {
        u32::from_be_bytes(ty)
    };
    let (Some(xb), Some(yb)) = (word(&wkb[5..13]), word(&wkb[13..21])) else {
        return Err(bad);
    };
    if ty != 1 {
        return Err(bad);
    }
    Ok(if little {
        (f64::from_le_bytes(xb), f64::from_le_bytes(yb))
    } else {
        (f64::from_be_bytes(xb), f64::from_be_bytes(yb))
    })
}

fn uuid_text(u: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Binary data per `binary.handling.mode`.
fn binary(mode: BinaryHandlingMode, bytes: Cow<'_, [u8]>) -> Datum<'_> {
    match mode {
        BinaryHandlingMode::Bytes => Datum::Bytes(bytes),
        BinaryHandlingMode::Base64 => {
            let mut out = Vec::with_capacity(bytes.len() * 4 / 3 + 4);
            crate::json::write_base64(&mut out, &bytes);
            owned_str(String::from_utf8_lossy(&out).into_owned())
        }
        BinaryHandlingMode::Base64UrlSafe => {
            let mut out = Vec::with_capacity(bytes.len() * 4 / 3 + 4);
            crate::json::write_base64(&mut out, &bytes);
            let url: String = String::from_utf8_lossy(&out)
                .chars()
                .map(|c| match c {
                    '+' => '-',
                    '/' => '_',
                    c => c,
                })
                .collect();
            owned_str(url)
        }
        BinaryHandlingMode::Hex => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut out = String::with_capacity(bytes.len() * 2);
            for b in bytes.iter() {
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0x0f)] as char);
            }
            owned_str(out)
        }
    }
}

/// Parses PostgreSQL's hstore text (`"a"=>"1", "b"=>NULL`) into pairs in text order; a
/// repeated key keeps its first position and takes the last value, as `HashMap.put` does.
fn parse_hstore(text: &str) -> Result<Vec<(String, Option<String>)>, ConvertError> {
    let bad = || ConvertError::Malformed {
        what: "hstore text",
    };
    let mut pairs: Vec<(String, Option<String>)> = Vec::new();
    let mut chars = text.chars().peekable();
    let skip_ws = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
    };
    let read_item = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Result<Option<String>, ConvertError> {
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some('\\') => s.push(chars.next().ok_or_else(bad)?),
                    Some('"') => return Ok(Some(s)),
                    Some(c) => s.push(c),
                    None => return Err(bad()),
                }
            }
        }
        let mut s = String::new();
        while let Some(&c) = chars.peek() {
            if c == ',' || c == '=' || c.is_whitespace() {
                break;
            }
            s.push(c);
            chars.next();
        }
        if s.is_empty() {
            return Err(bad());
        }
        Ok(if s.eq_ignore_ascii_case("NULL") { None } else { Some(s) })
    };
    loop {
        skip_ws(&mut chars);
        if chars.peek().is_none() {
            break;
        }
        let key = read_item(&mut chars)?.ok_or_else(bad)?;
        skip_ws(&mut chars);
        if chars.next() != Some('=') || chars.next() != Some('>') {
            return Err(bad());
        }
        skip_ws(&mut chars);
        let value = read_item(&mut chars)?;
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => pairs.push((key, value)),
        }
        skip_ws(&mut chars);
        match chars.next() {
            None => break,
            Some(',') => {}
            Some(_) => return Err(bad()),
        }
    }
    Ok(pairs)
}

/// Reorders unique keys (in insertion order) into the iteration order of a Java `HashMap`
/// they were put into: pgjdbc's `HStoreConverter.fromString` returns a `HashMap`, and
/// Debezium writes hstore (JSON text or Connect map) in its iteration order. Buckets are
/// `spread(hashCode) & (capacity - 1)`; the capacity starts at 16 and doubles whenever the
/// size passes 3/4 of it; a bucket keeps insertion order. (Buckets of 8+ entries turn into
/// trees in Java; with String keys that needs colliding hashes and is not reproduced.)
fn java_hashmap_order<V>(pairs: Vec<(String, V)>) -> Vec<(String, V)> {
    let mut capacity: usize = 16;
    while pairs.len() > capacity * 3 / 4 {
        capacity *= 2;
    }
    let mut keyed: Vec<(usize, (String, V))> = pairs
        .into_iter()
        .map(|(k, v)| {
            let mut h: i32 = 0;
            for unit in k.encode_utf16() {
                h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
            }
            let h = h as u32;
            let spread = h ^ (h >> 16);
            ((spread as usize) & (capacity - 1), (k, v))
        })
        .collect();
    keyed.sort_by_key(|(bucket, _)| *bucket);
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// Builds the converter and field schema for one column, or `None` for a type Debezium
/// leaves out (unknown types without `include.unknown.datatypes`).
pub fn plan_column(
    column: &ColumnDescription,
    options: &EnvelopeOptions,
) -> Result<Option<ValueConverter>, MappingError> {
    let err = |reason: String| MappingError {
        column: column.name.to_string(),
        type_name: column.type_name.to_string(),
        reason,
    };
    let planned = if options.connector.is_binlog() {
        plan_mysql(column, options)
    } else {
        plan_pg(column, options)
    };
    let Some(Planned {
        conv,
        schema,
        fallback,
        toast,
    }) = planned
    else {
        return Ok(None);
    };
    // Convert the default like any value, through a converter for the bare type.
    let bare = ValueConverter {
        conv: conv.clone(),
        nullable: true,
        schema: SchemaBuilder::boolean()
            .build()
            .map_err(|e| err(e.to_string()))?,
        null_replacement: Datum::Null,
        toast: None,
    };
    let default = match &column.default {
        Some(v) => bare
            .convert(v)
            .map_err(|e| err(format!("its default value cannot be converted: {e}")))?
            .into_owned(),
        None => Datum::Null,
    };
    let schema = schema
        .optional_if(column.nullable)
        .default_value(default.clone())
        .build()
        .map_err(|e: SchemaError| err(e.to_string()))?;
    let null_replacement = if default.is_null() { fallback } else { default };
    Ok(Some(ValueConverter {
        conv,
        nullable: column.nullable,
        schema,
        null_replacement,
        toast,
    }))
}

struct Planned {
    conv: Conv,
    schema: SchemaBuilder,
    fallback: Datum<'static>,
    toast: Option<Datum<'static>>,
}

fn plan(conv: Conv, schema: SchemaBuilder, fallback: Datum<'static>) -> Planned {
    Planned {
        conv,
        schema,
        fallback,
        toast: None,
    }
}

fn str_static(s: &str) -> Datum<'static> {
    Datum::String(Cow::Owned(s.to_owned()))
}

fn binary_schema(mode: BinaryHandlingMode) -> SchemaBuilder {
    match mode {
        BinaryHandlingMode::Bytes => SchemaBuilder::bytes(),
        _ => SchemaBuilder::string(),
    }
}

fn binary_fallback(mode: BinaryHandlingMode) -> Datum<'static> {
    match mode {
        BinaryHandlingMode::Bytes => Datum::Bytes(Cow::Owned(Vec::new())),
        _ => str_static(""),
    }
}

fn placeholder_text(options: &EnvelopeOptions) -> Datum<'static> {
    owned_str(String::from_utf8_lossy(&options.unavailable_value_placeholder).into_owned())
}

/// Temporal plans shared by both connectors; `fsp` already defaulted per database.
fn plan_date(options: &EnvelopeOptions) -> Planned {
    let schema = match options.time_precision_mode {
        TimePrecisionMode::Connect => connect::date(),
        _ => debezium::date(),
    };
    plan(Conv::Date, schema, Datum::Int32(0))
}

fn plan_time(options: &EnvelopeOptions, fsp: u32) -> Planned {
    match options.time_precision_mode {
        TimePrecisionMode::AdaptiveTimeMicroseconds => {
            plan(Conv::TimeMicros, debezium::micro_time(), Datum::Int64(0))
        }
        TimePrecisionMode::Adaptive if fsp <= 3 => {
            plan(Conv::TimeMillis, debezium::time(), Datum::Int32(0))
        }
        TimePrecisionMode::Adaptive => {
            plan(Conv::TimeMicros, debezium::micro_time(), Datum::Int64(0))
        }
        TimePrecisionMode::Connect => plan(Conv::TimeMillis, connect::time(), Datum::Int32(0)),
    }
}

fn plan_timestamp(options: &EnvelopeOptions, fsp: u32) -> Planned {
    match options.time_precision_mode {
        TimePrecisionMode::Connect => {
            plan(Conv::TimestampMillis, connect::timestamp(), Datum::Int64(0))
        }
        _ if fsp <= 3 => plan(
            Conv::TimestampMillis,
            debezium::timestamp(),
            Datum::Int64(0),
        ),
        _ => plan(
            Conv::TimestampMicros,
            debezium::micro_timestamp(),
            Datum::Int64(0),
        ),
    }
}

fn plan_zoned_timestamp(width: Option<u32>) -> Planned {
    plan(
        Conv::ZonedTimestamp { width },
        debezium::zoned_timestamp(),
        str_static("1970-01-01T00:00:00Z"),
    )
}

fn plan_decimal(options: &EnvelopeOptions, precision: u32, scale: u32) -> Planned {
    let scale_i = i32::try_from(scale).unwrap_or(i32::MAX);
    match options.decimal_handling_mode {
        DecimalHandlingMode::Precise => plan(
            Conv::Decimal { scale: scale_i },
            connect::decimal_with_precision(scale_i, precision),
            Datum::Bytes(Cow::Owned(vec![0])),
        ),
        DecimalHandlingMode::Double => plan(
            Conv::DecimalDouble,
            SchemaBuilder::float64(),
            Datum::Float64(0.0),
        ),
        DecimalHandlingMode::String => plan(
            Conv::DecimalString {
                scale: Some(scale_i),
            },
            SchemaBuilder::string(),
            str_static(&Decimal::from_i128(0, scale_i).to_java_string()),
        ),
    }
}

fn plan_binary(options: &EnvelopeOptions, pad_to: usize) -> Planned {
    let mode = options.binary_handling_mode;
    let mut p = plan(
        Conv::Binary { mode, pad_to },
        binary_schema(mode),
        binary_fallback(mode),
    );
    p.toast = Some(match mode {
        BinaryHandlingMode::Bytes => {
            Datum::Bytes(Cow::Owned(options.unavailable_value_placeholder.to_vec()))
        }
        _ => placeholder_text(options),
    });
    p
}

fn with_text_toast(mut p: Planned, options: &EnvelopeOptions) -> Planned {
    p.toast = Some(placeholder_text(options));
    p
}

fn labels(column: &ColumnDescription) -> String {
    column.enum_values.join(",")
}

fn plan_pg(column: &ColumnDescription, options: &EnvelopeOptions) -> Option<Planned> {
    let lower = column.type_name.trim().to_ascii_lowercase();
    let (base, is_array) = if let Some(b) = lower.strip_suffix("[]") {
        (b.to_owned(), true)
    } else if let Some(b) = lower.strip_prefix('_') {
        (b.to_owned(), true)
    } else {
        (lower, false)
    };
    let element = plan_pg_scalar(&base, column, options)?;
    if !is_array {
        return Some(element);
    }
    // Debezium's explicit array list uses optional element schemas; enum arrays do not.
    let enum_element = element.schema_name_is(debezium::ENUM);
    let element_schema = if enum_element {
        element.schema.clone()
    } else {
        element.schema.clone().optional()
    }
    .build()
    .ok()?;
    let toast = match &element.toast {
        Some(Datum::String(s)) => Some(Datum::array_owned(vec![owned_str(s.to_string())])),
        Some(Datum::Bytes(b)) => Some(Datum::array_owned(vec![Datum::Bytes(Cow::Owned(
            b.to_vec(),
        ))])),
        _ => match element.conv {
            Conv::Int32 => Some(Datum::array_owned(
                options
                    .unavailable_value_placeholder
                    .iter()
                    .map(|b| Datum::Int32(i32::from(*b as i8)))
                    .collect(),
            )),
            Conv::Int64 => Some(Datum::array_owned(
                options
                    .unavailable_value_placeholder
                    .iter()
                    .map(|b| Datum::Int64(i64::from(*b as i8)))
                    .collect(),
            )),
            _ => None,
        },
    };
    Some(Planned {
        conv: Conv::Array(Box::new(element.conv)),
        schema: SchemaBuilder::array(element_schema),
        fallback: Datum::array_owned(Vec::new()),
        toast,
    })
}

impl Planned {
    fn schema_name_is(&self, name: &str) -> bool {
        self.schema
            .clone()
            .build()
            .ok()
            .and_then(|s| s.name().map(|n| n == name))
            == Some(true)
    }
}

fn plan_pg_scalar(
    base: &str,
    column: &ColumnDescription,
    options: &EnvelopeOptions,
) -> Option<Planned> {
    let fsp = column.fsp.unwrap_or(6);
    let text =
        |schema: SchemaBuilder| with_text_toast(plan(Conv::Text, schema, str_static("")), options);
    Some(match base {
        "bool" | "boolean" => plan(
            Conv::Boolean,
            SchemaBuilder::boolean(),
            Datum::Boolean(false),
        ),
        "bit" | "varbit" | "bit varying" => match column.length {
            Some(n) if n > 1 => plan(
                Conv::Bits { pad_to: None },
                debezium::bits(n),
                Datum::Bytes(Cow::Owned(Vec::new())),
            ),
            _ => plan(
                Conv::Boolean,
                SchemaBuilder::boolean(),
                Datum::Boolean(false),
            ),
        },
        "int2" | "smallint" | "smallserial" => {
            plan(Conv::Int16, SchemaBuilder::int16(), Datum::Int16(0))
        }
        "int4" | "int" | "integer" | "serial" => {
            plan(Conv::Int32, SchemaBuilder::int32(), Datum::Int32(0))
        }
        "int8" | "bigint" | "bigserial" | "oid" => {
            plan(Conv::Int64, SchemaBuilder::int64(), Datum::Int64(0))
        }
        "float4" | "real" => plan(Conv::Float32, SchemaBuilder::float32(), Datum::Float32(0.0)),
        "float8" | "double precision" => {
            plan(Conv::Float64, SchemaBuilder::float64(), Datum::Float64(0.0))
        }
        "numeric" | "decimal" => match (column.length, options.decimal_handling_mode) {
            (None | Some(0), DecimalHandlingMode::Precise) if column.scale.unwrap_or(0) == 0 => {
                plan(
                    Conv::VariableScaleDecimal,
                    debezium::variable_scale_decimal(),
                    Datum::structure_owned(vec![
                        Datum::Int32(0),
                        Datum::Bytes(Cow::Owned(vec![0])),
                    ]),
                )
            }
            (None, DecimalHandlingMode::String) => plan(
                Conv::DecimalString { scale: None },
                SchemaBuilder::string(),
                str_static("0"),
            ),
            (p, _) => plan_decimal(options, p.unwrap_or(0), column.scale.unwrap_or(0)),
        },
        "money" => match options.decimal_handling_mode {
            DecimalHandlingMode::Precise => plan(
                Conv::Money {
                    digits: options.money_fraction_digits,
                },
                connect::decimal(options.money_fraction_digits),
                Datum::Bytes(Cow::Owned(vec![0])),
            ),
            DecimalHandlingMode::Double => plan(
                Conv::DecimalDouble,
                SchemaBuilder::float64(),
                Datum::Float64(0.0),
            ),
            DecimalHandlingMode::String => plan(
                Conv::DecimalString { scale: None },
                SchemaBuilder::string(),
                str_static(&Decimal::from_i128(0, options.money_fraction_digits).to_plain_string()),
            ),
        },
        "char" | "bpchar" | "character" | "varchar" | "character varying" | "text" | "citext"
        | "name" | "inet" | "cidr" | "macaddr" | "macaddr8" | "int4range" | "int8range"
        | "numrange" | "tsrange" | "tstzrange" | "daterange" | "isbn" | "tsvector" => {
            text(SchemaBuilder::string())
        }
        "json" | "jsonb" => text(debezium::json()),
        "xml" => text(debezium::xml()),
        "ltree" => text(debezium::ltree()),
        "uuid" => plan(Conv::Uuid, debezium::uuid(), str_static("")),
        "bytea" => plan_binary(options, 0),
        "hstore" => match options.hstore_handling_mode {
            HstoreHandlingMode::Json => {
                let mut p = plan(Conv::HstoreJson, debezium::json(), str_static("{}"));
                p.toast = Some(placeholder_text(options));
                p
            }
            HstoreHandlingMode::Map => {
                let keys = SchemaBuilder::string().build().ok()?;
                let values = SchemaBuilder::string().optional().build().ok()?;
                let ph =
                    String::from_utf8_lossy(&options.unavailable_value_placeholder).into_owned();
                let mut p = plan(
                    Conv::HstoreMap,
                    SchemaBuilder::map(keys, values),
                    Datum::map_owned(Vec::new()),
                );
                p.toast = Some(Datum::map_owned(vec![(
                    owned_str(ph.clone()),
                    owned_str(ph),
                )]));
                p
            }
        },
        "interval" => match options.interval_handling_mode {
            IntervalHandlingMode::Numeric => plan(
                Conv::IntervalMicros,
                debezium::micro_duration(),
                Datum::Int64(0),
            ),
            IntervalHandlingMode::String => plan(
                Conv::IntervalString,
                debezium::interval(),
                str_static("P0Y0M0DT0H0M0S"),
            ),
        },
        "date" => plan_date(options),
        "time" | "time without time zone" => plan_time(options, fsp),
        "timetz" | "time with time zone" => plan(
            Conv::ZonedTime,
            debezium::zoned_time(),
            str_static("00:00:00Z"),
        ),
        "timestamp" | "timestamp without time zone" => plan_timestamp(options, fsp),
        "timestamptz" | "timestamp with time zone" => plan_zoned_timestamp(Some(fsp)),
        "point" => plan(
            Conv::PgPoint,
            debezium::point(),
            Datum::structure_owned(vec![
                Datum::Float64(0.0),
                Datum::Float64(0.0),
                Datum::Bytes(Cow::Owned(point_wkb(0.0, 0.0))),
                Datum::Null,
            ]),
        ),
        "geometry" | "geography" => {
            let (schema, toast_hex) = if base == "geometry" {
                (
                    debezium::geometry(),
                    "0101000020E6100000000000FC83D797C1000000FC83D797C1",
                )
            } else {
                (
                    debezium::geography(),
                    "0101000020E61000000C21E7FDFF7F66401842CEFBFF7F5640",
                )
            };
            let mut p = plan(
                Conv::Geometry,
                schema,
                Datum::structure_owned(vec![Datum::Bytes(Cow::Owned(Vec::new())), Datum::Null]),
            );
            p.toast = Some(Datum::structure_owned(vec![
                Datum::Bytes(Cow::Owned(hex_bytes(toast_hex))),
                Datum::Int32(4326),
            ]));
            p
        }
        _ if !column.enum_values.is_empty() => with_text_toast(
            plan(
                Conv::Text,
                debezium::enumeration(&labels(column)),
                str_static(""),
            ),
            options,
        ),
        _ if options.include_unknown_datatypes => {
            let mode = options.binary_handling_mode;
            plan(
                Conv::UnknownBinary(mode),
                binary_schema(mode),
                binary_fallback(mode),
            )
        }
        _ => return None,
    })
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    hex.as_bytes()
        .chunks_exact(2)
        .map(|p| {
            let d = |b: u8| match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => 0,
            };
            d(p[0]) << 4 | d(p[1])
        })
        .collect()
}

fn plan_mysql(column: &ColumnDescription, options: &EnvelopeOptions) -> Option<Planned> {
    let upper = column.type_name.trim().to_ascii_uppercase();
    let upper = upper.strip_suffix(" ZEROFILL").unwrap_or(&upper).to_owned();
    let fsp = column.fsp.unwrap_or(0);
    let text =
        |schema: SchemaBuilder, fallback: &str| plan(Conv::Text, schema, str_static(fallback));
    Some(match upper.as_str() {
        "BOOL" | "BOOLEAN" => plan(
            Conv::Boolean,
            SchemaBuilder::boolean(),
            Datum::Boolean(false),
        ),
        "BIT" => match column.length {
            Some(n) if n > 1 => plan(
                Conv::Bits {
                    pad_to: Some(n.div_ceil(8) as usize),
                },
                debezium::bits(n),
                Datum::Bytes(Cow::Owned(Vec::new())),
            ),
            _ => plan(
                Conv::Boolean,
                SchemaBuilder::boolean(),
                Datum::Boolean(false),
            ),
        },
        "TINYINT" | "TINYINT UNSIGNED" | "SMALLINT" | "INT1" | "INT1 UNSIGNED" | "INT2" => {
            plan(Conv::Int16, SchemaBuilder::int16(), Datum::Int16(0))
        }
        "SMALLINT UNSIGNED" | "INT2 UNSIGNED" | "MEDIUMINT" | "MEDIUMINT UNSIGNED" | "INT3"
        | "INT3 UNSIGNED" | "MIDDLEINT" | "MIDDLEINT UNSIGNED" | "INT" | "INTEGER" | "INT4" => {
            plan(Conv::Int32, SchemaBuilder::int32(), Datum::Int32(0))
        }
        "INT UNSIGNED" | "INTEGER UNSIGNED" | "INT4 UNSIGNED" | "BIGINT" | "INT8" | "SERIAL" => {
            plan(Conv::Int64, SchemaBuilder::int64(), Datum::Int64(0))
        }
        "BIGINT UNSIGNED" | "INT8 UNSIGNED" => match options.bigint_unsigned_handling_mode {
            BigIntUnsignedHandlingMode::Long => {
                plan(Conv::UInt64Wrapped, SchemaBuilder::int64(), Datum::Int64(0))
            }
            BigIntUnsignedHandlingMode::Precise => plan(
                Conv::UInt64Decimal,
                connect::decimal_with_precision(0, 20),
                Datum::Bytes(Cow::Owned(vec![0])),
            ),
        },
        "FLOAT" | "FLOAT UNSIGNED"
            if column.scale.is_none() && column.length.unwrap_or(0) <= 24 =>
        {
            plan(Conv::Float32, SchemaBuilder::float32(), Datum::Float32(0.0))
        }
        "FLOAT" | "FLOAT UNSIGNED" | "DOUBLE" | "DOUBLE UNSIGNED" | "DOUBLE PRECISION" | "REAL" => {
            plan(Conv::Float64, SchemaBuilder::float64(), Datum::Float64(0.0))
        }
        "DECIMAL" | "DECIMAL UNSIGNED" | "NUMERIC" | "NUMERIC UNSIGNED" | "DEC" | "FIXED" => {
            plan_decimal(
                options,
                column.length.unwrap_or(10),
                column.scale.unwrap_or(0),
            )
        }
        "CHAR" | "VARCHAR" | "NCHAR" | "NVARCHAR" | "NATIONAL CHAR" | "NATIONAL VARCHAR"
        | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "CHARACTER" | "CHARACTER VARYING" => {
            text(SchemaBuilder::string(), "")
        }
        "JSON" => text(debezium::json(), "{}"),
        "BINARY" => plan_binary(options, column.length.unwrap_or(0) as usize),
        "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => plan_binary(options, 0),
        "ENUM" => text(debezium::enumeration(&labels(column)), ""),
        "SET" => plan(
            Conv::EnumSet,
            debezium::enum_set(&labels(column)),
            str_static(""),
        ),
        "YEAR" => plan(Conv::Year, debezium::year(), Datum::Int32(0)),
        "DATE" => plan_date(options),
        "TIME" => plan_time(options, fsp),
        "DATETIME" => plan_timestamp(options, fsp),
        "TIMESTAMP" => plan_zoned_timestamp(Some(fsp)),
        "POINT" => plan(
            Conv::MySqlPoint,
            debezium::point(),
            Datum::structure_owned(vec![
                Datum::Float64(0.0),
                Datum::Float64(0.0),
                Datum::Bytes(Cow::Owned(point_wkb(0.0, 0.0))),
                Datum::Null,
            ]),
        ),
        "GEOMETRY" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING"
        | "MULTIPOLYGON" | "GEOMETRYCOLLECTION" | "GEOMCOLLECTION" => plan(
            Conv::Geometry,
            debezium::geometry(),
            Datum::structure_owned(vec![Datum::Bytes(Cow::Owned(Vec::new())), Datum::Null]),
        ),
        _ if options.include_unknown_datatypes => {
            let mode = options.binary_handling_mode;
            plan(
                Conv::UnknownBinary(mode),
                binary_schema(mode),
                binary_fallback(mode),
            )
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashmap_order_matches_java() {
        // Java: new HashMap<>() with "a","b","c" iterates a, b, c (hashes 97, 98, 99);
        // "key10","key2" land in buckets by their spread hash.
        let order: Vec<String> = java_hashmap_order(vec![
            ("c".to_owned(), ()),
            ("a".to_owned(), ()),
            ("b".to_owned(), ()),
        ])
        .into_iter()
        .map(|(k, _)| k)
        .collect();
        assert_eq!(order, ["a", "b", "c"]);
    }

    #[test]
    fn hstore_text_parses() {
        let pairs = parse_hstore(r#""a"=>"1", "b"=>NULL, "q\"x"=>"y\\z""#).unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a".to_owned(), Some("1".to_owned())),
                ("b".to_owned(), None),
                ("q\"x".to_owned(), Some("y\\z".to_owned())),
            ]
        );
        assert!(parse_hstore(r#""a"=>"#).is_err());
        assert!(parse_hstore(r#""a" "b""#).is_err());
        assert_eq!(parse_hstore("").unwrap(), vec![]);
    }

    #[test]
    fn wkb_point_round_trips() {
        let wkb = point_wkb(1.5, -2.0);
        assert_eq!(wkb.len(), 21);
        assert_eq!(parse_wkb_point(&wkb).unwrap(), (1.5, -2.0));
        assert!(parse_wkb_point(&wkb[..20]).is_err());
    }
}
