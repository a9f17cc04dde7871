//! Sends a signal to a connector's Kafka signal topic: the CLI's way to start, pause,
//! resume or stop a snapshot of a running connector without writing to its database.
//!
//! The message is Debezium's Kafka-channel layout (key `topic.prefix`, value
//! `{"type": …, "data": {…}}`), so anything that sends Debezium signals keeps working, and
//! what this sends a Debezium connector would understand too. The signal is parsed with the
//! connector's own parser before it is sent: a malformed one is refused here, with the
//! reason, rather than skipped with a log line inside the connector.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use serde_json::{Value, json};
use tributary_snapshot::{Signal, SignalError};

use crate::config::KafkaSignalConfig;

/// Where a sent signal landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSignal {
    /// The signal topic.
    pub topic: String,
    /// The message's offset in partition 0.
    pub offset: i64,
}

/// Why a signal was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendSignalError {
    /// The signal itself is malformed; fix the command line (a retry cannot help).
    #[error("{0}")]
    Invalid(#[from] SignalError),
    /// Kafka could not be reached or refused the message; a retry can help.
    #[error("kafka: signal topic '{topic}': {action}: {detail}")]
    Kafka {
        /// The signal topic.
        topic: String,
        /// What was being done.
        action: &'static str,
        /// The client's error.
        detail: String,
    },
}

impl SendSignalError {
    /// Whether sending again later can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, SendSignalError::Kafka { .. })
    }
}

/// Validates the signal and appends it to the signal topic, creating the topic (one
/// partition, as the channel requires) when it does not exist yet.
pub async fn send_signal(
    config: &KafkaSignalConfig,
    topic_prefix: &str,
    kind: &str,
    data: Option<&Value>,
    timeout: Duration,
) -> Result<SentSignal, SendSignalError> {
    let value = match data {
        Some(data) => json!({"type": kind, "data": data}),
        None => json!({"type": kind}),
    }
    .to_string();
    Signal::from_message("the command line", value.as_bytes())?;

    let kafka = |action: &'static str, detail: String| SendSignalError::Kafka {
        topic: config.topic.clone(),
        action,
        detail,
    };
    ensure_topic(config, timeout)
        .await
        .map_err(|(action, detail)| kafka(action, detail))?;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &config.bootstrap_servers)
        .set("enable.idempotence", "true")
        .set("message.timeout.ms", timeout.as_millis().to_string())
        .create()
        .map_err(|e| kafka("create a producer", e.to_string()))?;
    let record = FutureRecord::to(&config.topic)
        .partition(0)
        .key(topic_prefix)
        .payload(&value);
    let delivery = producer
        .send(record, timeout)
        .await
        .map_err(|(e, _)| kafka("send the signal", e.to_string()))?;
    Ok(SentSignal {
        topic: config.topic.clone(),
        offset: delivery.offset,
    })
}

async fn ensure_topic(
    config: &KafkaSignalConfig,
    timeout: Duration,
) -> Result<(), (&'static str, String)> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &config.bootstrap_servers)
        .create()
        .map_err(|e| ("create an admin client", e.to_string()))?;
    let topic = NewTopic::new(&config.topic, 1, TopicReplication::Fixed(-1));
    let options = AdminOptions::new().operation_timeout(Some(timeout));
    let results = tokio::time::timeout(timeout, admin.create_topics([&topic], &options))
        .await
        .map_err(|_| ("create the topic", format!("no answer within {timeout:?}")))?
        .map_err(|e| ("create the topic", e.to_string()))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return Err(("create the topic", code.to_string())),
        }
    }
    Ok(())
}
