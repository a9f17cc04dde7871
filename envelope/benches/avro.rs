//! Avro serialisation throughput for a 10-column and a 50-column row struct, with the
//! schema id already known (the steady state: the registry is asked once per schema
//! version). One iteration = one framed event written into a reused buffer. The same rows
//! as `benches/json.rs`, so the two can be compared.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tributary_envelope::logical::{connect, debezium};
use tributary_envelope::{Datum, SchemaBuilder, SchemaRef, render_avro_schema, write_framed};

const DECIMAL: [u8; 3] = [0x01, 0xE2, 0x40];

/// A table-like row schema: `groups` repetitions of ten typical columns.
fn row_schema(groups: usize) -> SchemaRef {
    let mut b = SchemaBuilder::structure().name("dbserver1.public.orders.Value");
    for g in 0..groups {
        b = b
            .field(format!("id{g}"), SchemaBuilder::int64().build().unwrap())
            .field(format!("name{g}"), SchemaBuilder::string().build().unwrap())
            .field(
                format!("email{g}"),
                SchemaBuilder::string().optional().build().unwrap(),
            )
            .field(
                format!("age{g}"),
                SchemaBuilder::int32().optional().build().unwrap(),
            )
            .field(
                format!("balance{g}"),
                connect::decimal_with_precision(2, 12).build().unwrap(),
            )
            .field(
                format!("active{g}"),
                SchemaBuilder::boolean().build().unwrap(),
            )
            .field(
                format!("created_at{g}"),
                debezium::micro_timestamp().build().unwrap(),
            )
            .field(
                format!("score{g}"),
                SchemaBuilder::float64().optional().build().unwrap(),
            )
            .field(
                format!("note{g}"),
                SchemaBuilder::string().optional().build().unwrap(),
            )
            .field(format!("ref{g}"), debezium::uuid().build().unwrap());
    }
    b.build().unwrap()
}

fn row_values(groups: usize) -> Vec<Datum<'static>> {
    let mut v = Vec::with_capacity(groups * 10);
    for g in 0..groups {
        v.extend([
            Datum::Int64(1_000_000 + g as i64),
            Datum::str("Sally Thomas"),
            Datum::str("sally.thomas@acme.com"),
            Datum::Int32(42),
            Datum::bytes(&DECIMAL),
            Datum::Boolean(true),
            Datum::Int64(1_704_067_200_123_456),
            Datum::Float64(1234.5678),
            Datum::Null,
            Datum::str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        ]);
    }
    v
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("avro");
    group.throughput(Throughput::Elements(1));
    for groups in [1usize, 5] {
        let schema = row_schema(groups);
        let values = row_values(groups);
        let row = Datum::structure(&values);
        let mut out = Vec::with_capacity(16 * 1024);
        group.bench_function(format!("row_{}_columns/framed", groups * 10), |b| {
            b.iter(|| {
                out.clear();
                write_framed(7, Some(&schema), black_box(&row), &mut out).unwrap();
                black_box(out.len())
            })
        });
        // Rendering happens once per schema version; measured to show it is off the hot path.
        group.bench_function(format!("row_{}_columns/render_schema", groups * 10), |b| {
            b.iter(|| black_box(render_avro_schema(black_box(&schema)).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
