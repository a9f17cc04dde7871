//! The typed column value both log readers produce.
//!
//! # Design
//! One enum for PostgreSQL (`pgoutput`) and MySQL/MariaDB (binlog) so the envelope and the
//! converters have a single input. The rule is *lose nothing the database can hold*: every
//! variant keeps the database's full range and precision (infinities, NaN, negative and
//! over-24-hour times, unbounded decimals, the "unchanged TOAST" marker), because the choice
//! of what to emit belongs to the type mapping (`time.precision.mode`,
//! `decimal.handling.mode`, ...), which runs later and may need the exact value.
//!
//! Values are plain data, owned (`Box<str>`, `Box<[u8]>`: immutable and one word smaller
//! than `String`/`Vec`), and never validated against a column type here; the mapping does
//! that with the column's metadata.
//!
//! Temporal values use the Unix epoch (1970-01-01) and microseconds, the finest unit either
//! database stores: PostgreSQL's own epoch (2000-01-01) is converted by its decoder.

use crate::decimal::Decimal;

/// A value that may also be one of the two infinities PostgreSQL allows for `date`,
/// `timestamp`, `timestamptz` (and `numeric` via [`Numeric`]).
///
/// Debezium maps them to fixed sentinels (e.g. `9223372036825200000` for `+infinity`
/// timestamps), so the mapping needs to know an infinity from a finite value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extended<T> {
    /// An ordinary value.
    Finite(T),
    /// PostgreSQL `infinity`.
    PositiveInfinity,
    /// PostgreSQL `-infinity`.
    NegativeInfinity,
}

/// A PostgreSQL `numeric` or MySQL `DECIMAL` value.
///
/// PostgreSQL `numeric` also holds `NaN` and (since 14) `±Infinity`; Debezium writes those
/// differently per `decimal.handling.mode`, so they are kept apart from finite values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Numeric {
    /// An exact finite value.
    Finite(Decimal),
    /// `NaN`.
    NaN,
    /// `Infinity`.
    PositiveInfinity,
    /// `-Infinity`.
    NegativeInfinity,
}

/// One column's value in a row change.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// PostgreSQL `boolean`, `bit(1)`; MySQL `BIT(1)` and `BOOLEAN` columns (known from DDL).
    Bool(bool),
    /// PostgreSQL `smallint`; MySQL `TINYINT`/`SMALLINT` (signed). Kept at the database's
    /// width so the mapping can pick INT16/INT32 without re-deriving the type.
    Int16(i16),
    /// PostgreSQL `integer`; MySQL `MEDIUMINT`, `INT`, and the unsigned types that fit.
    Int32(i32),
    /// PostgreSQL `bigint`, `oid`; MySQL `BIGINT` and `INT UNSIGNED`.
    Int64(i64),
    /// MySQL `BIGINT UNSIGNED`: its upper half does not fit `i64`, and Debezium writes it
    /// either as a wrapped INT64 (`bigint.unsigned.handling.mode=long`) or as a Decimal
    /// (`precise`), so the exact unsigned value must survive decoding.
    UInt64(u64),
    /// PostgreSQL `real`; MySQL `FLOAT`. NaN and ±infinity are legal values.
    Float32(f32),
    /// PostgreSQL `double precision`; MySQL `DOUBLE`. NaN and ±infinity are legal values.
    Float64(f64),
    /// PostgreSQL `numeric`/`decimal`/`money` (money as its fixed-scale amount); MySQL
    /// `DECIMAL`/`NUMERIC`. See [`Decimal`] for why the unscaled value is two's complement.
    Numeric(Numeric),
    /// Character data decoded to UTF-8: `char`, `varchar`, `text`, `citext`, `inet`, `cidr`,
    /// `macaddr`, ranges, `xml`, `ltree`, MySQL `CHAR`/`VARCHAR`/`*TEXT` whatever their
    /// charset. The decoders convert charsets; this model only holds Unicode text.
    Text(Box<str>),
    /// Binary data: `bytea`, MySQL `BINARY`/`VARBINARY`/`*BLOB`.
    Bytes(Box<[u8]>),
    /// `json`, `jsonb`, MySQL `JSON` as JSON text. Kept apart from [`Value::Text`] because
    /// Debezium names the schema `io.debezium.data.Json`; MySQL's binary JSON is rendered to
    /// text by the decoder.
    Json(Box<str>),
    /// A calendar date, as days since 1970-01-01 (PostgreSQL's range, 4713 BC to 5874897 AD,
    /// fits `i32`), or PostgreSQL's `±infinity`.
    Date(Extended<i32>),
    /// MySQL `DATE`/`DATETIME`/`TIMESTAMP` with a zero year, month or day (`0000-00-00`),
    /// which no calendar can hold. Debezium writes null for a nullable column and the epoch
    /// for a `NOT NULL` one, which only the mapping knows; the decoder must not guess.
    ZeroDate,
    /// A time of day or a MySQL `TIME`, in microseconds since midnight. PostgreSQL `time`
    /// spans `00:00:00` to `24:00:00` inclusive; MySQL `TIME` is really a duration from
    /// `-838:59:59` to `838:59:59`, hence signed and not capped at a day (Debezium's
    /// `MicroTime` carries it the same way).
    Time(i64),
    /// PostgreSQL `timetz`: local time of day in microseconds and the zone's offset in
    /// seconds *east* of UTC (ISO sign; PostgreSQL's wire value counts west and the decoder
    /// flips it). Debezium's `ZonedTime` renders it shifted to UTC, so both parts are kept.
    TimeTz {
        /// Microseconds since local midnight.
        micros: i64,
        /// Offset from UTC in seconds, positive east of Greenwich.
        offset_seconds: i32,
    },
    /// A zone-less date and time (`timestamp`, MySQL `DATETIME`) as microseconds since
    /// 1970-01-01T00:00:00 read as if it were UTC (Debezium's convention), or `±infinity`.
    Timestamp(Extended<i64>),
    /// An instant (`timestamptz`, MySQL `TIMESTAMP`) as microseconds since the Unix epoch in
    /// UTC, or `±infinity`. The session zone is not kept: Debezium renders these in UTC.
    TimestampTz(Extended<i64>),
    /// PostgreSQL `interval`, in its three independent parts: months and days cannot be
    /// folded into microseconds without a calendar (a month is 28-31 days, a day may have 23
    /// or 25 hours), and Debezium's `interval.handling.mode=string` prints them separately.
    Interval {
        /// Whole months (years × 12 + months).
        months: i32,
        /// Whole days.
        days: i32,
        /// The time part in microseconds.
        micros: i64,
    },
    /// PostgreSQL `uuid`, as its 16 bytes (rendered as text only by the mapping).
    Uuid([u8; 16]),
    /// A PostgreSQL enum or MySQL `ENUM` label. The allowed labels belong to the column, not
    /// the value.
    Enum(Box<str>),
    /// MySQL `SET`: the chosen labels in the column's definition order (the decoder resolves
    /// the binlog's bitmask with the column metadata). Debezium joins them with commas.
    Set(Box<[Box<str>]>),
    /// A bit string (PostgreSQL `bit(n)`/`varbit`, MySQL `BIT(n>1)`).
    ///
    /// `bytes` hold the bits as an unsigned big-endian integer, right-aligned: the leftmost
    /// bit of the SQL literal is the most significant, so `B'101'` is `len: 3, bytes: [0x05]`.
    /// This is MySQL's binlog layout; the PostgreSQL decoder shifts its left-aligned layout
    /// into it. `len` keeps leading zero bits that the integer alone would lose.
    Bits {
        /// Number of bits.
        len: u32,
        /// `ceil(len / 8)` bytes, big-endian, right-aligned.
        bytes: Box<[u8]>,
    },
    /// A PostgreSQL array. Elements may be null, and a multi-dimensional array nests arrays
    /// (`{{1,2},{3,4}}` is an array of two arrays). Lower bounds other than 1 are not kept:
    /// Debezium drops them too.
    Array(Box<[Value]>),
    /// A spatial value (PostGIS `geometry`/`geography`, MySQL `GEOMETRY` family) as OGC
    /// well-known binary plus the SRID when the database has one. The decoders strip their
    /// framing (MySQL's 4-byte SRID prefix, PostGIS EWKB flags) so both databases meet here.
    Geometry {
        /// OGC well-known binary.
        wkb: Box<[u8]>,
        /// Spatial reference system id, if the value carries one.
        srid: Option<u32>,
    },
    /// PostgreSQL's native `point`, which Debezium maps to a struct with `x` and `y`.
    Point {
        /// The x coordinate.
        x: f64,
        /// The y coordinate.
        y: f64,
    },
    /// PostgreSQL sent `u` (unchanged TOASTed value) for this column: the row image does not
    /// contain it. Debezium writes `unavailable.value.placeholder`; it is not a NULL.
    UnchangedToast,
    /// A type this model does not know (an extension type, a future server type) in the
    /// database's text form; mapped to a plain string, as Debezium does for unknown types
    /// with `include.unknown.datatypes=true`.
    Unknown(Box<str>),
}

impl Value {
    /// Whether this is SQL NULL (not the same as [`Value::UnchangedToast`]).
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stays_small() {
        // Rows are vectors of values: a size regression costs memory bandwidth on every row.
        assert!(
            std::mem::size_of::<Value>() <= 32,
            "{}",
            std::mem::size_of::<Value>()
        );
    }

    #[test]
    fn null_is_not_unchanged_toast() {
        assert!(Value::Null.is_null());
        assert!(!Value::UnchangedToast.is_null());
        assert_ne!(Value::Null, Value::UnchangedToast);
    }

    #[test]
    fn infinities_are_distinct_from_finite_extremes() {
        assert_ne!(
            Value::Timestamp(Extended::Finite(i64::MAX)),
            Value::Timestamp(Extended::PositiveInfinity)
        );
        assert_ne!(
            Value::Numeric(Numeric::NaN),
            Value::Numeric(Numeric::PositiveInfinity)
        );
    }
}
