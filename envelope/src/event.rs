//! Change events: the Kafka records Debezium writes for a row change, a truncate, a
//! PostgreSQL logical decoding message, a heartbeat and transaction boundaries.
//!
//! # Build once, then per row
//! [`EventBuilder::new`] validates nothing further (the [`EnvelopeOptions`] already are) and
//! builds the fixed schemas (`source`, transaction, heartbeat, message) once.
//! [`EventBuilder::table_schema`] builds a table's key, row and envelope schemas and one
//! converter per column, once per table schema version, into an `Arc<TableSchema>`.
//! [`EventBuilder::row_change`] then lays out records as [`Datum`]s that borrow the row's
//! values and the table schema; the JSON converter serialises them.
//!
//! # Debezium behaviour reproduced (see docs/debezium-compat-findings.md)
//! - Envelope field order is `before, after, source, transaction, op, ts_ms, ts_us, ts_ns`,
//!   schema version 2, as real Debezium 2.7 output shows (current `TableSchemaBuilder`
//!   passes the transaction block schema before `SchemaFactory`'s envelope `build()` appends
//!   `op` and the timestamps). `transaction` is always in the schema and null unless
//!   `provide.transaction.metadata=true`.
//! - A delete is followed by a tombstone (same key, null value) when
//!   `tombstones.on.delete=true`.
//! - An update that changes the key becomes a delete carrying header `__debezium.newkey`,
//!   its tombstone (which copies the delete's headers), and a create carrying
//!   `__debezium.oldkey` (`RelationalChangeRecordEmitter.emitUpdateRecord`; the tombstone is
//!   made in `EventDispatcher`'s receiver from the delete record). A delete on a table
//!   without a key still gets a tombstone, with a null key.
//! - Truncates have a null key and are dropped unless `skipped.operations` leaves `t` out.

use std::borrow::Cow;
use std::sync::Arc;

use crate::columns::{ValueRule, apply_to_str};
use crate::datum::Datum;
use crate::json::{JsonConverter, JsonError, Written};
use crate::mapping::{ConvertError, MappingError, ValueConverter, plan_column};
use crate::options::{BinaryHandlingMode, EnvelopeOptions, Operation};
use crate::schema::{SchemaBuilder, SchemaError, SchemaRef, SchemaType};
use crate::source::{
    EpochNanos, PostgresSource, SourceNames, SourcePosition, source_schema, source_value,
};
use crate::table::{ConnectorKind, TableDescription};
use crate::value::Value;

/// Header naming the new key on the delete half of a key change.
pub const NEW_KEY_HEADER: &str = "__debezium.newkey";
/// Header naming the old key on the create half of a key change.
pub const OLD_KEY_HEADER: &str = "__debezium.oldkey";

/// Why an event could not be built; every variant names the table (or event kind).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    /// A column's type could not be mapped.
    #[error("table {table}: {source}")]
    Mapping {
        /// `<namespace>.<table>`.
        table: String,
        /// The mapping failure.
        source: MappingError,
    },
    /// A schema could not be built (a bug or an impossible column default).
    #[error("{what}: {source}")]
    Schema {
        /// Which schema.
        what: String,
        /// The schema failure.
        source: SchemaError,
    },
    /// A value could not be converted.
    #[error("table {table}, column `{column}`: {source}")]
    Convert {
        /// `<namespace>.<table>`.
        table: String,
        /// The column name.
        column: String,
        /// The conversion failure.
        source: ConvertError,
    },
    /// A row image does not have one value per column.
    #[error(
        "table {table}: a row image has {found} values but the table has {expected} columns; the table description is out of date"
    )]
    RowArity {
        /// `<namespace>.<table>`.
        table: String,
        /// Columns in the description.
        expected: usize,
        /// Values in the image.
        found: usize,
    },
    /// An operation arrived without the row image it needs.
    #[error("table {table}: a `{op}` change needs a `{image}` row image")]
    MissingImage {
        /// `<namespace>.<table>`.
        table: String,
        /// The operation code.
        op: &'static str,
        /// `before` or `after`.
        image: &'static str,
    },
    /// A key column (primary key or `message.key.columns`) is not a captured column.
    #[error("table {table}: key column `{column}` is not a captured column of the table")]
    UnknownKeyColumn {
        /// `<namespace>.<table>`.
        table: String,
        /// The missing column.
        column: String,
    },
    /// A column option (`column.mask.with.<N>.chars`, …) cannot apply to the column.
    #[error("table {table}: column `{column}`: {detail}")]
    ColumnOption {
        /// `<namespace>.<table>`.
        table: String,
        /// The column.
        column: String,
        /// Why, and what to do instead.
        detail: String,
    },
    /// The table or position belongs to another connector than the options.
    #[error("{what} is for the {found} connector but the options are for {expected}")]
    ConnectorMismatch {
        /// What disagreed.
        what: &'static str,
        /// The options' connector.
        expected: &'static str,
        /// The other connector.
        found: &'static str,
    },
}

/// A Kafka record header: Connect keeps a schema with each header value.
#[derive(Debug, Clone, PartialEq)]
pub struct Header<'a> {
    /// Header name.
    pub name: &'static str,
    /// The value's schema.
    pub schema: SchemaRef,
    /// The value.
    pub value: Datum<'a>,
}

/// One Kafka record as Connect hands it to the converters: topic, key and value each with
/// its schema (`None` = null schema and null value), and headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord<'a> {
    /// Destination topic.
    pub topic: Cow<'a, str>,
    /// Key schema and value; `None` is a null key.
    pub key: Option<(SchemaRef, Datum<'a>)>,
    /// Value schema and value; `None` is a tombstone.
    pub value: Option<(SchemaRef, Datum<'a>)>,
    /// Headers in order.
    pub headers: Vec<Header<'a>>,
}

impl ChangeRecord<'_> {
    /// Serialises key and value with `converter`, appending to the two buffers.
    pub fn write_json(
        &self,
        converter: &JsonConverter,
        key_out: &mut Vec<u8>,
        value_out: &mut Vec<u8>,
    ) -> Result<(Written, Written), JsonError> {
        let write = |part: &Option<(SchemaRef, Datum<'_>)>, out: &mut Vec<u8>| match part {
            Some((schema, datum)) => converter.write(Some(schema), datum, out),
            None => converter.write(None, &Datum::Null, out),
        };
        Ok((write(&self.key, key_out)?, write(&self.value, value_out)?))
    }

    /// Whether this is a tombstone (null value).
    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }
}

/// The envelope's `transaction` block for one data event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionBlock<'a> {
    /// Transaction id: `<txId>:<LSN>` for PostgreSQL, the GTID or `file=...,pos=...` for
    /// MySQL.
    pub id: &'a str,
    /// Position of this event among all events of the transaction (1-based).
    pub total_order: i64,
    /// Position of this event among the transaction's events for this table (1-based).
    pub data_collection_order: i64,
}

/// A row change from a log reader or a snapshot.
#[derive(Debug, Clone, Copy)]
pub struct RowChange<'a> {
    /// `Create`, `Update`, `Delete` or `Read` (truncates go through
    /// [`EventBuilder::truncate`]).
    pub op: Operation,
    /// The old row in column order (updates and deletes, when the database sent it).
    pub before: Option<&'a [Value]>,
    /// The new row in column order (creates, reads, updates).
    pub after: Option<&'a [Value]>,
    /// Where the change came from.
    pub source: SourcePosition<'a>,
    /// Transaction order for this event (used when `provide.transaction.metadata=true`).
    pub transaction: Option<TransactionBlock<'a>>,
    /// When Tributary processed the event (`ts_ms`, `ts_us`, `ts_ns`).
    pub processed_at: EpochNanos,
}

/// A PostgreSQL logical decoding message (`pg_logical_emit_message`).
#[derive(Debug, Clone, Copy)]
pub struct LogicalMessage<'a> {
    /// The message prefix.
    pub prefix: &'a str,
    /// The content bytes.
    pub content: &'a [u8],
    /// Position and commit time (`schema` and `table` are written as `""`).
    pub source: PostgresSource,
    /// Transaction order when the message was transactional.
    pub transaction: Option<TransactionBlock<'a>>,
    /// When Tributary processed the message (`ts_ms`).
    pub processed_at: EpochNanos,
}

/// One captured column in a [`TableSchema`].
#[derive(Debug, Clone)]
struct CapturedColumn {
    /// Index of the column in the row images.
    row_index: usize,
    name: Box<str>,
    converter: ValueConverter,
    /// `column.mask.with.<N>.chars` / `column.mask.hash.…` / `column.truncate.to.<N>.chars`.
    rule: Option<ValueRule>,
    /// The column's declared length (a hash is cut to it).
    length: Option<usize>,
}

impl CapturedColumn {
    fn convert<'a>(&'a self, value: &'a Value) -> Result<Datum<'a>, ConvertError> {
        if let Some(ValueRule::Mask(n)) = self.rule {
            // Debezium's mask replaces every value, NULL included (`MaskStrings`).
            return Ok(Datum::String(Cow::Owned("*".repeat(n))));
        }
        let datum = self.converter.convert(value)?;
        Ok(match (&self.rule, datum) {
            (Some(rule), Datum::String(Cow::Borrowed(text))) => {
                Datum::String(apply_to_str(rule, text, self.length))
            }
            (Some(rule), Datum::String(Cow::Owned(text))) => Datum::String(Cow::Owned(
                apply_to_str(rule, &text, self.length).into_owned(),
            )),
            (_, datum) => datum,
        })
    }
}

/// A table's schemas and converters for one schema version; cheap to share.
#[derive(Debug)]
pub struct TableSchema {
    connector: ConnectorKind,
    namespace: Box<str>,
    table: Box<str>,
    data_collection: Box<str>,
    topic: Box<str>,
    key_schema: Option<SchemaRef>,
    row_schema: SchemaRef,
    envelope_schema: SchemaRef,
    column_count: usize,
    columns: Box<[CapturedColumn]>,
    /// The key's columns, in key order (a key column left out of the value by
    /// `column.exclude.list` stays in the key, as in Debezium).
    key: Box<[CapturedColumn]>,
}

impl TableSchema {
    /// `<prefix>.<namespace>.<table>`.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// `<namespace>.<table>`.
    pub fn data_collection(&self) -> &str {
        &self.data_collection
    }

    /// The key schema (`….Key`), `None` when the table has no key.
    pub fn key_schema(&self) -> Option<&SchemaRef> {
        self.key_schema.as_ref()
    }

    /// The row schema (`….Value`) used for `before` and `after`.
    pub fn row_schema(&self) -> &SchemaRef {
        &self.row_schema
    }

    /// The envelope schema (`….Envelope`).
    pub fn envelope_schema(&self) -> &SchemaRef {
        &self.envelope_schema
    }

    fn convert_error(&self, column: &CapturedColumn, source: ConvertError) -> EventError {
        EventError::Convert {
            table: self.data_collection.to_string(),
            column: column.name.to_string(),
            source,
        }
    }

    fn check_arity(&self, row: &[Value]) -> Result<(), EventError> {
        if row.len() == self.column_count {
            Ok(())
        } else {
            Err(EventError::RowArity {
                table: self.data_collection.to_string(),
                expected: self.column_count,
                found: row.len(),
            })
        }
    }

    /// The row struct for one image.
    fn row<'a>(&'a self, row: &'a [Value]) -> Result<Datum<'a>, EventError> {
        self.check_arity(row)?;
        let mut fields = Vec::with_capacity(self.columns.len());
        for c in self.columns.iter() {
            let v = &row[c.row_index];
            fields.push(c.convert(v).map_err(|e| self.convert_error(c, e))?);
        }
        Ok(Datum::structure_owned(fields))
    }

    /// The key struct for one image, `None` when the table has no key.
    fn key<'a>(&'a self, row: &'a [Value]) -> Result<Option<Datum<'a>>, EventError> {
        if self.key_schema.is_none() {
            return Ok(None);
        }
        self.check_arity(row)?;
        let mut fields = Vec::with_capacity(self.key.len());
        for c in self.key.iter() {
            fields.push(
                c.convert(&row[c.row_index])
                    .map_err(|e| self.convert_error(c, e))?,
            );
        }
        Ok(Some(Datum::structure_owned(fields)))
    }
}

/// Builds change records for one connector configuration.
#[derive(Debug)]
pub struct EventBuilder {
    options: EnvelopeOptions,
    source_schema: SchemaRef,
    transaction_block: SchemaRef,
    transaction_key: SchemaRef,
    transaction_value: SchemaRef,
    heartbeat_key: SchemaRef,
    heartbeat_value: SchemaRef,
    message_key: SchemaRef,
    message_value: SchemaRef,
    transaction_topic: Box<str>,
    heartbeat_topic: Box<str>,
    message_topic: Box<str>,
}

fn schema_err(what: &str) -> impl FnOnce(SchemaError) -> EventError + '_ {
    move |source| EventError::Schema {
        what: what.to_owned(),
        source,
    }
}

impl EventBuilder {
    /// Builds the fixed schemas for `options`.
    pub fn new(options: EnvelopeOptions) -> Result<Self, EventError> {
        let s = || SchemaBuilder::string().build();
        let i64_req = || SchemaBuilder::int64().build();
        let source_schema =
            source_schema(options.connector).map_err(schema_err("source schema"))?;
        let build = |what: &'static str, b: SchemaBuilder| b.build().map_err(schema_err(what));
        let fixed = (|| -> Result<_, SchemaError> {
            Ok((
                s()?,
                i64_req()?,
                SchemaBuilder::int64().optional().build()?,
                SchemaBuilder::string().optional().build()?,
            ))
        })()
        .map_err(schema_err("primitive schema"))?;
        let (string, int64, opt_int64, opt_string) = fixed;
        // SchemaFactory.transactionBlockSchema()
        let transaction_block = build(
            "transaction block schema",
            SchemaBuilder::structure()
                .optional()
                .name("event.block")
                .version(1)
                .field("id", string.clone())
                .field("total_order", int64.clone())
                .field("data_collection_order", int64.clone()),
        )?;
        let collection = build(
            "transaction collection schema",
            SchemaBuilder::structure()
                .optional()
                .name("event.collection")
                .version(1)
                .field("data_collection", string.clone())
                .field("event_count", int64.clone()),
        )?;
        let transaction_key = build(
            "transaction key schema",
            SchemaBuilder::structure()
                .name("io.debezium.connector.common.TransactionMetadataKey")
                .version(1)
                .field("id", string.clone()),
        )?;
        let transaction_value = build(
            "transaction value schema",
            SchemaBuilder::structure()
                .name("io.debezium.connector.common.TransactionMetadataValue")
                .version(1)
                .field("status", string.clone())
                .field("id", string.clone())
                .field("event_count", opt_int64.clone())
                .field(
                    "data_collections",
                    SchemaBuilder::array(collection)
                        .optional()
                        .build()
                        .map_err(schema_err("data_collections"))?,
                )
                .field("ts_ms", int64.clone()),
        )?;
        let heartbeat_key = build(
            "heartbeat key schema",
            SchemaBuilder::structure()
                .name("io.debezium.connector.common.ServerNameKey")
                .version(1)
                .field("serverName", string.clone()),
        )?;
        let heartbeat_value = build(
            "heartbeat value schema",
            SchemaBuilder::structure()
                .name("io.debezium.connector.common.Heartbeat")
                .version(1)
                .field("ts_ms", int64.clone()),
        )?;
        let message_key = build(
            "message key schema",
            SchemaBuilder::structure()
                .name("io.debezium.connector.postgresql.MessageKey")
                .version(1)
                .field("prefix", opt_string.clone()),
        )?;
        let content = match options.binary_handling_mode {
            BinaryHandlingMode::Bytes => SchemaBuilder::bytes(),
            _ => SchemaBuilder::string(),
        }
        .optional()
        .build()
        .map_err(schema_err("message content"))?;
        let message_block = build(
            "message block schema",
            SchemaBuilder::structure()
                .name("io.debezium.connector.postgresql.Message")
                .version(1)
                .field("prefix", opt_string)
                .field("content", content),
        )?;
        let message_value = build(
            "message value schema",
            SchemaBuilder::structure()
                .name("io.debezium.connector.postgresql.MessageValue")
                .version(1)
                .field("op", string)
                .field("ts_ms", opt_int64)
                .field("source", source_schema.clone())
                .field("transaction", transaction_block.clone())
                .field("message", message_block),
        )?;
        let prefix = &options.topic_prefix;
        Ok(Self {
            transaction_topic: format!("{prefix}.{}", options.topic_transaction).into(),
            heartbeat_topic: format!("{}.{prefix}", options.topic_heartbeat_prefix).into(),
            message_topic: format!("{prefix}.message").into(),
            options,
            source_schema,
            transaction_block,
            transaction_key,
            transaction_value,
            heartbeat_key,
            heartbeat_value,
            message_key,
            message_value,
        })
    }

    /// The options this builder was made with.
    pub fn options(&self) -> &EnvelopeOptions {
        &self.options
    }

    /// The `source` schema of this connector.
    pub fn source_schema(&self) -> &SchemaRef {
        &self.source_schema
    }

    /// Builds a table's schemas and converters. Call once per table schema version and keep
    /// the `Arc`.
    pub fn table_schema(&self, table: &TableDescription) -> Result<Arc<TableSchema>, EventError> {
        let o = &self.options;
        if table.connector != o.connector {
            return Err(EventError::ConnectorMismatch {
                what: "the table description",
                expected: o.connector.name(),
                found: table.connector.name(),
            });
        }
        let data_collection: Box<str> = table.data_collection().into();
        let base = format!("{}.{}.{}", o.topic_prefix, table.namespace, table.table);
        let key_names: Vec<&str> = match o.key_columns_for(&data_collection) {
            Some(cols) => cols.iter().map(|c| &**c).collect(),
            None => table.primary_key.iter().map(|c| &**c).collect(),
        };
        // Every mapped column with its policy; the value takes the captured ones.
        let mut planned = Vec::with_capacity(table.columns.len());
        let mut columns = Vec::with_capacity(table.columns.len());
        let mut row = SchemaBuilder::structure()
            .name(format!("{base}.Value"))
            .optional();
        for (row_index, c) in table.columns.iter().enumerate() {
            let full_name = format!("{data_collection}.{}", c.name);
            let in_value = o.columns.captures(&full_name);
            if !in_value && !key_names.contains(&&*c.name) {
                continue;
            }
            let Some(converter) = plan_column(c, o).map_err(|source| EventError::Mapping {
                table: data_collection.to_string(),
                source,
            })?
            else {
                continue;
            };
            let rule = o.columns.value_rule(&full_name);
            if rule.is_some() && converter.schema().schema_type() != SchemaType::String {
                return Err(EventError::ColumnOption {
                    table: data_collection.to_string(),
                    column: c.name.to_string(),
                    detail: format!(
                        "column.mask.with.<N>.chars, column.mask.hash.… and column.truncate.to.<N>.chars apply to \
                         character columns; this one is {} (leave it out with \
                         column.exclude.list instead)",
                        c.type_name
                    ),
                });
            }
            // Debezium marks a masked field's schema (`MaskStrings.alterFieldSchema`).
            let converter = if matches!(rule, Some(ValueRule::Mask(_) | ValueRule::Hash(_))) {
                let schema = converter
                    .schema()
                    .with_parameter("masked", "true")
                    .map_err(schema_err(&base))?;
                converter.with_schema(schema)
            } else {
                converter
            };
            // `PropagateSourceTypeToSchemaParameter`: the upper-cased type name, and the
            // length and scale when the column declares them.
            let converter = if o
                .columns
                .propagates(&full_name, &data_collection, &c.type_name)
            {
                let mut schema = converter
                    .schema()
                    .with_parameter("__debezium.source.column.type", &c.type_name.to_uppercase())
                    .map_err(schema_err(&base))?;
                if let Some(length) = c.length {
                    schema = schema
                        .with_parameter("__debezium.source.column.length", &length.to_string())
                        .map_err(schema_err(&base))?;
                }
                if let Some(scale) = c.scale {
                    schema = schema
                        .with_parameter("__debezium.source.column.scale", &scale.to_string())
                        .map_err(schema_err(&base))?;
                }
                converter.with_schema(schema)
            } else {
                converter
            };
            let captured = CapturedColumn {
                row_index,
                name: c.name.clone(),
                converter,
                rule,
                length: c.length.and_then(|l| usize::try_from(l).ok()),
            };
            if in_value {
                row = row.field(c.name.clone(), captured.converter.schema().clone());
                columns.push(captured.clone());
            }
            planned.push(captured);
        }
        let row_schema = row.build().map_err(schema_err(&base))?;
        let mut key = Vec::with_capacity(key_names.len());
        let mut key_builder = SchemaBuilder::structure().name(format!("{base}.Key"));
        for name in &key_names {
            let column = planned.iter().find(|c| &*c.name == *name).ok_or_else(|| {
                EventError::UnknownKeyColumn {
                    table: data_collection.to_string(),
                    column: (*name).to_owned(),
                }
            })?;
            key_builder = key_builder.field(*name, column.converter.schema().clone());
            key.push(column.clone());
        }
        let key_schema = if key.is_empty() {
            None
        } else {
            Some(key_builder.build().map_err(schema_err(&base))?)
        };
        let string = SchemaBuilder::string().build().map_err(schema_err(&base))?;
        let opt_int64 = SchemaBuilder::int64()
            .optional()
            .build()
            .map_err(schema_err(&base))?;
        let envelope_schema = SchemaBuilder::structure()
            .name(format!("{base}.Envelope"))
            .version(2)
            .field("before", row_schema.clone())
            .field("after", row_schema.clone())
            .field("source", self.source_schema.clone())
            .field("transaction", self.transaction_block.clone())
            .field("op", string)
            .field("ts_ms", opt_int64.clone())
            .field("ts_us", opt_int64.clone())
            .field("ts_ns", opt_int64)
            .build()
            .map_err(schema_err(&base))?;
        Ok(Arc::new(TableSchema {
            connector: table.connector,
            namespace: table.namespace.clone(),
            table: table.table.clone(),
            data_collection,
            topic: base.into(),
            key_schema,
            row_schema,
            envelope_schema,
            column_count: table.columns.len(),
            columns: columns.into(),
            key: key.into(),
        }))
    }

    fn source<'a>(
        &'a self,
        table: &'a TableSchema,
        position: &SourcePosition<'a>,
    ) -> Result<Datum<'a>, EventError> {
        let names = match (position, table.connector) {
            (SourcePosition::Postgres(_), ConnectorKind::Postgres) => SourceNames {
                version: &self.options.source_version,
                connector: table.connector.name(),
                name: &self.options.topic_prefix,
                db: &self.options.database_name,
                schema: &table.namespace,
                table: Some(&table.table),
            },
            (SourcePosition::Binlog(_), ConnectorKind::MySql | ConnectorKind::MariaDb) => {
                SourceNames {
                    version: &self.options.source_version,
                    connector: table.connector.name(),
                    name: &self.options.topic_prefix,
                    db: &table.namespace,
                    schema: "",
                    table: Some(&table.table),
                }
            }
            (p, c) => {
                return Err(EventError::ConnectorMismatch {
                    what: "the source position",
                    expected: c.name(),
                    found: match p {
                        SourcePosition::Postgres(_) => "postgresql",
                        SourcePosition::Binlog(_) => "mysql/mariadb",
                    },
                });
            }
        };
        Ok(source_value(names, position))
    }

    fn transaction<'a>(&self, block: Option<TransactionBlock<'a>>, offset: i64) -> Datum<'a> {
        match block {
            Some(t) if self.options.provide_transaction_metadata => Datum::structure_owned(vec![
                Datum::str(t.id),
                Datum::Int64(t.total_order.saturating_add(offset)),
                Datum::Int64(t.data_collection_order.saturating_add(offset)),
            ]),
            _ => Datum::Null,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn envelope<'a>(
        &self,
        before: Datum<'a>,
        after: Datum<'a>,
        source: Datum<'a>,
        op: Operation,
        processed_at: EpochNanos,
        transaction: Datum<'a>,
    ) -> Datum<'a> {
        Datum::structure_owned(vec![
            before,
            after,
            source,
            transaction,
            Datum::str(op.code()),
            Datum::Int64(processed_at.millis()),
            Datum::Int64(processed_at.micros()),
            Datum::Int64(processed_at.0),
        ])
    }

    /// Appends the records for one row change to `out`: one for a create, read or update;
    /// a delete and (by default) its tombstone; or, for an update that changes the key, a
    /// delete with `__debezium.newkey`, a tombstone and a create with `__debezium.oldkey`.
    /// Nothing when `skipped.operations` lists the operation.
    ///
    /// Returns how many data events (records with a value) were appended, so the caller's
    /// transaction counters can advance: the key-change create uses `total_order + 1` and
    /// `data_collection_order + 1` of [`RowChange::transaction`].
    pub fn row_change<'a>(
        &'a self,
        table: &'a TableSchema,
        change: &RowChange<'a>,
        out: &mut Vec<ChangeRecord<'a>>,
    ) -> Result<usize, EventError> {
        let op = change.op;
        if op == Operation::Truncate {
            return self.truncate(
                table,
                &change.source,
                change.transaction,
                change.processed_at,
                out,
            );
        }
        if !self.options.emits(op) {
            return Ok(0);
        }
        let missing = |image| EventError::MissingImage {
            table: table.data_collection.to_string(),
            op: op.code(),
            image,
        };
        let topic = || Cow::Borrowed(table.topic());
        let value_of = |d| Some((table.envelope_schema.clone(), d));
        let key_of = |k: Option<Datum<'a>>| table.key_schema.clone().zip(k);
        let source = self.source(table, &change.source)?;
        let tx = self.transaction(change.transaction, 0);
        match op {
            Operation::Create | Operation::Read | Operation::Update => {
                let after_row = change.after.ok_or_else(|| missing("after"))?;
                let after = table.row(after_row)?;
                let new_key = table.key(after_row)?;
                let before_row = if op == Operation::Update {
                    change.before
                } else {
                    None
                };
                if let (Some(before_row), Some(new_key)) = (before_row, &new_key) {
                    let old_key = table.key(before_row)?;
                    if let Some(old_key) = old_key.filter(|k| k != new_key) {
                        return self.key_change(
                            table,
                            change,
                            before_row,
                            after,
                            old_key,
                            new_key.clone(),
                            source,
                            out,
                        );
                    }
                }
                let before = match before_row {
                    Some(r) => table.row(r)?,
                    None => Datum::Null,
                };
                out.push(ChangeRecord {
                    topic: topic(),
                    key: key_of(new_key),
                    value: value_of(self.envelope(
                        before,
                        after,
                        source,
                        op,
                        change.processed_at,
                        tx,
                    )),
                    headers: Vec::new(),
                });
                Ok(1)
            }
            Operation::Delete => {
                let (before, key) = match change.before {
                    Some(r) => (table.row(r)?, table.key(r)?),
                    None if table.key_schema.is_some() => return Err(missing("before")),
                    None => (Datum::Null, None),
                };
                let key = key_of(key);
                out.push(ChangeRecord {
                    topic: topic(),
                    key: key.clone(),
                    value: value_of(self.envelope(
                        before,
                        Datum::Null,
                        source,
                        op,
                        change.processed_at,
                        tx,
                    )),
                    headers: Vec::new(),
                });
                if self.options.tombstones_on_delete {
                    out.push(ChangeRecord {
                        topic: topic(),
                        key,
                        value: None,
                        headers: Vec::new(),
                    });
                }
                Ok(1)
            }
            Operation::Truncate => Ok(0),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn key_change<'a>(
        &'a self,
        table: &'a TableSchema,
        change: &RowChange<'a>,
        before_row: &'a [Value],
        after: Datum<'a>,
        old_key: Datum<'a>,
        new_key: Datum<'a>,
        source: Datum<'a>,
        out: &mut Vec<ChangeRecord<'a>>,
    ) -> Result<usize, EventError> {
        let Some(key_schema) = table.key_schema.clone() else {
            return Ok(0);
        };
        let before = table.row(before_row)?;
        out.push(ChangeRecord {
            topic: Cow::Borrowed(table.topic()),
            key: Some((key_schema.clone(), old_key.clone())),
            value: Some((
                table.envelope_schema.clone(),
                self.envelope(
                    before,
                    Datum::Null,
                    source.clone(),
                    Operation::Delete,
                    change.processed_at,
                    self.transaction(change.transaction, 0),
                ),
            )),
            headers: vec![Header {
                name: NEW_KEY_HEADER,
                schema: key_schema.clone(),
                value: new_key.clone(),
            }],
        });
        if self.options.tombstones_on_delete {
            // The tombstone is `record.newRecord(…, record.headers())`: it keeps the delete's
            // `__debezium.newkey` header.
            out.push(ChangeRecord {
                topic: Cow::Borrowed(table.topic()),
                key: Some((key_schema.clone(), old_key.clone())),
                value: None,
                headers: vec![Header {
                    name: NEW_KEY_HEADER,
                    schema: key_schema.clone(),
                    value: new_key.clone(),
                }],
            });
        }
        out.push(ChangeRecord {
            topic: Cow::Borrowed(table.topic()),
            key: Some((key_schema.clone(), new_key)),
            value: Some((
                table.envelope_schema.clone(),
                self.envelope(
                    Datum::Null,
                    after,
                    source,
                    Operation::Create,
                    change.processed_at,
                    self.transaction(change.transaction, 1),
                ),
            )),
            headers: vec![Header {
                name: OLD_KEY_HEADER,
                schema: key_schema,
                value: old_key,
            }],
        });
        Ok(2)
    }

    /// Appends the truncate record for a table (null key, before/after null, op `t`), unless
    /// `skipped.operations` contains `t` (the default). Returns the data events appended.
    pub fn truncate<'a>(
        &'a self,
        table: &'a TableSchema,
        source: &SourcePosition<'a>,
        transaction: Option<TransactionBlock<'a>>,
        processed_at: EpochNanos,
        out: &mut Vec<ChangeRecord<'a>>,
    ) -> Result<usize, EventError> {
        if !self.options.emits(Operation::Truncate) {
            return Ok(0);
        }
        let source = self.source(table, source)?;
        out.push(ChangeRecord {
            topic: Cow::Borrowed(table.topic()),
            key: None,
            value: Some((
                table.envelope_schema.clone(),
                self.envelope(
                    Datum::Null,
                    Datum::Null,
                    source,
                    Operation::Truncate,
                    processed_at,
                    self.transaction(transaction, 0),
                ),
            )),
            headers: Vec::new(),
        });
        Ok(1)
    }

    /// The record for a PostgreSQL logical decoding message on `<prefix>.message`. Its value
    /// is not an envelope: `op` (`m`), `ts_ms`, `source`, `transaction`, `message`.
    pub fn message<'a>(&'a self, message: &LogicalMessage<'a>) -> ChangeRecord<'a> {
        let names = SourceNames {
            version: &self.options.source_version,
            connector: self.options.connector.name(),
            name: &self.options.topic_prefix,
            db: &self.options.database_name,
            schema: "",
            table: Some(""),
        };
        let source = source_value(names, &SourcePosition::Postgres(message.source));
        let content = match self.options.binary_handling_mode {
            BinaryHandlingMode::Bytes => Datum::bytes(message.content),
            mode => binary_text(mode, message.content),
        };
        let value = Datum::structure_owned(vec![
            Datum::str("m"),
            Datum::Int64(message.processed_at.millis()),
            source,
            self.transaction(message.transaction, 0),
            Datum::structure_owned(vec![Datum::str(message.prefix), content]),
        ]);
        ChangeRecord {
            topic: Cow::Borrowed(&self.message_topic),
            key: Some((
                self.message_key.clone(),
                Datum::structure_owned(vec![Datum::str(message.prefix)]),
            )),
            value: Some((self.message_value.clone(), value)),
            headers: Vec::new(),
        }
    }

    /// A heartbeat record on `<topic.heartbeat.prefix>.<topic.prefix>`: key `{serverName}`,
    /// value `{ts_ms}`. The runtime attaches the current offset to it.
    pub fn heartbeat(&self, now: EpochNanos) -> ChangeRecord<'_> {
        ChangeRecord {
            topic: Cow::Borrowed(&self.heartbeat_topic),
            key: Some((
                self.heartbeat_key.clone(),
                Datum::structure_owned(vec![Datum::str(&self.options.topic_prefix)]),
            )),
            value: Some((
                self.heartbeat_value.clone(),
                Datum::structure_owned(vec![Datum::Int64(now.millis())]),
            )),
            headers: Vec::new(),
        }
    }

    /// The BEGIN record on `<prefix>.transaction`, or `None` unless
    /// `provide.transaction.metadata=true`.
    pub fn transaction_begin<'a>(
        &'a self,
        id: &'a str,
        ts: EpochNanos,
    ) -> Option<ChangeRecord<'a>> {
        self.transaction_record(id, "BEGIN", Datum::Null, Datum::Null, ts)
    }

    /// The END record with per-table event counts (`data_collection`, `event_count`) in the
    /// order given; `event_count` is their sum.
    pub fn transaction_end<'a>(
        &'a self,
        id: &'a str,
        ts: EpochNanos,
        collections: &'a [(&'a str, i64)],
    ) -> Option<ChangeRecord<'a>> {
        let total: i64 = collections.iter().map(|(_, n)| n).sum();
        let list = Datum::array_owned(
            collections
                .iter()
                .map(|(name, n)| Datum::structure_owned(vec![Datum::str(name), Datum::Int64(*n)]))
                .collect(),
        );
        self.transaction_record(id, "END", Datum::Int64(total), list, ts)
    }

    fn transaction_record<'a>(
        &'a self,
        id: &'a str,
        status: &'static str,
        event_count: Datum<'a>,
        collections: Datum<'a>,
        ts: EpochNanos,
    ) -> Option<ChangeRecord<'a>> {
        if !self.options.provide_transaction_metadata {
            return None;
        }
        Some(ChangeRecord {
            topic: Cow::Borrowed(&self.transaction_topic),
            key: Some((
                self.transaction_key.clone(),
                Datum::structure_owned(vec![Datum::str(id)]),
            )),
            value: Some((
                self.transaction_value.clone(),
                Datum::structure_owned(vec![
                    Datum::str(status),
                    Datum::str(id),
                    event_count,
                    collections,
                    Datum::Int64(ts.millis()),
                ]),
            )),
            headers: Vec::new(),
        })
    }
}

/// `binary.handling.mode` text forms for message content (`LogicalDecodingMessageMonitor`).
fn binary_text(mode: BinaryHandlingMode, bytes: &[u8]) -> Datum<'static> {
    let text = match mode {
        BinaryHandlingMode::Hex => bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        BinaryHandlingMode::Base64
        | BinaryHandlingMode::Base64UrlSafe
        | BinaryHandlingMode::Bytes => {
            let mut out = Vec::new();
            crate::json::write_base64(&mut out, bytes);
            let s = String::from_utf8_lossy(&out).into_owned();
            if mode == BinaryHandlingMode::Base64UrlSafe {
                s.replace('+', "-").replace('/', "_")
            } else {
                s
            }
        }
    };
    Datum::String(Cow::Owned(text))
}
