//! Errors of the Kafka sink, classified the way the transactional producer needs them.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// A failure writing to Kafka.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The transaction was aborted (a record failed, or the broker asked for an abort).
    /// Nothing of it is visible to read_committed consumers: resend from the last
    /// committed offset.
    #[error("kafka: transaction aborted: {0}; the batch is resent from the last committed offset")]
    Aborted(String),
    /// Another producer with the same `transactional.id` started: this instance is a zombie
    /// and must stop.
    #[error(
        "kafka: producer fenced: another instance with transactional.id '{transactional_id}' \
         took over; this one stops (hint: two engines run the same connector)"
    )]
    Fenced {
        /// The transactional id.
        transactional_id: String,
    },
    /// The commit's outcome is unknown (timeout). Rebuild the producer — which aborts or
    /// completes the open transaction — and resume from what the offsets topic says.
    #[error(
        "kafka: commit outcome unknown ({0}); the producer is rebuilt and resumes from the offsets topic"
    )]
    CommitUnknown(String),
    /// A fatal producer error other than fencing.
    #[error("kafka: fatal producer error: {0}")]
    Fatal(String),
    /// Could not connect, create topics or read offsets; a retry can help.
    #[error("kafka: {action}: {detail}")]
    Unavailable {
        /// What was being done.
        action: &'static str,
        /// The client's error.
        detail: String,
    },
    /// A stored offset could not be read back.
    #[error("kafka: offset record in '{topic}' is not valid JSON: {detail}")]
    CorruptOffset {
        /// The offsets topic.
        topic: String,
        /// The parse error.
        detail: String,
    },
}

impl SinkError {
    /// Whether the pipeline can carry on (after rewinding or rebuilding the producer).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SinkError::Aborted(_) | SinkError::CommitUnknown(_) | SinkError::Unavailable { .. }
        )
    }

    /// Classifies a transactional call's error.
    pub(crate) fn from_transaction(err: &KafkaError, transactional_id: &str) -> Self {
        let code = err.rdkafka_error_code();
        if matches!(
            code,
            Some(
                RDKafkaErrorCode::Fenced
                    | RDKafkaErrorCode::ProducerFenced
                    | RDKafkaErrorCode::InvalidProducerEpoch
            )
        ) {
            return SinkError::Fenced {
                transactional_id: transactional_id.to_owned(),
            };
        }
        match err {
            KafkaError::Transaction(inner) if inner.is_fatal() => SinkError::Fatal(err.to_string()),
            KafkaError::Transaction(inner) if inner.txn_requires_abort() => {
                SinkError::Aborted(err.to_string())
            }
            _ if matches!(code, Some(RDKafkaErrorCode::OperationTimedOut)) => {
                SinkError::CommitUnknown(err.to_string())
            }
            _ => SinkError::Aborted(err.to_string()),
        }
    }
}
