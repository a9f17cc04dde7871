//! The transactional Kafka sink: every batch of change records and the source offset of its
//! last change go into ONE Kafka transaction.
//!
//! # Durability contract
//! [`KafkaSink::commit`] returns `Ok` only after the transaction committed: from then on
//! every record of the batch, and the offset record, are visible to read_committed
//! consumers, and only then may the source position be acknowledged to the database.
//! Any `Err` means nothing of the batch is visible (aborted), or the outcome is unknown
//! (`CommitUnknown`) and the caller must rebuild the sink and resume from the offsets topic.
//!
//! # Blocking
//! librdkafka's transaction calls block. Every method here blocks; run the sink on a thread
//! of its own (or `spawn_blocking`), never on the async executor.
//!
//! # Partitioning
//! `partitioner=murmur2_random` hashes key bytes as the Java client does, so a topic fed by
//! Debezium and then by Tributary keeps per-key order.

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

use super::error::SinkError;
use super::offsets::OffsetKey;

/// One record to write.
#[derive(Debug, Clone, Copy)]
pub struct OutRecord<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Key bytes (`None` = null key).
    pub key: Option<&'a [u8]>,
    /// Value bytes (`None` = tombstone).
    pub value: Option<&'a [u8]>,
    /// Headers (e.g. `__debezium.oldkey`).
    pub headers: &'a [(&'a str, &'a [u8])],
}

/// How to reach Kafka and name the transactions.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// `bootstrap.servers`.
    pub bootstrap_servers: String,
    /// Stable across restarts: a new instance fences the old one (default
    /// `<connector name>-0`).
    pub transactional_id: String,
    /// The offsets topic (Kafka Connect's `offset.storage.topic`).
    pub offsets_topic: String,
    /// Whose offsets these are.
    pub offset_key: OffsetKey,
    /// Limit on each blocking transactional call.
    pub timeout: Duration,
    /// Further producer properties (`producer.override.*` style), applied last.
    pub overrides: Vec<(String, String)>,
}

/// A transactional producer that commits batches with their offset.
pub struct KafkaSink {
    producer: ThreadedProducer<DefaultProducerContext>,
    config: SinkConfig,
    offset_key: Vec<u8>,
}

impl std::fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink")
            .field("transactional_id", &self.config.transactional_id)
            .finish()
    }
}

impl KafkaSink {
    /// Creates the producer and initialises transactions, which fences any older instance
    /// with the same `transactional.id` and aborts a transaction it left open.
    pub fn connect(config: SinkConfig) -> Result<Self, SinkError> {
        let mut client = ClientConfig::new();
        client
            .set("bootstrap.servers", &config.bootstrap_servers)
            .set("transactional.id", &config.transactional_id)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("partitioner", "murmur2_random")
            .set("linger.ms", "5")
            .set("compression.type", "lz4");
        for (key, value) in &config.overrides {
            client.set(key, value);
        }
        let producer: ThreadedProducer<DefaultProducerContext> =
            client.create().map_err(|e| SinkError::Unavailable {
                action: "create producer",
                detail: e.to_string(),
            })?;
        producer.init_transactions(config.timeout).map_err(
            |e| match SinkError::from_transaction(&e, &config.transactional_id) {
                SinkError::Aborted(detail) | SinkError::CommitUnknown(detail) => {
                    SinkError::Unavailable {
                        action: "initialise transactions",
                        detail,
                    }
                }
                other => other,
            },
        )?;
        let offset_key = config.offset_key.to_bytes();
        Ok(Self {
            producer,
            config,
            offset_key,
        })
    }

    /// Writes `records` and the offset in one transaction and commits it. See the module's
    /// durability contract.
    pub fn commit(
        &self,
        records: &[OutRecord<'_>],
        offset: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), SinkError> {
        let id = &self.config.transactional_id;
        self.producer
            .begin_transaction()
            .map_err(|e| SinkError::from_transaction(&e, id))?;
        let offset_value = serde_json::Value::Object(offset.clone()).to_string();
        let offset_record = OutRecord {
            topic: &self.config.offsets_topic,
            key: Some(&self.offset_key),
            value: Some(offset_value.as_bytes()),
            headers: &[],
        };
        let sent = records
            .iter()
            .chain(std::iter::once(&offset_record))
            .try_for_each(|r| self.send(r));
        if let Err(err) = sent {
            self.abort();
            return Err(err);
        }
        loop {
            match self.producer.commit_transaction(self.config.timeout) {
                Ok(()) => return Ok(()),
                Err(KafkaError::Transaction(e)) if e.is_retriable() && !e.txn_requires_abort() => {
                    continue;
                }
                Err(e) => {
                    let err = SinkError::from_transaction(&e, id);
                    if matches!(err, SinkError::Aborted(_)) {
                        self.abort();
                    }
                    return Err(err);
                }
            }
        }
    }

    fn send(&self, record: &OutRecord<'_>) -> Result<(), SinkError> {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (name, value) in record.headers {
            headers = headers.insert(Header {
                key: name,
                value: Some(*value),
            });
        }
        let mut base: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(record.topic).headers(headers);
        if let Some(key) = record.key {
            base = base.key(key);
        }
        if let Some(value) = record.value {
            base = base.payload(value);
        }
        loop {
            match self.producer.send(base) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                    // The local queue is full: let librdkafka deliver some, then retry. This
                    // is the sink's backpressure.
                    base = returned;
                    let _ = self.producer.flush(Duration::from_millis(100));
                }
                Err((e, _)) => {
                    return Err(SinkError::Aborted(format!(
                        "could not produce to topic '{}': {e}",
                        record.topic
                    )));
                }
            }
        }
    }

    fn abort(&self) {
        // An abort that fails leaves the transaction to be aborted by the next
        // init_transactions (a rebuilt producer); nothing of it becomes visible either way.
        let _ = self.producer.abort_transaction(self.config.timeout);
    }
}
