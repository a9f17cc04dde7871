//! PostgreSQL snapshots through `tributary run`: the initial snapshot under concurrent
//! writes hands over to the stream with no gap and no duplicate, and a snapshot killed
//! mid-way resumes at its next chunk.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::Value;
use tributary_testcontainers::{Kafka, PgConfig, Postgres, unique_name};

use crate::support::{Engine, Record, read_all, scrape_metrics, send_signals};

/// Rows in the snapshotted table (`SNAPSHOT_TEST_ROWS` overrides it).
fn table_rows() -> i64 {
    std::env::var("SNAPSHOT_TEST_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

fn connector(
    db: &PgConfig,
    kafka: &Kafka,
    name: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut properties: Vec<(String, String)> = [
        ("name", name.to_owned()),
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector".to_owned(),
        ),
        ("database.hostname", db.host.clone()),
        ("database.port", db.port.to_string()),
        ("database.user", db.user.clone()),
        ("database.password", db.password.clone()),
        ("database.dbname", db.dbname.clone()),
        ("topic.prefix", name.to_owned()),
        ("slot.name", name.to_owned()),
        ("publication.name", name.to_owned()),
        ("table.include.list", "public.snap".to_owned()),
        ("bootstrap.servers", kafka.bootstrap_servers()),
        ("offset.storage.topic", format!("{name}-offsets")),
        ("tributary.transaction.max.ms", "50".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        properties.push(((*k).to_owned(), (*v).to_owned()));
    }
    properties
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Creates `snap` with `rows` rows.
fn create_table(server: &Postgres, db: &PgConfig, rows: i64) {
    server
        .psql(
            &db.dbname,
            &format!(
                "CREATE TABLE snap (id bigint PRIMARY KEY, n int NOT NULL, pad text);
                 INSERT INTO snap SELECT g, 0, repeat('x', 40) FROM generate_series(1, {rows}) g;"
            ),
        )
        .unwrap();
}

/// Updates, deletes and inserts spread over the table, one transaction each, from a thread;
/// ends with the sentinel row `id = -1`.
fn workload(db: &PgConfig, rows: i64, transactions: i64) -> std::thread::JoinHandle<()> {
    let url = db.connection_string();
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
            let mut script = String::new();
            for i in 1..=transactions {
                // A stride that visits the whole key range.
                let id = (i * 7919) % rows + 1;
                script.push_str(&match i % 4 {
                    0 => format!("DELETE FROM snap WHERE id = {id};"),
                    1 => format!(
                        "INSERT INTO snap VALUES ({}, 1, 'new') ON CONFLICT DO NOTHING;",
                        rows + i
                    ),
                    _ => format!("UPDATE snap SET n = n + 1 WHERE id = {id};"),
                });
                if i % 200 == 0 {
                    client.batch_execute(&script).await.unwrap();
                    script.clear();
                }
            }
            script.push_str("INSERT INTO snap VALUES (-1, 0, 'end');");
            client.batch_execute(&script).await.unwrap();
        });
    })
}

/// Reads `topic` read_committed from the start until a record for `id = -1` arrived.
fn read_until_sentinel(kafka: &Kafka, topic: &str, engine: &mut Engine) -> Vec<Record> {
    read_until_key(kafka, topic, -1, engine)
}

/// Reads `topic` read_committed from the start until a record for `id = sentinel` arrived.
fn read_until_key(kafka: &Kafka, topic: &str, sentinel: i64, engine: &mut Engine) -> Vec<Record> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .set("group.id", unique_name("reader"))
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let json = |b: Option<&[u8]>| b.map(crate::support::parse_record_json);
    let deadline = Instant::now() + crate::support::deadline() * 2;
    let mut seen = Vec::new();
    loop {
        engine.assert_running();
        assert!(
            Instant::now() < deadline,
            "no sentinel after {} records:\n{}",
            seen.len(),
            engine.log()
        );
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            let record = Record {
                key: json(message.key()),
                value: json(message.payload()),
            };
            let sentinel = record.key.as_ref().and_then(|k| k.pointer("/payload/id"))
                == Some(&Value::from(sentinel));
            seen.push(record);
            if sentinel {
                return seen;
            }
        }
    }
}

/// The table a consumer rebuilds from the records, `id → n`; and how many `r` records
/// each key got.
fn rebuild(records: &[Record]) -> (BTreeMap<i64, i64>, HashMap<i64, usize>) {
    let mut table = BTreeMap::new();
    let mut reads = HashMap::new();
    for record in records {
        let Some(key) = record
            .key
            .as_ref()
            .and_then(|k| k.pointer("/payload/id"))
            .and_then(Value::as_i64)
        else {
            continue;
        };
        match record.op() {
            Some("r" | "c" | "u") => {
                if record.op() == Some("r") {
                    *reads.entry(key).or_insert(0) += 1;
                }
                let n = record.field("after", "n").and_then(Value::as_i64).unwrap();
                table.insert(key, n);
            }
            Some("d") => {
                table.remove(&key);
            }
            _ => {}
        }
    }
    (table, reads)
}

fn database_table(server: &Postgres, db: &PgConfig) -> BTreeMap<i64, i64> {
    server
        .psql(&db.dbname, "SELECT id, n FROM snap ORDER BY id")
        .unwrap()
        .lines()
        .filter_map(|line| {
            let (id, n) = line.split_once('|')?;
            Some((id.trim().parse().ok()?, n.trim().parse().ok()?))
        })
        .collect()
}

/// Fails with the first keys that differ (the tables are too big to print).
fn assert_same_table(rebuilt: &BTreeMap<i64, i64>, database: &BTreeMap<i64, i64>) {
    let keys: std::collections::BTreeSet<&i64> = rebuilt.keys().chain(database.keys()).collect();
    let differences: Vec<_> = keys
        .into_iter()
        .filter(|k| rebuilt.get(k) != database.get(k))
        .take(20)
        .map(|k| (*k, rebuilt.get(k), database.get(k)))
        .collect();
    assert!(
        differences.is_empty(),
        "rebuilt table differs from the database ({} vs {} rows); (key, rebuilt, database): {differences:?}",
        rebuilt.len(),
        database.len()
    );
}

fn assert_no_duplicate_reads(reads: &HashMap<i64, usize>) {
    let duplicates: Vec<_> = reads.iter().filter(|(_, n)| **n > 1).take(10).collect();
    assert!(
        duplicates.is_empty(),
        "keys with more than one r record: {duplicates:?}"
    );
}

#[test]
fn initial_snapshot_under_concurrent_writes_equals_the_table() {
    let rows = table_rows();
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgsnap");
    create_table(server, &db, rows);
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        &[
            ("snapshot.fetch.size", "4000"),
            ("snapshot.max.threads", "2"),
        ],
    );
    let topic = format!("{name}.public.snap");
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("snapshot started");
    let writes = workload(&db, rows, 4_000);
    writes.join().unwrap();
    let records = read_until_sentinel(kafka, &topic, &mut engine);
    assert!(engine.terminate().success());

    let (table, reads) = rebuild(&records);
    assert_same_table(&table, &database_table(server, &db));
    assert_no_duplicate_reads(&reads);
    // Every row that existed at the snapshot's start arrived as one r record (rows
    // deleted before the snapshot read them cannot have one).
    let deleted = 4_000 / 4;
    assert!(
        reads.len() as i64 >= rows - deleted,
        "{} r records for {rows} rows",
        reads.len()
    );
    // Debezium's markers: the first and last snapshot records.
    let markers: Vec<&str> = records
        .iter()
        .filter(|r| r.op() == Some("r"))
        .filter_map(|r| {
            r.value
                .as_ref()?
                .pointer("/payload/source/snapshot")?
                .as_str()
        })
        .collect();
    assert_eq!(markers.first(), Some(&"first"));
    assert_eq!(markers.last(), Some(&"last"));
    assert!(
        markers[1..markers.len() - 1].iter().all(|m| *m == "true"),
        "only first/last are special in a one-table snapshot"
    );
    // The snapshot's r records come before any streamed change.
    let first_change = records
        .iter()
        .position(|r| matches!(r.op(), Some("c" | "u" | "d")))
        .unwrap();
    let last_read = records.iter().rposition(|r| r.op() == Some("r")).unwrap();
    assert!(
        last_read < first_change,
        "streamed changes interleaved with the exported snapshot"
    );
}

/// The offset the engine stored last (the offsets topic's last record).
fn stored_offset(kafka: &Kafka, name: &str) -> Value {
    read_all(kafka, &format!("{name}-offsets"))
        .pop()
        .and_then(|r| r.value)
        .expect("an offset was stored")
}

#[test]
fn sigkill_during_the_snapshot_resumes_at_the_next_chunk() {
    let rows = table_rows();
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgsnapkill");
    create_table(server, &db, rows);
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        &[
            ("snapshot.fetch.size", "500"),
            ("tributary.transaction.max.events", "500"),
        ],
    );
    let topic = format!("{name}.public.snap");
    // The engine aborts (as a SIGKILL would stop it) right after the fifth snapshot
    // transaction is committed in Kafka.
    let crashed = Engine::run_with_env(
        &dir,
        &properties,
        &[("TRIBUTARY_FAILPOINTS", "pg-snapshot-committed=5")],
    )
    .wait_for_exit();
    assert!(!crashed.success(), "the failpoint stops the engine");
    let offset = stored_offset(kafka, &name);
    assert_eq!(offset.get("snapshot"), Some(&Value::Bool(true)), "{offset}");
    assert!(offset.get("tributary_snapshot").is_some(), "{offset}");

    let writes = workload(&db, rows, 4_000);
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("resumed=true");
    writes.join().unwrap();
    // The resumed snapshot runs alongside the stream: the sentinel can arrive before its
    // last chunk, so wait for both, then stop and read everything committed.
    read_until_sentinel(kafka, &topic, &mut engine);
    engine.wait_for_log("snapshot completed");
    let log = engine.log();
    assert!(engine.terminate().success());
    let records = read_all(kafka, &topic);

    let (table, reads) = rebuild(&records);
    assert_same_table(&table, &database_table(server, &db));
    assert_no_duplicate_reads(&reads);
    assert!(
        log.contains("snapshot started (while streaming, in watermark windows)"),
        "a resumed snapshot reads in watermark windows:\n{log}"
    );
}

/// `r` records per key.
fn reads_per_key(records: &[Record]) -> BTreeMap<i64, usize> {
    let mut reads = BTreeMap::new();
    for record in records.iter().filter(|r| r.op() == Some("r")) {
        if let Some(id) = record.field("after", "id").and_then(Value::as_i64) {
            *reads.entry(id).or_insert(0) += 1;
        }
    }
    reads
}

/// Runs the engine until its snapshot completed, then stops it.
fn run_until_snapshot_completed(dir: &std::path::Path, properties: &[(String, String)]) -> String {
    let mut engine = Engine::run(dir, properties);
    engine.wait_for_log("snapshot completed");
    let log = engine.log();
    assert!(engine.terminate().success());
    log
}

fn slots_named(server: &Postgres, db: &PgConfig, slot: &str) -> usize {
    server
        .psql(
            &db.dbname,
            &format!("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"),
        )
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn no_data_streams_only_the_changes_after_the_start() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgnodata");
    create_table(server, &db, 100);
    let dir = tempdir(&name);
    let properties = connector(&db, kafka, &name, &[("snapshot.mode", "no_data")]);
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from PostgreSQL");
    server
        .psql(
            &db.dbname,
            "UPDATE snap SET n = 7 WHERE id = 5; INSERT INTO snap VALUES (-1, 0, 'end');",
        )
        .unwrap();
    let records = read_until_sentinel(kafka, &format!("{name}.public.snap"), &mut engine);
    assert!(engine.terminate().success());
    let ops: Vec<_> = records.iter().filter_map(Record::op).collect();
    assert_eq!(ops, ["u", "c"], "no r records, only the two changes");
    assert!(!engine_log_mentions_snapshot(&dir));
}

/// Whether any engine log in `dir` reports a snapshot.
fn engine_log_mentions_snapshot(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("engine-"))
        .any(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .contains("snapshot started")
        })
}

#[test]
fn initial_only_snapshots_and_stops_without_a_slot() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pginitonly");
    create_table(server, &db, 1_200);
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        &[
            ("snapshot.mode", "initial_only"),
            ("snapshot.fetch.size", "500"),
        ],
    );
    let status = Engine::run(&dir, &properties).wait_for_exit();
    assert!(status.success(), "initial_only ends with success: {status}");
    let reads = reads_per_key(&read_all(kafka, &format!("{name}.public.snap")));
    assert_eq!(reads.len(), 1_200);
    assert!(reads.values().all(|n| *n == 1));
    assert_eq!(
        slots_named(server, &db, &name),
        0,
        "initial_only creates no slot"
    );
    // A second start finds the snapshot done and stops at once, reading nothing.
    let status = Engine::run(&dir, &properties).wait_for_exit();
    assert!(status.success());
    let again = reads_per_key(&read_all(kafka, &format!("{name}.public.snap")));
    assert_eq!(again, reads);
}

#[test]
fn always_snapshots_again_on_every_start() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgalways");
    create_table(server, &db, 300);
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        &[("snapshot.mode", "always"), ("snapshot.fetch.size", "100")],
    );
    run_until_snapshot_completed(&dir, &properties);
    let second = run_until_snapshot_completed(&dir, &properties);
    assert!(
        second.contains("snapshot started (while streaming, in watermark windows)"),
        "the second snapshot runs alongside the stream of the existing slot:\n{second}"
    );
    let reads = reads_per_key(&read_all(kafka, &format!("{name}.public.snap")));
    assert_eq!(reads.len(), 300);
    assert!(reads.values().all(|n| *n == 2), "two r records per row");
}

#[test]
fn when_needed_snapshots_again_after_the_slot_is_lost_and_initial_refuses() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgwhenneeded");
    create_table(server, &db, 300);
    let dir = tempdir(&name);
    let initial = connector(&db, kafka, &name, &[("snapshot.fetch.size", "100")]);
    run_until_snapshot_completed(&dir, &initial);
    let drop_slot = format!("SELECT pg_drop_replication_slot('{name}')");
    server.psql(&db.dbname, &drop_slot).unwrap();
    // With `initial`, a lost position is an error naming the slot and the way out.
    let refused = Engine::run(&dir, &initial);
    let (status, log) = refused.wait_for_exit_with_log();
    assert!(!status.success());
    assert!(
        log.contains(&format!("replication slot '{name}'")) && log.contains("when_needed"),
        "the error names the slot and the fix:\n{log}"
    );
    assert_eq!(
        slots_named(server, &db, &name),
        0,
        "a refused start leaves no slot holding WAL back"
    );
    let when_needed = connector(
        &db,
        kafka,
        &name,
        &[
            ("snapshot.mode", "when_needed"),
            ("snapshot.fetch.size", "100"),
        ],
    );
    let log = run_until_snapshot_completed(&dir, &when_needed);
    assert!(log.contains("taking a new snapshot"), "{log}");
    let reads = reads_per_key(&read_all(kafka, &format!("{name}.public.snap")));
    assert_eq!(reads.len(), 300);
    assert!(reads.values().all(|n| *n == 2), "the rows were read again");
}

#[test]
fn a_select_statement_override_replaces_the_table_in_the_snapshot() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgoverride");
    create_table(server, &db, 1_000);
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        &[
            ("snapshot.mode", "initial_only"),
            ("snapshot.fetch.size", "100"),
            ("snapshot.select.statement.overrides", "public.snap"),
            (
                "snapshot.select.statement.overrides.public.snap",
                "SELECT * FROM public.snap WHERE id % 3 = 0",
            ),
        ],
    );
    let status = Engine::run(&dir, &properties).wait_for_exit();
    assert!(status.success());
    let reads = reads_per_key(&read_all(kafka, &format!("{name}.public.snap")));
    let expected: Vec<i64> = (1..=1_000).filter(|id| id % 3 == 0).collect();
    assert_eq!(reads.keys().copied().collect::<Vec<_>>(), expected);
    assert!(reads.values().all(|n| *n == 1));
}

const SIGNAL_TABLE: &str = "CREATE TABLE tributary_signal (id varchar(42) PRIMARY KEY, \
    type varchar(32) NOT NULL, data varchar(2048))";

#[test]
fn an_incremental_snapshot_by_signal_under_concurrent_writes_equals_the_table() {
    let rows = table_rows();
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgincr");
    create_table(server, &db, rows);
    server.psql(&db.dbname, SIGNAL_TABLE).unwrap();
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        &[
            ("snapshot.mode", "no_data"),
            ("snapshot.fetch.size", "1000"),
            ("signal.data.collection", "public.tributary_signal"),
        ],
    );
    let topic = format!("{name}.public.snap");
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from PostgreSQL");
    let writes = workload(&db, rows, 4_000);
    server
        .psql(
            &db.dbname,
            r#"INSERT INTO tributary_signal VALUES ('s1', 'execute-snapshot',
               '{"data-collections": ["public.snap"], "type": "incremental"}')"#,
        )
        .unwrap();
    writes.join().unwrap();
    engine.wait_for_log("snapshot completed");
    read_until_sentinel(kafka, &topic, &mut engine);
    assert!(engine.terminate().success());
    let records = read_all(kafka, &topic);

    let (table, reads) = rebuild(&records);
    assert_same_table(&table, &database_table(server, &db));
    assert_no_duplicate_reads(&reads);
    assert!(
        reads.len() as i64 >= rows - 4_000 / 4,
        "{} r records for {rows} rows",
        reads.len()
    );
    let markers: std::collections::BTreeSet<&str> = records
        .iter()
        .filter(|r| r.op() == Some("r"))
        .filter_map(|r| {
            r.value
                .as_ref()?
                .pointer("/payload/source/snapshot")?
                .as_str()
        })
        .collect();
    assert_eq!(markers.into_iter().collect::<Vec<_>>(), ["incremental"]);
}

#[test]
fn an_incremental_snapshot_reads_only_rows_matching_its_additional_condition() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgincrcond");
    create_table(server, &db, 1_000);
    server.psql(&db.dbname, SIGNAL_TABLE).unwrap();
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        &[
            ("snapshot.mode", "no_data"),
            ("snapshot.fetch.size", "64"),
            ("signal.data.collection", "public.tributary_signal"),
        ],
    );
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from PostgreSQL");
    server
        .psql(
            &db.dbname,
            r#"INSERT INTO tributary_signal VALUES ('bad', 'execute-snapshot', '{not json');
               INSERT INTO tributary_signal VALUES ('s1', 'execute-snapshot',
               '{"data-collections": ["public.snap"], "additional-conditions":
                 [{"data-collection": "public.snap", "filter": "id % 10 = 0"}]}')"#,
        )
        .unwrap();
    engine.wait_for_log("snapshot completed");
    let log = engine.log();
    assert!(engine.terminate().success());
    assert!(
        log.contains("signal 'bad' (execute-snapshot): data is not JSON"),
        "a bad signal is logged with its id, and the stream goes on:\n{log}"
    );
    let reads = reads_per_key(&read_all(kafka, &format!("{name}.public.snap")));
    let expected: Vec<i64> = (1..=1_000).filter(|id| id % 10 == 0).collect();
    assert_eq!(reads.keys().copied().collect::<Vec<_>>(), expected);
}

#[test]
fn signals_on_the_kafka_topic_pause_resume_and_stop_an_incremental_snapshot_across_a_restart() {
    // Twenty windows: enough to pause in between, few enough to be quick.
    let rows = 2_000;
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgkafkasig");
    create_table(server, &db, rows);
    let dir = tempdir(&name);
    // The Kafka channel alone: nothing is written to the database for the snapshot.
    let properties = connector(
        &db,
        kafka,
        &name,
        &[
            ("snapshot.mode", "no_data"),
            ("snapshot.fetch.size", "100"),
            ("signal.enabled.channels", "kafka"),
        ],
    );
    let signals = format!("{name}-signal");
    let topic = format!("{name}.public.snap");
    let execute = serde_json::json!({"type": "execute-snapshot",
        "data": {"data-collections": ["public.snap"], "type": "INCREMENTAL"}});
    let signal = |kind: &str| serde_json::json!({"type": kind, "data": {}});
    let reads = |records: &[Record]| records.iter().filter(|r| r.op() == Some("r")).count();
    let insert = |id: i64| {
        server
            .psql(
                &db.dbname,
                &format!("INSERT INTO snap VALUES ({id}, 0, 'marker')"),
            )
            .unwrap();
    };

    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from PostgreSQL");
    // A message for another connector on the same topic is not ours.
    send_signals(
        kafka,
        &signals,
        "someone-else",
        std::slice::from_ref(&execute),
    );
    send_signals(
        kafka,
        &signals,
        &name,
        &[execute.clone(), signal("pause-snapshot")],
    );
    engine.wait_for_log("PauseSnapshot");
    insert(-1);
    let paused = reads(&read_until_key(kafka, &topic, -1, &mut engine));
    assert!(
        paused < rows as usize,
        "paused at once: {paused} of {rows} rows read"
    );
    assert!(engine.terminate().success());

    // The pause survives the restart: the stream goes on, the snapshot does not.
    let (mut engine, metrics) = Engine::run_with_metrics(&dir, &properties);
    engine.wait_for_log("streaming from PostgreSQL");
    insert(-2);
    let records = read_until_key(kafka, &topic, -2, &mut engine);
    assert_eq!(reads(&records), paused, "a paused snapshot reads nothing");
    let scraped = scrape_metrics(metrics);
    let label = format!("{{connector=\"{name}\"}}");
    for expected in [
        format!("tributary_snapshot_running{label} 1"),
        format!("tributary_snapshot_paused{label} 1"),
        format!("tributary_snapshot_remaining_tables{label} 1"),
    ] {
        assert!(scraped.contains(&expected), "{expected} in:\n{scraped}");
    }

    send_signals(kafka, &signals, &name, &[signal("resume-snapshot")]);
    engine.wait_for_log("snapshot completed");
    let log = engine.log();
    assert!(
        log.contains("snapshot progress: ") && log.contains("rows_per_second="),
        "the log reports progress:\n{log}"
    );
    let scraped = scrape_metrics(metrics);
    assert!(
        scraped.contains(&format!("tributary_snapshot_running{label} 0"))
            && scraped.contains(&format!("tributary_snapshot_completed_total{label} 1")),
        "{scraped}"
    );
    insert(-3);
    let records = read_until_key(kafka, &topic, -3, &mut engine);
    let per_key = reads_per_key(&records);
    let missing: Vec<i64> = (1..=rows)
        .filter(|id| per_key.get(id) != Some(&1))
        .take(10)
        .collect();
    assert!(
        missing.is_empty(),
        "every row read exactly once; not: {missing:?}"
    );

    // A second snapshot, paused, then stopped: resuming it afterwards reads nothing more.
    let before = reads(&records);
    send_signals(kafka, &signals, &name, &[execute, signal("pause-snapshot")]);
    engine.wait_for_log("PauseSnapshot");
    send_signals(kafka, &signals, &name, &[signal("stop-snapshot")]);
    engine.wait_for_log("incremental snapshot stopped");
    send_signals(kafka, &signals, &name, &[signal("resume-snapshot")]);
    engine.wait_for_log("ResumeSnapshot");
    insert(-4);
    let stopped = reads(&read_until_key(kafka, &topic, -4, &mut engine));
    assert!(engine.terminate().success());
    assert!(
        stopped < before + rows as usize,
        "the stopped snapshot did not run to its end"
    );
    let offset = stored_offset(kafka, &name);
    assert!(
        offset.get("tributary_snapshot").is_none(),
        "no snapshot in progress is stored: {offset}"
    );
    assert!(
        offset
            .get("tributary_signal_offset")
            .and_then(Value::as_i64)
            >= Some(6),
        "the channel's position is stored with the offset: {offset}"
    );
}
