//! Golden MySQL/MariaDB type mapping: each type under each relevant connector option, as the
//! field schema plus payloads (JsonConverter, schemas off for the payload).
//!
//! Hand-checked against Debezium `BinlogValueConverters`/`JdbcValueConverters` (see
//! docs/debezium-compat-findings.md): e.g. `BIT(10)` value 640 is little-endian `[0x80,
//! 0x02]` = `"gAI="`, and `BIT(16)` value 1 is padded to two bytes `[0x01, 0x00]` = `"AQA="`;
//! `BIGINT UNSIGNED` 2^64-1 is `-1` under `long` and Decimal `"AP//////////"` under
//! `precise`; a zero date is null when nullable and the epoch when NOT NULL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::type_case;
use tributary_envelope::decimal::Decimal;
use tributary_envelope::{ColumnDescription as Col, ConnectorKind, Extended, Numeric, Value};

const MY: ConnectorKind = ConnectorKind::MySql;

fn num(t: &str) -> Value {
    Value::Numeric(Numeric::Finite(Decimal::parse(t).unwrap()))
}

fn bits(len: u32, bytes: &[u8]) -> Value {
    Value::Bits {
        len,
        bytes: bytes.into(),
    }
}

#[test]
fn bits_and_booleans() {
    insta::assert_snapshot!(
        [
            type_case(
                MY,
                &[],
                Col::new("b", "BIT").length(1),
                &[("1", bits(1, &[1]))]
            ),
            type_case(
                MY,
                &[],
                Col::new("b", "BOOLEAN"),
                &[("true", Value::Bool(true))]
            ),
            type_case(
                MY,
                &[],
                Col::new("b", "BIT").length(10),
                &[("640", bits(10, &[0x02, 0x80]))]
            ),
            type_case(
                MY,
                &[],
                Col::new("b", "BIT").length(16),
                &[("1", bits(16, &[0x00, 0x01])), ("0", bits(16, &[0, 0]))]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn integers() {
    insta::assert_snapshot!(
        [
            type_case(
                MY,
                &[],
                Col::new("c", "TINYINT"),
                &[("-128", Value::Int16(-128))]
            ),
            type_case(
                MY,
                &[],
                Col::new("c", "TINYINT UNSIGNED"),
                &[("255", Value::Int16(255))]
            ),
            type_case(
                MY,
                &[],
                Col::new("c", "SMALLINT UNSIGNED"),
                &[("65535", Value::Int32(65_535))]
            ),
            type_case(
                MY,
                &[],
                Col::new("c", "MEDIUMINT UNSIGNED ZEROFILL"),
                &[("16777215", Value::Int32(16_777_215))]
            ),
            type_case(
                MY,
                &[],
                Col::new("c", "INT UNSIGNED"),
                &[("4294967295", Value::Int64(4_294_967_295))]
            ),
            type_case(
                MY,
                &[],
                Col::new("c", "BIGINT"),
                &[("min", Value::Int64(i64::MIN))]
            ),
            type_case(
                MY,
                &[],
                Col::new("c", "BIGINT UNSIGNED"),
                &[("2^64-1", Value::UInt64(u64::MAX)), ("1", Value::UInt64(1))]
            ),
            type_case(
                MY,
                &[("bigint.unsigned.handling.mode", "precise")],
                Col::new("c", "BIGINT UNSIGNED"),
                &[("2^64-1", Value::UInt64(u64::MAX)), ("1", Value::UInt64(1))]
            ),
            type_case(
                MY,
                &[],
                Col::new("c", "YEAR"),
                &[("2024", Value::Int32(2024))]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn floats_and_decimals() {
    let dec = || Col::new("d", "DECIMAL").precision_scale(12, 4);
    let values = [("1.5", num("1.5")), ("-0.0001", num("-0.0001"))];
    insta::assert_snapshot!(
        [
            type_case(
                MY,
                &[],
                Col::new("f", "FLOAT"),
                &[("0.25", Value::Float32(0.25))]
            ),
            type_case(
                MY,
                &[],
                Col::new("f", "FLOAT").length(30),
                &[("0.25", Value::Float64(0.25))]
            ),
            type_case(
                MY,
                &[],
                Col::new("f", "DOUBLE"),
                &[("1e300", Value::Float64(1e300))]
            ),
            type_case(MY, &[], dec(), &values),
            type_case(MY, &[("decimal.handling.mode", "double")], dec(), &values),
            type_case(MY, &[("decimal.handling.mode", "string")], dec(), &values),
            type_case(MY, &[], Col::new("d", "DECIMAL"), &[("7", num("7"))]),
        ]
        .join("\n---\n")
    );
}

#[test]
fn strings_json_enum_set() {
    insta::assert_snapshot!(
        [
            type_case(
                MY,
                &[],
                Col::new("s", "VARCHAR").length(255),
                &[("text", Value::Text("naïve\ttab".into()))]
            ),
            type_case(
                MY,
                &[],
                Col::new("s", "LONGTEXT"),
                &[("text", Value::Text("x".into()))]
            ),
            type_case(
                MY,
                &[],
                Col::new("j", "JSON"),
                &[("json", Value::Json(r#"{"k":[1,true,null]}"#.into()))]
            ),
            type_case(
                MY,
                &[],
                Col::new("e", "ENUM").labels(["S", "M", "L"]),
                &[("M", Value::Enum("M".into()))]
            ),
            type_case(
                MY,
                &[],
                Col::new("s", "SET").labels(["a", "b", "c"]),
                &[
                    (
                        "a,c",
                        Value::Set(Box::from([Box::from("a"), Box::from("c")]))
                    ),
                    ("empty", Value::Set(Box::default())),
                ]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn binary_by_mode_with_fixed_length_padding() {
    let values = [("ab", Value::Bytes(Box::from(&b"ab"[..])))];
    let col = || Col::new("b", "BINARY").length(4);
    insta::assert_snapshot!(
        [
            type_case(MY, &[], col(), &values),
            type_case(MY, &[("binary.handling.mode", "base64")], col(), &values),
            type_case(
                MY,
                &[("binary.handling.mode", "base64-url-safe")],
                Col::new("b", "BLOB"),
                &[("fb ff", Value::Bytes(Box::from(&[0xfbu8, 0xff][..])))]
            ),
            type_case(MY, &[("binary.handling.mode", "hex")], col(), &values),
            type_case(MY, &[], Col::new("b", "VARBINARY").length(4), &values),
        ]
        .join("\n---\n")
    );
}

#[test]
fn temporal_by_time_precision_mode() {
    let mut out = Vec::new();
    for mode in ["adaptive_time_microseconds", "adaptive", "connect"] {
        let p = [("time.precision.mode", mode)];
        out.push(format!("## time.precision.mode={mode}"));
        out.push(type_case(
            MY,
            &p,
            Col::new("d", "DATE"),
            &[
                ("2024-01-02", Value::Date(Extended::Finite(19_724))),
                ("zero date", Value::ZeroDate),
            ],
        ));
        out.push(type_case(
            MY,
            &p,
            Col::new("d", "DATE").not_null(),
            &[("zero date", Value::ZeroDate)],
        ));
        out.push(type_case(
            MY,
            &p,
            Col::new("t", "TIME").fsp(6),
            &[
                ("12:34:56.789012", Value::Time(45_296_789_012)),
                ("0:00:00", Value::Time(0)),
            ],
        ));
        for fsp in [0, 3, 6] {
            out.push(type_case(
                MY,
                &p,
                Col::new("dt", "DATETIME").fsp(fsp),
                &[
                    (
                        "2024-01-02 03:04:05.123456",
                        Value::Timestamp(Extended::Finite(1_704_164_645_123_456)),
                    ),
                    ("zero date", Value::ZeroDate),
                ],
            ));
        }
    }
    // MySQL TIME is a duration: negative and over 24 hours under the microsecond modes.
    out.push(type_case(
        MY,
        &[],
        Col::new("t", "TIME"),
        &[
            ("-838:59:59", Value::Time(-3_020_399_000_000)),
            ("838:59:59", Value::Time(3_020_399_000_000)),
        ],
    ));
    insta::assert_snapshot!(out.join("\n---\n"));
}

#[test]
fn timestamp_is_zoned_and_padded_to_its_precision() {
    let ts = |us| Value::TimestampTz(Extended::Finite(us));
    let values = [
        ("fraction", ts(1_704_164_645_123_456)),
        ("whole second", ts(1_704_164_645_000_000)),
    ];
    insta::assert_snapshot!(
        [
            type_case(MY, &[], Col::new("ts", "TIMESTAMP"), &values),
            type_case(MY, &[], Col::new("ts", "TIMESTAMP").fsp(3), &values),
            type_case(MY, &[], Col::new("ts", "TIMESTAMP").fsp(6), &values),
            type_case(
                MY,
                &[],
                Col::new("ts", "TIMESTAMP").fsp(0).not_null(),
                &[("zero date", Value::ZeroDate)]
            ),
        ]
        .join("\n---\n")
    );
}

#[test]
fn spatial_types() {
    let mut wkb = vec![1u8, 1, 0, 0, 0];
    wkb.extend_from_slice(&3.0f64.to_le_bytes());
    wkb.extend_from_slice(&4.0f64.to_le_bytes());
    insta::assert_snapshot!(
        [
            type_case(
                MY,
                &[],
                Col::new("g", "GEOMETRY"),
                &[(
                    "srid 0",
                    Value::Geometry {
                        wkb: wkb.clone().into(),
                        srid: Some(0)
                    }
                )]
            ),
            type_case(
                MY,
                &[],
                Col::new("p", "POINT"),
                &[(
                    "POINT(3 4)",
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
fn time_out_of_range_for_connect_is_an_error() {
    let options = tributary_envelope::EnvelopeOptions::from_properties(
        MY,
        [("topic.prefix", "t"), ("time.precision.mode", "connect")],
    )
    .unwrap();
    let conv = tributary_envelope::mapping::plan_column(&Col::new("t", "TIME"), &options)
        .unwrap()
        .unwrap();
    assert!(conv.convert(&Value::Time(i64::MAX)).is_err());
    let options = tributary_envelope::EnvelopeOptions::new(MY, "t").unwrap();
    let point = tributary_envelope::mapping::plan_column(&Col::new("p", "POINT"), &options)
        .unwrap()
        .unwrap();
    let bad = Value::Geometry {
        wkb: Box::from(&[1u8, 2, 3][..]),
        srid: None,
    };
    assert!(point.convert(&bad).is_err());
}
