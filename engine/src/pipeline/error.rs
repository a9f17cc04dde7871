//! Why a connector stopped, and whether starting it again can help.

use tributary_envelope::EventError;

use super::convert::ConvertError;
use super::postgres::offset::OffsetFormatError;
use crate::config::ConfigError;
use crate::kafka::SinkError;
use crate::postgres::{PgError, PositionError, PreflightError};

/// A connector failure. [`PipelineError::is_transient`] tells the supervisor whether to
/// restart from the offsets topic (with backoff) or to stop with the message.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Kafka failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// PostgreSQL failed.
    #[error("postgresql: {0}")]
    Postgres(#[from] PgError),
    /// A PostgreSQL start-up check failed.
    #[error(transparent)]
    PostgresPreflight(#[from] PreflightError),
    /// The stored PostgreSQL position cannot be resumed here.
    #[error(transparent)]
    Position(#[from] PositionError),
    /// The stored offset is unreadable.
    #[error(transparent)]
    Offset(#[from] OffsetFormatError),
    /// A change could not be turned into an event.
    #[error("{0}")]
    Event(#[from] EventError),
    /// A transform failed on a record (names the transform, topic and field).
    #[error(transparent)]
    Transform(#[from] tributary_envelope::transform::TransformError),
    /// A record could not be converted.
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// Bytes from the database could not be decoded: names the position.
    #[error("cannot decode the change at {position}: {detail}")]
    Decode {
        /// Where in the source log.
        position: String,
        /// The decoder's error.
        detail: String,
    },
    /// The source ended the stream unexpectedly, or a thread could not start.
    #[error("{0}")]
    Stopped(String),
    /// Transient failures lasted longer than the retry policy allows.
    #[error(
        "gave up after {retries} retries over {seconds:.1} s (errors.retry.timeout, errors.max.retries); last error: {last}"
    )]
    GaveUp {
        /// Retries made.
        retries: u64,
        /// How long the failures lasted.
        seconds: f64,
        /// The last failure.
        last: Box<PipelineError>,
    },
    /// MySQL/MariaDB or the schema history failed; `transient` is that error's own verdict
    /// (e.g. a missing privilege is definite).
    #[error("{message}")]
    MySql {
        /// The error, with what was being done.
        message: String,
        /// Whether restarting can help.
        transient: bool,
    },
    /// The stored snapshot progress cannot be read.
    #[error(transparent)]
    SnapshotProgress(#[from] tributary_snapshot::ProgressError),
}

impl PipelineError {
    /// Whether restarting the connector from its stored offset can help.
    pub fn is_transient(&self) -> bool {
        match self {
            PipelineError::Sink(e) => e.is_transient(),
            PipelineError::Postgres(e) => e.is_transient(),
            PipelineError::PostgresPreflight(e) => e.is_transient(),
            PipelineError::Convert(e) => e.is_transient(),
            PipelineError::Stopped(_) => true,
            PipelineError::MySql { transient, .. } => *transient,
            PipelineError::Config(_)
            | PipelineError::GaveUp { .. }
            | PipelineError::Position(_)
            | PipelineError::Offset(_)
            | PipelineError::SnapshotProgress(_)
            | PipelineError::Event(_)
            | PipelineError::Transform(_)
            | PipelineError::Decode { .. } => false,
        }
    }
}
