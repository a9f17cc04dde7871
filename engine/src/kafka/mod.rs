//! The Kafka side: the transactional sink and the offsets it stores with every batch.

mod error;
mod offsets;
mod signal_sender;
mod signals;
mod sink;

pub use error::SinkError;
pub use offsets::{OffsetKey, read_offset};
pub use signal_sender::{SendSignalError, SentSignal, send_signal};
pub use signals::KafkaSignalChannel;
pub use sink::{KafkaSink, OutRecord, SinkConfig};
