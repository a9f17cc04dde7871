//! Any binlog value against any column description converts to `Ok` or `Err`, never a panic:
//! out-of-range dates and times, ENUM indexes and SET masks beyond the labels, BIT values
//! wider than the column, short geometry, invalid text in every charset. The converter sees
//! values decoded from server bytes and descriptions rebuilt from DDL, so neither can be
//! trusted to agree.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;

use proptest::prelude::*;
use tributary_decoders::binlog::{
    Charset, ColumnKind, ColumnValue, Date, DateTime, IntegerType, Time, convert_value,
};

fn column_value() -> impl Strategy<Value = ColumnValue<'static>> {
    let date = (any::<u16>(), any::<u8>(), any::<u8>()).prop_map(|(year, month, day)| Date {
        year,
        month,
        day,
    });
    prop_oneof![
        Just(ColumnValue::Null),
        any::<i64>().prop_map(ColumnValue::Int),
        any::<u64>().prop_map(ColumnValue::UInt),
        (any::<u64>(), 0u8..10).prop_map(|(raw, bytes)| ColumnValue::IntUnknownSign { raw, bytes }),
        any::<f32>().prop_map(ColumnValue::Float),
        any::<f64>().prop_map(ColumnValue::Double),
        "[-+0-9.a-z]{0,12}".prop_map(ColumnValue::Decimal),
        any::<u16>().prop_map(ColumnValue::Year),
        date.clone().prop_map(ColumnValue::Date),
        (
            any::<bool>(),
            any::<u32>(),
            any::<u8>(),
            any::<u8>(),
            any::<u32>()
        )
            .prop_map(
                |(negative, hours, minutes, seconds, micros)| ColumnValue::Time(Time {
                    negative,
                    hours,
                    minutes,
                    seconds,
                    micros
                })
            ),
        (date, any::<u8>(), any::<u8>(), any::<u8>(), any::<u32>()).prop_map(
            |(date, hour, minute, second, micros)| ColumnValue::DateTime(DateTime {
                date,
                hour,
                minute,
                second,
                micros
            })
        ),
        (any::<u32>(), any::<u32>())
            .prop_map(|(seconds, micros)| ColumnValue::Timestamp { seconds, micros }),
        any::<u64>().prop_map(ColumnValue::Bit),
        any::<u16>().prop_map(ColumnValue::Enum),
        any::<u64>().prop_map(ColumnValue::Set),
        proptest::collection::vec(any::<u8>(), 0..16)
            .prop_map(|b| ColumnValue::Bytes(Cow::Owned(b))),
        ".{0,8}".prop_map(ColumnValue::Json),
        proptest::collection::vec(any::<u8>(), 0..16)
            .prop_map(|b| ColumnValue::Geometry(Cow::Owned(b))),
    ]
}

fn column_kind() -> impl Strategy<Value = ColumnKind> {
    let labels = proptest::collection::vec("[a-z]{0,3}", 0..70)
        .prop_map(|l| l.into_iter().map(Box::<str>::from).collect::<Box<[_]>>());
    let int = prop_oneof![
        Just(IntegerType::Tiny),
        Just(IntegerType::Small),
        Just(IntegerType::Medium),
        Just(IntegerType::Int),
        Just(IntegerType::Big),
    ];
    let charset = prop_oneof![
        Just(Charset::Utf8),
        Just(Charset::Latin1),
        Just(Charset::Ascii),
        Just(Charset::Utf16Be),
        Just(Charset::Utf16Le),
        Just(Charset::Utf32),
    ];
    prop_oneof![
        Just(ColumnKind::Bool),
        (int, any::<bool>()).prop_map(|(ty, unsigned)| ColumnKind::Integer { ty, unsigned }),
        Just(ColumnKind::Floating),
        Just(ColumnKind::Decimal),
        Just(ColumnKind::Year),
        Just(ColumnKind::Date),
        Just(ColumnKind::Time),
        Just(ColumnKind::DateTime),
        Just(ColumnKind::Timestamp),
        any::<u32>().prop_map(|len| ColumnKind::Bits { len }),
        labels.clone().prop_map(ColumnKind::Enum),
        labels.prop_map(ColumnKind::Set),
        charset.prop_map(ColumnKind::Text),
        Just(ColumnKind::Binary),
        Just(ColumnKind::Json),
        Just(ColumnKind::Geometry),
        Just(ColumnKind::Unknown),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn any_value_for_any_column_converts_or_errs(kind in column_kind(), value in column_value()) {
        let _ = convert_value(&kind, &value);
    }
}
