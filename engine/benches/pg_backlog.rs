//! End-to-end read rate of a 1M-row backlog from a real slot through Tributary's reader,
//! side by side with `pg_recvlogical` draining an identical slot to /dev/null in the same
//! run; prints both rates and the ratio (issue 3's goal: at least 0.9 of pg_recvlogical).
//!
//! Both slots are created before the backlog is written, so both hold exactly the same
//! transactions (100 of 10,000 rows). The reader side starts the stream, decodes every
//! message with the pgoutput `Decoder` and acknowledges each commit as a sink would;
//! `pg_recvlogical` writes the raw stream to /dev/null and stops at the backlog's end LSN.
//! Most of the work is the server's decoding, which both sides pay; the ratio shows what
//! the client adds.
//!
//! A plain `harness = false` program (the engine has no criterion dependency; the decode
//! rate on fixtures is criterion's, in `decoders/benches/pgoutput.rs`).
//!
//! Run: `cargo bench -p tributary --bench pg_backlog` (`PG_BACKLOG_ROWS` overrides 1M).
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::process::Command;
use std::time::{Duration, Instant};

use tokio_postgres::NoTls;
use tributary::postgres::{
    PgConnectOptions, PgOutputOptions, ReplicationSession, WalEvent, WalReaderConfig,
    spawn_wal_reader,
};
use tributary_decoders::pgoutput::{Decoder, Lsn, Message};
use tributary_testcontainers::{PgConfig, Postgres};

const TRANSACTIONS: u32 = 100;

fn options(config: &PgConfig) -> PgConnectOptions {
    PgConnectOptions::new(&config.host, config.port, &config.user, &config.dbname)
        .password(&config.password)
}

/// Drains the slot from its start through Tributary's reader; returns (rows, bytes, time).
async fn drain_with_reader(db: &PgConfig, slot: &str, rows: u64) -> (u64, u64, Duration) {
    let began = Instant::now();
    let session = ReplicationSession::connect(&options(db)).await.unwrap();
    let pgoutput = PgOutputOptions {
        proto_version: 3,
        publications: vec!["pub".into()],
        messages: false,
        streaming: true,
    };
    let stream = session
        .start_logical_replication(slot, Lsn::INVALID, &pgoutput)
        .await
        .unwrap();
    let mut reader = spawn_wal_reader(stream, Lsn::INVALID, WalReaderConfig::default());
    let mut decoder = Decoder::new(3);
    let (mut inserted, mut bytes) = (0u64, 0u64);
    loop {
        let event = tokio::time::timeout(Duration::from_secs(600), reader.events.recv())
            .await
            .expect("the backlog drains within 10 minutes")
            .expect("the reader is running");
        let WalEvent::Message(message) = event else {
            continue;
        };
        bytes += message.data.len() as u64;
        match decoder.decode(&message.data).unwrap() {
            Message::Insert(_) => inserted += 1,
            Message::Commit(commit) => {
                reader.durable.send(commit.end_lsn).unwrap();
                if inserted >= rows {
                    break;
                }
            }
            _ => {}
        }
    }
    let elapsed = began.elapsed();
    drop(reader.events);
    let _ = reader.task.await;
    (inserted, bytes, elapsed)
}

/// Drains the slot with `pg_recvlogical` to /dev/null up to `end`; returns the time.
fn drain_with_pg_recvlogical(db: &PgConfig, slot: &str, end: Lsn) -> Duration {
    let bin = std::env::var("TRIBUTARY_PG_BINDIR")
        .unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".to_owned());
    let began = Instant::now();
    let status = Command::new(format!("{bin}/pg_recvlogical"))
        .args(["-h", &db.host, "-p", &db.port.to_string(), "-U", &db.user])
        .args(["-d", &db.dbname, "--slot", slot, "--start", "--no-loop"])
        .args(["-f", "/dev/null", "-F", "0"])
        .args(["-o", "proto_version=3", "-o", "publication_names=pub"])
        .args(["-o", "streaming=on"])
        .arg(format!("--endpos={end}"))
        .env("PGPASSWORD", &db.password)
        .status()
        .expect("pg_recvlogical runs");
    assert!(status.success(), "pg_recvlogical failed: {status}");
    began.elapsed()
}

fn main() {
    let rows: u64 = std::env::var("PG_BACKLOG_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let per_transaction = rows.div_ceil(u64::from(TRANSACTIONS));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = Postgres::start().unwrap();
    let db = server.create_database().unwrap();
    let end = runtime.block_on(async {
        let (sql, connection) = tokio_postgres::connect(&db.connection_string(), NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        // One statement per call: a multi-statement batch is one transaction, and a slot
        // cannot be created in a transaction that wrote.
        for statement in [
            "CREATE TABLE backlog (id bigint PRIMARY KEY, name text, amount numeric, at timestamptz)",
            "CREATE PUBLICATION pub FOR TABLE backlog",
            "SELECT pg_create_logical_replication_slot('bench_reader', 'pgoutput')",
            "SELECT pg_create_logical_replication_slot('bench_recvlogical', 'pgoutput')",
        ] {
            sql.batch_execute(statement).await.unwrap();
        }
        let load = Instant::now();
        let mut next = 1i64;
        let total = i64::try_from(rows).unwrap();
        while next <= total {
            let last = (next + i64::try_from(per_transaction).unwrap() - 1).min(total);
            sql.execute(
                "INSERT INTO backlog SELECT g, 'customer ' || g, g * 1.25, \
                 now() + g * interval '1 second' FROM generate_series($1::bigint, $2::bigint) g",
                &[&next, &last],
            )
            .await
            .unwrap();
            next = last + 1;
        }
        let end: String = sql
            .query_one("SELECT pg_current_wal_lsn()::text", &[])
            .await
            .unwrap()
            .get(0);
        println!("pg_backlog: wrote {rows} rows in {TRANSACTIONS} transactions in {:.1?}", load.elapsed());
        end.parse::<Lsn>().unwrap()
    });

    let (inserted, bytes, reader_time) =
        runtime.block_on(drain_with_reader(&db, "bench_reader", rows));
    assert_eq!(inserted, rows, "the reader lost or invented rows");
    let recvlogical_time = drain_with_pg_recvlogical(&db, "bench_recvlogical", end);

    let rate = |time: Duration| rows as f64 / time.as_secs_f64();
    let mb = bytes as f64 / 1e6;
    println!(
        "pg_backlog: tributary reader  {rows} rows, {mb:.1} MB pgoutput in {reader_time:.2?}: \
         {:.0} rows/s, {:.1} MB/s",
        rate(reader_time),
        mb / reader_time.as_secs_f64()
    );
    println!(
        "pg_backlog: pg_recvlogical    {rows} rows in {recvlogical_time:.2?}: {:.0} rows/s, {:.1} MB/s",
        rate(recvlogical_time),
        mb / recvlogical_time.as_secs_f64()
    );
    println!(
        "pg_backlog: ratio tributary / pg_recvlogical = {:.2}",
        rate(reader_time) / rate(recvlogical_time)
    );
}
