//! End-to-end binlog backlog throughput: a MariaDB binlog holding a 1M-row backlog (set
//! `TRIBUTARY_BENCH_ROWS` for another size) is read by Tributary's binlog reader, decoded and
//! converted into typed values row by row (what the pipeline does before the envelope), and,
//! in the same run, copied by `mariadb-binlog --read-from-remote-server` to /dev/null (text
//! mode) and with `--raw` (the event bytes into files). Prints rows/s of each and the ratios.
//!
//! Run: `cargo bench -p tributary --bench mysql_backlog`. No timing is asserted; the row
//! count is (every row must be decoded and converted).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tributary::mysql::client::{
    BinlogReaderConfig, MySqlConnectOptions, current_position, start_binlog_reader,
};
use tributary::mysql::schema::{
    HistoryOptions, MemorySchemaHistoryStore, SchemaHistory, SnapshotLocking, TableId,
    read_server_schema,
};
use tributary_decoders::binlog::{BinlogDecoder, EventData, RowChange};
use tributary_envelope::ConnectorKind;
use tributary_testcontainers::MariaDb;

const CHUNK: u64 = 100_000;

fn main() {
    let rows: u64 = std::env::var("TRIBUTARY_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(rows));
}

fn mariadb_binlog() -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin"] {
        let p = PathBuf::from(dir).join("mariadb-binlog");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("mariadb-binlog")
}

async fn run(rows: u64) {
    let server = MariaDb::start().unwrap();
    let db = server.create_database().unwrap();
    let name = db.database.clone().unwrap();
    server
        .sql(&format!(
            "CREATE TABLE `{name}`.orders (id BIGINT NOT NULL PRIMARY KEY, qty INT, \
             email VARCHAR(64), amount DECIMAL(10,2), at DATETIME(6)) DEFAULT CHARSET=utf8mb4"
        ))
        .unwrap();
    let opts = MySqlConnectOptions::new(&db.host, db.port, &db.user, 401).password(&db.password);
    let captured = name.clone();
    let snapshot = read_server_schema(
        &opts,
        &move |id: &TableId| id.database == captured,
        SnapshotLocking::Global,
    )
    .await
    .unwrap();
    let mut history = SchemaHistory::new(HistoryOptions::capture_all("bench"));
    history
        .record_snapshot(&mut MemorySchemaHistoryStore::new(), &snapshot)
        .unwrap();
    let table = history
        .captured_table(&TableId::new(&name, "orders"), ConnectorKind::MariaDb)
        .unwrap()
        .unwrap();
    let start = snapshot.offset.clone();

    let loading = Instant::now();
    let mut first = 1;
    while first <= rows {
        let last = (first + CHUNK - 1).min(rows);
        server
            .sql(&format!(
                "USE `{name}`; INSERT INTO orders SELECT seq, seq % 1000, \
                 CONCAT('customer-', seq, '@example.com'), (seq % 100000) / 100, \
                 '2024-01-02 03:04:05.123456' FROM seq_{first}_to_{last}"
            ))
            .unwrap();
        first = last + 1;
    }
    let end = current_position(&opts).await.unwrap();
    println!(
        "backlog: {rows} rows in {} ({} bytes of binlog from {}:{}), loaded in {:.1?}",
        name,
        end.pos.saturating_sub(start.pos),
        start.file,
        start.pos,
        loading.elapsed()
    );

    // Tributary: reader → decoder → typed values.
    let began = Instant::now();
    let config = BinlogReaderConfig {
        heartbeat_interval: Duration::from_secs(5),
        ..BinlogReaderConfig::default()
    };
    let mut reader = start_binlog_reader(opts, config, &start).await.unwrap();
    let mut decoder = BinlogDecoder::new();
    let mut values = Vec::new();
    let mut converted = 0u64;
    let mut bytes = 0u64;
    while converted < rows {
        let event = reader.events.recv().await.unwrap();
        bytes += event.raw.len() as u64;
        for e in decoder.decode(&event.raw).unwrap() {
            if let EventData::Rows(r) = &e.data {
                for change in r.rows() {
                    let RowChange::Insert(row) = change.unwrap() else {
                        panic!("only inserts were written");
                    };
                    table
                        .converter
                        .convert_row(&row, r.position(), &mut values)
                        .unwrap();
                    converted += 1;
                }
            }
        }
    }
    let ours = began.elapsed();
    drop(reader);
    assert_eq!(converted, rows);

    // mariadb-binlog, the same backlog, text to /dev/null and raw to files.
    let base = |cmd: &mut Command| {
        cmd.args([
            "--read-from-remote-server",
            "--host=127.0.0.1",
            &format!("--port={}", db.port),
            &format!("--user={}", db.user),
            &format!("--password={}", db.password),
            &format!("--start-position={}", start.pos),
            "--to-last-log",
            &start.file,
        ]);
    };
    let began = Instant::now();
    let mut text = Command::new(mariadb_binlog());
    base(&mut text);
    let status = text.stdout(Stdio::null()).status().unwrap();
    assert!(status.success(), "mariadb-binlog failed: {status}");
    let theirs_text = began.elapsed();

    let raw_dir = std::env::temp_dir().join(format!("tributary-bench-raw-{}", std::process::id()));
    std::fs::create_dir_all(&raw_dir).unwrap();
    let began = Instant::now();
    let mut raw = Command::new(mariadb_binlog());
    base(&mut raw);
    let status = raw
        .arg("--raw")
        .arg(format!("--result-file={}/", raw_dir.display()))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let theirs_raw = began.elapsed();
    let _ = std::fs::remove_dir_all(&raw_dir);
    assert!(status.success(), "mariadb-binlog --raw failed: {status}");

    let rate = |d: Duration| rows as f64 / d.as_secs_f64();
    println!(
        "tributary reader+decode+convert: {:>10.0} rows/s ({:.2?}, {:.1} MB/s)",
        rate(ours),
        ours,
        bytes as f64 / 1e6 / ours.as_secs_f64()
    );
    println!(
        "mariadb-binlog text > /dev/null: {:>10.0} rows/s ({:.2?}); tributary/mariadb-binlog = {:.2}",
        rate(theirs_text),
        theirs_text,
        theirs_text.as_secs_f64() / ours.as_secs_f64()
    );
    println!(
        "mariadb-binlog --raw to files:   {:>10.0} rows/s ({:.2?}); tributary/mariadb-binlog = {:.2}",
        rate(theirs_raw),
        theirs_raw,
        theirs_raw.as_secs_f64() / ours.as_secs_f64()
    );
}
