//! `make demo`: a local PostgreSQL and Kafka (started by `tributary-testcontainers`), a small
//! inventory schema, one Tributary connector with Debezium's properties, a stream of
//! inserts, updates and deletes, and the change events as a read_committed consumer sees
//! them. Ctrl-C stops everything cleanly (`DEMO_SECONDS=n` stops after n seconds).

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
use tributary_testcontainers::{Kafka, Postgres};

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

fn main() {
    println!("== starting PostgreSQL 15 and Kafka (KRaft) as local processes…");
    let postgres =
        Postgres::start().expect("PostgreSQL starts (run `make demo`, which installs it)");
    let kafka = Kafka::start().expect("Kafka starts (run `make demo`, which installs it)");
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
    println!(
        "== connector 'inventory-connector' (io.debezium.connector.postgresql.PostgresConnector)"
    );

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
    let engine = {
        let stop = Arc::clone(&stop);
        let handle = runtime.handle().clone();
        std::thread::spawn(move || run_connector(&config, &handle, &stop))
    };
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
    consumer.subscribe(&["^dbserver1\\..*"]).unwrap();

    let limit = std::env::var("DEMO_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs);
    let started = Instant::now();
    let mut step = 0u32;
    let mut next_change = Instant::now();
    while !stop.load(Ordering::Relaxed) && limit.is_none_or(|l| started.elapsed() < l) {
        if Instant::now() >= next_change {
            postgres.psql(&db.dbname, &workload(step)).unwrap();
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
    let result = engine.join().unwrap();
    println!(
        "\n== stopped ({})",
        if result.is_ok() {
            "clean"
        } else {
            "with an error"
        }
    );
    if let Err(err) = result {
        println!("   {err}");
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
