//! DDL in the middle of the stream, with the schema history in a real Kafka topic: insert,
//! `ADD COLUMN` in the middle, insert, `DROP COLUMN`, insert, `RENAME TABLE`, insert — every
//! row decodes with the column names and values of its own table version. Then a restart
//! recovers the history from the topic up to the start position and reads the same binlog
//! again: the same rows come out, and the replayed DDL is not stored twice.
//!
//! The first start also covers the initial schema capture: the table exists before the
//! stream starts, so its definition comes from `SHOW CREATE TABLE`, recorded in the topic at
//! the start position.

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use tributary::mysql::client::{BinlogReaderConfig, current_position, start_binlog_reader};
use tributary::mysql::schema::{
    BinlogPosition, HistoryOptions, KafkaHistoryConfig, KafkaSchemaHistoryStore, SchemaHistory,
    SchemaHistoryStore, SnapshotLocking, TableId, read_server_schema,
};
use tributary_envelope::Value;
use tributary_envelope::value::Extended;
use tributary_testcontainers::{Kafka, MariaDb, unique_name};

use crate::support::{TypedChanges, TypedRow, options};

fn date(days: i32) -> Value {
    Value::Date(Extended::Finite(days))
}

fn row(table: &str, values: &[(&str, Value)]) -> TypedRow {
    TypedRow {
        table: table.to_owned(),
        op: 'I',
        values: values
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect(),
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// What every pass must decode.
fn expected() -> Vec<TypedRow> {
    // 2024-01-02 and 2024-01-03 as days since 1970-01-01.
    let (jan2, jan3) = (19_724, 19_725);
    vec![
        row(
            "t",
            &[
                ("id", Value::Int32(1)),
                ("a", text("x")),
                ("b", Value::Int64(10)),
            ],
        ),
        row(
            "t",
            &[
                ("id", Value::Int32(2)),
                ("a", text("y")),
                ("m", date(jan2)),
                ("b", Value::Int64(20)),
            ],
        ),
        row(
            "t",
            &[("id", Value::Int32(3)), ("a", text("z")), ("m", date(jan3))],
        ),
        row(
            "u",
            &[
                ("id", Value::Int32(4)),
                ("a", text("w")),
                ("m", Value::Null),
            ],
        ),
    ]
}

const SCRIPT: &str = "INSERT INTO t VALUES (1, 'x', 10);
ALTER TABLE t ADD COLUMN m DATE AFTER a;
INSERT INTO t VALUES (2, 'y', '2024-01-02', 20);
ALTER TABLE t DROP COLUMN b;
INSERT INTO t VALUES (3, 'z', '2024-01-03');
RENAME TABLE t TO u;
INSERT INTO u VALUES (4, 'w', NULL);";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_mid_stream_decodes_every_row_with_its_table_version_and_after_restart() {
    let kafka = Kafka::shared().unwrap();
    let server = MariaDb::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = db.database.clone().unwrap();
    server
        .sql(&format!(
            "CREATE TABLE `{name}`.t (id INT NOT NULL PRIMARY KEY, a VARCHAR(10), \
             b INT UNSIGNED)"
        ))
        .unwrap();
    let topic = unique_name("schema-history");
    let config = KafkaHistoryConfig::new(&kafka.bootstrap_servers(), &topic, "srv");
    let captured_db = name.clone();
    let options_for = || HistoryOptions {
        is_captured: {
            let db = captured_db.clone();
            std::sync::Arc::new(move |id: &TableId| id.database == db)
        },
        ..HistoryOptions::capture_all("srv")
    };

    // First start: an empty topic (created by the store), so the schema is captured.
    let mut store = KafkaSchemaHistoryStore::open(config.clone()).unwrap();
    assert!(store.records().unwrap().is_empty());
    let opts = options(&db, 311);
    let filter_db = name.clone();
    let snapshot = read_server_schema(
        &opts,
        &move |id: &TableId| id.database == filter_db,
        SnapshotLocking::Global,
    )
    .await
    .unwrap();
    let mut history = SchemaHistory::new(options_for());
    history.record_snapshot(&mut store, &snapshot).unwrap();
    let start = snapshot.offset.clone();

    let mut reader = start_binlog_reader(opts.clone(), BinlogReaderConfig::default(), &start)
        .await
        .unwrap();
    server.sql(&format!("USE `{name}`; {SCRIPT}")).unwrap();
    let mut first = TypedChanges::new(&name, reader.server.checksum, history, Box::new(store));
    first.collect(&mut reader, 4).await;
    assert_eq!(first.rows, expected());
    assert_eq!(first.ddl.len(), 3, "{:?}", first.ddl);
    let end = current_position(&opts).await.unwrap();
    drop(reader);

    // The topic: one partition, infinite retention, Debezium's record shape.
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .create()
        .unwrap();
    let configs = admin
        .describe_configs([&ResourceSpecifier::Topic(&topic)], &AdminOptions::new())
        .await
        .unwrap();
    let resource = configs.into_iter().next().unwrap().unwrap();
    let retention = resource.get("retention.ms").and_then(|e| e.value.clone());
    assert_eq!(retention.as_deref(), Some("-1"));
    let stored = KafkaSchemaHistoryStore::open(config.clone()).unwrap();
    let records = stored.records().unwrap();
    let ddl: Vec<&str> = records.iter().map(|r| r.ddl.as_str()).collect();
    assert_eq!(ddl.len(), 5, "{ddl:#?}");
    assert!(
        ddl[0].starts_with("CREATE DATABASE IF NOT EXISTS"),
        "{ddl:#?}"
    );
    assert!(ddl[1].starts_with("CREATE TABLE `t`"), "{ddl:#?}");
    assert!(ddl[2].contains("ADD COLUMN m"), "{ddl:#?}");
    let json = serde_json::to_value(&records[4]).unwrap();
    assert_eq!(json["source"]["server"], "srv");
    assert_eq!(json["databaseName"], name.as_str());
    assert!(json["position"]["file"].is_string() && json["position"]["pos"].is_u64());
    assert!(json["ts_ms"].is_i64());
    let change = &json["tableChanges"][0];
    assert_eq!(change["type"], "ALTER");
    assert_eq!(change["id"], format!("\"{name}\".\"u\""));
    assert_eq!(change["previousId"], format!("\"{name}\".\"t\""));
    assert_eq!(change["table"]["primaryKeyColumnNames"][0], "id");
    let columns: Vec<&str> = change["table"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["id", "a", "m"]);

    // A full recovery rebuilds the final table version.
    let full =
        SchemaHistory::recover(options_for(), &stored, Some(&BinlogPosition::from(&end))).unwrap();
    let u = full
        .model()
        .table(&TableId::new(&name, "u"))
        .unwrap_or_else(|| {
            let positions: Vec<String> = records.iter().map(|r| r.position.to_string()).collect();
            panic!("no table u after recovery to {end:?}: {positions:?}")
        });
    let names: Vec<&str> = u.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "a", "m"]);
    assert!(full.model().table(&TableId::new(&name, "t")).is_none());

    // Restart from the start position: the history is replayed from the topic up to it and
    // the binlog delivers the DDL again, which is applied but not stored again.
    let store = KafkaSchemaHistoryStore::open(config.clone()).unwrap();
    let history =
        SchemaHistory::recover(options_for(), &store, Some(&BinlogPosition::from(&start))).unwrap();
    let t = history.model().table(&TableId::new(&name, "t")).unwrap();
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "a", "b"]);
    let mut reader = start_binlog_reader(opts, BinlogReaderConfig::default(), &start)
        .await
        .unwrap();
    let mut second = TypedChanges::new(&name, reader.server.checksum, history, Box::new(store));
    second.collect(&mut reader, 4).await;
    assert_eq!(second.rows, expected());
    assert_eq!(second.ddl, first.ddl);
    drop(reader);
    let after = KafkaSchemaHistoryStore::open(config).unwrap();
    assert_eq!(
        after.records().unwrap().len(),
        5,
        "replayed DDL must not be stored twice"
    );
}
