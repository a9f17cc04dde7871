//! `make demo`: a local PostgreSQL, MariaDB and Kafka (started by `tributary-testcontainers`),
//! a small inventory schema in each database, a Tributary node with the REST runtime, one
//! connector per database registered over its Kafka-Connect-compatible API with Debezium's
//! properties, a stream of inserts, updates and deletes, and the change events as
//! a read_committed consumer sees them. Ctrl-C stops everything cleanly (`DEMO_SECONDS=n` stops after n seconds).

// A demo prints to the terminal and gives up loudly on a broken machine.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::{Value, json};
use tributary::config::Properties;
use tributary::runtime::Runtime;
use tributary::runtime::rest::{ServerInfo, router};
use tributary::runtime::store::StateStore;
use tributary_testcontainers::{Kafka, MariaDb, Postgres};

const SCHEMA: &str = "
CREATE SCHEMA inventory;
CREATE TABLE inventory.customers (id serial PRIMARY KEY, first_name text NOT NULL,
                                  last_name text NOT NULL, email text UNIQUE NOT NULL);
CREATE TABLE inventory.products (id serial PRIMARY KEY, name text NOT NULL,
                                 description text, weight numeric(8,3));
CREATE TABLE inventory.orders (id serial PRIMARY KEY, order_date date NOT NULL,
                               purchaser int NOT NULL REFERENCES inventory.customers,
                               quantity int NOT NULL, product_id int NOT NULL REFERENCES inventory.products);
INSERT INTO inventory.customers (first_name, last_name, email)
  VALUES ('Sally', 'Thomas', 'sally.thomas@acme.com'), ('George', 'Bailey', 'gbailey@foobar.com');
";

/// The same schema in MariaDB's dialect.
const MARIADB_SCHEMA: &str = "
CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(255) NOT NULL,
                        last_name VARCHAR(255) NOT NULL, email VARCHAR(255) UNIQUE NOT NULL);
CREATE TABLE products (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL,
                       description VARCHAR(512), weight DECIMAL(8,3));
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, order_date DATE NOT NULL,
                     purchaser INT NOT NULL, quantity INT NOT NULL, product_id INT NOT NULL);
INSERT INTO customers (first_name, last_name, email)
  VALUES ('Sally', 'Thomas', 'sally.thomas@acme.com'), ('George', 'Bailey', 'gbailey@foobar.com');
";

fn main() {
    println!("== starting PostgreSQL 15, MariaDB 10.11 and Kafka (KRaft) as local processes…");
    let postgres =
        Postgres::start().expect("PostgreSQL starts (run `make demo`, which installs it)");
    let mariadb = MariaDb::start().expect("MariaDB starts (run `make demo`, which installs it)");
    let kafka = Kafka::start().expect("Kafka starts (run `make demo`, which installs it)");
    let maria_db = mariadb.create_database().unwrap();
    let maria_name = maria_db.database.clone().unwrap();
    mariadb
        .sql(&format!("USE `{maria_name}`; {MARIADB_SCHEMA}"))
        .unwrap();
    let db = postgres.create_database().unwrap();
    postgres.psql(&db.dbname, SCHEMA).unwrap();
    println!(
        "   PostgreSQL on {}:{}, Kafka on {}",
        db.host,
        db.port,
        kafka.bootstrap_servers()
    );

    // A Tributary node with the REST runtime, as `tributary serve` runs it; the connectors
    // are registered over its Kafka-Connect-compatible API, as a Connect user would.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let state = std::env::temp_dir().join(format!("tributary-demo-{}", std::process::id()));
    let defaults: Properties = [
        ("bootstrap.servers", kafka.bootstrap_servers()),
        ("key.converter.schemas.enable", "false".to_owned()),
        ("value.converter.schemas.enable", "false".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let port = tributary_testcontainers::free_port().unwrap();
    let node: Arc<Runtime> = Arc::new(
        Runtime::start(
            StateStore::open(&state).unwrap(),
            defaults,
            runtime.handle().clone(),
            format!("127.0.0.1:{port}"),
        )
        .unwrap(),
    );
    let info = ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: "demo".to_owned(),
        kafka_cluster_id: None,
    };
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
        .unwrap();
    let node_for_shutdown = Arc::clone(&node);
    runtime.spawn(async move {
        let _ = axum::serve(listener, router(node, info, None)).await;
    });
    let api = format!("http://127.0.0.1:{port}");
    println!("== Tributary REST runtime on {api} (Kafka Connect's API)");

    let postgres_connector = json!({
        "name": "inventory-connector",
        "config": {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": db.host,
            "database.port": db.port.to_string(),
            "database.user": db.user,
            "database.password": db.password,
            "database.dbname": db.dbname,
            "topic.prefix": "dbserver1",
            "schema.include.list": "inventory",
            "decimal.handling.mode": "string",
        }
    });
    let mariadb_connector = json!({
        "name": "mariadb-connector",
        "config": {
            "connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
            "database.hostname": maria_db.host,
            "database.port": maria_db.port.to_string(),
            "database.user": maria_db.user,
            "database.password": maria_db.password,
            "database.server.id": "184054",
            "topic.prefix": "dbserver2",
            "database.include.list": maria_name,
            "schema.history.internal.kafka.topic": "schema-changes.inventory",
            "decimal.handling.mode": "string",
        }
    });
    let http: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for connector in [&postgres_connector, &mariadb_connector] {
        println!(
            "   POST {api}/connectors {{\"name\": {}, …}}",
            connector["name"]
        );
        let mut response = http
            .post(format!("{api}/connectors"))
            .content_type("application/json")
            .send(connector.to_string())
            .unwrap();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        println!("   → {} {}", response.status().as_u16(), summarize(&body));
    }
    wait_for_slot(&postgres, &db.dbname);
    for name in ["inventory-connector", "mariadb-connector"] {
        let mut response = http
            .get(format!("{api}/connectors/{name}/status"))
            .call()
            .unwrap();
        println!(
            "   GET /connectors/{name}/status → {}",
            response.body_mut().read_to_string().unwrap_or_default()
        );
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::Relaxed);
            }
        });
    }
    println!("== streaming; applying changes. Ctrl-C to stop.\n");

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .set("group.id", "tributary-demo")
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest")
        .set("topic.metadata.refresh.interval.ms", "1000")
        .create()
        .unwrap();
    consumer.subscribe(&["^dbserver[12]\\..*"]).unwrap();

    let limit = std::env::var("DEMO_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs);
    let started = Instant::now();
    let mut step = 0u32;
    let mut next_change = Instant::now();
    while !stop.load(Ordering::Relaxed) && limit.is_none_or(|l| started.elapsed() < l) {
        if Instant::now() >= next_change {
            let sql = workload(step);
            postgres.psql(&db.dbname, &sql).unwrap();
            mariadb
                .sql(&format!("USE `{maria_name}`; {}", mariadb_workload(step)))
                .unwrap();
            step += 1;
            next_change = Instant::now() + Duration::from_millis(1500);
        }
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            println!(
                "{}",
                describe(message.topic(), message.key(), message.payload())
            );
        }
    }
    println!("\n== stopping the connectors (each commits what is in flight)…");
    for name in ["inventory-connector", "mariadb-connector"] {
        let mut response = http
            .get(format!("{api}/connectors/{name}/status"))
            .call()
            .unwrap();
        println!(
            "   {name}: {}",
            response.body_mut().read_to_string().unwrap_or_default()
        );
    }
    node_for_shutdown.shutdown();
    let _ = std::fs::remove_dir_all(&state);
    println!("== stopped cleanly");
}

/// The name and task list of a ConnectorInfo body (or the error message).
fn summarize(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) if v.get("message").is_some() => v["message"].to_string(),
        Ok(v) => format!("name={} tasks={}", v["name"], v["tasks"]),
        Err(_) => body.to_owned(),
    }
}

/// The change applied at step `n`: new customers, products and orders, a price update, and
/// now and then a delete.
fn workload(n: u32) -> String {
    match n % 4 {
        0 => format!(
            "INSERT INTO inventory.customers (first_name, last_name, email) \
             VALUES ('Customer', '{n}', 'c{n}@example.com');
             INSERT INTO inventory.products (name, description, weight) \
             VALUES ('product {n}', 'made in step {n}', {}.250);",
            n + 1
        ),
        1 => "INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) \
              SELECT current_date, max(c.id), 2, max(p.id) FROM inventory.customers c, inventory.products p;"
            .to_owned(),
        2 => "UPDATE inventory.products SET weight = weight + 1 \
              WHERE id = (SELECT max(id) FROM inventory.products);"
            .to_owned(),
        _ => "DELETE FROM inventory.orders WHERE id = (SELECT min(id) FROM inventory.orders);"
            .to_owned(),
    }
}

/// [`workload`] in MariaDB's dialect (a statement may not read the table it changes).
fn mariadb_workload(n: u32) -> String {
    match n % 4 {
        2 => "UPDATE products SET weight = weight + 1 ORDER BY id DESC LIMIT 1;".to_owned(),
        3 => "DELETE FROM orders ORDER BY id LIMIT 1;".to_owned(),
        _ => workload(n).replace("inventory.", ""),
    }
}

fn wait_for_slot(postgres: &Postgres, dbname: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let active = postgres
            .psql(
                dbname,
                "SELECT count(*) FROM pg_replication_slots WHERE active",
            )
            .unwrap_or_default();
        if active.trim() != "0" {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the connector did not start streaming within 60 s");
}

/// One line per record: topic, op, key and the row after (or before, for deletes).
fn describe(topic: &str, key: Option<&[u8]>, value: Option<&[u8]>) -> String {
    let json = |b: Option<&[u8]>| b.and_then(|b| serde_json::from_slice::<Value>(b).ok());
    let key = json(key).map_or_else(|| "null".to_owned(), |k| k.to_string());
    let Some(value) = json(value) else {
        return format!("{topic:<32} tombstone  key={key}");
    };
    let op = value["op"].as_str().unwrap_or("?");
    let (label, row) = match op {
        "c" => ("create", &value["after"]),
        "u" => ("update", &value["after"]),
        "d" => ("delete", &value["before"]),
        "r" => ("read  ", &value["after"]),
        _ => ("other ", &value["after"]),
    };
    format!("{topic:<32} {label}     key={key} row={row}")
}
