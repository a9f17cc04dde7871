//! The pipeline: a log reader's events become Debezium change records, are converted to
//! Kafka bytes, and are committed to Kafka together with the source offset, in bounded
//! stages.
//!
//! ```text
//! database ─► reader task (async, bounded channel) ─► processing thread ─► sink thread ─► Kafka
//!                  ▲            decode · envelope · convert into a Batch       │
//!                  └──────────── acknowledge the position after the commit ◄───┘
//! ```
//!
//! - The **reader** ([`crate::postgres::spawn_wal_reader`]) owns the replication connection;
//!   its channel is bounded, so a slow Kafka stops it reading and TCP pushes back to the
//!   server.
//! - The **processing thread** ([`run_pipeline`]) asks the [`ChangeSource`] for events,
//!   which decodes them and hands change records to the [`Emitter`]; records are converted
//!   straight into a [`Batch`] arena. A batch ends when it holds
//!   `tributary.transaction.max.events` events or `max.bytes` bytes, or after `max.ms` at
//!   a source transaction boundary.
//! - The **sink thread** ([`sink::SinkStage`]) commits each batch and the source offset
//!   after its last record in one Kafka transaction; only then does it run the source's
//!   acknowledgement (PostgreSQL's flush LSN). A read_committed consumer therefore sees a
//!   change exactly when its offset is stored, and a restart resumes from the offsets topic.
//!
//! Any failure ends the run; the supervisor ([`run_connector`]) starts again from the
//! offsets topic when a retry can help, which is how aborted transactions, broker restarts
//! and database restarts are recovered without loss or duplicates.

pub mod batch;
pub mod convert;
mod error;
pub mod mysql;
pub mod mysql_snapshot;
pub mod postgres;
mod progress;
pub mod sink;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tributary_envelope::ChangeRecord;
use tributary_envelope::transform::TransformChain;

pub use batch::Batch;
pub use convert::{ConvertError, RecordConverter};
pub use error::PipelineError;
use sink::{Commit, OnCommitted, SinkStage};

use crate::config::{ConnectorConfig, SourceConfig, TransactionLimits};
use crate::kafka::{KafkaSink, OffsetKey, SinkConfig, read_offset};
use crate::status::ConnectorStatus;

/// How long the processing thread waits for an event when no batch is open; bounds how
/// quickly it notices a shutdown request.
const IDLE_POLL: Duration = Duration::from_millis(200);

/// What one [`ChangeSource::poll`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    /// An event was processed (it may have produced no record, e.g. a skipped table).
    Event,
    /// The position moved with nothing pending (an idle keepalive): worth storing.
    Idle,
    /// Nothing arrived in time.
    Timeout,
    /// The source has nothing more to read (`snapshot.mode=initial_only` after its
    /// snapshot): what was processed is committed and the connector stops.
    Finished,
}

/// Runs the transform chain on change records and converts what is left into the batch.
pub struct Emitter<'a> {
    transforms: &'a mut TransformChain,
    converter: &'a mut RecordConverter,
    batch: &'a mut Batch,
}

impl Emitter<'_> {
    /// Transforms `record` and converts the result into the batch (nothing when a
    /// transform drops it; its position still counts as processed).
    pub fn emit(&mut self, record: ChangeRecord<'_>) -> Result<(), PipelineError> {
        if self.transforms.is_empty() {
            self.converter.append(&record, self.batch)?;
        } else if let Some(record) = self.transforms.apply(record)? {
            self.converter.append(&record, self.batch)?;
        }
        Ok(())
    }

    /// Counts a data event towards the batch limits and the metrics.
    pub fn count_event(
        &mut self,
        op: tributary_envelope::options::Operation,
        source_time: tributary_envelope::EpochNanos,
    ) {
        self.batch.count_event(op, source_time);
    }

    /// Counts a logical-decoding message (`op: m`) as [`count_event`](Self::count_event) does.
    pub fn count_message(&mut self, source_time: tributary_envelope::EpochNanos) {
        self.batch.count_message(source_time);
    }
}

/// A database's side of the pipeline, driven from the processing thread.
pub trait ChangeSource {
    /// Waits up to `wait` for the next event and emits the records it produces.
    fn poll(&mut self, wait: Duration, emitter: &mut Emitter<'_>) -> Result<Polled, PipelineError>;

    /// The offset after everything polled so far.
    fn offset(&self) -> Map<String, Value>;

    /// Whether the last event polled ended a source transaction (or was outside one).
    fn at_boundary(&self) -> bool;

    /// What to do once everything polled so far is committed in Kafka.
    fn on_committed(&self) -> Option<OnCommitted>;
}

/// Runs `source` until `stop` is set or an error occurs. On stop, what was processed is
/// committed before returning.
pub fn run_pipeline(
    source: &mut dyn ChangeSource,
    transforms: &mut TransformChain,
    converter: &mut RecordConverter,
    sink: &mut SinkStage,
    limits: TransactionLimits,
    stop: &AtomicBool,
) -> Result<(), PipelineError> {
    let mut batch = Batch::default();
    // When the open batch got its first event or position.
    let mut opened: Option<Instant> = None;
    loop {
        if stop.load(Ordering::Relaxed) {
            if opened.is_some() {
                submit(source, sink, &mut batch)?;
            }
            sink.drain()?;
            return Ok(());
        }
        let wait = opened.map_or(IDLE_POLL, |t| {
            limits.max_wait.saturating_sub(t.elapsed()).min(IDLE_POLL)
        });
        let polled = source.poll(
            wait,
            &mut Emitter {
                transforms,
                converter,
                batch: &mut batch,
            },
        )?;
        if polled == Polled::Finished {
            if opened.is_some() {
                submit(source, sink, &mut batch)?;
            }
            sink.drain()?;
            return Ok(());
        }
        if polled != Polled::Timeout && opened.is_none() {
            opened = Some(Instant::now());
        }
        let Some(started) = opened else {
            continue;
        };
        let full = batch.events() >= limits.max_events || batch.byte_len() >= limits.max_bytes;
        let due = started.elapsed() >= limits.max_wait && source.at_boundary();
        if full || due {
            submit(source, sink, &mut batch)?;
            opened = None;
        }
    }
}

fn submit(
    source: &dyn ChangeSource,
    sink: &mut SinkStage,
    batch: &mut Batch,
) -> Result<(), PipelineError> {
    let full = std::mem::take(batch);
    *batch = sink.submit(Commit {
        batch: full,
        offset: source.offset(),
        on_committed: source.on_committed(),
    })?;
    Ok(())
}

/// Runs one connector until `stop` is set or a definite error occurs, restarting from the
/// stored offset after transient ones with jittered, capped exponential backoff, within
/// the connector's [`RetryPolicy`](crate::config::RetryPolicy).
pub fn run_connector(
    config: &ConnectorConfig,
    runtime: &tokio::runtime::Handle,
    stop: &Arc<AtomicBool>,
    status: &Arc<ConnectorStatus>,
) -> Result<(), PipelineError> {
    let policy = config.retry;
    let mut backoff = Duration::from_millis(500);
    // When the current run of failures began, and how many retries it has had.
    let mut failing_since: Option<Instant> = None;
    let mut retries: u64 = 0;
    loop {
        let started = Instant::now();
        let result = run_once(config, runtime, stop, status);
        if result.is_err() {
            status.stream.failed();
        }
        match result {
            Ok(()) => return Ok(()),
            Err(err) if err.is_transient() && !stop.load(Ordering::Relaxed) => {
                // A run that lasted a minute was a success: the next failure starts afresh.
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_millis(500);
                    failing_since = None;
                    retries = 0;
                }
                let since = *failing_since.get_or_insert(started);
                let out_of_time = policy.timeout.is_some_and(|t| since.elapsed() >= t);
                let out_of_retries = policy.max_retries.is_some_and(|n| retries >= n);
                if out_of_time || out_of_retries {
                    return Err(PipelineError::GaveUp {
                        retries,
                        seconds: since.elapsed().as_secs_f64(),
                        last: Box::new(err),
                    });
                }
                let wait = jittered(backoff.min(policy.max_delay));
                tracing::warn!(connector = %config.name, error = %err, retry_in = ?wait, "connector failed; restarting from the stored offset");
                sleep_unless_stopped(wait, stop);
                status.stream.restarted();
                retries += 1;
                backoff = (backoff * 2).min(policy.max_delay);
            }
            Err(err) => return Err(err),
        }
    }
}

/// `delay` scaled into [delay/2, delay]: connectors that failed together (one Kafka outage)
/// do not retry in lockstep.
fn jittered(delay: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    // A cheap mix of the clock's low bits: uniformity matters little here.
    let fraction = f64::from(nanos.wrapping_mul(2_654_435_761) % 1_000) / 1_000.0;
    delay.mul_f64(0.5 + fraction / 2.0)
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let until = Instant::now() + total;
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One attempt: read the stored offset, start the source and the sink, run.
fn run_once(
    config: &ConnectorConfig,
    runtime: &tokio::runtime::Handle,
    stop: &AtomicBool,
    status: &Arc<ConnectorStatus>,
) -> Result<(), PipelineError> {
    let offset_key = OffsetKey {
        connector: config.name.clone(),
        server: config.topic_prefix.clone(),
    };
    let stored = read_offset(
        &config.kafka.bootstrap_servers,
        &config.kafka.offsets_topic,
        &offset_key,
        config.kafka.timeout,
    )?;
    let mut transforms = config.transform_chain()?;
    let mut converter = RecordConverter::new(&config.converters)?;
    let kafka = KafkaSink::connect(SinkConfig {
        bootstrap_servers: config.kafka.bootstrap_servers.clone(),
        transactional_id: config.kafka.transactional_id.clone(),
        offsets_topic: config.kafka.offsets_topic.clone(),
        offset_key,
        timeout: config.kafka.timeout,
        overrides: config.kafka.producer_overrides.clone(),
    })?;
    let mut sink = SinkStage::start(kafka, Arc::clone(status))
        .map_err(|e| PipelineError::Stopped(format!("cannot start the sink thread: {e}")))?;
    match &config.source {
        SourceConfig::Postgres(pg) => {
            let mut source = postgres::PostgresSource::start(
                config,
                pg,
                stored.as_ref(),
                runtime.clone(),
                Arc::clone(status),
            )?;
            let result = run_pipeline(
                &mut source,
                &mut transforms,
                &mut converter,
                &mut sink,
                config.transaction_limits,
                stop,
            );
            source.close(result.is_ok());
            result
        }
        SourceConfig::MySql(my) => {
            let mut source = mysql::MySqlSource::start(
                config,
                my,
                stored.as_ref(),
                runtime.clone(),
                Arc::clone(status),
            )?;
            let result = run_pipeline(
                &mut source,
                &mut transforms,
                &mut converter,
                &mut sink,
                config.transaction_limits,
                stop,
            );
            source.close();
            result
        }
    }
}

/// Opens the Kafka signal channel when `signal.enabled.channels` lists `kafka`, at the
/// position stored in the connector's offset.
pub(crate) fn open_signal_channel(
    config: &ConnectorConfig,
    stored: Option<&Map<String, Value>>,
) -> Result<Option<crate::kafka::KafkaSignalChannel>, PipelineError> {
    config
        .snapshot
        .kafka_signals
        .as_ref()
        .map(|kafka| crate::kafka::KafkaSignalChannel::open(kafka, &config.topic_prefix, stored))
        .transpose()
        .map_err(PipelineError::from)
}

/// Debezium's `source.snapshot` value for the next row of a snapshot: `incremental` for
/// every row of an incremental one, else the initial snapshot's first/true/last sequence.
pub(crate) fn snapshot_marker(
    markers: &mut tributary_snapshot::MarkerSequence,
    incremental: bool,
    place: tributary_snapshot::marker::RowPlace,
) -> tributary_envelope::SnapshotMarker {
    use tributary_envelope::SnapshotMarker;
    use tributary_snapshot::marker::Marker;
    if incremental {
        return SnapshotMarker::Incremental;
    }
    match markers.next(place) {
        Marker::First => SnapshotMarker::First,
        Marker::FirstInDataCollection => SnapshotMarker::FirstInDataCollection,
        Marker::True => SnapshotMarker::True,
        Marker::LastInDataCollection => SnapshotMarker::LastInDataCollection,
        Marker::Last => SnapshotMarker::Last,
    }
}

/// A signal table row `(id, type, data)` as a signal.
pub(crate) fn signal_from_row(
    values: &[tributary_envelope::Value],
) -> Result<tributary_snapshot::Signal, String> {
    let text = |i: usize| match values.get(i) {
        Some(tributary_envelope::Value::Text(t)) => Some(t.as_ref()),
        _ => None,
    };
    let (Some(id), Some(kind)) = (text(0), text(1)) else {
        return Err("a signal row needs text columns (id, type, data), in that order".to_owned());
    };
    tributary_snapshot::Signal::parse(id, kind, text(2)).map_err(|e| e.to_string())
}
