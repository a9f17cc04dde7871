//! MySQL 8 events that MariaDB cannot produce, built byte by byte from the documented formats
//! (libbinlogevents `control_events.h`, `rows_event.h`, `json_binary.h`): GTID, TABLE_MAP
//! optional metadata (signedness, column names, ENUM labels, primary key), WRITE_ROWS v2 with
//! binary JSON, TRANSACTION_PAYLOAD (zstd), and CRC32 verification.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mysql_common::binlog::consts::TransactionPayloadCompressionType;
use mysql_common::binlog::events::TransactionPayloadEvent;
use mysql_common::proto::MySerialize;
use tributary_decoders::binlog::{
    BinlogDecoder, BinlogError, ChecksumAlgorithm, ColumnValue as V, EventData, Gtid, RowChange,
};

/// A v4 event: 19-byte header (timestamp, type, server id 1, size, log_pos, flags) + body,
/// plus a CRC32 trailer when `crc`.
fn event(event_type: u8, body: &[u8], log_pos: u32, crc: bool) -> Vec<u8> {
    let size = 19 + body.len() + if crc { 4 } else { 0 };
    let mut e = Vec::new();
    e.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    e.push(event_type);
    e.extend_from_slice(&1u32.to_le_bytes());
    e.extend_from_slice(&(size as u32).to_le_bytes());
    e.extend_from_slice(&log_pos.to_le_bytes());
    e.extend_from_slice(&0u16.to_le_bytes());
    e.extend_from_slice(body);
    if crc {
        let c = crc32fast::hash(&e);
        e.extend_from_slice(&c.to_le_bytes());
    }
    e
}

/// FORMAT_DESCRIPTION of a MySQL 8.0.36 server: binlog version 4, the version string padded to
/// 50 bytes, create timestamp, header length 19, post-header lengths per type, then the
/// checksum algorithm byte and CRC32 (present since 5.6.1).
fn fde(crc: bool) -> Vec<u8> {
    let mut body = vec![4, 0];
    let mut version = b"8.0.36".to_vec();
    version.resize(50, 0);
    body.extend_from_slice(&version);
    body.extend_from_slice(&0u32.to_le_bytes());
    body.push(19);
    let mut lens = vec![0u8; 42];
    lens[0x02 - 1] = 13; // QUERY
    lens[0x04 - 1] = 8; // ROTATE
    lens[0x13 - 1] = 8; // TABLE_MAP
    for t in 0x17..=0x19 {
        lens[t - 1] = 8; // rows v1
    }
    for t in [0x1e, 0x1f, 0x20, 0x27] {
        lens[t - 1] = 10; // rows v2, PARTIAL_UPDATE_ROWS
    }
    lens[0x21 - 1] = 42; // GTID
    lens[0x22 - 1] = 42; // ANONYMOUS_GTID
    body.extend_from_slice(&lens);
    body.push(u8::from(crc)); // checksum algorithm
    // The FDE always ends with a checksum; computed over everything before it.
    let mut e = event(0x0f, &body, 0, false);
    let size = (e.len() + 4) as u32;
    e[9..13].copy_from_slice(&size.to_le_bytes());
    let c = crc32fast::hash(&e);
    e.extend_from_slice(&c.to_le_bytes());
    e
}

/// GTID_EVENT (untagged): flags, source UUID, GNO, logical-clock typecode 2, last_committed,
/// sequence_number.
fn gtid(gno: u64, crc: bool) -> Vec<u8> {
    let mut b = vec![1];
    b.extend_from_slice(&[
        0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95,
        0x62,
    ]);
    b.extend_from_slice(&gno.to_le_bytes());
    b.push(2);
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&1u64.to_le_bytes());
    event(0x21, &b, 0, crc)
}

/// TABLE_MAP for `shop`.`t` (table id 42): id INT UNSIGNED, n TINYINT, y YEAR,
/// big BIGINT UNSIGNED, e ENUM('on','off'), j JSON; with optional metadata SIGNEDNESS
/// (numeric columns only — YEAR has no bit — most significant bit first: 1,0,1),
/// COLUMN_NAME, ENUM_STR_VALUE and SIMPLE_PRIMARY_KEY.
fn table_map(crc: bool) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&42u64.to_le_bytes()[..6]);
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&[4, b's', b'h', b'o', b'p', 0, 1, b't', 0]);
    b.push(6);
    b.extend_from_slice(&[3, 1, 13, 8, 254, 245]);
    b.extend_from_slice(&[3, 0xf7, 0x01, 0x04]); // metadata: ENUM(real type, pack 1), JSON(4)
    b.push(0x3f); // all nullable
    let tlv = |b: &mut Vec<u8>, t: u8, v: &[u8]| {
        b.push(t);
        b.push(v.len() as u8);
        b.extend_from_slice(v);
    };
    tlv(&mut b, 1, &[0b1010_0000]);
    let mut names = Vec::new();
    for n in ["id", "n", "y", "big", "e", "j"] {
        names.push(n.len() as u8);
        names.extend_from_slice(n.as_bytes());
    }
    tlv(&mut b, 4, &names);
    tlv(&mut b, 6, &[2, 2, b'o', b'n', 3, b'o', b'f', b'f']);
    tlv(&mut b, 8, &[0]);
    event(0x13, &b, 0, crc)
}

/// Binary JSON of `{"a":[1,true]}`: small object (type 0), 1 key, key entry (offset 11, len 1),
/// value entry (small array at 12), key "a", array: 2 elements, int16 1 and literal true inline.
const JSONB: &[u8] = &[
    0x00, 1, 0, 22, 0, 11, 0, 1, 0, 0x02, 12, 0, b'a', 2, 0, 10, 0, 0x05, 1, 0, 0x04, 1, 0,
];

/// WRITE_ROWS v2 for table 42 with one row: 4294967295, -5, YEAR 0, 2^64-1, 'off', JSON.
fn write_rows(crc: bool) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&42u64.to_le_bytes()[..6]);
    b.extend_from_slice(&1u16.to_le_bytes()); // STMT_END_F
    b.extend_from_slice(&2u16.to_le_bytes()); // no extra data
    b.push(6);
    b.push(0x3f); // all columns present
    b.push(0); // no NULLs
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    b.push(0xfb);
    b.push(0);
    b.extend_from_slice(&u64::MAX.to_le_bytes());
    b.push(2);
    b.extend_from_slice(&(JSONB.len() as u32).to_le_bytes());
    b.extend_from_slice(JSONB);
    event(0x1e, &b, 0, crc)
}

fn xid(crc: bool) -> Vec<u8> {
    event(0x10, &77u64.to_le_bytes(), 0, crc)
}

fn expected_row() -> Vec<Option<V<'static>>> {
    [
        V::UInt(u64::from(u32::MAX)),
        V::Int(-5),
        V::Year(0),
        V::UInt(u64::MAX),
        V::Enum(2),
        V::Json(r#"{"a":[1,true]}"#.into()),
    ]
    .into_iter()
    .map(Some)
    .collect()
}

fn decode_all(decoder: &mut BinlogDecoder, raw: &[Vec<u8>]) -> Vec<EventData<'static>> {
    let mut out = Vec::new();
    for r in raw {
        for e in decoder.decode(r).unwrap_or_else(|e| panic!("{e}")) {
            out.push(e.into_owned().data);
        }
    }
    out
}

fn check_transaction(events: &[EventData<'static>]) {
    let [
        EventData::Gtid(g),
        EventData::TableMap(t),
        EventData::Rows(rows),
        EventData::Commit { xid: Some(77) },
    ] = events
    else {
        panic!("unexpected events: {events:?}");
    };
    assert!(matches!(
        g,
        Gtid::MySql {
            transaction_id: 9,
            tag: None,
            ..
        }
    ));
    assert_eq!(g.to_string(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:9");
    assert_eq!((t.schema.as_str(), t.table.as_str()), ("shop", "t"));
    assert_eq!(t.primary_key, Some(vec![0]));
    assert_eq!(t.columns[3].name.as_deref(), Some("big"));
    assert_eq!(
        t.columns[3].unsigned,
        Some(true),
        "YEAR must not take a signedness bit"
    );
    assert_eq!(t.columns[2].unsigned, None);
    assert_eq!(t.enum_label(4, 2), Some("off"));
    let changes: Vec<_> = rows.rows().map(Result::unwrap).collect();
    let [RowChange::Insert(row)] = changes.as_slice() else {
        panic!("{changes:?}");
    };
    assert_eq!(row.values(), expected_row().as_slice());
}

#[test]
fn mysql_transaction_with_optional_metadata_and_binary_json() {
    for crc in [false, true] {
        let mut decoder = BinlogDecoder::new();
        let events = decode_all(
            &mut decoder,
            &[
                fde(crc),
                gtid(9, crc),
                table_map(crc),
                write_rows(crc),
                xid(crc),
            ],
        );
        let EventData::FormatDescription { checksum, .. } = &events[0] else {
            panic!("{:?}", events[0]);
        };
        let want = if crc {
            ChecksumAlgorithm::Crc32
        } else {
            ChecksumAlgorithm::None
        };
        assert_eq!(*checksum, want);
        check_transaction(&events[1..]);
    }
}

#[test]
fn transaction_payload_is_decompressed_and_decoded() {
    // Inner events carry no checksum (WL#3549) even when the binlog is checksummed.
    let mut inner = Vec::new();
    for e in [table_map(false), write_rows(false), xid(false)] {
        inner.extend_from_slice(&e);
    }
    let compressed = zstd::encode_all(inner.as_slice(), 3).unwrap();
    let payload = TransactionPayloadEvent::new(
        compressed.len() as u64,
        TransactionPayloadCompressionType::ZSTD,
        inner.len() as u64,
        compressed,
    );
    let mut body = Vec::new();
    payload.serialize(&mut body);
    let mut decoder = BinlogDecoder::new();
    let events = decode_all(
        &mut decoder,
        &[fde(true), gtid(9, true), event(0x28, &body, 0, true)],
    );
    check_transaction(&events[1..]);
}

#[test]
fn corrupted_byte_fails_the_crc32_with_its_position() {
    let mut decoder = BinlogDecoder::new();
    decoder.set_file("binlog.000007");
    decode_all(&mut decoder, &[fde(true), gtid(9, true), table_map(true)]);
    let mut rows = write_rows(true);
    let size = rows.len() as u32;
    rows[13..17].copy_from_slice(&(1000 + size).to_le_bytes()); // log_pos: ends at 1000+size
    let n = rows.len();
    rows[n - 8] ^= 0x01;
    let err = decoder.decode(&rows).unwrap_err();
    assert!(matches!(err, BinlogError::ChecksumMismatch { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("binlog.000007:1000"), "{text}");
    assert!(text.contains("WRITE_ROWS_EVENT"), "{text}");
}

#[test]
fn rows_without_their_table_map_name_the_table_id() {
    let mut decoder = BinlogDecoder::new();
    decode_all(&mut decoder, &[fde(false)]);
    let err = decoder.decode(&write_rows(false)).unwrap_err();
    assert!(
        matches!(err, BinlogError::UnknownTable { table_id: 42, .. }),
        "{err}"
    );
}
