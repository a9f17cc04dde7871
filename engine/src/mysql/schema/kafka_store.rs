//! The schema history in a Kafka topic (`schema.history.internal=…KafkaSchemaHistory`), for
//! connectors whose history must survive the machine.
//!
//! # Topic
//! One partition — the records are an ordered log, and order across partitions is not
//! defined — and infinite retention (`retention.ms=-1`, `retention.bytes=-1`,
//! `cleanup.policy=delete`): a deleted record is a DDL the model can never replay. The store
//! creates the topic when it is missing (as Debezium's `KafkaSchemaHistory.initializeStorage`
//! does) and refuses a topic with more than one partition. Records are Debezium's document
//! (`../shared/reference/debezium-compat.md` §9) as JSON text, with a null key, all in
//! partition 0: the same bytes Debezium writes, so either can read the other's history.
//!
//! # Durability
//! `append` produces with `acks=all` and idempotence and returns only once the broker
//! acknowledged the record (the [`SchemaHistoryStore`] contract). An error means the record
//! may or may not be stored; a retried append may then store it twice, which is harmless:
//! replaying the same `CREATE`/`ALTER` twice at the same position is rejected by the
//! model (AlreadyExists) — so `open` drops a record identical to the one before it.
//!
//! # Recovery
//! `open` reads the partition from the beginning to the high watermark seen when it starts
//! (read_committed). Records in the topic written by a Debezium connector for another
//! logical server (`source.server`) are kept apart: only those of this store's server are
//! returned.
//!
//! # Blocking
//! Every call blocks (metadata, produce acknowledgement, reads): call it from a blocking
//! thread, never on the async executor. The admin call's future is driven by a small
//! thread-parking executor here, so no Tokio runtime is needed or entered.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};

use super::error::SchemaError;
use super::history::HistoryRecord;
use super::store::SchemaHistoryStore;

/// How to reach the history topic.
#[derive(Debug, Clone)]
pub struct KafkaHistoryConfig {
    /// `schema.history.internal.kafka.bootstrap.servers`.
    pub bootstrap_servers: String,
    /// `schema.history.internal.kafka.topic`.
    pub topic: String,
    /// `topic.prefix`: only records whose `source.server` is this are recovered.
    pub server_name: String,
    /// Replication factor when the store creates the topic (Debezium asks the broker's
    /// default; 1 on a one-node cluster).
    pub replication_factor: i32,
    /// Limit on each blocking call (`schema.history.internal.kafka.recovery.poll.interval.ms`
    /// plays a similar part in Debezium).
    pub timeout: Duration,
}

impl KafkaHistoryConfig {
    /// A configuration with replication factor 1 and a 30 s limit per call.
    pub fn new(bootstrap_servers: &str, topic: &str, server_name: &str) -> Self {
        Self {
            bootstrap_servers: bootstrap_servers.to_owned(),
            topic: topic.to_owned(),
            server_name: server_name.to_owned(),
            replication_factor: 1,
            timeout: Duration::from_secs(30),
        }
    }
}

/// The schema history in a one-partition Kafka topic.
pub struct KafkaSchemaHistoryStore {
    config: KafkaHistoryConfig,
    producer: FutureProducer,
    records: Vec<HistoryRecord>,
}

impl std::fmt::Debug for KafkaSchemaHistoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSchemaHistoryStore")
            .field("topic", &self.config.topic)
            .field("records", &self.records.len())
            .finish()
    }
}

impl KafkaSchemaHistoryStore {
    /// Connects, creates the topic if it is missing, and reads every record of this
    /// server from it.
    pub fn open(config: KafkaHistoryConfig) -> Result<Self, SchemaError> {
        let kafka = |action: &'static str| {
            let topic = config.topic.clone();
            move |e: rdkafka::error::KafkaError| SchemaError::Kafka {
                topic: topic.clone(),
                action,
                detail: e.to_string(),
            }
        };
        ensure_topic(&config)?;
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &config.bootstrap_servers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "0")
            .create()
            .map_err(kafka("create the history producer"))?;
        let records = read_all(&config)?;
        Ok(Self {
            config,
            producer,
            records,
        })
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.config.topic
    }
}

impl SchemaHistoryStore for KafkaSchemaHistoryStore {
    fn append(&mut self, record: &HistoryRecord) -> Result<(), SchemaError> {
        let payload = serde_json::to_vec(record)?;
        let error = |action: &'static str, detail: String| SchemaError::Kafka {
            topic: self.config.topic.clone(),
            action,
            detail,
        };
        let delivery = self
            .producer
            .send_result(
                FutureRecord::<(), [u8]>::to(&self.config.topic)
                    .partition(0)
                    .payload(payload.as_slice()),
            )
            .map_err(|(e, _)| error("produce a history record", e.to_string()))?;
        match block_on(delivery, self.config.timeout) {
            Some(Ok(Ok(_))) => {}
            Some(Ok(Err((e, _)))) => return Err(error("produce a history record", e.to_string())),
            Some(Err(_)) => {
                return Err(error(
                    "produce a history record",
                    "the producer dropped the delivery report".to_owned(),
                ));
            }
            None => {
                return Err(error(
                    "produce a history record",
                    format!("no acknowledgement within {:?}", self.config.timeout),
                ));
            }
        }
        self.records.push(record.clone());
        Ok(())
    }

    fn records(&self) -> Result<Vec<HistoryRecord>, SchemaError> {
        Ok(self.records.clone())
    }
}

/// Creates the topic with one partition and infinite retention if it does not exist, and
/// checks that an existing one has a single partition.
fn ensure_topic(config: &KafkaHistoryConfig) -> Result<(), SchemaError> {
    let kafka = |action: &'static str, detail: String| SchemaError::Kafka {
        topic: config.topic.clone(),
        action,
        detail,
    };
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &config.bootstrap_servers)
        .create()
        .map_err(|e| kafka("create an admin client", e.to_string()))?;
    let topic = NewTopic::new(
        &config.topic,
        1,
        TopicReplication::Fixed(config.replication_factor),
    )
    .set("cleanup.policy", "delete")
    .set("retention.ms", "-1")
    .set("retention.bytes", "-1");
    let options = AdminOptions::new().operation_timeout(Some(config.timeout));
    let results = block_on(admin.create_topics([&topic], &options), config.timeout)
        .ok_or_else(|| {
            kafka(
                "create the history topic",
                format!("no answer within {:?}", config.timeout),
            )
        })?
        .map_err(|e| kafka("create the history topic", e.to_string()))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return Err(kafka("create the history topic", code.to_string())),
        }
    }
    Ok(())
}

/// Reads partition 0 from the beginning to the high watermark, keeping this server's
/// records in order.
fn read_all(config: &KafkaHistoryConfig) -> Result<Vec<HistoryRecord>, SchemaError> {
    let topic = config.topic.as_str();
    let kafka = |action: &'static str| {
        move |e: rdkafka::error::KafkaError| SchemaError::Kafka {
            topic: topic.to_owned(),
            action,
            detail: e.to_string(),
        }
    };
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &config.bootstrap_servers)
        .set("group.id", "tributary-schema-history-reader")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .map_err(kafka("create the history reader"))?;
    let metadata = consumer
        .fetch_metadata(Some(topic), config.timeout)
        .map_err(kafka("read the history topic's metadata"))?;
    let partitions = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .map_or(0, |t| t.partitions().len());
    if partitions != 1 {
        return Err(SchemaError::KafkaTopic {
            topic: topic.to_owned(),
            detail: format!("it has {partitions} partitions"),
        });
    }
    let (low, high) = consumer
        .fetch_watermarks(topic, 0, config.timeout)
        .map_err(kafka("read the history topic's watermarks"))?;
    let mut records: Vec<HistoryRecord> = Vec::new();
    if high <= low {
        return Ok(records);
    }
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, Offset::Beginning)
        .map_err(kafka("assign the history topic"))?;
    consumer
        .assign(&assignment)
        .map_err(kafka("assign the history topic"))?;
    // The limit is on silence, not on the whole read: a long history keeps arriving.
    let mut last_progress = Instant::now();
    loop {
        let position = consumer
            .position()
            .map_err(kafka("read the history topic's position"))?;
        let at = position
            .find_partition(topic, 0)
            .map(|p| p.offset())
            .and_then(|o| match o {
                Offset::Offset(o) => Some(o),
                _ => None,
            });
        if at.is_some_and(|o| o >= high) {
            break;
        }
        if last_progress.elapsed() > config.timeout {
            return Err(SchemaError::Kafka {
                topic: topic.to_owned(),
                action: "read the history topic to its end",
                detail: format!("no progress for {:?} before offset {high}", config.timeout),
            });
        }
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message.map_err(kafka("read the history topic"))?;
        last_progress = Instant::now();
        let Some(payload) = message.payload() else {
            continue;
        };
        let record: HistoryRecord =
            serde_json::from_slice(payload).map_err(|e| SchemaError::KafkaCorrupt {
                topic: topic.to_owned(),
                offset: message.offset(),
                detail: e.to_string(),
            })?;
        if record.source.server != config.server_name {
            continue;
        }
        // An append retried after an unknown outcome may have stored its record twice.
        if records.last() == Some(&record) {
            continue;
        }
        records.push(record);
    }
    Ok(records)
}

/// Wakes the parked thread that polls a future.
struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives `future` on this thread until it completes or `limit` passes (`None`). For the
/// few rdkafka calls that return futures (completed by librdkafka's own threads), without
/// entering a Tokio runtime from what may be a blocking thread of one.
fn block_on<F: Future>(future: F, limit: Duration) -> Option<F::Output> {
    let deadline = Instant::now() + limit;
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return Some(v);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        std::thread::park_timeout(left);
    }
}
