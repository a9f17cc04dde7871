//! The Kafka Connect data model and Debezium-compatible change events.
//!
//! This crate turns typed row changes into the records a Debezium consumer expects: the
//! key and value envelope (`before`, `after`, `source`, `transaction`, `op`, `ts_*`), with
//! Debezium's type mapping, serialised by the JSON (Kafka Connect `JsonConverter` layout) and
//! Avro (Confluent wire format) converters. It does no I/O, so every format decision can be
//! tested on values alone.
//!
//! # Layers
//! - [`value`]: the typed column values both log readers produce ([`value::Value`]), with
//!   [`decimal`] for exact unbounded decimals.
//! - [`schema`]: Connect schemas, built once per table schema version and shared
//!   ([`schema::SchemaRef`]); [`logical`] holds the Connect logical and Debezium semantic
//!   schema constructors.
//! - [`datum`]: Connect values ([`datum::Datum`]), borrowed so an event is laid out without
//!   copying row data.
//! - [`json`]: the `JsonConverter`-compatible serialiser.
//!
//! Status: the value, schema and JSON layers exist; the envelope builder, type mapping and
//! Avro converter come next.

pub mod datum;
pub mod decimal;
pub mod json;
pub mod logical;
pub mod schema;
pub mod value;

pub use datum::{Datum, Seq};
pub use decimal::Decimal;
pub use json::{JsonConverter, JsonConverterConfig, JsonError, Written};
pub use schema::{Field, Schema, SchemaBuilder, SchemaError, SchemaRef, SchemaType};
pub use value::{Extended, Numeric, Value};
