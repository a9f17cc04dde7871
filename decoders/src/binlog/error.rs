//! Errors of the binlog decoder.
//!
//! Every error here is *definite*: the bytes will not decode differently on a retry. Each
//! names where it happened (binlog file and offset of the event's first byte, when known),
//! the event type, and for row data the table and column.

use std::fmt;
use std::sync::Arc;

use super::event_type::EventTypeName;

/// Where an event starts: the binlog file (when the decoder was told it, by
/// [`BinlogDecoder::set_file`](super::BinlogDecoder::set_file) or a ROTATE event) and the
/// byte offset of the event's first byte in that file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Position {
    /// Binlog file name, e.g. `mysql-bin.000001`, if known.
    pub file: Option<Arc<str>>,
    /// Offset of the event in the file (0 when the server did not say: artificial events).
    pub offset: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{file}:{}", self.offset),
            None => write!(f, "offset {} (file unknown)", self.offset),
        }
    }
}

/// What went wrong decoding a binlog event.
#[derive(Debug, thiserror::Error)]
pub enum BinlogError {
    /// The event's bytes do not follow the format of its type (truncated, bad length, bad
    /// field). The binlog is corrupt or the decoder is out of step with the stream.
    #[error(
        "malformed {event_type} event at {at}: {detail}; the binlog is corrupt or the stream was \
         not read from an event boundary"
    )]
    Malformed {
        /// Where the event starts.
        at: Position,
        /// The event's type.
        event_type: EventTypeName,
        /// What was wrong.
        detail: String,
    },

    /// The CRC32 in the event's last four bytes does not match its contents.
    #[error(
        "checksum mismatch in {event_type} event at {at}: stored {stored:#010x}, computed \
         {computed:#010x}; the binlog or the connection corrupted it"
    )]
    ChecksumMismatch {
        /// Where the event starts.
        at: Position,
        /// The event's type.
        event_type: EventTypeName,
        /// The CRC32 found in the event.
        stored: u32,
        /// The CRC32 of the event's bytes.
        computed: u32,
    },

    /// A QUERY event holds a DML statement: the server logs changes as statements, which
    /// carry no row images.
    #[error(
        "statement-based change in schema `{schema}` at {at} ({statement_start}…): Tributary \
         needs row images; set binlog_format=ROW (and binlog_row_image=FULL) on the server"
    )]
    StatementBasedDml {
        /// Where the event starts.
        at: Position,
        /// Default schema of the statement.
        schema: String,
        /// The statement's first characters (never row values beyond them).
        statement_start: String,
    },

    /// A rows event names a table id whose TABLE_MAP event was not seen.
    #[error(
        "{event_type} event at {at} refers to table id {table_id} with no TABLE_MAP before it; \
         start reading at a transaction boundary (a GTID or BEGIN event), not inside a \
         transaction"
    )]
    UnknownTable {
        /// Where the event starts.
        at: Position,
        /// The rows event's type.
        event_type: EventTypeName,
        /// The table id it refers to.
        table_id: u64,
    },

    /// A column value in a row image could not be decoded.
    #[error(transparent)]
    Column(Box<ColumnError>),

    /// The event is valid but the server uses a feature this decoder does not read.
    #[error("unsupported {event_type} event at {at}: {detail}; {hint}")]
    Unsupported {
        /// Where the event starts.
        at: Position,
        /// The event's type.
        event_type: EventTypeName,
        /// What is not supported.
        detail: String,
        /// How to avoid it.
        hint: &'static str,
    },

    /// The server wrote an INCIDENT event: it knows that changes are missing from the binlog
    /// (for example after a failed write to a non-transactional table), so row data was lost.
    #[error(
        "INCIDENT event at {at}: the server reports lost changes ({message}); take a new \
         snapshot of the affected tables"
    )]
    Incident {
        /// Where the event starts.
        at: Position,
        /// The incident message written by the server.
        message: String,
    },
}

impl BinlogError {
    /// Where the failing event starts.
    pub fn position(&self) -> &Position {
        match self {
            Self::Malformed { at, .. }
            | Self::ChecksumMismatch { at, .. }
            | Self::StatementBasedDml { at, .. }
            | Self::UnknownTable { at, .. }
            | Self::Unsupported { at, .. }
            | Self::Incident { at, .. } => at,
            Self::Column(e) => &e.at,
        }
    }
}

/// A column value in a row image that could not be decoded (boxed in
/// [`BinlogError::Column`] to keep the error small).
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot decode column {column} ({column_type}) of `{schema}`.`{table}` (table id \
     {table_id}) in {event_type} event at {at}: {detail}"
)]
pub struct ColumnError {
    /// Where the rows event starts.
    pub at: Position,
    /// The rows event's type.
    pub event_type: EventTypeName,
    /// Table id of the rows event.
    pub table_id: u64,
    /// Schema of the table.
    pub schema: String,
    /// Table name.
    pub table: String,
    /// Zero-based column index in the table.
    pub column: usize,
    /// Binlog column type, as named by [`ColumnType`](super::ColumnType)'s `Debug`.
    pub column_type: String,
    /// What was wrong.
    pub detail: String,
}
