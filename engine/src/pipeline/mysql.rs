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

use crate::mysql::client::{MySqlError, PreflightError, check_server};
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

use super::mysql_snapshot::{
    Chunk, ChunkReader, Job, SnapshotTable, estimate_rows, read_chunk_at_position, snapshot_session,
};
use super::progress::SnapshotReport;
use super::sink::OnCommitted;
use super::{ChangeSource, Emitter, PipelineError, Polled};
use crate::config::{ConnectorConfig, HistoryStoreConfig, MySqlConfig, TableFilter};
use crate::kafka::KafkaSignalChannel;
use crate::mysql::client::{BinlogOffset, BinlogReader, start_binlog_reader};
use crate::mysql::schema::{
    BinlogPosition, CapturedTable, DdlOutcome, FileSchemaHistoryStore, HistoryOptions,
    KafkaHistoryConfig, KafkaSchemaHistoryStore, SchemaHistory, SchemaHistoryStore, TableId,
    open_consistent_snapshot, read_server_schema,
};
use crate::status::ConnectorStatus;
use tributary_snapshot::marker::RowPlace;
use tributary_snapshot::progress::SnapshotKind;
use tributary_snapshot::{MarkerSequence, Signal, SnapshotMode, SnapshotProgress};

/// A captured table at its current version.
struct Table {
    captured: CapturedTable,
    schema: Arc<TableSchema>,
}

/// Reads one MySQL/MariaDB server's binlog.
pub struct MySqlSource {
    runtime: tokio::runtime::Handle,
    /// The binlog stream; `None` while the initial snapshot runs (it starts at the
    /// snapshot's position once the snapshot is read).
    reader: Option<BinlogReader>,
    /// How to start the reader.
    reader_config: (
        crate::mysql::client::MySqlConnectOptions,
        crate::mysql::client::BinlogReaderConfig,
    ),
    /// The initial snapshot, while it runs.
    snapshot: Option<Snapshot>,
    /// `snapshot.mode=initial_only`: stop when the snapshot is done.
    stream: bool,
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
    /// `snapshot.*` and `signal.data.collection`.
    snapshot_config: crate::config::SnapshotConfig,
    /// Signals read in the open transaction, acted on at its end.
    pending_signals: Vec<Signal>,
    /// The Kafka signal channel, checked between transactions.
    signals: Option<KafkaSignalChannel>,
    /// Where snapshot progress is published.
    status: Arc<ConnectorStatus>,
    /// Measures the binlog files behind (`tributary_source_binlog_files_behind`).
    retention: Option<tokio::task::JoinHandle<()>>,
}

/// A running initial snapshot.
struct Snapshot {
    tables: Arc<[SnapshotTable]>,
    progress: SnapshotProgress,
    markers: MarkerSequence,
    read: SnapshotRead,
    /// When the snapshot started (`source.ts_ms` of its records).
    started: EpochNanos,
    report: SnapshotReport,
}

/// How a snapshot's chunks are read.
enum SnapshotRead {
    /// In the one consistent-snapshot transaction, before streaming.
    Consistent(ChunkReader),
    /// While streaming (a resumed snapshot, `snapshot.mode=always`): each chunk in its own
    /// transaction, held until the stream reaches the position its view is exact at.
    Windowed {
        conn: mysql_async::Conn,
        /// The chunks read and not yet emitted, and their position.
        pending: Option<(Vec<Chunk>, BinlogPosition)>,
    },
}

impl std::fmt::Debug for MySqlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MySqlSource")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

/// The tables the schema history follows: the captured ones and the signal table (its
/// rows are read, not emitted).
fn tracked_tables(
    filter: &TableFilter,
    config: &crate::config::SnapshotConfig,
) -> Arc<dyn Fn(&TableId) -> bool + Send + Sync> {
    let filter = filter.clone();
    let signal = config.signal_table.clone();
    Arc::new(move |id: &TableId| {
        filter.captures(&id.database, &id.table)
            || signal
                .as_ref()
                .is_some_and(|(d, t)| *d == id.database && *t == id.table)
    })
}

/// The captured tables the history knows, in name order, as the snapshot reads them.
fn snapshot_tables(
    history: &SchemaHistory,
    filter: &TableFilter,
    config: &crate::config::SnapshotConfig,
) -> Arc<[SnapshotTable]> {
    let mut ids: Vec<TableId> = history
        .model()
        .table_ids()
        .into_iter()
        .filter(|id| filter.captures(&id.database, &id.table))
        .collect();
    ids.sort_by(|a, b| (&a.database, &a.table).cmp(&(&b.database, &b.table)));
    ids.iter()
        .filter_map(|id| SnapshotTable::from_model(history.model(), id, config))
        .collect()
}

/// A first start's history: the captured schema recorded in an empty store.
fn new_history(
    options: HistoryOptions,
    store: &mut (dyn SchemaHistoryStore + Send),
    schema: &crate::mysql::schema::SchemaSnapshot,
) -> Result<SchemaHistory, PipelineError> {
    let mut history = SchemaHistory::new(options);
    history
        .record_snapshot(store, schema)
        .map_err(history_error)?;
    Ok(history)
}

/// A source-side error that knows whether a retry can help: an access-denied or a
/// malformed history must stop the connector with its message, not restart it forever.
trait RetryVerdict: std::fmt::Display {
    fn is_transient(&self) -> bool;
}

impl RetryVerdict for MySqlError {
    fn is_transient(&self) -> bool {
        MySqlError::is_transient(self)
    }
}

impl RetryVerdict for crate::mysql::schema::SchemaError {
    fn is_transient(&self) -> bool {
        crate::mysql::schema::SchemaError::is_transient(self)
    }
}

fn history_error(e: impl RetryVerdict) -> PipelineError {
    PipelineError::MySql {
        message: format!("schema history: {e}"),
        transient: e.is_transient(),
    }
}

fn mysql_error(e: impl RetryVerdict) -> PipelineError {
    PipelineError::MySql {
        message: format!("mysql: {e}"),
        transient: e.is_transient(),
    }
}

impl Drop for MySqlSource {
    fn drop(&mut self) {
        // A source dropped on an error path must not leave its gauge task polling.
        if let Some(retention) = self.retention.take() {
            retention.abort();
        }
    }
}

impl MySqlSource {
    /// Recovers (or captures) the schema history and starts the binlog reader after the
    /// stored offset.
    pub fn start(
        config: &ConnectorConfig,
        my: &MySqlConfig,
        stored: Option<&Map<String, Json>>,
        runtime: tokio::runtime::Handle,
        status: Arc<ConnectorStatus>,
    ) -> Result<Self, PipelineError> {
        let stored_map = stored;
        let stored_progress = match stored {
            Some(map) => SnapshotProgress::read_from(map)?,
            None => None,
        };
        let stored: Option<BinlogOffset> = stored
            .map(|map| serde_json::from_value(Json::Object(map.clone())))
            .transpose()
            .map_err(|e| PipelineError::Decode {
                position: "the stored MySQL offset".to_owned(),
                detail: e.to_string(),
            })?;
        let mode = config.snapshot.mode;
        // when_needed/always: a stored position the server has purged means a new
        // snapshot, as for a new connector (the other modes fail when the reader starts,
        // naming the purged file or GTIDs).
        let position_lost = match &stored {
            Some(offset) if matches!(mode, SnapshotMode::WhenNeeded | SnapshotMode::Always) => {
                match runtime.block_on(check_server(&my.connect, offset, my.reader.prefer_gtid)) {
                    Err(MySqlError::Preflight(
                        lost @ (PreflightError::FilePurged { .. }
                        | PreflightError::GtidPurged { .. }),
                    )) => {
                        tracing::warn!(reason = %lost, mode = mode.name(), "the stored position is gone; taking a new snapshot");
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        let (stored, stored_progress) = if position_lost {
            (None, None)
        } else {
            (stored, stored_progress)
        };
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
                is_captured: tracked_tables(&filter, &config.snapshot),
                ..HistoryOptions::capture_all(config.topic_prefix.clone())
            }
        };
        // A snapshot that was interrupted (its progress is stored), or that
        // `snapshot.mode=always` asks for on a restart, is read while streaming.
        let windowed = match (&stored, stored_progress) {
            (Some(_), Some(progress)) => Some(progress),
            (Some(_), None) if mode == SnapshotMode::Always => Some(SnapshotProgress::new(
                SnapshotKind::Initial,
                Vec::<String>::new(),
            )),
            _ => None,
        };
        let mut snapshot = None;
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
                let records = if position_lost {
                    Vec::new()
                } else {
                    store.records().map_err(history_error)?
                };
                if let Some(first) = records.first() {
                    let position = first.position.clone();
                    tracing::info!(file = %position.file, pos = position.pos, "no stored offset: resuming from the schema history's first position");
                    let history = SchemaHistory::recover(options, store.as_ref(), Some(&position))
                        .map_err(history_error)?;
                    let mut offset = BinlogOffset::at_file(&position.file, position.pos);
                    offset.gtids = position.gtids.clone();
                    offset.server_id = Some(position.server_id);
                    (history, offset, true)
                } else if mode == SnapshotMode::NoData {
                    let tracked = tracked_tables(&filter, &config.snapshot);
                    let schema = runtime
                        .block_on(read_server_schema(
                            &my.connect,
                            &*tracked,
                            my.snapshot_locking,
                        ))
                        .map_err(history_error)?;
                    let history = new_history(options, store.as_mut(), &schema)?;
                    (history, schema.offset.clone(), true)
                } else {
                    // The data and the schema come from one consistent snapshot at the
                    // position the stream will start from.
                    let tracked = tracked_tables(&filter, &config.snapshot);
                    let (mut conn, schema) = runtime
                        .block_on(open_consistent_snapshot(
                            &my.connect,
                            &*tracked,
                            my.snapshot_locking,
                        ))
                        .map_err(history_error)?;
                    let history = new_history(options, store.as_mut(), &schema)?;
                    let tables = snapshot_tables(&history, &filter, &config.snapshot);
                    let progress = SnapshotProgress::new(
                        SnapshotKind::Initial,
                        tables.iter().map(SnapshotTable::name),
                    );
                    let jobs = (0..tables.len())
                        .map(|table| Job { table, after: None })
                        .collect();
                    let estimates = runtime.block_on(estimate_rows(&mut conn, &tables));
                    let report = SnapshotReport::start(Arc::clone(&status), &progress, |name| {
                        estimate_in(&estimates, name)
                    });
                    let _guard = runtime.enter();
                    let reader = ChunkReader::start(conn, Arc::clone(&tables), jobs);
                    tracing::info!(tables = tables.len(), file = %schema.offset.file, pos = schema.offset.pos, "snapshot started tables={} threads=1 resumed=false", tables.len());
                    snapshot = Some(Snapshot {
                        tables,
                        progress,
                        markers: MarkerSequence::new(false),
                        read: SnapshotRead::Consistent(reader),
                        started: super::postgres::now(),
                        report,
                    });
                    // Stored at once with the (empty) progress: a crash before the first
                    // chunk's commit must not look like a finished snapshot.
                    (history, schema.offset.clone(), true)
                }
            }
        };
        let windowed_progress = windowed;
        let windowed = windowed_progress.is_some();
        let stream = mode != SnapshotMode::InitialOnly || windowed;
        let runtime_for_retention = runtime.clone();
        let mut source = Self {
            runtime,
            reader: None,
            reader_config: (my.connect.clone(), my.reader),
            snapshot,
            stream,
            decoder: BinlogDecoder::new(),
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
            snapshot_config: config.snapshot.clone(),
            pending_signals: Vec::new(),
            signals: super::open_signal_channel(config, stored_map)?,
            retention: Some(crate::mysql::client::spawn_files_behind(
                &runtime_for_retention,
                my.connect.clone(),
                Arc::clone(&status),
            )),
            status,
        };
        if let Some(progress) = windowed_progress {
            source.begin_windowed(progress)?;
        }
        if (source.snapshot.is_none() || windowed) && source.stream {
            source.start_reader()?;
        }
        Ok(source)
    }

    /// Starts reading `progress`'s tables (all captured tables when it lists none and has
    /// read nothing) while streaming, chunk by chunk at exact binlog positions.
    fn begin_windowed(&mut self, progress: SnapshotProgress) -> Result<(), PipelineError> {
        let all = snapshot_tables(&self.history, &self.filter, &self.snapshot_config);
        let progress = if progress.tables.is_empty() && progress.rows == 0 {
            SnapshotProgress::new(progress.kind, all.iter().map(SnapshotTable::name))
        } else {
            progress
        };
        let tables: Arc<[SnapshotTable]> = all
            .iter()
            .filter_map(|t| {
                let entry = progress.table(&t.name())?;
                let mut table = t.clone();
                table.query.condition.clone_from(&entry.condition);
                Some(table)
            })
            .collect();
        let mut conn = self
            .runtime
            .block_on(snapshot_session(&self.reader_config.0))
            .map_err(mysql_error)?;
        let estimates = self.runtime.block_on(estimate_rows(&mut conn, &tables));
        let report = SnapshotReport::start(Arc::clone(&self.status), &progress, |name| {
            estimate_in(&estimates, name)
        });
        let resumed = progress.rows > 0;
        tracing::info!(
            tables = progress.tables.len(),
            kind = ?progress.kind,
            "snapshot started (while streaming, at exact binlog positions) resumed={resumed}"
        );
        self.snapshot = Some(Snapshot {
            tables,
            progress,
            markers: MarkerSequence::new(resumed),
            read: SnapshotRead::Windowed {
                conn,
                pending: None,
            },
            started: super::postgres::now(),
            report,
        });
        Ok(())
    }

    /// Acts on the signals the Kafka channel has received; true when there were any (the
    /// channel's new position is then stored with the next commit).
    fn apply_channel_signals(&mut self) -> Result<bool, PipelineError> {
        let signals = match self.signals.as_mut() {
            Some(channel) => channel.due_signals(),
            None => return Ok(false),
        };
        let any = !signals.is_empty();
        for signal in signals {
            self.apply_signal(signal)?;
        }
        Ok(any)
    }

    /// Acts on a signal: starts, extends, stops, pauses or resumes an incremental snapshot.
    fn apply_signal(&mut self, signal: Signal) -> Result<(), PipelineError> {
        tracing::info!(?signal, "signal received");
        let running_kind = self.snapshot.as_ref().map(|s| s.progress.kind);
        match signal {
            Signal::ExecuteSnapshot { tables } => {
                let known = snapshot_tables(&self.history, &self.filter, &self.snapshot_config);
                let (captured, skipped): (Vec<_>, Vec<_>) = tables
                    .into_iter()
                    .partition(|(name, _)| known.iter().any(|t| t.name() == *name));
                for (name, _) in &skipped {
                    tracing::warn!(table = %name, "execute-snapshot names a table that is not captured; skipped");
                }
                let progress = match running_kind {
                    None => Some(SnapshotProgress::new(
                        SnapshotKind::Incremental,
                        Vec::<String>::new(),
                    )),
                    // Extend the running one, keeping what it has read.
                    Some(SnapshotKind::Incremental) => self.snapshot.take().map(|s| s.progress),
                    Some(SnapshotKind::Initial) => {
                        tracing::warn!("execute-snapshot while the initial snapshot runs; ignored");
                        None
                    }
                };
                if let Some(mut progress) = progress {
                    for (name, condition) in captured {
                        progress.add(name, condition);
                    }
                    if !progress.is_done() {
                        self.begin_windowed(progress)?;
                    }
                }
            }
            Signal::StopSnapshot { tables } => {
                if running_kind == Some(SnapshotKind::Incremental)
                    && let Some(snapshot) = self.snapshot.as_mut()
                {
                    snapshot.progress.stop(tables.as_deref());
                    snapshot.report.follow(&snapshot.progress);
                    if let SnapshotRead::Windowed { pending, .. } = &mut snapshot.read {
                        *pending = None;
                    }
                    if snapshot.progress.is_done() {
                        tracing::info!("incremental snapshot stopped");
                        self.finish_snapshot(false)?;
                    }
                }
            }
            Signal::PauseSnapshot | Signal::ResumeSnapshot => {
                if running_kind == Some(SnapshotKind::Incremental)
                    && let Some(snapshot) = self.snapshot.as_mut()
                {
                    snapshot.progress.paused = matches!(signal, Signal::PauseSnapshot);
                    snapshot.report.follow(&snapshot.progress);
                }
            }
            Signal::Log(message) => tracing::info!(%message, "log signal"),
        }
        Ok(())
    }

    /// Starts the binlog stream at the current offset.
    fn start_reader(&mut self) -> Result<(), PipelineError> {
        let (connect, config) = &self.reader_config;
        let reader = self
            .runtime
            .block_on(start_binlog_reader(connect.clone(), *config, &self.offset))
            .map_err(mysql_error)?;
        self.decoder.set_checksum_algorithm(reader.server.checksum);
        tracing::info!(file = %self.offset.file, pos = self.offset.pos, gtids = ?self.offset.gtids, "streaming from the binlog");
        self.reader = Some(reader);
        Ok(())
    }

    /// Stops the reader.
    pub fn close(mut self) {
        if let Some(retention) = self.retention.take() {
            retention.abort();
        }
        if let Some(reader) = self.reader.take() {
            drop(reader.events);
            reader.task.abort();
        }
    }

    /// Receives the next snapshot chunk and emits its rows as `r` records.
    fn poll_snapshot(
        &mut self,
        wait: Duration,
        emitter: &mut Emitter<'_>,
    ) -> Result<Polled, PipelineError> {
        let Some(snapshot) = self.snapshot.as_mut() else {
            return Ok(Polled::Timeout);
        };
        if snapshot.progress.is_done() {
            // No captured table: nothing to read.
            self.finish_snapshot(true)?;
            return Ok(Polled::Idle);
        }
        let chunks = match &mut snapshot.read {
            SnapshotRead::Consistent(reader) => &mut reader.chunks,
            SnapshotRead::Windowed { .. } => return self.poll_windowed(wait, emitter),
        };
        let received = self
            .runtime
            .block_on(async { tokio::time::timeout(wait, chunks.recv()).await });
        let chunk = match received {
            Err(_) => return Ok(Polled::Timeout),
            Ok(None) => {
                return Err(PipelineError::Stopped(
                    "the snapshot reader stopped before the snapshot was complete".to_owned(),
                ));
            }
            Ok(Some(Err(err))) => return Err(mysql_error(err)),
            Ok(Some(Ok(chunk))) => chunk,
        };
        let file = self.offset.file.clone();
        self.deliver_chunk(&chunk, &file, self.offset.pos, emitter)?;
        if self.snapshot.as_ref().is_some_and(|s| s.progress.is_done()) {
            self.finish_snapshot(true)?;
        }
        Ok(Polled::Event)
    }

    /// A snapshot read while streaming: reads the next chunk when none is pending, emits
    /// the pending one once the stream has reached its position, and otherwise streams.
    fn poll_windowed(
        &mut self,
        wait: Duration,
        emitter: &mut Emitter<'_>,
    ) -> Result<Polled, PipelineError> {
        let Some(snapshot) = self.snapshot.as_mut() else {
            return self.poll_stream(wait, emitter);
        };
        let SnapshotRead::Windowed { conn, pending } = &mut snapshot.read else {
            return self.poll_stream(wait, emitter);
        };
        if pending.is_none() && snapshot.progress.paused {
            return self.poll_stream(wait, emitter);
        }
        if pending.is_none() {
            let Some(next) = snapshot.progress.tables.first() else {
                self.finish_snapshot(true)?;
                return Ok(Polled::Idle);
            };
            let Some(index) = snapshot.tables.iter().position(|t| t.name() == next.table) else {
                return Err(PipelineError::Stopped(format!(
                    "the stored snapshot progress names table {}, which is no longer captured \
                     or known to the schema history",
                    next.table
                )));
            };
            let after = next.after.clone();
            let table = &snapshot.tables[index];
            let (chunks, file, pos) = self
                .runtime
                .block_on(read_chunk_at_position(conn, table, index, after.as_deref()))
                .map_err(mysql_error)?;
            *pending = Some((
                chunks,
                BinlogPosition {
                    file,
                    pos,
                    gtids: None,
                    server_id: 0,
                    ts_sec: 0,
                },
            ));
        }
        let here = BinlogPosition {
            file: self.offset.file.clone(),
            pos: self.offset.pos,
            gtids: None,
            server_id: 0,
            ts_sec: 0,
        };
        let reached = self.offset.event == 0
            && pending
                .as_ref()
                .is_some_and(|(_, at)| here.cmp_binlog(at) != std::cmp::Ordering::Less);
        if !reached {
            return self.poll_stream(wait, emitter);
        }
        let Some((chunks, at)) = pending.take() else {
            return Ok(Polled::Timeout);
        };
        for chunk in &chunks {
            self.deliver_chunk(chunk, &at.file, at.pos, emitter)?;
        }
        if self.snapshot.as_ref().is_some_and(|s| s.progress.is_done()) {
            self.finish_snapshot(true)?;
        }
        Ok(Polled::Event)
    }

    /// The snapshot is read: start the stream at its position (or stop, `initial_only`).
    fn finish_snapshot(&mut self, completed: bool) -> Result<(), PipelineError> {
        let Some(snapshot) = self.snapshot.take() else {
            return Ok(());
        };
        let windowed = matches!(snapshot.read, SnapshotRead::Windowed { .. });
        let summary = snapshot.report.end(completed);
        if completed {
            tracing::info!(
                rows = summary.rows_done,
                seconds = summary.elapsed.as_secs_f64(),
                rows_per_second = summary.rows_per_second.round() as u64,
                "snapshot completed rows={}",
                summary.rows_done
            );
        }
        if windowed {
            return Ok(());
        }
        if self.stream {
            self.start_reader()?;
        } else {
            tracing::info!("snapshot.mode=initial_only: the snapshot is complete; stopping");
        }
        Ok(())
    }

    /// Emits a chunk's rows as `r` records at binlog position `file`:`pos` — where the
    /// chunk's view is exact — and records the progress.
    fn deliver_chunk(
        &mut self,
        chunk: &Chunk,
        file: &str,
        pos: u64,
        emitter: &mut Emitter<'_>,
    ) -> Result<(), PipelineError> {
        let Some(snapshot) = self.snapshot.as_mut() else {
            return Ok(());
        };
        let Some(table) = snapshot.tables.get(chunk.table) else {
            return Err(PipelineError::Stopped(format!(
                "snapshot chunk of unknown table {}",
                chunk.table
            )));
        };
        let name = table.name();
        let id = table.id.clone();
        if !self.tables.contains_key(&id) {
            let captured = self
                .history
                .captured_table(&id, self.connector)
                .map_err(history_error)?
                .ok_or_else(|| PipelineError::Decode {
                    position: format!("snapshot of {name}"),
                    detail: "the schema history does not know the table".to_owned(),
                })?;
            let schema = self.builder.table_schema(&captured.description)?;
            self.tables.insert(id.clone(), Table { captured, schema });
        }
        let Some(schema_table) = self.tables.get(&id) else {
            return Ok(());
        };
        let before = snapshot.progress.table(&name).map_or(0, |t| t.rows);
        let last_table = snapshot.progress.tables.len() == 1;
        let at = tributary_decoders::binlog::Position {
            file: Some(Arc::from(file)),
            offset: pos,
        };
        let server_id = i64::from(self.offset.server_id.unwrap_or(0));
        let mut values: Vec<Option<&[u8]>> = Vec::new();
        for (place, row) in chunk.rows.iter().enumerate() {
            values.clear();
            for i in 0..row.len() {
                values.push(match row.as_ref(i) {
                    Some(mysql_async::Value::Bytes(bytes)) => Some(bytes.as_slice()),
                    Some(mysql_async::Value::NULL) | None => None,
                    Some(_) => {
                        return Err(PipelineError::Decode {
                            position: format!("snapshot of {name}"),
                            detail: format!("column {i} is not text-protocol bytes"),
                        });
                    }
                });
            }
            schema_table
                .captured
                .converter
                .convert_text_row(&values, &chunk.float32, &at, &mut self.after)
                .map_err(|e| PipelineError::Decode {
                    position: format!("snapshot of {name}"),
                    detail: e.to_string(),
                })?;
            let marker = super::snapshot_marker(
                &mut snapshot.markers,
                snapshot.progress.kind == SnapshotKind::Incremental,
                RowPlace {
                    first_in_table: before == 0 && place == 0,
                    last_in_table: chunk.last && place + 1 == chunk.rows.len(),
                    last_table,
                },
            );
            let change = RowChange {
                op: Operation::Read,
                before: None,
                after: Some(self.after.as_slice()),
                source: SourcePosition::Binlog(BinlogSource {
                    event_time: snapshot.started,
                    snapshot: marker,
                    server_id,
                    gtid: None,
                    file,
                    pos: i64::try_from(pos).unwrap_or(i64::MAX),
                    row: 0,
                    thread: None,
                    query: None,
                }),
                transaction: None,
                processed_at: super::postgres::now(),
            };
            let mut records: Vec<ChangeRecord<'_>> = Vec::with_capacity(1);
            let events = self
                .builder
                .row_change(&schema_table.schema, &change, &mut records)?;
            for record in records {
                emitter.emit(record)?;
            }
            if events > 0 {
                emitter.count_event(change.op, change.source.time());
            }
        }
        let delivered = chunk.rows.len() as u64;
        snapshot
            .progress
            .delivered(&name, delivered, chunk.last_key.clone());
        if chunk.last {
            snapshot.progress.finished(&name);
            tracing::info!(table = %name, rows = before + delivered, remaining_tables = snapshot.progress.tables.len(), "snapshot of table done");
        }
        snapshot
            .report
            .delivered(&name, delivered, chunk.last, snapshot.progress.paused);
        Ok(())
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
                    if self
                        .snapshot_config
                        .is_signal_table(&map.schema, &map.table)
                    {
                        self.read_signals(rows, skip_rows)?;
                    }
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
                            emitter.count_event(row_change.op, row_change.source.time());
                        }
                    }
                }
                _ => {}
            }
        }
        self.offset = event_offset.clone();
        if self.offset.event == 0 {
            self.gtid = None;
            // Acted on once their transaction is complete: the snapshot they change is
            // stored with the offset after it.
            for signal in std::mem::take(&mut self.pending_signals) {
                self.apply_signal(signal)?;
            }
        }
        Ok(())
    }

    /// Reads the inserted rows of a signal-table rows event into `pending_signals`.
    fn read_signals(
        &mut self,
        rows: &tributary_decoders::binlog::RowsEvent<'_>,
        skip_rows: u64,
    ) -> Result<(), PipelineError> {
        let map = rows.table();
        let id = TableId::new(&map.schema, &map.table);
        let Some(captured) = self
            .history
            .captured_table(&id, self.connector)
            .map_err(history_error)?
        else {
            tracing::warn!(table = %id, "rows of the signal table, which the schema history does not know; ignored");
            return Ok(());
        };
        let mut values = Vec::new();
        for change in rows
            .rows()
            .skip(usize::try_from(skip_rows).unwrap_or(usize::MAX))
        {
            let Ok(BinlogRowChange::Insert(row)) = change else {
                continue;
            };
            let signal = captured
                .converter
                .convert_row(&row, rows.position(), &mut values)
                .map_err(|e| e.to_string())
                .and_then(|()| super::signal_from_row(&values));
            match signal {
                Ok(signal) => self.pending_signals.push(signal),
                Err(detail) => {
                    tracing::warn!(%detail, position = %rows.position(), "signal ignored")
                }
            }
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
        if self.offset.event == 0 && self.apply_channel_signals()? {
            return Ok(Polled::Idle);
        }
        if self.snapshot.is_some() {
            return self.poll_snapshot(wait, emitter);
        }
        self.poll_stream(wait, emitter)
    }

    fn offset(&self) -> Map<String, Json> {
        let mut offset = match serde_json::to_value(&self.offset) {
            Ok(Json::Object(map)) => map,
            _ => Map::new(),
        };
        if let Some(snapshot) = &self.snapshot {
            snapshot.progress.write_into(&mut offset);
            // Debezium's own key, so its tools see a snapshot in progress.
            offset.insert("snapshot".into(), true.into());
        }
        if let Some(channel) = &self.signals {
            channel.write_into(&mut offset);
        }
        offset
    }

    fn at_boundary(&self) -> bool {
        self.offset.event == 0
    }

    fn on_committed(&self) -> Option<OnCommitted> {
        // Nothing to acknowledge: the binlog is read, not consumed. The committed file
        // feeds the files-behind gauge; a crash point for the snapshot tests.
        let status = Arc::clone(&self.status);
        let file = self.offset.file.clone();
        let snapshot = self.snapshot.is_some();
        Some(Box::new(move || {
            if !file.is_empty() {
                status.stream.set_binlog_file(&file);
            }
            if snapshot {
                crate::failpoint::hit("mysql-snapshot-committed");
            }
        }))
    }
}

impl MySqlSource {
    /// Waits up to `wait` for the next binlog event and emits its records.
    fn poll_stream(
        &mut self,
        wait: Duration,
        emitter: &mut Emitter<'_>,
    ) -> Result<Polled, PipelineError> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(Polled::Finished);
        };
        let event = self
            .runtime
            .block_on(async { tokio::time::timeout(wait, reader.events.recv()).await });
        match event {
            Err(_) => Ok(Polled::Timeout),
            Ok(None) => {
                let result = match self.reader.as_mut() {
                    Some(reader) => self.runtime.block_on(&mut reader.task),
                    None => Ok(Ok(())),
                };
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
}

/// The server's row estimate for table `name`.
fn estimate_in(estimates: &[(String, u64)], name: &str) -> Option<u64> {
    estimates.iter().find(|(t, _)| t == name).map(|(_, n)| *n)
}
