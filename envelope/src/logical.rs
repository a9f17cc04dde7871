//! Named schemas: Kafka Connect's logical types and Debezium's semantic types.
//!
//! Each constructor returns a [`SchemaBuilder`] with the type, name, version and parameters
//! the Java class sets, so callers can still add `optional`, a default or a doc. Sources:
//! Kafka `org.apache.kafka.connect.data.{Decimal,Date,Time,Timestamp}` and Debezium
//! `debezium-core/src/main/java/io/debezium/{time,data}/*.java` (`builder()` methods),
//! read with the search tool. Every Debezium semantic type there sets `version(1)`.
//! `MicroDuration` is INT64 in current Debezium (it was FLOAT64 in releases before 1.0).

use crate::schema::{SchemaBuilder, SchemaType, primitive_schema};

/// Kafka Connect's built-in logical types (`org.apache.kafka.connect.data.*`), version 1.
pub mod connect {
    use super::*;

    /// `org.apache.kafka.connect.data.Decimal`.
    pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
    /// `org.apache.kafka.connect.data.Date`.
    pub const DATE: &str = "org.apache.kafka.connect.data.Date";
    /// `org.apache.kafka.connect.data.Time`.
    pub const TIME: &str = "org.apache.kafka.connect.data.Time";
    /// `org.apache.kafka.connect.data.Timestamp`.
    pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";
    /// Debezium's extra Decimal parameter carrying the column precision.
    pub const DECIMAL_PRECISION_PARAMETER: &str = "connect.decimal.precision";

    /// BYTES Decimal with parameter `scale` (`Decimal.builder(scale)`); the payload is the
    /// minimal two's complement unscaled value.
    pub fn decimal(scale: i32) -> SchemaBuilder {
        SchemaBuilder::bytes()
            .name(DECIMAL)
            .version(1)
            .parameter("scale", scale.to_string())
    }

    /// Decimal as Debezium writes it for a column with a known precision: `scale`, then
    /// `connect.decimal.precision` (parameter order as in Debezium's output).
    pub fn decimal_with_precision(scale: i32, precision: u32) -> SchemaBuilder {
        decimal(scale).parameter(DECIMAL_PRECISION_PARAMETER, precision.to_string())
    }

    /// INT32 days since the epoch.
    pub fn date() -> SchemaBuilder {
        SchemaBuilder::int32().name(DATE).version(1)
    }

    /// INT32 milliseconds since midnight.
    pub fn time() -> SchemaBuilder {
        SchemaBuilder::int32().name(TIME).version(1)
    }

    /// INT64 milliseconds since the epoch.
    pub fn timestamp() -> SchemaBuilder {
        SchemaBuilder::int64().name(TIMESTAMP).version(1)
    }
}

/// Debezium's semantic types (`io.debezium.time.*`, `io.debezium.data.*`), version 1.
pub mod debezium {
    use super::*;

    macro_rules! named {
        ($(#[$doc:meta])* $fn_name:ident, $const_name:ident, $builder:ident, $name:literal) => {
            #[doc = concat!("`", $name, "`.")]
            pub const $const_name: &str = $name;
            $(#[$doc])*
            pub fn $fn_name() -> SchemaBuilder {
                SchemaBuilder::$builder().name($const_name).version(1)
            }
        };
    }

    named!(
        /// INT32 days since the epoch.
        date, DATE, int32, "io.debezium.time.Date"
    );
    named!(
        /// INT32 milliseconds since midnight.
        time, TIME, int32, "io.debezium.time.Time"
    );
    named!(
        /// INT64 microseconds since midnight (or a signed MySQL TIME duration).
        micro_time, MICRO_TIME, int64, "io.debezium.time.MicroTime"
    );
    named!(
        /// INT64 nanoseconds since midnight.
        nano_time, NANO_TIME, int64, "io.debezium.time.NanoTime"
    );
    named!(
        /// INT64 milliseconds since the epoch.
        timestamp, TIMESTAMP, int64, "io.debezium.time.Timestamp"
    );
    named!(
        /// INT64 microseconds since the epoch.
        micro_timestamp, MICRO_TIMESTAMP, int64, "io.debezium.time.MicroTimestamp"
    );
    named!(
        /// INT64 nanoseconds since the epoch.
        nano_timestamp, NANO_TIMESTAMP, int64, "io.debezium.time.NanoTimestamp"
    );
    named!(
        /// STRING ISO-8601 time with offset (`10:15:30Z`).
        zoned_time, ZONED_TIME, string, "io.debezium.time.ZonedTime"
    );
    named!(
        /// STRING ISO-8601 date-time with offset (`2011-12-03T10:15:30Z`).
        zoned_timestamp, ZONED_TIMESTAMP, string, "io.debezium.time.ZonedTimestamp"
    );
    named!(
        /// INT32 year (MySQL `YEAR`).
        year, YEAR, int32, "io.debezium.time.Year"
    );
    named!(
        /// INT64 approximate microseconds of an interval (month = 365.25/12 days).
        micro_duration, MICRO_DURATION, int64, "io.debezium.time.MicroDuration"
    );
    named!(
        /// STRING ISO-8601 duration (`P1Y2M3DT4H5M6.78S`), `interval.handling.mode=string`.
        interval, INTERVAL, string, "io.debezium.time.Interval"
    );
    named!(
        /// STRING JSON text.
        json, JSON, string, "io.debezium.data.Json"
    );
    named!(
        /// STRING XML text.
        xml, XML, string, "io.debezium.data.Xml"
    );
    named!(
        /// STRING canonical UUID text.
        uuid, UUID, string, "io.debezium.data.Uuid"
    );
    named!(
        /// STRING PostgreSQL `ltree` label path.
        ltree, LTREE, string, "io.debezium.data.Ltree"
    );

    /// `io.debezium.data.Enum`.
    pub const ENUM: &str = "io.debezium.data.Enum";
    /// `io.debezium.data.EnumSet`.
    pub const ENUM_SET: &str = "io.debezium.data.EnumSet";
    /// `io.debezium.data.Bits`.
    pub const BITS: &str = "io.debezium.data.Bits";
    /// `io.debezium.data.VariableScaleDecimal`.
    pub const VARIABLE_SCALE_DECIMAL: &str = "io.debezium.data.VariableScaleDecimal";
    /// `io.debezium.data.geometry.Geometry`.
    pub const GEOMETRY: &str = "io.debezium.data.geometry.Geometry";
    /// `io.debezium.data.geometry.Geography`.
    pub const GEOGRAPHY: &str = "io.debezium.data.geometry.Geography";
    /// `io.debezium.data.geometry.Point`.
    pub const POINT: &str = "io.debezium.data.geometry.Point";

    /// STRING enum label; `allowed` is the comma-joined label list (parameter `allowed`).
    pub fn enumeration(allowed: &str) -> SchemaBuilder {
        SchemaBuilder::string()
            .name(ENUM)
            .version(1)
            .parameter("allowed", allowed)
    }

    /// STRING comma-joined set of labels; `allowed` as for [`enumeration`].
    pub fn enum_set(allowed: &str) -> SchemaBuilder {
        SchemaBuilder::string()
            .name(ENUM_SET)
            .version(1)
            .parameter("allowed", allowed)
    }

    /// BYTES bit string of `length` bits (parameter `length`; Java `BitSet.toByteArray`,
    /// little-endian).
    pub fn bits(length: u32) -> SchemaBuilder {
        SchemaBuilder::bytes()
            .name(BITS)
            .version(1)
            .parameter("length", length.to_string())
    }

    /// STRUCT {scale INT32, value BYTES} for `numeric` without a declared scale.
    pub fn variable_scale_decimal() -> SchemaBuilder {
        SchemaBuilder::structure()
            .name(VARIABLE_SCALE_DECIMAL)
            .version(1)
            .doc("Variable scaled decimal")
            .field("scale", primitive_schema(SchemaType::Int32, false))
            .field("value", primitive_schema(SchemaType::Bytes, false))
    }

    /// STRUCT {wkb BYTES, srid optional INT32}, doc "Geometry".
    pub fn geometry() -> SchemaBuilder {
        SchemaBuilder::structure()
            .name(GEOMETRY)
            .version(1)
            .doc("Geometry")
            .field("wkb", primitive_schema(SchemaType::Bytes, false))
            .field("srid", primitive_schema(SchemaType::Int32, true))
    }

    /// STRUCT {wkb BYTES, srid optional INT32}, doc "Geography" (same layout as Geometry).
    pub fn geography() -> SchemaBuilder {
        SchemaBuilder::structure()
            .name(GEOGRAPHY)
            .version(1)
            .doc("Geography")
            .field("wkb", primitive_schema(SchemaType::Bytes, false))
            .field("srid", primitive_schema(SchemaType::Int32, true))
    }

    /// STRUCT {x FLOAT64, y FLOAT64, wkb optional BYTES, srid optional INT32},
    /// doc "Geometry (POINT)", for PostgreSQL `point`.
    pub fn point() -> SchemaBuilder {
        SchemaBuilder::structure()
            .name(POINT)
            .version(1)
            .doc("Geometry (POINT)")
            .field("x", primitive_schema(SchemaType::Float64, false))
            .field("y", primitive_schema(SchemaType::Float64, false))
            .field("wkb", primitive_schema(SchemaType::Bytes, true))
            .field("srid", primitive_schema(SchemaType::Int32, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_the_reference_layout() {
        let s = connect::decimal_with_precision(2, 10).build().unwrap();
        assert_eq!(
            std::str::from_utf8(s.json()).unwrap(),
            r#"{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"}}"#
        );
    }

    #[test]
    fn semantic_types_carry_version_one() {
        for b in [
            debezium::date(),
            debezium::micro_timestamp(),
            debezium::zoned_timestamp(),
            debezium::micro_duration(),
            debezium::json(),
            debezium::enumeration("a,b"),
            debezium::bits(3),
            debezium::geometry(),
            debezium::point(),
            debezium::variable_scale_decimal(),
        ] {
            let s = b.build().unwrap();
            assert_eq!(s.version(), Some(1), "{:?}", s.name());
        }
    }

    #[test]
    fn geometry_field_order_matches_debezium() {
        let s = debezium::geometry().build().unwrap();
        let names: Vec<_> = s.fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, ["wkb", "srid"]);
        let s = debezium::point().build().unwrap();
        let names: Vec<_> = s.fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, ["x", "y", "wkb", "srid"]);
    }
}
