//! The harness's Kafka runs transactions on one node: a read_committed consumer sees the
//! committed records and none of the aborted ones.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Message, Offset, TopicPartitionList};
use tributary_testcontainers::{Kafka, unique_name};

const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn read_committed_consumer_sees_committed_records_only() {
    let kafka = Kafka::shared().expect("kafka starts");
    let topic = unique_name("tx");

    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .create()
        .unwrap();
    let results = admin
        .create_topics(
            &[NewTopic::new(&topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(TIMEOUT)),
        )
        .await
        .unwrap();
    for result in results {
        result.unwrap();
    }

    // Transaction calls block: run them off the async runtime.
    let bootstrap = kafka.bootstrap_servers();
    let producer_topic = topic.clone();
    tokio::task::spawn_blocking(move || {
        let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("transactional.id", unique_name("txid"))
            .set("enable.idempotence", "true")
            .create()
            .unwrap();
        producer.init_transactions(TIMEOUT).unwrap();

        producer.begin_transaction().unwrap();
        for value in ["committed-1", "committed-2", "committed-3"] {
            producer
                .send(BaseRecord::to(&producer_topic).key("k").payload(value))
                .unwrap();
        }
        producer.commit_transaction(TIMEOUT).unwrap();

        producer.begin_transaction().unwrap();
        for value in ["aborted-1", "aborted-2"] {
            producer
                .send(BaseRecord::to(&producer_topic).key("k").payload(value))
                .unwrap();
        }
        producer.flush(TIMEOUT).unwrap();
        producer.abort_transaction(TIMEOUT).unwrap();
    })
    .await
    .unwrap();

    let bootstrap = kafka.bootstrap_servers();
    let seen = tokio::task::spawn_blocking(move || read_to_end(&bootstrap, &topic))
        .await
        .unwrap();
    assert_eq!(seen, vec!["committed-1", "committed-2", "committed-3"]);
}

/// Reads partition 0 from the start until the consumer's position reaches the high
/// watermark (which counts aborted records and transaction markers too).
fn read_to_end(bootstrap: &str, topic: &str) -> Vec<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", unique_name("group"))
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let (_, high) = consumer.fetch_watermarks(topic, 0, TIMEOUT).unwrap();
    assert_eq!(high, 7, "3 committed + marker + 2 aborted + marker");

    let deadline = Instant::now() + TIMEOUT;
    let mut seen = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "timed out reading {topic}; seen so far: {seen:?}"
        );
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            let message = message.unwrap();
            seen.push(String::from_utf8(message.payload().unwrap().to_vec()).unwrap());
        }
        let position = consumer.position().unwrap();
        let offset = position.find_partition(topic, 0).map(|p| p.offset());
        if matches!(offset, Some(Offset::Offset(o)) if o >= high) {
            return seen;
        }
    }
}
