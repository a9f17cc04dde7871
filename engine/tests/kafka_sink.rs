//! The transactional sink against a real Kafka: a batch and its offset commit together or
//! not at all, and a second instance fences the first.

// Integration tests assert by unwrapping, in helpers too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::{Map, Value, json};
use tributary::kafka::{KafkaSink, OffsetKey, OutRecord, SinkConfig, SinkError, read_offset};
use tributary_testcontainers::{Kafka, unique_name};

const TIMEOUT: Duration = Duration::from_secs(30);

fn config(kafka: &Kafka, transactional_id: &str, offsets_topic: &str) -> SinkConfig {
    SinkConfig {
        bootstrap_servers: kafka.bootstrap_servers(),
        transactional_id: transactional_id.to_owned(),
        offsets_topic: offsets_topic.to_owned(),
        offset_key: OffsetKey {
            connector: "inventory-connector".into(),
            server: "dbserver1".into(),
        },
        timeout: TIMEOUT,
        overrides: Vec::new(),
    }
}

fn offset(lsn: u64) -> Map<String, Value> {
    json!({"lsn_proc": lsn, "lsn_commit": lsn, "lsn": lsn, "txId": 7, "ts_usec": 1})
        .as_object()
        .cloned()
        .unwrap()
}

/// Everything a read_committed consumer sees in partition 0 of `topic`.
fn read_committed(kafka: &Kafka, topic: &str) -> Vec<(Option<String>, Option<String>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka.bootstrap_servers())
        .set("group.id", unique_name("reader"))
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let (_, high) = consumer.fetch_watermarks(topic, 0, TIMEOUT).unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8(b.to_vec()).unwrap());
    let deadline = Instant::now() + TIMEOUT;
    let mut seen = Vec::new();
    loop {
        let position = consumer.position().unwrap();
        if matches!(position.find_partition(topic, 0).map(|p| p.offset()), Some(Offset::Offset(o)) if o >= high)
        {
            return seen;
        }
        assert!(Instant::now() < deadline, "timed out reading {topic}");
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.unwrap();
            seen.push((text(message.key()), text(message.payload())));
        }
    }
}

#[test]
fn batch_and_offset_commit_together() {
    let kafka = Kafka::shared().unwrap();
    let (topic, offsets) = (unique_name("data"), unique_name("offsets"));
    let sink = KafkaSink::connect(config(kafka, &unique_name("tx"), &offsets)).unwrap();

    let oldkey: &[(&str, &[u8])] = &[("__debezium.oldkey", b"{\"id\":1}")];
    let records = [
        OutRecord {
            topic: &topic,
            key: Some(b"k1"),
            value: Some(b"v1"),
            headers: &[],
        },
        OutRecord {
            topic: &topic,
            key: Some(b"k1"),
            value: None,
            headers: &[],
        },
        OutRecord {
            topic: &topic,
            key: Some(b"k2"),
            value: Some(b"v2"),
            headers: oldkey,
        },
    ];
    sink.commit(&records, &offset(100)).unwrap();
    sink.commit(&records[..1], &offset(200)).unwrap();

    let seen = read_committed(kafka, &topic);
    let v = |k: &str, v: Option<&str>| (Some(k.to_owned()), v.map(str::to_owned));
    assert_eq!(
        seen,
        vec![
            v("k1", Some("v1")),
            v("k1", None),
            v("k2", Some("v2")),
            v("k1", Some("v1"))
        ]
    );

    let key = OffsetKey {
        connector: "inventory-connector".into(),
        server: "dbserver1".into(),
    };
    let stored = read_offset(&kafka.bootstrap_servers(), &offsets, &key, TIMEOUT).unwrap();
    assert_eq!(
        stored,
        Some(offset(200)),
        "the last offset for the key wins"
    );
    let raw = read_committed(kafka, &offsets);
    assert_eq!(
        raw[0].0.as_deref(),
        Some(r#"["inventory-connector",{"server":"dbserver1"}]"#)
    );

    let other = OffsetKey {
        connector: "other".into(),
        server: "dbserver1".into(),
    };
    assert_eq!(
        read_offset(&kafka.bootstrap_servers(), &offsets, &other, TIMEOUT).unwrap(),
        None
    );
}

#[test]
fn a_failed_batch_leaves_neither_records_nor_offset() {
    let kafka = Kafka::shared().unwrap();
    let (topic, offsets) = (unique_name("data"), unique_name("offsets"));
    let mut small = config(kafka, &unique_name("tx"), &offsets);
    small
        .overrides
        .push(("message.max.bytes".into(), "2000".into()));
    let sink = KafkaSink::connect(small).unwrap();
    sink.commit(
        &[OutRecord {
            topic: &topic,
            key: Some(b"a"),
            value: Some(b"ok"),
            headers: &[],
        }],
        &offset(1),
    )
    .unwrap();

    let big = vec![b'x'; 10_000];
    let batch = [
        OutRecord {
            topic: &topic,
            key: Some(b"b"),
            value: Some(b"before the big one"),
            headers: &[],
        },
        OutRecord {
            topic: &topic,
            key: Some(b"c"),
            value: Some(&big),
            headers: &[],
        },
    ];
    let err = sink.commit(&batch, &offset(2)).unwrap_err();
    assert!(matches!(err, SinkError::Aborted(_)), "{err}");
    assert!(err.to_string().contains(&topic), "names the topic: {err}");

    // The sink is usable again after the abort.
    sink.commit(
        &[OutRecord {
            topic: &topic,
            key: Some(b"d"),
            value: Some(b"after"),
            headers: &[],
        }],
        &offset(3),
    )
    .unwrap();
    let values: Vec<_> = read_committed(kafka, &topic)
        .into_iter()
        .map(|(_, v)| v.unwrap())
        .collect();
    assert_eq!(
        values,
        vec!["ok", "after"],
        "nothing of the failed batch is visible"
    );
    let key = OffsetKey {
        connector: "inventory-connector".into(),
        server: "dbserver1".into(),
    };
    assert_eq!(
        read_offset(&kafka.bootstrap_servers(), &offsets, &key, TIMEOUT).unwrap(),
        Some(offset(3))
    );
}

#[test]
fn a_second_instance_fences_the_first() {
    let kafka = Kafka::shared().unwrap();
    let (topic, offsets, id) = (
        unique_name("data"),
        unique_name("offsets"),
        unique_name("tx"),
    );
    let zombie = KafkaSink::connect(config(kafka, &id, &offsets)).unwrap();
    zombie
        .commit(
            &[OutRecord {
                topic: &topic,
                key: None,
                value: Some(b"1"),
                headers: &[],
            }],
            &offset(1),
        )
        .unwrap();

    let successor = KafkaSink::connect(config(kafka, &id, &offsets)).unwrap();
    let err = zombie
        .commit(
            &[OutRecord {
                topic: &topic,
                key: None,
                value: Some(b"zombie"),
                headers: &[],
            }],
            &offset(2),
        )
        .unwrap_err();
    assert!(
        matches!(err, SinkError::Fenced { .. } | SinkError::Fatal(_)),
        "{err}"
    );
    assert!(!err.is_transient(), "a fenced instance must stop: {err}");
    successor
        .commit(
            &[OutRecord {
                topic: &topic,
                key: None,
                value: Some(b"2"),
                headers: &[],
            }],
            &offset(3),
        )
        .unwrap();

    let values: Vec<_> = read_committed(kafka, &topic)
        .into_iter()
        .map(|(_, v)| v.unwrap())
        .collect();
    assert_eq!(
        values,
        vec!["1", "2"],
        "the zombie's batch never becomes visible"
    );
}
