//! Binlog decoding against a real MariaDB 10.11: edge values of every column type are written,
//! the server's binlog files are read from its data directory, and the decoded rows must equal
//! what was written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::path::Path;

use tributary_decoders::binlog::{
    BINLOG_MAGIC, BinlogDecoder, BinlogError, ColumnValue as V, Date, DateTime, EventData, Gtid,
    Row, RowChange, Time,
};
use tributary_testcontainers::MariaDb;

type Values = Vec<Option<V<'static>>>;

/// A decoded row change with owned values.
#[derive(Debug, Clone, PartialEq)]
enum Change {
    Insert(Values),
    Update(Values, Values),
    Delete(Values),
}

/// Everything decoded from the binlog that concerns one schema.
#[derive(Default)]
struct Captured {
    rows: Vec<(String, Change)>,
    ddl: Vec<String>,
    gtids: Vec<Gtid>,
    commits: usize,
}

fn values(row: Row<'_>) -> Values {
    row.into_values()
        .into_iter()
        .map(|v| v.map(V::into_owned))
        .collect()
}

/// Reads every binlog file in `dir` in order and decodes it; keeps what concerns `schema`.
fn capture(dir: &Path, schema: &str, unsigned: &[(&str, Vec<bool>)]) -> Captured {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            n.strip_prefix("mysql-bin.")
                .is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no binlog files in {}", dir.display());
    let mut out = Captured::default();
    for name in files {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        assert_eq!(bytes[..4], BINLOG_MAGIC, "{name} lacks the binlog magic");
        let mut decoder = BinlogDecoder::new();
        decoder.set_file(&name);
        for (table, flags) in unsigned {
            decoder.set_unsigned_columns(schema, table, flags);
        }
        let mut pos = 4;
        let mut in_schema = false;
        while pos + 19 <= bytes.len() {
            let size = u32::from_le_bytes(bytes[pos + 9..pos + 13].try_into().unwrap()) as usize;
            if pos + size > bytes.len() {
                break; // an event still being written by a concurrent test
            }
            let events = match decoder.decode(&bytes[pos..pos + size]) {
                Ok(events) => events,
                // The server is shared: `statement_based_dml_is_refused` writes a
                // statement-based insert into its own schema, which only that test reads.
                Err(BinlogError::StatementBasedDml { schema: other, .. }) if other != schema => {
                    pos += size;
                    continue;
                }
                Err(e) => panic!("{e}"),
            };
            for event in events {
                match event.data {
                    EventData::Gtid(g) => {
                        in_schema = false;
                        out.gtids.push(g);
                    }
                    EventData::Ddl {
                        schema: s,
                        statement,
                    } if s == schema => out.ddl.push(statement),
                    EventData::TableMap(t) if t.schema == schema => in_schema = true,
                    EventData::Rows(rows) if rows.table().schema == schema => {
                        for change in rows.rows() {
                            let change = match change.unwrap_or_else(|e| panic!("{e}")) {
                                RowChange::Insert(r) => Change::Insert(values(r)),
                                RowChange::Delete(r) => Change::Delete(values(r)),
                                RowChange::Update { before, after } => {
                                    Change::Update(values(before), values(after))
                                }
                            };
                            out.rows.push((rows.table().table.clone(), change));
                        }
                    }
                    EventData::Commit { xid } if in_schema => {
                        assert!(xid.is_some(), "InnoDB commits are XID events");
                        out.commits += 1;
                        in_schema = false;
                    }
                    _ => {}
                }
            }
            pos += size;
        }
    }
    out
}

const COLUMNS: &str = "
    id INT PRIMARY KEY,
    ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
    mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
    bi BIGINT, biu BIGINT UNSIGNED,
    dec1 DECIMAL(10,2), dec2 DECIMAL(65,30), f FLOAT, d DOUBLE,
    b1 BIT(1), b64 BIT(64), y YEAR, dt DATE,
    t0 TIME, t1 TIME(1), t6 TIME(6),
    dtm0 DATETIME, dtm6 DATETIME(6), ts0 TIMESTAMP NULL, ts6 TIMESTAMP(6) NULL,
    c CHAR(10), vc VARCHAR(300), txt TEXT, bl LONGBLOB,
    e ENUM('a','b','c'), st SET('x','y','z'), j JSON, g GEOMETRY";

/// Column signedness in table order, as the caller's schema history would supply it.
fn unsigned_flags() -> Vec<bool> {
    let mut flags = vec![false; 34];
    for i in [2, 4, 6, 8, 10] {
        flags[i] = true;
    }
    flags
}

fn date(year: u16, month: u8, day: u8) -> Date {
    Date { year, month, day }
}

fn datetime(d: Date, hour: u8, minute: u8, second: u8, micros: u32) -> V<'static> {
    V::DateTime(DateTime {
        date: d,
        hour,
        minute,
        second,
        micros,
    })
}

fn time(negative: bool, hours: u32, minutes: u8, seconds: u8, micros: u32) -> V<'static> {
    V::Time(Time {
        negative,
        hours,
        minutes,
        seconds,
        micros,
    })
}

fn bytes(b: &[u8]) -> V<'static> {
    V::Bytes(Cow::Owned(b.to_vec()))
}

fn point(x: f64, y: f64) -> V<'static> {
    let mut g = vec![0, 0, 0, 0, 1, 1, 0, 0, 0];
    g.extend_from_slice(&x.to_le_bytes());
    g.extend_from_slice(&y.to_le_bytes());
    V::Geometry(Cow::Owned(g))
}

const UTF8: &str = "héllo wörld ✓ 🌍 日本語";
const DEC2_MIN: &str = "-12345678901234567890123456789012345.123456789012345678901234567890";
const JSON: &str = r#"{"a": [1, 2.5, {"b": null, "c": [true, "ü"]}], "d": {"e": {}}}"#;

fn min_row() -> Values {
    [
        V::Int(1),
        V::Int(-128),
        V::UInt(0),
        V::Int(-32768),
        V::UInt(0),
        V::Int(-8_388_608),
        V::UInt(0),
        V::Int(i64::from(i32::MIN)),
        V::UInt(0),
        V::Int(i64::MIN),
        V::UInt(0),
        V::Decimal("-99999999.99".into()),
        V::Decimal(DEC2_MIN.into()),
        V::Float(-1.5),
        V::Double(-2.25e300),
        V::Bit(0),
        V::Bit(0),
        V::Year(1901),
        V::Date(date(1000, 1, 1)),
        time(true, 838, 59, 59, 0),
        time(true, 0, 0, 1, 500_000),
        time(true, 838, 59, 59, 0),
        datetime(date(1000, 1, 1), 0, 0, 0, 0),
        datetime(date(1000, 1, 1), 0, 0, 0, 0),
        V::Timestamp {
            seconds: 1,
            micros: 0,
        },
        V::Timestamp {
            seconds: 1,
            micros: 1,
        },
        bytes(b""),
        bytes(b""),
        bytes(b""),
        bytes(b""),
        V::Enum(1),
        V::Set(0),
        bytes(b"{}"),
        point(0.0, 0.0),
    ]
    .into_iter()
    .map(Some)
    .collect()
}

fn max_row() -> Values {
    let blob: Vec<u8> = (0..100_400u32).map(|i| (i % 251) as u8).collect();
    [
        V::Int(2),
        V::Int(127),
        V::UInt(255),
        V::Int(32767),
        V::UInt(65535),
        V::Int(8_388_607),
        V::UInt(16_777_215),
        V::Int(i64::from(i32::MAX)),
        V::UInt(u64::from(u32::MAX)),
        V::Int(i64::MAX),
        V::UInt(u64::MAX),
        V::Decimal("99999999.99".into()),
        V::Decimal("0.000000000000000000000000000001".into()),
        V::Float(3.5),
        V::Double(f64::MAX),
        V::Bit(1),
        V::Bit(u64::MAX),
        V::Year(2155),
        V::Date(date(9999, 12, 31)),
        time(false, 838, 59, 59, 0),
        time(false, 123, 45, 6, 700_000),
        time(false, 34, 56, 7, 890_123),
        datetime(date(9999, 12, 31), 23, 59, 59, 0),
        datetime(date(9999, 12, 31), 23, 59, 59, 999_999),
        V::Timestamp {
            seconds: i32::MAX as u32,
            micros: 0,
        },
        V::Timestamp {
            seconds: i32::MAX as u32,
            micros: 999_999,
        },
        bytes(b"abc"),
        bytes(UTF8.repeat(10).as_bytes()),
        bytes("ü".repeat(20_000).as_bytes()),
        V::Bytes(Cow::Owned(blob)),
        V::Enum(3),
        V::Set(0b101),
        bytes(JSON.as_bytes()),
        point(1.5, -2.25),
    ]
    .into_iter()
    .map(Some)
    .collect()
}

#[test]
fn every_column_type_round_trips_through_the_binlog() {
    let mariadb = MariaDb::shared().unwrap();
    let db = mariadb.create_database().unwrap();
    let schema = db.database.clone().unwrap();
    let pattern_hex: String = (0..251u32).map(|i| format!("{i:02x}")).collect();
    let utf8_10 = UTF8.repeat(10);
    mariadb
        .sql(&format!(
            "USE `{schema}`;
             SET NAMES utf8mb4;
             SET time_zone = '+00:00';
             CREATE TABLE types ({COLUMNS}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
             INSERT INTO types VALUES (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,
               -9223372036854775808, 0, -99999999.99, {DEC2_MIN}, -1.5, -2.25e300,
               b'0', b'0', 1901, '1000-01-01', '-838:59:59', '-00:00:01.5', '-838:59:59',
               '1000-01-01 00:00:00', '1000-01-01 00:00:00', '1970-01-01 00:00:01',
               '1970-01-01 00:00:01.000001', '', '', '', '', 'a', '', '{{}}',
               ST_GeomFromText('POINT(0 0)'));
             INSERT INTO types VALUES (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647,
               4294967295, 9223372036854775807, 18446744073709551615, 99999999.99,
               0.000000000000000000000000000001, 3.5, 1.7976931348623157e308,
               b'1', x'FFFFFFFFFFFFFFFF', 2155, '9999-12-31', '838:59:59', '123:45:06.7',
               '34:56:07.890123', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999',
               '2038-01-19 03:14:07', '2038-01-19 03:14:07.999999', 'abc', '{utf8_10}',
               REPEAT('ü', 20000), REPEAT(x'{pattern_hex}', 400), 'c', 'z,x', '{JSON}',
               ST_GeomFromText('POINT(1.5 -2.25)'));
             INSERT INTO types (id) VALUES (3);
             SET sql_mode = '';
             INSERT INTO types (id, y, dt, dtm0, dtm6, ts0)
               VALUES (4, 0, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000',
               '0000-00-00 00:00:00');
             UPDATE types SET i = 42, vc = 'changed' WHERE id = 2;
             DELETE FROM types WHERE id = 3;"
        ))
        .unwrap();

    let got = capture(&mariadb.data_dir(), &schema, &[("types", unsigned_flags())]);

    assert!(
        got.ddl.iter().any(|s| s.contains("CREATE TABLE types")),
        "CREATE TABLE not seen as DDL: {:?}",
        got.ddl
    );
    assert_eq!(got.commits, 6, "one XID per DML statement");
    assert!(got.gtids.iter().all(|g| matches!(
        g,
        Gtid::MariaDb {
            domain_id: 0,
            server_id: 1,
            ..
        }
    )));

    let null_row = |id: i64| -> Values {
        let mut v = vec![Some(V::Null); 34];
        v[0] = Some(V::Int(id));
        v
    };
    let mut zero_row = null_row(4);
    zero_row[17] = Some(V::Year(0));
    zero_row[18] = Some(V::Date(date(0, 0, 0)));
    zero_row[22] = Some(datetime(date(0, 0, 0), 0, 0, 0, 0));
    zero_row[23] = Some(datetime(date(0, 0, 0), 0, 0, 0, 0));
    zero_row[24] = Some(V::Timestamp {
        seconds: 0,
        micros: 0,
    });
    let mut updated = max_row();
    updated[7] = Some(V::Int(42));
    updated[27] = Some(bytes(b"changed"));

    let expected = vec![
        Change::Insert(min_row()),
        Change::Insert(max_row()),
        Change::Insert(null_row(3)),
        Change::Insert(zero_row),
        Change::Update(max_row(), updated),
        Change::Delete(null_row(3)),
    ];
    let changes: Vec<_> = got.rows.iter().map(|(_, c)| c.clone()).collect();
    assert_eq!(changes.len(), expected.len());
    for (i, (g, e)) in changes.iter().zip(&expected).enumerate() {
        let (gv, ev) = match (g, e) {
            (Change::Insert(a), Change::Insert(b)) | (Change::Delete(a), Change::Delete(b)) => {
                (vec![a], vec![b])
            }
            (Change::Update(a1, a2), Change::Update(b1, b2)) => (vec![a1, a2], vec![b1, b2]),
            _ => panic!("change {i}: kind differs: {g:?} vs {e:?}"),
        };
        for (a, b) in gv.iter().zip(&ev) {
            for (col, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                assert_eq!(x, y, "change {i}, column {col}");
            }
            assert_eq!(a.len(), b.len());
        }
    }
}

#[test]
fn integers_without_signedness_stay_raw_until_resolved() {
    let mariadb = MariaDb::shared().unwrap();
    let db = mariadb.create_database().unwrap();
    let schema = db.database.clone().unwrap();
    mariadb
        .sql(&format!(
            "USE `{schema}`;
             CREATE TABLE n (a TINYINT UNSIGNED, b INT, c BIGINT UNSIGNED);
             INSERT INTO n VALUES (255, -1, 18446744073709551615);"
        ))
        .unwrap();
    let got = capture(&mariadb.data_dir(), &schema, &[]);
    let [(_, Change::Insert(row))] = got.rows.as_slice() else {
        panic!("expected one insert, got {:?}", got.rows);
    };
    assert_eq!(
        row,
        &vec![
            Some(V::IntUnknownSign { raw: 255, bytes: 1 }),
            Some(V::IntUnknownSign {
                raw: 0xffff_ffff,
                bytes: 4
            }),
            Some(V::IntUnknownSign {
                raw: u64::MAX,
                bytes: 8
            }),
        ]
    );
    let resolved: Vec<_> = row
        .iter()
        .zip([true, false, true])
        .map(|(v, u)| v.clone().unwrap().resolve_sign(u))
        .collect();
    assert_eq!(resolved, vec![V::UInt(255), V::Int(-1), V::UInt(u64::MAX)]);
}

#[test]
fn statement_based_dml_is_refused() {
    let mariadb = MariaDb::shared().unwrap();
    let db = mariadb.create_database().unwrap();
    let schema = db.database.clone().unwrap();
    mariadb
        .sql(&format!(
            "USE `{schema}`;
             CREATE TABLE s (a INT);
             SET SESSION binlog_format = 'STATEMENT';
             INSERT INTO s VALUES (1);"
        ))
        .unwrap();
    let dir = mariadb.data_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("mysql-bin.0"))
        .collect();
    files.sort();
    let mut found = None;
    for name in files {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        let mut decoder = BinlogDecoder::new();
        decoder.set_file(&name);
        let mut pos = 4;
        while pos + 19 <= bytes.len() {
            let size = u32::from_le_bytes(bytes[pos + 9..pos + 13].try_into().unwrap()) as usize;
            if pos + size > bytes.len() {
                break;
            }
            if let Err(e) = decoder.decode(&bytes[pos..pos + size]) {
                let text = e.to_string();
                if text.contains(&schema) {
                    found = Some((text, e.position().clone(), name.clone(), pos));
                }
            }
            pos += size;
        }
    }
    let (text, at, file, pos) = found.expect("the statement-based INSERT was not refused");
    assert!(text.contains("binlog_format=ROW"), "{text}");
    assert_eq!(at.file.as_deref(), Some(file.as_str()));
    assert_eq!(at.offset, pos as u64, "{text}");
}
