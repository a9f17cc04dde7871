//! The Kafka side: the transactional sink and the offsets it stores with every batch.

mod error;
mod offsets;
mod signal_sender;
mod signals;
mod sink;

pub use error::SinkError;
pub use offsets::{OffsetKey, read_offset, write_offset};
pub use signal_sender::{SendSignalError, SentSignal, send_signal};
pub use signals::KafkaSignalChannel;
pub use sink::{KafkaSink, OutRecord, SinkConfig};

/// The Kafka cluster's id (`GET /` of the REST runtime shows it, as Connect does), or
/// `None` when the cluster does not answer within `timeout`.
pub fn cluster_id(bootstrap_servers: &str, timeout: std::time::Duration) -> Option<String> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::config::ClientConfig::new()
        .set("bootstrap.servers", bootstrap_servers)
        .create()
        .ok()?;
    consumer.client().fetch_cluster_id(timeout)
}
