//! Row images converted with a column description: the values come out typed, and a
//! description that does not match the row (another column count, another type) is a typed
//! error naming the table, the column and the binlog position — never a guess.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tributary_decoders::binlog::{
    BinlogDecoder, Charset, ColumnKind, ColumnSpec, EventData, IntegerType, RowChange,
    RowConvertError, RowConverter,
};
use tributary_envelope::Value;
use tributary_envelope::decimal::Decimal;
use tributary_envelope::value::{Extended, Numeric};

fn event(event_type: u8, log_pos: u32, body: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(&0u32.to_le_bytes());
    e.push(event_type);
    e.extend_from_slice(&1u32.to_le_bytes());
    e.extend_from_slice(&((19 + body.len()) as u32).to_le_bytes());
    e.extend_from_slice(&log_pos.to_le_bytes());
    e.extend_from_slice(&0u16.to_le_bytes());
    e.extend_from_slice(body);
    e
}

/// A MySQL 8 FORMAT_DESCRIPTION without checksums, then a TABLE_MAP of `shop`.`orders`
/// (BIGINT, INT UNSIGNED, VARCHAR(255), DECIMAL(10,2), DATETIME(6)).
fn decoder() -> BinlogDecoder {
    let mut body = vec![4, 0];
    let mut version = b"8.0.36".to_vec();
    version.resize(50, 0);
    body.extend_from_slice(&version);
    body.extend_from_slice(&[0, 0, 0, 0, 19]);
    let mut lens = vec![0u8; 42];
    lens[0x12] = 8;
    lens[0x1d] = 10;
    body.extend_from_slice(&lens);
    body.extend_from_slice(&[0, 0, 0, 0, 0]);
    let mut d = BinlogDecoder::new();
    d.set_file("binlog.000007");
    d.decode(&event(0x0f, 0, &body)).unwrap().for_each(drop);
    let mut b = vec![
        1, 0, 0, 0, 0, 0, 0, 0, 4, b's', b'h', b'o', b'p', 0, 6, b'o', b'r', b'd', b'e', b'r',
        b's', 0, 5, 8, 3, 15, 246, 18,
    ];
    b.extend_from_slice(&[5, 0xff, 0x00, 10, 2, 6]);
    b.push(0x1f);
    b.extend_from_slice(&[1, 1, 0b0100_0000]); // SIGNEDNESS: the INT is unsigned
    d.decode(&event(0x13, 0, &b)).unwrap().for_each(drop);
    d
}

/// One WRITE_ROWS v2 event at offset 1000 with one row.
fn write_rows() -> Vec<u8> {
    let mut b = vec![1, 0, 0, 0, 0, 0, 1, 0, 2, 0, 5, 0x1f, 0];
    b.extend_from_slice(&(-7i64).to_le_bytes());
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    let text = "grüße";
    b.push(text.len() as u8);
    b.extend_from_slice(text.as_bytes());
    b.extend_from_slice(&[0x80, 0x00, 0x30, 0x39, 0x2a]); // 12345.42
    b.extend_from_slice(&[0x99, 0xb4, 0x4a, 0x7c, 0x10, 0x07, 0xa1, 0x20]); // a DATETIME(6)
    event(0x1e, 1000 + 19 + b.len() as u32, &b)
}

fn specs() -> Vec<ColumnSpec> {
    vec![
        ColumnSpec::new(
            "id",
            ColumnKind::Integer {
                ty: IntegerType::Big,
                unsigned: false,
            },
        ),
        ColumnSpec::new(
            "qty",
            ColumnKind::Integer {
                ty: IntegerType::Int,
                unsigned: true,
            },
        ),
        ColumnSpec::new("email", ColumnKind::Text(Charset::Utf8)),
        ColumnSpec::new("amount", ColumnKind::Decimal),
        ColumnSpec::new("at", ColumnKind::DateTime),
    ]
}

fn convert(converter: &RowConverter) -> Result<Vec<Value>, RowConvertError> {
    let mut d = decoder();
    let raw = write_rows();
    let mut out = vec![Value::Null; 9]; // a reused buffer: cleared first
    for e in d.decode(&raw).unwrap() {
        let EventData::Rows(r) = e.data else {
            panic!("not a rows event");
        };
        for change in r.rows() {
            let RowChange::Insert(row) = change.unwrap() else {
                panic!("not an insert");
            };
            converter.convert_row(&row, r.position(), &mut out)?;
        }
    }
    Ok(out)
}

#[test]
fn row_converts_to_typed_values() {
    let values = convert(&RowConverter::new("shop", "orders", specs())).unwrap();
    let Value::Timestamp(Extended::Finite(at)) = values[4] else {
        panic!("{:?}", values[4]);
    };
    assert_eq!(
        &values[..4],
        &[
            Value::Int64(-7),
            Value::Int64(i64::from(u32::MAX)),
            Value::Text("grüße".into()),
            Value::Numeric(Numeric::Finite(Decimal::parse("12345.42").unwrap())),
        ]
    );
    assert!(at > 0, "{at}");
}

#[test]
fn a_column_count_mismatch_names_table_and_position() {
    let mut fewer = specs();
    fewer.pop();
    let err = convert(&RowConverter::new("shop", "orders", fewer)).unwrap_err();
    let RowConvertError::ColumnCount(mismatch) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        (mismatch.schema.as_str(), mismatch.table.as_str()),
        ("shop", "orders")
    );
    assert_eq!(mismatch.at.file.as_deref(), Some("binlog.000007"));
    assert_eq!(mismatch.at.offset, 1000);
    assert_eq!((mismatch.row_columns, mismatch.schema_columns), (5, 4));
    let message = err.to_string();
    assert!(
        message.contains("`shop`.`orders`") && message.contains("binlog.000007:1000"),
        "{message}"
    );
}

#[test]
fn a_type_mismatch_is_an_error_not_a_guess() {
    let mut wrong = specs();
    wrong[2] = ColumnSpec::new(
        "email",
        ColumnKind::Integer {
            ty: IntegerType::Int,
            unsigned: false,
        },
    );
    let err = convert(&RowConverter::new("shop", "orders", wrong)).unwrap_err();
    assert!(
        matches!(&err, RowConvertError::Value(e) if e.column == 2 && e.column_name == "email"),
        "{err:?}"
    );
}
