//! Tributary's engine: log-reader connections, the pipeline, the Kafka transactional sink,
//! offset and schema-history stores, and the runtime. The `tributary` binary is a thin
//! front over this library.

pub mod config;
pub mod failpoint;
pub mod kafka;
pub mod metrics_http;
pub mod mysql;
pub mod pipeline;
pub mod postgres;
pub mod registry;
pub mod runtime;
pub mod status;
pub mod stream_metrics;
