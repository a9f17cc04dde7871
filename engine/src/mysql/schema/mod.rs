//! The MySQL/MariaDB schema history: the in-memory model of the captured databases, the DDL
//! parser that keeps it current from the binlog's QUERY events, and the durable history of
//! applied DDL that rebuilds it after a restart.
//!
//! # Flow
//! ```text
//! QUERY event (schema, statement) ─► SchemaHistory::apply_ddl ─► parse ─► apply to a copy
//!        ─► HistoryRecord appended to the SchemaHistoryStore (durable) ─► model swapped in
//! restart at position P ─► SchemaHistory::recover(store, P) ─► same model as at P
//! first start (empty store) ─► read_server_schema (SHOW CREATE TABLE at the start position)
//!        ─► SchemaHistory::record_snapshot ─► records at that position, like DDL
//! ```
//! Stores: [`FileSchemaHistoryStore`] (one machine) and [`KafkaSchemaHistoryStore`] (a
//! one-partition topic with infinite retention, Debezium's record shape).
//! [`SchemaModel::table_description`] gives the envelope its [`TableDescription`] for each
//! table, and [`SchemaModel::row_converter`] the converter of its binlog rows into typed
//! values; [`SchemaHistory::captured_table`] gives both for the model in force.
//!
//! [`TableDescription`]: tributary_envelope::table::TableDescription

mod apply;
mod capture;
mod ddl;
mod error;
mod history;
mod kafka_store;
mod lexer;
mod model;
mod rows;
mod store;

pub use apply::TableChangeKind;
pub use capture::{
    CapturedStatement, SchemaSnapshot, SnapshotLocking, connect_snapshot_session,
    open_consistent_snapshot, read_server_schema,
};
pub use error::{ApplyError, ParseError, SchemaError};
pub use history::{
    BinlogPosition, CaptureFilter, DdlOutcome, HistoryColumn, HistoryOptions, HistoryRecord,
    HistoryTable, HistoryTableChange, RecordSource, SchemaHistory,
};
pub use kafka_store::{KafkaHistoryConfig, KafkaSchemaHistoryStore};
pub use model::{Column, ColumnType, Database, DefaultValue, SchemaModel, Table, TableId};
pub use rows::CapturedTable;
pub use store::{FileSchemaHistoryStore, MemorySchemaHistoryStore, SchemaHistoryStore};

#[cfg(test)]
mod tests;
