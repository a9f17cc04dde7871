//! Streaming latency while an incremental snapshot runs: a PostgreSQL table of 1M rows is
//! snapshotted incrementally (signalled on the Kafka topic) while a ticker commits one row a
//! time into another captured table at a steady rate. A read_committed consumer measures,
//! per ticker row, the time from its commit (`source.ts_ms`) to its arrival. The same is
//! measured before the snapshot, so the report shows what the snapshot costs the stream.
//!
//! Run: `cargo bench -p tributary --bench incremental_latency` (`LATENCY_ROWS` overrides 1M,
//! `LATENCY_TICKS_PER_SECOND` the ticker's rate, default 50).
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};
use tributary_testcontainers::{Kafka, Postgres, unique_name};

const BASELINE: u8 = 0;
const SNAPSHOT: u8 = 1;
const AFTER: u8 = 2;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let rows = env_or("LATENCY_ROWS", 1_000_000);
    let rate = env_or("LATENCY_TICKS_PER_SECOND", 50);
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    server
        .psql(
            &db.dbname,
            &format!(
                "CREATE TABLE snap (id bigint PRIMARY KEY, n int NOT NULL, pad text);
                 INSERT INTO snap SELECT g, 0, repeat('x', 40) FROM generate_series(1, {rows}) g;
                 CREATE TABLE ticks (id bigserial PRIMARY KEY, phase int NOT NULL);"
            ),
        )
        .unwrap();
    server.psql(&db.dbname, "VACUUM ANALYZE snap").unwrap();

    let name = unique_name("latency");
    let dir = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("connector.properties");
    let mut file = std::fs::File::create(&config).unwrap();
    for (key, value) in [
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
        ("slot.name", name.clone()),
        ("publication.name", name.clone()),
        ("table.include.list", "public.snap,public.ticks".to_owned()),
        ("bootstrap.servers", kafka.bootstrap_servers()),
        ("offset.storage.topic", format!("{name}-offsets")),
        ("snapshot.mode", "no_data".to_owned()),
        ("signal.enabled.channels", "kafka".to_owned()),
    ] {
        writeln!(file, "{key}={value}").unwrap();
    }
    let log = dir.join("engine.log");
    let mut engine = Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("run")
        .arg(&config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let wait_for = |text: &str| {
        let deadline = Instant::now() + Duration::from_secs(1800);
        while !read_log().contains(text) {
            assert!(Instant::now() < deadline, "no {text:?}:\n{}", read_log());
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for("streaming from PostgreSQL");

    // The ticker: one row per transaction, tagged with the phase it was committed in.
    let phase = Arc::new(AtomicU8::new(BASELINE));
    let done = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (phase, done, url) = (
            Arc::clone(&phase),
            Arc::clone(&done),
            db.connection_string(),
        );
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(connection);
                let every = Duration::from_secs_f64(1.0 / rate as f64);
                let mut next = Instant::now();
                while !done.load(Ordering::Relaxed) {
                    let p = i32::from(phase.load(Ordering::Relaxed));
                    client
                        .execute("INSERT INTO ticks (phase) VALUES ($1)", &[&p])
                        .await
                        .unwrap();
                    next += every;
                    tokio::time::sleep_until(next.into()).await;
                }
            });
        })
    };
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .set("group.id", unique_name("latency-reader"))
        .set("isolation.level", "read_committed")
        .set("fetch.wait.max.ms", "10")
        .create()
        .unwrap();
    let topic = format!("{name}.public.ticks");
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(&topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let mut latencies: [Vec<i64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let consume_for = |until: &dyn Fn() -> bool, latencies: &mut [Vec<i64>; 3]| {
        while !until() {
            if let Some(Ok(message)) = consumer.poll(Duration::from_millis(50)) {
                let arrived = now_ms();
                let value: serde_json::Value =
                    serde_json::from_slice(message.payload().unwrap_or_default()).unwrap();
                let (Some(committed), Some(p)) = (
                    value
                        .pointer("/payload/source/ts_ms")
                        .and_then(|v| v.as_i64()),
                    value
                        .pointer("/payload/after/phase")
                        .and_then(|v| v.as_i64()),
                ) else {
                    continue;
                };
                latencies[p as usize].push(arrived - committed);
            }
        }
    };
    let began = Instant::now();
    consume_for(
        &|| began.elapsed() > Duration::from_secs(15),
        &mut latencies,
    );

    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .create()
        .unwrap();
    let signal = r#"{"type": "execute-snapshot", "data": {"data-collections": ["public.snap"]}}"#;
    producer
        .send(
            BaseRecord::to(&format!("{name}-signal"))
                .key(&name)
                .payload(signal),
        )
        .unwrap();
    producer.flush(Duration::from_secs(30)).unwrap();
    phase.store(SNAPSHOT, Ordering::Relaxed);
    let snapshot_began = Instant::now();
    consume_for(
        &|| read_log().contains("snapshot completed"),
        &mut latencies,
    );
    let snapshot_took = snapshot_began.elapsed();
    phase.store(AFTER, Ordering::Relaxed);
    let after = Instant::now();
    consume_for(
        &|| after.elapsed() > Duration::from_secs(10),
        &mut latencies,
    );
    done.store(true, Ordering::Relaxed);
    ticker.join().unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &engine.id().to_string()])
        .status();
    let _ = engine.wait();

    println!(
        "incremental_latency: {rows}-row table snapshotted incrementally in {snapshot_took:.1?} \
         ({:.0} rows/s) while {rate} single-row transactions/s streamed",
        rows as f64 / snapshot_took.as_secs_f64()
    );
    for (label, samples) in ["before the snapshot", "during the snapshot", "after it"]
        .iter()
        .zip(latencies.iter_mut())
    {
        samples.sort_unstable();
        println!(
            "incremental_latency: commit-to-visible {label:>20}: n={:>5} p50={:>4} ms p95={:>4} ms \
             p99={:>4} ms max={:>4} ms",
            samples.len(),
            percentile(samples, 0.50),
            percentile(samples, 0.95),
            percentile(samples, 0.99),
            samples.last().copied().unwrap_or(0),
        );
    }
}
