//! Golden PostgreSQL type mapping: each type under each relevant connector option, as the
//! field schema plus payloads (JsonConverter, schemas off for the payload).
//!
//! Hand-checked against Debezium `PostgresValueConverter`/`JdbcValueConverters` (see
//! docs/debezium-compat-findings.md): e.g. `bit(10)` value 640 is little-endian `[0x80,
//! 0x02]` = `"gAI="`; `numeric` 10.2500 without scale strips to scale 2, unscaled 1025 =
//! `0x0401` = `"BAE="`; `interval '1 year 2 mons 3 days 04:05:06.78'` is
//! `((14 * 30.4375 + 3) * 86400 + 14706.78) * 1e6` = 37_091_106_780_000 µs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::type_case;
use tributary_envelope::decimal::Decimal;
use tributary_envelope::{ColumnDescription as Col, ConnectorKind, Extended, Numeric, Value};

const PG: ConnectorKind = ConnectorKind::Postgres;

fn num(t: &str) -> Value {
    Value::Numeric(Numeric::Finite(Decimal::parse(t).unwrap()))
}

fn interval() -> Value {
    Value::Interval {
        months: 14,
        days: 3,
        micros: ((4 * 60 + 5) * 60 + 6) * 1_000_000 + 780_000,
    }
}

#[test]
fn boolean_and_bits() {
    let bits10 = Value::Bits {
        len: 10,
        bytes: Box::from([0x02u8, 0x80]),
    };
    let zero10 = Value::Bits {
        len: 10,
        bytes: Box::from([0u8, 0]),
    };
    insta::assert_snapshot!(
        [
            type_case(
                PG,
                &[],
                Col::new("b", "bool"),
                &[("true", Value::Bool(true)), ("null", Value::Null)]
            ),
            type_case(
                PG,
                &[],
                Col::new("b", "bit").length(1),
                &[("1", Value::Bool(true))]
            ),
            type_case(
                PG,
                &[],
                Col::new("b", "bit").length(10),
                &[("640", bits10), ("0", zero10)]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn integers_and_floats() {
    insta::assert_snapshot!(
        [
            type_case(
                PG,
                &[],
                Col::new("c", "int2"),
                &[("min", Value::Int16(i16::MIN))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "int4"),
                &[("max", Value::Int32(i32::MAX))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "int8"),
                &[("min", Value::Int64(i64::MIN))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "oid"),
                &[("oid", Value::Int64(16_384))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "float4"),
                &[
                    ("1.5", Value::Float32(1.5)),
                    ("nan", Value::Float32(f32::NAN))
                ]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "float8"),
                &[
                    ("0.1", Value::Float64(0.1)),
                    ("-inf", Value::Float64(f64::NEG_INFINITY))
                ]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn numeric_with_scale_by_decimal_mode() {
    let col = || Col::new("price", "numeric").precision_scale(10, 2);
    let values = [
        ("99.99", num("99.99")),
        ("-1.5 (scale raised to 2)", num("-1.5")),
        ("0", num("0")),
    ];
    insta::assert_snapshot!(
        [
            type_case(PG, &[], col(), &values),
            type_case(PG, &[("decimal.handling.mode", "double")], col(), &values),
            type_case(PG, &[("decimal.handling.mode", "string")], col(), &values),
        ]
        .join("\n---\n")
    );
}

#[test]
fn numeric_without_scale_by_decimal_mode() {
    let col = || Col::new("n", "numeric");
    let values = [
        ("10.2500", num("10.2500")),
        ("1200", num("1200")),
        ("-0.001", num("-0.001")),
        ("0.0000001", num("0.0000001")),
    ];
    let special = [
        ("NaN", Value::Numeric(Numeric::NaN)),
        ("Infinity", Value::Numeric(Numeric::PositiveInfinity)),
        ("-Infinity", Value::Numeric(Numeric::NegativeInfinity)),
    ];
    let all: Vec<_> = values.iter().chain(special.iter()).cloned().collect();
    insta::assert_snapshot!(
        [
            type_case(PG, &[], col(), &values),
            type_case(PG, &[("decimal.handling.mode", "double")], col(), &all),
            type_case(PG, &[("decimal.handling.mode", "string")], col(), &all),
        ]
        .join("\n---\n")
    );
}

#[test]
fn money_by_decimal_mode_and_fraction_digits() {
    let values = [("12.345", num("12.345")), ("-3.00", num("-3.00"))];
    let col = || Col::new("m", "money");
    insta::assert_snapshot!(
        [
            type_case(PG, &[], col(), &values),
            type_case(PG, &[("money.fraction.digits", "3")], col(), &values),
            type_case(PG, &[("decimal.handling.mode", "double")], col(), &values),
            type_case(PG, &[("decimal.handling.mode", "string")], col(), &values),
        ]
        .join("\n---\n")
    );
}

#[test]
fn text_like_types() {
    let uuid = Value::Uuid([
        0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a,
        0x11,
    ]);
    insta::assert_snapshot!(
        [
            type_case(
                PG,
                &[],
                Col::new("c", "varchar").length(20),
                &[("text", Value::Text("héllo \"x\"".into()))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "bpchar").length(3),
                &[("char", Value::Text("ab ".into()))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "citext"),
                &[("citext", Value::Text("MiXed".into()))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "inet"),
                &[("inet", Value::Text("192.168.0.1/24".into()))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "jsonb"),
                &[("json", Value::Json(r#"{"a": [1, 2]}"#.into()))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "xml"),
                &[("xml", Value::Text("<a/>".into()))]
            ),
            type_case(PG, &[], Col::new("c", "uuid"), &[("uuid", uuid)]),
            type_case(
                PG,
                &[],
                Col::new("c", "ltree"),
                &[("ltree", Value::Text("Top.Science".into()))]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "mood").labels(["sad", "ok", "happy"]),
                &[
                    ("enum", Value::Enum("ok".into())),
                    ("toast", Value::UnchangedToast)
                ]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn bytea_by_binary_mode() {
    let values = [
        (
            "bytes",
            Value::Bytes(Box::from(&[0xfbu8, 0xff, 0x00, 0x41][..])),
        ),
        ("toast", Value::UnchangedToast),
    ];
    let col = || Col::new("b", "bytea");
    insta::assert_snapshot!(
        [
            type_case(PG, &[], col(), &values),
            type_case(PG, &[("binary.handling.mode", "base64")], col(), &values),
            type_case(
                PG,
                &[("binary.handling.mode", "base64-url-safe")],
                col(),
                &values
            ),
            type_case(PG, &[("binary.handling.mode", "hex")], col(), &values),
            type_case(
                PG,
                &[("unavailable.value.placeholder", "hex:00ff")],
                col(),
                &values[1..]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn hstore_by_mode() {
    let v = [(
        "hstore",
        Value::Text(r#""key2"=>"b", "key1"=>"a", "n"=>NULL"#.into()),
    )];
    insta::assert_snapshot!(
        [
            type_case(PG, &[], Col::new("h", "hstore"), &v),
            type_case(
                PG,
                &[("hstore.handling.mode", "map")],
                Col::new("h", "hstore"),
                &v
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn interval_by_mode() {
    let values = [
        ("1y2m3d 04:05:06.78", interval()),
        (
            "zero",
            Value::Interval {
                months: 0,
                days: 0,
                micros: 0,
            },
        ),
        (
            "-1 day -00:00:01.5",
            Value::Interval {
                months: 0,
                days: -1,
                micros: -1_500_000,
            },
        ),
    ];
    insta::assert_snapshot!(
        [
            type_case(PG, &[], Col::new("i", "interval"), &values),
            type_case(
                PG,
                &[("interval.handling.mode", "string")],
                Col::new("i", "interval"),
                &values
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn temporal_by_time_precision_mode() {
    let mut out = Vec::new();
    for mode in ["adaptive", "adaptive_time_microseconds", "connect"] {
        let p = [("time.precision.mode", mode)];
        out.push(format!("## time.precision.mode={mode}"));
        out.push(type_case(
            PG,
            &p,
            Col::new("d", "date"),
            &[
                ("2024-01-02", Value::Date(Extended::Finite(19_724))),
                ("infinity", Value::Date(Extended::PositiveInfinity)),
                ("-infinity", Value::Date(Extended::NegativeInfinity)),
            ],
        ));
        for fsp in [3, 6] {
            out.push(type_case(
                PG,
                &p,
                Col::new("t", "time").fsp(fsp),
                &[
                    ("04:05:06.789012", Value::Time(14_706_789_012)),
                    ("24:00", Value::Time(86_400_000_000)),
                ],
            ));
            out.push(type_case(
                PG,
                &p,
                Col::new("ts", "timestamp").fsp(fsp),
                &[
                    (
                        "2024-01-02T03:04:05.123456",
                        Value::Timestamp(Extended::Finite(1_704_164_645_123_456)),
                    ),
                    ("before 1970", Value::Timestamp(Extended::Finite(-1_500))),
                    ("infinity", Value::Timestamp(Extended::PositiveInfinity)),
                    ("-infinity", Value::Timestamp(Extended::NegativeInfinity)),
                ],
            ));
        }
    }
    insta::assert_snapshot!(out.join("\n---\n"));
}

#[test]
fn zoned_types() {
    let ts = |us| Value::TimestampTz(Extended::Finite(us));
    let values = [
        ("fraction", ts(1_704_164_645_123_456)),
        ("whole second", ts(1_704_164_645_000_000)),
        ("trailing zero", ts(1_704_164_645_120_000)),
        ("infinity", Value::TimestampTz(Extended::PositiveInfinity)),
        ("-infinity", Value::TimestampTz(Extended::NegativeInfinity)),
    ];
    insta::assert_snapshot!(
        [
            type_case(PG, &[], Col::new("tz", "timestamptz"), &values),
            type_case(PG, &[], Col::new("tz", "timestamptz").fsp(0), &values),
            type_case(PG, &[], Col::new("tz", "timestamptz").fsp(3), &values),
            type_case(
                PG,
                &[],
                Col::new("tt", "timetz"),
                &[(
                    "10:15:30.5+02",
                    Value::TimeTz {
                        micros: 36_930_500_000,
                        offset_seconds: 7200
                    }
                )]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn spatial_types() {
    // POINT(1 2) with SRID 4326 as OGC WKB (little-endian).
    let mut wkb = vec![1u8, 1, 0, 0, 0];
    wkb.extend_from_slice(&1.0f64.to_le_bytes());
    wkb.extend_from_slice(&2.0f64.to_le_bytes());
    insta::assert_snapshot!(
        [
            type_case(
                PG,
                &[],
                Col::new("p", "point"),
                &[("(1.5,-2)", Value::Point { x: 1.5, y: -2.0 })]
            ),
            type_case(
                PG,
                &[],
                Col::new("g", "geometry"),
                &[
                    (
                        "srid",
                        Value::Geometry {
                            wkb: wkb.clone().into(),
                            srid: Some(4326)
                        }
                    ),
                    (
                        "no srid",
                        Value::Geometry {
                            wkb: wkb.clone().into(),
                            srid: None
                        }
                    ),
                    ("toast", Value::UnchangedToast),
                ]
            ),
            type_case(
                PG,
                &[],
                Col::new("g", "geography"),
                &[(
                    "srid",
                    Value::Geometry {
                        wkb: wkb.into(),
                        srid: Some(4326)
                    }
                )]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn arrays() {
    insta::assert_snapshot!(
        [
            type_case(
                PG,
                &[],
                Col::new("a", "_int4"),
                &[
                    (
                        "ints",
                        Value::Array(Box::from([Value::Int32(1), Value::Null, Value::Int32(3)]))
                    ),
                    ("toast", Value::UnchangedToast),
                ]
            ),
            type_case(
                PG,
                &[],
                Col::new("a", "text[]"),
                &[
                    (
                        "texts",
                        Value::Array(Box::from([
                            Value::Text("a".into()),
                            Value::Text("b".into())
                        ]))
                    ),
                    ("toast", Value::UnchangedToast),
                ]
            ),
            type_case(
                PG,
                &[],
                Col::new("a", "_numeric").precision_scale(5, 2),
                &[("nums", Value::Array(Box::from([num("1.25")])))]
            ),
            type_case(
                PG,
                &[],
                Col::new("a", "_timestamptz"),
                &[(
                    "tstz",
                    Value::Array(Box::from([Value::TimestampTz(Extended::Finite(0))]))
                )]
            ),
            type_case(
                PG,
                &[],
                Col::new("a", "_mood").labels(["sad", "ok"]),
                &[(
                    "enums",
                    Value::Array(Box::from([Value::Enum("sad".into())]))
                )]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn unknown_types_are_left_out_unless_included() {
    let options = tributary_envelope::EnvelopeOptions::new(PG, "t").unwrap();
    let col = Col::new("x", "tsquery_custom");
    assert!(
        tributary_envelope::mapping::plan_column(&col, &options)
            .unwrap()
            .is_none()
    );
    insta::assert_snapshot!(type_case(
        PG,
        &[("include.unknown.datatypes", "true")],
        col,
        &[("text", Value::Unknown("'a' & 'b'".into()))]
    ));
}

#[test]
fn null_in_not_null_columns_takes_default_or_fallback() {
    let cols = [
        Col::new("c", "int4"),
        Col::new("c", "text"),
        Col::new("c", "bool"),
        Col::new("c", "numeric").precision_scale(8, 3),
        Col::new("c", "numeric"),
        Col::new("c", "timestamptz"),
        Col::new("c", "date"),
        Col::new("c", "bytea"),
        Col::new("c", "_int4"),
        Col::new("c", "int4").default_value(Value::Int32(42)),
    ];
    let out: Vec<String> = cols
        .into_iter()
        .map(|c| type_case(PG, &[], c.not_null(), &[("null", Value::Null)]))
        .collect();
    insta::assert_snapshot!(out.join("\n---\n"));
}

#[test]
fn defaults_appear_in_the_schema() {
    insta::assert_snapshot!(
        [
            type_case(
                PG,
                &[],
                Col::new("c", "numeric")
                    .precision_scale(6, 2)
                    .default_value(num("1.5")),
                &[("null", Value::Null)]
            ),
            type_case(
                PG,
                &[],
                Col::new("c", "varchar").default_value(Value::Text("n/a".into())),
                &[("null", Value::Null)]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn mismatched_values_are_errors_not_panics() {
    let options = tributary_envelope::EnvelopeOptions::new(PG, "t").unwrap();
    for (col, v) in [
        (Col::new("c", "int2"), Value::Int32(70_000)),
        (Col::new("c", "int4"), Value::Text("1".into())),
        (Col::new("c", "numeric").precision_scale(4, 1), num("1.25")),
        (Col::new("c", "numeric"), Value::Numeric(Numeric::NaN)),
        (Col::new("c", "hstore"), Value::Text("\"a\"=>".into())),
        (Col::new("c", "int4"), Value::UnchangedToast),
    ] {
        let conv = tributary_envelope::mapping::plan_column(&col, &options)
            .unwrap()
            .unwrap();
        assert!(conv.convert(&v).is_err(), "{col:?} {v:?}");
    }
}
