//! MariaDB → Kafka through `tributary run`, with the schema history in Kafka.

use serde_json::json;
use tributary_testcontainers::{Kafka, MariaDb, MariaDbConfig, unique_name};

use crate::support::{Engine, read_all, read_records};

fn connector(db: &MariaDbConfig, kafka: &Kafka, name: &str, table: &str) -> Vec<(String, String)> {
    let database = db.database.clone().unwrap();
    [
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
    .collect()
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tributary-test-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn binlog_changes_and_ddl_arrive_once_across_a_clean_restart() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let database = db.database.clone().unwrap();
    let name = unique_name("mypipe");
    server
        .sql(&format!(
            "CREATE TABLE `{database}`.customers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, \
             balance DECIMAL(10,2));
             CREATE TABLE `{database}`.ignored (id INT PRIMARY KEY);"
        ))
        .unwrap();
    let dir = tempdir(&name);
    let properties = connector(&db, kafka, &name, "customers");
    let topic = format!("{name}.{database}.customers");

    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    server
        .sql(&format!(
            "USE `{database}`;
             INSERT INTO customers VALUES (1, 'Ada', 10.50), (2, 'Grace', NULL);
             INSERT INTO ignored VALUES (1);
             ALTER TABLE customers ADD COLUMN email VARCHAR(60) AFTER name;
             BEGIN; UPDATE customers SET email = 'ada@example.com' WHERE id = 1;
                    DELETE FROM customers WHERE id = 2; COMMIT;"
        ))
        .unwrap();
    let records = read_records(kafka, &topic, 5, &mut engine);
    let ops: Vec<Option<&str>> = records.iter().map(|r| r.op()).collect();
    assert_eq!(
        ops,
        [Some("c"), Some("c"), Some("u"), Some("d"), None],
        "{records:#?}"
    );
    assert_eq!(
        records[0].key.as_ref().unwrap()["payload"],
        json!({"id": 1})
    );
    assert_eq!(records[0].field("after", "name"), Some(&json!("Ada")));
    // Decoded with the table version after the ALTER.
    assert_eq!(
        records[2].field("after", "email"),
        Some(&json!("ada@example.com"))
    );
    assert_eq!(records[2].field("before", "email"), Some(&json!(null)));
    let source = &records[3].value.as_ref().unwrap()["payload"]["source"];
    assert_eq!(source["connector"], json!("mariadb"));
    assert_eq!(source["db"], json!(database));

    assert!(engine.terminate().success());
    server
        .sql(&format!(
            "INSERT INTO `{database}`.customers VALUES (3, 'Edsger', NULL, 1)"
        ))
        .unwrap();
    let mut engine = Engine::run(&dir, &properties);
    let records = read_records(kafka, &topic, 6, &mut engine);
    assert_eq!(records[5].field("after", "id"), Some(&json!(3)));
    server
        .sql(&format!(
            "INSERT INTO `{database}`.customers VALUES (4, 'Barbara', NULL, 2)"
        ))
        .unwrap();
    read_records(kafka, &topic, 7, &mut engine);
    assert!(engine.terminate().success());
    let ids: Vec<_> = read_all(kafka, &topic)
        .iter()
        .filter_map(|r| r.field("after", "id").or(r.field("before", "id")).cloned())
        .collect();
    assert_eq!(
        ids,
        [json!(1), json!(2), json!(1), json!(2), json!(3), json!(4)]
    );
    let offsets = read_all(kafka, &format!("{name}-offsets"));
    let last = offsets.last().unwrap().value.clone().unwrap();
    assert!(
        last["file"].is_string() && last["pos"].as_u64().unwrap() > 0,
        "{last}"
    );
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    const TRANSACTIONS: u32 = 20_000;
    const KILLS: u32 = 10;
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let database = db.database.clone().unwrap();
    let name = unique_name("mycrash");
    server
        .sql(&format!(
            "CREATE TABLE `{database}`.seq (id INT PRIMARY KEY, n INT NOT NULL)"
        ))
        .unwrap();
    let dir = tempdir(&name);
    let properties = connector(&db, kafka, &name, "seq");
    let topic = format!("{name}.{database}.seq");

    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    let workload = {
        let database = database.clone();
        std::thread::spawn(move || {
            // In chunks: the client takes the script as one argument.
            for chunk in (1..=TRANSACTIONS).collect::<Vec<_>>().chunks(500) {
                let script: String = chunk
                    .iter()
                    .map(|&i| crate::workload::transaction(i))
                    .collect();
                server.sql(&format!("USE `{database}`; {script}")).unwrap();
            }
        })
    };
    let seed = crate::workload::seed();
    let mut engine = crate::workload::kill_and_restart(engine, &dir, &properties, KILLS, seed);
    workload.join().unwrap();

    let total = crate::workload::expected_total(TRANSACTIONS);
    read_records(kafka, &topic, total, &mut engine);
    assert!(engine.terminate().success());
    crate::workload::assert_exactly_once(&read_all(kafka, &topic), TRANSACTIONS, seed);
    let remaining = server
        .sql(&format!(
            "SELECT CONCAT(COUNT(*), '|', COALESCE(SUM(n), 0)) FROM `{database}`.seq"
        ))
        .unwrap();
    assert_eq!(
        remaining.lines().last().unwrap().trim(),
        crate::workload::expected_table(TRANSACTIONS)
    );
}

/// `tributary offsets show|set|reset` on a stopped sidecar: the offset read after row 1,
/// set back after row 2, makes the next start replay row 2; reset removes it.
#[test]
fn the_offsets_cli_shows_sets_and_resets_the_stored_position() {
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let database = db.database.clone().unwrap();
    let name = unique_name("myoffsets");
    server
        .sql(&format!(
            "CREATE TABLE `{database}`.customers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)"
        ))
        .unwrap();
    let dir = tempdir(&name);
    let properties = connector(&db, kafka, &name, "customers");
    let topic = format!("{name}.{database}.customers");
    let insert = |id: u32| {
        server
            .sql(&format!(
                "INSERT INTO `{database}`.customers VALUES ({id}, 'n{id}')"
            ))
            .unwrap();
    };
    let ids = |records: &[crate::support::Record]| -> Vec<i64> {
        records
            .iter()
            .filter_map(|r| r.field("after", "id").and_then(serde_json::Value::as_i64))
            .collect()
    };

    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    insert(1);
    read_records(kafka, &topic, 1, &mut engine);
    assert!(engine.terminate().success());
    let shown: serde_json::Value = serde_json::from_str(&offsets_cli(&dir, &["show"])).unwrap();
    assert_eq!(shown["offsets"][0]["partition"], json!({"server": name}));
    let after_first = shown["offsets"][0]["offset"].clone();
    assert!(after_first["file"].is_string(), "{shown}");

    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    insert(2);
    assert_eq!(ids(&read_records(kafka, &topic, 2, &mut engine)), [1, 2]);
    assert!(engine.terminate().success());

    // A malformed offset is refused, naming what it needs.
    let refused = offsets_cli_fails(&dir, &["set", r#"{"pos": "x"}"#]);
    assert!(refused.contains("\"file\""), "{refused}");
    offsets_cli(&dir, &["set", &after_first.to_string()]);
    let mut engine = Engine::run(&dir, &properties);
    assert_eq!(ids(&read_records(kafka, &topic, 3, &mut engine)), [1, 2, 2]);
    assert!(engine.terminate().success());

    offsets_cli(&dir, &["reset"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&offsets_cli(&dir, &["show"])).unwrap(),
        json!({"offsets": []})
    );
}

fn offsets_cli(dir: &std::path::Path, args: &[&str]) -> String {
    let output = run_offsets_cli(dir, args);
    assert!(
        output.status.success(),
        "tributary offsets {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn offsets_cli_fails(dir: &std::path::Path, args: &[&str]) -> String {
    let output = run_offsets_cli(dir, args);
    assert!(
        !output.status.success(),
        "tributary offsets {args:?} succeeded"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn run_offsets_cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("offsets")
        .arg(dir.join("connector.properties"))
        .args(args)
        .output()
        .unwrap()
}

/// Issue 10's end-to-end chain on MariaDB: a column masked and a column excluded with
/// Debezium's column options, then unwrap and route with Connect's keys. Kafka gets the
/// flattened rows on the routed topic, and neither hidden value appears in any record.
#[test]
fn column_options_and_transforms_shape_the_mariadb_records() {
    const CARD: &str = "4111-2222-3333";
    const SSN: &str = "078-05-1120";
    let server = MariaDb::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let database = db.database.clone().unwrap();
    let name = unique_name("mysmt");
    server
        .sql(&format!(
            "CREATE TABLE `{database}`.customers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, \
             card VARCHAR(40), ssn VARCHAR(20), email VARCHAR(20))"
        ))
        .unwrap();
    let dir = tempdir(&name);
    let mut properties = connector(&db, kafka, &name, "customers");
    for (key, value) in [
        (
            "column.mask.with.6.chars",
            format!("{database}\\.customers\\.card"),
        ),
        (
            "column.exclude.list",
            format!("{database}\\.customers\\.ssn"),
        ),
        (
            "column.mask.hash.v2.SHA-256.with.salt.pepper",
            format!("{database}\\.customers\\.email"),
        ),
        ("transforms", "unwrap,route".to_owned()),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState".to_owned(),
        ),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter".to_owned(),
        ),
        (
            "transforms.route.regex",
            "([^.]+)\\.[^.]+\\.(.*)".to_owned(),
        ),
        ("transforms.route.replacement", "$1-$2".to_owned()),
    ] {
        properties.push((key.to_owned(), value));
    }
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from the binlog");
    server
        .sql(&format!(
            "INSERT INTO `{database}`.customers VALUES (1, 'Ada', '{CARD}', '{SSN}', 'ada@example.com');
             UPDATE `{database}`.customers SET name = 'Ada L.' WHERE id = 1;"
        ))
        .unwrap();
    let topic = format!("{name}-customers");
    let records = read_records(kafka, &topic, 2, &mut engine);
    assert!(engine.terminate().success());
    let first = &records[0].value.as_ref().unwrap()["payload"];
    assert_eq!(first["name"], json!("Ada"));
    assert_eq!(first["card"], json!("******"));
    assert!(first.get("ssn").is_none(), "excluded: {first}");
    // sha256("pepper" + "ada@example.com") in hex, cut to VARCHAR(20) (computed with Python).
    assert_eq!(first["email"], json!("f3de2501fc91c4a9ae4d"));
    assert_eq!(
        records[1].value.as_ref().unwrap()["payload"]["name"],
        json!("Ada L.")
    );
    for record in read_all(kafka, &topic) {
        let text = format!("{:?}{:?}", record.key, record.value);
        assert!(
            !text.contains(CARD) && !text.contains(SSN) && !text.contains("ada@example.com"),
            "a hidden value reached Kafka: {text}"
        );
    }
    assert!(
        !engine_log_mentions(&dir, CARD),
        "a hidden value reached the log"
    );
}

fn engine_log_mentions(dir: &std::path::Path, text: &str) -> bool {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("engine-"))
        .any(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .contains(text)
        })
}
