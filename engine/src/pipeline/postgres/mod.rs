//! The PostgreSQL side of the pipeline: start-up (checks, publication, slot, position), and
//! pgoutput messages → Debezium change records.
//!
//! # Positions
//! Source transactions are never split by acknowledgement: the flush LSN reported to the
//! server is the end LSN of the last source transaction wholly in Kafka. A Kafka transaction
//! may still end inside a large source transaction; the offset then records how many of its
//! changes are delivered ([`offset::PgOffset::partial`]), and after a restart the server
//! resends the transaction and those changes are skipped. Transactions whose commit LSN is
//! below the stored `lsn_commit` are skipped whole: the slot may lag the offsets topic by
//! one commit (crash between the Kafka commit and the acknowledgement).

pub mod catalog;
pub mod offset;
mod retention;
pub mod snapshot;
pub mod windowed;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};
use tokio::sync::watch;
use tributary_decoders::pgoutput::values::{RowDecoder, UnknownColumn};
use tributary_decoders::pgoutput::{Decoder, Lsn, Message, Oid, OldTuple, RelationInfo, TupleData};
use tributary_envelope::event::{LogicalMessage, RowChange, TableSchema, TransactionBlock};
use tributary_envelope::options::Operation;
use tributary_envelope::{
    ChangeRecord, EpochNanos, EventBuilder, PostgresSource as SourceBlock, SnapshotMarker,
    SourcePosition, Value,
};

use tributary_snapshot::marker::RowPlace;
use tributary_snapshot::mode::{PositionLost, SnapshotStart, Stored};
use tributary_snapshot::progress::SnapshotKind;
use tributary_snapshot::window::RecentXids;
use tributary_snapshot::{MarkerSequence, Signal, SnapshotMode, SnapshotProgress};

use self::catalog::Catalog;
use self::offset::PgOffset;
use self::snapshot::{
    Job, RowArena, SnapshotReaders, SnapshotTable, captured_tables, export_snapshot,
    import_snapshot,
};
use self::windowed::{OpenWindow, WATERMARK_PREFIX, read_window, tuple_key};
use super::progress::SnapshotReport;
use super::sink::OnCommitted;
use super::{ChangeSource, Emitter, PipelineError, Polled};
use crate::config::{ConnectorConfig, PostgresConfig, TableFilter};
use crate::kafka::KafkaSignalChannel;
use crate::postgres::{
    PgError, PgOutputOptions, ReplicationSession, SlotSnapshot, SlotState, SqlSession,
    StoredPosition, WalEvent, WalReader, WalReaderConfig, check_position, check_server,
    connect_replication, ensure_publication, ensure_slot, pgoutput_protocol_for, spawn_wal_reader,
    split_data_row,
};
use crate::status::ConnectorStatus;

/// A captured (or deliberately ignored) table at its current schema version.
struct Table {
    info: RelationInfo,
    decoder: RowDecoder,
    /// `None` when the filter leaves the table out.
    schema: Option<Arc<TableSchema>>,
}

/// The source transaction being read.
struct OpenTransaction {
    xid: u32,
    final_lsn: Lsn,
    commit_time: EpochNanos,
    /// Changes seen so far (delivered or skipped).
    seen: u64,
    /// Changes at the start to skip: already in Kafka before a restart.
    skip: u64,
    /// `<txId>:<LSN>` for transaction metadata.
    id: String,
    total_order: i64,
    /// Events per data collection, for the END record.
    per_collection: Vec<(String, i64)>,
}

/// Reads one PostgreSQL database through a replication slot.
pub struct PostgresSource {
    runtime: tokio::runtime::Handle,
    reader: Option<WalReader>,
    durable: Arc<watch::Sender<Lsn>>,
    catalog: Catalog,
    filter: TableFilter,
    builder: EventBuilder,
    decoder: Decoder,
    tables: HashMap<Oid, Table>,
    transaction: Option<OpenTransaction>,
    offset: PgOffset,
    slot_name: String,
    drop_slot_on_stop: bool,
    connect: crate::postgres::PgConnectOptions,
    before: Vec<Value>,
    after: Vec<Value>,
    /// The snapshot being read, if any.
    snapshot: Option<Snapshot>,
    /// The replication session kept idle while an exported snapshot is read.
    pending_stream: Option<PendingStream>,
    /// Whether the source streams (false for `initial_only`).
    stream: bool,
    status_interval: Duration,
    /// The last transactions streamed, to detect a window read that raced a commit.
    recent: RecentXids,
    /// Where snapshot progress is published.
    status: Arc<ConnectorStatus>,
    /// `snapshot.*` and `signal.data.collection`.
    snapshot_config: crate::config::SnapshotConfig,
    /// Signals read in the open transaction, acted on at its commit.
    pending_signals: Vec<Signal>,
    /// The Kafka signal channel, checked between transactions.
    signals: Option<KafkaSignalChannel>,
    /// Measures the WAL the slot retains (`tributary_source_retained_bytes`).
    retention: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for PostgresSource {
    fn drop(&mut self) {
        // A source dropped on an error path must not leave its gauge task polling.
        if let Some(retention) = self.retention.take() {
            retention.abort();
        }
    }
}

/// How a start begins.
enum Begin {
    /// Read the slot's exported snapshot, then stream from its consistent point.
    Exported { name: String, start: Lsn },
    /// Stream from `start` and read `progress`'s tables in watermark windows.
    Windowed {
        start: Lsn,
        progress: SnapshotProgress,
    },
    /// Stream from `start`.
    Stream { start: Lsn },
}

impl Begin {
    fn start(&self) -> Lsn {
        match self {
            Begin::Exported { start, .. }
            | Begin::Windowed { start, .. }
            | Begin::Stream { start } => *start,
        }
    }
}

/// The replication session waiting for the snapshot.
struct PendingStream {
    session: ReplicationSession,
    start: Lsn,
    options: PgOutputOptions,
}

/// A snapshot in progress.
struct Snapshot {
    tables: Vec<SnapshotTable>,
    progress: SnapshotProgress,
    markers: MarkerSequence,
    read: SnapshotRead,
    report: SnapshotReport,
}

/// How its chunks are read.
// One value per running snapshot, never moved on a hot path: the size difference is moot.
#[allow(clippy::large_enum_variant)]
enum SnapshotRead {
    /// In one exported snapshot, before streaming.
    Exported(SnapshotReaders),
    /// In watermark windows while streaming.
    Windowed {
        session: SqlSession,
        open: Option<OpenWindow>,
        /// Whether watermark messages are written (turned off when not allowed).
        nudge: bool,
    },
}

/// Keeps the tables `progress` still lists (all captured tables when it lists none and
/// has delivered nothing), in its order, and fills in a new progress.
fn select_tables(
    tables: Vec<SnapshotTable>,
    progress: SnapshotProgress,
) -> (Vec<SnapshotTable>, SnapshotProgress) {
    if progress.tables.is_empty() && progress.rows == 0 {
        let progress = SnapshotProgress::new(progress.kind, tables.iter().map(SnapshotTable::name));
        return (tables, progress);
    }
    let mut selected = Vec::with_capacity(progress.tables.len());
    let mut progress = progress;
    let mut gone = Vec::new();
    for entry in &progress.tables {
        match tables.iter().find(|t| t.name() == entry.table) {
            Some(table) => selected.push(table.clone()),
            None => gone.push(entry.table.clone()),
        }
    }
    for table in gone {
        tracing::warn!(%table, "table of the interrupted snapshot no longer exists or is no longer captured; skipped");
        progress.finished(&table);
    }
    (selected, progress)
}

impl std::fmt::Debug for PostgresSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresSource")
            .field("slot", &self.slot_name)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl PostgresSource {
    /// Checks the server, prepares publication and slot, checks the stored position, and
    /// starts what `snapshot.mode` asks for: a snapshot, streaming, or both.
    pub fn start(
        config: &ConnectorConfig,
        pg: &PostgresConfig,
        stored_json: Option<&Map<String, Json>>,
        runtime: tokio::runtime::Handle,
        status: Arc<ConnectorStatus>,
    ) -> Result<Self, PipelineError> {
        let stored = stored_json.map(PgOffset::from_json).transpose()?;
        let stored_progress = match stored_json {
            Some(map) => SnapshotProgress::read_from(map)?,
            None => None,
        };
        let stored_state = match (&stored, &stored_progress) {
            (None, _) => Stored::Nothing,
            (Some(_), Some(_)) => Stored::SnapshotRunning,
            (Some(_), None) => Stored::Streaming,
        };
        let mode = config.snapshot.mode;
        if mode == SnapshotMode::InitialOnly {
            return Self::start_initial_only(
                config,
                pg,
                stored,
                stored_progress,
                stored_state,
                runtime,
                status,
            );
        }
        let rt = runtime.clone();
        let (session, catalog, identity, begin, discard_stored) = rt.block_on(async {
            let mut discard_stored = false;
            let mut session = connect_replication(&pg.connect).await?;
            check_server(&mut session, &pg.connect.user).await?;
            let identity = session.identify_system().await?;
            let mut catalog = Catalog::new(ReplicationSession::connect(&pg.connect).await?);
            let captured = catalog
                .tables()
                .await?
                .into_iter()
                .filter(|(s, t)| {
                    config.tables.captures(s, t) || config.snapshot.is_signal_table(s, t)
                })
                .collect();
            ensure_publication(
                &mut session,
                &pg.publication_name,
                &pg.publication_autocreate.resolve(captured),
            )
            .await?;
            let export = stored.is_none() && mode != SnapshotMode::NoData;
            let slot = ensure_slot(
                &mut session,
                &pg.slot_name,
                &pg.connect.dbname,
                if export { SlotSnapshot::Export } else { SlotSnapshot::Nothing },
            )
            .await?;
            // Where the stored position would resume, or why it cannot.
            let resume: Result<Lsn, PipelineError> = match (&slot, &stored) {
                (SlotState::Existing(info), Some(offset)) => check_position(
                    &pg.slot_name,
                    &identity,
                    info,
                    &StoredPosition {
                        system_id: offset.system_id.as_deref(),
                        timeline: offset.timeline,
                        lsn: offset.lsn_commit,
                    },
                )
                .map(|()| info.confirmed_flush.unwrap_or(offset.lsn_commit))
                .map_err(PipelineError::from),
                (SlotState::Existing(info), None) => Ok(info.confirmed_flush.unwrap_or_default()),
                // A new slot for a stored position: changes between the two are lost.
                (SlotState::Created(created), Some(offset)) => {
                    Err(PipelineError::Position(crate::postgres::PositionError::SlotAhead {
                        slot: pg.slot_name.clone(),
                        confirmed_flush: created.consistent_point,
                        stored: offset.lsn_commit,
                    }))
                }
                (SlotState::Created(created), None) => Ok(created.consistent_point),
            };
            let plan = match mode.plan(stored_state, resume.is_ok()) {
                Ok(plan) => plan,
                Err(PositionLost) => {
                    // A slot created only to find the stored position gone would hold WAL
                    // back until someone drops it: leave the server as it was.
                    if matches!(slot, SlotState::Created(_)) {
                        let _ = session.drop_slot(&pg.slot_name).await;
                    }
                    return Err(resume.err().unwrap_or_else(|| {
                        PipelineError::Stopped("the stored position cannot be resumed".to_owned())
                    }));
                }
            };
            let all_tables = || SnapshotProgress::new(SnapshotKind::Initial, Vec::<String>::new());
            let begin = match plan.snapshot {
                SnapshotStart::Fresh => match slot {
                    SlotState::Created(created) if stored.is_none() => match created.snapshot_name {
                        Some(name) => Begin::Exported { name, start: created.consistent_point },
                        None => Begin::Windowed { start: created.consistent_point, progress: all_tables() },
                    },
                    // The slot exists but no offset does (deleted offsets): its exported
                    // snapshot is long gone, so read the tables while streaming from it.
                    SlotState::Existing(_) if stored.is_none() => Begin::Windowed {
                        start: resume.as_ref().copied().unwrap_or_default(),
                        progress: all_tables(),
                    },
                    _ => {
                        tracing::warn!(slot = %pg.slot_name, mode = mode.name(), "the stored position is gone; recreating the slot and taking a new snapshot");
                        session.drop_slot(&pg.slot_name).await?;
                        let created = session
                            .create_logical_slot(&pg.slot_name, SlotSnapshot::Export)
                            .await?;
                        discard_stored = true;
                        match created.snapshot_name {
                            Some(name) => Begin::Exported { name, start: created.consistent_point },
                            None => Begin::Windowed { start: created.consistent_point, progress: all_tables() },
                        }
                    }
                },
                SnapshotStart::Resume => Begin::Windowed {
                    start: resume?,
                    progress: stored_progress.unwrap_or_else(all_tables),
                },
                SnapshotStart::WhileStreaming => Begin::Windowed { start: resume?, progress: all_tables() },
                SnapshotStart::None => Begin::Stream { start: resume? },
            };
            Ok::<_, PipelineError>((session, catalog, identity, begin, discard_stored))
        })?;
        let major = session.server_major_version().unwrap_or(10);
        let protocol = pgoutput_protocol_for(major);
        let options = PgOutputOptions {
            proto_version: protocol,
            publications: vec![pg.publication_name.clone()],
            messages: protocol >= 2,
            streaming: false,
        };
        let start = begin.start();
        let stored = if discard_stored { None } else { stored };
        let mut offset = stored.unwrap_or(PgOffset {
            lsn_commit: start,
            lsn_proc: start,
            ..PgOffset::default()
        });
        offset.system_id = Some(identity.system_id);
        offset.timeline = Some(identity.timeline);
        let mut source = Self {
            runtime,
            reader: None,
            durable: Arc::new(watch::channel(start).0),
            catalog,
            filter: config.tables.clone(),
            builder: EventBuilder::new(config.envelope.clone())?,
            decoder: Decoder::new(protocol),
            tables: HashMap::new(),
            transaction: None,
            offset,
            slot_name: pg.slot_name.clone(),
            drop_slot_on_stop: pg.slot_drop_on_stop,
            connect: pg.connect.clone(),
            before: Vec::new(),
            after: Vec::new(),
            snapshot: None,
            pending_stream: None,
            stream: true,
            status_interval: pg.status_interval,
            recent: RecentXids::new(64),
            status: Arc::clone(&status),
            snapshot_config: config.snapshot.clone(),
            pending_signals: Vec::new(),
            signals: super::open_signal_channel(config, stored_json)?,
            retention: None,
        };
        source.retention = Some(retention::spawn(
            &source.runtime,
            pg.connect.clone(),
            &pg.slot_name,
            Arc::clone(&status),
        ));
        match begin {
            Begin::Exported { name, start } => {
                source.pending_stream = Some(PendingStream {
                    session,
                    start,
                    options,
                });
                source.start_exported(
                    config,
                    name,
                    None,
                    SnapshotProgress::new(SnapshotKind::Initial, Vec::<String>::new()),
                )?;
            }
            Begin::Windowed { start, progress } => {
                source.start_streaming(session, start, &options)?;
                source.start_windowed(progress)?;
            }
            Begin::Stream { start } => source.start_streaming(session, start, &options)?,
        }
        Ok(source)
    }

    /// `initial_only`: no slot and no stream; one snapshot (exported by its first reading
    /// session), resumed at its next chunk after a crash, then the connector stops.
    fn start_initial_only(
        config: &ConnectorConfig,
        pg: &PostgresConfig,
        stored: Option<PgOffset>,
        stored_progress: Option<SnapshotProgress>,
        stored_state: Stored,
        runtime: tokio::runtime::Handle,
        status: Arc<ConnectorStatus>,
    ) -> Result<Self, PipelineError> {
        let plan = SnapshotMode::InitialOnly
            .plan(stored_state, true)
            .map_err(|PositionLost| PipelineError::Stopped("position lost".to_owned()))?;
        let rt = runtime.clone();
        let (catalog, identity) = rt.block_on(async {
            let mut session = connect_replication(&pg.connect).await?;
            check_server(&mut session, &pg.connect.user).await?;
            let identity = session.identify_system().await?;
            let catalog = Catalog::new(session);
            Ok::<_, PipelineError>((catalog, identity))
        })?;
        let mut offset = stored.unwrap_or(PgOffset {
            lsn_commit: identity.xlog_pos,
            lsn_proc: identity.xlog_pos,
            ..PgOffset::default()
        });
        offset.system_id = Some(identity.system_id);
        offset.timeline = Some(identity.timeline);
        let mut source = Self {
            runtime,
            reader: None,
            durable: Arc::new(watch::channel(offset.lsn_commit).0),
            catalog,
            filter: config.tables.clone(),
            builder: EventBuilder::new(config.envelope.clone())?,
            decoder: Decoder::new(1),
            tables: HashMap::new(),
            transaction: None,
            offset,
            slot_name: pg.slot_name.clone(),
            drop_slot_on_stop: false,
            connect: pg.connect.clone(),
            before: Vec::new(),
            after: Vec::new(),
            snapshot: None,
            pending_stream: None,
            stream: false,
            status_interval: pg.status_interval,
            recent: RecentXids::new(64),
            status: Arc::clone(&status),
            snapshot_config: config.snapshot.clone(),
            pending_signals: Vec::new(),
            // initial_only stops after the snapshot: there is nothing to signal.
            signals: None,
            retention: None,
        };
        match plan.snapshot {
            SnapshotStart::None => {
                tracing::info!(
                    "snapshot.mode=initial_only: the snapshot is complete; nothing to do"
                );
            }
            _ => {
                let (session, name) = source.runtime.block_on(export_snapshot(&pg.connect))?;
                let progress = stored_progress.unwrap_or_else(|| {
                    SnapshotProgress::new(SnapshotKind::Initial, Vec::<String>::new())
                });
                source.start_exported(config, name, Some(session), progress)?;
            }
        }
        Ok(source)
    }

    /// Starts the WAL reader on `session` from `start`.
    fn start_streaming(
        &mut self,
        session: ReplicationSession,
        start: Lsn,
        options: &PgOutputOptions,
    ) -> Result<(), PipelineError> {
        let stream = self.runtime.block_on(session.start_logical_replication(
            &self.slot_name,
            start,
            options,
        ))?;
        let reader = {
            let _guard = self.runtime.enter();
            spawn_wal_reader(
                stream,
                start,
                WalReaderConfig {
                    status_interval: self.status_interval,
                    ..WalReaderConfig::default()
                },
            )
        };
        self.decoder = Decoder::new(options.proto_version);
        self.reader = Some(reader);
        tracing::info!(slot = %self.slot_name, %start, protocol = options.proto_version, "streaming from PostgreSQL");
        self.forward_acks();
        Ok(())
    }

    /// Starts the reading sessions of a snapshot in `snapshot_name`. `first` is a session
    /// already in it (`initial_only`); otherwise one is opened. An empty `progress` means
    /// every captured table from the start.
    fn start_exported(
        &mut self,
        config: &ConnectorConfig,
        snapshot_name: String,
        first: Option<SqlSession>,
        progress: SnapshotProgress,
    ) -> Result<(), PipelineError> {
        let connect = self.connect.clone();
        let (first, tables) = self.runtime.block_on(async {
            let mut first = match first {
                Some(session) => session,
                None => import_snapshot(&connect, &snapshot_name).await?,
            };
            let tables = captured_tables(&mut first, &config.tables, &config.snapshot).await?;
            Ok::<_, PgError>((first, tables))
        })?;
        let (tables, progress) = select_tables(tables, progress);
        for table in &tables {
            self.learn_relation(table.info.clone())?;
        }
        let jobs = tables
            .iter()
            .enumerate()
            .map(|(i, t)| Job {
                table: i,
                query: t.query.clone(),
                key_index: t.key_index.clone(),
                after: progress.table(&t.name()).and_then(|p| p.after.clone()),
            })
            .collect();
        let resumed = progress.rows > 0;
        tracing::info!(
            tables = tables.len(),
            threads = config.snapshot.max_threads,
            resumed,
            "snapshot started"
        );
        let readers = {
            let _guard = self.runtime.enter();
            SnapshotReaders::start(
                first,
                &connect,
                snapshot_name,
                config.snapshot.max_threads,
                jobs,
            )
        };
        let report = SnapshotReport::start(Arc::clone(&self.status), &progress, |name| {
            estimate_of(&tables, name)
        });
        self.snapshot = Some(Snapshot {
            tables,
            progress,
            markers: MarkerSequence::new(resumed),
            read: SnapshotRead::Exported(readers),
            report,
        });
        Ok(())
    }

    /// Starts a snapshot of `progress`'s tables (all captured tables when it is empty) read
    /// in watermark windows while streaming.
    fn start_windowed(&mut self, progress: SnapshotProgress) -> Result<(), PipelineError> {
        let connect = self.connect.clone();
        let filter = self.filter.clone();
        let config = self.snapshot_config.clone();
        let (session, tables) = self.runtime.block_on(async {
            let mut session = SqlSession::connect(&connect).await?;
            session
                .simple_query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
            let tables = captured_tables(&mut session, &filter, &config).await?;
            session.simple_query("COMMIT").await?;
            Ok::<_, PgError>((session, tables))
        })?;
        let (mut tables, progress) = select_tables(tables, progress);
        for table in &mut tables {
            table.query.condition = progress
                .table(&table.name())
                .and_then(|t| t.condition.clone());
        }
        for table in &tables {
            if !self.tables.contains_key(&table.info.oid) {
                self.learn_relation(table.info.clone())?;
            }
        }
        let resumed = progress.rows > 0;
        tracing::info!(
            tables = tables.len(),
            resumed,
            "snapshot started (while streaming, in watermark windows)"
        );
        let report = SnapshotReport::start(Arc::clone(&self.status), &progress, |name| {
            estimate_of(&tables, name)
        });
        self.snapshot = Some(Snapshot {
            tables,
            progress,
            markers: MarkerSequence::new(resumed),
            report,
            read: SnapshotRead::Windowed {
                session,
                open: None,
                nudge: true,
            },
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
                let (captured, skipped): (Vec<_>, Vec<_>) =
                    tables.into_iter().partition(|(name, _)| {
                        name.split_once('.')
                            .is_some_and(|(n, t)| self.filter.captures(n, t))
                    });
                for (name, _) in &skipped {
                    tracing::warn!(table = %name, "execute-snapshot names a table that is not captured; skipped");
                }
                match running_kind {
                    None => {
                        let mut progress =
                            SnapshotProgress::new(SnapshotKind::Incremental, Vec::<String>::new());
                        for (name, condition) in captured {
                            progress.add(name, condition);
                        }
                        if !progress.is_done() {
                            self.start_windowed(progress)?;
                        }
                    }
                    Some(SnapshotKind::Incremental) => {
                        // Extend the running one: restart it over the union, keeping what
                        // it has read.
                        if let Some(running) = self.snapshot.take() {
                            let mut progress = running.progress;
                            for (name, condition) in captured {
                                progress.add(name, condition);
                            }
                            self.start_windowed(progress)?;
                        }
                    }
                    Some(SnapshotKind::Initial) => {
                        tracing::warn!("execute-snapshot while the initial snapshot runs; ignored");
                    }
                }
            }
            Signal::StopSnapshot { tables } => {
                if running_kind == Some(SnapshotKind::Incremental)
                    && let Some(snapshot) = self.snapshot.as_mut()
                {
                    snapshot.progress.stop(tables.as_deref());
                    snapshot.report.follow(&snapshot.progress);
                    if let SnapshotRead::Windowed { open, .. } = &mut snapshot.read
                        && open.as_ref().is_some_and(|o| {
                            snapshot
                                .tables
                                .get(o.table)
                                .is_none_or(|t| snapshot.progress.table(&t.name()).is_none())
                        })
                    {
                        *open = None;
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

    /// The sink's acknowledgements reach the reader through a watch channel of our own, so
    /// the closure the sink thread runs does not hold the reader.
    fn forward_acks(&mut self) {
        let Some(reader) = self.reader.as_ref() else {
            return;
        };
        let to_reader = reader.durable.clone();
        let mut from_sink = self.durable.subscribe();
        self.runtime.spawn(async move {
            while from_sink.changed().await.is_ok() {
                let lsn = *from_sink.borrow_and_update();
                if to_reader.send(lsn).is_err() {
                    return;
                }
            }
        });
    }

    /// Stops the reader; drops the slot when `slot.drop.on.stop` is set and the stop was
    /// clean.
    pub fn close(&mut self, clean: bool) {
        if let Some(retention) = self.retention.take() {
            retention.abort();
        }
        if let Some(reader) = self.reader.take() {
            drop(reader.events);
            let _ = self.runtime.block_on(reader.task);
        }
        if clean && self.drop_slot_on_stop {
            let result = self.runtime.block_on(async {
                let mut session = ReplicationSession::connect(&self.connect).await?;
                session.drop_slot(&self.slot_name).await
            });
            if let Err(err) = result {
                tracing::warn!(slot = %self.slot_name, error = %err, "could not drop the slot on stop");
            }
        }
    }

    fn on_message(
        &mut self,
        wal_start: Lsn,
        data: &[u8],
        emitter: &mut Emitter<'_>,
    ) -> Result<(), PipelineError> {
        let message = self
            .decoder
            .decode(data)
            .map_err(|e| PipelineError::Decode {
                position: format!("LSN {wal_start}"),
                detail: e.to_string(),
            })?;
        match message {
            Message::Begin(begin) => {
                // A transaction that committed after the open window's read comes after
                // the window's rows.
                self.flush_window_if_due(begin.final_lsn, emitter)?;
                let skip = match self.offset.partial {
                    Some((final_lsn, events)) if final_lsn == begin.final_lsn => events,
                    _ if begin.final_lsn < self.offset.lsn_commit => u64::MAX,
                    _ => 0,
                };
                let commit_time =
                    EpochNanos::from_micros(begin.commit_timestamp.unix_micros().unwrap_or(0));
                let id = format!("{}:{}", begin.xid, begin.final_lsn.0);
                let transaction = OpenTransaction {
                    xid: begin.xid,
                    final_lsn: begin.final_lsn,
                    commit_time,
                    seen: 0,
                    skip,
                    id,
                    total_order: 0,
                    per_collection: Vec::new(),
                };
                if skip == 0
                    && let Some(record) =
                        self.builder.transaction_begin(&transaction.id, commit_time)
                {
                    emitter.emit(record)?;
                }
                self.transaction = Some(transaction);
            }
            Message::Commit(commit) => {
                let Some(transaction) = self.transaction.take() else {
                    return Err(PipelineError::Decode {
                        position: format!("LSN {wal_start}"),
                        detail: "Commit without Begin".to_owned(),
                    });
                };
                self.recent.push(transaction.xid);
                if transaction.skip != u64::MAX {
                    let collections: Vec<(&str, i64)> = transaction
                        .per_collection
                        .iter()
                        .map(|(name, n)| (name.as_str(), *n))
                        .collect();
                    if let Some(record) = self.builder.transaction_end(
                        &transaction.id,
                        transaction.commit_time,
                        &collections,
                    ) {
                        emitter.emit(record)?;
                    }
                }
                self.offset.lsn_commit = self.offset.lsn_commit.max(commit.end_lsn);
                self.offset.lsn_proc = commit.end_lsn;
                self.offset.partial = None;
                self.offset.tx_id = Some(transaction.xid);
                self.offset.ts_usec = commit.commit_timestamp.unix_micros().unwrap_or(0);
                // Acted on once committed: the snapshot they change is stored with the
                // offset after this transaction.
                for signal in std::mem::take(&mut self.pending_signals) {
                    self.apply_signal(signal)?;
                }
            }
            Message::Relation(relation) => {
                let info = RelationInfo::from(&relation);
                self.learn_relation(info)?;
            }
            Message::Insert(insert) => {
                self.on_change(
                    wal_start,
                    insert.relation_oid,
                    Operation::Create,
                    None,
                    Some(insert.new),
                    emitter,
                )?;
            }
            Message::Update(update) => {
                let old = update.old.as_ref().map(OldTuple::tuple).copied();
                self.on_change(
                    wal_start,
                    update.relation_oid,
                    Operation::Update,
                    old,
                    Some(update.new),
                    emitter,
                )?;
            }
            Message::Delete(delete) => {
                let old = *delete.old.tuple();
                self.on_change(
                    wal_start,
                    delete.relation_oid,
                    Operation::Delete,
                    Some(old),
                    None,
                    emitter,
                )?;
            }
            Message::Truncate(truncate) => {
                for oid in &truncate.relation_oids {
                    self.observe_for_window(*oid, &[], true);
                    self.on_change(wal_start, *oid, Operation::Truncate, None, None, emitter)?;
                }
            }
            Message::Message(message) if message.prefix == WATERMARK_PREFIX => {
                // A snapshot window's watermark: a position, not a change.
                self.flush_window_if_due(message.lsn, emitter)?;
            }
            Message::Message(message) => {
                if self.count_and_skip(wal_start) {
                    return Ok(());
                }
                let transaction = self.transaction.as_mut();
                let commit_time = transaction
                    .as_ref()
                    .map_or(EpochNanos::default(), |t| t.commit_time);
                let block = transaction.map(|t| {
                    t.total_order += 1;
                    TransactionBlock {
                        id: "",
                        total_order: t.total_order,
                        data_collection_order: t.total_order,
                    }
                });
                let id = self.transaction.as_ref().map(|t| t.id.clone());
                let record = self.builder.message(&LogicalMessage {
                    prefix: message.prefix,
                    content: message.content,
                    source: SourceBlock {
                        commit_time,
                        snapshot: SnapshotMarker::False,
                        tx_id: message.xid.map(i64::from),
                        lsn: Some(message.lsn.0 as i64),
                        xmin: None,
                        last_commit_lsn: Some(self.offset.lsn_commit.0 as i64),
                    },
                    transaction: block.map(|b| TransactionBlock {
                        id: id.as_deref().unwrap_or(""),
                        ..b
                    }),
                    processed_at: now(),
                });
                emitter.emit(record)?;
                emitter.count_message(commit_time);
            }
            Message::Type(_) | Message::Origin(_) => {}
            other => {
                return Err(PipelineError::Decode {
                    position: format!("LSN {wal_start}"),
                    detail: format!(
                        "{} message on a stream started without streaming or two-phase",
                        other.kind()
                    ),
                });
            }
        }
        Ok(())
    }

    /// Counts a change of the open transaction; true when it was delivered before a
    /// restart and must be skipped.
    fn count_and_skip(&mut self, wal_start: Lsn) -> bool {
        let Some(transaction) = self.transaction.as_mut() else {
            return false;
        };
        transaction.seen += 1;
        if transaction.seen <= transaction.skip {
            return true;
        }
        self.offset.lsn_proc = wal_start;
        self.offset.tx_id = Some(transaction.xid);
        self.offset.partial = Some((transaction.final_lsn, transaction.seen));
        false
    }

    fn learn_relation(&mut self, info: RelationInfo) -> Result<(), PipelineError> {
        let mut unknown = Vec::new();
        let decoder = RowDecoder::new(&info, &self.catalog.user_types, &mut |u: UnknownColumn<
            '_,
        >| {
            unknown.push((u.column.name.clone(), u.unknown_type_oid));
        });
        let schema = if self.filter.captures(&info.namespace, &info.name) {
            let description = self.runtime.block_on(self.catalog.describe(&info))?;
            // Rebuild the decoder: describing may have taught the catalog user types.
            Some(self.builder.table_schema(&description)?)
        } else {
            None
        };
        let decoder = if schema.is_some() {
            unknown.clear();
            RowDecoder::new(&info, &self.catalog.user_types, &mut |u: UnknownColumn<
                '_,
            >| {
                unknown.push((u.column.name.clone(), u.unknown_type_oid));
            })
        } else {
            decoder
        };
        for (column, type_oid) in unknown {
            tracing::warn!(table = %format!("{}.{}", info.namespace, info.name), %column, type_oid, "unknown column type: values are passed as text");
        }
        self.tables.insert(
            info.oid,
            Table {
                info,
                decoder,
                schema,
            },
        );
        Ok(())
    }

    fn on_change(
        &mut self,
        wal_start: Lsn,
        relation: Oid,
        op: Operation,
        old: Option<TupleData<'_>>,
        new: Option<TupleData<'_>>,
        emitter: &mut Emitter<'_>,
    ) -> Result<(), PipelineError> {
        if op != Operation::Truncate {
            self.observe_for_window(relation, &[old, new], false);
        }
        if self.count_and_skip(wal_start) {
            return Ok(());
        }
        let Some(table) = self.tables.get(&relation) else {
            return Err(PipelineError::Decode {
                position: format!("LSN {wal_start}"),
                detail: format!("change for relation {relation} before its Relation message"),
            });
        };
        if op == Operation::Create
            && self
                .snapshot_config
                .is_signal_table(&table.info.namespace, &table.info.name)
            && let Some(tuple) = new.as_ref()
        {
            let mut values = Vec::new();
            let signal = table
                .decoder
                .decode_into(&table.info, tuple, &mut values)
                .map_err(|e| e.to_string())
                .and_then(|()| super::signal_from_row(&values));
            match signal {
                Ok(signal) => self.pending_signals.push(signal),
                Err(detail) => tracing::warn!(%detail, lsn = %wal_start, "signal ignored"),
            }
        }
        let Some(schema) = table.schema.as_ref() else {
            return Ok(());
        };
        let decode = |tuple: Option<TupleData<'_>>, out: &mut Vec<Value>| match tuple {
            Some(tuple) => table
                .decoder
                .decode_into(&table.info, &tuple, out)
                .map(|()| true)
                .map_err(|e| PipelineError::Decode {
                    position: format!("LSN {wal_start}"),
                    detail: e.to_string(),
                }),
            None => Ok(false),
        };
        let has_before = decode(old, &mut self.before)?;
        let has_after = decode(new, &mut self.after)?;
        let (commit_time, tx_id, id) = match &self.transaction {
            Some(t) => (t.commit_time, Some(i64::from(t.xid)), t.id.as_str()),
            None => (EpochNanos::default(), None, ""),
        };
        let transaction = self.transaction.as_ref().map(|t| TransactionBlock {
            id,
            total_order: t.total_order + 1,
            data_collection_order: t
                .per_collection
                .iter()
                .find(|(name, _)| name == schema.data_collection())
                .map_or(1, |(_, n)| n + 1),
        });
        let change = RowChange {
            op,
            before: has_before.then_some(self.before.as_slice()),
            after: has_after.then_some(self.after.as_slice()),
            source: SourcePosition::Postgres(SourceBlock {
                commit_time,
                snapshot: SnapshotMarker::False,
                tx_id,
                lsn: Some(wal_start.0 as i64),
                xmin: None,
                last_commit_lsn: Some(self.offset.lsn_commit.0 as i64),
            }),
            transaction,
            processed_at: now(),
        };
        let mut records: Vec<ChangeRecord<'_>> = Vec::with_capacity(3);
        let events = self.builder.row_change(schema, &change, &mut records)?;
        for record in records {
            emitter.emit(record)?;
        }
        if events > 0 {
            emitter.count_event(change.op, change.source.time());
            let collection = schema.data_collection().to_owned();
            if let Some(t) = self.transaction.as_mut() {
                t.total_order += events as i64;
                match t
                    .per_collection
                    .iter_mut()
                    .find(|(name, _)| *name == collection)
                {
                    Some((_, n)) => *n += events as i64,
                    None => t.per_collection.push((collection, events as i64)),
                }
            }
        }
        Ok(())
    }
}

impl PostgresSource {
    /// Delivers rows `indices` of a chunk of table `index` as `r` records and records the
    /// progress up to `range_end`.
    #[allow(clippy::too_many_arguments)]
    fn deliver_chunk(
        &mut self,
        snapshot: &mut Snapshot,
        index: usize,
        rows: &RowArena,
        indices: &[usize],
        last: bool,
        range_end: Option<Vec<String>>,
        emitter: &mut Emitter<'_>,
    ) -> Result<(), PipelineError> {
        let Some(table) = snapshot.tables.get(index) else {
            return Err(PipelineError::Stopped(format!(
                "snapshot chunk of unknown table {index}"
            )));
        };
        let name = table.name();
        let oid = table.info.oid;
        let before = snapshot.progress.table(&name).map_or(0, |t| t.rows);
        let incremental = snapshot.progress.kind == SnapshotKind::Incremental;
        let last_table = snapshot.progress.tables.len() == 1;
        let mut columns: Vec<Option<&[u8]>> = Vec::new();
        for (pos, &i) in indices.iter().enumerate() {
            let Some(row) = rows.get(i) else { continue };
            let marker = super::snapshot_marker(
                &mut snapshot.markers,
                incremental,
                RowPlace {
                    first_in_table: before == 0 && pos == 0,
                    last_in_table: last && pos + 1 == indices.len(),
                    last_table,
                },
            );
            split_data_row(row, &mut columns)?;
            self.emit_read(oid, &name, &columns, marker, emitter)?;
        }
        let delivered = indices.len() as u64;
        snapshot.progress.delivered(&name, delivered, range_end);
        if last {
            snapshot.progress.finished(&name);
            tracing::info!(table = %name, rows = before + delivered, remaining_tables = snapshot.progress.tables.len(), "snapshot of table done");
        }
        snapshot
            .report
            .delivered(&name, delivered, last, snapshot.progress.paused);
        Ok(())
    }

    /// One snapshot row as an `r` record.
    fn emit_read(
        &mut self,
        oid: Oid,
        name: &str,
        columns: &[Option<&[u8]>],
        marker: SnapshotMarker,
        emitter: &mut Emitter<'_>,
    ) -> Result<(), PipelineError> {
        let Some(table) = self.tables.get(&oid) else {
            return Err(PipelineError::Stopped(format!(
                "snapshot row of {name} before its schema"
            )));
        };
        let Some(schema) = table.schema.as_ref() else {
            return Ok(());
        };
        let decoders = table.decoder.columns();
        if decoders.len() != columns.len() {
            return Err(PipelineError::Decode {
                position: format!("snapshot of table {name}"),
                detail: format!(
                    "a row has {} columns, the table's schema {}",
                    columns.len(),
                    decoders.len()
                ),
            });
        }
        self.after.clear();
        for ((value, decoder), column) in columns.iter().zip(decoders).zip(&table.info.columns) {
            self.after.push(match value {
                None => Value::Null,
                Some(text) => decoder.decode(text).map_err(|e| PipelineError::Decode {
                    position: format!("snapshot of table {name}, column {}", column.name),
                    detail: e.to_string(),
                })?,
            });
        }
        let lsn = self.offset.lsn_commit.0 as i64;
        let change = RowChange {
            op: Operation::Read,
            before: None,
            after: Some(self.after.as_slice()),
            source: SourcePosition::Postgres(SourceBlock {
                commit_time: now(),
                snapshot: marker,
                tx_id: None,
                lsn: Some(lsn),
                xmin: None,
                last_commit_lsn: Some(lsn),
            }),
            transaction: None,
            processed_at: now(),
        };
        let mut records: Vec<ChangeRecord<'_>> = Vec::with_capacity(1);
        let events = self.builder.row_change(schema, &change, &mut records)?;
        for record in records {
            emitter.emit(record)?;
        }
        if events > 0 {
            emitter.count_event(change.op, change.source.time());
        }
        Ok(())
    }

    /// Receives the next chunk of an exported snapshot.
    fn poll_exported(
        &mut self,
        wait: Duration,
        emitter: &mut Emitter<'_>,
    ) -> Result<Polled, PipelineError> {
        let Some(mut snapshot) = self.snapshot.take() else {
            return Ok(Polled::Timeout);
        };
        let received = match &mut snapshot.read {
            SnapshotRead::Exported(readers) => self
                .runtime
                .block_on(async { tokio::time::timeout(wait, readers.chunks.recv()).await }),
            SnapshotRead::Windowed { .. } => {
                self.snapshot = Some(snapshot);
                return Ok(Polled::Timeout);
            }
        };
        let result = match received {
            Err(_) => Ok(Polled::Timeout),
            Ok(None) => Err(PipelineError::Stopped(
                "the snapshot readers stopped before the snapshot was complete".to_owned(),
            )),
            Ok(Some(Err(err))) => Err(err.into()),
            Ok(Some(Ok(chunk))) => {
                let indices: Vec<usize> = (0..chunk.rows.len()).collect();
                let range_end = match chunk
                    .rows
                    .len()
                    .checked_sub(1)
                    .and_then(|i| chunk.rows.get(i))
                {
                    Some(row) => {
                        let key_index = snapshot
                            .tables
                            .get(chunk.table)
                            .map(|t| t.key_index.clone())
                            .unwrap_or_default();
                        if key_index.is_empty() {
                            None
                        } else {
                            Some(snapshot::key_text(row, &key_index)?)
                        }
                    }
                    None => None,
                };
                self.deliver_chunk(
                    &mut snapshot,
                    chunk.table,
                    &chunk.rows,
                    &indices,
                    chunk.last,
                    range_end,
                    emitter,
                )
                .map(|()| Polled::Event)
            }
        };
        let done = snapshot.progress.is_done();
        self.snapshot = Some(snapshot);
        if done {
            self.finish_snapshot(true)?;
        }
        result
    }

    /// The snapshot is complete: start the stream it hands over to (or nothing, for
    /// `initial_only`).
    fn finish_snapshot(&mut self, completed: bool) -> Result<(), PipelineError> {
        if let Some(snapshot) = self.snapshot.take() {
            let summary = snapshot.report.end(completed);
            if completed {
                tracing::info!(
                    rows = summary.rows_done,
                    seconds = summary.elapsed.as_secs_f64(),
                    rows_per_second = summary.rows_per_second.round() as u64,
                    "snapshot completed"
                );
            }
        }
        if let Some(pending) = self.pending_stream.take() {
            self.start_streaming(pending.session, pending.start, &pending.options)?;
        } else if !self.stream {
            tracing::info!("snapshot.mode=initial_only: the snapshot is complete; stopping");
        }
        Ok(())
    }

    /// Opens the next watermark window when a windowed snapshot has none.
    fn open_window(&mut self) -> Result<(), PipelineError> {
        let Some(snapshot) = self.snapshot.as_mut() else {
            return Ok(());
        };
        let SnapshotRead::Windowed {
            session,
            open,
            nudge,
        } = &mut snapshot.read
        else {
            return Ok(());
        };
        if open.is_some() || snapshot.progress.paused {
            return Ok(());
        }
        let Some(entry) = snapshot.progress.tables.first() else {
            return Ok(());
        };
        let Some(index) = snapshot.tables.iter().position(|t| t.name() == entry.table) else {
            return Ok(());
        };
        let Some(table) = snapshot.tables.get(index) else {
            return Ok(());
        };
        let after = entry.after.clone();
        let (window, nudged) =
            self.runtime
                .block_on(read_window(session, index, table, after.as_deref(), *nudge))?;
        if *nudge && !nudged {
            tracing::warn!(
                "pg_logical_emit_message() is not allowed for this user: snapshot windows close on the server's keepalives instead (slower on a quiet database)"
            );
            *nudge = false;
        }
        if self.recent.raced(window.window.snapshot()) {
            tracing::debug!(table = %entry.table, "a snapshot chunk raced a commit; reading it again");
            return Ok(());
        }
        *open = Some(window);
        Ok(())
    }

    /// Delivers the open window's rows when the stream at `position` is past its high
    /// watermark. True when it did.
    fn flush_window_if_due(
        &mut self,
        position: Lsn,
        emitter: &mut Emitter<'_>,
    ) -> Result<bool, PipelineError> {
        let due = match &self.snapshot {
            Some(Snapshot {
                read:
                    SnapshotRead::Windowed {
                        open: Some(open), ..
                    },
                ..
            }) => open.window.is_due(position.0),
            _ => false,
        };
        if !due {
            return Ok(false);
        }
        let Some(mut snapshot) = self.snapshot.take() else {
            return Ok(false);
        };
        let open = match &mut snapshot.read {
            SnapshotRead::Windowed { open, .. } => open.take(),
            SnapshotRead::Exported(_) => None,
        };
        let result = match open {
            Some(open) => {
                let superseded = open.window.superseded();
                let survivors: Vec<usize> = open.window.into_rows().collect();
                if superseded > 0 {
                    tracing::debug!(superseded, "snapshot rows superseded by streamed changes");
                }
                self.deliver_chunk(
                    &mut snapshot,
                    open.table,
                    &open.rows,
                    &survivors,
                    open.last,
                    open.range_end,
                    emitter,
                )
            }
            None => Ok(()),
        };
        let done = snapshot.progress.is_done();
        self.snapshot = Some(snapshot);
        if done {
            self.finish_snapshot(true)?;
        }
        result.map(|()| true)
    }

    /// A streamed change of `relation` by the open transaction: drops the rows it touched
    /// from the open window.
    fn observe_for_window(
        &mut self,
        relation: Oid,
        tuples: &[Option<TupleData<'_>>],
        truncate: bool,
    ) {
        let Some(Snapshot {
            read: SnapshotRead::Windowed {
                open: Some(open), ..
            },
            ..
        }) = self.snapshot.as_mut()
        else {
            return;
        };
        if open.oid != relation {
            return;
        }
        let Some(xid) = self.transaction.as_ref().map(|t| t.xid) else {
            return;
        };
        if truncate {
            open.window.observe_truncate(xid);
            return;
        }
        let Some(table) = self.tables.get(&relation) else {
            return;
        };
        let key_index: Vec<usize> = open
            .key_names
            .iter()
            .filter_map(|name| table.info.columns.iter().position(|c| &c.name == name))
            .collect();
        for tuple in tuples.iter().flatten() {
            if let Some(key) = tuple_key(tuple, &key_index) {
                open.window.observe(xid, &key);
            }
        }
    }
}

/// Now, for `ts_ms`/`ts_us`/`ts_ns`.
pub(super) fn now() -> EpochNanos {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    EpochNanos(nanos)
}

impl ChangeSource for PostgresSource {
    fn poll(&mut self, wait: Duration, emitter: &mut Emitter<'_>) -> Result<Polled, PipelineError> {
        if matches!(
            self.snapshot,
            Some(Snapshot {
                read: SnapshotRead::Exported(_),
                ..
            })
        ) {
            return self.poll_exported(wait, emitter);
        }
        if !self.stream && self.reader.is_none() {
            return Ok(Polled::Finished);
        }
        if self.transaction.is_none() && self.apply_channel_signals()? {
            return Ok(Polled::Idle);
        }
        self.open_window()?;
        let Some(reader) = self.reader.as_mut() else {
            return Err(PipelineError::Stopped(
                "the PostgreSQL reader is closed".to_owned(),
            ));
        };
        let event = self
            .runtime
            .block_on(async { tokio::time::timeout(wait, reader.events.recv()).await });
        match event {
            Err(_) => Ok(Polled::Timeout),
            Ok(None) => {
                let result = self.reader.take().map(|r| self.runtime.block_on(r.task));
                match result {
                    Some(Ok(Err(err))) => Err(err.into()),
                    _ => Err(PipelineError::Stopped(
                        "the PostgreSQL replication stream ended".to_owned(),
                    )),
                }
            }
            Ok(Some(WalEvent::Idle { lsn })) => {
                let flushed =
                    self.transaction.is_none() && self.flush_window_if_due(lsn, emitter)?;
                if self.transaction.is_some() || lsn <= self.offset.lsn_commit {
                    return Ok(if flushed {
                        Polled::Event
                    } else {
                        Polled::Timeout
                    });
                }
                self.offset.lsn_commit = lsn;
                self.offset.lsn_proc = lsn;
                self.offset.partial = None;
                Ok(Polled::Idle)
            }
            Ok(Some(WalEvent::Message(message))) => {
                self.on_message(message.wal_start, &message.data, emitter)?;
                Ok(Polled::Event)
            }
        }
    }

    fn offset(&self) -> Map<String, Json> {
        let mut offset = self.offset.to_json();
        if let Some(snapshot) = &self.snapshot {
            snapshot.progress.write_into(&mut offset);
            // Debezium's own keys, so its tools see a snapshot in progress.
            offset.insert("snapshot".into(), true.into());
            offset.insert("last_snapshot_record".into(), false.into());
        }
        if let Some(channel) = &self.signals {
            channel.write_into(&mut offset);
        }
        offset
    }

    fn at_boundary(&self) -> bool {
        self.transaction.is_none()
    }

    fn on_committed(&self) -> Option<OnCommitted> {
        let durable = Arc::clone(&self.durable);
        let lsn = self.offset.lsn_commit;
        let snapshot_running = self.snapshot.is_some();
        Some(Box::new(move || {
            if snapshot_running {
                crate::failpoint::hit("pg-snapshot-committed");
            }
            durable.send_if_modified(|current| {
                let advance = lsn > *current;
                if advance {
                    *current = lsn;
                }
                advance
            });
        }))
    }
}

/// The database's row estimate for table `name` of a snapshot.
fn estimate_of(tables: &[SnapshotTable], name: &str) -> Option<u64> {
    tables
        .iter()
        .find(|t| t.name() == name)
        .and_then(|t| t.estimated_rows)
}
