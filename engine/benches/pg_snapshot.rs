//! Initial-snapshot rate of a 1M-row, 10-column table through `tributary run` into Kafka,
//! side by side in the same run with PostgreSQL's own fastest export of the same table
//! (`psql -c 'COPY … TO STDOUT'` to /dev/null); prints both rates and the ratio (issue 7's
//! goal: at least 0.7).
//!
//! The Tributary side is the whole path a user gets: `snapshot.mode=initial_only` (so the
//! process exits when the snapshot is committed), keyset chunks of `snapshot.fetch.size`
//! on `snapshot.max.threads` sessions, decoding, Debezium JSON envelopes with schemas, and
//! Kafka transactions that carry the chunk progress. It is timed from the moment the
//! engine logs `snapshot started` to its exit, so connecting and Kafka's transactional
//! start-up are not counted; committing the last transaction is. `COPY` pays none of the
//! conversion or Kafka costs, which is what the ratio shows.
//!
//! Run: `cargo bench -p tributary --bench pg_snapshot` (`PG_SNAPSHOT_ROWS` overrides 1M,
//! `PG_SNAPSHOT_THREADS` the reader count, default 2; `PG_SNAPSHOT_FETCH` the chunk size;
//! `PG_SNAPSHOT_PROPERTIES='k=v;k=v'` adds connector properties, e.g. converter settings;
//! `PG_SNAPSHOT_WRAPPER` runs the engine under a profiler).
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tributary_testcontainers::{Kafka, PgConfig, Postgres, unique_name};

mod common;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `COPY snapbench TO STDOUT` through psql into /dev/null; returns the time.
fn copy_to_devnull(db: &PgConfig) -> Duration {
    let bin = std::env::var("TRIBUTARY_PG_BINDIR")
        .unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".to_owned());
    let began = Instant::now();
    let status = Command::new(format!("{bin}/psql"))
        .args(["-h", &db.host, "-p", &db.port.to_string(), "-U", &db.user])
        .args([
            "-d",
            &db.dbname,
            "-X",
            "-q",
            "-c",
            "COPY snapbench TO STDOUT",
        ])
        .env("PGPASSWORD", &db.password)
        .stdout(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql COPY failed: {status}");
    began.elapsed()
}

/// Snapshots the table with `tributary run` (initial_only); returns the time from
/// `snapshot started` to the process's exit, and the engine's log.
fn snapshot_with_tributary(
    db: &PgConfig,
    kafka: &Kafka,
    threads: u64,
    fetch: u64,
) -> (Duration, String) {
    let name = unique_name("pgsnapbench");
    let mut properties: Vec<(String, String)> = [
        ("name", name.clone()),
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector".to_owned(),
        ),
        ("database.hostname", db.host.clone()),
        ("database.port", db.port.to_string()),
        ("database.user", db.user.clone()),
        ("database.password", db.password.clone()),
        ("database.dbname", db.dbname.clone()),
        ("topic.prefix", name.clone()),
        ("table.include.list", "public.snapbench".to_owned()),
        ("bootstrap.servers", kafka.bootstrap_servers()),
        ("offset.storage.topic", format!("{name}-offsets")),
        ("snapshot.mode", "initial_only".to_owned()),
        ("snapshot.max.threads", threads.to_string()),
        ("snapshot.fetch.size", fetch.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    properties.extend(common::extra_properties("PG_SNAPSHOT_PROPERTIES"));
    common::snapshot_with_tributary(
        &std::env::temp_dir().join(&name),
        &properties,
        &std::env::var("PG_SNAPSHOT_WRAPPER").unwrap_or_default(),
    )
}

fn main() {
    let rows = env_or("PG_SNAPSHOT_ROWS", 1_000_000);
    let threads = env_or("PG_SNAPSHOT_THREADS", 2);
    let fetch = env_or("PG_SNAPSHOT_FETCH", 10_240);
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let load = Instant::now();
    server
        .psql(
            &db.dbname,
            &format!(
                "CREATE TABLE snapbench (id bigint PRIMARY KEY, c_int int, c_bigint bigint, \
                 c_text text, c_varchar varchar(64), c_numeric numeric(12,2), \
                 c_ts timestamptz, c_bool boolean, c_double double precision, c_date date);
                 INSERT INTO snapbench SELECT g, g % 1000, g * 31, 'customer ' || g, \
                 md5(g::text), g * 1.25, timestamptz '2026-01-01' + g * interval '1 second', \
                 g % 2 = 0, g / 7.0, date '2026-01-01' + (g % 365) \
                 FROM generate_series(1, {rows}) g;"
            ),
        )
        .unwrap();
    // Its own call: VACUUM cannot run in the transaction a multi-statement -c is.
    server.psql(&db.dbname, "VACUUM ANALYZE snapbench").unwrap();
    println!(
        "pg_snapshot: wrote {rows} rows (10 columns) in {:.1?}",
        load.elapsed()
    );

    // A first, unmeasured snapshot warms the broker's JIT (a Kafka that has run for a while
    // is warm; one started for this run is not) and the table's pages. Then COPY first and
    // last, so the better COPY counts.
    let (warmup, _) = snapshot_with_tributary(&db, kafka, threads, fetch);
    println!("pg_snapshot: warm-up snapshot took {warmup:.2?}");
    let copy_first = copy_to_devnull(&db);
    let (tributary_time, log) = snapshot_with_tributary(&db, kafka, threads, fetch);
    let copy_time = copy_first.min(copy_to_devnull(&db));
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
    let table_topic = format!("{topic}.public.snapbench");
    let payloads = std::env::temp_dir().join(format!("{topic}-payloads"));
    let size = common::sample_payloads(&kafka.bootstrap_servers(), &table_topic, 2_000, &payloads);
    let sink_time =
        common::kafka_producer_baseline(&kafka.bootstrap_servers(), rows, &payloads, 100);
    println!(
        "pg_snapshot: kafka ProducerPerformance (transactional, lz4, acks=all) {rows} values \
         of the snapshot's (mean {size} B) in {sink_time:.2?}: {:.0} records/s; tributary / sink limit = {:.2}",
        rate(sink_time),
        rate(tributary_time) / rate(sink_time)
    );
    println!(
        "pg_snapshot: tributary (threads={threads}, fetch={fetch}, JSON into Kafka) {rows} rows \
         in {tributary_time:.2?}: {:.0} rows/s",
        rate(tributary_time)
    );
    println!(
        "pg_snapshot: psql COPY TO STDOUT > /dev/null {rows} rows in {copy_time:.2?}: {:.0} rows/s",
        rate(copy_time)
    );
    println!(
        "pg_snapshot: ratio tributary / COPY = {:.2}",
        rate(tributary_time) / rate(copy_time)
    );
}
