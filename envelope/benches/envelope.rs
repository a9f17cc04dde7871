//! "Build envelope + serialise" throughput: one PostgreSQL insert on a 10-column and a
//! 50-column table, from decoded `Value`s to JsonConverter bytes (key and value), with
//! `schemas.enable` on and off. One iteration = one event into reused buffers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tributary_envelope::decimal::Decimal;
use tributary_envelope::{
    ColumnDescription, ConnectorKind, EnvelopeOptions, EpochNanos, EventBuilder, Extended,
    JsonConverter, JsonConverterConfig, Numeric, Operation, PostgresSource, RowChange,
    SourcePosition, TableDescription, Value,
};

fn table(groups: usize) -> TableDescription {
    let mut columns = Vec::new();
    for g in 0..groups {
        columns.extend([
            ColumnDescription::new(format!("id{g}"), "int8").not_null(),
            ColumnDescription::new(format!("name{g}"), "varchar").not_null(),
            ColumnDescription::new(format!("email{g}"), "varchar"),
            ColumnDescription::new(format!("age{g}"), "int4"),
            ColumnDescription::new(format!("balance{g}"), "numeric").precision_scale(12, 2),
            ColumnDescription::new(format!("active{g}"), "bool").not_null(),
            ColumnDescription::new(format!("created_at{g}"), "timestamp").not_null(),
            ColumnDescription::new(format!("score{g}"), "float8"),
            ColumnDescription::new(format!("note{g}"), "text"),
            ColumnDescription::new(format!("ref{g}"), "uuid").not_null(),
        ]);
    }
    TableDescription {
        connector: ConnectorKind::Postgres,
        namespace: "public".into(),
        table: "orders".into(),
        columns,
        primary_key: vec!["id0".into()],
    }
}

fn row(groups: usize) -> Vec<Value> {
    let mut v = Vec::new();
    for g in 0..groups {
        v.extend([
            Value::Int64(1_000_000 + g as i64),
            Value::Text("Sally Thomas".into()),
            Value::Text("sally.thomas@acme.com".into()),
            Value::Int32(42),
            Value::Numeric(Numeric::Finite(Decimal::parse("1234.56").unwrap())),
            Value::Bool(true),
            Value::Timestamp(Extended::Finite(1_704_067_200_123_456)),
            Value::Float64(1234.5678),
            Value::Null,
            Value::Uuid([
                0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38,
                0x0a, 0x11,
            ]),
        ]);
    }
    v
}

fn bench(c: &mut Criterion) {
    let options = EnvelopeOptions::from_properties(
        ConnectorKind::Postgres,
        [
            ("topic.prefix", "dbserver1"),
            ("database.dbname", "inventory"),
        ],
    )
    .unwrap();
    let builder = EventBuilder::new(options).unwrap();
    for groups in [1usize, 5] {
        let schema = builder.table_schema(&table(groups)).unwrap();
        let after = row(groups);
        let change = RowChange {
            op: Operation::Create,
            before: None,
            after: Some(&after),
            source: SourcePosition::Postgres(PostgresSource {
                commit_time: EpochNanos::from_micros(1_704_067_200_000_000),
                tx_id: Some(771),
                lsn: Some(33_816_880),
                last_commit_lsn: Some(33_816_704),
                ..Default::default()
            }),
            transaction: None,
            processed_at: EpochNanos(1_704_067_201_000_000_000),
        };
        for schemas_enable in [false, true] {
            let converter = JsonConverter::new(JsonConverterConfig {
                schemas_enable,
                replace_null_with_default: true,
            });
            let (mut key, mut value) = (Vec::with_capacity(1024), Vec::with_capacity(32 * 1024));
            let mut records = Vec::with_capacity(4);
            let name = format!(
                "insert_{}_columns/schemas_{}",
                groups * 10,
                if schemas_enable { "on" } else { "off" }
            );
            let mut group = c.benchmark_group("envelope");
            group.throughput(Throughput::Elements(1));
            group.bench_function(name, |b| {
                b.iter(|| {
                    records.clear();
                    key.clear();
                    value.clear();
                    builder
                        .row_change(&schema, black_box(&change), &mut records)
                        .unwrap();
                    records[0]
                        .write_json(&converter, &mut key, &mut value)
                        .unwrap();
                    black_box((key.len(), value.len()))
                })
            });
            group.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
