//! The MySQL/MariaDB side of the pipeline: schema history (recovered, or captured from the
//! server at first start), the binlog reader, and row events → Debezium change records.
//!
//! # Positions
//! Every forwarded event carries the offset to store once it and everything before it is
//! in Kafka (Debezium's `file`/`pos` restart position with `event`/`row` skip counts, and the
//! completed `gtids`); the reader skips what a resumed transaction already delivered. No
//! acknowledgement goes back to the server: the binlog is read, not consumed.
//!
//! # Schema history in step with the rows
//! A DDL is appended to the history store (Kafka: acknowledged by all replicas) before the
//! model changes, so it is durable before any row decoded with the new table version is
//! even produced.
//!
//! Not yet emitted: the public schema-change topic (`<topic.prefix>`), transaction metadata
//! records, `include.query`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value as Json};
use tributary_decoders::binlog::{BinlogDecoder, EventData, RowChange as BinlogRowChange};
use tributary_envelope::event::{RowChange, TableSchema};
use tributary_envelope::options::Operation;
use tributary_envelope::{
    BinlogSource, ChangeRecord, EpochNanos, EventBuilder, SnapshotMarker, SourcePosition, Value,
};

use super::sink::OnCommitted;
use super::{ChangeSource, Emitter, PipelineError, Polled};
use crate::config::{ConnectorConfig, HistoryStoreConfig, MySqlConfig, TableFilter};
use crate::mysql::client::{BinlogOffset, BinlogReader, start_binlog_reader};
use crate::mysql::schema::{
    BinlogPosition, CapturedTable, DdlOutcome, FileSchemaHistoryStore, HistoryOptions,
    KafkaHistoryConfig, KafkaSchemaHistoryStore, SchemaHistory, SchemaHistoryStore,
    SnapshotLocking, TableId, read_server_schema,
};

/// A captured table at its current version.
struct Table {
    captured: CapturedTable,
    schema: Arc<TableSchema>,
}

/// Reads one MySQL/MariaDB server's binlog.
pub struct MySqlSource {
    runtime: tokio::runtime::Handle,
    reader: BinlogReader,
    decoder: BinlogDecoder,
    history: SchemaHistory,
    store: Box<dyn SchemaHistoryStore + Send>,
    filter: TableFilter,
    builder: EventBuilder,
    connector: tributary_envelope::table::ConnectorKind,
    tables: HashMap<TableId, Table>,
    offset: BinlogOffset,
    /// The GTID of the transaction being read, for `source.gtid`.
    gtid: Option<String>,
    /// A first start stores its position at once, so a crash before the first change does
    /// not leave a history without an offset.
    announce_start: bool,
    before: Vec<Value>,
    after: Vec<Value>,
}

impl std::fmt::Debug for MySqlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MySqlSource")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

fn history_error(e: impl std::fmt::Display) -> PipelineError {
    PipelineError::Stopped(format!("schema history: {e}"))
}

fn mysql_error(e: impl std::fmt::Display) -> PipelineError {
    PipelineError::Stopped(format!("mysql: {e}"))
}

impl MySqlSource {
    /// Recovers (or captures) the schema history and starts the binlog reader after the
    /// stored offset.
    pub fn start(
        config: &ConnectorConfig,
        my: &MySqlConfig,
        stored: Option<&Map<String, Json>>,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, PipelineError> {
        let stored: Option<BinlogOffset> = stored
            .map(|map| serde_json::from_value(Json::Object(map.clone())))
            .transpose()
            .map_err(|e| PipelineError::Decode {
                position: "the stored MySQL offset".to_owned(),
                detail: e.to_string(),
            })?;
        let mut store: Box<dyn SchemaHistoryStore + Send> = match &my.history {
            HistoryStoreConfig::Kafka {
                bootstrap_servers,
                topic,
            } => Box::new(
                KafkaSchemaHistoryStore::open(KafkaHistoryConfig::new(
                    bootstrap_servers,
                    topic,
                    &config.topic_prefix,
                ))
                .map_err(history_error)?,
            ),
            HistoryStoreConfig::File { path } => {
                Box::new(FileSchemaHistoryStore::open(path).map_err(history_error)?)
            }
        };
        let filter = config.tables.clone();
        let options = {
            let filter = filter.clone();
            HistoryOptions {
                skip_unparseable_ddl: my.skip_unparseable_ddl,
                is_captured: Arc::new(move |id: &TableId| filter.captures(&id.database, &id.table)),
                ..HistoryOptions::capture_all(config.topic_prefix.clone())
            }
        };
        let (history, start, announce_start) = match stored {
            Some(offset) => {
                let history = SchemaHistory::recover(
                    options,
                    store.as_ref(),
                    Some(&BinlogPosition::from(&offset)),
                )
                .map_err(history_error)?;
                (history, offset, false)
            }
            None => {
                // A history without an offset: an earlier first start was stopped after
                // recording the schema and before its first Kafka commit. Nothing was
                // delivered, so start where that schema was captured (its first record).
                let records = store.records().map_err(history_error)?;
                if let Some(first) = records.first() {
                    let position = first.position.clone();
                    tracing::info!(file = %position.file, pos = position.pos, "no stored offset: resuming from the schema history's first position");
                    let history = SchemaHistory::recover(options, store.as_ref(), Some(&position))
                        .map_err(history_error)?;
                    let mut offset = BinlogOffset::at_file(&position.file, position.pos);
                    offset.gtids = position.gtids.clone();
                    offset.server_id = Some(position.server_id);
                    (history, offset, true)
                } else {
                    let filter = filter.clone();
                    let snapshot = runtime
                        .block_on(read_server_schema(
                            &my.connect,
                            &move |id: &TableId| filter.captures(&id.database, &id.table),
                            SnapshotLocking::Global,
                        ))
                        .map_err(history_error)?;
                    let mut history = SchemaHistory::new(options);
                    history
                        .record_snapshot(store.as_mut(), &snapshot)
                        .map_err(history_error)?;
                    (history, snapshot.offset.clone(), true)
                }
            }
        };
        let reader = runtime
            .block_on(start_binlog_reader(my.connect.clone(), my.reader, &start))
            .map_err(mysql_error)?;
        let mut decoder = BinlogDecoder::new();
        decoder.set_checksum_algorithm(reader.server.checksum);
        tracing::info!(file = %start.file, pos = start.pos, gtids = ?start.gtids, "streaming from the binlog");
        Ok(Self {
            runtime,
            reader,
            decoder,
            history,
            store,
            filter,
            builder: EventBuilder::new(config.envelope.clone())?,
            connector: config.connector,
            tables: HashMap::new(),
            offset: start,
            gtid: None,
            announce_start,
            before: Vec::new(),
            after: Vec::new(),
        })
    }

    /// Stops the reader.
    pub fn close(self) {
        drop(self.reader.events);
        self.reader.task.abort();
    }

    fn on_event(
        &mut self,
        raw: &[u8],
        skip_rows: u64,
        event_offset: &BinlogOffset,
        emitter: &mut Emitter<'_>,
    ) -> Result<(), PipelineError> {
        let events = self
            .decoder
            .decode(raw)
            .map_err(|e| PipelineError::Decode {
                position: format!("binlog {}:{}", event_offset.file, event_offset.pos),
                detail: e.to_string(),
            })?;
        for decoded in events {
            match &decoded.data {
                EventData::Gtid(gtid) => self.gtid = Some(gtid.to_string()),
                EventData::Ddl { schema, statement } => {
                    let position = BinlogPosition {
                        file: decoded
                            .position
                            .file
                            .as_deref()
                            .unwrap_or(&event_offset.file)
                            .to_owned(),
                        pos: decoded.position.offset,
                        gtids: event_offset.gtids.clone(),
                        server_id: decoded.header.server_id,
                        ts_sec: i64::from(decoded.header.timestamp),
                    };
                    let outcome = self
                        .history
                        .apply_ddl(
                            self.store.as_mut(),
                            schema,
                            statement,
                            &position,
                            position.ts_sec * 1000,
                        )
                        .map_err(history_error)?;
                    match outcome {
                        DdlOutcome::Skipped { reason } => tracing::warn!(%reason, "DDL skipped"),
                        DdlOutcome::Applied(_) => self.tables.clear(),
                        DdlOutcome::Ignored => {}
                    }
                }
                EventData::Rows(rows) => {
                    let map = rows.table();
                    if !self.filter.captures(&map.schema, &map.table) {
                        continue;
                    }
                    let id = TableId::new(&map.schema, &map.table);
                    if !self.tables.contains_key(&id) {
                        let captured = self
                            .history
                            .captured_table(&id, self.connector)
                            .map_err(history_error)?
                            .ok_or_else(|| PipelineError::Decode {
                                position: format!("binlog {}", rows.position()),
                                detail: format!(
                                    "rows for {id}, which the schema history does not know"
                                ),
                            })?;
                        let schema = self.builder.table_schema(&captured.description)?;
                        self.tables.insert(id.clone(), Table { captured, schema });
                    }
                    let Some(table) = self.tables.get(&id) else {
                        continue;
                    };
                    let file = decoded
                        .position
                        .file
                        .as_deref()
                        .unwrap_or(&event_offset.file);
                    let event_time =
                        EpochNanos::from_millis(i64::from(decoded.header.timestamp) * 1000);
                    for (index, change) in rows.rows().enumerate().skip(skip_rows as usize) {
                        let change = change.map_err(|e| PipelineError::Decode {
                            position: format!("binlog {}", rows.position()),
                            detail: e.to_string(),
                        })?;
                        let convert = |row, out: &mut Vec<Value>| {
                            table
                                .captured
                                .converter
                                .convert_row(row, rows.position(), out)
                                .map_err(|e| PipelineError::Decode {
                                    position: format!("binlog {}", rows.position()),
                                    detail: e.to_string(),
                                })
                        };
                        let op = match &change {
                            BinlogRowChange::Insert(row) => {
                                convert(row, &mut self.after)?;
                                Operation::Create
                            }
                            BinlogRowChange::Update { before, after } => {
                                convert(before, &mut self.before)?;
                                convert(after, &mut self.after)?;
                                Operation::Update
                            }
                            BinlogRowChange::Delete(row) => {
                                convert(row, &mut self.before)?;
                                Operation::Delete
                            }
                        };
                        let row_change = RowChange {
                            op,
                            before: (op != Operation::Create).then_some(self.before.as_slice()),
                            after: (op != Operation::Delete).then_some(self.after.as_slice()),
                            source: SourcePosition::Binlog(BinlogSource {
                                event_time,
                                snapshot: SnapshotMarker::False,
                                server_id: i64::from(decoded.header.server_id),
                                gtid: self.gtid.as_deref(),
                                file,
                                pos: i64::try_from(decoded.position.offset).unwrap_or(i64::MAX),
                                row: i32::try_from(index).unwrap_or(i32::MAX),
                                thread: None,
                                query: None,
                            }),
                            transaction: None,
                            processed_at: super::postgres::now(),
                        };
                        let mut records: Vec<ChangeRecord<'_>> = Vec::with_capacity(3);
                        let events =
                            self.builder
                                .row_change(&table.schema, &row_change, &mut records)?;
                        for record in records {
                            emitter.emit(record)?;
                        }
                        if events > 0 {
                            emitter.count_event();
                        }
                    }
                }
                _ => {}
            }
        }
        self.offset = event_offset.clone();
        if self.offset.event == 0 {
            self.gtid = None;
        }
        Ok(())
    }
}

impl ChangeSource for MySqlSource {
    fn poll(&mut self, wait: Duration, emitter: &mut Emitter<'_>) -> Result<Polled, PipelineError> {
        if self.announce_start {
            self.announce_start = false;
            return Ok(Polled::Idle);
        }
        let reader = &mut self.reader;
        let event = self
            .runtime
            .block_on(async { tokio::time::timeout(wait, reader.events.recv()).await });
        match event {
            Err(_) => Ok(Polled::Timeout),
            Ok(None) => {
                let result = self.runtime.block_on(&mut self.reader.task);
                Err(match result {
                    Ok(Err(err)) => mysql_error(err),
                    _ => PipelineError::Stopped("the binlog stream ended".to_owned()),
                })
            }
            Ok(Some(event)) => {
                self.on_event(&event.raw, event.skip_rows, &event.offset, emitter)?;
                Ok(Polled::Event)
            }
        }
    }

    fn offset(&self) -> Map<String, Json> {
        match serde_json::to_value(&self.offset) {
            Ok(Json::Object(map)) => map,
            _ => Map::new(),
        }
    }

    fn at_boundary(&self) -> bool {
        self.offset.event == 0
    }

    fn on_committed(&self) -> Option<OnCommitted> {
        None
    }
}
