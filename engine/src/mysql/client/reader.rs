//! The reader task: runs the dump, tracks the offset event by event, forwards raw events
//! into a bounded channel, and reconnects after transient faults.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tributary_decoders::binlog::{BinlogDecoder, EventHeader};

use super::config::{BinlogReaderConfig, MySqlConnectOptions};
use super::error::MySqlError;
use super::gtid::GtidState;
use super::offset::{BinlogOffset, Kind, PositionTracker};
use super::preflight::{CheckedStart, Flavor, ServerInfo, check_server, gtid_state};
use super::wire::{BinlogConnection, DumpPacket, binlog_dump_command, binlog_dump_gtid_command};

/// MariaDB's `MARIA_SLAVE_CAPABILITY_GTID`: the replica understands GTID events, so the
/// server sends MariaDB GTID events instead of rewriting them as BEGIN queries
/// (`sql/log_event.h`).
const MARIADB_CAPABILITY_GTID: u32 = 4;

/// One binlog event, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinlogEvent {
    /// The event as the server sent it (common header, body, CRC32): feed it, in order, to
    /// a [`BinlogDecoder`]. Every event the stream carries is forwarded — artificial ROTATE,
    /// FORMAT_DESCRIPTION, table maps, heartbeats — except the already-processed events a
    /// resumed transaction starts with (its TABLE_MAPs are sent again: they carry no change
    /// and the rows after them need them).
    pub raw: Bytes,
    /// The header's fields, already parsed.
    pub header: EventHeader,
    /// The offset to store once this event and every one before it is durable in Kafka.
    pub offset: BinlogOffset,
    /// Rows at the start of this rows event already processed before the start offset was
    /// stored (its `row`); the pipeline skips them. Zero except on the first rows event.
    pub skip_rows: u64,
}

/// A running reader.
#[derive(Debug)]
pub struct BinlogReader {
    /// Raw events in stream order.
    pub events: mpsc::Receiver<BinlogEvent>,
    /// What the start-up checks found.
    pub server: ServerInfo,
    /// Ends with a definite error (or [`MySqlError::ReconnectExhausted`]), or `Ok` when the
    /// pipeline drops [`Self::events`].
    pub task: JoinHandle<Result<(), MySqlError>>,
}

/// Runs the start-up checks, then starts a reader at `start` (a stored offset, or
/// [`super::current_position`]).
pub async fn start_binlog_reader(
    options: MySqlConnectOptions,
    config: BinlogReaderConfig,
    start: &BinlogOffset,
) -> Result<BinlogReader, MySqlError> {
    let checked = check_server(&options, start, config.prefer_gtid).await?;
    let gtids = match &checked.offset.gtids {
        Some(text) => Some(gtid_state(checked.server.flavor, text)?),
        None => None,
    };
    let server = checked.server.clone();
    let (tx, events) = mpsc::channel(config.channel_capacity.max(1));
    let task = tokio::spawn(run(options, config, checked, gtids, tx));
    Ok(BinlogReader {
        events,
        server,
        task,
    })
}

async fn run(
    options: MySqlConnectOptions,
    config: BinlogReaderConfig,
    start: CheckedStart,
    gtids: Option<GtidState>,
    tx: mpsc::Sender<BinlogEvent>,
) -> Result<(), MySqlError> {
    let server = start.server;
    let mut tracker = PositionTracker::new(
        &start.offset,
        gtids,
        Some(server.server_id),
        server.server_uuid.clone(),
    );
    let mut by_gtid = start.by_gtid;
    let mut decoder = BinlogDecoder::new();
    let mut failures = 0u32;
    loop {
        let mut progressed = false;
        let result = tokio::select! {
            biased;
            () = tx.closed() => return Ok(()),
            r = stream_once(&options, &config, &server, by_gtid, &mut tracker, &mut decoder, &tx, &mut progressed) => r,
        };
        let err = match result {
            Ok(()) => return Ok(()),
            Err(e) if e.is_transient() => e,
            Err(e) => return Err(e),
        };
        if progressed {
            failures = 0;
        }
        failures += 1;
        if failures > config.max_reconnect_attempts {
            return Err(MySqlError::ReconnectExhausted {
                attempts: failures - 1,
                last: Box::new(err),
            });
        }
        // Resume where the channel's contents end: everything forwarded reaches the
        // pipeline, so restarting there neither repeats nor drops an event.
        tracker.prepare_restart();
        // A GTID restart needs GTIDs; without them the file/position is as exact.
        by_gtid = by_gtid && tracker.gtids().is_some();
        let wait = backoff(&config, failures);
        tokio::select! {
            () = tx.closed() => return Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
    }
}

fn backoff(config: &BinlogReaderConfig, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    config
        .reconnect_backoff
        .saturating_mul(factor)
        .min(config.max_reconnect_backoff)
}

#[allow(clippy::too_many_arguments)]
async fn stream_once(
    options: &MySqlConnectOptions,
    config: &BinlogReaderConfig,
    server: &ServerInfo,
    by_gtid: bool,
    tracker: &mut PositionTracker,
    decoder: &mut BinlogDecoder,
    tx: &mpsc::Sender<BinlogEvent>,
    progressed: &mut bool,
) -> Result<(), MySqlError> {
    let mut conn = BinlogConnection::connect(options).await?;
    // Keep the server's checksums on the events (the decoder verifies them). A replica
    // that does not set it gets an error from a checksumming server; mysql_async sets
    // 'ALL', which is not a checksum name, so the artificial first ROTATE's trailer would
    // be decided by the server's fallback.
    conn.execute("SET @master_binlog_checksum = @@global.binlog_checksum")
        .await?;
    let period = config.heartbeat_interval.max(Duration::from_millis(100));
    conn.execute(&format!(
        "SET @master_heartbeat_period = {}",
        period.as_nanos()
    ))
    .await?;
    if server.flavor == Flavor::MariaDb {
        conn.execute(&format!(
            "SET @mariadb_slave_capability = {MARIADB_CAPABILITY_GTID}"
        ))
        .await?;
    }
    let offset = tracker.offset();
    let command = match (server.flavor, tracker.gtids().filter(|_| by_gtid)) {
        (Flavor::MariaDb, Some(GtidState::MariaDb(position))) => {
            // Digits, '-' and ',' only (it was parsed), so it is safe inside quotes.
            conn.execute(&format!("SET @slave_connect_state = '{position}'"))
                .await?;
            // An empty file name at position 4: start from @slave_connect_state.
            binlog_dump_command("", 4, options.server_id)?
        }
        (Flavor::MySql, Some(GtidState::MySql(set))) => {
            binlog_dump_gtid_command(options.server_id, &set.encode())
        }
        (_, Some(_)) => {
            return Err(MySqlError::InvalidOffset {
                detail: format!(
                    "the offset's GTIDs are of the other server family than this {:?} server; \
                     start from a file/position or a snapshot",
                    server.flavor
                ),
            });
        }
        (_, None) => binlog_dump_command(&offset.file, offset.pos, options.server_id)?,
    };
    conn.register_replica(options.server_id).await?;
    conn.request_dump(&command).await?;
    decoder.set_checksum_algorithm(server.checksum);
    let limit = period.saturating_mul(2) + Duration::from_secs(1);
    loop {
        let raw = match conn.read_dump_packet(limit).await? {
            DumpPacket::Event(raw) => raw,
            DumpPacket::End => {
                return Err(MySqlError::Io {
                    addr: options.addr(),
                    action: "read the binlog dump",
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the server ended the dump",
                    ),
                });
            }
        };
        *progressed = true;
        let (header, kinds) = {
            let mut header = None;
            let mut kinds = Vec::with_capacity(1);
            for event in decoder.decode(&raw)? {
                header.get_or_insert(event.header);
                kinds.push(Kind::of(&event.header, &event.data));
            }
            match header {
                Some(h) => (h, kinds),
                // A TRANSACTION_PAYLOAD with no inner events: account for it by its header.
                None => match outer_header(&raw) {
                    Some(h) => (h, kinds),
                    None => continue,
                },
            }
        };
        let header = outer_header(&raw).unwrap_or(header);
        let verdict = tracker.on_event(&header, &kinds);
        if !verdict.forward {
            continue;
        }
        let permit = match tx.reserve().await {
            Ok(permit) => permit,
            Err(_) => return Ok(()),
        };
        permit.send(BinlogEvent {
            raw: Bytes::from(raw),
            header,
            offset: verdict.offset,
            skip_rows: verdict.skip_rows,
        });
    }
}

/// The raw event's own header (for a TRANSACTION_PAYLOAD the decoder yields the inner
/// events' headers, whose positions are 0).
fn outer_header(raw: &[u8]) -> Option<EventHeader> {
    let b = raw.get(..19)?;
    Some(EventHeader {
        timestamp: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        event_type: b[4],
        server_id: u32::from_le_bytes([b[5], b[6], b[7], b[8]]),
        event_size: u32::from_le_bytes([b[9], b[10], b[11], b[12]]),
        log_pos: u32::from_le_bytes([b[13], b[14], b[15], b[16]]),
        flags: u16::from_le_bytes([b[17], b[18]]),
    })
}
