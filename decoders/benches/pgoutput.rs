//! Decode rate of pgoutput Insert messages shaped like the captured fixtures: a streamed
//! insert (xid + oid + 2 text columns) and a wider row (8 columns, mixed null/text), both
//! as messages/s (criterion "elements") and bytes/s.
//!
//! Run: `cargo bench -p tributary-decoders --bench pgoutput`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use tributary_decoders::pgoutput::{DecodeContext, Message, TupleValue, decode};

/// An Insert message: type, optional streamed xid, relation oid, 'N', then the columns.
fn insert(xid: Option<u32>, oid: u32, columns: &[Option<&[u8]>]) -> Vec<u8> {
    let mut m = vec![b'I'];
    if let Some(xid) = xid {
        m.extend(xid.to_be_bytes());
    }
    m.extend(oid.to_be_bytes());
    m.push(b'N');
    m.extend(
        u16::try_from(columns.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    for c in columns {
        match c {
            None => m.push(b'n'),
            Some(v) => {
                m.push(b't');
                m.extend(u32::try_from(v.len()).unwrap_or(u32::MAX).to_be_bytes());
                m.extend(*v);
            }
        }
    }
    m
}

fn bench(c: &mut Criterion) {
    const BATCH: usize = 1000;
    let cases = [
        (
            "insert_2_cols_streamed",
            DecodeContext {
                protocol_version: 2,
                in_stream: true,
            },
            (0..BATCH)
                .map(|i| {
                    let id = (i + 1).to_string();
                    insert(
                        Some(750),
                        16393,
                        &[Some(id.as_bytes()), Some(b"yyyyyyyyyy")],
                    )
                })
                .collect::<Vec<_>>(),
        ),
        (
            "insert_8_cols",
            DecodeContext::new(1),
            (0..BATCH)
                .map(|i| {
                    let id = (i + 1).to_string();
                    insert(
                        None,
                        16393,
                        &[
                            Some(id.as_bytes()),
                            Some(b"Ann Example"),
                            Some(b"happy"),
                            None,
                            Some(b"2026-11-26 13:12:12.123456+00"),
                            Some(b"12345.67"),
                            None,
                            Some(b"a somewhat longer free-text note column of a typical row"),
                        ],
                    )
                })
                .collect::<Vec<_>>(),
        ),
    ];
    let mut group = c.benchmark_group("pgoutput_decode");
    for (name, ctx, messages) in &cases {
        let bytes: usize = messages.iter().map(Vec::len).sum();
        group.throughput(Throughput::Elements(messages.len() as u64));
        group.bench_function(format!("{name}/messages"), |b| {
            b.iter(|| {
                for m in messages {
                    let _ = black_box(decode(black_box(m), *ctx));
                }
            })
        });
        group.throughput(Throughput::Bytes(bytes as u64));
        // Decode and read every value, as a consumer would.
        group.bench_function(format!("{name}/bytes_with_values"), |b| {
            b.iter(|| {
                let mut total = 0usize;
                for m in messages {
                    if let Ok(Message::Insert(i)) = decode(black_box(m), *ctx) {
                        for v in i.new.iter() {
                            if let TupleValue::Text(t) = v {
                                total += t.len();
                            }
                        }
                    }
                }
                black_box(total)
            })
        });
    }
    group.finish();
}

/// What `criterion_group!` would generate, written out so it can carry a doc comment
/// (the workspace denies undocumented items).
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
}

criterion_main!(benches);
