//! Source offsets in Kafka Connect's offsets-topic format, so Tributary and Kafka Connect
//! tools read each other's offsets.
//!
//! Key: compact JSON `["<connector name>",{"server":"<topic.prefix>"}]` — Connect looks
//! offsets up by these exact bytes. Value: a compact JSON object in Debezium's offset shape
//! for the connector (`../shared/reference/debezium-compat.md` §6); a null value deletes the
//! offset. Both are written as JsonConverter with `schemas.enable=false` writes them.

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::{Map, Value};

use super::error::SinkError;

/// Which offset a record belongs to: the connector and its source partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetKey {
    /// The connector's name.
    pub connector: String,
    /// `topic.prefix` (Debezium's source partition `{"server": …}`).
    pub server: String,
}

impl OffsetKey {
    /// The record key's exact bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut partition = Map::new();
        partition.insert("server".into(), Value::String(self.server.clone()));
        let key = Value::Array(vec![
            Value::String(self.connector.clone()),
            Value::Object(partition),
        ]);
        // serde_json writes compact JSON with the map's insertion order (one key here).
        key.to_string().into_bytes()
    }
}

/// Reads the offsets topic with read_committed to its end and returns the last value stored
/// under `key` (`None` when there is none, or the last one deleted it).
pub fn read_offset(
    bootstrap_servers: &str,
    topic: &str,
    key: &OffsetKey,
    timeout: Duration,
) -> Result<Option<Map<String, Value>>, SinkError> {
    let unavailable = |action: &'static str| {
        move |e: rdkafka::error::KafkaError| SinkError::Unavailable {
            action,
            detail: e.to_string(),
        }
    };
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("group.id", "tributary-offset-reader")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .map_err(unavailable("create offsets reader"))?;
    let metadata = consumer
        .fetch_metadata(Some(topic), timeout)
        .map_err(unavailable("read offsets topic metadata"))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Ok(None);
    }
    let mut assignment = TopicPartitionList::new();
    let mut ends = Vec::new();
    for &partition in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, timeout)
            .map_err(unavailable("read offsets topic watermarks"))?;
        if high > low {
            assignment
                .add_partition_offset(topic, partition, Offset::Beginning)
                .map_err(unavailable("assign offsets topic"))?;
            ends.push((partition, high));
        }
    }
    if ends.is_empty() {
        return Ok(None);
    }
    consumer
        .assign(&assignment)
        .map_err(unavailable("assign offsets topic"))?;
    let wanted = key.to_bytes();
    let mut latest: Option<Option<Vec<u8>>> = None;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let positions = consumer
            .position()
            .map_err(unavailable("read offsets position"))?;
        let done = ends.iter().all(|(partition, high)| {
            matches!(positions.find_partition(topic, *partition).map(|p| p.offset()),
                Some(Offset::Offset(o)) if o >= *high)
        });
        if done {
            break;
        }
        if std::time::Instant::now() >= deadline {
            return Err(SinkError::Unavailable {
                action: "read offsets topic to its end",
                detail: format!("not done after {timeout:?}"),
            });
        }
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.map_err(unavailable("read offsets topic"))?;
            if message.key() == Some(wanted.as_slice()) {
                latest = Some(message.payload().map(<[u8]>::to_vec));
            }
        }
    }
    match latest.flatten() {
        None => Ok(None),
        Some(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            Ok(other) => Err(SinkError::CorruptOffset {
                topic: topic.to_owned(),
                detail: format!("expected a JSON object, found {other}"),
            }),
            Err(e) => Err(SinkError::CorruptOffset {
                topic: topic.to_owned(),
                detail: e.to_string(),
            }),
        },
    }
}

/// Writes (`Some`) or deletes (`None`, a tombstone) the offset stored under `key`, outside
/// any transaction; for the REST offsets endpoints, which require the connector to be
/// stopped so that no transactional writer races this one. Returns once Kafka has it.
pub async fn write_offset(
    bootstrap_servers: &str,
    topic: &str,
    key: &OffsetKey,
    value: Option<&Map<String, Value>>,
    timeout: Duration,
) -> Result<(), SinkError> {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .set("enable.idempotence", "true")
        .set("message.timeout.ms", timeout.as_millis().to_string())
        .create()
        .map_err(|e| SinkError::Unavailable {
            action: "create offsets writer",
            detail: e.to_string(),
        })?;
    let key_bytes = key.to_bytes();
    let payload = value.map(|v| Value::Object(v.clone()).to_string());
    let mut record: FutureRecord<'_, Vec<u8>, String> = FutureRecord::to(topic).key(&key_bytes);
    if let Some(payload) = &payload {
        record = record.payload(payload);
    }
    producer
        .send(record, timeout)
        .await
        .map_err(|(e, _)| SinkError::Unavailable {
            action: "write offset",
            detail: e.to_string(),
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_bytes_match_kafka_connect() {
        let key = OffsetKey {
            connector: "inventory-connector".into(),
            server: "dbserver1".into(),
        };
        assert_eq!(
            key.to_bytes(),
            br#"["inventory-connector",{"server":"dbserver1"}]"#
        );
        let odd = OffsetKey {
            connector: "a\"b".into(),
            server: "é".into(),
        };
        assert_eq!(
            String::from_utf8(odd.to_bytes()).unwrap(),
            r#"["a\"b",{"server":"é"}]"#
        );
    }
}
