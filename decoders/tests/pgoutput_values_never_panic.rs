//! The pgoutput text-value decoder returns `Ok` or `Err` for any bytes and any type oid,
//! never panics, and reads back what it is given in PostgreSQL's own formats.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use tributary_decoders::pgoutput::values::{
    NoUserTypes, TextDecoder, UserType, UserTypes, builtin_arrays, decode_text_value,
};
use tributary_envelope::Value;

/// Built-in scalar oids, a few user types (enum, domain, user arrays, text, geometry) and
/// an unknown oid.
fn type_oids() -> Vec<u32> {
    let mut oids = vec![
        16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 142, 600, 601, 602, 603, 604, 628, 650, 700, 701,
        718, 774, 790, 829, 869, 1042, 1043, 1082, 1083, 1114, 1184, 1186, 1266, 1560, 1562, 1700,
        2950, 3614, 3802, 3904, 3912, 90_001, 90_002, 90_003, 90_004, 90_005, 90_006, 90_007,
        77_777,
    ];
    oids.extend(builtin_arrays().iter().map(|(a, _)| *a));
    oids
}

fn user_types() -> UserTypes {
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
            base_oid: 1007,
            base_typmod: -1,
        },
    );
    types.insert(90_004, UserType::Text);
    types.insert(90_005, UserType::Geometry);
    types.insert(
        90_006,
        UserType::Array {
            element_oid: 90_006,
            delimiter: b'{',
        },
    );
    types.insert(
        90_007,
        UserType::Array {
            element_oid: 17,
            delimiter: b'"',
        },
    );
    types
}

/// Text built from the characters PostgreSQL's formats are made of, so the parsers get
/// past their first byte more often than with uniform bytes.
fn structured() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(
            b"{}[]()<>\"\\,;:=.-+ 0123456789eEaftxNUL:BCinfyNaIt\xc3\xa9$".to_vec(),
        ),
        0..48,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(
        oid in prop::sample::select(type_oids()),
        bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..64), structured()],
    ) {
        let types = user_types();
        let _ = decode_text_value(oid, -1, &bytes, &types);
    }

    #[test]
    fn int_arrays_round_trip(items in prop::collection::vec(prop::option::of(any::<i32>()), 0..20)) {
        let text: Vec<String> = items
            .iter()
            .map(|i| i.map_or("NULL".to_owned(), |v| v.to_string()))
            .collect();
        let text = format!("{{{}}}", text.join(","));
        let want: Vec<Value> = items.iter().map(|i| i.map_or(Value::Null, Value::Int32)).collect();
        prop_assert_eq!(
            decode_text_value(1007, -1, text.as_bytes(), &NoUserTypes),
            Ok(Value::Array(want.into_boxed_slice()))
        );
    }

    #[test]
    fn quoted_text_elements_round_trip(items in prop::collection::vec(".*", 0..8)) {
        // array_out's quoting: every element quoted, `"` and `\` escaped.
        let quoted: Vec<String> = items
            .iter()
            .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        let text = format!("{{{}}}", quoted.join(","));
        let want: Vec<Value> = items.iter().map(|s| Value::Text(s.as_str().into())).collect();
        prop_assert_eq!(
            TextDecoder::new(1009, -1, &NoUserTypes).decode(text.as_bytes()),
            Ok(Value::Array(want.into_boxed_slice()))
        );
    }
}
