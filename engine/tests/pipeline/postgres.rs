//! PostgreSQL → Kafka through `tributary run`.

use serde_json::json;
use tributary_testcontainers::{Kafka, Postgres, unique_name};

use crate::support::{Engine, read_all, read_records};

fn connector(
    db: &tributary_testcontainers::PgConfig,
    kafka: &Kafka,
    name: &str,
) -> Vec<(String, String)> {
    [
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
        ("table.include.list", "public.customers".to_owned()),
        ("bootstrap.servers", kafka.bootstrap_servers()),
        ("offset.storage.topic", format!("{name}-offsets")),
        ("tributary.transaction.max.ms", "50".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[test]
fn changes_arrive_once_across_a_clean_restart() {
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgpipe");
    server
        .psql(
            &db.dbname,
            "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, balance numeric(10,2));
             CREATE TABLE ignored (id int PRIMARY KEY);",
        )
        .unwrap();
    let dir = tempdir(&name);
    let properties = connector(&db, kafka, &name);
    let topic = format!("{name}.public.customers");

    let mut engine = Engine::run(&dir, &properties);
    // Changes after the slot exists are streamed; the engine logs once it is streaming.
    engine.wait_for_log("streaming from PostgreSQL");
    server
        .psql(
            &db.dbname,
            "INSERT INTO customers VALUES (1, 'Ada', 10.50);
             INSERT INTO customers VALUES (2, 'Grace', NULL);
             INSERT INTO ignored VALUES (1);
             BEGIN; UPDATE customers SET balance = 99.99 WHERE id = 1; DELETE FROM customers WHERE id = 2; COMMIT;",
        )
        .unwrap();
    let records = read_records(kafka, &topic, 5, &mut engine);
    let ops: Vec<Option<&str>> = records.iter().map(|r| r.op()).collect();
    assert_eq!(
        ops,
        [Some("c"), Some("c"), Some("u"), Some("d"), None],
        "{records:#?}"
    );
    let update = &records[2];
    assert_eq!(update.key.as_ref().unwrap()["payload"], json!({"id": 1}));
    assert_eq!(update.field("after", "name"), Some(&json!("Ada")));
    // numeric(10,2) with decimal.handling.mode=precise: base64 of the unscaled value 9999.
    assert_eq!(update.field("after", "balance"), Some(&json!("Jw8=")));
    let delete = &records[3];
    assert_eq!(delete.field("before", "id"), Some(&json!(2)));
    assert_eq!(
        delete.value.as_ref().unwrap()["payload"]["source"]["table"],
        json!("customers")
    );
    assert!(records[4].value.is_none(), "tombstone after the delete");

    assert!(engine.terminate().success());
    // Written while the engine is down: streamed after the restart, and nothing before it
    // is produced again.
    server
        .psql(&db.dbname, "INSERT INTO customers VALUES (3, 'Edsger', 1)")
        .unwrap();
    let mut engine = Engine::run(&dir, &properties);
    let records = read_records(kafka, &topic, 6, &mut engine);
    assert_eq!(records[5].field("after", "id"), Some(&json!(3)));
    // Give a duplicate the chance to appear, then check the topic holds each change once.
    server
        .psql(&db.dbname, "INSERT INTO customers VALUES (4, 'Barbara', 2)")
        .unwrap();
    read_records(kafka, &topic, 7, &mut engine);
    assert!(engine.terminate().success());
    let all = read_all(kafka, &topic);
    let ids: Vec<_> = all
        .iter()
        .filter_map(|r| r.field("after", "id").or(r.field("before", "id")).cloned())
        .collect();
    assert_eq!(
        ids,
        [json!(1), json!(2), json!(1), json!(2), json!(3), json!(4)],
        "{all:#?}"
    );

    let offsets = read_all(kafka, &format!("{name}-offsets"));
    let last = offsets.last().unwrap();
    assert_eq!(last.key, Some(json!([name, {"server": name}])));
    assert!(last.value.as_ref().unwrap()["lsn_commit"].as_u64().unwrap() > 0);
}

/// A database with the crash workload's `seq` table and a connector capturing only it;
/// returns the database, the test directory, the properties and the table's topic.
fn seq_connector(
    kafka: &Kafka,
    tag: &str,
) -> (
    tributary_testcontainers::PgConfig,
    std::path::PathBuf,
    Vec<(String, String)>,
    String,
) {
    let server = Postgres::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name(tag);
    server
        .psql(
            &db.dbname,
            "CREATE TABLE seq (id int PRIMARY KEY, n int NOT NULL)",
        )
        .unwrap();
    let dir = tempdir(&name);
    let mut properties = connector(&db, kafka, &name);
    for (key, value) in &mut properties {
        if key == "table.include.list" {
            *value = "public.seq".to_owned();
        }
    }
    let topic = format!("{name}.public.seq");
    (db, dir, properties, topic)
}

/// Runs `script` on a connection of its own, on a thread: one simple-query message, so the
/// server runs its transactions one by one.
fn run_script(url: String, script: String) -> std::thread::JoinHandle<()> {
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
            client.batch_execute(&script).await.unwrap();
        });
    })
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tributary-test-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    const TRANSACTIONS: u32 = 20_000;
    const KILLS: u32 = 10;
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let (db, dir, properties, topic) = seq_connector(kafka, "pgcrash");

    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from PostgreSQL");
    let script: String = (1..=TRANSACTIONS)
        .map(crate::workload::transaction)
        .collect();
    let workload = run_script(db.connection_string(), script);
    // The kills start once the connector has committed its first offset: killed before
    // that, it is a new connector on an existing slot, which snapshots the table while
    // streaming (`r` events after the `c`s, by design; the snapshot tests cover it). Under
    // load the first Kafka commit can take longer than the first kill's delay.
    read_records(kafka, &topic, 1, &mut engine);
    let seed = crate::workload::seed();
    let mut engine = crate::workload::kill_and_restart(engine, &dir, &properties, KILLS, seed);
    workload.join().unwrap();

    let total = crate::workload::expected_total(TRANSACTIONS);
    read_records(kafka, &topic, total, &mut engine);
    assert!(engine.terminate().success());
    crate::workload::assert_exactly_once(&read_all(kafka, &topic), TRANSACTIONS, seed);
    let remaining = server
        .psql(&db.dbname, "SELECT count(*), coalesce(sum(n), 0) FROM seq")
        .unwrap();
    assert_eq!(
        remaining.trim(),
        crate::workload::expected_table(TRANSACTIONS)
    );
}

/// The sidecar's shutdown promise: SIGTERM while changes stream in ends the process with
/// exit 0 within 10 s (Kubernetes' default grace period is 30 s; 10 s leaves room), with
/// the in-flight Kafka transaction finished; the restarted sidecar continues so that
/// nothing is lost or repeated.
#[test]
fn sigterm_mid_stream_exits_cleanly_and_the_restart_loses_and_repeats_nothing() {
    const TRANSACTIONS: u32 = 5_000;
    let kafka = Kafka::shared().unwrap();
    let (db, dir, properties, topic) = seq_connector(kafka, "pgterm");
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from PostgreSQL");
    let script: String = (1..=TRANSACTIONS)
        .map(crate::workload::transaction)
        .collect();
    let workload = run_script(db.connection_string(), script);
    // Mid-stream: some records are committed, the workload is still running.
    read_records(kafka, &topic, 200, &mut engine);
    let asked = std::time::Instant::now();
    let status = engine.terminate();
    let took = asked.elapsed();
    assert!(status.success(), "SIGTERM exit: {status}");
    assert!(
        took <= std::time::Duration::from_secs(10),
        "the sidecar took {took:?} to stop after SIGTERM (bound: 10 s)"
    );
    let mut engine = Engine::run(&dir, &properties);
    workload.join().unwrap();
    let total = crate::workload::expected_total(TRANSACTIONS);
    read_records(kafka, &topic, total, &mut engine);
    assert!(engine.terminate().success());
    crate::workload::assert_exactly_once(&read_all(kafka, &topic), TRANSACTIONS, 0);
}

/// Issue 10's end-to-end chain on PostgreSQL: unwrap, route and mask configured with
/// Connect's keys. Kafka gets the flattened rows on the routed topic, and the masked value
/// appears nowhere in any record.
#[test]
fn unwrap_route_and_mask_shape_the_records() {
    const SECRET: &str = "s3cret-card-4111";
    let server = Postgres::shared().unwrap();
    let kafka = Kafka::shared().unwrap();
    let db = server.create_database().unwrap();
    let name = unique_name("pgsmt");
    server
        .psql(
            &db.dbname,
            "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, card text)",
        )
        .unwrap();
    let dir = tempdir(&name);
    let mut properties = connector(&db, kafka, &name);
    for (key, value) in [
        ("transforms", "unwrap,route,mask"),
        (
            "transforms.unwrap.type",
            "io.debezium.transforms.ExtractNewRecordState",
        ),
        (
            "transforms.unwrap.delete.tombstone.handling.mode",
            "rewrite",
        ),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.regex", "([^.]+)\\.public\\.(.*)"),
        ("transforms.route.replacement", "$1-$2"),
        (
            "transforms.mask.type",
            "org.apache.kafka.connect.transforms.MaskField$Value",
        ),
        ("transforms.mask.fields", "card"),
    ] {
        properties.push((key.to_owned(), value.to_owned()));
    }
    let mut engine = Engine::run(&dir, &properties);
    engine.wait_for_log("streaming from PostgreSQL");
    server
        .psql(
            &db.dbname,
            &format!(
                "INSERT INTO customers VALUES (1, 'Ada', '{SECRET}');
                 UPDATE customers SET name = 'Ada L.' WHERE id = 1;
                 DELETE FROM customers WHERE id = 1;"
            ),
        )
        .unwrap();
    let topic = format!("{name}-customers");
    let records = read_records(kafka, &topic, 3, &mut engine);
    assert!(engine.terminate().success());
    let payloads: Vec<_> = records
        .iter()
        .map(|r| r.value.as_ref().unwrap()["payload"].clone())
        .collect();
    assert_eq!(payloads[0]["name"], json!("Ada"));
    assert_eq!(payloads[0]["card"], json!(""), "masked to the empty string");
    assert_eq!(payloads[0]["__deleted"], json!("false"));
    assert_eq!(payloads[1]["name"], json!("Ada L."));
    assert_eq!(payloads[2]["__deleted"], json!("true"));
    for record in read_all(kafka, &topic) {
        let bytes = format!("{:?}{:?}", record.key, record.value);
        assert!(
            !bytes.contains(SECRET),
            "the masked value reached Kafka: {bytes}"
        );
    }
}
