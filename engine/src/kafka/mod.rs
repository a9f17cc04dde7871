//! The Kafka side: the transactional sink and the offsets it stores with every batch.

mod error;
mod offsets;
mod signals;
mod sink;

pub use error::SinkError;
pub use offsets::{OffsetKey, read_offset};
pub use signals::KafkaSignalChannel;
pub use sink::{KafkaSink, OutRecord, SinkConfig};
