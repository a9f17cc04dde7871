//! `make demo`: a local PostgreSQL, MariaDB and Kafka (started by `tributary-testcontainers`),
//! a small inventory schema in each database, one Tributary connector per database with
//! Debezium's properties, a stream of inserts, updates and deletes, and the change events as
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
use serde_json::Value;
use tributary::config::{ConnectorConfig, Properties};
use tributary::pipeline::run_connector;
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
";

/// The same schema in MariaDB's dialect.
const MARIADB_SCHEMA: &str = "
CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(255) NOT NULL,
                        last_name VARCHAR(255) NOT NULL, email VARCHAR(255) UNIQUE NOT NULL);
CREATE TABLE products (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL,
                       description VARCHAR(512), weight DECIMAL(8,3));
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, order_date DATE NOT NULL,
                     purchaser INT NOT NULL, quantity INT NOT NULL, product_id INT NOT NULL);
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

    let properties: Properties = [
        ("name", "inventory-connector"),
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector",
        ),
        ("database.hostname", &db.host),
        ("database.port", &db.port.to_string()),
        ("database.user", &db.user),
        ("database.password", &db.password),
        ("database.dbname", &db.dbname),
        ("topic.prefix", "dbserver1"),
        ("schema.include.list", "inventory"),
        ("value.converter.schemas.enable", "false"),
        ("key.converter.schemas.enable", "false"),
        ("bootstrap.servers", &kafka.bootstrap_servers()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = ConnectorConfig::from_properties(properties).unwrap();
    let maria_port = maria_db.port.to_string();
    let bootstrap = kafka.bootstrap_servers();
    let maria_properties: Properties = [
        ("name", "mariadb-connector"),
        (
            "connector.class",
            "io.debezium.connector.mariadb.MariaDbConnector",
        ),
        ("database.hostname", maria_db.host.as_str()),
        ("database.port", maria_port.as_str()),
        ("database.user", maria_db.user.as_str()),
        ("database.password", maria_db.password.as_str()),
        ("database.server.id", "184054"),
        ("topic.prefix", "dbserver2"),
        ("database.include.list", maria_name.as_str()),
        (
            "schema.history.internal.kafka.topic",
            "schema-changes.inventory",
        ),
        ("value.converter.schemas.enable", "false"),
        ("key.converter.schemas.enable", "false"),
        ("bootstrap.servers", bootstrap.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let maria_config = ConnectorConfig::from_properties(maria_properties).unwrap();
    println!("== connectors 'inventory-connector' (PostgreSQL) and 'mariadb-connector' (MariaDB)");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::Relaxed);
            }
        });
    }
    let engines = [config, maria_config].map(|config| {
        let stop = Arc::clone(&stop);
        let handle = runtime.handle().clone();
        std::thread::spawn(move || run_connector(&config, &handle, &stop, &Default::default()))
    });
    wait_for_slot(&postgres, &db.dbname);
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
    stop.store(true, Ordering::Relaxed);
    for engine in engines {
        match engine.join().unwrap() {
            Ok(()) => println!("\n== connector stopped cleanly"),
            Err(err) => println!("\n== connector stopped with an error: {err}"),
        }
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
