//! Property test: for any column type and any value, conversion never panics, and whatever
//! it returns is accepted by the JSON writer against the column's own schema (the mapping
//! and the schema cannot drift apart).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use tributary_envelope::decimal::Decimal;
use tributary_envelope::mapping::plan_column;
use tributary_envelope::{
    ColumnDescription, ConnectorKind, EnvelopeOptions, Extended, JsonConverter,
    JsonConverterConfig, Numeric, Value,
};

const PG_TYPES: &[&str] = &[
    "bool",
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "numeric",
    "money",
    "text",
    "jsonb",
    "uuid",
    "bytea",
    "hstore",
    "interval",
    "date",
    "time",
    "timetz",
    "timestamp",
    "timestamptz",
    "point",
    "geometry",
    "_int4",
    "_text",
    "_numeric",
    "bit",
    "xml",
];
const MY_TYPES: &[&str] = &[
    "BIT",
    "TINYINT",
    "SMALLINT UNSIGNED",
    "INT UNSIGNED",
    "BIGINT UNSIGNED",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "VARCHAR",
    "JSON",
    "ENUM",
    "SET",
    "BINARY",
    "BLOB",
    "YEAR",
    "DATE",
    "TIME",
    "DATETIME",
    "TIMESTAMP",
    "GEOMETRY",
    "POINT",
];
const MODES: &[(&str, &[&str])] = &[
    ("decimal.handling.mode", &["precise", "double", "string"]),
    (
        "binary.handling.mode",
        &["bytes", "base64", "base64-url-safe", "hex"],
    ),
    (
        "time.precision.mode",
        &["adaptive", "adaptive_time_microseconds", "connect"],
    ),
    ("interval.handling.mode", &["numeric", "string"]),
    ("hstore.handling.mode", &["json", "map"]),
    ("bigint.unsigned.handling.mode", &["long", "precise"]),
];

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        Just(Value::ZeroDate),
        Just(Value::UnchangedToast),
        any::<bool>().prop_map(Value::Bool),
        any::<i16>().prop_map(Value::Int16),
        any::<i32>().prop_map(Value::Int32),
        any::<i64>().prop_map(Value::Int64),
        any::<u64>().prop_map(Value::UInt64),
        any::<f64>().prop_map(Value::Float64),
        any::<f32>().prop_map(Value::Float32),
        (any::<i64>(), 0i32..40).prop_map(|(u, s)| Value::Numeric(Numeric::Finite(
            Decimal::from_i128(i128::from(u), s)
        ))),
        Just(Value::Numeric(Numeric::NaN)),
        ".{0,12}".prop_map(|s| Value::Text(s.into())),
        r#""[a-z]{1,3}"=>"[a-z]{0,3}""#.prop_map(|s| Value::Text(s.into())),
        proptest::collection::vec(any::<u8>(), 0..24).prop_map(|b| Value::Bytes(b.into())),
        any::<i32>().prop_map(|d| Value::Date(Extended::Finite(d))),
        Just(Value::Date(Extended::PositiveInfinity)),
        any::<i64>().prop_map(Value::Time),
        (any::<i64>(), -50_400i32..50_400).prop_map(|(m, o)| Value::TimeTz {
            micros: m,
            offset_seconds: o
        }),
        any::<i64>().prop_map(|t| Value::Timestamp(Extended::Finite(t))),
        any::<i64>().prop_map(|t| Value::TimestampTz(Extended::Finite(t))),
        Just(Value::TimestampTz(Extended::NegativeInfinity)),
        (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(months, days, micros)| {
            Value::Interval {
                months,
                days,
                micros,
            }
        }),
        any::<[u8; 16]>().prop_map(Value::Uuid),
        "[a-z]{0,5}".prop_map(|s| Value::Enum(s.into())),
        (1u32..40, proptest::collection::vec(any::<u8>(), 0..6)).prop_map(|(len, b)| Value::Bits {
            len,
            bytes: b.into()
        }),
        (
            proptest::collection::vec(any::<u8>(), 0..30),
            proptest::option::of(any::<u32>())
        )
            .prop_map(|(w, srid)| Value::Geometry {
                wkb: w.into(),
                srid
            }),
        (any::<f64>(), any::<f64>()).prop_map(|(x, y)| Value::Point { x, y }),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        proptest::collection::vec(inner, 0..4).prop_map(|v| Value::Array(v.into()))
    })
}

proptest! {
    #[test]
    fn conversion_output_always_matches_its_schema(
        mysql in any::<bool>(),
        type_index in 0usize..64,
        mode_choice in proptest::collection::vec(0usize..4, MODES.len()),
        nullable in any::<bool>(),
        length in proptest::option::of(0u32..70),
        scale in proptest::option::of(0u32..12),
        fsp in proptest::option::of(0u32..7),
        v in value(),
    ) {
        let (connector, types) = if mysql {
            (ConnectorKind::MySql, MY_TYPES)
        } else {
            (ConnectorKind::Postgres, PG_TYPES)
        };
        let mut props = vec![("topic.prefix", "t")];
        for ((key, values), choice) in MODES.iter().zip(&mode_choice) {
            props.push((key, values[choice % values.len()]));
        }
        let options = EnvelopeOptions::from_properties(connector, props).unwrap();
        let mut column = ColumnDescription::new("c", types[type_index % types.len()]).labels(["a", "b"]);
        column.nullable = nullable;
        column.length = length;
        column.scale = scale;
        column.fsp = fsp;
        let Some(converter) = plan_column(&column, &options).unwrap() else {
            return Ok(());
        };
        if let Ok(datum) = converter.convert(&v) {
            let mut out = Vec::new();
            JsonConverter::new(JsonConverterConfig::default())
                .write(Some(converter.schema()), &datum, &mut out)
                .unwrap();
        }
    }
}
