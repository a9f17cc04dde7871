//! Golden JsonConverter output for every primitive Connect type, schemas on and off,
//! including edge values (empty and escaped strings, NaN/±Infinity, integer extremes).
//!
//! Each snapshot was checked by hand against `shared/reference/debezium-compat.md` §3 and
//! Kafka's `JsonConverter.asJsonSchema`/`convertToJson` (key order, `"float"`/`"double"`,
//! base64 bytes, quoted non-finite floats).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::render;
use tributary_envelope::{Datum, SchemaBuilder};

#[test]
fn boolean() {
    let s = SchemaBuilder::boolean().build().unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("true", Datum::Boolean(true)),
            ("false", Datum::Boolean(false))
        ]
    ));
}

#[test]
fn int8() {
    let s = SchemaBuilder::int8().build().unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("min", Datum::Int8(i8::MIN)),
            ("zero", Datum::Int8(0)),
            ("max", Datum::Int8(i8::MAX)),
        ]
    ));
}

#[test]
fn int16() {
    let s = SchemaBuilder::int16().optional().build().unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("min", Datum::Int16(i16::MIN)),
            ("max", Datum::Int16(i16::MAX)),
            ("null", Datum::Null),
        ]
    ));
}

#[test]
fn int32() {
    let s = SchemaBuilder::int32().build().unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("min", Datum::Int32(i32::MIN)),
            ("max", Datum::Int32(i32::MAX)),
        ]
    ));
}

#[test]
fn int64() {
    let s = SchemaBuilder::int64().build().unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("min", Datum::Int64(i64::MIN)),
            ("minus one", Datum::Int64(-1)),
            ("max", Datum::Int64(i64::MAX)),
        ]
    ));
}

#[test]
fn float32() {
    let s = SchemaBuilder::float32().build().unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("zero", Datum::Float32(0.0)),
            ("negative zero", Datum::Float32(-0.0)),
            ("tenth", Datum::Float32(0.1)),
            ("large", Datum::Float32(1.0e10)),
            ("max", Datum::Float32(f32::MAX)),
            ("NaN", Datum::Float32(f32::NAN)),
            ("+inf", Datum::Float32(f32::INFINITY)),
            ("-inf", Datum::Float32(f32::NEG_INFINITY)),
        ]
    ));
}

#[test]
fn float64() {
    let s = SchemaBuilder::float64().build().unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("zero", Datum::Float64(0.0)),
            ("one", Datum::Float64(1.0)),
            ("small", Datum::Float64(1.0e-4)),
            ("thousandth", Datum::Float64(0.001)),
            ("1e7", Datum::Float64(1.0e7)),
            ("min positive", Datum::Float64(f64::MIN_POSITIVE)),
            ("max", Datum::Float64(f64::MAX)),
            ("NaN", Datum::Float64(f64::NAN)),
            ("+inf", Datum::Float64(f64::INFINITY)),
            ("-inf", Datum::Float64(f64::NEG_INFINITY)),
        ]
    ));
}

#[test]
fn string() {
    let s = SchemaBuilder::string().optional().build().unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("empty", Datum::str("")),
            ("quotes and backslash", Datum::str(r#"say "hi" \ bye"#)),
            (
                "control characters",
                Datum::str("\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}\u{7f}")
            ),
            ("unicode", Datum::str("é 中文 😀 \u{2028} /")),
            ("null", Datum::Null),
        ]
    ));
}

#[test]
fn bytes() {
    let s = SchemaBuilder::bytes().build().unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("empty", Datum::bytes(b"")),
            ("one byte", Datum::bytes(&[0xFF])),
            ("two bytes", Datum::bytes(&[0xFB, 0xFF])),
            ("three bytes", Datum::bytes(b"foo")),
        ]
    ));
}

#[test]
fn hand_checked_primitives() {
    // Direct assertions of the values the snapshots rely on, so a wrongly accepted
    // snapshot cannot hide them.
    let s = SchemaBuilder::float64().build().unwrap();
    assert_eq!(
        support::json(&s, &Datum::Float64(f64::NAN), true),
        r#"{"schema":{"type":"double","optional":false},"payload":"NaN"}"#
    );
    let s = SchemaBuilder::float32().optional().build().unwrap();
    assert_eq!(
        support::json(&s, &Datum::Float32(f32::NEG_INFINITY), true),
        r#"{"schema":{"type":"float","optional":true},"payload":"-Infinity"}"#
    );
    let s = SchemaBuilder::int64().build().unwrap();
    assert_eq!(
        support::json(&s, &Datum::Int64(i64::MIN), false),
        "-9223372036854775808"
    );
    let s = SchemaBuilder::string().build().unwrap();
    assert_eq!(
        support::json(&s, &Datum::str("\u{1}\n"), false),
        r#""\u0001\n""#
    );
}
