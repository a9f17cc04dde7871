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
//! - [`json`]: the `JsonConverter`-compatible serialiser; [`avro`]: Connect schemas rendered
//!   as Avro schemas the way Confluent's `AvroConverter` does, and the Avro binary encoder
//!   with the Confluent wire-format frame (the registry lookup itself is I/O, in the engine).
//! - [`table`] and [`options`]: what a reader knows about a table and the connector
//!   properties that shape events; [`mapping`] turns them into field schemas and per-column
//!   converters (Debezium's type mapping); [`event`] lays out change records (envelope,
//!   tombstones, key changes, truncates, messages, heartbeats, transaction boundaries) with
//!   the [`source`] block.
//!
//! Status: the value, schema, JSON, mapping, event and Avro layers exist.

pub mod avro;
pub mod columns;
pub mod datum;
pub mod decimal;
pub mod event;
pub mod json;
pub mod logical;
pub mod mapping;
pub mod options;
pub mod schema;
pub mod source;
pub mod table;
mod temporal;
pub mod transform;
pub mod value;

pub use avro::{
    AvroError, AvroSchema, AvroSchemaCache, AvroSchemaError, AvroWritten, render_avro_schema,
    write_framed,
};
pub use datum::{Datum, Seq};
pub use decimal::Decimal;
pub use event::{
    ChangeRecord, EventBuilder, EventError, Header, LogicalMessage, RowChange, TableSchema,
    TransactionBlock,
};
pub use json::{JsonConverter, JsonConverterConfig, JsonError, Written};
pub use options::{EnvelopeOptions, Operation, OptionsError};
pub use schema::{Field, Schema, SchemaBuilder, SchemaError, SchemaRef, SchemaType};
pub use source::{BinlogSource, EpochNanos, PostgresSource, SnapshotMarker, SourcePosition};
pub use table::{ColumnDescription, ConnectorKind, TableDescription};
pub use value::{Extended, Numeric, Value};
