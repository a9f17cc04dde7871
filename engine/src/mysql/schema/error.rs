//! Errors of the schema model, the DDL parser and the schema history store.

use std::path::PathBuf;

use super::history::BinlogPosition;

/// Why a DDL statement could not be parsed. Offsets are bytes into the statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The statement is empty (or only comments).
    #[error("empty statement")]
    Empty,
    /// A quoted string or identifier is not closed.
    #[error("unterminated quoted literal starting at byte {at}")]
    UnterminatedLiteral {
        /// Where the literal starts.
        at: usize,
    },
    /// A `/* … */` comment is not closed.
    #[error("unterminated comment starting at byte {at}")]
    UnterminatedComment {
        /// Where the comment starts.
        at: usize,
    },
    /// Something else than what the grammar allows here.
    #[error("expected {expected} at byte {at}, found {found}")]
    Unexpected {
        /// What the parser wanted.
        expected: String,
        /// What it found (`end of statement` at the end).
        found: String,
        /// Where.
        at: usize,
    },
    /// A statement kind this parser does not know; the caller decides whether it matters.
    #[error("unrecognised statement starting with `{start}`")]
    Unrecognised {
        /// The first words of the statement.
        start: String,
    },
}

/// Why a parsed DDL statement could not be applied to the schema model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// An unqualified table name and no default database.
    #[error("table `{table}` is not qualified and the statement has no default database")]
    NoDatabase {
        /// The table name.
        table: String,
    },
    /// ALTER/RENAME of a table the model does not know.
    #[error("table {table} is not in the schema model")]
    UnknownTable {
        /// `db.table`.
        table: String,
    },
    /// A column the statement refers to does not exist.
    #[error("column `{column}` does not exist in table {table}")]
    UnknownColumn {
        /// `db.table`.
        table: String,
        /// The column.
        column: String,
    },
    /// A column or table that would be created already exists.
    #[error("{what} already exists")]
    AlreadyExists {
        /// `column `c` in db.t` or `table db.t`.
        what: String,
    },
}

/// Errors of the schema history: a DDL that cannot be handled, or a store that failed.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A DDL that touches a captured table could not be parsed. Definite: retrying reads the
    /// same statement again.
    #[error(
        "cannot parse DDL at binlog position {position} that may touch a captured table: \
         {source}; statement: {statement}; hint: fix the statement on the server, exclude the \
         table, or set schema.history.internal.skip.unparseable.ddl=true to skip it (the \
         table's schema may then be wrong)"
    )]
    UnparseableDdl {
        /// The statement.
        statement: String,
        /// Its binlog position.
        position: Box<BinlogPosition>,
        /// Why it failed.
        source: ParseError,
    },
    /// A parsed DDL could not be applied to a captured table. Definite.
    #[error(
        "cannot apply DDL at binlog position {position} to the schema model: {source}; \
         statement: {statement}; hint: the schema history does not match the server (was the \
         history store replaced or the table created before capture started?); re-snapshot \
         the schema, or set schema.history.internal.skip.unparseable.ddl=true to skip it"
    )]
    InapplicableDdl {
        /// The statement.
        statement: String,
        /// Its binlog position.
        position: Box<BinlogPosition>,
        /// Why it failed.
        source: ApplyError,
    },
    /// Reading or writing the history store failed. Transient: I/O may succeed on retry.
    #[error("schema history store {path}: {source}; hint: check the file system and permissions")]
    Io {
        /// The store's file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A stored record is not valid JSON of the expected shape (not a torn last line, which
    /// is truncated on open). Definite: the history is damaged.
    #[error(
        "schema history store {path}: record {line} is not a valid history record: {detail}; \
         hint: restore the history file from a backup, or re-snapshot the schema"
    )]
    Corrupt {
        /// The store's file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The JSON error.
        detail: String,
    },
    /// Serialising a record failed (not expected for these plain types).
    #[error("cannot serialise a schema history record: {0}")]
    Serialise(#[from] serde_json::Error),
    /// Talking to Kafka about the history topic failed. Transient: a retry can help.
    #[error(
        "schema history topic '{topic}': {action}: {detail}; hint: check that Kafka is reachable"
    )]
    Kafka {
        /// The history topic.
        topic: String,
        /// What was being done.
        action: &'static str,
        /// The client's error.
        detail: String,
    },
    /// The history topic exists but cannot hold an ordered history. Definite.
    #[error(
        "schema history topic '{topic}' cannot be used: {detail}; hint: the history topic \
         must have exactly one partition — recreate it, or point \
         schema.history.internal.kafka.topic at a new topic and re-snapshot the schema"
    )]
    KafkaTopic {
        /// The history topic.
        topic: String,
        /// What is wrong.
        detail: String,
    },
    /// A record in the history topic is not a valid history record. Definite.
    #[error(
        "schema history topic '{topic}': record at offset {offset} is not a valid history \
         record: {detail}; hint: the topic is shared with another writer or damaged; use a \
         dedicated topic and re-snapshot the schema"
    )]
    KafkaCorrupt {
        /// The history topic.
        topic: String,
        /// The record's offset.
        offset: i64,
        /// The JSON error.
        detail: String,
    },
    /// A captured column's type cannot be converted (a character set Tributary cannot
    /// decode). Definite.
    #[error(
        "cannot capture column `{column}` of {table}: {detail}; hint: convert the column to \
         utf8mb4 (ALTER TABLE … CONVERT TO CHARACTER SET utf8mb4) or exclude the table"
    )]
    UnsupportedColumn {
        /// `db.table`.
        table: String,
        /// The column.
        column: String,
        /// Why.
        detail: String,
    },
    /// Replaying a stored record failed: the history cannot rebuild the model.
    #[error(
        "cannot replay schema history record at binlog position {position}: {detail}; \
         statement: {statement}; hint: the history was written by an incompatible version or \
         is damaged; re-snapshot the schema"
    )]
    Replay {
        /// The record's statement.
        statement: String,
        /// The record's position.
        position: Box<BinlogPosition>,
        /// What failed.
        detail: String,
    },
}

impl SchemaError {
    /// Whether retrying the same operation may succeed (only I/O and Kafka errors).
    pub fn is_transient(&self) -> bool {
        matches!(self, SchemaError::Io { .. } | SchemaError::Kafka { .. })
    }
}
