//! Initial-snapshot rate of a 1M-row, 10-column MariaDB table through `tributary run` into
//! Kafka, side by side in the same run with the server's own fastest export of the same
//! table (`mariadb --quick -e 'SELECT …'` to /dev/null); prints both rates and the ratio
//! (issue 7's goal: at least 0.7).
//!
//! As `pg_snapshot`: `snapshot.mode=initial_only`, Debezium JSON with schemas, Kafka
//! transactions carrying the chunk progress, timed from `snapshot started` to the exit
//! (connecting, the consistent-snapshot start and Kafka's transactional start-up are not
//! counted; committing the last transaction is).
//!
//! Run: `cargo bench -p tributary --bench mysql_snapshot` (`MY_SNAPSHOT_ROWS` overrides 1M,
//! `MY_SNAPSHOT_FETCH` the chunk size, `MY_SNAPSHOT_PROPERTIES='k=v;k=v'` adds connector
//! properties, `MY_SNAPSHOT_WRAPPER` runs the engine under a profiler).
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tributary_testcontainers::{Kafka, MariaDb, MariaDbConfig, unique_name};

mod common;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `SELECT * FROM snapbench` through the `mariadb` client (`--quick`: rows streamed, not
/// buffered) into /dev/null; returns the time.
fn select_to_devnull(db: &MariaDbConfig) -> Duration {
    let database = db.database.clone().unwrap();
    let began = Instant::now();
    let status = Command::new("mariadb")
        .args(["--no-defaults", "--quick", "--batch", "--skip-column-names"])
        .args(["-h", &db.host, "-P", &db.port.to_string(), "-u", &db.user])
        .arg(format!("-p{}", db.password))
        .args(["-e", &format!("SELECT * FROM `{database}`.snapbench")])
        .stdout(Stdio::null())
        .status()
        .expect("the mariadb client runs");
    assert!(status.success(), "mariadb SELECT failed: {status}");
    began.elapsed()
}

fn snapshot_with_tributary(db: &MariaDbConfig, kafka: &Kafka, fetch: u64) -> (Duration, String) {
    let name = unique_name("mysnapbench");
    let database = db.database.clone().unwrap();
    let mut properties: Vec<(String, String)> = [
        ("name", name.clone()),
        (
            "connector.class",
            "io.debezium.connector.mariadb.MariaDbConnector".to_owned(),
        ),
        ("database.hostname", db.host.clone()),
        ("database.port", db.port.to_string()),
        ("database.user", db.user.clone()),
        ("database.password", db.password.clone()),
        ("topic.prefix", name.clone()),
        ("database.include.list", database.clone()),
        ("table.include.list", format!("{database}\\.snapbench")),
        (
            "schema.history.internal.kafka.topic",
            format!("{name}-history"),
        ),
        ("bootstrap.servers", kafka.bootstrap_servers()),
        ("offset.storage.topic", format!("{name}-offsets")),
        ("snapshot.mode", "initial_only".to_owned()),
        ("snapshot.fetch.size", fetch.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    properties.extend(common::extra_properties("MY_SNAPSHOT_PROPERTIES"));
    common::snapshot_with_tributary(
        &std::env::temp_dir().join(&name),
        &properties,
        &std::env::var("MY_SNAPSHOT_WRAPPER").unwrap_or_default(),
    )
}

fn main() {
    let rows = env_or("MY_SNAPSHOT_ROWS", 1_000_000);
    let fetch = env_or("MY_SNAPSHOT_FETCH", 10_240);
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let database = db.database.clone().unwrap();
    let load = Instant::now();
    server
        .sql(&format!(
            "USE `{database}`;
             CREATE TABLE snapbench (id BIGINT PRIMARY KEY, c_int INT, c_bigint BIGINT, \
             c_text TEXT, c_varchar VARCHAR(64), c_decimal DECIMAL(12,2), c_ts TIMESTAMP(6) NULL, \
             c_bool BOOLEAN, c_double DOUBLE, c_date DATE);
             INSERT INTO snapbench SELECT seq, seq % 1000, seq * 31, CONCAT('customer ', seq), \
             MD5(seq), seq * 1.25, TIMESTAMP'2026-01-01 00:00:00' + INTERVAL seq SECOND, \
             seq % 2 = 0, seq / 7.0, DATE'2026-01-01' + INTERVAL (seq % 365) DAY \
             FROM seq_1_to_{rows};
             ANALYZE TABLE snapbench;"
        ))
        .unwrap();
    println!(
        "mysql_snapshot: wrote {rows} rows (10 columns) in {:.1?}",
        load.elapsed()
    );

    // An unmeasured first snapshot warms the broker and the buffer pool; then the client
    // export first and last, so the better one counts.
    let (warmup, _) = snapshot_with_tributary(&db, kafka, fetch);
    println!("mysql_snapshot: warm-up snapshot took {warmup:.2?}");
    let select_first = select_to_devnull(&db);
    let (tributary_time, log) = snapshot_with_tributary(&db, kafka, fetch);
    let select_time = select_first.min(select_to_devnull(&db));
    assert!(
        log.contains(&format!("snapshot completed rows={rows}")),
        "the snapshot did not read every row:\n{log}"
    );

    let rate = |time: Duration| rows as f64 / time.as_secs_f64();
    // The sink's limit for records like these: the mean size of the snapshot's records,
    // written by Kafka's own producer tool in transactions of about the engine's length.
    let topic = log
        .lines()
        .find_map(|l| l.split("connector=").nth(1))
        .map(|n| n.split_whitespace().next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let table_topic = format!("{topic}.{database}.snapbench");
    let payloads = std::env::temp_dir().join(format!("{topic}-payloads"));
    let size = common::sample_payloads(&kafka.bootstrap_servers(), &table_topic, 2_000, &payloads);
    let sink_time =
        common::kafka_producer_baseline(&kafka.bootstrap_servers(), rows, &payloads, 100);
    println!(
        "mysql_snapshot: kafka ProducerPerformance (transactional, lz4, acks=all) {rows} values \
         of the snapshot's (mean {size} B) in {sink_time:.2?}: {:.0} records/s; tributary / sink limit = {:.2}",
        rate(sink_time),
        rate(tributary_time) / rate(sink_time)
    );
    println!(
        "mysql_snapshot: tributary (fetch={fetch}, JSON into Kafka) {rows} rows in \
         {tributary_time:.2?}: {:.0} rows/s",
        rate(tributary_time)
    );
    println!(
        "mysql_snapshot: mariadb --quick -e 'SELECT …' > /dev/null {rows} rows in \
         {select_time:.2?}: {:.0} rows/s",
        rate(select_time)
    );
    println!(
        "mysql_snapshot: ratio tributary / SELECT = {:.2}",
        rate(tributary_time) / rate(select_time)
    );
}
