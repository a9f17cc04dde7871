//! The fault controls later recovery tests rely on: kill, start again in place, restart,
//! pause and resume.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio_postgres::NoTls;
use tributary_testcontainers::{Kafka, MariaDb, Postgres, port_is_open, unique_name};

#[tokio::test]
async fn postgres_kill_start_again_keeps_port_and_data_and_pause_freezes_it() {
    let mut pg = Postgres::start().unwrap();
    let port = pg.port();
    pg.psql(
        "postgres",
        "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)",
    )
    .unwrap();

    pg.kill();
    assert!(!pg.is_running());
    assert!(!port_is_open(port));
    pg.start_again().unwrap();
    assert_eq!(pg.port(), port);
    assert_eq!(
        pg.psql("postgres", "SELECT v FROM kept").unwrap().trim(),
        "42"
    );

    pg.restart().unwrap();
    assert_eq!(
        pg.psql("postgres", "SELECT v FROM kept").unwrap().trim(),
        "42"
    );

    // A paused server accepts the TCP connection (the kernel does) but answers nothing.
    let config = pg.superuser_config().connection_string();
    pg.pause().unwrap();
    let attempt = tokio::time::timeout(
        Duration::from_secs(1),
        tokio_postgres::connect(&config, NoTls),
    );
    assert!(attempt.await.is_err(), "a paused server must not answer");
    pg.resume().unwrap();
    let (client, connection) = tokio_postgres::connect(&config, NoTls).await.unwrap();
    tokio::spawn(connection);
    let v: i32 = client
        .query_one("SELECT v FROM kept", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 42);
}

#[test]
fn mariadb_kill_and_start_again_keeps_port_and_data() {
    let mut db = MariaDb::start().unwrap();
    let port = db.port();
    db.sql("CREATE DATABASE k; CREATE TABLE k.kept (v INT); INSERT INTO k.kept VALUES (7)")
        .unwrap();
    db.kill();
    assert!(!port_is_open(port));
    db.start_again().unwrap();
    assert_eq!(db.port(), port);
    assert_eq!(db.sql("SELECT v FROM k.kept").unwrap().trim(), "7");
}

#[test]
fn kafka_restart_in_place_keeps_port_and_records_and_drop_closes_the_port() {
    let mut kafka = Kafka::start().unwrap();
    let port = kafka.port();
    let topic = unique_name("kept");
    let timeout = Duration::from_secs(30);

    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .create()
        .unwrap();
    producer
        .send(BaseRecord::to(&topic).key("k").payload("before restart"))
        .unwrap();
    producer.flush(timeout).unwrap();
    drop(producer);

    kafka.restart().unwrap();
    assert_eq!(kafka.port(), port);

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .set("group.id", unique_name("g"))
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(&topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let deadline = std::time::Instant::now() + timeout;
    let payload = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "record written before the restart is gone"
        );
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            break message.unwrap().payload().map(<[u8]>::to_vec);
        }
    };
    assert_eq!(payload.as_deref(), Some(&b"before restart"[..]));
    drop(consumer);

    drop(kafka);
    assert!(
        !port_is_open(port),
        "dropped broker still listens on {port}"
    );
}
