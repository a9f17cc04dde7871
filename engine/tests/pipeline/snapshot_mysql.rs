//! MariaDB snapshots through `tributary run`: the initial snapshot under concurrent writes
//! hands over to the binlog stream with no gap and no duplicate, and a snapshot row is
//! typed exactly like the streamed row of the same values.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use tributary_testcontainers::{Kafka, MariaDb, MariaDbConfig, unique_name};

use crate::support::{Engine, Record, read_all, signal_cli};

/// Rows in the snapshotted table (`SNAPSHOT_TEST_ROWS` overrides it).
fn table_rows() -> i64 {
    std::env::var("SNAPSHOT_TEST_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

fn connector(
    db: &MariaDbConfig,
    kafka: &Kafka,
    name: &str,
    table: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let database = db.database.clone().unwrap();
    let mut properties: Vec<(String, String)> = [
        ("name", name.to_owned()),
        (
            "connector.class",
            "io.debezium.connector.mariadb.MariaDbConnector".to_owned(),
        ),
        ("database.hostname", db.host.clone()),
        ("database.port", db.port.to_string()),
        ("database.user", db.user.clone()),
        ("database.password", db.password.clone()),
        ("topic.prefix", name.to_owned()),
        ("database.include.list", database.clone()),
        ("table.include.list", format!("{database}\\.{table}")),
        (
            "schema.history.internal.kafka.topic",
            format!("{name}-history"),
        ),
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
    let dir = std::env::temp_dir().join(format!("tributary-test-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Updates, deletes and inserts spread over `snap`, many small transactions, from a
/// thread; ends with the sentinel row `id = -1`.
fn workload(
    server: &'static MariaDb,
    database: String,
    rows: i64,
    transactions: i64,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut script = format!("USE `{database}`;");
        for i in 1..=transactions {
            let id = (i * 7919) % rows + 1;
            script.push_str(&match i % 4 {
                0 => format!("DELETE FROM snap WHERE id = {id};"),
                1 => format!("INSERT IGNORE INTO snap VALUES ({}, 1, 'new');", rows + i),
                _ => format!("UPDATE snap SET n = n + 1 WHERE id = {id};"),
            });
            if i % 200 == 0 {
                server.sql(&script).unwrap();
                script = format!("USE `{database}`;");
            }
        }
        script.push_str("INSERT INTO snap VALUES (-1, 0, 'end');");
        server.sql(&script).unwrap();
    })
}

fn database_table(server: &MariaDb, database: &str) -> BTreeMap<i64, i64> {
    server
        .sql(&format!("SELECT id, n FROM `{database}`.snap ORDER BY id"))
        .unwrap()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((
                fields.next()?.trim().parse().ok()?,
                fields.next()?.trim().parse().ok()?,
            ))
        })
        .collect()
}

/// The table a consumer rebuilds, `id → n`, and the `r` records per key.
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
            Some(op @ ("r" | "c" | "u")) => {
                if op == "r" {
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

/// Every key's records come in binlog order: no record shows a state older than one
/// before it (a snapshot row is placed in the stream where its view is exact).
fn assert_positions_in_order(records: &[Record]) {
    let mut last: HashMap<i64, ((u64, u64), String)> = HashMap::new();
    for record in records {
        let (Some(key), Some(source)) = (
            record
                .key
                .as_ref()
                .and_then(|k| k.pointer("/payload/id"))
                .and_then(Value::as_i64),
            record
                .value
                .as_ref()
                .and_then(|v| v.pointer("/payload/source")),
        ) else {
            continue;
        };
        let file = source["file"].as_str().unwrap();
        let seq: u64 = file.rsplit_once('.').unwrap().1.parse().unwrap();
        let position = (seq, source["pos"].as_u64().unwrap());
        let op = record.op().unwrap_or("?").to_owned();
        if let Some((before, before_op)) = last.insert(key, (position, op.clone())) {
            assert!(
                before <= position,
                "key {key}: {op} at {position:?} after {before_op} at {before:?}; source {source}"
            );
        }
    }
}

#[test]
fn mariadb_initial_snapshot_under_concurrent_writes_equals_the_table() {
    let rows = table_rows();
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let database = db.database.clone().unwrap();
    let name = unique_name("mysnap");
    server
        .sql(&format!(
            "USE `{database}`;
             CREATE TABLE snap (id BIGINT PRIMARY KEY, n INT NOT NULL, pad VARCHAR(60));
             INSERT INTO snap SELECT seq, 0, REPEAT('x', 40) FROM seq_1_to_{rows};"
        ))
        .unwrap();
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        "snap",
        &[
            ("snapshot.fetch.size", "1000"),
            ("tributary.transaction.max.events", "1000"),
        ],
    );
    let topic = format!("{name}.{database}.snap");
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("snapshot started");
    let writes = workload(server, database.clone(), rows, 4_000);
    writes.join().unwrap();
    engine.wait_for_log("streaming from the binlog");
    // The sentinel is the workload's last write: once it arrived, everything did.
    let deadline = std::time::Instant::now() + crate::support::deadline();
    let records = loop {
        let records = read_all(kafka, &topic);
        let done = records.iter().any(|r| {
            r.key.as_ref().and_then(|k| k.pointer("/payload/id")) == Some(&Value::from(-1))
        });
        if done {
            break records;
        }
        engine.assert_running();
        assert!(
            std::time::Instant::now() < deadline,
            "no sentinel:\n{}",
            engine.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    let log = engine.log();
    assert!(engine.terminate().success());

    let (table, reads) = rebuild(&records);
    let database_rows = database_table(server, &database);
    let differences: Vec<_> = table
        .keys()
        .chain(database_rows.keys())
        .filter(|k| table.get(k) != database_rows.get(k))
        .take(20)
        .map(|k| (*k, table.get(k), database_rows.get(k)))
        .collect();
    assert!(
        differences.is_empty(),
        "rebuilt table ({} rows) differs from the database ({} rows): {differences:?}",
        table.len(),
        database_rows.len()
    );
    let duplicates: Vec<_> = reads.iter().filter(|(_, n)| **n > 1).take(10).collect();
    assert!(duplicates.is_empty(), "duplicate r records: {duplicates:?}");
    assert_positions_in_order(&records);
    assert!(
        reads.len() as i64 >= rows - 1_000,
        "{} r records",
        reads.len()
    );
    // Chunked: the offset was stored with the snapshot's progress on the way.
    assert!(
        read_all(kafka, &format!("{name}-offsets")).iter().any(|r| r
            .value
            .as_ref()
            .and_then(|v| v.get("tributary_snapshot"))
            .is_some()),
        "no offset with snapshot progress was committed"
    );
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
    let first_change = records
        .iter()
        .position(|r| matches!(r.op(), Some("c" | "u" | "d")))
        .unwrap();
    let last_read = records.iter().rposition(|r| r.op() == Some("r")).unwrap();
    assert!(
        last_read < first_change,
        "streamed changes before the snapshot ended"
    );
    assert!(log.contains("snapshot completed"), "{log}");
}

#[test]
fn a_snapshot_row_is_typed_like_the_streamed_row_of_the_same_values() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let database = db.database.clone().unwrap();
    let name = unique_name("mytypes");
    let values = "-5, 200, -30000, 65000, -8000000, 16000000, -2000000000, 4000000000, \
        -9000000000000000000, 18000000000000000000, 1.5, -2.25e100, 12345.678, -0.001, \
        2024, '2024-02-29', '0000-00-00', '-838:59:59.5', '12:34:56', \
        '2024-02-29 23:59:58.123456', '2024-03-01 00:00:01', b'1', b'101010101', \
        'large', 'a,c', 'h\u{e9}llo \u{1F600}', 'caf\u{e9}', x'00ff10', '{\"k\": [1, 2]}', \
        ST_GeomFromText('POINT(1 2)'), TRUE, NULL";
    server
        .sql(&format!(
            "USE `{database}`;
             CREATE TABLE typed (id INT PRIMARY KEY, t TINYINT, tu TINYINT UNSIGNED,
               s SMALLINT, su SMALLINT UNSIGNED, m MEDIUMINT, mu MEDIUMINT UNSIGNED,
               i INT, iu INT UNSIGNED, b BIGINT, bu BIGINT UNSIGNED, f FLOAT, d DOUBLE,
               dec1 DECIMAL(10,3), dec2 DECIMAL(5,3), y YEAR, dt DATE, dz DATE, tm TIME(1),
               tm0 TIME, dtm DATETIME(6), ts TIMESTAMP NULL, bit1 BIT(1), bits BIT(9),
               e ENUM('small','large'), st SET('a','b','c'), txt VARCHAR(20),
               lat VARCHAR(10) CHARACTER SET latin1, bin VARBINARY(8), js JSON,
               g GEOMETRY, bo BOOLEAN, nul INT NULL);
             SET SESSION sql_mode = '';
             SET SESSION time_zone = '+02:00';
             INSERT INTO typed VALUES (1, {values});"
        ))
        .unwrap();
    let dir = tempdir(&name);
    let properties = connector(&db, kafka, &name, "typed", &[]);
    let topic = format!("{name}.{database}.typed");
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    server
        .sql(&format!(
            "USE `{database}`; SET SESSION sql_mode = ''; SET SESSION time_zone = '+02:00';
             INSERT INTO typed VALUES (2, {values});"
        ))
        .unwrap();
    let records = crate::support::read_records(kafka, &topic, 2, &mut engine);
    assert!(engine.terminate().success());
    let ops: Vec<_> = records.iter().map(Record::op).collect();
    assert_eq!(ops, [Some("r"), Some("c")]);
    let without_id = |r: &Record| {
        let mut after = r.value.as_ref().unwrap()["payload"]["after"].clone();
        after.as_object_mut().unwrap().remove("id");
        after
    };
    assert_eq!(
        without_id(&records[0]),
        without_id(&records[1]),
        "the snapshot and the stream disagree on a value"
    );
    assert_eq!(
        records[0].value.as_ref().unwrap()["schema"],
        records[1].value.as_ref().unwrap()["schema"],
        "the snapshot and the stream disagree on the schema"
    );
}

/// Reads `topic` until the sentinel row (`id = -1`) arrived; everything committed.
fn read_until_sentinel(kafka: &Kafka, topic: &str, engine: &mut Engine) -> Vec<Record> {
    let deadline = std::time::Instant::now() + crate::support::deadline();
    loop {
        let records = read_all(kafka, topic);
        if records.iter().any(|r| {
            r.key.as_ref().and_then(|k| k.pointer("/payload/id")) == Some(&Value::from(-1))
        }) {
            return records;
        }
        engine.assert_running();
        assert!(
            std::time::Instant::now() < deadline,
            "no sentinel:\n{}",
            engine.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

#[test]
fn sigkill_during_the_mariadb_snapshot_resumes_at_the_next_chunk() {
    let rows = table_rows();
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let database = db.database.clone().unwrap();
    let name = unique_name("mysnapkill");
    server
        .sql(&format!(
            "USE `{database}`;
             CREATE TABLE snap (id BIGINT PRIMARY KEY, n INT NOT NULL, pad VARCHAR(60));
             INSERT INTO snap SELECT seq, 0, REPEAT('x', 40) FROM seq_1_to_{rows};"
        ))
        .unwrap();
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        "snap",
        &[
            ("snapshot.fetch.size", "500"),
            ("tributary.transaction.max.events", "500"),
        ],
    );
    let topic = format!("{name}.{database}.snap");
    // Aborted (as a SIGKILL would stop it) right after the fifth transaction committed
    // while the snapshot runs.
    let crashed = Engine::run_with_env(
        &dir,
        &properties,
        &[("TRIBUTARY_FAILPOINTS", "mysql-snapshot-committed=5")],
    )
    .wait_for_exit();
    assert!(!crashed.success(), "the failpoint stops the engine");
    let offset = read_all(kafka, &format!("{name}-offsets"))
        .pop()
        .and_then(|r| r.value)
        .expect("an offset was stored");
    assert_eq!(offset.get("snapshot"), Some(&Value::Bool(true)), "{offset}");
    let delivered_before = read_all(kafka, &topic).len();
    assert!(
        delivered_before > 0 && (delivered_before as i64) < rows,
        "{delivered_before} rows before the crash"
    );

    let writes = workload(server, database.clone(), rows, 4_000);
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("resumed=true");
    writes.join().unwrap();
    read_until_sentinel(kafka, &topic, &mut engine);
    engine.wait_for_log("snapshot completed");
    let log = engine.log();
    assert!(engine.terminate().success());
    let records = read_all(kafka, &topic);

    let (table, reads) = rebuild(&records);
    let database_rows = database_table(server, &database);
    let differences: Vec<_> = table
        .keys()
        .chain(database_rows.keys())
        .filter(|k| table.get(k) != database_rows.get(k))
        .take(20)
        .map(|k| (*k, table.get(k), database_rows.get(k)))
        .collect();
    assert!(
        differences.is_empty(),
        "rebuilt table ({} rows) differs from the database ({} rows): {differences:?}",
        table.len(),
        database_rows.len()
    );
    let duplicates: Vec<_> = reads.iter().filter(|(_, n)| **n > 1).take(10).collect();
    assert!(
        duplicates.is_empty(),
        "the resumed snapshot read rows again: {duplicates:?}"
    );
    assert_positions_in_order(&records);
    assert!(
        log.contains("snapshot started (while streaming, at exact binlog positions)"),
        "{log}"
    );
}

/// `snap` with `rows` rows in a new database; returns the database name.
fn create_snap(server: &MariaDb, db: &MariaDbConfig, rows: i64) -> String {
    let database = db.database.clone().unwrap();
    server
        .sql(&format!(
            "USE `{database}`;
             CREATE TABLE snap (id BIGINT PRIMARY KEY, n INT NOT NULL, pad VARCHAR(60));
             INSERT INTO snap SELECT seq, 0, 'x' FROM seq_1_to_{rows};"
        ))
        .unwrap();
    database
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

#[test]
fn mariadb_no_data_streams_only_the_changes_after_the_start() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("mynodata");
    let database = create_snap(server, &db, 100);
    let dir = tempdir(&name);
    let properties = connector(&db, kafka, &name, "snap", &[("snapshot.mode", "no_data")]);
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    server
        .sql(&format!(
            "USE `{database}`; UPDATE snap SET n = 7 WHERE id = 5; \
             INSERT INTO snap VALUES (-1, 0, 'end');"
        ))
        .unwrap();
    let records = read_until_sentinel(kafka, &format!("{name}.{database}.snap"), &mut engine);
    let log = engine.log();
    assert!(engine.terminate().success());
    let ops: Vec<_> = records.iter().filter_map(Record::op).collect();
    assert_eq!(ops, ["u", "c"], "no r records, only the two changes");
    assert!(!log.contains("snapshot started"), "{log}");
}

#[test]
fn mariadb_initial_only_snapshots_and_stops() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("myinitonly");
    let database = create_snap(server, &db, 1_200);
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        "snap",
        &[
            ("snapshot.mode", "initial_only"),
            ("snapshot.fetch.size", "500"),
        ],
    );
    let (status, log) = Engine::run(&dir, &properties).wait_for_exit_with_log();
    assert!(
        status.success(),
        "initial_only ends with success: {status}\n{log}"
    );
    assert!(!log.contains("streaming from the binlog"), "{log}");
    let topic = format!("{name}.{database}.snap");
    let reads = reads_per_key(&read_all(kafka, &topic));
    assert_eq!(reads.len(), 1_200);
    assert!(reads.values().all(|n| *n == 1));
}

#[test]
fn without_reload_the_minimal_lock_is_refused_with_the_fix_and_locking_none_snapshots() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("mynolock");
    let database = create_snap(server, &db, 300);
    // A locked-down replication user: no RELOAD, so no FLUSH TABLES WITH READ LOCK.
    let user = name.clone();
    server
        .sql(&format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'; \
             GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '{user}'@'%';"
        ))
        .unwrap();
    let as_user = |extra: &[(&str, &str)]| {
        let mut properties = connector(&db, kafka, &name, "snap", extra);
        for (key, value) in &mut properties {
            match key.as_str() {
                "database.user" => *value = user.clone(),
                "database.password" => *value = "pw".to_owned(),
                _ => {}
            }
        }
        properties
    };
    let dir = tempdir(&name);
    let (status, log) =
        Engine::run(&dir, &as_user(&[("snapshot.mode", "initial_only")])).wait_for_exit_with_log();
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("RELOAD") && log.contains("snapshot.locking.mode=none"),
        "the error names the privilege and the way out:\n{log}"
    );

    let (status, log) = Engine::run(
        &dir,
        &as_user(&[
            ("snapshot.mode", "initial_only"),
            ("snapshot.locking.mode", "none"),
        ]),
    )
    .wait_for_exit_with_log();
    assert!(status.success(), "{log}");
    let topic = format!("{name}.{database}.snap");
    let reads = reads_per_key(&read_all(kafka, &topic));
    assert_eq!(reads.len(), 300);
    assert!(reads.values().all(|n| *n == 1));
}

#[test]
fn mariadb_always_snapshots_again_on_every_start() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("myalways");
    let database = create_snap(server, &db, 300);
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        "snap",
        &[("snapshot.mode", "always"), ("snapshot.fetch.size", "100")],
    );
    for _ in 0..2 {
        let mut engine = Engine::run(&dir, &properties);
        engine.wait_for_log("snapshot completed");
        assert!(engine.terminate().success());
    }
    let reads = reads_per_key(&read_all(kafka, &format!("{name}.{database}.snap")));
    assert_eq!(reads.len(), 300);
    let odd: Vec<_> = reads.iter().filter(|(_, n)| **n != 2).take(10).collect();
    assert!(
        odd.is_empty(),
        "two r records per row; (key, count): {odd:?}"
    );
}

#[test]
fn a_mariadb_incremental_snapshot_by_signal_under_concurrent_writes_equals_the_table() {
    let rows = table_rows();
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("myincr");
    let database = create_snap(server, &db, rows);
    server
        .sql(&format!(
            "CREATE TABLE `{database}`.tributary_signal (id VARCHAR(42) PRIMARY KEY, \
             type VARCHAR(32) NOT NULL, data VARCHAR(2048))"
        ))
        .unwrap();
    let dir = tempdir(&name);
    let signal_table = format!("{database}.tributary_signal");
    let properties = connector(
        &db,
        kafka,
        &name,
        "snap",
        &[
            ("snapshot.mode", "no_data"),
            ("snapshot.fetch.size", "1000"),
            ("signal.data.collection", signal_table.as_str()),
        ],
    );
    let topic = format!("{name}.{database}.snap");
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    let writes = workload(server, database.clone(), rows, 4_000);
    server
        .sql(&format!(
            r#"INSERT INTO `{database}`.tributary_signal VALUES ('s1', 'execute-snapshot',
               '{{"data-collections": ["{database}.snap"], "type": "incremental"}}')"#
        ))
        .unwrap();
    writes.join().unwrap();
    engine.wait_for_log("snapshot completed");
    read_until_sentinel(kafka, &topic, &mut engine);
    assert!(engine.terminate().success());
    let records = read_all(kafka, &topic);

    let (table, reads) = rebuild(&records);
    let database_rows = database_table(server, &database);
    let differences: Vec<_> = table
        .keys()
        .chain(database_rows.keys())
        .filter(|k| table.get(k) != database_rows.get(k))
        .take(20)
        .map(|k| (*k, table.get(k), database_rows.get(k)))
        .collect();
    assert!(
        differences.is_empty(),
        "rebuilt table differs: {differences:?}"
    );
    assert!(reads.values().all(|n| *n == 1), "a row read twice");
    assert!(
        reads.len() as i64 >= rows - 1_000,
        "{} r records",
        reads.len()
    );
    assert_positions_in_order(&records);
    assert!(records.iter().filter(|r| r.op() == Some("r")).all(|r| {
        r.value
            .as_ref()
            .and_then(|v| v.pointer("/payload/source/snapshot"))
            == Some(&Value::from("incremental"))
    }));
}

#[test]
fn a_mariadb_snapshot_signalled_on_the_kafka_topic_stays_paused_across_a_restart_and_resumes() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("mykafkasig");
    let database = create_snap(server, &db, 1_000);
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        "snap",
        &[
            ("snapshot.mode", "no_data"),
            ("snapshot.fetch.size", "100"),
            ("signal.enabled.channels", "kafka"),
        ],
    );
    let topic = format!("{name}.{database}.snap");
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    assert!(engine.terminate().success());
    // Sent by the CLI, as an operator would, while the connector is down: it reads both
    // at its next start, so the pause lands before any chunk.
    signal_cli(
        &dir,
        &["execute-snapshot", "--tables", &format!("{database}.snap")],
    );
    signal_cli(&dir, &["pause-snapshot"]);
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("PauseSnapshot");
    assert!(engine.terminate().success());
    let paused = reads_per_key(&read_all(kafka, &topic)).len();
    assert!(paused < 1_000, "paused at once: {paused} rows read");

    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("snapshot started");
    signal_cli(&dir, &["resume-snapshot"]);
    engine.wait_for_log("snapshot completed");
    assert!(engine.terminate().success());
    let reads = reads_per_key(&read_all(kafka, &topic));
    let odd: Vec<_> = (1..=1_000)
        .filter(|id| reads.get(id) != Some(&1))
        .take(10)
        .collect();
    assert!(odd.is_empty(), "every row read once; not: {odd:?}");
}

#[test]
fn mariadb_when_needed_snapshots_again_after_the_binlog_is_purged() {
    // Its own server: purging the binlog would pull it from under other tests.
    let server = MariaDb::start().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("mypurged");
    let database = create_snap(&server, &db, 300);
    let dir = tempdir(&name);
    let properties = connector(
        &db,
        kafka,
        &name,
        "snap",
        &[
            ("snapshot.mode", "when_needed"),
            ("snapshot.fetch.size", "100"),
        ],
    );
    let topic = format!("{name}.{database}.snap");
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    assert!(engine.terminate().success());

    // While the connector is down: a change it never sees, then the binlog holding it
    // (and the stored position) is purged.
    server
        .sql(&format!(
            "INSERT INTO `{database}`.snap VALUES (5000, 7, 'while down'); FLUSH BINARY LOGS;"
        ))
        .unwrap();
    let newest = server.sql("SHOW MASTER STATUS").unwrap();
    let newest = newest.split_whitespace().next().unwrap().to_owned();
    // MariaDB keeps a file until its binlog checkpoint has passed it: retry until only
    // the newest is left.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.sql("SHOW BINARY LOGS").unwrap().lines().count() > 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the binlog was not purged"
        );
        server
            .sql(&format!("PURGE BINARY LOGS TO '{newest}'"))
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("snapshot completed");
    server
        .sql(&format!(
            "UPDATE `{database}`.snap SET n = 8 WHERE id = 5000"
        ))
        .unwrap();
    let log = engine.log();
    let records = read_until_sentinel_or(kafka, &topic, &mut engine, 5000, "u");
    assert!(engine.terminate().success());
    assert!(
        log.contains("the stored position is gone; taking a new snapshot"),
        "{log}"
    );
    let reads = reads_per_key(&records);
    assert_eq!(
        reads.get(&5000),
        Some(&1),
        "the purged change comes with the new snapshot"
    );
    let twice = (1..=300).filter(|id| reads.get(id) == Some(&2)).count();
    assert_eq!(twice, 300, "every row again in the new snapshot");
    let streamed = records
        .iter()
        .any(|r| r.op() == Some("u") && r.field("after", "n") == Some(&Value::from(8)));
    assert!(streamed, "streaming goes on after the new snapshot");
}

/// Reads `topic` until a record with `op` for key `id` arrived.
fn read_until_sentinel_or(
    kafka: &Kafka,
    topic: &str,
    engine: &mut Engine,
    id: i64,
    op: &str,
) -> Vec<Record> {
    let deadline = std::time::Instant::now() + crate::support::deadline();
    loop {
        engine.assert_running();
        let records = read_all(kafka, topic);
        if records
            .iter()
            .any(|r| r.op() == Some(op) && r.field("after", "id") == Some(&Value::from(id)))
        {
            return records;
        }
        assert!(std::time::Instant::now() < deadline, "no {op} for {id}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
