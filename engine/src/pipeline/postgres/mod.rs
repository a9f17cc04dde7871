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

use self::catalog::Catalog;
use self::offset::PgOffset;
use super::sink::OnCommitted;
use super::{ChangeSource, Emitter, PipelineError, Polled};
use crate::config::{ConnectorConfig, PostgresConfig, TableFilter};
use crate::postgres::{
    PgOutputOptions, ReplicationSession, SlotSnapshot, SlotState, StoredPosition, WalEvent,
    WalReader, WalReaderConfig, check_position, check_server, connect_replication,
    ensure_publication, ensure_slot, pgoutput_protocol_for, spawn_wal_reader,
};

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
    /// Checks the server, prepares publication and slot, checks the stored position and
    /// starts streaming after it.
    pub fn start(
        config: &ConnectorConfig,
        pg: &PostgresConfig,
        stored: Option<&Map<String, Json>>,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, PipelineError> {
        let stored = stored.map(PgOffset::from_json).transpose()?;
        let rt = runtime.clone();
        let (session, catalog, start, identity) = rt.block_on(async {
            let mut session = connect_replication(&pg.connect).await?;
            check_server(&mut session, &pg.connect.user).await?;
            let identity = session.identify_system().await?;
            let mut catalog = Catalog::new(ReplicationSession::connect(&pg.connect).await?);
            let captured = catalog
                .tables()
                .await?
                .into_iter()
                .filter(|(s, t)| config.tables.captures(s, t))
                .collect();
            ensure_publication(
                &mut session,
                &pg.publication_name,
                &pg.publication_autocreate.resolve(captured),
            )
            .await?;
            let slot = ensure_slot(
                &mut session,
                &pg.slot_name,
                &pg.connect.dbname,
                SlotSnapshot::Nothing,
            )
            .await?;
            let start = match (&slot, &stored) {
                (SlotState::Existing(info), Some(offset)) => {
                    check_position(
                        &pg.slot_name,
                        &identity,
                        info,
                        &StoredPosition {
                            system_id: offset.system_id.as_deref(),
                            timeline: offset.timeline,
                            lsn: offset.lsn_commit,
                        },
                    )?;
                    info.confirmed_flush.unwrap_or(offset.lsn_commit)
                }
                (SlotState::Existing(info), None) => info.confirmed_flush.unwrap_or_default(),
                (SlotState::Created(created), Some(offset)) => {
                    // A new slot for a stored position: changes between the two are lost.
                    return Err(PipelineError::Position(
                        crate::postgres::PositionError::SlotAhead {
                            slot: pg.slot_name.clone(),
                            confirmed_flush: created.consistent_point,
                            stored: offset.lsn_commit,
                        },
                    ));
                }
                (SlotState::Created(created), None) => created.consistent_point,
            };
            Ok::<_, PipelineError>((session, catalog, start, identity))
        })?;
        let major = session.server_major_version().unwrap_or(10);
        let protocol = pgoutput_protocol_for(major);
        let options = PgOutputOptions {
            proto_version: protocol,
            publications: vec![pg.publication_name.clone()],
            messages: protocol >= 2,
            streaming: false,
        };
        let stream =
            rt.block_on(session.start_logical_replication(&pg.slot_name, start, &options))?;
        let reader = {
            let _guard = rt.enter();
            spawn_wal_reader(
                stream,
                start,
                WalReaderConfig {
                    status_interval: pg.status_interval,
                    ..WalReaderConfig::default()
                },
            )
        };
        let durable = Arc::new(watch::channel(start).0);
        let mut offset = stored.unwrap_or(PgOffset {
            lsn_commit: start,
            lsn_proc: start,
            ..PgOffset::default()
        });
        offset.system_id = Some(identity.system_id);
        offset.timeline = Some(identity.timeline);
        tracing::info!(slot = %pg.slot_name, %start, protocol, "streaming from PostgreSQL");
        let mut source = Self {
            runtime,
            reader: Some(reader),
            durable,
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
        };
        source.forward_acks();
        Ok(source)
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
                    self.on_change(wal_start, *oid, Operation::Truncate, None, None, emitter)?;
                }
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
                emitter.count_event();
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
        if self.count_and_skip(wal_start) {
            return Ok(());
        }
        let Some(table) = self.tables.get(&relation) else {
            return Err(PipelineError::Decode {
                position: format!("LSN {wal_start}"),
                detail: format!("change for relation {relation} before its Relation message"),
            });
        };
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
            emitter.count_event();
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

/// Now, for `ts_ms`/`ts_us`/`ts_ns`.
pub(super) fn now() -> EpochNanos {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    EpochNanos(nanos)
}

impl ChangeSource for PostgresSource {
    fn poll(&mut self, wait: Duration, emitter: &mut Emitter<'_>) -> Result<Polled, PipelineError> {
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
                if self.transaction.is_some() || lsn <= self.offset.lsn_commit {
                    return Ok(Polled::Timeout);
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
        self.offset.to_json()
    }

    fn at_boundary(&self) -> bool {
        self.transaction.is_none()
    }

    fn on_committed(&self) -> Option<OnCommitted> {
        let durable = Arc::clone(&self.durable);
        let lsn = self.offset.lsn_commit;
        Some(Box::new(move || {
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
