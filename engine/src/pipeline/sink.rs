//! The sink stage: a thread of its own that commits batches to Kafka, one transaction each,
//! and only then reports their source position as durable.
//!
//! # Why a thread
//! librdkafka's transactional calls block for a broker round trip or more. On their own
//! thread they overlap with decoding and converting the next batch, and never stall the
//! async runtime that drives the database connections.
//!
//! # Bounds
//! One batch is being committed while the next fills; a third can wait in the hand-over
//! slot. Memory is bounded by three batches of `tributary.transaction.max.bytes`.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use serde_json::{Map, Value};

use super::batch::Batch;
use crate::kafka::{KafkaSink, SinkError};
use crate::status::ConnectorStatus;

/// What becomes durable when a batch commits.
pub type OnCommitted = Box<dyn FnMut() + Send>;

/// A batch with its offset and what to do once Kafka committed it.
pub struct Commit {
    /// The records.
    pub batch: Batch,
    /// The source offset after the batch's last record.
    pub offset: Map<String, Value>,
    /// Called after the commit succeeded (acknowledges the position to the database).
    pub on_committed: Option<OnCommitted>,
}

/// The running sink thread.
pub struct SinkStage {
    status: Arc<ConnectorStatus>,
    commits: Option<SyncSender<Commit>>,
    /// Committed batches, cleared, for reuse.
    returned: Receiver<Batch>,
    /// The error the thread stopped with (at most one is ever sent).
    failed: Receiver<SinkError>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SinkStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkStage").finish_non_exhaustive()
    }
}

impl SinkStage {
    /// Starts the thread around a connected sink.
    pub fn start(sink: KafkaSink, status: Arc<ConnectorStatus>) -> std::io::Result<Self> {
        let (commits, inbox) = sync_channel::<Commit>(1);
        let (recycle, returned) = sync_channel(2);
        let (fail, failed) = sync_channel(1);
        let status_for_stage = Arc::clone(&status);
        let thread = std::thread::Builder::new()
            .name("tributary-sink".into())
            .spawn(move || run(&sink, &inbox, &recycle, &fail, &status))?;
        Ok(Self {
            status: Arc::clone(&status_for_stage),
            commits: Some(commits),
            returned,
            failed,
            thread: Some(thread),
        })
    }

    /// Hands a batch over; blocks while the sink is busy with two (backpressure). Returns a
    /// batch to refill: a committed one when available, else a new one. An error from an
    /// earlier commit is returned here.
    pub fn submit(&mut self, commit: Commit) -> Result<Batch, SinkError> {
        self.status.stream.in_flight(1);
        let sent = self
            .commits
            .as_ref()
            .is_some_and(|tx| tx.send(commit).is_ok());
        if !sent {
            return Err(self.failure());
        }
        if let Ok(err) = self.failed.try_recv() {
            return Err(err);
        }
        Ok(self.returned.try_recv().unwrap_or_default())
    }

    /// Waits until every submitted batch is committed, or returns the first failure.
    pub fn drain(&mut self) -> Result<(), SinkError> {
        self.commits = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        match self.failed.try_recv() {
            Ok(err) => Err(err),
            Err(_) => Ok(()),
        }
    }

    /// The error the thread stopped with.
    fn failure(&mut self) -> SinkError {
        self.failed
            .recv()
            .unwrap_or_else(|_| SinkError::Fatal("the sink thread stopped".to_owned()))
    }
}

impl Drop for SinkStage {
    /// Waits for the thread: a restart must not read the offsets topic while a batch of the
    /// previous run can still commit, or that batch would be produced twice.
    fn drop(&mut self) {
        self.commits = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(
    sink: &KafkaSink,
    inbox: &Receiver<Commit>,
    recycle: &SyncSender<Batch>,
    fail: &SyncSender<SinkError>,
    status: &ConnectorStatus,
) {
    while let Ok(mut commit) = inbox.recv() {
        let began = Instant::now();
        let result = {
            let headers = commit.batch.header_refs();
            let records = commit.batch.out_records(&headers);
            sink.commit(&records, &commit.offset)
        };
        status.stream.in_flight(-1);
        match result {
            Ok(()) => {
                status
                    .stream
                    .committed(&commit.batch.commit_sample(began.elapsed()));
                if let Some(on_committed) = commit.on_committed.as_mut() {
                    on_committed();
                }
                commit.batch.clear();
                // A full slot only means the pipeline has spare batches: drop this one.
                let _ = recycle.try_send(commit.batch);
            }
            Err(err) => {
                // After a failed commit nothing later may be committed: stop here. The
                // pipeline restarts from the offsets topic.
                let _ = fail.try_send(err);
                return;
            }
        }
    }
}
