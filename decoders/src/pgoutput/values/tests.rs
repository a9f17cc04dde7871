//! Planning and dispatch: every built-in oid, user types, unknown types, errors.

use tributary_envelope::Value;
use tributary_envelope::value::{Extended, Numeric};

use super::super::Oid;
use super::catalog as oid;
use super::{NoUserTypes, TextDecoder, UserType, UserTypes, builtin_arrays, decode_text_value};

#[test]
fn every_builtin_oid_decodes_its_own_text_form() {
    let cases: &[(Oid, &str, Value)] = &[
        (oid::BOOL, "t", Value::Bool(true)),
        (oid::INT2, "-32768", Value::Int16(i16::MIN)),
        (oid::INT4, "0", Value::Int32(0)),
        (oid::INT8, "9223372036854775807", Value::Int64(i64::MAX)),
        (oid::OID, "4294967295", Value::Int64(4_294_967_295)),
        (oid::FLOAT4, "-Infinity", Value::Float32(f32::NEG_INFINITY)),
        (oid::FLOAT8, "1.5", Value::Float64(1.5)),
        (oid::NUMERIC, "NaN", Value::Numeric(Numeric::NaN)),
        (oid::TEXT, "", Value::Text("".into())),
        (oid::BPCHAR, "ab  ", Value::Text("ab  ".into())),
        (oid::NAME, "ünï", Value::Text("ünï".into())),
        (oid::CHAR, "x", Value::Text("x".into())),
        (oid::JSONB, r#"{"a": 1}"#, Value::Json(r#"{"a": 1}"#.into())),
        (oid::XML, "<a/>", Value::Text("<a/>".into())),
        (oid::INET, "::1/128", Value::Text("::1/128".into())),
        (oid::CIDR, "10.0.0.0/8", Value::Text("10.0.0.0/8".into())),
        (
            oid::MACADDR8,
            "08:00:2b:01:02:03:04:05",
            Value::Text("08:00:2b:01:02:03:04:05".into()),
        ),
        (oid::TSVECTOR, "'a':1", Value::Text("'a':1".into())),
        (oid::INT4RANGE, "[1,5)", Value::Text("[1,5)".into())),
        (oid::CIRCLE, "<(0,0),1>", Value::Text("<(0,0),1>".into())),
        (
            oid::DATE,
            "infinity",
            Value::Date(Extended::PositiveInfinity),
        ),
        (
            oid::INTERVAL,
            "1 day",
            Value::Interval {
                months: 0,
                days: 1,
                micros: 0,
            },
        ),
        (oid::POINT, "(0,0)", Value::Point { x: 0.0, y: 0.0 }),
        (
            oid::VARBIT,
            "",
            Value::Bits {
                len: 0,
                bytes: Box::new([]),
            },
        ),
    ];
    for (type_oid, text, want) in cases {
        assert_eq!(
            decode_text_value(*type_oid, -1, text.as_bytes(), &NoUserTypes).as_ref(),
            Ok(want),
            "oid {type_oid}"
        );
    }
}

#[test]
fn a_one_megabyte_text_is_one_allocation_of_its_own_size() {
    let big = "é".repeat(512 * 1024);
    let Ok(Value::Text(s)) = decode_text_value(oid::TEXT, -1, big.as_bytes(), &NoUserTypes) else {
        panic!()
    };
    assert_eq!(s.len(), 1024 * 1024);
}

#[test]
fn builtin_arrays_decode_their_elements() {
    for (array, element) in builtin_arrays() {
        let d = TextDecoder::new(*array, -1, &NoUserTypes);
        assert_eq!(d.unknown_type(), None, "{array}");
        assert_eq!(
            d.decode(b"{}"),
            Ok(Value::Array(Box::new([]))),
            "{array} of {element}"
        );
        assert_eq!(
            d.decode(b"{NULL}"),
            Ok(Value::Array(Box::new([Value::Null]))),
            "{array} of {element}"
        );
    }
}

#[test]
fn user_types_resolve_through_the_caller() {
    let mut types = UserTypes::new();
    types.insert(90_001, UserType::Enum);
    types.insert(
        90_002,
        UserType::Array {
            element_oid: 90_001,
            delimiter: b',',
        },
    );
    types.insert(
        90_003,
        UserType::Domain {
            base_oid: oid::INT4,
            base_typmod: -1,
        },
    );
    types.insert(
        90_004,
        UserType::Array {
            element_oid: 90_003,
            delimiter: b',',
        },
    );
    types.insert(90_005, UserType::Text);
    // A domain over itself must not recurse forever.
    types.insert(
        90_006,
        UserType::Domain {
            base_oid: 90_006,
            base_typmod: -1,
        },
    );
    let d = |oid: Oid, text: &str| decode_text_value(oid, -1, text.as_bytes(), &types);
    assert_eq!(d(90_001, "happy"), Ok(Value::Enum("happy".into())));
    assert_eq!(
        d(90_002, "{happy,NULL,\"very sad\"}"),
        Ok(Value::Array(Box::new([
            Value::Enum("happy".into()),
            Value::Null,
            Value::Enum("very sad".into()),
        ])))
    );
    assert_eq!(d(90_003, "42"), Ok(Value::Int32(42)));
    assert_eq!(
        d(90_004, "{1,2}"),
        Ok(Value::Array(Box::new([Value::Int32(1), Value::Int32(2)])))
    );
    assert_eq!(
        d(90_005, r#""a"=>"b", "c"=>NULL"#),
        Ok(Value::Text(r#""a"=>"b", "c"=>NULL"#.into()))
    );
    let cyclic = TextDecoder::new(90_006, -1, &types);
    assert_eq!(cyclic.unknown_type(), Some(90_006));
    assert_eq!(cyclic.decode(b"x"), Ok(Value::Unknown("x".into())));
}

#[test]
fn unknown_types_are_text_and_reported_never_null() {
    let d = TextDecoder::new(77_777, -1, &NoUserTypes);
    assert_eq!(d.unknown_type(), Some(77_777));
    assert_eq!(d.decode(b"(1,2)"), Ok(Value::Unknown("(1,2)".into())));
    assert_eq!(d.decode(b""), Ok(Value::Unknown("".into())));
    let mut types = UserTypes::new();
    types.insert(
        90_010,
        UserType::Array {
            element_oid: 77_777,
            delimiter: b',',
        },
    );
    let arr = TextDecoder::new(90_010, -1, &types);
    assert_eq!(arr.unknown_type(), Some(77_777));
    assert_eq!(
        arr.decode(b"{a,NULL}"),
        Ok(Value::Array(Box::new([
            Value::Unknown("a".into()),
            Value::Null
        ])))
    );
    assert_eq!(
        TextDecoder::new(oid::INT4, -1, &NoUserTypes).unknown_type(),
        None
    );
}

#[test]
fn errors_name_the_type_and_cut_the_text() {
    let long = "x".repeat(10_000);
    let err = decode_text_value(1007, -1, long.as_bytes(), &NoUserTypes).unwrap_err();
    assert_eq!(err.type_name, "int4[]");
    assert_eq!(err.text.chars().count(), 64);
    let err = decode_text_value(oid::DATE, -1, b"01/02/2003", &NoUserTypes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pgoutput: cannot decode date (type oid 1082) text \"01/02/2003\": expected \
         YYYY-MM-DD[ BC]; start the replication connection with -c DateStyle=ISO"
    );
}

#[test]
fn pg_type_rows_classify() {
    assert_eq!(
        UserType::from_pg_type(b'e', "mood", 0, -1, 0, b','),
        Some(UserType::Enum)
    );
    assert_eq!(
        UserType::from_pg_type(b'b', "_mood", 0, -1, 90_001, b','),
        Some(UserType::Array {
            element_oid: 90_001,
            delimiter: b','
        })
    );
    assert_eq!(
        UserType::from_pg_type(b'd', "posint", 23, -1, 0, b','),
        Some(UserType::Domain {
            base_oid: 23,
            base_typmod: -1
        })
    );
    assert_eq!(
        UserType::from_pg_type(b'b', "hstore", 0, -1, 0, b','),
        Some(UserType::Text)
    );
    assert_eq!(
        UserType::from_pg_type(b'b', "geometry", 0, -1, 0, b':'),
        Some(UserType::Geometry)
    );
    assert_eq!(
        UserType::from_pg_type(b'r', "floatrange", 0, -1, 0, b','),
        Some(UserType::Text)
    );
    assert_eq!(UserType::from_pg_type(b'c', "row_t", 0, -1, 0, b','), None);
}
