//! Debezium's Kafka signal channel: signals as messages on a topic, for databases the
//! connector must not (or cannot) write to.
//!
//! The channel's position — the next offset to read — travels in the connector's offset,
//! committed in the same Kafka transaction as the records the signal led to. A signal
//! applied before a crash but not committed is read again after it; one committed is never
//! applied twice. The topic must have one partition (Debezium's requirement too): signals
//! are ordered.

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{Map, Value};
use tributary_snapshot::Signal;

use super::SinkError;
use crate::config::KafkaSignalConfig;

/// The offset key holding the channel's position.
const OFFSET_KEY: &str = "tributary_signal_offset";

/// Messages read per check, so a burst of signals cannot stall the stream.
const MAX_PER_CHECK: usize = 100;

/// A consumer of the signal topic's partition 0.
pub struct KafkaSignalChannel {
    consumer: BaseConsumer,
    topic: String,
    /// Only messages with this key are signals for this connector (`topic.prefix`).
    key: String,
    /// The next offset to read.
    next: i64,
    interval: Duration,
    checked: Instant,
    /// Whether "no such topic" was already logged.
    reported_missing: bool,
}

impl KafkaSignalChannel {
    /// Opens the channel at the position stored in `stored` (the connector's offset), or at
    /// the topic's beginning when none is stored.
    pub fn open(
        config: &KafkaSignalConfig,
        topic_prefix: &str,
        stored: Option<&Map<String, Value>>,
    ) -> Result<Self, SinkError> {
        let mut client = ClientConfig::new();
        client
            .set("bootstrap.servers", &config.bootstrap_servers)
            .set("group.id", &config.group_id)
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed");
        for (key, value) in &config.consumer_overrides {
            client.set(key, value);
        }
        let consumer: BaseConsumer = client.create().map_err(|e| SinkError::Unavailable {
            action: "create the signal topic consumer",
            detail: e.to_string(),
        })?;
        let next = stored
            .and_then(|m| m.get(OFFSET_KEY))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(&config.topic, 0, Offset::Offset(next))
            .and_then(|()| consumer.assign(&assignment))
            .map_err(|e| SinkError::Unavailable {
                action: "assign the signal topic",
                detail: e.to_string(),
            })?;
        tracing::info!(topic = %config.topic, offset = next, "reading signals from Kafka");
        Ok(Self {
            consumer,
            topic: config.topic.clone(),
            key: topic_prefix.to_owned(),
            next,
            interval: config.poll_interval,
            checked: Instant::now(),
            reported_missing: false,
        })
    }

    /// The signals that arrived since the last check, when a check is due; never blocks.
    /// A message with another key, or one that is not a signal, is skipped (and logged):
    /// a bad signal must not stop the stream.
    pub fn due_signals(&mut self) -> Vec<Signal> {
        if self.checked.elapsed() < self.interval {
            return Vec::new();
        }
        self.checked = Instant::now();
        let mut signals = Vec::new();
        for _ in 0..MAX_PER_CHECK {
            let Some(polled) = self.consumer.poll(Duration::ZERO) else {
                break;
            };
            let message = match polled {
                Ok(message) => message,
                Err(KafkaError::MessageConsumption(
                    RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic,
                )) => {
                    if !self.reported_missing {
                        self.reported_missing = true;
                        tracing::warn!(topic = %self.topic, "the signal topic does not exist (yet); create it with one partition to send signals");
                    }
                    break;
                }
                Err(e) => {
                    tracing::warn!(topic = %self.topic, error = %e, "reading the signal topic failed; retried at the next check");
                    break;
                }
            };
            self.next = message.offset() + 1;
            if message.key() != Some(self.key.as_bytes()) {
                tracing::debug!(
                    offset = message.offset(),
                    "signal for another connector; skipped"
                );
                continue;
            }
            let id = format!("{}@{}", self.topic, message.offset());
            match Signal::from_message(&id, message.payload().unwrap_or_default()) {
                Ok(signal) => signals.push(signal),
                Err(e) => tracing::warn!(error = %e, "signal ignored"),
            }
        }
        signals
    }

    /// Writes the channel's position into the connector's offset.
    pub fn write_into(&self, offset: &mut Map<String, Value>) {
        offset.insert(OFFSET_KEY.into(), self.next.into());
    }
}
