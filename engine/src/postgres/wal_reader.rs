//! The task that drives a replication stream: forwards pgoutput messages into a bounded
//! channel and reports positions to the server under the rules of [`AckTracker`].
//!
//! # Backpressure
//! The channel is bounded: when the pipeline is slow (Kafka is slow), the reader stops
//! reading, TCP fills up and the server waits — memory stays bounded. While it waits for
//! room the reader still sends status updates on its interval, so the server does not time
//! the connection out (`wal_sender_timeout`) during a long stall.
//!
//! # Acknowledgements
//! The sink reports durability through a `watch` channel: the LSN up to which every change
//! is committed in Kafka (a commit's end LSN, or an idle position it stored). Only that
//! becomes the flush position; see [`AckTracker`].
//!
//! # Streamed transactions
//! With `streaming` on (protocol 2+), the server sends large transactions before they end.
//! The reader holds them (`StreamBuffers`, in `stream_buffer.rs`) and forwards each only
//! when it commits, as an ordinary Begin … Commit transaction; aborted transactions and
//! rolled-back subtransactions never reach the pipeline. So the pipeline never sees Stream
//! Start/Stop/Commit/Abort. Memory: at most [`WalReaderConfig::stream_memory_limit`] bytes
//! of held messages (plus 64 bytes of bookkeeping each), one 256 KiB write buffer per
//! transaction that spilled to disk, and one 256 KiB read batch during a replay; the rest
//! is on disk. While a replay waits for room in the channel the reader keeps sending status
//! updates, as for any message.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Interval, MissedTickBehavior};
use tributary_decoders::pgoutput::Lsn;

use super::ack::AckTracker;
use super::error::PgError;
use super::replication::{ReplicationMessage, ReplicationStream};
use super::stream_buffer::{Accepted, StreamBuffers};

/// What the reader hands the pipeline, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalEvent {
    /// A pgoutput message. Streamed transactions arrive as ordinary ones, whole, once they
    /// committed (see "Streamed transactions" above): never Stream Start/Stop/Commit/Abort.
    Message(WalMessage),
    /// Nothing is pending and the server has decoded up to `lsn` without anything to send:
    /// store `lsn` as the source offset and acknowledge it, so the slot can advance while
    /// captured tables are quiet.
    Idle {
        /// The keepalive's position.
        lsn: Lsn,
    },
}

/// One pgoutput message from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalMessage {
    /// Where the message's WAL starts.
    pub wal_start: Lsn,
    /// The server's end of WAL when it was sent.
    pub wal_end: Lsn,
    /// Server clock, microseconds since the Unix epoch.
    pub server_time_us: i64,
    /// The pgoutput message.
    pub data: Bytes,
}

/// How the reader paces itself and how much of a large streamed transaction it holds in
/// memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalReaderConfig {
    /// How often to send a status update when nothing else prompts one (Debezium's
    /// `status.update.interval.ms`, default 10 s). Must be well under the server's
    /// `wal_sender_timeout`.
    pub status_interval: Duration,
    /// Messages buffered between the reader and the pipeline.
    pub channel_capacity: usize,
    /// Bytes of in-progress streamed transactions held in memory, over all of them
    /// together (default 64 MiB); beyond it they spill to disk. See the module docs,
    /// "Streamed transactions", for the whole bound.
    pub stream_memory_limit: usize,
    /// Where spill files go; `None`: the OS temporary directory.
    pub spill_dir: Option<PathBuf>,
}

impl Default for WalReaderConfig {
    fn default() -> Self {
        Self {
            status_interval: Duration::from_secs(10),
            channel_capacity: 8192,
            stream_memory_limit: 64 * 1024 * 1024,
            spill_dir: None,
        }
    }
}

/// A running reader: its messages, the sink's acknowledgement channel, and the task.
#[derive(Debug)]
pub struct WalReader {
    /// pgoutput messages and idle positions, in stream order.
    pub events: mpsc::Receiver<WalEvent>,
    /// Where the sink reports the LSN up to which Kafka has committed everything.
    pub durable: watch::Sender<Lsn>,
    /// Ends with the stream's error, or `Ok` when the server ends the stream or the
    /// pipeline drops either of its ends (the stream is then closed politely).
    pub task: JoinHandle<Result<(), PgError>>,
}

/// Starts a reader on `stream`, which began at `start` (the slot's confirmed position).
pub fn spawn_wal_reader(
    stream: ReplicationStream,
    start: Lsn,
    config: WalReaderConfig,
) -> WalReader {
    let (events_tx, events) = mpsc::channel(config.channel_capacity.max(1));
    let (durable, durable_rx) = watch::channel(start);
    let task = tokio::spawn(run(stream, start, config, events_tx, durable_rx));
    WalReader {
        events,
        durable,
        task,
    }
}

async fn run(
    mut stream: ReplicationStream,
    start: Lsn,
    config: WalReaderConfig,
    events: mpsc::Sender<WalEvent>,
    mut durable: watch::Receiver<Lsn>,
) -> Result<(), PgError> {
    let mut tracker = AckTracker::new(start);
    let mut ticker = status_ticker(config.status_interval);
    let spill_dir = config.spill_dir.unwrap_or_else(std::env::temp_dir);
    let mut streams = StreamBuffers::new(config.stream_memory_limit, spill_dir);
    loop {
        tokio::select! {
            biased;
            () = events.closed() => return stream.close().await,
            changed = durable.changed() => {
                if changed.is_err() {
                    return stream.close().await;
                }
                tracker.on_durable(*durable.borrow_and_update());
                stream.send_status(tracker.status(), false).await?;
            }
            _ = ticker.tick() => stream.send_status(tracker.status(), false).await?,
            message = stream.recv() => match message? {
                None => return Ok(()),
                Some(ReplicationMessage::Keepalive { wal_end, reply_requested, .. }) => {
                    if reply_requested {
                        stream.send_status(tracker.status(), false).await?;
                    }
                    if let Some(lsn) = tracker.on_keepalive(wal_end) {
                        // Best effort: when the pipeline is busy, the next keepalive offers
                        // a later position anyway.
                        match events.try_send(WalEvent::Idle { lsn }) {
                            Ok(()) => tracker.idle_offered(lsn),
                            Err(mpsc::error::TrySendError::Full(_)) => {}
                            Err(mpsc::error::TrySendError::Closed(_)) => return stream.close().await,
                        }
                    }
                }
                Some(ReplicationMessage::XLogData { wal_start, wal_end, server_time_us, data }) => {
                    tracker.on_forwarded(wal_start, wal_end, &data);
                    let message = WalMessage { wal_start, wal_end, server_time_us, data };
                    let mut link = Link {
                        stream: &mut stream,
                        events: &events,
                        durable: &mut durable,
                        ticker: &mut ticker,
                        tracker: &mut tracker,
                    };
                    let open = match streams.accept(message).await? {
                        Accepted::Forward(message) => link.forward(message).await?,
                        Accepted::Held => true,
                        Accepted::Commit(mut replay) => {
                            let mut open = true;
                            while open && let Some(message) = replay.next().await? {
                                link.tracker.on_forwarded(message.wal_start, message.wal_end, &message.data);
                                open = link.forward(message).await?;
                            }
                            open
                        }
                    };
                    if !open {
                        return stream.close().await;
                    }
                }
            },
        }
    }
}

/// What forwarding one message needs: the stream to keep answering, the channel, the acks.
struct Link<'a> {
    stream: &'a mut ReplicationStream,
    events: &'a mpsc::Sender<WalEvent>,
    durable: &'a mut watch::Receiver<Lsn>,
    ticker: &'a mut Interval,
    tracker: &'a mut AckTracker,
}

impl Link<'_> {
    /// Waits for room and forwards `message`, still answering the server and taking acks
    /// meanwhile. `false` when the pipeline dropped its end.
    async fn forward(&mut self, message: WalMessage) -> Result<bool, PgError> {
        let permit = loop {
            tokio::select! {
                biased;
                permit = self.events.reserve() => match permit {
                    Ok(permit) => break permit,
                    Err(_) => return Ok(false),
                },
                changed = self.durable.changed() => {
                    if changed.is_err() {
                        return Ok(false);
                    }
                    self.tracker.on_durable(*self.durable.borrow_and_update());
                    self.stream.send_status(self.tracker.status(), false).await?;
                }
                _ = self.ticker.tick() => self.stream.send_status(self.tracker.status(), false).await?,
            }
        };
        permit.send(WalEvent::Message(message));
        Ok(true)
    }
}

fn status_ticker(period: Duration) -> Interval {
    let mut ticker = tokio::time::interval(period.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker
}
