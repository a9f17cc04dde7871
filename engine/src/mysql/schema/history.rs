//! The schema history: every applied DDL with its binlog position, in Debezium's schema
//! history record shape, and the model rebuilt from it.
//!
//! # Why a history and not just the current schema
//! A row event must be decoded with the table's shape *at its binlog position*. After a
//! restart (or a replay from an older offset) the reader resumes in the middle of the binlog,
//! so it rebuilds the model by replaying the stored DDL records up to the resume position
//! ([`SchemaHistory::recover`]); every later DDL is then read again from the binlog and
//! applied in order, exactly as on the first pass.
//!
//! # What is recorded
//! Every statement that parses to a table or database change (including `TRUNCATE` and index
//! changes, whose `tableChanges` may be empty or unchanged, as Debezium records them).
//! Statements that change no structure (GRANT, CREATE VIEW, …) are not recorded. Records
//! are replayed by parsing their `ddl` again with `databaseName` as the default database.
//!
//! # Unparseable DDL
//! A statement that cannot be parsed or applied is an error when a table it mentions (any
//! identifier or `db.table` pair in it, tried against every known database) is captured;
//! otherwise, or with `schema.history.internal.skip.unparseable.ddl=true`, it is skipped and
//! reported as [`DdlOutcome::Skipped`] for the caller to log as a warning.

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::apply::{Change, TableChangeKind, apply, named_tables};
use super::ddl::{Ddl, mentioned_names, parse};
use super::error::SchemaError;
use super::model::{Column, SchemaModel, Table, TableId};
use super::store::SchemaHistoryStore;

/// A binlog position, as Debezium's MySQL offset map stores it (the `position` of a history
/// record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinlogPosition {
    /// Binlog file name (`mysql-bin.000003`).
    pub file: String,
    /// Offset of the DDL's QUERY event in the file.
    pub pos: u64,
    /// The GTID set as the offset stores it (`gtids`), when the server uses GTIDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtids: Option<String>,
    /// The server that wrote the event (`server_id` of its header).
    pub server_id: u32,
    /// The event's timestamp in seconds (`ts_sec`).
    pub ts_sec: i64,
}

impl BinlogPosition {
    /// Orders positions in the same server's binlog: by file sequence number (the digits
    /// after the last `.`), then offset. File names that carry no number compare as text.
    pub fn cmp_binlog(&self, other: &Self) -> Ordering {
        fn seq(file: &str) -> Option<u64> {
            file.rsplit_once('.').and_then(|(_, n)| n.parse().ok())
        }
        let by_file = match (seq(&self.file), seq(&other.file)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.file.cmp(&other.file),
        };
        by_file.then(self.pos.cmp(&other.pos))
    }
}

impl fmt::Display for BinlogPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.pos)?;
        if let Some(g) = &self.gtids {
            write!(f, " (gtids {g})")?;
        }
        Ok(())
    }
}

/// `source` of a history record: the connector's logical server name (`topic.prefix`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSource {
    /// `topic.prefix`.
    pub server: String,
}

/// One schema history record (Debezium's document, one JSON line in the file store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRecord {
    /// Which connector wrote it.
    pub source: RecordSource,
    /// Where the DDL is in the binlog.
    pub position: BinlogPosition,
    /// When it was applied (the event's timestamp), in milliseconds.
    #[serde(rename = "ts_ms")]
    pub ts_ms: i64,
    /// The QUERY event's default database, or the changed table's when it had none.
    pub database_name: String,
    /// The statement as the binlog carried it.
    pub ddl: String,
    /// The tables it created, altered or dropped.
    pub table_changes: Vec<HistoryTableChange>,
}

/// One entry of `tableChanges`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryTableChange {
    /// CREATE, ALTER or DROP.
    #[serde(rename = "type")]
    pub kind: TableChangeKind,
    /// `"db"."tbl"`.
    pub id: String,
    /// The old id of a renamed table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<String>,
    /// The table after the change (before it, for DROP).
    pub table: HistoryTable,
    /// The table comment.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `table` of a table change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryTable {
    /// The table's default character set.
    pub default_charset_name: Option<String>,
    /// Primary key columns in key order.
    pub primary_key_column_names: Vec<String>,
    /// Columns in table order.
    pub columns: Vec<HistoryColumn>,
    /// Debezium's table attributes; always empty for MySQL.
    #[serde(default)]
    pub attributes: Vec<serde_json::Value>,
}

/// One column of a history table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryColumn {
    /// Column name.
    pub name: String,
    /// `java.sql.Types` code.
    pub jdbc_type: i32,
    /// Native type code (Debezium writes none for MySQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_type: Option<i32>,
    /// `INT UNSIGNED`, `VARCHAR`, …
    pub type_name: String,
    /// Same as `typeName` (Debezium's MySQL parser writes the same text).
    pub type_expression: String,
    /// Character set of a character column.
    pub charset_name: Option<String>,
    /// Length, precision or fractional-second digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// 1-based position.
    pub position: usize,
    /// Whether NULL is allowed.
    pub optional: bool,
    /// AUTO_INCREMENT.
    pub auto_incremented: bool,
    /// Generated column.
    pub generated: bool,
    /// Column comment.
    pub comment: Option<String>,
    /// Whether the DDL declared a default.
    pub has_default_value: bool,
    /// The default without quotes; absent for `DEFAULT NULL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value_expression: Option<String>,
    /// ENUM/SET labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<String>>,
}

impl HistoryColumn {
    fn from_column(c: &Column, position: usize) -> Self {
        let t = &c.data_type;
        let type_name = t.full_name();
        Self {
            name: c.name.clone(),
            jdbc_type: t.jdbc_type(),
            native_type: None,
            type_expression: type_name.clone(),
            type_name,
            charset_name: c.charset.clone(),
            length: t.length,
            scale: t.scale,
            position,
            optional: c.nullable,
            auto_incremented: c.auto_increment,
            generated: c.generated,
            comment: c.comment.clone(),
            has_default_value: c.default.is_some(),
            default_value_expression: c
                .default
                .as_ref()
                .and_then(|d| d.expression())
                .map(str::to_owned),
            enum_values: (!t.values.is_empty()).then(|| t.values.clone()),
        }
    }
}

impl HistoryTable {
    fn from_table(t: &Table) -> Self {
        Self {
            default_charset_name: t.default_charset.clone(),
            primary_key_column_names: t.primary_key.clone(),
            columns: t
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| HistoryColumn::from_column(c, i + 1))
                .collect(),
            attributes: Vec::new(),
        }
    }
}

impl HistoryTableChange {
    fn from_change(c: &Change) -> Self {
        Self {
            kind: c.kind,
            id: c.id.quoted(),
            previous_id: c.previous.as_ref().map(TableId::quoted),
            table: HistoryTable::from_table(&c.table),
            comment: c.table.comment.clone(),
        }
    }
}

/// Decides whether a table is captured (Debezium's include/exclude lists), for the
/// unparseable-DDL check.
pub type CaptureFilter = Arc<dyn Fn(&TableId) -> bool + Send + Sync>;

/// How the history treats DDL.
#[derive(Clone)]
pub struct HistoryOptions {
    /// `topic.prefix`: the `source.server` of every record.
    pub server_name: String,
    /// `schema.history.internal.skip.unparseable.ddl`: skip (and report) a DDL that cannot
    /// be parsed or applied even when it may touch a captured table.
    pub skip_unparseable_ddl: bool,
    /// Which tables are captured.
    pub is_captured: CaptureFilter,
}

impl fmt::Debug for HistoryOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistoryOptions")
            .field("server_name", &self.server_name)
            .field("skip_unparseable_ddl", &self.skip_unparseable_ddl)
            .finish_non_exhaustive()
    }
}

impl HistoryOptions {
    /// Options capturing every table.
    pub fn capture_all(server_name: impl Into<String>) -> Self {
        Self {
            server_name: server_name.into(),
            skip_unparseable_ddl: false,
            is_captured: Arc::new(|_| true),
        }
    }
}

/// What happened to one DDL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DdlOutcome {
    /// Applied and durably recorded.
    Applied(HistoryRecord),
    /// A statement that changes no table structure.
    Ignored,
    /// Not parseable or not applicable, and skipped because it touches no captured table or
    /// `skip.unparseable.ddl` is set. The caller logs `reason` as a warning.
    Skipped {
        /// Why it could not be handled.
        reason: String,
    },
}

/// The schema model and the rules to change it, for one connector.
#[derive(Debug, Clone)]
pub struct SchemaHistory {
    model: SchemaModel,
    options: HistoryOptions,
    /// Stored records after the recovery position, oldest first: the binlog will deliver
    /// their DDL again, and those are applied without being appended a second time.
    replay: VecDeque<HistoryRecord>,
}

impl SchemaHistory {
    /// An empty history (a first start, before the schema snapshot).
    pub fn new(options: HistoryOptions) -> Self {
        Self {
            model: SchemaModel::new(),
            options,
            replay: VecDeque::new(),
        }
    }

    /// The current model.
    pub fn model(&self) -> &SchemaModel {
        &self.model
    }

    /// The envelope description and the row converter of table `id` as the model stands
    /// (the schema in force at the reader's position); `None` for a table the history does
    /// not know.
    pub fn captured_table(
        &self,
        id: &TableId,
        connector: tributary_envelope::table::ConnectorKind,
    ) -> Result<Option<super::rows::CapturedTable>, SchemaError> {
        super::rows::CapturedTable::from_model(&self.model, id, connector)
    }

    /// Applies the DDL of one QUERY event (`default_database` is the event's schema, may be
    /// empty), appends its record to `store`, and only then changes the model: if the store
    /// fails, the model is unchanged and the event can be retried.
    pub fn apply_ddl(
        &mut self,
        store: &mut dyn SchemaHistoryStore,
        default_database: &str,
        statement: &str,
        position: &BinlogPosition,
        ts_ms: i64,
    ) -> Result<DdlOutcome, SchemaError> {
        let default_db = Some(default_database).filter(|d| !d.is_empty());
        let ddl = match parse(statement) {
            Ok(Ddl::Ignored) => return Ok(DdlOutcome::Ignored),
            Ok(ddl) => ddl,
            Err(source) => {
                if self.options.skip_unparseable_ddl
                    || !self.mentions_captured(statement, default_db)
                {
                    return Ok(DdlOutcome::Skipped {
                        reason: format!("cannot parse DDL at {position}: {source}"),
                    });
                }
                return Err(SchemaError::UnparseableDdl {
                    statement: statement.to_owned(),
                    position: Box::new(position.clone()),
                    source,
                });
            }
        };
        let mut next = self.model.clone();
        let changes = match apply(&mut next, &ddl, default_db) {
            Ok(changes) => changes,
            Err(source) => {
                let captured = named_tables(&ddl, default_db)
                    .iter()
                    .any(|id| (self.options.is_captured)(id));
                if self.options.skip_unparseable_ddl || !captured {
                    return Ok(DdlOutcome::Skipped {
                        reason: format!("cannot apply DDL at {position}: {source}"),
                    });
                }
                return Err(SchemaError::InapplicableDdl {
                    statement: statement.to_owned(),
                    position: Box::new(position.clone()),
                    source,
                });
            }
        };
        let database_name = default_db
            .map(str::to_owned)
            .or_else(|| changes.first().map(|c| c.id.database.clone()))
            .or_else(|| match &ddl {
                Ddl::CreateDatabase { name, .. } | Ddl::DropDatabase { name } => Some(name.clone()),
                Ddl::AlterDatabase { name, .. } => name.clone(),
                _ => None,
            })
            .unwrap_or_default();
        let record = HistoryRecord {
            source: RecordSource {
                server: self.options.server_name.clone(),
            },
            position: position.clone(),
            ts_ms,
            database_name,
            ddl: statement.to_owned(),
            table_changes: changes
                .iter()
                .map(HistoryTableChange::from_change)
                .collect(),
        };
        // A DDL read again after a restart from an older position is already stored.
        while self
            .replay
            .front()
            .is_some_and(|r| r.position.cmp_binlog(position) == Ordering::Less)
        {
            self.replay.pop_front();
        }
        let stored = self.replay.front().is_some_and(|r| {
            r.position.cmp_binlog(position) == Ordering::Equal && r.ddl == statement
        });
        if stored {
            self.replay.pop_front();
        } else {
            store.append(&record)?;
        }
        self.model = next;
        Ok(DdlOutcome::Applied(record))
    }

    /// Rebuilds the model from `store`, replaying every record up to and including
    /// `up_to` (all records when `None`), so a restart or a replay from an old position
    /// decodes with the schema the first pass had there. The records after `up_to` are
    /// kept aside: when [`Self::apply_ddl`] meets their DDL again in the binlog (same
    /// position, same statement), it applies it without storing it twice.
    pub fn recover(
        options: HistoryOptions,
        store: &dyn SchemaHistoryStore,
        up_to: Option<&BinlogPosition>,
    ) -> Result<Self, SchemaError> {
        let mut model = SchemaModel::new();
        let mut records = store.records()?.into_iter();
        let mut replay = VecDeque::new();
        for record in records.by_ref() {
            if up_to.is_some_and(|limit| record.position.cmp_binlog(limit) == Ordering::Greater) {
                replay.push_back(record);
                break;
            }
            let default_db = Some(record.database_name.as_str()).filter(|d| !d.is_empty());
            let replay_error = |detail: String| SchemaError::Replay {
                statement: record.ddl.clone(),
                position: Box::new(record.position.clone()),
                detail,
            };
            let ddl = parse(&record.ddl).map_err(|e| replay_error(e.to_string()))?;
            apply(&mut model, &ddl, default_db).map_err(|e| replay_error(e.to_string()))?;
        }
        replay.extend(records);
        Ok(Self {
            model,
            options,
            replay,
        })
    }

    /// The conservative check: does any identifier in `statement`, as a table of the default
    /// database or of any known database (or as `db.table`), name a captured table?
    fn mentions_captured(&self, statement: &str, default_db: Option<&str>) -> bool {
        let filter = &self.options.is_captured;
        let mut databases: Vec<&str> = self.model.databases.keys().map(String::as_str).collect();
        databases.extend(default_db);
        mentioned_names(statement)
            .iter()
            .any(|(db, name)| match db {
                Some(db) => filter(&TableId::new(db.as_str(), name.as_str())),
                None => databases
                    .iter()
                    .any(|db| filter(&TableId::new(*db, name.as_str()))),
            })
    }
}
