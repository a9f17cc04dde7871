//! Binlog decoding throughput: WRITE_ROWS events of a typical table (BIGINT id, INT, VARCHAR,
//! DECIMAL(10,2), DATETIME(6)), decoded to column values, and decoded then converted to the
//! shared typed values with a reused row buffer (what the pipeline does). Reports rows/s.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tributary_decoders::binlog::{
    BinlogDecoder, Charset, ColumnKind, ColumnSpec, EventData, IntegerType, RowConverter,
};

const ROWS_PER_EVENT: usize = 100;
const EVENTS: usize = 100;

fn event(event_type: u8, body: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(&0u32.to_le_bytes());
    e.push(event_type);
    e.extend_from_slice(&1u32.to_le_bytes());
    e.extend_from_slice(&((19 + body.len()) as u32).to_le_bytes());
    e.extend_from_slice(&0u32.to_le_bytes());
    e.extend_from_slice(&0u16.to_le_bytes());
    e.extend_from_slice(body);
    e
}

fn fde() -> Vec<u8> {
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
    event(0x0f, &body)
}

fn table_map() -> Vec<u8> {
    let mut b = vec![
        1, 0, 0, 0, 0, 0, 0, 0, 3, b's', b'h', b'p', 0, 6, b'o', b'r', b'd', b'e',
    ];
    b.extend_from_slice(&[b'r', b's', 0, 5, 8, 3, 15, 246, 18]);
    b.extend_from_slice(&[5, 0xff, 0x00, 10, 2, 6]); // VARCHAR(255), DECIMAL(10,2), fsp 6
    b.push(0x1f);
    b.extend_from_slice(&[1, 1, 0b0000_0000]); // SIGNEDNESS: all signed
    event(0x13, &b)
}

fn write_rows(first_id: u64) -> Vec<u8> {
    let mut b = vec![1, 0, 0, 0, 0, 0, 1, 0, 2, 0, 5, 0x1f];
    for i in 0..ROWS_PER_EVENT as u64 {
        b.push(0);
        b.extend_from_slice(&(first_id + i).to_le_bytes());
        b.extend_from_slice(&(i as u32).to_le_bytes());
        let text = format!("customer-{i}@example.com");
        b.push(text.len() as u8);
        b.extend_from_slice(text.as_bytes());
        b.extend_from_slice(&[0x80, 0x00, 0x30, 0x39, 0x2a]); // 12345.42
        b.extend_from_slice(&[0x99, 0xb4, 0x4a, 0x7c, 0x10, 0x07, 0xa1, 0x20]); // a DATETIME(6)
    }
    event(0x1e, &b)
}

fn bench(c: &mut Criterion) {
    let events: Vec<Vec<u8>> = (0..EVENTS)
        .map(|e| write_rows((e * ROWS_PER_EVENT) as u64))
        .collect();
    let mut group = c.benchmark_group("binlog");
    group.throughput(Throughput::Elements((EVENTS * ROWS_PER_EVENT) as u64));
    group.bench_function("write_rows_decode", |b| {
        b.iter(|| {
            let mut decoder = BinlogDecoder::new();
            decoder.decode(&fde()).unwrap().for_each(drop);
            decoder.decode(&table_map()).unwrap().for_each(drop);
            let mut rows = 0;
            for raw in &events {
                for e in decoder.decode(raw).unwrap() {
                    let EventData::Rows(r) = e.data else {
                        panic!("not a rows event");
                    };
                    for row in r.rows() {
                        row.unwrap();
                        rows += 1;
                    }
                }
            }
            assert_eq!(rows, EVENTS * ROWS_PER_EVENT);
        });
    });
    let converter = RowConverter::new(
        "shop",
        "orders",
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
                    unsigned: false,
                },
            ),
            ColumnSpec::new("email", ColumnKind::Text(Charset::Utf8)),
            ColumnSpec::new("amount", ColumnKind::Decimal),
            ColumnSpec::new("at", ColumnKind::DateTime),
        ],
    );
    group.bench_function("write_rows_decode_convert", |b| {
        let mut values = Vec::new();
        b.iter(|| {
            let mut decoder = BinlogDecoder::new();
            decoder.decode(&fde()).unwrap().for_each(drop);
            decoder.decode(&table_map()).unwrap().for_each(drop);
            let mut rows = 0;
            for raw in &events {
                for e in decoder.decode(raw).unwrap() {
                    let EventData::Rows(r) = e.data else {
                        panic!("not a rows event");
                    };
                    for change in r.rows() {
                        let tributary_decoders::binlog::RowChange::Insert(row) = change.unwrap()
                        else {
                            panic!("not an insert");
                        };
                        converter
                            .convert_row(&row, r.position(), &mut values)
                            .unwrap();
                        rows += 1;
                    }
                }
            }
            assert_eq!(rows, EVENTS * ROWS_PER_EVENT);
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
