//! Garbage in, `Ok` or `Err` out: the binlog decoder never panics, whatever the bytes. Covers
//! arbitrary events of every type code, and arbitrary TABLE_MAP + rows bodies whose row images
//! are then decoded (reaching mysql_common's DECIMAL, DATETIME2 and binary-JSON readers).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use tributary_decoders::binlog::{BinlogDecoder, EventData};

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

/// A decoder that has seen a MySQL 8 FORMAT_DESCRIPTION without checksums.
fn decoder() -> BinlogDecoder {
    let mut body = vec![4, 0];
    let mut version = b"8.0.36".to_vec();
    version.resize(50, 0);
    body.extend_from_slice(&version);
    body.extend_from_slice(&[0, 0, 0, 0, 19]);
    let mut lens = vec![0u8; 42];
    lens[1] = 13;
    lens[3] = 8;
    lens[0x12] = 8;
    for t in [0x1e, 0x1f, 0x20, 0x27] {
        lens[t - 1] = 10;
    }
    lens[0x20] = 42;
    body.extend_from_slice(&lens);
    body.extend_from_slice(&[0, 0, 0, 0, 0]);
    let mut d = BinlogDecoder::new();
    d.decode(&event(0x0f, &body)).unwrap();
    d
}

fn drain(d: &mut BinlogDecoder, raw: &[u8]) {
    if let Ok(events) = d.decode(raw) {
        for e in events {
            if let EventData::Rows(rows) = e.data {
                for row in rows.rows() {
                    let _ = row;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_raw_bytes(raw in proptest::collection::vec(any::<u8>(), 0..200)) {
        drain(&mut decoder(), &raw);
        drain(&mut BinlogDecoder::new(), &raw);
    }

    #[test]
    fn arbitrary_event_of_any_type(t in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..300)) {
        drain(&mut decoder(), &event(t, &body));
    }

    #[test]
    fn arbitrary_table_and_rows(
        types in proptest::collection::vec(
            prop_oneof![Just(1u8), Just(3), Just(8), Just(13), Just(15), Just(16), Just(17),
                Just(18), Just(19), Just(245), Just(246), Just(247), Just(248), Just(252),
                Just(254), Just(255), any::<u8>()],
            1..8),
        meta in proptest::collection::vec(any::<u8>(), 0..24),
        rows in proptest::collection::vec(any::<u8>(), 0..200),
        rows_type in prop_oneof![Just(0x1eu8), Just(0x1f), Just(0x20), Just(0x27), Just(0x17)],
    ) {
        let mut d = decoder();
        let mut tm = vec![7, 0, 0, 0, 0, 0, 0, 0, 1, b'd', 0, 1, b't', 0, types.len() as u8];
        tm.extend_from_slice(&types);
        tm.push(meta.len() as u8);
        tm.extend_from_slice(&meta);
        tm.push(0xff);
        drain(&mut d, &event(0x13, &tm));
        let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0];
        if rows_type != 0x17 {
            body.extend_from_slice(&[2, 0]);
        }
        body.push(types.len() as u8);
        body.extend_from_slice(&[0xff, 0xff]);
        body.extend_from_slice(&rows);
        drain(&mut d, &event(rows_type, &body));
    }
}
