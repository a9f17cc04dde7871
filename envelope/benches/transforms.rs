//! Cost of a transform chain: a 3-step chain (`ExtractNewRecordState`, `RegexRouter`,
//! `MaskField$Value`) against no transforms, on a 10-column PostgreSQL row.
//!
//! - `pipeline/*`: one iteration = build the change record with `EventBuilder::row_change`,
//!   run the chain (or not), write key and value with JsonConverter (schemas on) into reused
//!   buffers — the per-event work of the envelope stage.
//! - `chain_only/*`: one iteration = build the record and run the chain, no conversion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tributary_envelope::decimal::Decimal;
use tributary_envelope::transform::TransformChain;
use tributary_envelope::{
    ColumnDescription, ConnectorKind, EnvelopeOptions, EpochNanos, EventBuilder, Extended,
    JsonConverter, Numeric, Operation, PostgresSource, RowChange, SnapshotMarker, SourcePosition,
    TableDescription, Value,
};

fn table() -> TableDescription {
    TableDescription {
        connector: ConnectorKind::Postgres,
        namespace: "public".into(),
        table: "customers".into(),
        columns: vec![
            ColumnDescription::new("id", "int8").not_null(),
            ColumnDescription::new("name", "varchar").not_null(),
            ColumnDescription::new("email", "varchar"),
            ColumnDescription::new("age", "int4"),
            ColumnDescription::new("balance", "numeric").precision_scale(12, 2),
            ColumnDescription::new("active", "bool").not_null(),
            ColumnDescription::new("created_at", "timestamp").fsp(6),
            ColumnDescription::new("score", "float8"),
            ColumnDescription::new("note", "text"),
            ColumnDescription::new("ref", "uuid"),
        ],
        primary_key: vec!["id".into()],
    }
}

fn row() -> Vec<Value> {
    vec![
        Value::Int64(1_000_001),
        Value::Text("Sally Thomas".into()),
        Value::Text("sally.thomas@acme.com".into()),
        Value::Int32(42),
        Value::Numeric(Numeric::Finite(Decimal::parse("1234.50").unwrap())),
        Value::Bool(true),
        Value::Timestamp(Extended::Finite(1_704_067_200_123_456)),
        Value::Float64(1234.5678),
        Value::Null,
        Value::Uuid([0xa0; 16]),
    ]
}

fn chain(with_transforms: bool) -> TransformChain {
    let props: &[(&str, &str)] = if with_transforms {
        &[
            ("transforms", "unwrap,route,mask"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.route.regex", r"dbserver1\.public\.(.*)"),
            ("transforms.route.replacement", "cdc.$1"),
            (
                "transforms.mask.type",
                "org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ("transforms.mask.fields", "email"),
        ]
    } else {
        &[]
    };
    TransformChain::from_properties(props.iter().copied()).unwrap()
}

fn bench(c: &mut Criterion) {
    let builder = EventBuilder::new(
        EnvelopeOptions::from_properties(
            ConnectorKind::Postgres,
            [
                ("topic.prefix", "dbserver1"),
                ("database.dbname", "inventory"),
            ],
        )
        .unwrap(),
    )
    .unwrap();
    let table = builder.table_schema(&table()).unwrap();
    let after = row();
    let change = RowChange {
        op: Operation::Update,
        before: None,
        after: Some(&after),
        source: SourcePosition::Postgres(PostgresSource {
            commit_time: EpochNanos::from_micros(1_704_164_645_123_456),
            snapshot: SnapshotMarker::False,
            tx_id: Some(771),
            lsn: Some(33_816_880),
            xmin: None,
            last_commit_lsn: Some(33_816_704),
        }),
        transaction: None,
        processed_at: EpochNanos(1_704_164_646_000_123_456),
    };
    let converter = JsonConverter::default();

    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    for (label, with) in [("no_transforms", false), ("unwrap_route_mask", true)] {
        let mut chain = chain(with);
        let (mut records, mut key, mut value) = (Vec::new(), Vec::new(), Vec::new());
        group.bench_function(label, |b| {
            b.iter(|| {
                records.clear();
                key.clear();
                value.clear();
                builder
                    .row_change(&table, black_box(&change), &mut records)
                    .unwrap();
                for r in records.drain(..) {
                    if let Some(out) = chain.apply(r).unwrap() {
                        out.write_json(&converter, &mut key, &mut value).unwrap();
                    }
                }
                black_box((key.len(), value.len()))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("chain_only");
    group.throughput(Throughput::Elements(1));
    for (label, with) in [("no_transforms", false), ("unwrap_route_mask", true)] {
        let mut chain = chain(with);
        let mut records = Vec::new();
        group.bench_function(label, |b| {
            b.iter(|| {
                records.clear();
                builder
                    .row_change(&table, black_box(&change), &mut records)
                    .unwrap();
                let mut kept = 0usize;
                for r in records.drain(..) {
                    kept += usize::from(black_box(chain.apply(r).unwrap()).is_some());
                }
                kept
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
