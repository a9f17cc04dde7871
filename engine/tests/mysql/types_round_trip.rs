//! Every column type of issue 4, item 4, from a real MariaDB binlog into typed values: edge
//! values (min, max, NULL, zero dates, fsp 0 and 6, multibyte text in utf8mb4/utf8mb3/
//! latin1/binary, a 1 MB blob, nested JSON, geometry with and without SRID, generated
//! columns) are inserted, read back through the binlog reader, converted with the schema
//! captured from the server at first start (`SHOW CREATE TABLE`), and compared with the
//! expected [`Value`]s. Each value is then run through the envelope's Debezium mapping for
//! its column, which must accept it.
//!
//! # Time zones
//! The server runs with `default_time_zone=+05:30` (so the inserting session is in +05:30)
//! and the test body runs in a child process started with `TZ` set to UTC-09:30. TIMESTAMP
//! values must come out as the UTC instants the +05:30 literals denote, and DATETIME values
//! as written — neither zone may leak into the result.

use std::process::Command;

use tributary::mysql::client::{BinlogReaderConfig, start_binlog_reader};
use tributary::mysql::schema::{
    HistoryOptions, MemorySchemaHistoryStore, SchemaHistory, SnapshotLocking, TableId,
    read_server_schema,
};
use tributary_envelope::decimal::Decimal;
use tributary_envelope::mapping::plan_column;
use tributary_envelope::value::{Extended, Numeric};
use tributary_envelope::{ConnectorKind, EnvelopeOptions, EventBuilder, Value};
use tributary_testcontainers::MariaDb;

use crate::support::{TypedChanges, options};

/// Set in the child process that runs the test body.
const CHILD: &str = "TRIBUTARY_TYPES_CHILD";
/// The child's zone: POSIX `TZ` for UTC-09:30 (no tz database needed).
const CHILD_TZ: &str = "TRB+09:30";
/// The server's zone, +05:30, in microseconds.
const SERVER_OFFSET_US: i64 = (5 * 3600 + 30 * 60) * 1_000_000;

const TABLE: &str = "CREATE TABLE types (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED,
  mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
  bi BIGINT, bu BIGINT UNSIGNED, bo BOOLEAN,
  de DECIMAL(10,2), dbig DECIMAL(65,30), f FLOAT, d DOUBLE,
  b1 BIT(1), b10 BIT(10), b64 BIT(64),
  y YEAR, da DATE, t0 TIME, t6 TIME(6),
  dt0 DATETIME, dt6 DATETIME(6),
  ts0 TIMESTAMP NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL,
  c4 VARCHAR(20) CHARACTER SET utf8mb4, c3 VARCHAR(20) CHARACTER SET utf8mb3,
  cl VARCHAR(20) CHARACTER SET latin1, cb VARCHAR(20) CHARACTER SET binary,
  ch CHAR(5) CHARACTER SET utf8mb4, tx TEXT CHARACTER SET utf8mb4,
  bn BINARY(4), vb VARBINARY(20), bl LONGBLOB,
  e ENUM('a','b','c'), s SET('x','y','z'),
  j JSON,
  g GEOMETRY, p POINT,
  gen INT AS (id * 10) VIRTUAL,
  gens VARCHAR(30) AS (CONCAT(c4, '!')) PERSISTENT
) DEFAULT CHARSET=utf8mb4";

const COLUMNS: &str = "id, ti, tu, si, su, mi, mu, i, iu, bi, bu, bo, de, dbig, f, d, b1, b10, b64, \
     y, da, t0, t6, dt0, dt6, ts0, ts6, c4, c3, cl, cb, ch, tx, bn, vb, bl, e, s, j, g, p";

const NESTED_JSON: &str =
    r#"{"a": [1, {"b": null, "c": [true, false, 2.5]}], "d": "é😀", "e": {"f": {"g": []}}}"#;

/// Days from 1970-01-01 (proleptic Gregorian).
fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// A zone-less date and time as microseconds since the epoch read as UTC.
fn local(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, us: i64) -> i64 {
    ((days(y, mo, d) * 24 + h) * 60 + mi) * 60_000_000 + s * 1_000_000 + us
}

fn time(negative: bool, h: i64, m: i64, s: i64, us: i64) -> Value {
    let v = ((h * 60 + m) * 60 + s) * 1_000_000 + us;
    Value::Time(if negative { -v } else { v })
}

fn dec(text: &str) -> Value {
    Value::Numeric(Numeric::Finite(Decimal::parse(text).unwrap()))
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn bytes(b: &[u8]) -> Value {
    Value::Bytes(b.into())
}

/// WKB of a 2-D point.
fn wkb_point(x: f64, y: f64) -> Vec<u8> {
    let mut w = vec![1, 1, 0, 0, 0];
    w.extend_from_slice(&x.to_le_bytes());
    w.extend_from_slice(&y.to_le_bytes());
    w
}

/// WKB of a line string.
fn wkb_line(points: &[(f64, f64)]) -> Vec<u8> {
    let mut w = vec![1, 2, 0, 0, 0];
    w.extend_from_slice(&u32::try_from(points.len()).unwrap().to_le_bytes());
    for (x, y) in points {
        w.extend_from_slice(&x.to_le_bytes());
        w.extend_from_slice(&y.to_le_bytes());
    }
    w
}

/// The expected row: `(column, value)` for the inserted columns, then `gen` and `gens`.
fn row(values: Vec<Value>, gens: Value) -> Vec<(String, Value)> {
    let names: Vec<&str> = COLUMNS.split(',').map(str::trim).collect();
    assert_eq!(names.len(), values.len());
    let id = match &values[0] {
        Value::Int32(id) => *id,
        other => panic!("id {other:?}"),
    };
    let mut row: Vec<(String, Value)> = names.iter().map(|n| (*n).to_owned()).zip(values).collect();
    row.push(("gen".to_owned(), Value::Int32(id * 10)));
    row.push(("gens".to_owned(), gens));
    row
}

fn expected_rows() -> Vec<Vec<(String, Value)>> {
    let ts = |local_us: i64| Value::TimestampTz(Extended::Finite(local_us - SERVER_OFFSET_US));
    let dt = |us: i64| Value::Timestamp(Extended::Finite(us));
    let date = |y, m, d| Value::Date(Extended::Finite(i32::try_from(days(y, m, d)).unwrap()));
    let nines = |n: usize| "9".repeat(n);
    let min = vec![
        Value::Int32(1),
        Value::Int16(-128),
        Value::Int16(0),
        Value::Int16(-32_768),
        Value::Int32(0),
        Value::Int32(-8_388_608),
        Value::Int32(0),
        Value::Int32(i32::MIN),
        Value::Int64(0),
        Value::Int64(i64::MIN),
        Value::UInt64(0),
        // BOOLEAN is TINYINT(1) on the server: the captured definition (SHOW CREATE TABLE)
        // says tinyint(1), which Debezium maps to INT16 (only DDL that says BOOLEAN is a
        // boolean).
        Value::Int16(0),
        dec("-99999999.99"),
        dec(&format!("-{}.{}", nines(35), nines(30))),
        Value::Float32(-1.701_411_8e38),
        Value::Float64(-f64::MAX),
        Value::Bool(false),
        Value::Bits {
            len: 10,
            bytes: vec![0, 0].into(),
        },
        Value::Bits {
            len: 64,
            bytes: vec![0; 8].into(),
        },
        Value::Int32(1901),
        date(1000, 1, 1),
        time(true, 838, 59, 59, 0),
        time(true, 838, 59, 59, 999_999),
        dt(local(1000, 1, 1, 0, 0, 0, 0)),
        dt(local(1000, 1, 1, 0, 0, 0, 0)),
        // The first instant TIMESTAMP can hold, written in +05:30.
        ts(local(1970, 1, 1, 5, 30, 1, 0)),
        ts(local(1970, 1, 1, 5, 30, 1, 1)),
        text(""),
        text(""),
        text(""),
        bytes(b""),
        text(""),
        text(""),
        // The server strips BINARY's trailing 0x00 padding from row images; the envelope's
        // mapping pads it back to the column length, as Debezium does.
        bytes(b""),
        bytes(b""),
        bytes(b""),
        Value::Enum("a".into()),
        Value::Set(Box::default()),
        Value::Json("{}".into()),
        Value::Geometry {
            wkb: wkb_point(0.0, 0.0).into(),
            srid: None,
        },
        Value::Geometry {
            wkb: wkb_point(-180.0, -90.0).into(),
            srid: None,
        },
    ];
    let max = vec![
        Value::Int32(2),
        Value::Int16(127),
        Value::Int16(255),
        Value::Int16(32_767),
        Value::Int32(65_535),
        Value::Int32(8_388_607),
        Value::Int32(16_777_215),
        Value::Int32(i32::MAX),
        Value::Int64(4_294_967_295),
        Value::Int64(i64::MAX),
        Value::UInt64(u64::MAX),
        Value::Int16(1),
        dec("99999999.99"),
        dec(&format!("{}.{}", nines(35), nines(30))),
        Value::Float32(1.701_411_8e38),
        Value::Float64(f64::MAX),
        Value::Bool(true),
        Value::Bits {
            len: 10,
            bytes: vec![0x03, 0xff].into(),
        },
        Value::Bits {
            len: 64,
            bytes: vec![0xff; 8].into(),
        },
        Value::Int32(2155),
        date(9999, 12, 31),
        time(false, 838, 59, 59, 0),
        time(false, 838, 59, 59, 999_999),
        dt(local(9999, 12, 31, 23, 59, 59, 0)),
        dt(local(9999, 12, 31, 23, 59, 59, 999_999)),
        // The last instant TIMESTAMP can hold (2038-01-19 03:14:07 UTC), in +05:30.
        ts(local(2038, 1, 19, 8, 44, 7, 0)),
        ts(local(2038, 1, 19, 8, 44, 7, 999_999)),
        text("😀ü€中"),
        text("ü€中"),
        text("€é‰ÿ"),
        bytes(&[0x00, 0xff, 0x80]),
        text("ñandú"),
        text("Grüße, 世界! 🦀"),
        bytes(&[0xff; 4]),
        bytes(&[0x00, 0x01, 0x02, 0xff]),
        bytes(&vec![0xab; 1 << 20]),
        Value::Enum("c".into()),
        Value::Set(vec!["x".into(), "y".into(), "z".into()].into()),
        Value::Json(NESTED_JSON.into()),
        Value::Geometry {
            wkb: wkb_line(&[(0.0, 0.0), (1.0, 1.0)]).into(),
            srid: Some(4326),
        },
        Value::Geometry {
            wkb: wkb_point(1.5, -2.25).into(),
            srid: None,
        },
    ];
    let mut nulls = vec![Value::Int32(3)];
    nulls.resize(min.len(), Value::Null);
    let zero = {
        let mut v = nulls.clone();
        v[0] = Value::Int32(4);
        v[19] = Value::Int32(0); // YEAR 0000
        v[20] = Value::ZeroDate; // DATE 0000-00-00
        v[21] = time(false, 0, 0, 0, 0);
        v[22] = time(true, 0, 0, 0, 1); // -00:00:00.000001
        v[23] = Value::ZeroDate; // DATETIME with a zero day
        v[24] = Value::ZeroDate;
        v[25] = Value::ZeroDate; // the zero TIMESTAMP
        v[26] = Value::ZeroDate;
        v[36] = Value::Enum("".into()); // the invalid-value index 0
        v
    };
    let fsp = {
        let mut v = nulls.clone();
        v[0] = Value::Int32(5);
        v[21] = time(false, 25, 30, 0, 0); // more than a day
        v[22] = time(true, 1, 2, 3, 456_789);
        v[23] = dt(local(2024, 2, 29, 12, 34, 56, 0));
        v[24] = dt(local(2024, 2, 29, 12, 34, 56, 123_456));
        v[25] = ts(local(2024, 2, 29, 12, 34, 56, 0));
        v[26] = ts(local(2024, 2, 29, 12, 34, 56, 1));
        v
    };
    vec![
        row(min, text("!")),
        row(max, text("😀ü€中!")),
        row(nulls, Value::Null),
        row(zero, Value::Null),
        row(fsp, Value::Null),
    ]
}

const INSERTS: &str = "SET NAMES utf8mb4; SET sql_mode = '';
INSERT INTO types (COLUMNS) VALUES (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,
  -9223372036854775808, 0, FALSE, -99999999.99, -MAX65, -1.7014118346046923e38,
  -1.7976931348623157e308, b'0', b'0', 0, 1901, '1000-01-01', '-838:59:59',
  '-838:59:59.999999', '1000-01-01 00:00:00', '1000-01-01 00:00:00.000000',
  '1970-01-01 05:30:01', '1970-01-01 05:30:01.000001', '', '', '', '', '', '', X'00', X'', X'',
  'a', '', '{}', ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POINT(-180 -90)'));
INSERT INTO types (COLUMNS) VALUES (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647,
  4294967295, 9223372036854775807, 18446744073709551615, TRUE, 99999999.99, MAX65,
  1.7014118346046923e38, 1.7976931348623157e308, b'1', b'1111111111', X'FFFFFFFFFFFFFFFF', 2155,
  '9999-12-31', '838:59:59', '838:59:59.999999', '9999-12-31 23:59:59',
  '9999-12-31 23:59:59.999999', '2038-01-19 08:44:07', '2038-01-19 08:44:07.999999',
  '😀ü€中', 'ü€中', '€é‰ÿ', X'00FF80', 'ñandú', 'Grüße, 世界! 🦀', X'FFFFFFFF', X'000102FF',
  REPEAT(X'AB', 1048576), 'c', 'z,x,y', 'NESTED', ST_GeomFromText('LINESTRING(0 0,1 1)', 4326),
  POINT(1.5, -2.25));
INSERT INTO types (id) VALUES (3);
INSERT INTO types (id, y, da, t0, t6, dt0, dt6, ts0, ts6, e) VALUES (4, 0, '0000-00-00',
  '00:00:00', '-00:00:00.000001', '2024-01-00 10:00:00', '0000-00-00 00:00:00.000000',
  '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', 99);
INSERT INTO types (id, t0, t6, dt0, dt6, ts0, ts6) VALUES (5, '25:30:00', '-01:02:03.456789',
  '2024-02-29 12:34:56', '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56',
  '2024-02-29 12:34:56.000001');";

#[test]
fn every_type_round_trips_whatever_the_time_zones() {
    if std::env::var_os(CHILD).is_none() {
        // Run the body in a child whose TZ differs from the server's zone and from UTC.
        let name = "types_round_trip::every_type_round_trips_whatever_the_time_zones";
        let out = Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .env("TZ", CHILD_TZ)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "child test failed:\n{stdout}\n{stderr}"
        );
        return;
    }
    assert_eq!(std::env::var("TZ").unwrap(), CHILD_TZ);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(body());
}

async fn body() {
    let server = MariaDb::builder()
        .setting("default_time_zone", "+05:30")
        .start()
        .unwrap();
    assert_eq!(
        server.sql("SELECT @@global.time_zone").unwrap().trim(),
        "+05:30"
    );
    let db = server.create_database().unwrap();
    let name = db.database.clone().unwrap();
    server.sql(&format!("USE `{name}`; {TABLE}")).unwrap();

    // First start: capture the schema at the position the stream starts from.
    let opts = options(&db, 301);
    let captured_db = name.clone();
    let snapshot = read_server_schema(
        &opts,
        &move |id: &TableId| id.database == captured_db,
        SnapshotLocking::Global,
    )
    .await
    .unwrap();
    assert_eq!(snapshot.statements.len(), 2, "{:#?}", snapshot.statements);
    let mut store = MemorySchemaHistoryStore::new();
    let mut history = SchemaHistory::new(HistoryOptions::capture_all("srv"));
    let records = history.record_snapshot(&mut store, &snapshot).unwrap();
    assert_eq!(records.len(), 2);
    let id = TableId::new(&name, "types");
    let table = history.model().table(&id).unwrap();
    assert_eq!(table.column("j").unwrap().data_type.name, "JSON");
    assert!(table.column("gen").unwrap().generated);

    // Every column maps to a Debezium schema.
    let envelope = EnvelopeOptions::new(ConnectorKind::MariaDb, "srv").unwrap();
    let captured = history
        .captured_table(&id, ConnectorKind::MariaDb)
        .unwrap()
        .unwrap();
    EventBuilder::new(envelope.clone())
        .unwrap()
        .table_schema(&captured.description)
        .unwrap();

    let mut reader = start_binlog_reader(opts, BinlogReaderConfig::default(), &snapshot.offset)
        .await
        .unwrap();
    let max65 = format!("{}.{}", "9".repeat(35), "9".repeat(30));
    let inserts = INSERTS
        .replace("COLUMNS", COLUMNS)
        .replace("MAX65", &max65)
        .replace("'NESTED'", &format!("'{NESTED_JSON}'"));
    server.sql(&format!("USE `{name}`; {inserts}")).unwrap();

    let mut changes = TypedChanges::new(&name, reader.server.checksum, history, Box::new(store));
    let expected = expected_rows();
    changes.collect(&mut reader, expected.len()).await;
    for (got, want) in changes.rows.iter().zip(&expected) {
        assert_eq!((got.table.as_str(), got.op), ("types", 'I'));
        assert_eq!(got.values.len(), want.len());
        for ((name, value), (want_name, want_value)) in got.values.iter().zip(want) {
            assert_eq!(name, want_name);
            assert_eq!(value, want_value, "row {:?} column {name}", got.values[0].1);
        }
    }
    assert_eq!(changes.rows.len(), expected.len());

    // The envelope's mapping accepts every decoded value for its column.
    for row in &changes.rows {
        for ((name, value), column) in row.values.iter().zip(&captured.description.columns) {
            let converter = plan_column(column, &envelope).unwrap().unwrap();
            converter
                .convert(value)
                .unwrap_or_else(|e| panic!("column {name} ({}): {e}", column.type_name));
        }
    }
    drop(reader.events);
    assert!(reader.task.await.unwrap().is_ok());
}
