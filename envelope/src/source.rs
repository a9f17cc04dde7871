//! The `source` block: where and when a change happened, per connector.
//!
//! # Layout (Debezium `SchemaFactory.sourceInfoSchemaBuilder` + the connectors' struct makers)
//! Common prefix, schema version 1: `version`, `connector`, `name`, `ts_ms`, `snapshot`
//! (optional `io.debezium.data.Enum`, default `"false"`), `db`, `sequence`, `ts_us`, `ts_ns`.
//! PostgreSQL (`PostgresSourceInfoStructMaker`) appends `schema`, `table`, `txId`, `lsn`,
//! `xmin`; MySQL/MariaDB (`MySqlSourceInfoStructMaker`) append `table`, `server_id`, `gtid`,
//! `file`, `pos`, `row`, `thread`, `query`.
//!
//! `snapshot` is left null while streaming (`SnapshotRecord.FALSE.toSource` puts nothing),
//! so JsonConverter writes the schema default `"false"`, exactly as Debezium's output shows.

use std::borrow::Cow;

use crate::datum::Datum;
use crate::logical::debezium;
use crate::schema::{SchemaBuilder, SchemaError, SchemaRef};
use crate::table::ConnectorKind;

/// The snapshot marker written in `source.snapshot` (`SnapshotRecord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotMarker {
    /// A snapshot row that is neither first nor last.
    True,
    /// The first row of the whole snapshot.
    First,
    /// The first row of a table, not of the whole snapshot.
    FirstInDataCollection,
    /// The last row of a table, not of the whole snapshot.
    LastInDataCollection,
    /// The last row of the whole snapshot.
    Last,
    /// Streaming (written as null, shown as the default `"false"`).
    #[default]
    False,
    /// A row read by an incremental snapshot.
    Incremental,
}

impl SnapshotMarker {
    /// The enum's `allowed` list, in `SnapshotRecord` declaration order.
    pub const ALLOWED: &'static str =
        "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental";

    fn datum(self) -> Datum<'static> {
        Datum::str(match self {
            SnapshotMarker::True => "true",
            SnapshotMarker::First => "first",
            SnapshotMarker::FirstInDataCollection => "first_in_data_collection",
            SnapshotMarker::LastInDataCollection => "last_in_data_collection",
            SnapshotMarker::Last => "last",
            SnapshotMarker::False => return Datum::Null,
            SnapshotMarker::Incremental => "incremental",
        })
    }
}

/// A point in time as nanoseconds since the Unix epoch: Debezium derives `ts_ms`, `ts_us`
/// and `ts_ns` from one `Instant`, flooring towards the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EpochNanos(pub i64);

impl EpochNanos {
    /// From microseconds (what both databases store).
    pub fn from_micros(micros: i64) -> Self {
        EpochNanos(micros.saturating_mul(1000))
    }

    /// From milliseconds.
    pub fn from_millis(millis: i64) -> Self {
        EpochNanos(millis.saturating_mul(1_000_000))
    }

    /// `Instant.toEpochMilli()`.
    pub fn millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// `epochSecond * 1_000_000 + nano / 1_000`.
    pub fn micros(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

/// PostgreSQL position and timing of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PostgresSource {
    /// Commit time of the transaction (`source.ts_*`).
    pub commit_time: EpochNanos,
    /// Snapshot marker.
    pub snapshot: SnapshotMarker,
    /// Transaction id (`txId`).
    pub tx_id: Option<i64>,
    /// LSN of this change (`lsn`).
    pub lsn: Option<i64>,
    /// `xmin` when `xmin.fetch.interval.ms` is on.
    pub xmin: Option<i64>,
    /// LSN of the last commit, first element of `sequence`.
    pub last_commit_lsn: Option<i64>,
}

/// MySQL/MariaDB binlog position and timing of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BinlogSource<'a> {
    /// The binlog event's timestamp (`source.ts_*`).
    pub event_time: EpochNanos,
    /// Snapshot marker.
    pub snapshot: SnapshotMarker,
    /// `server_id` of the server that wrote the event.
    pub server_id: i64,
    /// The current transaction's GTID, when GTIDs are on.
    pub gtid: Option<&'a str>,
    /// Binlog file name.
    pub file: &'a str,
    /// Position of the event in the file.
    pub pos: i64,
    /// Row number within the rows event.
    pub row: i32,
    /// Thread id of the session, when known.
    pub thread: Option<i64>,
    /// The SQL statement (`include.query=true`).
    pub query: Option<&'a str>,
}

/// The source position of one event, per connector family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourcePosition<'a> {
    /// From the PostgreSQL reader.
    Postgres(PostgresSource),
    /// From the MySQL/MariaDB reader.
    Binlog(BinlogSource<'a>),
}

impl SourcePosition<'_> {
    /// When the change happened in the database (commit or binlog event time).
    pub fn time(&self) -> EpochNanos {
        match self {
            SourcePosition::Postgres(p) => p.commit_time,
            SourcePosition::Binlog(b) => b.event_time,
        }
    }
}

/// The `source` schema for a connector, built once per connector.
pub fn source_schema(connector: ConnectorKind) -> Result<SchemaRef, SchemaError> {
    let string = || SchemaBuilder::string().build();
    let opt = |b: SchemaBuilder| b.optional().build();
    let snapshot = debezium::enumeration(SnapshotMarker::ALLOWED)
        .optional()
        .default_value(Datum::String(Cow::Borrowed("false")))
        .build()?;
    let mut b = SchemaBuilder::structure()
        .version(1)
        .field("version", string()?)
        .field("connector", string()?)
        .field("name", string()?)
        .field("ts_ms", SchemaBuilder::int64().build()?)
        .field("snapshot", snapshot)
        .field("db", string()?)
        .field("sequence", opt(SchemaBuilder::string())?)
        .field("ts_us", opt(SchemaBuilder::int64())?)
        .field("ts_ns", opt(SchemaBuilder::int64())?);
    b = match connector {
        ConnectorKind::Postgres => b
            .name("io.debezium.connector.postgresql.Source")
            .field("schema", string()?)
            .field("table", string()?)
            .field("txId", opt(SchemaBuilder::int64())?)
            .field("lsn", opt(SchemaBuilder::int64())?)
            .field("xmin", opt(SchemaBuilder::int64())?),
        ConnectorKind::MySql | ConnectorKind::MariaDb => b
            .name(if connector == ConnectorKind::MySql {
                "io.debezium.connector.mysql.Source"
            } else {
                "io.debezium.connector.mariadb.Source"
            })
            .field("table", opt(SchemaBuilder::string())?)
            .field("server_id", SchemaBuilder::int64().build()?)
            .field("gtid", opt(SchemaBuilder::string())?)
            .field("file", string()?)
            .field("pos", SchemaBuilder::int64().build()?)
            .field("row", SchemaBuilder::int32().build()?)
            .field("thread", opt(SchemaBuilder::int64())?)
            .field("query", opt(SchemaBuilder::string())?),
    };
    b.build()
}

/// What the `source` struct needs besides the position: names that come from the table
/// and the connector configuration.
pub(crate) struct SourceNames<'a> {
    pub version: &'a str,
    pub connector: &'a str,
    pub name: &'a str,
    pub db: &'a str,
    pub schema: &'a str,
    pub table: Option<&'a str>,
}

fn opt_i64(v: Option<i64>) -> Datum<'static> {
    v.map_or(Datum::Null, Datum::Int64)
}

fn opt_str(v: Option<&str>) -> Datum<'_> {
    v.map_or(Datum::Null, Datum::str)
}

/// The `source` struct value, in schema field order.
pub(crate) fn source_value<'a>(names: SourceNames<'a>, position: &SourcePosition<'a>) -> Datum<'a> {
    let (time, snapshot) = match position {
        SourcePosition::Postgres(p) => (p.commit_time, p.snapshot),
        SourcePosition::Binlog(b) => (b.event_time, b.snapshot),
    };
    let mut fields = Vec::with_capacity(17);
    fields.extend([
        Datum::str(names.version),
        Datum::str(names.connector),
        Datum::str(names.name),
        Datum::Int64(time.millis()),
        snapshot.datum(),
        Datum::str(names.db),
    ]);
    match position {
        SourcePosition::Postgres(p) => {
            // SourceInfo.sequence(): a JSON array of the last commit LSN and this LSN as
            // decimal strings, null when neither is known.
            let sequence = if p.last_commit_lsn.is_none() && p.lsn.is_none() {
                Datum::Null
            } else {
                let mut text = String::with_capacity(48);
                text.push('[');
                for (i, lsn) in [p.last_commit_lsn, p.lsn].into_iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    match lsn {
                        Some(l) => {
                            text.push('"');
                            text.push_str(itoa::Buffer::new().format(l));
                            text.push('"');
                        }
                        None => text.push_str("null"),
                    }
                }
                text.push(']');
                Datum::String(Cow::Owned(text))
            };
            fields.extend([
                sequence,
                Datum::Int64(time.micros()),
                Datum::Int64(time.0),
                Datum::str(names.schema),
                Datum::str(names.table.unwrap_or("")),
                opt_i64(p.tx_id),
                opt_i64(p.lsn),
                opt_i64(p.xmin),
            ]);
        }
        SourcePosition::Binlog(b) => {
            fields.extend([
                Datum::Null,
                Datum::Int64(time.micros()),
                Datum::Int64(time.0),
                opt_str(names.table),
                Datum::Int64(b.server_id),
                opt_str(b.gtid),
                Datum::str(b.file),
                Datum::Int64(b.pos),
                Datum::Int32(b.row),
                opt_i64(b.thread),
                opt_str(b.query),
            ]);
        }
    }
    Datum::structure_owned(fields)
}
