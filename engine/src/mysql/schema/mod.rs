//! The MySQL/MariaDB schema history: the in-memory model of the captured databases, the DDL
//! parser that keeps it current from the binlog's QUERY events, and the durable history of
//! applied DDL that rebuilds it after a restart.
//!
//! # Flow
//! ```text
//! QUERY event (schema, statement) ─► SchemaHistory::apply_ddl ─► parse ─► apply to a copy
//!        ─► HistoryRecord appended to the SchemaHistoryStore (durable) ─► model swapped in
//! restart at position P ─► SchemaHistory::recover(store, P) ─► same model as at P
//! ```
//! [`SchemaModel::table_description`] gives the envelope its [`TableDescription`] for each
//! table.
//!
//! [`TableDescription`]: tributary_envelope::table::TableDescription

mod apply;
mod ddl;
mod error;
mod history;
mod lexer;
mod model;
mod store;

pub use apply::TableChangeKind;
pub use error::{ApplyError, ParseError, SchemaError};
pub use history::{
    BinlogPosition, CaptureFilter, DdlOutcome, HistoryColumn, HistoryOptions, HistoryRecord,
    HistoryTable, HistoryTableChange, RecordSource, SchemaHistory,
};
pub use model::{Column, ColumnType, Database, DefaultValue, SchemaModel, Table, TableId};
pub use store::{FileSchemaHistoryStore, MemorySchemaHistoryStore, SchemaHistoryStore};

#[cfg(test)]
mod tests;
