//! The Kafka Connect data model and Debezium-compatible change events.
//!
//! This crate turns typed row changes into the records a Debezium consumer expects: the
//! key and value envelope (`before`, `after`, `source`, `transaction`, `op`, `ts_*`), with
//! Debezium's type mapping, serialised by the JSON (Kafka Connect `JsonConverter` layout) and
//! Avro (Confluent wire format) converters. It does no I/O, so every format decision can be
//! tested on values alone.
//!
//! Status: the crate is laid out by the foundation; the model and converters arrive with the
//! change-event issue.
