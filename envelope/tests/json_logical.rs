//! Golden JsonConverter output for Connect logical types, Debezium semantic types,
//! composite schemas (array, map, nested optional struct) and schema defaults.
//!
//! Hand-checked against `shared/reference/debezium-compat.md` §3-4: the Decimal schema
//! layout and `"Jw8="`/`"BQ=="` payloads are the reference's own examples; negative
//! decimals are Java `BigInteger.toByteArray()` values worked out by hand (-9999 =
//! 0xD8F1 -> "2PE="; -1 = 0xFF -> "/w=="; 0 = 0x00 -> "AA==").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::borrow::Cow;

use support::{json, render};
use tributary_envelope::logical::{connect, debezium};
use tributary_envelope::{Datum, Decimal, SchemaBuilder};

fn dec(text: &str) -> Datum<'static> {
    let d = Decimal::parse(text).unwrap();
    Datum::Bytes(Cow::Owned(d.unscaled_twos_complement().to_vec()))
}

#[test]
fn decimal_reference_examples() {
    let s = connect::decimal_with_precision(2, 10).build().unwrap();
    assert_eq!(
        json(&s, &dec("99.99"), true),
        r#"{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"}},"payload":"Jw8="}"#
    );
    let s = connect::decimal(0).build().unwrap();
    assert_eq!(json(&s, &dec("5"), false), r#""BQ==""#);
    assert_eq!(json(&s, &dec("-1"), false), r#""/w==""#);
    assert_eq!(json(&s, &dec("0"), false), r#""AA==""#);
}

#[test]
fn decimal() {
    let s = connect::decimal_with_precision(2, 38)
        .optional()
        .build()
        .unwrap();
    insta::assert_snapshot!(render(
        &s,
        &[
            ("99.99", dec("99.99")),
            ("-99.99", dec("-99.99")),
            ("0.00", dec("0.00")),
            ("1.28", dec("1.28")),
            ("-1.28", dec("-1.28")),
            (
                "beyond i128",
                dec("-3402823669209384634633746074317682114.56")
            ),
            ("null", Datum::Null),
        ]
    ));
}

#[test]
fn connect_temporal_types() {
    let date = connect::date().build().unwrap();
    let time = connect::time().optional().build().unwrap();
    let ts = connect::timestamp().build().unwrap();
    let mut out = render(
        &date,
        &[
            ("1970-01-02", Datum::Int32(1)),
            ("1969-12-31", Datum::Int32(-1)),
        ],
    );
    out.push('\n');
    out.push_str(&render(&time, &[("12:00", Datum::Int32(43_200_000))]));
    out.push('\n');
    out.push_str(&render(
        &ts,
        &[("2024-01-01T00:00:00Z", Datum::Int64(1_704_067_200_000))],
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn debezium_semantic_types() {
    let mut out = Vec::new();
    let cases: Vec<(tributary_envelope::SchemaRef, Datum<'static>)> = vec![
        (debezium::date().build().unwrap(), Datum::Int32(19_723)),
        (
            debezium::micro_time().build().unwrap(),
            Datum::Int64(-3_020_399_000_000),
        ),
        (
            debezium::micro_timestamp().optional().build().unwrap(),
            Datum::Int64(1_704_067_200_123_456),
        ),
        (
            debezium::zoned_timestamp().build().unwrap(),
            Datum::str("2024-01-01T00:00:00.123456Z"),
        ),
        (
            debezium::micro_duration().build().unwrap(),
            Datum::Int64(37_090_800_000_000),
        ),
        (
            debezium::json().build().unwrap(),
            Datum::str(r#"{"a":[1,2]}"#),
        ),
        (
            debezium::uuid().build().unwrap(),
            Datum::str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        ),
        (
            debezium::enumeration("red,green").build().unwrap(),
            Datum::str("green"),
        ),
        (
            debezium::bits(10).build().unwrap(),
            Datum::bytes(&[0x05, 0x02]),
        ),
        (debezium::year().build().unwrap(), Datum::Int32(2024)),
    ];
    for (schema, value) in &cases {
        out.push(render(schema, &[(schema.name().unwrap(), value.clone())]));
    }
    insta::assert_snapshot!(out.join("\n"));
}

#[test]
fn debezium_struct_types() {
    let vsd = debezium::variable_scale_decimal()
        .optional()
        .build()
        .unwrap();
    let vsd_value = Datum::structure_owned(vec![Datum::Int32(2), dec("99.99")]);
    let geo = debezium::geometry().build().unwrap();
    let wkb: &[u8] = &[
        1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 240, 63, 0, 0, 0, 0, 0, 0, 0, 64,
    ];
    let geo_value = Datum::structure_owned(vec![Datum::bytes(wkb), Datum::Int32(4326)]);
    let point = debezium::point().build().unwrap();
    let point_value = Datum::structure_owned(vec![
        Datum::Float64(1.0),
        Datum::Float64(2.0),
        Datum::bytes(wkb),
        Datum::Null,
    ]);
    let mut out = render(&vsd, &[("99.99", vsd_value), ("null", Datum::Null)]);
    out.push('\n');
    out.push_str(&render(&geo, &[("POINT(1 2) srid 4326", geo_value)]));
    out.push('\n');
    out.push_str(&render(&point, &[("(1,2)", point_value)]));
    insta::assert_snapshot!(out);
}

#[test]
fn array_and_maps() {
    let int = SchemaBuilder::int32().optional().build().unwrap();
    let arr = SchemaBuilder::array(int.clone())
        .optional()
        .build()
        .unwrap();
    let nested = SchemaBuilder::array(arr.clone()).build().unwrap();
    let string = SchemaBuilder::string().build().unwrap();
    let smap = SchemaBuilder::map(string, int.clone()).build().unwrap();
    let imap = SchemaBuilder::map(SchemaBuilder::int64().build().unwrap(), int)
        .build()
        .unwrap();
    let mut out = render(
        &arr,
        &[
            (
                "[1,null,3]",
                Datum::array_owned(vec![Datum::Int32(1), Datum::Null, Datum::Int32(3)]),
            ),
            ("[]", Datum::array_owned(vec![])),
            ("null", Datum::Null),
        ],
    );
    out.push('\n');
    out.push_str(&render(
        &nested,
        &[(
            "[[1],null]",
            Datum::array_owned(vec![Datum::array_owned(vec![Datum::Int32(1)]), Datum::Null]),
        )],
    ));
    out.push('\n');
    out.push_str(&render(
        &smap,
        &[(
            "{a:1,b:null}",
            Datum::map_owned(vec![
                (Datum::str("a"), Datum::Int32(1)),
                (Datum::str("b"), Datum::Null),
            ]),
        )],
    ));
    out.push('\n');
    out.push_str(&render(
        &imap,
        &[(
            "{7:1}",
            Datum::map_owned(vec![(Datum::Int64(7), Datum::Int32(1))]),
        )],
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn row_struct_with_defaults_docs_and_nesting() {
    // The shape the envelope builder will produce: optional row structs under a named
    // parent, a column default, a doc, and a null optional struct.
    let id = SchemaBuilder::int64().build().unwrap();
    let status = SchemaBuilder::string()
        .optional()
        .default_value(Datum::str("new"))
        .doc("order status")
        .build()
        .unwrap();
    let row = SchemaBuilder::structure()
        .name("dbserver1.public.orders.Value")
        .optional()
        .field("id", id)
        .field("status", status)
        .build()
        .unwrap();
    let op = SchemaBuilder::string().build().unwrap();
    let envelope = SchemaBuilder::structure()
        .name("dbserver1.public.orders.Envelope")
        .version(2)
        .field("before", row.clone())
        .field("after", row)
        .field("op", op)
        .build()
        .unwrap();
    let after = [Datum::Int64(1), Datum::Null];
    let value = [Datum::Null, Datum::structure(&after), Datum::str("c")];
    let text = render(&envelope, &[("insert", Datum::structure(&value))]);
    assert!(text.contains(r#""payload":{"before":null,"after":{"id":1,"status":"new"},"op":"c"}"#));
    insta::assert_snapshot!(text);
}
